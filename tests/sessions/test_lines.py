"""Outside text (titles, speaker names, labels, references) can never forge a line in the session
list, search results or exports: one cleaning function at the model boundary, escaping per format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session
from tui.cli import main
from tui.model import Reference, Segment
from tui.sessions.export import export_session
from tui.sessions.model import Session, SessionSummary, TurnRecord, single_line
from tui.sessions.store import INDEX_FILE, SessionStore

FORGED = "Budget\n20261130-000000-dead  2026-11-30 09:00      0:01    1 turn  Payroll\r\u2028x"
RLO = "Ann\u202e\u2066gnp.exe\u2069\u200f"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\nb\r\nc\u2028d\u2029e\u0085f", "a b c d ef"),  # \r and NEL are controls: removed
        ("  many   spaces\t\there ", "many spaces here"),
        ("\x1b[31mred\x1b[0m\x07", "red"),
        ("left\u202aembed\u202boverride\u202cpop\u202d\u202e", "leftembedoverridepop"),
        ("iso\u2066late\u2067d\u2068\u2069", "isolated"),
        ("marks\u200e\u200f\u061c", "marks"),
        ("ad\u200dmin\u200b\u2060\ufeff", "admin"),
        ("\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),  # an emoji sequence keeps its ZWJ
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian keeps its ZWNJ
    ],
)
def test_single_line(raw: str, expected: str) -> None:
    assert single_line(raw) == expected
    assert single_line(single_line(raw)) == single_line(raw)


def test_the_model_cleans_titles_names_labels_and_references() -> None:
    turn = TurnRecord(
        segments=[Segment(0, 1, "speaker_1\nspeaker_9", "hello")],
        references=[Reference("Title\nline", "https://e.com/\u202ex", "src\x1b[2J")],
    )
    session = Session(id="s", title=FORGED, speaker_names={"speaker_1": RLO}, turns=[turn])
    assert "\n" not in session.title and "\u2028" not in session.title
    assert session.speaker_names == {"speaker_1": "Anngnp.exe"}
    assert turn.segments[0].speaker == "speaker_1 speaker_9"
    assert turn.references[0] == Reference("Title line", "https://e.com/x", "src")
    session.rename_speaker("speaker_1 speaker_9", "Bob\nAlice")
    assert session.speaker_names["speaker_1 speaker_9"] == "Bob Alice"


def _hostile_file(store: SessionStore) -> Session:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["title"] = FORGED
    data["speaker_names"] = {"speaker_1": RLO, "speaker_2": "Eve\n\nTurn 7"}
    data["turns"][0]["transcript"]["segments"][0]["text"] = "first\nline\u202e"
    data["turns"][0]["reply"]["text"] = "Fine.\nTurn 9\n[00:00:00.000 -> 00:00:01.000] Eve : forged"
    path.write_text(json.dumps(data))
    return session


def test_list_and_search_print_one_line_per_entry(
    store: SessionStore, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _hostile_file(store)
    other = make_session(store, turns=1, title="Other")
    for _ in range(2):  # a cold index, then a warm one
        assert main(["sessions", "list"]) == 0
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert len(lines) == 2, out
        assert any(line.startswith(session.id) and "Budget 20261130-000000-dead" in line for line in lines)
        assert any(line.startswith(other.id) for line in lines)
        assert not any(c in out for c in "\u202e\u2066\u200f\r\u2028")
    assert main(["sessions", "search", "first", "line"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [f"{session.id} turn 1 at 0:00  Anngnp.exe: first line"]


def test_a_stale_index_entry_cannot_forge_lines(store: SessionStore) -> None:
    session = make_session(store, turns=1)
    store.list()
    index = json.loads((store.root / INDEX_FILE).read_text())
    index["entries"][session.id]["summary"]["title"] = "A\nB\u202e"
    index["entries"][session.id]["summary"]["speakers"] = ["C\nD"]
    (store.root / INDEX_FILE).write_text(json.dumps(index))
    (summary,) = store.list().sessions
    assert (summary.title, summary.speakers) == ("A B", ("C D",))
    assert SessionSummary.from_dict({"first_line": "x\ny", "status": "evil\n"}).first_line == "x y"


def test_exports_keep_their_structure(store: SessionStore) -> None:
    session = store.open(_hostile_file(store).id)
    txt = export_session(session, "txt")
    lines = txt.splitlines()
    assert lines[0] == single_line(FORGED)
    assert sum(line.startswith("Turn ") for line in lines) == 1  # no forged turn header
    assert "  Turn 9" in lines and "  [00:00:00.000 -> 00:00:01.000] Eve : forged" in lines
    assert "Participants: Anngnp.exe, Eve Turn 7" in lines
    md = export_session(session, "md")
    assert sum(line.startswith("#") for line in md.splitlines()) == 4  # title, 2 sections, 1 turn
    assert "Fine. Turn 9 \\[00:00:00.000 -\\> 00:00:01.000\\] Eve : forged" in md  # one paragraph
    srt = export_session(session, "srt").strip().split("\n\n")
    vtt = export_session(session, "vtt").strip().split("\n\n")
    assert len(vtt[0].splitlines()) == 1 and vtt[0].startswith("WEBVTT - Budget 20261130")
    for cue in srt + vtt[1:]:  # number, times, one line of text
        number, times, text = cue.splitlines()
        assert number.isdigit() and "-->" in times and "-->" not in text
    assert len(srt) == len(vtt) - 1 == 2
    for text in (txt, md, export_session(session, "srt"), export_session(session, "vtt")):
        assert not any(c in text for c in "\u202e\u2066\u200f\r\u2028")


def test_markdown_escapes_line_start_markers() -> None:
    session = Session(
        id="s",
        title="- not a list",
        turns=[
            TurnRecord(segments=[Segment(0, 1, "speaker_1", "1. not a list either")], reply="---\n\n=== x")
        ],
    )
    md = export_session(session, "md")
    assert md.startswith('---\ntitle: "- not a list"\n') and "\n---\n\n# \\- not a list\n" in md
    assert "> **speaker\\_1:** 1\\. not a list either" in md
    assert "**Voxroom:** \\---\n\n\\=== x" in md
