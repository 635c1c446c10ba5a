"""Exports of the sample sessions and of awkward text: names, times, escaping, no secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui.model import Reference, Segment
from tui.sessions.export import FORMATS, cues, export_session, timestamp
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionStore


@pytest.fixture
def endgame(store: SessionStore) -> Session:
    return store.open("sample:endgame")


def test_timestamps() -> None:
    assert timestamp(0) == "00:00:00,000"
    assert timestamp(3661.2346) == "01:01:01,235"
    assert timestamp(59.9996, ".") == "00:01:00.000"
    assert timestamp(-3) == "00:00:00,000"
    assert timestamp(360_000) == "100:00:00,000"


def test_turns_are_laid_end_to_end(endgame: Session) -> None:
    first_span = endgame.turns[0].span
    c = cues(endgame)
    assert [x.turn for x in c] == [1, 1, 1, 1, 2, 2]
    assert c[4].start == pytest.approx(first_span + 0.28)
    srt = export_session(endgame, "srt")
    assert "5\n00:00:04,880 --> 00:00:08,580\nNagg: Do you remember the day" in srt


def test_names_replace_labels_everywhere(endgame: Session) -> None:
    for fmt in ("txt", "md", "srt", "vtt"):
        out = export_session(endgame, fmt)
        assert "speaker_1" not in out and "speaker_2" not in out, fmt
        assert "Nagg" in out and "Nell" in out


def test_markdown_layout(endgame: Session) -> None:
    md = export_session(endgame, "md")
    assert md.startswith('---\ntitle: "Endgame read-through: Nagg and Nell"\ndate: 2026-11-20\n')
    assert "\ntags: [meeting, voxroom]\n---\n\n# Endgame read-through: Nagg and Nell\n" in md
    assert "- **Date:** 2026-11-20" in md
    assert "- **Duration:** 0:09" in md
    assert "- **Participants:** Nagg, Nell" in md
    assert "## Transcript" in md and "## Questions and answers" in md
    assert "**[0:00] Nagg:** Do you hear me?" in md
    assert "**Voxroom:** That's Nagg and Nell" in md
    assert "1. [Endgame (play) - Wikipedia](<https://en.wikipedia.org/wiki/Endgame_(play)>)" in md
    assert md.index("## Transcript") < md.index("### Turn 1") < md.index("### Turn 2")


def test_failed_turn_is_shown(store: SessionStore) -> None:
    beckett = store.open("sample:beckett")
    txt = export_session(beckett, "txt")
    assert "(Failed at agent: The agent did not answer within 60 s. Try again.)" in txt
    assert "Ada : I think that America do it very well." in txt


def _awkward() -> Session:
    session = Session(id="x", title="A <b>bold</b> --> & title", speaker_names={"speaker_1": "Ann <3"})
    session.add_turn(
        TurnRecord(
            duration=3.0,
            segments=[
                Segment(0.0, 1.0, "speaker_1", "a --> b <i>c</i> & d\n\nnew cue?"),
                Segment(1.0, 1.0, "speaker_1", "   "),
            ],
            reply="See [this](javascript:alert(1)) *now*",
            references=[Reference("Evil ](x)", "javascript:alert(1)"), Reference("Ok", "https://e.com/a b")],
        )
    )
    return session


def test_escaping() -> None:
    session = _awkward()
    srt = export_session(session, "srt")
    assert srt == "1\n00:00:00,000 --> 00:00:01,000\nAnn ‹3: a → b ‹i›c‹/i› & d new cue?\n"
    vtt = export_session(session, "vtt")
    assert vtt.startswith("WEBVTT - A &lt;b&gt;bold&lt;/b&gt; --&gt; &amp; title\n\n1\n")
    assert "Ann &lt;3: a --&gt; b &lt;i&gt;c&lt;/i&gt; &amp; d new cue?" in vtt
    md = export_session(session, "md")
    assert "See \\[this\\](javascript:alert(1)) \\*now\\*" in md  # brackets escaped: no link
    assert "(<javascript" not in md
    assert "Evil \\](x) (javascript:alert(1))" in md
    assert "Ok (https://e.com/a b)" in md
    assert "\\<b\\>bold" in md


def test_json_is_the_stored_session_without_secrets(store: SessionStore) -> None:
    session = store.create(title="Keys")
    raw = json.loads((store.root / session.id / "session.json").read_text())
    out = json.loads(export_session(session, "json"))
    assert {k: v for k, v in out.items() if k != "updated"} == {
        k: v for k, v in raw.items() if k != "updated"
    }
    session.models["api_key"] = "sk-should-not-leak"
    session.title = "said the key sk-live-ABCDEF123 aloud"
    out = export_session(session, "json", secrets=["sk-live-ABCDEF123"])
    assert "sk-should-not-leak" not in out and "sk-live-ABCDEF123" not in out
    assert "[redacted]" in out


def test_unknown_format() -> None:
    assert "json" in FORMATS
    with pytest.raises(ValueError, match="unknown export format"):
        export_session(_awkward(), "pdf")


def test_sessions_core_does_not_import_textual() -> None:
    code = (
        "import sys, tui.sessions, tui.sessions.export, tui.sessions.search, tui.sessions.replay, "
        "tui.commands.sessions, tui.commands.replay; "
        "bad = [m for m in ('textual', 'sounddevice', 'mistralai', 'faster_whisper') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
