"""Links planted in or as session folders are never followed: not on delete, not when a session is
copied in to be continued, not when its file or its audio is read, not for its lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session, write_tone
from tui.cli import main
from tui.sessions.model import TurnRecord
from tui.sessions.store import LOCK_FILE, SessionError, SessionStore


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.txt").write_text("four years of work")
    return folder


def test_a_linked_session_folder_is_not_deleted_through(
    store: SessionStore, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = make_session(store, turns=1)
    shutil.copy(store.root / real.id / "session.json", outside / "session.json")
    link = store.root / "20990101-000000-link"
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(SessionError, match="is a link to another folder, so it was not deleted") as err:
        store.delete(link.name)
    assert "rm " in err.value.hint
    assert main(["sessions", "delete", link.name, "--yes"]) == 2
    assert "is a link" in capsys.readouterr().err
    assert (outside / "thesis.txt").read_text() == "four years of work" and link.is_symlink()
    store.delete(real.id)  # a real folder still goes
    assert not (store.root / real.id).exists()


def test_copy_in_does_not_copy_through_planted_links(
    store: SessionStore, tmp_path: Path, outside: Path
) -> None:
    source_store = SessionStore(tmp_path / "shared")
    source = make_session(source_store, turns=2)
    folder = source_store.root / source.id
    write_tone(folder / "turn-001.flac")
    (folder / "turn-002.flac").symlink_to(outside / "thesis.txt")
    source.turns[0].recording, source.turns[1].recording = "turn-001.flac", "turn-002.flac"
    source_store.save(source)
    opened = store.open(str(folder))
    copy = store.copy_in(opened)
    target = store.root / copy.id
    assert (target / "turn-001.flac").read_bytes() == (folder / "turn-001.flac").read_bytes()
    assert not (target / "turn-002.flac").exists() and not (target / "turn-002.flac").is_symlink()
    assert copy.turns[1].recording is None and copy.turns[0].recording == "turn-001.flac"
    assert any("turn-002.flac" in p and "link" in p for p in copy.problems)
    for path in target.iterdir():
        assert b"four years" not in path.read_bytes()


def test_audio_is_never_read_through_a_link(store: SessionStore, outside: Path) -> None:
    session = make_session(store, turns=1)
    folder = store.root / session.id
    write_tone(folder / "turn-001.flac")
    (folder / "inside.flac").symlink_to(folder / "turn-001.flac")  # even one that stays inside
    (folder / "out.flac").symlink_to(outside / "thesis.txt")
    with store.open_audio(session, "turn-001.flac") as f:
        assert f.read(4) == b"fLaC"
    for name in ("inside.flac", "out.flac"):
        with pytest.raises(SessionError, match="is a link"):
            store.audio_path(session, name)
        with pytest.raises(SessionError, match="is a link"):
            store.open_audio(session, name)
    (folder / "turn-005.flac").symlink_to(outside / "thesis.txt")
    assert store.orphan_recordings(session) == [folder / "turn-001.flac"]


def test_a_linked_session_file_or_lock_is_refused(store: SessionStore, outside: Path) -> None:
    session = make_session(store, turns=1)
    folder = store.root / session.id
    (folder / LOCK_FILE).unlink()
    (folder / LOCK_FILE).symlink_to(outside / "new-file")
    with pytest.raises(SessionError, match="has a link where its lock file should be"):
        store.add_turn(session, TurnRecord(reply="x"))
    assert not (outside / "new-file").exists()
    (folder / LOCK_FILE).unlink()
    (folder / "session.json").unlink()
    (folder / "session.json").symlink_to(outside / "thesis.txt")
    with pytest.raises(SessionError, match="its file is a link, which Voxroom never follows"):
        store.open(session.id)
    assert (outside / "thesis.txt").read_text() == "four years of work"
