"""The transcriber interface."""

from __future__ import annotations

from typing import Protocol

from tui.audio.clip import Clip
from tui.model import Transcript


class Transcriber(Protocol):
    """Turns a clip into a diarized, timestamped transcript.

    Implementations are thread-safe for one call at a time and raise
    :class:`tui.errors.TranscriptionError` (one clear sentence) on failure.
    """

    name: str

    def warm_up(self) -> None:
        """Load models / open connections ahead of the first turn. Idempotent, may block."""

    def transcribe(self, clip: Clip) -> Transcript: ...
