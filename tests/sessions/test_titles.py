"""`voxroom sessions rename ID TITLE`, and the one time format of `sessions show` and Markdown export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.sessions.conftest import make_session
from tui.sessions.clock import clock_of, clock_time, line_time, turn_header
from tui.sessions.export import export_session
from tui.sessions.store import SessionStore


@pytest.fixture
def cli_store(isolated_env: Path) -> SessionStore:
    return SessionStore(isolated_env / "sessions")


def test_rename_gives_a_title_that_list_and_show_use(
    cli_store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(cli_store, turns=1)
    code, out, err = run_cli(capsys, "sessions", "rename", session.id[:15], 'Budget: Q3 "final"\nreview')
    assert code == 0 and err == ""
    assert out == f"Session {session.id} is now titled 'Budget: Q3 \"final\" review'.\n"
    code, out, _ = run_cli(capsys, "sessions", "list")
    assert code == 0 and 'Budget: Q3 "final" review' in out and len(out.splitlines()) == 1
    code, out, _ = run_cli(capsys, "sessions", "show", session.id)
    assert out.splitlines()[0] == 'Budget: Q3 "final" review'
    saved = json.loads((cli_store.root / session.id / "session.json").read_text())
    assert saved["title"] == 'Budget: Q3 "final" review' and saved["auto_title"] is False


def test_a_title_is_cleaned_and_bounded(cli_store: SessionStore, capsys: pytest.CaptureFixture[str]) -> None:
    session = make_session(cli_store, turns=1)
    code, _, _ = run_cli(capsys, "sessions", "rename", session.id, "\x1b[31mRed\u202e " + "x" * 500)
    assert code == 0
    title = cli_store.open(session.id).title
    assert title.startswith("Red x") and len(title) == 200 and title.endswith("[…cut at 200 characters]")
    assert "\x1b" not in title and "\u202e" not in title


def test_an_empty_title_goes_back_to_the_first_words(
    cli_store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(cli_store, turns=1)
    code, out, _ = run_cli(capsys, "sessions", "rename", session.id, "")
    assert code == 0 and "has no title of its own now" in out
    assert cli_store.open(session.id).title == "Question number 0 about the budget?"


def test_a_sample_cannot_be_renamed(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "sessions", "rename", "sample:endgame", "Mine")
    assert code == 2 and err.startswith("voxroom: Session") and "read-only" in err and err.count("\n") == 1


def test_show_and_markdown_share_one_time_format(cli_store: SessionStore) -> None:
    session = make_session(cli_store, turns=2)
    header = turn_header(session.turns[1])
    assert re.fullmatch(r"Turn 2 · \d\d:\d\d · question", header)
    assert header == f"Turn 2 · {clock_of(session.turns[1].created)} · question"
    txt = export_session(session, "txt").splitlines()
    md = export_session(session, "md").splitlines()
    assert header in txt and f"### {header}" in md
    # turn 2 starts at 5 s on the session timeline; its second line at 2.5 s into it
    assert line_time(7.5) == "0:08"
    assert "[0:08 -> 0:10] speaker_2 : Answer 1: we ship in March." in txt
    assert "**[0:08] speaker\\_2:** Answer 1: we ship in March.  " in md


def test_clock_time_is_the_turns_start_plus_the_time_into_it() -> None:
    from datetime import UTC, datetime

    from tui.sessions.model import Session, TurnRecord

    session = Session(id="c", created="2026-11-25T13:00:00Z")
    session.add_turn(TurnRecord(duration=5.0, created="2026-11-25T13:09:58Z"))
    session.add_turn(TurnRecord(duration=5.0, created="2026-11-25T14:30:59Z"))

    def local(h: int, m: int, s: int) -> str:
        return datetime(2026, 11, 25, h, m, s, tzinfo=UTC).astimezone().strftime("%H:%M")

    assert clock_time(session, 1.0) == local(13, 9, 59)
    assert clock_time(session, 4.0) == local(13, 10, 2)  # still the first turn's recording
    assert clock_time(session, 6.0) == local(14, 31, 0)  # 1 s into the second turn
    assert turn_header(session.turns[1]) == f"Turn 2 · {local(14, 30, 59)} · question"
    session.turns[0].created = "garbage"
    assert clock_time(session, 1.0) == local(13, 0, 1)  # falls back to the session's start
