"""Start-up recovery: nothing recorded before a crash or a kill -9 is lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.model import TurnStatus

if TYPE_CHECKING:
    from tui.sessions.model import Session, TurnRecord
    from tui.sessions.store import SessionStore

RECOVERED_ERROR = "Recovered after Voxroom stopped before this turn finished."


def recover_interrupted(
    store: SessionStore, *, recent: int = 20
) -> tuple[list[tuple[Session, TurnRecord]], list[str]]:
    """At start-up: nothing recorded before a crash or a kill -9 is lost.

    Recordings cut mid-write (``*.partial``) are repaired. A ``pending`` turn whose recording was
    cut becomes ``interrupted``; a recording that no turn names becomes an ``interrupted`` turn of
    its session. Either is ready for ``voxroom retry`` or the app's retry. Only the ``recent`` most
    recently changed sessions are searched, so start-up stays fast with thousands of sessions.
    Returns the turns recovered and one line per file that could not be repaired.
    """
    from tui.audio.clip import Clip
    from tui.audio.recovery import recover_all
    from tui.sessions.model import TurnRecord

    repaired, failed = recover_all(store.root) if store.root.is_dir() else ([], [])
    problems = [f"{path.name} could not be recovered: {err}" for path, err in failed]
    repaired_names = {(r.path.parent, r.path.name) for r in repaired}
    folders = {r.path.parent for r in repaired}
    folders.update(store.root / s.id for s in store.list().sessions[:recent])
    recovered: list[tuple[Session, TurnRecord]] = []
    for folder in sorted(folders):
        try:
            session = store.open(folder)
        except VoxroomError as err:
            problems.append(str(err))
            continue
        if session.read_only:
            continue
        for turn in session.turns:
            if turn.status == TurnStatus.PENDING and (folder, turn.recording) in repaired_names:
                path = store.audio_path(session, turn.recording or "")
                turn.status, turn.error = TurnStatus.INTERRUPTED, RECOVERED_ERROR
                turn.duration = turn.duration or Clip(None, 16000, path).duration
                recovered.append((session, store.update_turn(session, turn)))
        for path in store.orphan_recordings(session):
            if path.suffix == ".partial":
                continue
            duration = Clip(None, 16000, path).duration
            turn = TurnRecord(
                recording=path.name, duration=duration, status=TurnStatus.INTERRUPTED, error=RECOVERED_ERROR
            )
            recovered.append((session, store.add_turn(session, turn)))
    return recovered, problems
