"""What the meeting layer reports beside the room's own events: the same vocabulary
(:class:`tui.room.events.RoomEvent`), delivered to the same listeners."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.errors import VoxroomError
from tui.meeting.values import MinutesView, Person, Shown, ShownTurn
from tui.room.events import RoomEvent
from tui.sessions.model import SessionSummary


@dataclass(frozen=True)
class MeetingReady(RoomEvent):
    """The room is built (``available``) or could not be; ``problems`` are shown once."""

    available: bool
    device: str = ""
    has_mic: bool = False
    session: str = ""
    state: str = "idle"
    problems: tuple[VoxroomError, ...] = ()


@dataclass(frozen=True)
class SessionShown(RoomEvent):
    """The panes show this session from its start: its turns and its people's names."""

    name: str
    shown: Shown
    turns: tuple[ShownTurn, ...] = ()
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionsListed(RoomEvent):
    summaries: tuple[SessionSummary, ...]


@dataclass(frozen=True)
class PeopleListed(RoomEvent):
    people: tuple[Person, ...]


@dataclass(frozen=True)
class DevicesListed(RoomEvent):
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    current: tuple[str, str] = ("", "")
    released: bool = False
    """The room's audio was closed for the rescan: open it again whatever is chosen."""


@dataclass(frozen=True)
class AudioReplaced(RoomEvent):
    device: str
    has_mic: bool


@dataclass(frozen=True)
class ConsentAsked(RoomEvent):
    """Naming ``label`` would remember their voice: ask once before doing it."""

    label: str
    name: str


@dataclass(frozen=True)
class ExportExists(RoomEvent):
    """The export's file exists: ask before replacing it."""

    fmt: str
    path: Path


@dataclass(frozen=True)
class Problem(RoomEvent):
    """Something the meeting could not do, in one sentence."""

    error: VoxroomError
    title: str = "Problem"


@dataclass(frozen=True)
class Notice(RoomEvent):
    """Something worth saying that is not a failure."""

    message: str
    title: str = "Voxroom"
    severity: str = "information"
    timeout: float = 6.0


@dataclass(frozen=True)
class MinutesShown(RoomEvent):
    """The minutes of the session on show (``minutes`` ``None``: none saved yet). ``asked``: the request
    that wrote them (0: read from the session). ``why_not``: why the agent cannot be asked now, in one
    sentence (``""``: it can)."""

    session: str
    minutes: MinutesView | None
    asked: int = 0
    why_not: str = ""


@dataclass(frozen=True)
class MinutesAsking(RoomEvent):
    """Request ``asked`` for the minutes has gone to the agent."""

    asked: int


@dataclass(frozen=True)
class MinutesFailed(RoomEvent):
    """Request ``asked`` for the minutes failed; the saved minutes are unchanged."""

    asked: int
    error: VoxroomError


__all__ = [
    "AudioReplaced",
    "ConsentAsked",
    "DevicesListed",
    "ExportExists",
    "MeetingReady",
    "MinutesAsking",
    "MinutesFailed",
    "MinutesShown",
    "Notice",
    "PeopleListed",
    "Problem",
    "SessionShown",
    "SessionsListed",
]
