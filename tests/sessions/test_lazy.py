"""Sessions without turns: written only when their first recording or turn arrives, hidden and cleaned
up after a day; titles that tell sessions apart; a status mark for an unfinished last turn."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session, write_tone
from tui.cli import main
from tui.model import Segment
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import EMPTY_MAX_AGE_S, SessionStore


def _age(folder: Path, seconds: float) -> None:
    when = time.time() - seconds
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (when, when), follow_symlinks=False)


def _spoken(text: str, status: str = "done") -> TurnRecord:
    return TurnRecord(duration=2.0, segments=[Segment(0.0, 2.0, "speaker_1", text)], status=status)


def test_a_session_is_written_by_its_first_recording_or_turn(store: SessionStore) -> None:
    idle = store.create(backend="offline", persist=False)
    folder = store.root / idle.id
    assert folder.is_dir() and not (folder / "session.json").exists()
    assert store.list().sessions == [] and store.list().broken == []
    used = store.create(backend="offline", models={"transcription": "tiny.en"}, persist=False)
    clip = store.reserve_recording(used)
    assert clip.name == "turn-001.flac"
    on_disk = store.open(used.id)
    assert on_disk.turns == [] and on_disk.models["transcription"] == "tiny.en"  # written now
    write_tone(clip)
    store.add_turn(used, _spoken("Shall we start with the budget for next year?"))
    third = store.create(persist=False)
    store.add_turn(third, TurnRecord(duration=1.0))
    assert {s.id for s in store.list().sessions} == {used.id, third.id}


def test_empty_sessions_older_than_a_day_are_hidden_and_removed_only_by_clean_up(store: SessionStore) -> None:
    old_empty = make_session(store, turns=0)
    never_written = store.create(persist=False)
    old_with_audio = make_session(store, turns=0)
    write_tone(store.root / old_with_audio.id / "turn-001.flac")  # a crash: the recording is kept
    old_with_turns = make_session(store, turns=1)
    young_empty = make_session(store, turns=0)
    for session in (old_empty, never_written, old_with_audio, old_with_turns):
        _age(store.root / session.id, EMPTY_MAX_AGE_S + 60)
    store.list()  # (the index may already hold them: the second listing must agree)
    listing = store.list()
    assert {s.id for s in listing.sessions} == {old_with_audio.id, old_with_turns.id, young_empty.id}
    assert (store.root / old_empty.id).is_dir() and (store.root / never_written.id).is_dir()
    assert set(store.clean_up()) == {old_empty.id, never_written.id}
    assert {s.id for s in store.list().sessions} == {old_with_audio.id, old_with_turns.id, young_empty.id}
    assert not (store.root / old_empty.id).exists()
    assert not (store.root / never_written.id).exists()
    assert (store.root / old_with_audio.id / "turn-001.flac").is_file()


def test_the_default_title_becomes_the_first_words(store: SessionStore) -> None:
    session = store.create(persist=False)
    assert session.title.startswith("Meeting ") and session.auto_title
    store.add_turn(session, TurnRecord(duration=1.0, status="no-speech"))
    assert session.title.startswith("Meeting ")
    store.add_turn(session, _spoken("  Shall we\nstart with the budget for next year?"))
    assert session.title == "Shall we start with the budget…"
    store.add_turn(session, _spoken("Something else entirely."))
    assert store.open(session.id).title == "Shall we start with the budget…"
    named = store.create(title="Board meeting", persist=False)
    store.add_turn(named, _spoken("Hello everyone"))
    assert named.title == "Board meeting"
    assert store.set_title(named, "") == "Hello everyone"  # back to automatic
    assert store.set_title(named, "Q3\nboard") == "Q3 board"
    store.add_turn(named, _spoken("More"))
    assert store.open(named.id).title == "Q3 board"


def test_an_older_default_title_is_automatic_too(store: SessionStore) -> None:
    session = make_session(store, turns=0)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data.pop("auto_title")
    data["title"] = "Meeting 2026-11-20 10:00"
    path.write_text(json.dumps(data))
    again = store.open(session.id)
    assert again.auto_title
    store.add_turn(again, _spoken("Nagg and Nell speak"))
    assert store.open(session.id).title == "Nagg and Nell speak"
    data["title"] = "Kept as it was"
    assert not Session.from_dict(data).auto_title


def test_the_list_marks_an_unfinished_last_turn(
    store: SessionStore, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = make_session(store, turns=1, title="All good")
    broken = make_session(store, turns=1, title="Cut short")
    store.add_turn(broken, _spoken("And then", status="interrupted"))
    by_id = {s.id: s for s in store.list().sessions}
    assert (by_id[done.id].status, by_id[broken.id].status) == ("", "interrupted")
    assert {s.id: s.status for s in store.list().sessions} == {done.id: "", broken.id: "interrupted"}  # warm
    assert main(["sessions", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(broken.id) and "[interrupted] Cut short" in line for line in lines)
    assert any(line.startswith(done.id) and "[" not in line.split("turn")[1] for line in lines)
