"""What the room reports, as plain frozen dataclasses delivered to its listeners on the room's threads.

The UI turns each into a message; each event is handled in one place there.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.errors import VoxroomError
from tui.model import Reply, Timings, Transcript

IDLE, RECORDING, PROCESSING, SPEAKING = "idle", "recording", "processing", "speaking"


@dataclass(frozen=True)
class RoomEvent:
    """Base class of everything the room reports."""


@dataclass(frozen=True)
class StateChanged(RoomEvent):
    state: str
    queued: int = 0


@dataclass(frozen=True)
class RecordingStarted(RoomEvent):
    turn: int
    device: str


@dataclass(frozen=True)
class RecordingStopped(RoomEvent):
    turn: int
    seconds: float


@dataclass(frozen=True)
class TurnStarted(RoomEvent):
    turn: int
    retry: bool = False


@dataclass(frozen=True)
class StageChanged(RoomEvent):
    turn: int
    stage: str


@dataclass(frozen=True)
class TranscriptionProgress(RoomEvent):
    """A long recording is transcribed in parts: ``done`` of ``total`` are back."""

    turn: int
    done: int
    total: int


@dataclass(frozen=True)
class TranscriptReady(RoomEvent):
    turn: int
    transcript: Transcript


@dataclass(frozen=True)
class ReplyDelta(RoomEvent):
    turn: int
    text: str


@dataclass(frozen=True)
class SentenceSpoken(RoomEvent):
    turn: int
    index: int
    text: str


@dataclass(frozen=True)
class ReplyReady(RoomEvent):
    turn: int
    reply: Reply


@dataclass(frozen=True)
class TurnFinished(RoomEvent):
    """A turn ended (saved, or kept in memory when saving failed). ``status`` as in the session."""

    turn: int
    status: str
    timings: Timings
    error: str | None = None


@dataclass(frozen=True)
class RoomFailed(RoomEvent):
    """Something in the room failed. ``retryable``: :meth:`Room.retry_last` can run the turn again."""

    error: VoxroomError
    turn: int | None = None
    retryable: bool = False


@dataclass(frozen=True)
class RoomNotice(RoomEvent):
    """Something worth saying that is not a failure (a fallback taken, a part recovered)."""

    message: str
    title: str = "Voxroom"


@dataclass(frozen=True)
class SessionChanged(RoomEvent):
    name: str
    saved: bool = True


@dataclass(frozen=True)
class ReplayProgress(RoomEvent):
    """Replay is playing ``kind`` (``recording`` or ``reply``) of ``turn``; ``line`` is the index of
    the transcript line being heard (``None`` between lines or for a reply). ``kind == "done"`` ends it."""

    turn: int
    kind: str
    line: int | None = None
