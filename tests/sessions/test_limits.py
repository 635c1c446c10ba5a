"""One table of limits on both sides: text is cut once, where it enters, visibly and with a note, and
what is saved is exactly what is loaded again."""

from __future__ import annotations

import json

from tests.sessions.conftest import make_session
from tui.model import Reference, Segment
from tui.sessions.model import LIMITS, Session, TurnRecord, cut_mark
from tui.sessions.store import SessionStore


def test_a_long_reply_is_cut_once_visibly_and_survives_saves(store: SessionStore) -> None:
    cap = LIMITS["text"]
    session = make_session(store, turns=0)
    turn = store.add_turn(session, TurnRecord(reply="word " * 30_000))  # 150,000 characters
    assert len(turn.reply) == cap and turn.reply.endswith(cut_mark(cap))
    assert turn.truncated == [f"the reply was cut at {cap} characters"]
    first = (store.root / session.id / "session.json").read_bytes()
    again = store.open(session.id)
    assert again.turns[0].reply == turn.reply and again.turns[0].truncated == turn.truncated
    store.update(again, lambda latest: latest.set_title("Renamed"))
    third = store.open(session.id)
    assert third.turns[0].reply == turn.reply  # not cut a second time
    assert third.turns[0].truncated == turn.truncated  # nor noted twice
    assert json.loads(first)["turns"][0]["reply"]["text"] == turn.reply


def test_a_change_after_construction_is_cut_on_save_the_same_way(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    turn = session.turns[0]
    turn.segments[0].text = "x" * (LIMITS["segment"] + 5)
    turn.references = [Reference(f"Ref {n}", f"https://e.com/{n}") for n in range(LIMITS["references"] + 3)]
    store.update_turn(session, turn)
    saved = json.loads((store.root / session.id / "session.json").read_text())["turns"][0]
    text = saved["transcript"]["segments"][0]["text"]
    assert len(text) == LIMITS["segment"] and text.endswith(cut_mark(LIMITS["segment"]))
    assert len(saved["reply"]["references"]) == LIMITS["references"]
    assert saved["truncated"] == [
        f"kept the first {LIMITS['references']} of {LIMITS['references'] + 3} references",
        f"segment 1 was cut at {LIMITS['segment']} characters",
    ]
    assert session.turns[0].to_dict() == saved  # the in-memory session holds what was saved
    assert store.open(session.id).turns[0].to_dict() == saved


def test_limits_apply_when_loading_a_file_and_the_result_is_stable(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["title"] = "T" * 10_000
    data["turns"][0]["reply"]["text"] = "x" * 1_000_000
    data["turns"][0]["error"] = "e" * 5_000
    path.write_text(json.dumps(data))
    loaded = store.open(session.id)
    assert len(loaded.title) == LIMITS["title"] and loaded.title.endswith(cut_mark(LIMITS["title"]))
    assert loaded.truncated == [f"the title was cut at {LIMITS['title']} characters"]
    assert loaded.turns[0].reply.endswith(cut_mark(LIMITS["text"]))
    assert loaded.turns[0].error is not None and len(loaded.turns[0].error) == LIMITS["error"]
    assert loaded.turns[0].truncated == [
        f"the reply was cut at {LIMITS['text']} characters",
        f"the error was cut at {LIMITS['error']} characters",
    ]
    assert Session.from_dict(loaded.to_dict()).to_dict() == loaded.to_dict()


def test_text_within_the_limits_is_never_touched() -> None:
    exact = "y" * LIMITS["text"]
    turn = TurnRecord(reply=exact, segments=[Segment(0, 1, "speaker_1", "z" * LIMITS["segment"])])
    assert turn.reply == exact and turn.truncated == []
    assert TurnRecord.from_dict(turn.to_dict()).to_dict() == turn.to_dict()
