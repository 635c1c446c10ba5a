"""One event vocabulary for a turn and a replay: plain frozen dataclasses.

The turn runner (:mod:`tui.turn`), the shared turn steps (:mod:`tui.complete`) and the replayer
(:mod:`tui.sessions.replay`) report these; the room forwards them (and adds its own: states, people,
sessions) to its listeners on the room's threads; the app turns each into a message and the CLI
prints them (:mod:`tui.commands.printing`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tui.errors import VoxroomError
from tui.model import ReplayKind, Reply, RoomState, Timings, Transcript, TurnKind, TurnStage, TurnStatus

IDLE, RECORDING, PROCESSING, SPEAKING, NOTES = (
    RoomState.IDLE,
    RoomState.RECORDING,
    RoomState.PROCESSING,
    RoomState.SPEAKING,
    RoomState.NOTES,
)


@dataclass(frozen=True)
class RoomEvent:
    """Base class of everything a turn, a replay or the room reports."""


Emit = Callable[[RoomEvent], None]
"""Where a turn or a replay reports its events."""


def ignore(event: RoomEvent) -> None:
    """An :data:`Emit` that drops every event."""


@dataclass(frozen=True)
class StateChanged(RoomEvent):
    state: RoomState
    queued: int = 0


@dataclass(frozen=True)
class TurnEvent(RoomEvent):
    """Something about turn ``turn`` (its index in the session)."""

    turn: int


@dataclass(frozen=True)
class RecordingStarted(TurnEvent):
    device: str = ""
    kind: TurnKind = TurnKind.QUESTION


@dataclass(frozen=True)
class RecordingStopped(TurnEvent):
    seconds: float = 0.0


@dataclass(frozen=True)
class TurnStarted(TurnEvent):
    retry: bool = False


@dataclass(frozen=True)
class StageChanged(TurnEvent):
    stage: TurnStage = TurnStage.TRANSCRIBING


@dataclass(frozen=True)
class TranscriptionProgress(TurnEvent):
    """A long recording is transcribed in parts: ``done`` of ``total`` are back."""

    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class TranscriptReady(TurnEvent):
    transcript: Transcript = field(default_factory=Transcript)


@dataclass(frozen=True)
class TranscriptRevised(TurnEvent):
    """The turn's provisional transcript (live, without speakers or times) was replaced by the whole
    diarized one, now saved."""

    transcript: Transcript = field(default_factory=Transcript)


@dataclass(frozen=True)
class CaptionChanged(TurnEvent):
    """The live caption of the turn being recorded: ``text`` is everything recognised so far (the
    tail of it when long), provisional (no speakers, no times) until the turn's transcript replaces
    it. A consumer may drop a caption when a later one of the same turn is waiting."""

    text: str = ""


@dataclass(frozen=True)
class ReplyDelta(TurnEvent):
    """A piece of the reply as it streams in: ``text`` is the new piece, ``so_far`` the whole reply
    text up to and including it, ``seq`` its number in the turn (1, 2, ...).

    A consumer that cannot keep up may drop a delta when a later one of the same turn is waiting:
    the later delta's ``so_far`` holds everything the dropped one had.
    """

    text: str = ""
    so_far: str = ""
    seq: int = 0


@dataclass(frozen=True)
class SentenceSpoken(TurnEvent):
    """Sentence ``index``'s first audio reached the sink. Spoken while it was being written (the
    realtime speech socket), ``text`` is what was written then, and a second event for the same
    ``index`` brings the whole sentence as soon as the agent has written it."""

    index: int = 0
    text: str = ""


@dataclass(frozen=True)
class ReplyReady(TurnEvent):
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True)
class TurnFinished(TurnEvent):
    """A turn ended (saved, or kept in memory when saving failed). ``status`` as in the session."""

    status: TurnStatus = TurnStatus.DONE
    timings: Timings = field(default_factory=Timings)
    error: str | None = None
    refused: tuple[str, ...] = ()
    """Sentences of the reply the speech service refused to speak (shown, not spoken)."""
    early_calls: int = 0
    """Early (speculative) agent calls made for the turn."""
    early_used: bool = False
    """The reply played was the early answer held since before the press."""
    kind: TurnKind = TurnKind.QUESTION
    """A question (asked of the agent) or notes (only transcribed)."""


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
class PeopleChanged(RoomEvent):
    """The names known for the session's people (a voice was recognised, or a turn ended)."""

    names: dict[str, str] = field(default_factory=dict)
    suggestions: dict[str, str] = field(default_factory=dict)
    """Person label -> a remembered name that sounds close but is not certain."""


@dataclass(frozen=True)
class SessionChanged(RoomEvent):
    name: str
    saved: bool = True


@dataclass(frozen=True)
class ReplayProgress(TurnEvent):
    """Replay is playing ``kind`` (``recording`` or ``reply``) of ``turn``; ``line`` is the index of
    the transcript line being heard (``None`` before the first line or for a reply). ``kind == "done"``
    ends the replay."""

    kind: ReplayKind = ReplayKind.DONE
    line: int | None = None
    finished: bool = False
    """True once this step has been played (or skipped): the last event of the step."""


@dataclass(frozen=True)
class NotesChanged(RoomEvent):
    """Notes of the meeting were asked for (``on``) or stopped; ``paused`` while a question is
    recorded and answered (Voxroom's own voice never enters the notes). ``people``: the labels of the
    session's people heard in these notes so far, in the order they were first heard."""

    on: bool
    paused: bool = False
    people: tuple[str, ...] = ()


__all__ = [
    "IDLE",
    "NOTES",
    "PROCESSING",
    "RECORDING",
    "SPEAKING",
    "CaptionChanged",
    "Emit",
    "NotesChanged",
    "PeopleChanged",
    "RecordingStarted",
    "RecordingStopped",
    "ReplayProgress",
    "ReplyDelta",
    "ReplyReady",
    "RoomEvent",
    "RoomFailed",
    "RoomNotice",
    "SentenceSpoken",
    "SessionChanged",
    "StageChanged",
    "StateChanged",
    "TranscriptReady",
    "TranscriptRevised",
    "TranscriptionProgress",
    "TurnEvent",
    "TurnFinished",
    "TurnStarted",
]
