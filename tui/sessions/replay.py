"""What a replay plays, in order, and which transcript line is current at a playback position.

Shared by ``voxroom replay`` and the room's replay: for each turn, its recording (with the
transcript lines timed against it) and then its spoken reply. No audio device is touched here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tui.errors import VoxroomError
from tui.events import Emit, ReplayProgress, RoomFailed
from tui.model import ReplayKind
from tui.sessions.model import Session
from tui.sessions.store import SessionError, SessionStore
from tui.text import clean


@dataclass(frozen=True)
class ReplayLine:
    """A transcript line of a recording: seconds from the recording's start, display name, text."""

    start: float
    end: float
    speaker: str
    label: str
    text: str


@dataclass
class ReplayStep:
    """One thing to play: a turn's ``recording`` or its ``reply``. ``path`` is ``None`` if missing."""

    turn: int
    kind: ReplayKind
    path: Path | None
    lines: list[ReplayLine] = field(default_factory=list)
    """The transcript lines timed against this recording (empty for a reply)."""
    text: str = ""
    """The reply text (for a reply step)."""
    problem: str | None = None
    """Why the audio cannot be played, if it cannot."""

    def line_at(self, seconds: float) -> int | None:
        """Index into :attr:`lines` of the line being spoken at ``seconds``, for highlighting.

        Between lines it is the last line started; before the first, ``None``.
        """
        current = None
        for i, line in enumerate(self.lines):
            if line.start <= seconds:
                current = i
            else:
                break
        return current


def replay_plan(store: SessionStore, session: Session) -> list[ReplayStep]:
    """Every turn's recording then reply, with file paths checked (a missing file is a problem, not
    an error, so the rest still plays)."""
    steps: list[ReplayStep] = []
    for turn in session.turns:
        lines = [
            ReplayLine(s.start, s.end, clean(session.name(s.speaker)), s.speaker, clean(s.text))
            for s in sorted(turn.segments, key=lambda s: s.start)
        ]
        steps.append(_step(store, session, turn.index, ReplayKind.RECORDING, turn.recording, lines, ""))
        if turn.reply_audio or turn.reply:
            steps.append(
                _step(store, session, turn.index, ReplayKind.REPLY, turn.reply_audio, [], clean(turn.reply))
            )
    return steps


def _step(
    store: SessionStore,
    session: Session,
    turn: int,
    kind: ReplayKind,
    name: str | None,
    lines: list[ReplayLine],
    text: str,
) -> ReplayStep:
    if not name:  # a reply given only as text is no problem: it is shown, not heard
        problem = f"turn {turn} has no recording" if kind == ReplayKind.RECORDING else None
        return ReplayStep(turn, kind, None, lines, text, problem)
    try:
        path = store.audio_path(session, name)
    except SessionError as err:
        return ReplayStep(turn, kind, None, lines, text, str(err))
    if not path.is_file():
        return ReplayStep(turn, kind, None, lines, text, f"{name} is missing from the session folder")
    return ReplayStep(turn, kind, path, lines, text)


class ReplayPlayer(Protocol):
    """What replay needs of a player (:class:`tui.audio.player.Player` has it)."""

    @property
    def speaking(self) -> bool: ...

    @property
    def played_seconds(self) -> float: ...

    def open(self, rate: int) -> None: ...

    def write(self, block: Any) -> None: ...

    def drain(self) -> None: ...

    def stop(self) -> None: ...


class Replayer:
    """Plays replay steps through a player (or times them on the clock without one), reporting which
    line is heard as :class:`tui.events.ReplayProgress`. One replayer serves ``voxroom replay`` and
    the room.

    For each step: ``ReplayProgress(line=None)`` when it starts, one each time the line heard
    changes, a :class:`tui.events.RoomFailed` if its audio cannot be played, and one with
    ``finished=True`` last."""

    def __init__(
        self,
        player: ReplayPlayer | None,
        *,
        speed: float = 1.0,
        poll_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.player = player
        self.speed = speed
        self.poll_s = poll_s
        self.clock = clock
        self.stopped = threading.Event()
        self._heard: dict[int, int | None] = {}

    def stop(self) -> None:
        self.stopped.set()
        if self.player is not None:
            with contextlib.suppress(Exception):  # a dying output stream must not block the stop
                self.player.stop()

    def play(self, steps: list[ReplayStep], emit: Emit) -> None:
        from tui.audio.clip import load_clip

        for step in steps:
            if self.stopped.is_set():
                return
            emit(ReplayProgress(step.turn, step.kind, None))
            problem = step.problem
            if step.path is not None:
                try:
                    clip = load_clip(step.path)
                except VoxroomError as err:
                    problem = str(err)
                else:
                    self._play(step, clip.samples, clip.rate, clip.duration, emit)
            if problem:
                emit(RoomFailed(VoxroomError(f"Turn {step.turn} cannot be replayed: {problem}."), step.turn))
            emit(ReplayProgress(step.turn, step.kind, self._heard.get(id(step)), finished=True))

    def _play(self, step: ReplayStep, samples: Any, rate: int, duration: float, emit: Emit) -> None:
        player = self.player
        started = self.clock()
        if player is not None:
            player.open(rate)
            player.write(samples)
        shown: int | None = None
        first = True
        while not self.stopped.is_set():
            if player is not None:
                position = player.played_seconds
                finished = not player.speaking and position > 0
            else:
                position = (self.clock() - started) * self.speed
                finished = position >= duration
            line = step.line_at(position)
            if first or line != shown:
                first, shown = False, line
                self._heard[id(step)] = line
                emit(ReplayProgress(step.turn, step.kind, line))
            # With a player, drain() below waits for the end once the last line is reached.
            last_line = player is not None and (not step.lines or line == len(step.lines) - 1)
            if finished or last_line or position >= duration:
                break
            self.stopped.wait(self.poll_s)
        if player is not None and not self.stopped.is_set():
            with contextlib.suppress(Exception):
                player.drain()
