"""``voxroom ask AUDIO``: one whole turn without a screen, through the same turn lifecycle as the app."""

from __future__ import annotations

import argparse
import sys
import time

from tui.commands import add_common, add_out_option, settings_from_args
from tui.commands.turns import add_turn_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="one whole turn: transcribe a file, ask the agent, speak the reply")
    p.add_argument("audio", help="the question, as an audio file")
    add_out_option(p, "also write the spoken reply to this audio file (.wav, .flac, .ogg, .mp3)")
    add_turn_options(p)
    p.add_argument("--session", metavar="ID", help="continue this session (default: a new one)")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.audio.clip import TRANSCRIBE_RATE, load_clip
    from tui.backends import make_backends
    from tui.commands.turns import open_log, report_turn, run_turn
    from tui.outputs import check_output_path, write_audio_output
    from tui.sessions.store import SessionStore

    settings = settings_from_args(args)
    out = check_output_path(Path(args.out), force=True, audio=True) if args.out else None
    # Bad files fail here, before any network call; decoded in blocks straight to 16 kHz mono.
    clip = load_clip(args.audio, rate=TRANSCRIBE_RATE, max_seconds=settings.audio.max_recording_s)
    clip.check_usable(settings.audio.min_recording_s)
    backends = make_backends(settings)
    log = open_log(settings, SessionStore(settings.sessions_dir), backends, args.session)
    ref, recording = log.keep_recording(clip)  # on disk, as a pending turn, before any service is called
    ended_at = time.perf_counter()
    result, completed, signalled = run_turn(
        settings, backends, log, ref, recording, play=not args.no_play, quiet=args.json, ended_at=ended_at
    )
    if out is not None and result.speech.blocks:
        write_audio_output(out, result.speech.samples, result.speech.rate)
    return report_turn(
        result, completed, ref, log, backends, as_json=args.json, out=sys.stdout, signalled=signalled
    )
