"""Two processes on one session: every change is applied to the latest file under the session's lock,
so no turn is ever lost, and turn indexes and recording names are never shared."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session
from tui.sessions.model import TurnRecord
from tui.sessions.store import LOCK_FILE, SessionError, SessionStore

ROOT = Path(__file__).resolve().parents[2]
WRITERS, TURNS_EACH = 6, 10

# Each writer waits for "go" on stdin (so all start together), then appends its turns the way a
# `voxroom ask --session ID` does: reserve a recording, write it, add the turn.
WRITER = """
import sys
from pathlib import Path
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionStore

root, sid, me, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = SessionStore(Path(root))
session = store.open(sid)
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
for i in range(count):
    path = store.reserve_recording(session)
    path.write_bytes(f"{me}-{i}".encode())
    turn = store.add_turn(session, TurnRecord(recording=path.name, duration=1.0, reply=f"{me}-{i}"))
    assert session.turn(turn.index).reply == f"{me}-{i}"
print("done", flush=True)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_concurrent_writers_keep_every_turn(store: SessionStore) -> None:
    session = make_session(store, turns=0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store.root), session.id, f"w{n}", str(TURNS_EACH)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for n in range(WRITERS)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    again = store.open(session.id)
    assert [t.index for t in again.turns] == list(range(1, WRITERS * TURNS_EACH + 1))
    replies = [t.reply for t in again.turns]
    assert sorted(replies) == sorted(f"w{n}-{i}" for n in range(WRITERS) for i in range(TURNS_EACH))
    for n in range(WRITERS):  # each writer's turns in its own order
        mine = [r for r in replies if r.startswith(f"w{n}-")]
        assert mine == [f"w{n}-{i}" for i in range(TURNS_EACH)]
    recordings = [t.recording for t in again.turns]
    assert len(set(recordings)) == len(recordings)
    for turn in again.turns:  # every recording is the one its own turn wrote
        assert turn.recording is not None
        assert (store.root / session.id / turn.recording).read_bytes() == turn.reply.encode()
    assert store.orphan_recordings(again) == []


def test_a_stale_copy_never_overwrites_a_newer_turn(store: SessionStore) -> None:
    """The app holds the session while a CLI process adds a turn and renames a speaker."""
    app_view = make_session(store, turns=1)
    cli = SessionStore(store.root)
    cli_view = cli.open(app_view.id)
    cli.add_turn(cli_view, TurnRecord(duration=1.0, reply="from the CLI"))
    cli.rename_speaker(cli_view, "speaker_2", "Bob")
    assert len(app_view.turns) == 1  # stale
    app_view.conversation_id = "conv_app"  # assigned directly, as older callers do
    added = store.add_turn(app_view, TurnRecord(duration=1.0, reply="from the app"))
    assert added.index == 3
    assert [t.reply for t in app_view.turns][1:] == ["from the CLI", "from the app"]  # follows the disk
    store.rename_speaker(app_view, "speaker_1", "Alice")
    again = store.open(app_view.id)
    assert [t.index for t in again.turns] == [1, 2, 3]
    assert again.speaker_names == {"speaker_1": "Alice", "speaker_2": "Bob"}
    assert again.conversation_id == "conv_app"
    assert again.to_dict() == app_view.to_dict()


def test_indexes_and_recording_names_are_allocated_from_the_disk(store: SessionStore) -> None:
    a = make_session(store, turns=1)
    b = SessionStore(store.root).open(a.id)
    first = store.reserve_recording(a)
    second = store.reserve_recording(b)  # b has not seen a's reservation
    assert first.name == "turn-002.flac" and second.name == "turn-003.flac"
    assert first.exists() and second.exists() and first.stat().st_mode & 0o777 == 0o600
    (first.parent / "turn-007.flac.partial").write_bytes(b"cut")  # a crashed recording
    assert store.reserve_recording(a).name == "turn-008.flac"
    x = store.add_turn(a, TurnRecord(recording=first.name))
    y = SessionStore(store.root).add_turn(b, TurnRecord(recording=second.name))
    assert (x.index, y.index) == (2, 3)


def test_a_held_lock_gives_a_clear_error_then_works(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    lock = store.root / session.id / LOCK_FILE
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.readline()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store.lock_timeout_s = 0.3
        with pytest.raises(SessionError, match=f"Session {session.id} is busy") as err:
            store.add_turn(session, TurnRecord(reply="waits"))
        assert "Try again" in err.value.hint
        assert len(store.open(session.id).turns) == 1
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    store.lock_timeout_s = 10.0
    assert store.add_turn(session, TurnRecord(reply="now")).index == 2
    fd = os.open(lock, os.O_RDWR)
    try:  # released after the change
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_a_failing_change_writes_nothing(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    before = path.read_bytes()
    with pytest.raises(SessionError, match="has no turn 9"):
        store.update_turn(session, TurnRecord(index=9))
    assert path.read_bytes() == before
    assert json.loads(before)["turns"][0]["index"] == 1


def test_a_change_to_a_damaged_file_keeps_what_this_process_holds(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    path = store.root / session.id / "session.json"
    path.write_bytes(b'{"schema_version": 2, "turns": [')  # damaged by something else
    store.add_turn(session, TurnRecord(reply="third"))
    assert [t.reply for t in store.open(session.id).turns][1:] == ["Reply 1: the budget is fine.", "third"]
    (moved,) = path.parent.glob("session.json.corrupt-*")
    assert moved.read_bytes() == b'{"schema_version": 2, "turns": ['
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError, match="newer Voxroom"):
        store.add_turn(session, TurnRecord(reply="fourth"))
    assert json.loads(path.read_text())["schema_version"] == 99  # a newer file is never overwritten
