"""``voxroom say TEXT``: speech only, played or written to a file."""

from __future__ import annotations

import argparse

from tui.commands import add_common, add_out_option, settings_from_args
from tui.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="speak a text (or write it to an audio file)")
    p.add_argument("text")
    add_out_option(p, "write an audio file instead of playing (.wav, .flac, .ogg or .mp3)")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.audio.sinks import MemorySink
    from tui.backends import make_speaker
    from tui.commands.playback import open_output
    from tui.outputs import check_output_path, write_audio_output

    settings = settings_from_args(args)
    out = check_output_path(Path(args.out), force=args.force, audio=True) if args.out else None
    speaker = make_speaker(settings)
    if speaker is None:
        raise ConfigError("Speech is turned off (speech.backend = none).")
    text = args.text.strip()
    if not text:
        raise ConfigError("Nothing to say: the text is empty.")
    memory = MemorySink()
    sink = memory if out else open_output(settings)
    sink.open(speaker.sample_rate)
    try:
        for block in speaker.synthesize(text):
            sink.write(block)
        sink.drain()
    finally:
        sink.close()
    if out:
        path = write_audio_output(out, memory.samples, memory.rate, force=args.force)
        print(f"Wrote {memory.duration:.2f} s to {path}")
    return 0
