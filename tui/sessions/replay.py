"""What a replay plays, in order, and which transcript line is current at a playback position.

Shared by ``voxroom replay`` and the TUI's replay screen: for each turn, its recording (with the
transcript lines timed against it) and then its spoken reply. No audio device is touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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

    def line(self) -> str:
        return f"[{self.start:.1f}s -> {self.end:.1f}s] {self.speaker} : {self.text}"


@dataclass
class ReplayStep:
    """One thing to play: a turn's ``recording`` or its ``reply``. ``path`` is ``None`` if missing."""

    turn: int
    kind: str
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
        steps.append(_step(store, session, turn.index, "recording", turn.recording, lines, ""))
        if turn.reply_audio or turn.reply:
            steps.append(_step(store, session, turn.index, "reply", turn.reply_audio, [], clean(turn.reply)))
    return steps


def _step(
    store: SessionStore,
    session: Session,
    turn: int,
    kind: str,
    name: str | None,
    lines: list[ReplayLine],
    text: str,
) -> ReplayStep:
    if not name:
        return ReplayStep(turn, kind, None, lines, text, f"turn {turn} has no {kind} audio")
    try:
        path = store.audio_path(session, name)
    except SessionError as err:
        return ReplayStep(turn, kind, None, lines, text, str(err))
    if not path.is_file():
        return ReplayStep(turn, kind, None, lines, text, f"{name} is missing from the session folder")
    return ReplayStep(turn, kind, path, lines, text)
