"""A recognisable fake key through every command: it must appear in no file and no output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clip_path
from tests.standin import MistralStandIn, Reply, ScriptedReference, ScriptedSegment, TranscriptionScript
from tui.cli import main

CANARY = "sk-VOXROOM-CANARY-7f3e9a1c55d04b2e"


def test_the_key_appears_nowhere(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", CANARY)
    wav = str(clip_path("clone-test.wav"))
    printed = []

    def run(*args: str) -> int:
        code = main(list(args))
        out, err = capsys.readouterr()
        printed.append(out + err)
        return code

    mistral_env.script(Reply(text="First answer."), Reply(text="Second answer."))
    assert run("ask", wav, "--no-play") == 0
    session_id = printed[-1].strip().split()[-1].rstrip(".")
    mistral_env.fail("speech", 401, times=1)
    assert run("ask", wav, "--no-play", "--session", session_id) == 1
    assert run("retry", session_id, "--no-play") == 0
    assert run("transcribe", wav, "--format", "json") == 0
    assert run("say", "Hello.", "--out", str(tmp_path / "say.wav")) == 0
    for fmt in ("txt", "md", "srt", "vtt", "json"):
        assert run("sessions", "export", session_id, "--format", fmt, "-o", str(tmp_path / f"e.{fmt}")) == 0
    assert run("sessions", "list") == 0
    assert run("sessions", "show", session_id) == 0
    assert run("sessions", "search", "answer") == 0
    run("doctor", "--no-audio")

    everything = "\n".join(printed)
    assert "Second answer." in everything and "MISTRAL_API_KEY is set" in everything
    assert CANARY not in everything
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
    # What Voxroom keeps for the user is private to the user.
    for path in isolated_env.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, (path, oct(mode))
        else:
            assert mode & 0o077 == 0, (path, oct(mode))
    # The key did go where it belongs: the Authorization header of every request.
    assert all(r.has_key(CANARY) for r in mistral_env.requests)


def test_a_key_echoed_in_successful_answers_is_never_printed_or_saved(
    mistral_env: MistralStandIn, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transcription and the agent's reply (and its references) quote the key back, and the
    reply holds a lone surrogate (``\\ud800`` in its JSON): ``ask`` in a real process prints and
    saves both with the key masked and the text valid UTF-8."""
    monkeypatch.setenv("MISTRAL_API_KEY", CANARY)
    mistral_env.script(
        TranscriptionScript(segments=(ScriptedSegment(f"My key is {CANARY}.", "speaker_1", 0.0, 1.0),)),
        Reply(
            text=f"Your key {CANARY} is odd \ud800 indeed.",
            references=(ScriptedReference(f"About {CANARY}", f"https://example.com/?k={CANARY}"),),
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tui", "ask", str(clip_path("clone-test.wav")), "--no-play", "--json"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    printed = done.stdout + done.stderr
    assert CANARY.encode() not in printed and b"Traceback" not in printed
    data = json.loads(done.stdout)
    assert data["reply"]["text"] == "Your key *** is odd \ufffd indeed."
    saved = [p for p in isolated_env.rglob("*") if p.is_file()]
    assert any(p.name == "session.json" for p in saved)
    for path in saved:
        assert CANARY.encode() not in path.read_bytes(), path
    session = next(p for p in saved if p.name == "session.json").read_text(encoding="utf-8")
    assert "My key is ***." in session and "\\ud800" not in session
