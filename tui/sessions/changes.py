"""The changes a person or a turn makes to a saved session: turns added and updated, titles,
the agent conversation, speakers renamed and merged. Each runs under the session's lock through
:meth:`SessionStore.update`, on the latest saved copy (the store mixes this class in)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tui.sessions.files import SessionError
from tui.sessions.model import MAX_TURNS, Session, TurnRecord, single_line

if TYPE_CHECKING:
    from tui.sessions.speakers import KnownSpeakers

T = TypeVar("T")


class SessionChanges:
    """Turn and speaker changes; :class:`~tui.sessions.store.SessionStore` provides ``update``."""

    known_speakers_path: Path

    def update(self, session: Session, change: Callable[[Session], T]) -> T:
        raise NotImplementedError

    # -- turns -----------------------------------------------------------------------------------
    def add_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        """Add ``turn`` with the next index, allocated under the lock (two processes never share
        one). Returns the saved record, which is in ``session.turns``."""

        def change(latest: Session) -> int:
            try:
                return latest.add_turn(turn).index
            except ValueError:
                raise SessionError(
                    f"Session {session.id} is full ({MAX_TURNS} turns).", hint="Start a new session."
                ) from None

        return session.turn(self.update(session, change))

    def update_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        """Replace the saved turn with ``turn.index`` by ``turn``."""

        def change(latest: Session) -> None:
            for i, existing in enumerate(latest.turns):
                if existing.index == turn.index:
                    latest.turns[i] = turn
                    latest.retitle()
                    return
            raise SessionError(f"Session {session.id} has no turn {turn.index}.")

        self.update(session, change)
        return session.turn(turn.index)

    def set_title(self, session: Session, title: str) -> str:
        """Give the session a title (an empty one goes back to its first words). Returns it."""
        return self.update(session, lambda latest: (latest.set_title(title), latest.title)[1])

    def set_conversation(
        self, session: Session, conversation_id: str | None = None, agent_id: str | None = None
    ) -> None:
        """Record the agent conversation (and agent) the session continues; ``None`` keeps each."""

        def change(latest: Session) -> None:
            if conversation_id:
                latest.conversation_id = conversation_id
            if agent_id:
                latest.agent_id = agent_id

        self.update(session, change)

    # -- speakers --------------------------------------------------------------------------------
    def rename_speaker(self, session: Session, label: str, name: str) -> str:
        """Name a speaker (by label or current name); saved, and remembered for later sessions."""

        def change(latest: Session) -> str:
            resolved = latest.resolve_speaker(label)
            if resolved is None:
                raise SessionError(
                    f"Session {session.id} has no speaker '{single_line(label)[:80]}'.",
                    hint="Speakers: " + ", ".join(latest.speakers) + "." if latest.speakers else "",
                )
            latest.rename_speaker(resolved, name)
            return resolved

        resolved = self.update(session, change)
        if session.speaker_names.get(resolved):
            with contextlib.suppress(OSError):  # only suggestions for later sessions
                self.known_speakers().remember(session.speaker_names[resolved])
        return resolved

    def merge_speakers(self, session: Session, source: str, into: str) -> int:
        def change(latest: Session) -> int:
            a, b = latest.resolve_speaker(source), latest.resolve_speaker(into)
            for given, found in ((source, a), (into, b)):
                if found is None:
                    raise SessionError(f"Session {session.id} has no speaker '{single_line(given)[:80]}'.")
            assert a is not None and b is not None
            if a == b:
                raise SessionError(f"'{single_line(source)}' and '{single_line(into)}' are the same speaker.")
            return latest.merge_speakers(a, b)

        return self.update(session, change)

    def known_speakers(self) -> KnownSpeakers:
        from tui.sessions.speakers import KnownSpeakers

        return KnownSpeakers(self.known_speakers_path)
