"""``voxroom ask AUDIO``: one whole turn without a screen, saved like any other turn."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from tui.commands import add_common, settings_from_args
from tui.errors import VoxroomError
from tui.model import Reply, Transcript
from tui.turn import TurnObserver


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="one whole turn: transcribe a file, ask the agent, speak the reply")
    p.add_argument("audio", help="the question, as an audio file")
    p.add_argument("--out", metavar="FILE", help="also write the spoken reply to this WAV file")
    p.add_argument("--no-play", action="store_true", help="do not play the reply")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.add_argument("--session", metavar="ID", help="continue this session (default: a new one)")
    add_common(p)
    p.set_defaults(func=run)


class PrintObserver(TurnObserver):
    """Prints the transcript, then the reply as it streams in."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started_reply = False

    def on_transcript(self, transcript: Transcript) -> None:
        lines = transcript.lines()
        self.out.write("Transcription: " + ("\n  ".join(lines) if lines else "(nothing said)") + "\n")
        self.out.flush()

    def on_reply_text(self, delta: str) -> None:
        if not self.started_reply:
            self.started_reply = True
            self.out.write("Assistant: ")
        self.out.write(delta)
        self.out.flush()

    def on_reply(self, reply: Reply) -> None:
        if reply.blocked:
            self.out.write(("\n" if self.started_reply else "") + "Assistant: [blocked by moderation]")
        elif not self.started_reply:
            self.out.write(f"Assistant: {reply.text}")
        self.out.write("\n")
        for ref in reply.references:
            self.out.write(f"  [{ref.title}] {ref.url}\n")
        self.out.flush()

    def on_error(self, error: VoxroomError) -> None:
        if self.started_reply:
            self.out.write("\n")
        print(f"voxroom: {error}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui.audio.clip import load_clip
    from tui.backends import make_backends
    from tui.commands.playback import open_output
    from tui.commands.saving import TurnSaver

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
        result.speech.save(Path(args.out))
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
