"""A full disk or a read-only data folder gives one sentence naming the folder and the fix, never a
traceback, and the session already on disk stays whole.

A real small file system is used: a 64 KiB tmpfs (root may mount one here). Where mounting is
refused, the same scenarios run in a child process whose file size limit (RLIMIT_FSIZE) stands in
for the full disk, and a chmod 0500 folder for the read-only one (both say so in their output).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionError, SessionStore

ROOT = Path(__file__).resolve().parents[2]


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 64 KiB file system (``None`` when mounting is refused: the tests then use RLIMIT_FSIZE)."""
    where = tmp_path / "small"
    if not _mount_tmpfs(where, "64k"):
        print("mount refused: RLIMIT_FSIZE stands in for a full disk")
        yield None
        return
    try:
        yield where
    finally:
        _umount(where)


FILL = """
import json, resource, signal, sys
from pathlib import Path
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionError, SessionStore
if len(sys.argv) > 2:  # no small file system: a file size limit stands in for it
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
store = SessionStore(Path(sys.argv[1]))
session = store.create(title="Big")
try:
    for n in range(1000):
        store.add_turn(session, TurnRecord(reply="words " * 3000))
except SessionError as err:
    print(json.dumps({"message": err.message, "hint": err.hint, "turns": len(session.turns)}))
"""


def test_a_full_disk_is_one_sentence_and_the_session_stays_whole(
    small_disk: Path | None, tmp_path: Path
) -> None:
    root = (small_disk or tmp_path / "limited") / "sessions"
    extra = [] if small_disk is not None else ["40000"]
    done = subprocess.run(
        [sys.executable, "-c", FILL, str(root), *extra],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr  # no traceback
    report = json.loads(done.stdout)
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    assert (
        report["message"] == f"Session {folder.name} could not be saved: the disk holding {folder} is full."
    )
    assert report["hint"].startswith("Free some space there")
    saved = SessionStore(root).open(folder.name)  # the last good save, whole
    assert len(saved.turns) == report["turns"] >= 1
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []  # no half-written temp file


def test_a_full_disk_through_the_cli_is_one_line(
    small_disk: Path | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    if small_disk is None:
        pytest.fail("mount refused: test_a_full_disk_is_one_sentence_and_the_session_stays_whole covers it")
    monkeypatch.setenv("VOXROOM_DATA_DIR", str(small_disk))
    store = SessionStore(small_disk / "sessions")
    session = make_session(store, turns=2)
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:  # fill what is left
        while os.write(fd, b"\0" * 1024):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    assert main(["sessions", "rename-speaker", session.id, "speaker_1", "Alice"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"the disk holding {small_disk / 'sessions' / session.id} is full" in err
    assert store.open(session.id).speaker_names == {}


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder that cannot be written: a tmpfs remounted read-only (root ignores chmod)."""
    where = tmp_path / "ro"
    if _mount_tmpfs(where, "1m"):
        try:
            yield where
        finally:
            _umount(where)
        return
    assert os.geteuid() != 0, "mount refused as root: no way to make a folder read-only here"
    where.mkdir(exist_ok=True)
    yield where
    os.chmod(where, 0o700)


def _make_read_only(where: Path) -> None:
    if os.path.ismount(where):
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    else:
        for path in [where, *where.rglob("*")]:
            if path.is_dir():
                os.chmod(path, 0o500)


def test_a_read_only_data_folder_is_one_sentence(read_only_dir: Path) -> None:
    store = SessionStore(read_only_dir / "sessions")
    session = make_session(store, turns=1)
    before = (store.root / session.id / "session.json").read_bytes()
    _make_read_only(read_only_dir)
    with pytest.raises(SessionError) as err:
        store.add_turn(session, TurnRecord(reply="more"))
    assert str(err.value.message).startswith(f"Session {session.id} could not be ")
    assert f"{store.root / session.id} is read-only for Voxroom." in err.value.message
    assert err.value.hint.startswith("Make it writable")
    with pytest.raises(SessionError, match=f"A new session could not be created: {store.root} is read-only"):
        store.create(title="New")
    with pytest.raises(SessionError, match="read-only"):
        store.reserve_recording(session)
    assert (store.root / session.id / "session.json").read_bytes() == before
    assert [s.id for s in store.list().sessions] == [session.id]  # reading still works
