"""SIGINT and SIGTERM while ``voxroom ask`` is answered: a real process against the stand-in; what
was received is saved and the turn is retried from where it stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import REPO, clip_path, run_cli
from tests.standin import MistralStandIn, Reply
from tui.sessions.store import SessionStore

SLOW = "The first words arrive. " + "then more " * 60


def _ask_until_the_reply_streams(mistral_env: MistralStandIn) -> tuple[subprocess.Popen[str], list[str]]:
    """``voxroom ask`` in a child process, returned once it has printed part of the reply."""
    mistral_env.script(Reply(text=SLOW, delta_delay=0.2))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "ask", str(clip_path("clone-test.wav")), "--no-play"],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    streaming = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(1):
            seen.append(chunk)
            if "words arrive." in "".join(seen[-40:]):
                streaming.set()
        streaming.set()

    threading.Thread(target=read, daemon=True).start()
    assert streaming.wait(60), "".join(seen)
    return proc, seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_reply_saves_what_was_received_and_retry_finishes_it(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str], sig: signal.Signals
) -> None:
    proc, seen = _ask_until_the_reply_streams(mistral_env)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, err
    printed = "".join(seen)
    assert "Transcription: " in printed and "Voxroom: The first words arrive." in printed
    assert f"stopped by {sig.name}" in err and "voxroom retry" in err

    store = SessionStore(isolated_env / "sessions")
    (summary,) = store.list().sessions
    session = store.open(summary.id)
    (turn,) = session.turns
    assert turn.status == "interrupted" and turn.failed_step == "agent"
    assert turn.segments and turn.transcript_text  # the transcript printed is the one saved
    assert turn.reply.startswith("The first words arrive.") and len(turn.reply) < len(SLOW.strip())
    assert (store.folder(session) / (turn.recording or "")).is_file()

    transcriptions = mistral_env.call_count("transcriptions")
    mistral_env.script(Reply(text="Finished now."))
    code, out, err = run_cli(capsys, "retry", session.id, "--no-play", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["index"] == 1 and data["status"] == "done" and data["reply"]["text"] == "Finished now."
    assert mistral_env.call_count("transcriptions") == transcriptions  # not transcribed again
    assert data["transcript"]["text"] == turn.transcript_text
