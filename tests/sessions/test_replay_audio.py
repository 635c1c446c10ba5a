"""`voxroom replay` playing for real: recordings and replies through the Player on the virtual
sound server, each transcript line printed as it is heard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio.env import REPO, ensure_audio
from tests.sessions.conftest import write_tone
from tui.model import Segment
from tui.sessions.clock import turn_header
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionStore


@pytest.mark.audio
def test_replay_plays_recording_and_reply(isolated_env: Path) -> None:
    ensure_audio()
    store = SessionStore(isolated_env / "sessions")
    session = store.create(title="Short")
    write_tone(store.recording_path(session, 1), 0.6)
    write_tone(store.reply_audio_path(session, 1), 0.3, rate=24_000)
    store.add_turn(
        session,
        TurnRecord(
            recording="turn-001.flac",
            duration=0.6,
            segments=[Segment(0.0, 0.3, "speaker_1", "First."), Segment(0.3, 0.6, "speaker_2", "Second.")],
            reply="A short answer.",
            reply_audio="turn-001-reply.flac",
        ),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "replay", session.id, "--output-device", "virtual_speaker"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Short  ({session.id})"
    header = turn_header(session.turns[0])  # as sessions show writes it
    order = [header, "[0:00 -> 0:00] speaker_1 : First.", "[0:00 -> 0:01] speaker_2 : Second."]
    order.append("Voxroom: A short answer.")
    assert [line for line in lines if line in order] == order
