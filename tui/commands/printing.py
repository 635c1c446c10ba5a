"""How headless commands print a turn as it happens (kept apart so ``voxroom`` starts fast)."""

from __future__ import annotations

import sys
from typing import TextIO

from tui.errors import VoxroomError
from tui.model import Reply, Transcript
from tui.turn import TurnObserver


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
