"""The transcriber interface."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui.audio.clip import Clip
from tui.model import Transcript

if TYPE_CHECKING:  # numpy stays off the start-up path
    import numpy as np


class Transcriber(Protocol):
    """Turns a clip into a diarized, timestamped transcript.

    Implementations are thread-safe for one call at a time and raise
    :class:`tui.errors.TranscriptionError` (one clear sentence) on failure.
    """

    name: str

    def warm_up(self) -> None:
        """Load models / open connections ahead of the first turn. Idempotent, may block."""

    def transcribe(self, clip: Clip, references: Mapping[str, Path] | None = None) -> Transcript:
        """``references``: name -> reference clip of a known person. A service that diarizes can
        name those people itself (Mistral's ``speaker_references``); others ignore them."""
        ...


class LiveTranscription(Protocol):
    """Transcribes a recording while it is captured (offline streamer or Mistral realtime).

    ``feed`` takes 16 kHz mono float32 blocks from the recorder's thread and never blocks;
    ``finish`` returns the whole transcript or raises :class:`tui.errors.TranscriptionError`
    (then transcribe the recording file instead); it may answer early with a provisional transcript
    (the text only), and then ``final`` waits for the finished one (None: ``finish`` was final);
    ``close`` abandons it (idempotent). ``on_text``, when set, is called from its worker thread
    each time more text is recognised (must not block); ``partial_text`` is the text so far.
    """

    on_text: Callable[[str], None] | None

    @property
    def partial_text(self) -> str: ...

    def feed(self, samples: np.ndarray) -> None: ...

    def finish(self) -> Transcript: ...

    def final(self) -> Transcript | None: ...

    def close(self) -> None: ...
