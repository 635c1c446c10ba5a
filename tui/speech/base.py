"""The speech (text-to-speech) interface."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np


class Speaker(Protocol):
    """Synthesizes text into float32 mono PCM blocks at ``sample_rate``, streamed as produced.

    Raises :class:`tui.errors.SpeechError` on failure.
    """

    name: str
    sample_rate: int

    def warm_up(self) -> None:
        """Load the voice / open connections ahead of the first turn. Idempotent, may block."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]: ...


class SpeechStream(Protocol):
    """One piece of speech whose text arrives while it is spoken (a sentence as the agent writes it)."""

    def send(self, text: str) -> None:
        """Add text (any thread; never blocks; ignored after :meth:`end` or :meth:`close`)."""

    def end(self) -> None:
        """No more text: the rest is spoken and :meth:`blocks` ends after it."""

    def blocks(self) -> Iterator[np.ndarray]:
        """The audio as it comes (float32 mono at the speaker's rate). Raises
        :class:`tui.errors.SpeechError` (``refused`` for text the service will not say); every wait
        is bounded; ends early, quietly, once the ``cancel`` given to ``open_stream`` is set."""
        ...

    def close(self) -> None:
        """Stop at once and let go of the connection. Idempotent."""

    @property
    def lost(self) -> bool:
        """True when it failed before any text was sent in a way a new stream may not (the
        connection cut or timed out; not a refusal such as 401 or 403)."""
        ...


@runtime_checkable
class StreamingSpeaker(Protocol):
    """A :class:`Speaker` that can also take its text as it is written (the realtime speech socket)."""

    name: str
    sample_rate: int

    def warm_up(self) -> None: ...

    def synthesize(self, text: str) -> Iterator[np.ndarray]: ...

    def open_stream(self, cancel: threading.Event | None = None) -> SpeechStream:
        """A new :class:`SpeechStream`, already connecting; text sent before it is open waits."""
        ...


def streams(speaker: object) -> bool:
    """True when ``speaker`` takes text as it is written (:class:`StreamingSpeaker`)."""
    return isinstance(speaker, StreamingSpeaker)
