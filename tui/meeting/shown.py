"""The session on show, read and written for the meeting: its turns for the panes, its people, what a
replay plays, a speaker's name, an export. The only place the meeting layer looks inside a
:class:`tui.lifecycle.SessionLog` (a scratch log has no stored session: nothing to read or keep)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.lifecycle import SessionLog
from tui.meeting.values import Heading, Person, ShownTurn
from tui.model import STATUS_NOTES, Reply
from tui.turnlog import TurnLog
from tui.voices import Speakers

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.sessions.model import Session, SessionSummary
    from tui.sessions.replay import ReplayStep

SAMPLE_MARK = "Sample · "
"""Put before a sample's title in the session list."""
WAITING = ("interrupted", "failed")
"""Statuses of a last turn that ctrl+r answers (its recording is kept)."""


def stored(log: TurnLog | None) -> Session | None:
    """The saved session behind ``log`` (``None`` for a scratch log)."""
    return log.session if isinstance(log, SessionLog) else None


def is_sample(log: TurnLog | None) -> bool:
    """A session read where it ships (a sample): never written to."""
    session = stored(log)
    return session is not None and session.read_only


def turn_count(log: TurnLog | None) -> int | None:
    """How many turns a stored session holds (``None``: not a stored session)."""
    session = stored(log)
    return None if session is None else len(session.turns)


def discard_if_empty(log: TurnLog | None) -> bool:
    """Remove the folder of a stored session nothing was recorded into (a launch's new session left
    for another one, or at quit), so empty sessions do not pile up; True when it was removed."""
    session = stored(log)
    if session is None or session.read_only or session.turns or session.folder is None:
        return False
    from tui.sessions.index import disposable

    if not isinstance(log, SessionLog) or not disposable(session.folder):
        return False
    try:
        log.store.delete(session.id)
    except VoxroomError:
        return False
    return True


def speakers_of(log: TurnLog | None) -> Speakers | None:
    return log.speakers if isinstance(log, SessionLog) else None


def names_of(log: TurnLog | None) -> dict[str, str]:
    session = stored(log)
    return dict(session.speaker_names) if session is not None else {}


def history(log: TurnLog | None, *, live: bool) -> tuple[ShownTurn, ...]:
    """A stored session's turns for the panes. A last turn that was interrupted or failed says how
    long its recording is and which key answers it (``live``: ctrl+r now; read-only: after ctrl+t)."""
    session = stored(log)
    if session is None:
        return ()
    from tui.sessions.clock import turn_header

    turns: list[ShownTurn] = []
    last = session.turns[-1].index if session.turns else None
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        reply = None
        if turn.reply or turn.blocked:
            reply = Reply(
                text=turn.reply,
                references=list(turn.references),
                blocked=turn.blocked,
                moderation=turn.moderation,
            )
        note = STATUS_NOTES.get(turn.status, "")
        if turn.index == last and turn.status in WAITING and turn.recording:
            keys = "ctrl+r answers it" if live else "continue it (ctrl+t), then ctrl+r answers it"
            note = f"{turn.status.capitalize()}, recording {turn.duration:.1f} s: {keys}"
        heading = Heading(turn_header(turn), offset)
        turns.append(
            ShownTurn(
                turn.index, turn.transcript(), reply, turn.timings, turn.status, note, heading, turn.kind
            )
        )
    return tuple(turns)


def heading(log: TurnLog | None, index: int) -> Heading:
    """Turn ``index``'s header and start on the session timeline, as the exports write them (a
    scratch log, or a turn not saved: ``Turn N`` at 0)."""
    from tui.sessions.clock import turn_header

    session = stored(log)
    if session is not None:
        turns = list(session.turns)
        at = 0.0
        for turn in turns:
            if turn.index == index:
                return Heading(turn_header(turn), at)
            at += turn.span
    return Heading(f"Turn {index}")


def people(log: TurnLog | None, names: dict[str, str]) -> tuple[Person, ...]:
    """Who has spoken in the stored session, with the names on screen."""
    session = stored(log)
    if session is None:
        return ()
    folder = session.folder
    return tuple(
        Person(
            p.label,
            names.get(p.label, ""),
            p.seconds,
            bool(p.reference and folder and (folder / p.reference).is_file()),
        )
        for p in session.people
    )


def sample_of(log: TurnLog | None, label: str) -> Path | None:
    """The reference clip of ``label``'s voice, if the session keeps one."""
    session = stored(log)
    if session is None or session.folder is None:
        return None
    person = next((p for p in session.people if p.label == label), None)
    return session.folder / person.reference if person is not None and person.reference else None


def last_recording(log: TurnLog | None) -> Path | None:
    """The newest turn's recording in the session on show (a reference recording to propose)."""
    session = stored(log)
    if session is None or session.folder is None:
        return None
    for turn in reversed(session.turns):
        if turn.recording and (session.folder / turn.recording).is_file():
            return session.folder / turn.recording
    return None


def replay_steps(log: TurnLog) -> list[ReplayStep]:
    """What a replay of ``log``'s session plays, in order (nothing for a scratch log)."""
    if not isinstance(log, SessionLog):
        return []
    from tui.sessions import replay_plan

    return replay_plan(log.store, log.session)


def set_title(log: TurnLog, title: str) -> str:
    """Give the saved session behind ``log`` a title (cleaned and bounded by the store; empty: its
    first words again). Returns the title it has now."""
    session = stored(log)
    if not isinstance(log, SessionLog) or session is None:
        raise VoxroomError("This session is kept in memory only, so it cannot be given a title.")
    if session.read_only:
        raise VoxroomError("A sample keeps its title: continue it as a copy (ctrl+t), then rename that.")
    return log.store.set_title(session, title) or session.id


def rename_speaker(log: TurnLog, label: str, name: str) -> None:
    """Name a person in a saved session (a scratch log keeps names on screen only); with voice
    profiles on, their voice is remembered under that name for later meetings."""
    if isinstance(log, SessionLog) and log.session.turns:
        resolved = log.store.rename_speaker(log.session, label, name)
        if log.speakers is not None and name.strip():
            log.speakers.remember(log.session, resolved, name.strip())


def export(
    log: TurnLog, fmt: str, path: Path, *, secrets: list[str], lines: list[str], replies: list[str]
) -> Path:
    """Write ``log``'s session to ``path`` in ``fmt`` with the CLI's writer (private, atomic, never
    through a link, an existing file only when asked). A scratch session writes what is on screen."""
    from tui.outputs import write_private_output, write_session_export
    from tui.sessions.export import REDACTED

    session = stored(log)
    if session is not None:
        return write_session_export(path, session, fmt, secrets=secrets, force=True)
    text = "\n".join(lines) + "\n\n" + "\n\n".join(replies) + "\n"
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return write_private_output(path, text, force=True)


def list_sessions(settings: Settings, *, samples: bool = False) -> list[SessionSummary]:
    """Summaries of the saved sessions that hold at least one turn, newest first; then, with
    ``samples``, the bundled samples (id ``sample:NAME``, title marked with :data:`SAMPLE_MARK`)."""
    from tui.room.wiring import session_store

    store = session_store(settings)
    found = [s for s in store.list().sessions if s.turns > 0]
    if samples:
        from dataclasses import replace

        from tui.sessions.model import SessionSummary as Summary
        from tui.sessions.samples import SAMPLE_PREFIX, sample_names

        for name in sample_names():
            try:
                session = store.open(SAMPLE_PREFIX + name)
            except VoxroomError:
                continue
            summary = Summary.of(session)
            found.append(
                replace(summary, id=SAMPLE_PREFIX + name, title=SAMPLE_MARK + (summary.title or name))
            )
    return found
