"""The session store on a real file system: saving, listing, broken files, permissions, turns."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session, turn_result, write_tone
from tui.lifecycle import SessionLog
from tui.sessions.model import SCHEMA_VERSION, TurnRecord
from tui.sessions.replay import replay_plan
from tui.sessions.samples import sample_names, sample_sessions_dir
from tui.sessions.store import INDEX_FILE, INDEX_VERSION, SessionError, SessionStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_save_open_round_trip(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    again = store.open(session.id)
    assert again.to_dict() == session.to_dict()
    assert again.folder == store.root / session.id
    assert [t.index for t in again.turns] == [1, 2]
    assert again.duration == pytest.approx(10.0)
    assert again.first_line == "speaker_1: Question number 0 about the budget?"


def test_files_are_private(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    log = SessionLog(store, session)
    clip = log.recording_path()
    write_tone(clip)
    log.complete(log.begin(clip), turn_result([(0.0, 1.0, "speaker_1", "Hi")], speech_seconds=0.2))
    store.rename_speaker(session, "speaker_1", "Alice")
    store.list()
    assert mode(store.root) == 0o700
    assert mode(store.root / session.id) == 0o700
    files = [p for p in store.root.rglob("*") if p.is_file()] + [store.known_speakers_path]
    assert {p.name for p in files} >= {"session.json", "turn-002.flac", "turn-002-reply.flac", INDEX_FILE}
    for path in files:
        assert mode(path) == 0o600, path


def test_unique_prefix_opens_and_ambiguous_prefix_is_refused(store: SessionStore) -> None:
    a = make_session(store, turns=0)
    for name in ("alpha-1", "alpha-2", "beta-1"):
        shutil.copytree(store.root / a.id, store.root / name)
    assert store.open("beta").id == "beta-1"
    assert store.open("alpha-2").id == "alpha-2"
    with pytest.raises(SessionError, match="'alpha' matches 2 sessions"):
        store.open("alpha")
    with pytest.raises(SessionError, match="There is no session 'nope'"):
        store.open("nope")


def test_list_summaries_and_filter(store: SessionStore) -> None:
    a = make_session(store, turns=1, title="Budget review")
    b = make_session(store, turns=3, title="Hiring")
    store.rename_speaker(b, "speaker_1", "Grace")
    listing = store.list()
    assert {s.id for s in listing.sessions} == {a.id, b.id}
    assert listing.broken == []
    by_id = {s.id: s for s in listing.sessions}
    assert by_id[b.id].turns == 3
    assert by_id[b.id].duration == pytest.approx(15.0)
    assert by_id[b.id].first_line.startswith("Grace: Question number 0")
    assert [s.id for s in listing.filter("grace")] == [b.id]
    assert [s.id for s in listing.filter("budget REVIEW")] == [a.id]


def test_index_lost_or_damaged_is_rebuilt(store: SessionStore) -> None:
    ids = {make_session(store, turns=1).id for _ in range(3)}
    first = store.list()
    index = store.root / INDEX_FILE
    assert json.loads(index.read_text())["version"] == INDEX_VERSION
    for damage in (b"", b"{not json", b'{"version": 1, "entries": []}', b"[1,2,3]"):
        index.write_bytes(damage)
        assert {s.id for s in store.list().sessions} == ids
    index.unlink()
    assert store.list().sessions == first.sessions
    assert index.exists()


def test_index_follows_changes(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    assert store.list().sessions[0].turns == 1
    store.add_turn(session, TurnRecord(duration=2.0))
    assert store.list().sessions[0].turns == 2
    store.delete(session.id)
    assert store.list().sessions == []


def test_corrupt_file_is_moved_aside_and_reported(store: SessionStore) -> None:
    good = make_session(store, turns=1)
    bad = make_session(store, turns=1)
    store.list()  # the index now caches both
    (store.root / bad.id / "session.json").write_bytes(b'{"schema_version": 2, "turns": [')
    with pytest.raises(SessionError, match=f"Session {bad.id} cannot be read: it is not valid JSON") as err:
        store.open(bad.id)
    assert "moved aside as session.json.corrupt-" in str(err.value)
    moved = list((store.root / bad.id).glob("session.json.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == b'{"schema_version": 2, "turns": ['
    listing = store.list()
    assert [s.id for s in listing.sessions] == [good.id]
    assert [b.id for b in listing.broken] == [bad.id]
    assert listing.broken[0].moved_to == moved[0]
    assert "moved aside" in listing.broken[0].reason
    assert store.open(good.id).turns[0].reply.startswith("Reply 0")


def test_corrupt_file_found_by_list_is_moved_aside(store: SessionStore) -> None:
    bad = make_session(store, turns=0)
    (store.root / bad.id / "session.json").write_bytes(b"\x00\xff garbage")
    listing = store.list()
    assert listing.sessions == []
    assert listing.broken[0].id == bad.id
    assert listing.broken[0].moved_to is not None and listing.broken[0].moved_to.exists()
    assert not (store.root / bad.id / "session.json").exists()


def test_newer_schema_is_refused_and_left_alone(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError, match="written by a newer Voxroom") as err:
        store.open(session.id)
    assert err.value.hint == "Update Voxroom to open it."
    assert path.exists()
    assert not list(path.parent.glob("*.corrupt-*"))
    listing = store.list()
    assert listing.broken[0].id == session.id and "newer Voxroom" in listing.broken[0].reason
    assert store.list().broken[0].reason == listing.broken[0].reason  # cached, still reported


def test_too_large_file_is_refused(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    size = (store.root / session.id / "session.json").stat().st_size
    small = SessionStore(store.root)
    small.max_file_bytes = size - 1
    with pytest.raises(SessionError, match="too large"):
        small.open(session.id)
    assert (store.root / session.id / "session.json").exists()
    assert store.open(session.id).id == session.id


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "a/b.flac", "..\\x.wav", ""])
def test_path_traversal_refused(store: SessionStore, name: str) -> None:
    session = make_session(store, turns=1)
    with pytest.raises(SessionError, match="Refused the file name"):
        store.audio_path(session, name)


def test_traversal_in_file_is_dropped_with_a_message(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["turns"][0]["recording"] = "../../etc/passwd"
    data["turns"][0]["reply"]["audio"] = "/etc/shadow"
    path.write_text(json.dumps(data))
    again = store.open(session.id)
    assert again.turns[0].recording is None
    assert again.turns[0].reply_audio is None
    assert any("'../../etc/passwd'" in p and "outside the session folder" in p for p in again.problems)
    assert any("'/etc/shadow'" in p for p in again.problems)
    steps = replay_plan(store, again)
    assert all(step.path is None for step in steps)


def test_symlink_out_of_the_folder_is_refused(store: SessionStore, tmp_path: Path) -> None:
    session = make_session(store, turns=1)
    outside = tmp_path / "secret.flac"
    write_tone(outside)
    (store.root / session.id / "link.flac").symlink_to(outside)
    with pytest.raises(SessionError, match="points outside"):
        store.audio_path(session, "link.flac")


def test_huge_fields_are_capped_and_cleaned(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["title"] = "\x1b[31mRed\x1b[0m" + "T" * 10_000
    data["turns"][0]["reply"]["text"] = "x" * 1_000_000
    data["turns"][0]["transcript"]["segments"][0]["text"] = "\x1b]0;pwned\x07hello\x9b"
    data["turns"][0]["transcript"]["segments"][0]["start"] = "NaN"
    data["turns"][0]["duration"] = 1e308
    path.write_text(json.dumps(data))
    again = store.open(session.id)
    assert again.title.startswith("RedTTT") and len(again.title) == 200
    assert again.title.endswith(" […cut at 200 characters]")
    assert len(again.turns[0].reply) == 100_000 and again.turns[0].reply.endswith(" characters]")
    assert again.turns[0].segments[0].text == "hello"
    assert again.turns[0].segments[0].start == 0.0
    assert again.turns[0].duration == 10 * 24 * 3600.0


def test_an_orphan_recording_is_not_overwritten(store: SessionStore) -> None:
    session = store.create()
    log = SessionLog(store, session)
    first = log.recording_path()
    write_tone(first)  # captured, then the app crashed before the turn was saved
    assert store.orphan_recordings(session) == [first]
    second = log.recording_path()
    assert second != first and second.stat().st_size == 0  # reserved for the next turn, empty


def test_update_turn(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    turn = session.turns[1]
    turn.reply = "Corrected."
    store.update_turn(session, turn)
    assert store.open(session.id).turns[1].reply == "Corrected."
    with pytest.raises(SessionError, match="has no turn 9"):
        store.update_turn(session, TurnRecord(index=9))


def test_rename_and_merge_speakers(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    assert store.rename_speaker(session, "speaker_1", "Alice") == "speaker_1"
    assert store.rename_speaker(session, "alice", "Alice B.") == "speaker_1"  # by current name
    assert store.open(session.id).speaker_names == {"speaker_1": "Alice B."}
    changed = store.merge_speakers(session, "speaker_2", "Alice B.")
    assert changed == 2
    again = store.open(session.id)
    assert again.speakers == ["speaker_1"]
    assert again.participants == ["Alice B."]
    with pytest.raises(SessionError, match="no speaker 'Bob'"):
        store.rename_speaker(again, "Bob", "Robert")
    with pytest.raises(SessionError, match="same speaker"):
        store.merge_speakers(again, "speaker_1", "Alice B.")


def test_names_are_offered_in_later_sessions(store: SessionStore) -> None:
    a = make_session(store, turns=1)
    store.rename_speaker(a, "speaker_1", "Alice")
    store.rename_speaker(a, "speaker_2", "Bob")
    b = make_session(store, turns=1)
    store.rename_speaker(b, "speaker_2", "Alina")
    known = SessionStore(store.root).known_speakers()
    assert set(known.names()) == {"Alice", "Bob", "Alina"}
    assert known.suggestions("al") in (["Alina", "Alice"], ["Alice", "Alina"])
    assert known.suggestions("b") == ["Bob"]
    store.known_speakers_path.write_bytes(b"{broken")
    assert known.names() == []
    known.remember("Carol")
    assert known.names() == ["Carol"]


def test_delete(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    store.delete(session.id)
    assert not (store.root / session.id).exists()
    for bad in ("../x", "..", session.id):
        with pytest.raises(SessionError):
            store.delete(bad)


def test_no_sample_is_listed_as_unfinished(store: SessionStore) -> None:
    """A sample may show a failed turn, but none ends unfinished: a new user's list marks none."""
    for name in sample_names():
        sample = store.open(f"sample:{name}")
        assert sample.status_mark == "", name
        assert all(f.name != ".lock" for f in sample.folder.iterdir()), name  # type: ignore[union-attr]
    beckett = store.open("sample:beckett")
    assert [t.status for t in beckett.turns] == ["done", "failed", "done"]
    assert beckett.turns[2].transcript_text == beckett.turns[1].transcript_text  # asked again


def test_samples_open_read_only_and_copy_in(store: SessionStore) -> None:
    assert sample_sessions_dir() is not None
    assert {"endgame", "beckett"} <= set(sample_names())
    sample = store.open("sample:endgame")
    assert sample.read_only
    assert sample.participants == ["Nagg", "Nell"]
    with pytest.raises(SessionError, match="read-only"):
        store.save(sample)
    with pytest.raises(SessionError, match="no sample session 'nope'"):
        store.open("sample:nope")
    live = SessionLog(store, sample)
    assert not live.session.read_only
    assert live.session.folder is not None and live.session.folder.parent == store.root
    assert live.conversation_id == "conv_sample_endgame"
    assert (live.session.folder / "turn-001.flac").is_file()
    clip = live.recording_path()
    assert clip.name == "turn-003.flac"
    write_tone(clip)
    ref = live.begin(clip)
    live.complete(ref, turn_result([(0.0, 1.0, "speaker_1", "And then?")], conversation_id="conv_new"))
    again = store.open(live.session.id)
    assert len(again.turns) == 3 and again.conversation_id == "conv_new"
    steps = replay_plan(store, again)
    assert [(s.turn, s.kind) for s in steps][:2] == [(1, "recording"), (1, "reply")]
    assert all(s.path is not None and s.path.is_file() for s in steps if s.kind == "recording")


def test_open_by_path(store: SessionStore, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    source = sample_sessions_dir()
    assert source is not None
    shutil.copytree(source / "beckett", folder)
    session = store.open(str(folder))
    assert session.id == "copy" and not session.read_only
    assert store.open(str(folder / "session.json")).title == "Quote check"
    assert store.open(str(source / "beckett")).read_only  # the shipped sample, by path


def test_replay_plan_highlights_the_line_being_played(store: SessionStore) -> None:
    session = store.open("sample:endgame")
    steps = replay_plan(store, session)
    first = steps[0]
    assert first.kind == "recording" and first.path is not None
    assert first.line_at(0.0) == 0
    assert first.line_at(1.5) == 0
    assert first.line_at(1.7) == 1
    assert first.line_at(99.0) == len(first.lines) - 1
    assert steps[1].kind == "reply" and steps[1].text.startswith("That's Nagg and Nell")
    beckett = replay_plan(store, store.open("sample:beckett"))
    failed = [s for s in beckett if s.turn == 2]
    assert [s.kind for s in failed] == ["recording"]


def test_stale_temp_files_of_interrupted_saves_are_removed(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    folder = store.root / session.id
    stale, fresh = folder / ".session.json.old.tmp", folder / ".session.json.new.tmp"
    stale.write_text("{half")
    fresh.write_text("{half")
    os.utime(stale, (1, 1))
    assert store.open(session.id).turns[0].index == 1
    assert not stale.exists() and fresh.exists()
    assert store.list().broken == []


def test_samples_are_found_in_an_installed_layout(tmp_path: Path) -> None:
    """An installed wheel has no top-level sessions/ folder, only tui/_sample_sessions."""
    import subprocess
    import sys

    import tui

    source = sample_sessions_dir()
    assert source is not None
    site = tmp_path / "site"
    shutil.copytree(Path(tui.__file__).parent, site / "tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(source, site / "tui" / "_sample_sessions")
    code = (
        "from tui.sessions.samples import sample_sessions_dir, sample_names; "
        "print(sample_sessions_dir()); print(sample_names())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    ).stdout.splitlines()
    assert out[0] == str(site / "tui" / "_sample_sessions")
    assert "endgame" in out[1] and "beckett" in out[1]
