"""A turn's kind (question or notes) is saved with it; a file without one reads as questions."""

from __future__ import annotations

import json

from tests.sessions.conftest import make_session
from tui.model import TurnKind
from tui.sessions.clock import turn_header
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionStore


def test_the_kind_is_saved_and_read_back(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    store.add_turn(session, TurnRecord(duration=3.0, kind=TurnKind.NOTES))
    saved = json.loads((store.root / session.id / "session.json").read_text())
    assert [t["kind"] for t in saved["turns"]] == ["question", "notes"]
    again = store.open(session.id)
    assert [t.kind for t in again.turns] == [TurnKind.QUESTION, TurnKind.NOTES]
    assert turn_header(again.turns[1]).endswith(" · notes")


def test_an_old_file_without_kinds_reads_as_questions(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    for turn in data["turns"]:
        del turn["kind"]
    path.write_text(json.dumps(data))
    again = SessionStore(store.root).open(session.id)
    assert [t.kind for t in again.turns] == [TurnKind.QUESTION, TurnKind.QUESTION]
    assert again.problems == []


def test_an_unknown_kind_is_a_question_with_a_note(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["turns"][0]["kind"] = "\x1b[31mgossip"
    data["turns"][1]["kind"] = ["notes"]
    path.write_text(json.dumps(data))
    again = SessionStore(store.root).open(session.id)
    assert [t.kind for t in again.turns] == [TurnKind.QUESTION, TurnKind.QUESTION]
    assert len(again.problems) == 2 and all("as a question" in p for p in again.problems)
    assert not any("\x1b" in p for p in again.problems)
