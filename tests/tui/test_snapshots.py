"""Snapshot tests of the main screen in each Voxroom theme, with fixed content, clock and levels.

Update the baselines after a deliberate change with:
``env -u NO_COLOR TEXTUAL_ANIMATIONS=none pytest tests/tui/test_snapshots.py --snapshot-update``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.standin import closed_url
from tui.app import VoxroomApp
from tui.audio.clip import Clip
from tui.backends import make_backends
from tui.config import Secret, Settings
from tui.lifecycle import ScratchLog
from tui.model import Reference, Reply, Segment, Timings, Transcript
from tui.room import Level, Room
from tui.testing import FixedMeter
from tui.themes import THEME_NAMES

from .conftest import wait_until


class FrozenRecorder:
    """A recorder whose meter always shows the same level (nothing is captured)."""

    device_name = "Room mic (USB)"
    on_audio = None

    def __init__(self) -> None:
        self.meter = FixedMeter(Level(rms_dbfs=-21.0, peak_dbfs=-7.5, clipping=False, no_signal=False))

    def start(self, path: Path) -> Path:
        self.path = path
        return path

    def stop(self, *, load: bool = True) -> Clip:
        return Clip(np.zeros(1600, np.float32), 16_000, None)

    def auto_stop_reason(self, max_seconds: float | None = None, silence_seconds: float | None = None) -> str:
        return ""

    def close(self) -> None:
        return None


class FixedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


HISTORY = [
    (
        1,
        Transcript(
            segments=[
                Segment(0.2, 2.4, "speaker_1", "Good morning everyone, shall we start?"),
                Segment(2.6, 5.1, "speaker_2", "Yes. What is the weather in Paris today?"),
                Segment(5.3, 6.0, "speaker_3", "And tomorrow?"),
            ]
        ),
        Reply(
            text="It is sunny in Paris today, around 21 degrees; tomorrow brings light rain.",
            references=[Reference("Paris forecast", "https://weather.example/paris")],
        ),
        Timings(
            transcription_ms=412.0,
            agent_first_token_ms=380.0,
            speech_first_audio_ms=210.0,
            first_audio_ms=1180.0,
        ),
        "done",
    ),
    (
        2,
        Transcript(segments=[Segment(0.1, 1.9, "speaker_2", "Tell me something rude.")]),
        Reply(blocked=True, moderation="the request was flagged"),
        None,
        "blocked",
    ),
]


def snapshot_app(tmp_path: Path, theme: str) -> VoxroomApp:
    settings = Settings(
        backend="mistral", api_key=Secret("test-key"), server_url=closed_url(), data_dir=tmp_path
    )
    backends = make_backends(settings)
    clock = FixedClock()
    room = Room(
        recorder=FrozenRecorder(),
        runner=backends.runner(settings),
        log=ScratchLog("Weekly planning"),
        clock=clock,
        debounce_s=0.0,
    )
    app = VoxroomApp(settings, room=room, theme=theme, hotkey=False, warm_up=False)
    app.fixed_clock = clock  # type: ignore[attr-defined]
    return app


async def _fill(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.show_history(HISTORY)
    await pilot.press("space")  # recording, with the frozen meter
    await wait_until(pilot, lambda: app.recording_pane.state == "recording")
    app.fixed_clock.now += 83.0  # 01:23 into the recording
    await wait_until(pilot, lambda: app.recording_pane.elapsed == 83)
    await wait_until(pilot, lambda: app.recording_pane.bar.level.rms_dbfs == -21.0)
    await pilot.pause()


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_main_screen(theme: str, snap_compare, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, theme)
    try:
        assert snap_compare(app, terminal_size=(120, 34), run_before=_fill)
    finally:
        if app.room is not None:
            app.room.close()
