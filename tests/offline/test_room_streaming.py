"""Offline, the room transcribes while the room is still speaking: real mic, real Whisper."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tui.agent.base import NoAgent
from tui.audio.clip import load_clip
from tui.backends import Backends
from tui.config import Settings
from tui.lifecycle import ScratchLog
from tui.room import Room, RoomEvent
from tui.room.wiring import live_transcription
from tui.stt.offline import WhisperTranscriber
from tui.turn import TurnRunner

ensure_audio()


@pytest.mark.offline_models
@pytest.mark.audio
def test_room_streams_offline_transcription_during_the_recording(
    whisper: WhisperTranscriber, tmp_path: Path
) -> None:
    from tui.audio.capture import Recorder
    from tui.audio.player import Player

    log = ScratchLog("test", tmp_path)
    finished: list[RoomEvent] = []
    room = Room(
        recorder=Recorder("virtual_mic"),
        runner=TurnRunner(whisper, NoAgent(), None),
        log=log,
        live=live_transcription(
            Settings(backend="offline"), Backends(whisper, NoAgent(), None, "offline", {})
        ),
        listener=finished.append,
    )
    speech = load_clip(clip_path("beckett.wav"))
    feed = Player("virtual_mic_feed")
    played = threading.Event()
    feed.on_finished = lambda interrupted: played.set()
    try:
        room.toggle("test")
        streaming = room.streaming
        assert streaming is not None
        feed.open(speech.rate)
        feed.write(speech.samples)
        feed.drain()
        assert played.wait(20)
        # Most of the speech was transcribed before the recording even stopped.
        assert streaming.wait_idle(20)
        assert streaming.passes >= 1 and len(streaming.segments) >= 1
        room.toggle("test")
        assert room.wait_idle(60)
    finally:
        feed.close()
        room.close()
    ((path, result),) = log.turns.values()
    assert result is not None and result.status == "no-agent", result.error
    words = re.sub(r"[^a-z ]", "", result.transcript.text.lower()).split()
    assert words[:4] == ["ever", "tried", "ever", "failed"] and words[-2:] == ["fail", "better"]
    assert result.timings.transcription_ms is not None
    assert path.is_file()
