"""The devices dialog's level preview: the microphone chosen in the dialog is listened to through real
PortAudio on the virtual sound server while the dialog is open (the virtual microphone playing a
clip lifts the meter above silence), moves with the choice, closes with the dialog, keeps nothing on
disk, and a microphone that cannot be opened is said in one sentence."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tests.helpers import wait_until

from .test_app import SIZE, make_app, run_command

ensure_audio()

pytestmark = pytest.mark.audio

QUIET_DBFS = -65.0
"""The meter's no-signal floor: the virtual microphone with nothing playing stays below it."""
HEARD_DBFS = -50.0
"""The clip's speech lifts the bar's RMS above this (it peaks near -30 dBFS on the virtual mic)."""


def clients_listening() -> int:
    """Recording streams a program opened on the sound server (its own loopbacks have no client)."""
    out = subprocess.run(
        ["pactl", "list", "short", "source-outputs"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    return sum(1 for line in out.splitlines() if line.split("\t")[2:3] != ["-"])


def audio_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.suffix in (".flac", ".partial", ".wav")]


async def test_the_devices_dialog_shows_the_chosen_microphone_s_live_level_until_it_closes(
    tui_settings, make_room, tmp_path: Path
) -> None:
    from textual.widgets import Label, Select

    from tui.audio.clip import load_clip
    from tui.audio.player import Player
    from tui.screens.devices import LISTENING, DevicesDialog
    from tui.widgets.level_bar import LevelBar

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert clients_listening() == 0  # nothing listens until asked
        await run_command(pilot, app, "choose devices")
        composed = lambda: isinstance(app.screen, DevicesDialog) and bool(app.screen.query("#preview"))  # noqa: E731
        await wait_until(pilot, composed, timeout=20)
        dialog = app.screen
        assert isinstance(dialog, DevicesDialog) and dialog.preview is not None
        preview = dialog.preview
        assert str(dialog.query_one("#listening", Label).render()) == LISTENING
        await wait_until(pilot, lambda: preview.listening and preview.device == "", timeout=20)
        assert clients_listening() == 1

        dialog.query_one("#input", Select).value = "virtual_mic"
        await wait_until(pilot, lambda: preview.listening and preview.device == "virtual_mic", timeout=20)
        assert clients_listening() == 1  # the system default's stream was closed first
        bar = dialog.query_one("#preview", LevelBar)
        await wait_until(pilot, lambda: preview.level.blocks >= 10)
        assert preview.level.raw_rms_dbfs < QUIET_DBFS and bar.level.rms_dbfs < QUIET_DBFS

        speech = load_clip(clip_path("clone-test.wav"))
        feed = Player("virtual_mic_feed")
        played = threading.Event()
        feed.on_finished = lambda interrupted: played.set()
        try:
            feed.open(speech.rate)
            feed.write(speech.samples)
            await wait_until(pilot, lambda: bar.level.rms_dbfs > HEARD_DBFS, timeout=20)
            loudest = bar.level.rms_dbfs
            feed.drain()

            def finished() -> bool:
                nonlocal loudest
                loudest = max(loudest, bar.level.rms_dbfs)
                return played.is_set()

            await wait_until(pilot, finished, timeout=30)
        finally:
            feed.close()
        assert bar.active and dialog.preview_problem == ""
        print(f"\nloudest preview level while the clip played: {loudest:.1f} dBFS (quiet: < {QUIET_DBFS})")

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DevicesDialog))
        assert not preview.listening and preview.device is None
        await wait_until(pilot, lambda: clients_listening() == 0, timeout=10)
        await pilot.pause()
        assert preview.listen("virtual_mic") == "" and not preview.listening  # closed for good
    assert audio_files(tmp_path) == []  # nothing was recorded


async def test_a_microphone_that_cannot_be_opened_is_said_in_one_sentence(tui_settings, make_room) -> None:
    from textual.widgets import Label, Select

    from tui.audio.preview import LevelPreview
    from tui.screens.devices import DevicesDialog
    from tui.widgets.level_bar import LevelBar

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        inputs, outputs = ["virtual_mic", "Gone USB mic"], ["virtual_speaker"]
        dialog = DevicesDialog(inputs, outputs, ("virtual_mic", ""), LevelPreview())
        app.push_screen(dialog)
        await wait_until(pilot, lambda: dialog.preview is not None and dialog.preview.listening, timeout=20)
        dialog.query_one("#input", Select).value = "Gone USB mic"
        problem = dialog.query_one("#preview-problem", Label)
        await wait_until(pilot, lambda: problem.display and dialog.preview_problem != "", timeout=20)
        said = str(problem.render())
        assert said == dialog.preview_problem and said.count(". ") == 0 and said.endswith(".")
        assert "Gone USB mic" in said and "Traceback" not in said
        bar = dialog.query_one("#preview", LevelBar)
        assert not dialog.preview.listening and not bar.active and not bar.display
        assert clients_listening() == 0  # the microphone before it was closed
        dialog.query_one("#input", Select).value = "virtual_mic"
        await wait_until(pilot, lambda: dialog.preview.listening and not problem.display, timeout=20)
        await pilot.click("#ok")
        await wait_until(pilot, lambda: not dialog.is_attached)
        assert not dialog.preview.listening
