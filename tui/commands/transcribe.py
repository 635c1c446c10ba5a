"""``voxroom transcribe AUDIO``: print the diarized transcript of a file."""

from __future__ import annotations

import argparse
import json

from tui.commands import add_common, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transcribe", help="print the diarized transcript of an audio file")
    p.add_argument("audio", help="WAV, FLAC, MP3, OGG... at any rate and channel count")
    p.add_argument("--format", choices=("text", "json", "srt", "vtt"), default="text")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.audio.clip import load_clip
    from tui.backends import make_transcriber
    from tui.subtitles import to_srt, to_vtt

    settings = settings_from_args(args)
    clip = load_clip(args.audio)
    clip.check_usable(settings.audio.min_recording_s)
    transcript = make_transcriber(settings).transcribe(clip)
    if args.format == "json":
        print(json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "srt":
        print(to_srt((s, 0.0) for s in transcript.segments), end="")
    elif args.format == "vtt":
        print(to_vtt((s, 0.0) for s in transcript.segments), end="")
    else:
        for line in transcript.lines():
            print(line)
    return 0
