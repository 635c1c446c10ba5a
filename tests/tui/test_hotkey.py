"""The global Right Shift hotkey drives the app: pynput on the Xvfb display, the key injected at X
level with xdotool (keycode 62: the keysym form would also press Left Shift, pitfall H1)."""

from __future__ import annotations

import subprocess

import pytest

from tui.room import IDLE, RECORDING

from .conftest import wait_until
from .test_app import SIZE, make_app

pytestmark = pytest.mark.display


def right_shift(display: str) -> None:
    subprocess.run(
        ["xdotool", "keydown", "62", "keyup", "62"], env={"DISPLAY": display}, check=True, timeout=10
    )


async def test_right_shift_anywhere_on_the_desktop_toggles_recording(
    tui_settings, make_room, devices_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", devices_env["DISPLAY"])
    tui_settings.hotkey.global_listener = True
    room = make_room()
    app = make_app(tui_settings, room, hotkey=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.hotkey is not None and app.hotkey.running)
        assert app.hotkey_problem == ""
        right_shift(devices_env["DISPLAY"])
        await wait_until(pilot, lambda: app.recording_pane.state == RECORDING)
        assert room.trigger.history[-1].source == "global"
        right_shift(devices_env["DISPLAY"])
        await wait_until(pilot, lambda: app.turns_finished == 1 and app.recording_pane.state == IDLE)
        assert len(app.transcript_pane.lines) == 2
    assert app.hotkey is None  # stopped with the app


@pytest.mark.audio
async def test_choose_devices_switches_to_the_real_microphone(
    tui_settings, make_room, devices_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Select

    from tui.screens.devices import DevicesDialog

    from .test_app import run_command

    for key in ("PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH"):
        monkeypatch.setenv(key, devices_env[key])  # before PortAudio is first loaded (pitfall A1)
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        assert app.recording_pane.device == "clone-test.wav"
        await run_command(pilot, app, "choose devices")
        await wait_until(pilot, lambda: isinstance(app.screen, DevicesDialog), timeout=20)
        dialog = app.screen
        assert "virtual_mic" in dialog.inputs and "virtual_speaker" in dialog.outputs
        dialog.query_one("#input", Select).value = "virtual_mic"
        dialog.query_one("#output", Select).value = "virtual_speaker"
        await pilot.click("#ok")
        await wait_until(pilot, lambda: app.recording_pane.device == "virtual_mic", timeout=20)
        assert tui_settings.audio.input_device == "virtual_mic"
        assert type(room.recorder).__name__ == "Recorder" and type(room.player).__name__ == "Player"
