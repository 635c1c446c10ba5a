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
from tui.room import Room
from tui.stt.offline import WhisperTranscriber
from tui.turn import TurnRunner

ensure_audio()


@pytest.mark.offline_models
def test_room_streams_offline_transcription_during_the_recording(
    whisper: WhisperTranscriber, tmp_path: Path
) -> None:
    from tui.audio.capture import Recorder
    from tui.audio.player import Player

    class Folder:
        name = "test"
        conversation_id = None

        def __init__(self) -> None:
            self.turns: list[tuple[Path, object]] = []

        def recording_path(self) -> Path:
            return tmp_path / f"turn-{len(self.turns) + 1}.flac"

        def record_turn(self, clip_path: Path, result: object) -> None:
            self.turns.append((clip_path, result))

    folder = Folder()
    room = Room(recorder=Recorder("virtual_mic"), runner=TurnRunner(whisper, NoAgent(), None), session=folder)
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
    ((path, result),) = folder.turns
    assert result.status == "no-agent", result.error
    words = re.sub(r"[^a-z ]", "", result.transcript.text.lower()).split()
    assert words[:4] == ["ever", "tried", "ever", "failed"] and words[-2:] == ["fail", "better"]
    assert result.timings.transcription_ms is not None
    assert path.is_file()
