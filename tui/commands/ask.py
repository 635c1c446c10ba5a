"""``voxroom ask AUDIO``: one whole turn without a screen, through the same turn lifecycle as the app."""

from __future__ import annotations

import argparse
import sys
import time

from tui.commands import add_common, settings_from_args
from tui.commands.turns import add_turn_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="one whole turn: transcribe a file, ask the agent, speak the reply")
    p.add_argument("audio", help="the question, as an audio file")
    p.add_argument("--out", metavar="FILE", help="also write the spoken reply to this WAV file")
    add_turn_options(p)
    p.add_argument("--session", metavar="ID", help="continue this session (default: a new one)")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.audio.clip import load_clip
    from tui.backends import make_backends
    from tui.commands.turns import open_log, report_turn, run_turn
    from tui.sessions.store import SessionStore

    settings = settings_from_args(args)
    clip = load_clip(args.audio)  # bad files fail here, before any network call
    clip.check_usable(settings.audio.min_recording_s)
    backends = make_backends(settings)
    log = open_log(SessionStore(settings.sessions_dir), backends, args.session)
    ref, recording = log.keep_recording(clip)  # on disk, as a pending turn, before any service is called
    ended_at = time.perf_counter()
    result, completed = run_turn(
        settings, backends, log, ref, recording, play=not args.no_play, quiet=args.json, ended_at=ended_at
    )
    if args.out and result.speech.blocks:
        from pathlib import Path

        result.speech.save(Path(args.out))
    return report_turn(result, completed, log, backends, as_json=args.json, out=sys.stdout)
