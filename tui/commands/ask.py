"""``voxroom ask AUDIO``: one whole turn without a screen, saved like any other turn."""

from __future__ import annotations

import argparse
import json
import sys
import time

from tui.commands import add_common, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="one whole turn: transcribe a file, ask the agent, speak the reply")
    p.add_argument("audio", help="the question, as an audio file")
    p.add_argument("--out", metavar="FILE", help="also write the spoken reply to this WAV file")
    p.add_argument("--no-play", action="store_true", help="do not play the reply")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.add_argument("--session", metavar="ID", help="continue this session (default: a new one)")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.audio.clip import load_clip
    from tui.backends import make_backends
    from tui.commands.outputs import write_audio_output
    from tui.commands.playback import open_output
    from tui.commands.printing import PrintObserver
    from tui.commands.saving import TurnSaver
    from tui.turn import TurnObserver

    settings = settings_from_args(args)
    clip = load_clip(args.audio)  # bad files fail here, before any network call
    clip.check_usable(settings.audio.min_recording_s)
    backends = make_backends(settings)
    saver = TurnSaver.for_command(settings, backends, args.session)
    recording = saver.keep_recording(clip)
    ended_at = time.perf_counter()
    sink = None if args.no_play else open_output(settings)
    observer = TurnObserver() if args.json else PrintObserver(sys.stdout)
    runner = backends.runner(settings)
    try:
        result = runner.run(
            recording,
            conversation_id=saver.conversation_id,
            sink=sink,
            observer=observer,
            ended_at=ended_at,
        )
    finally:
        if sink is not None:
            sink.close()
    saved = saver.save(recording, result)
    if args.out and result.speech.blocks:
        write_audio_output(Path(args.out), result.speech.samples, result.speech.rate)
    if args.json:
        payload = result.to_dict()
        payload["session_id"] = saved
        payload["backend"] = backends.label
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    elif saved:
        print(f"Saved in session {saved}.", file=sys.stderr)
    if result.status == "failed":
        if args.json:
            print(f"voxroom: {result.error}", file=sys.stderr)
        return 1
    return 0
