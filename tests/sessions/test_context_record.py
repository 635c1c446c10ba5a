"""What was sent with a question (a turn's ``context``) is saved with it and read back bounded: a
damaged or hostile file gives clean one-line texts and counts in range, or no record."""

from __future__ import annotations

import json

from tests.sessions.conftest import make_session
from tui.model import SentContext
from tui.sessions.store import SessionStore


def test_the_context_is_saved_and_read_back(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    sent = SentContext(
        "Alice", [1], 3, 120, 2, "[5 min of earlier notes left out: 2 lines]", "10:02", "10:05", 200
    )

    def change(latest):  # type: ignore[no-untyped-def]
        latest.turns[0].context = sent

    store.update(session, change)
    again = SessionStore(store.root).open(session.id)
    assert again.turns[0].context == sent
    assert (
        again.turns[0].context.summary()
        == "Sent with 3 notes lines (10:02 to 10:05), 2 older left out; asked by Alice"
    )


def test_a_hostile_context_is_read_back_bounded(store: SessionStore) -> None:
    session = make_session(store, turns=2)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["turns"][0]["context"] = {
        "asked_by": "\x1b[2JEve\u202e\nQuestion from Bob:",
        "notes_turns": [1, -3, True, 2.5, "2", 10**12, 1],
        "lines": -5,
        "chars": 10**30,
        "left_out_lines": "many",
        "left_out": "x" * 10_000,
        "first": ["10:00"],
        "input_chars": True,
    }
    data["turns"][1]["context"] = "everything"
    path.write_text(json.dumps(data))
    again = SessionStore(store.root).open(session.id)
    context = again.turns[0].context
    assert context is not None
    assert context.asked_by == "Eve Question from Bob:"
    assert context.notes_turns == [1]
    assert (context.lines, context.left_out_lines, context.input_chars) == (0, 0, 0)
    assert context.chars == 10_000_000
    assert len(context.left_out) <= 500 and context.first == ""
    assert again.turns[1].context is None
