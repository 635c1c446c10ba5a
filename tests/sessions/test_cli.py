"""`voxroom sessions ...` and `voxroom replay ...` through tui.cli.main, with a recognisable fake API
key in the environment that must never appear in anything written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.sessions.conftest import make_session
from tui.cli import main
from tui.sessions.samples import sample_sessions_dir
from tui.sessions.store import SessionStore

FAKE_KEY = "vx-FAKE-KEY-7f3a9c1e5b2d-never-write-me"


@pytest.fixture
def data_dir(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MISTRAL_API_KEY", FAKE_KEY)
    return isolated_env


@pytest.fixture
def cli_store(data_dir: Path) -> SessionStore:
    return SessionStore(data_dir / "sessions")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_search(cli_store: SessionStore, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_session(cli_store, turns=2, title="Budget review")
    b = make_session(cli_store, turns=1, title="Hiring")
    code, out, err = run(capsys, "sessions", "list")
    assert code == 0 and err == ""
    assert a.id in out and b.id in out and "Budget review" in out and "2 turns" in out
    code, out, _ = run(capsys, "sessions", "list", "hiring", "--json")
    assert [s["id"] for s in json.loads(out)] == [b.id]
    code, out, _ = run(capsys, "sessions", "show", a.id)
    assert code == 0 and "Turn 2" in out and "Voxroom: Reply 1: the budget is fine." in out
    code, out, _ = run(capsys, "sessions", "search", "we", "ship")
    assert code == 0
    assert f"{a.id} turn 1 at 0:02  speaker_2: Answer 0: we ship in March." in out
    assert out.count("\n") == 3
    code, out, _ = run(capsys, "sessions", "search", "budget", "fine", "--json")
    hits = json.loads(out)
    assert {(h["session_id"], h["turn"], h["kind"]) for h in hits} == {
        (a.id, 1, "reply"),
        (a.id, 2, "reply"),
        (b.id, 1, "reply"),
    }
    code, out, _ = run(capsys, "sessions", "search", "zebra")
    assert code == 1 and "Nothing found" in out


def test_broken_session_is_reported_by_list(
    cli_store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_session(cli_store, turns=1)
    bad = make_session(cli_store, turns=1)
    (cli_store.root / bad.id / "session.json").write_text("{oops")
    code, out, err = run(capsys, "sessions", "list")
    assert code == 0 and good.id in out and bad.id not in out
    assert f"Session {bad.id} cannot be read" in err and "moved aside" in err
    code, _, err = run(capsys, "sessions", "show", bad.id)
    assert code == 2 and f"voxroom: Session {bad.id} cannot be opened" in err


def test_data_dir_flag(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = SessionStore(tmp_path / "elsewhere" / "sessions")
    session = make_session(other, turns=1, title="Elsewhere")
    code, out, _ = run(capsys, "sessions", "list")
    assert "No sessions yet." in out
    code, out, _ = run(capsys, "sessions", "list", "--data-dir", str(tmp_path / "elsewhere"))
    assert code == 0 and session.id in out
    _, out, _ = run(capsys, "--data-dir", str(tmp_path / "elsewhere"), "sessions", "list")
    assert session.id in out


def test_export_every_format(
    cli_store: SessionStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(cli_store, turns=2)
    for fmt in ("txt", "md", "srt", "vtt", "json"):
        target = tmp_path / f"out.{fmt}"
        code, out, err = run(capsys, "sessions", "export", session.id, "--format", fmt, "-o", str(target))
        assert code == 0 and out == "" and f"Wrote {target}" in err
        assert target.stat().st_size > 0
    assert (tmp_path / "out.vtt").read_text().startswith("WEBVTT")
    assert json.loads((tmp_path / "out.json").read_text())["id"] == session.id
    code, out, _ = run(capsys, "sessions", "export", session.id, "-f", "srt")
    assert out.startswith("1\n00:00:00,500 --> 00:00:02,000\nspeaker_1: Question number 0")
    code, _, err = run(
        capsys, "sessions", "export", session.id, "-f", "srt", "-o", str(tmp_path / "no" / "x.srt")
    )
    assert code == 2 and "does not exist" in err and "Create it first" in err


def test_rename_and_merge_speakers(cli_store: SessionStore, capsys: pytest.CaptureFixture[str]) -> None:
    session = make_session(cli_store, turns=1)
    code, out, _ = run(capsys, "sessions", "rename-speaker", session.id, "speaker_1", "Alice")
    assert code == 0 and "speaker_1 is now 'Alice'" in out
    code, out, _ = run(capsys, "sessions", "export", session.id, "-f", "txt")
    assert "Alice : Question number 0" in out and "speaker_1" not in out
    code, out, _ = run(capsys, "sessions", "merge-speakers", session.id, "speaker_2", "Alice")
    assert code == 0 and "1 segment relabelled" in out
    assert cli_store.open(session.id).speakers == ["speaker_1"]
    code, _, err = run(capsys, "sessions", "rename-speaker", session.id, "speaker_9", "Zed")
    assert code == 2 and "has no speaker 'speaker_9'" in err
    code, out, _ = run(capsys, "sessions", "speakers", "--prefix", "al")
    assert out.splitlines() == ["Alice"]


def test_delete_needs_yes(cli_store: SessionStore, capsys: pytest.CaptureFixture[str]) -> None:
    session = make_session(cli_store, turns=1)
    code, _, err = run(capsys, "sessions", "delete", session.id)
    assert code == 2 and "needs confirmation" in err and "--yes" in err
    assert (cli_store.root / session.id).is_dir()
    code, out, _ = run(capsys, "sessions", "delete", session.id, "--yes")
    assert code == 0 and f"Deleted session {session.id}." in out
    assert not (cli_store.root / session.id).exists()
    code, _, err = run(capsys, "sessions", "delete", "sample:endgame", "--yes")
    assert code == 2 and "not in the session store" in err
    broken = make_session(cli_store, turns=1)
    (cli_store.root / broken.id / "session.json").write_text("{")
    code, out, _ = run(capsys, "sessions", "delete", broken.id, "--yes")
    assert code == 0 and not (cli_store.root / broken.id).exists()


def test_replay_sample_and_path(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "replay", "sample:endgame", "--no-play")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Endgame read-through: Nagg and Nell  (endgame)"
    assert "[0:00 -> 0:01] Nagg : Do you hear me?" in lines
    assert "[0:02 -> 0:02] Nell : Yes." in lines
    # the turn headers and lines are those of sessions show: one format everywhere
    code, shown, _ = run(capsys, "sessions", "show", "sample:endgame")
    assert code == 0

    def timed(text: str) -> list[str]:
        return [x for x in text.splitlines() if x.startswith(("[", "Turn "))]

    assert timed(out) == timed(shown) and any(x.startswith("Turn 2 · ") for x in timed(out))
    assert "Voxroom: That's Nagg and Nell, in Beckett's Endgame, from 1957." in lines
    assert "  - Endgame (play) - Wikipedia <https://en.wikipedia.org/wiki/Endgame_(play)>" in lines
    samples = sample_sessions_dir()
    assert samples is not None
    shutil.copytree(samples / "beckett", tmp_path / "beckett-copy")
    code, out, _ = run(capsys, "replay", str(tmp_path / "beckett-copy"), "--no-play", "--turn", "2")
    assert code == 0
    assert "Ada : I think that America do it very well." in out and "Fail better" not in out
    assert "(Failed at agent: The agent did not answer within 60 s. Try again.)" in out
    code, _, err = run(capsys, "replay", "no-such-session", "--no-play")
    assert code == 2 and "There is no session 'no-such-session'" in err


def test_api_key_never_written(
    cli_store: SessionStore, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(cli_store, turns=2)
    outputs = tmp_path / "exports"
    outputs.mkdir()
    printed = []
    for argv in (
        ["sessions", "list"],
        ["sessions", "list", "--json"],
        ["sessions", "show", session.id],
        ["sessions", "search", "budget"],
        ["sessions", "rename-speaker", session.id, "speaker_1", "Alice"],
        ["replay", session.id, "--no-play"],
        *(
            ["sessions", "export", session.id, "-f", f, "-o", str(outputs / f"s.{f}")]
            for f in ("txt", "md", "srt")
        ),
        *(
            ["sessions", "export", session.id, "-f", f, "-o", str(outputs / f"s.{f}")]
            for f in ("vtt", "json")
        ),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 0, (argv, err)
        printed.append(out + err)
    written = [p for root in (data_dir, outputs) for p in root.rglob("*") if p.is_file()]
    assert len(written) >= 8
    for path in written:
        assert FAKE_KEY.encode() not in path.read_bytes(), path
    assert all(FAKE_KEY not in text for text in printed)
