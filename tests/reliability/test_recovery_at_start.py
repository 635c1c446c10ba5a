"""kill -9 during a recording: on the next start the recording is repaired, becomes a turn, retries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio.env import REPO, ensure_audio
from tests.conftest import clip_path
from tests.standin import MistralStandIn, Reply
from tui.audio.clip import load_clip
from tui.cli import main
from tui.lifecycle import SessionLog
from tui.recovery import RECOVERED_ERROR, recover_interrupted
from tui.sessions.store import SessionStore

pytestmark = pytest.mark.audio

ensure_audio()


def test_recording_killed_mid_write_is_recovered_into_its_session(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.audio.player import Player

    store = SessionStore(isolated_env / "sessions")
    session = store.create(title="Crashy meeting")
    log = SessionLog(store, session)
    target = log.recording_path()
    pending = log.begin(target)  # as the app does when recording starts
    child = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "audio" / "record_child.py"), "virtual_mic", str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    speech = load_clip(clip_path("beckett.wav"))
    player = Player("virtual_mic_feed")
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("started ")
        player.open(speech.rate)
        player.write(speech.samples)
        for line in child.stdout:  # 3 s of the room on disk, then the process dies
            if float(line.split()[1]) >= 3.0:
                break
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(5) == -signal.SIGKILL
    finally:
        player.stop()
        player.close()
    assert list(target.parent.glob("*.partial")) and target.stat().st_size == 0  # only the reserved name

    # The next start.
    added, problems = recover_interrupted(store)
    assert problems == []
    ((recovered_session, turn),) = added
    assert recovered_session.id == session.id
    assert turn.status == "interrupted" and turn.error == RECOVERED_ERROR
    assert turn.index == pending.index  # the same turn, completed in place
    assert turn.recording == target.name and turn.duration >= 2.5
    assert not list(target.parent.glob("*.partial"))
    assert recover_interrupted(store) == ([], [])  # idempotent: nothing is added twice

    mistral_env.script(Reply(text="Welcome back."))
    assert main(["retry", session.id, "--no-play", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["index"] == turn.index and record["status"] == "done"
    assert record["reply"]["text"] == "Welcome back."
    upload = mistral_env.requests_to("transcriptions")[0].files["file"]
    assert upload.size > 10_000  # the recovered audio is what was sent


def test_a_turn_whose_reply_never_finished_is_offered_again(isolated_env: Path) -> None:
    """A complete recording that no turn names (Voxroom died while answering) becomes a turn."""
    import shutil

    store = SessionStore(isolated_env / "sessions")
    session = store.create()
    shutil.copyfile(clip_path("clone-test.wav"), store.folder(session) / "turn-001.wav")
    added, problems = recover_interrupted(store)
    assert problems == [] and [t.recording for _, t in added] == ["turn-001.wav"]
    assert abs(added[0][1].duration - 4.1) < 0.1
    assert store.open(session.id).turns[0].status == "interrupted"
