"""How headless commands print a turn as it happens: from its events (:mod:`tui.events`)."""

from __future__ import annotations

import sys
from typing import TextIO

from tui.events import (
    ReplyDelta,
    ReplyReady,
    RoomEvent,
    RoomFailed,
    TranscriptReady,
    TurnFinished,
    TurnStarted,
)
from tui.moderation import blocked_text


class TurnPrinter:
    """Prints the transcript, then the reply as it streams in, to ``out``; failures to stderr.

    ``quiet`` (``--json``) prints only the failures. Call it with each event (an :data:`Emit`).
    """

    def __init__(self, out: TextIO, *, quiet: bool = False) -> None:
        self.out = out
        self.quiet = quiet
        self.started_reply = False
        self.retry = False

    def __call__(self, event: RoomEvent) -> None:
        if isinstance(event, TurnStarted):
            self.retry = event.retry
        elif isinstance(event, RoomFailed):
            self._failed(event)
        elif self.quiet:
            return
        elif isinstance(event, TurnFinished) and self.started_reply:  # the reply stopped midway
            self.started_reply = False
            self._write("\n")
        elif isinstance(event, TranscriptReady):
            lines = event.transcript.lines()
            self._write("Transcription: " + ("\n  ".join(lines) if lines else "(nothing said)") + "\n")
        elif isinstance(event, ReplyDelta):
            if not self.started_reply:
                self.started_reply = True
                self.out.write("Voxroom: ")
            self._write(event.text)
        elif isinstance(event, ReplyReady):
            reply = event.reply
            if reply.blocked:
                self.out.write(("\n" if self.started_reply else "") + f"({blocked_text(reply.moderation)})")
            elif not self.started_reply:
                self.out.write(f"Voxroom: {reply.text}")
            self.out.write("\n")
            self.started_reply = False
            for ref in reply.references:
                self.out.write(f"  [{ref.title}] {ref.url}\n")
            self.out.flush()

    def _failed(self, event: RoomFailed) -> None:
        if self.started_reply:
            self.started_reply = False
            self._write("\n")
        if event.retryable and self.retry:
            print(f"voxroom: turn {event.turn} failed again: {event.error}", file=sys.stderr)
        else:
            print(f"voxroom: {event.error}", file=sys.stderr)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
