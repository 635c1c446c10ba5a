"""The plain values the meeting layer and its screens exchange: what a dialog decided, a person, a
turn to put in the panes. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from tui.model import Reply, Timings, Transcript, TurnKind

BUSY = "Wait for the current turn to finish, then {}."
"""What the meeting says when the room is busy with a turn ({}: what was asked for)."""


class Shown(StrEnum):
    """Which kind of session is on show."""

    LIVE = "live"
    """The room's own session: new turns are recorded into it."""
    READ_ONLY = "read-only"
    """A saved session opened to read (ctrl+t continues it)."""
    SAMPLE = "sample"
    """A bundled sample, read where it ships (continuing it makes a copy)."""


class OpenMode(StrEnum):
    """How the session browser opens a session."""

    VIEW = "view"
    CONTINUE = "continue"


class PersonAction(StrEnum):
    """What the people dialog was asked to do with a person."""

    PLAY = "play"
    RENAME = "rename"


class SessionChoice(NamedTuple):
    ref: str
    """A session id, or ``sample:NAME``."""
    mode: OpenMode


class PersonChoice(NamedTuple):
    action: PersonAction
    label: str


class Naming(NamedTuple):
    label: str
    name: str


class ExportChoice(NamedTuple):
    fmt: str
    path: Path


class DevicesChoice(NamedTuple):
    input: str
    output: str


@dataclass(frozen=True)
class Person:
    """One row of the people dialog."""

    label: str
    name: str
    seconds: float
    has_sample: bool


@dataclass(frozen=True)
class Heading:
    """How the transcript pane heads a turn and times its lines, as the exports do."""

    header: str
    """``Turn 2 · 10:32 · question`` (:func:`tui.sessions.clock.turn_header`)."""
    offset: float = 0.0
    """Where the turn starts on the session timeline: its lines show ``[0:07 -> 0:12]`` from there."""


@dataclass(frozen=True)
class ShownTurn:
    """A stored turn for the panes."""

    index: int
    transcript: Transcript | None
    reply: Reply | None
    timings: Timings | None
    status: str
    note: str = ""
    """What the replies pane says of it (an interrupted turn, nothing said), or ``""``."""
    heading: Heading | None = None
    """Its header and where it starts on the session timeline (``None``: a plain ``Turn N`` at 0)."""
    kind: TurnKind = TurnKind.QUESTION


@dataclass(frozen=True)
class ActionView:
    """An action item as the Minutes screen shows it (every text one cleaned line)."""

    owner: str
    """The person's name (or label), or ``Unassigned``."""
    task: str
    clock: str
    """The local clock time it was said (``10:32``), else its time on the session timeline."""
    quote: str = ""

    @property
    def line(self) -> str:
        """``Owner: task (10:32)``, as the exports write it."""
        return f"{self.owner}: {self.task} ({self.clock})"


@dataclass(frozen=True)
class MinutesView:
    """Saved minutes as the Minutes screen shows them (every text one cleaned line)."""

    summary: str
    decisions: tuple[str, ...] = ()
    actions: tuple[ActionView, ...] = ()
    questions: tuple[str, ...] = ()
    written: str = ""
    """When and by which model they were written."""
