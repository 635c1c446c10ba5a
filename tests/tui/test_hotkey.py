"""The global Right Shift hotkey drives the app: pynput on the Xvfb display, the key injected at X
level with xdotool (keycode 62: the keysym form would also press Left Shift, pitfall H1). And the
terminal's Right Shift (issue 12): only a deliberate one records, never one used to type."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import wait_until
from tui.room import IDLE, RECORDING
from tui.trigger import TERMINAL_WINDOW_S

from .test_app import SIZE, make_app, run_command

pytestmark = pytest.mark.display


def right_shift(display: str, *between: str) -> None:
    """Right Shift down and up at X level, with ``between`` (xdotool commands) while it is down."""
    subprocess.run(
        ["xdotool", "keydown", "62", *between, "keyup", "62"],
        env={"DISPLAY": display},
        check=True,
        timeout=10,
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
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        assert room.trigger.history[-1].source == "global"
        right_shift(devices_env["DISPLAY"])
        await wait_until(
            pilot, lambda: app.main.turns_finished == 1 and app.main.recording_pane.state == IDLE
        )
        assert len(app.main.transcript_pane.lines) == 2
    assert app.hotkey is None  # stopped with the app


@pytest.mark.audio
async def test_choose_devices_switches_to_the_real_microphone(
    tui_settings, make_room, devices_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Select

    from tui.screens.devices import DevicesDialog

    for key in ("PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH"):
        monkeypatch.setenv(key, devices_env[key])  # before PortAudio is first loaded (pitfall A1)
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        assert app.main.recording_pane.device == "clone-test.wav"
        await run_command(pilot, app, "choose devices")
        composed = lambda: isinstance(app.screen, DevicesDialog) and bool(app.screen.query("#input"))  # noqa: E731
        await wait_until(pilot, composed, timeout=20)  # the dialog composed, not only pushed
        dialog = app.screen
        assert "virtual_mic" in dialog.inputs and "virtual_speaker" in dialog.outputs
        dialog.query_one("#input", Select).value = "virtual_mic"
        dialog.query_one("#output", Select).value = "virtual_speaker"
        await pilot.click("#ok")
        await wait_until(pilot, lambda: app.main.recording_pane.device == "virtual_mic", timeout=20)
        assert tui_settings.audio.input_device == "virtual_mic"
        assert type(room.recorder).__name__ == "Recorder" and type(room.player).__name__ == "Player"


async def test_right_shift_used_to_type_in_the_terminal_never_records(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        tap = app.trigger_keys.tap
        assert tap.window_s == TERMINAL_WINDOW_S
        # kitty sends ESC[57447u as Right Shift goes down, then ESC[97;2;65u for the "A" (bench/hotkey.py
        # checks that in a real kitty); the Pilot can be slower than the window between keys on a
        # loaded machine, so widen the window while typing.
        tap.window_s = 10.0
        await pilot.press("right_shift", "A")
        assert tap.cancelled == 1 and not tap.pending
        await pilot.press("right_shift", "question_mark")  # "?" typed with Right Shift opens Help only
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        assert tap.cancelled == 2
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.screen_stack[0])
        tap.window_s = TERMINAL_WINDOW_S
        await wait_until(pilot, tap.quiet)  # a Right Shift just after escape would be a chord
        await pilot.press("right_shift")  # alone: records once the window has passed (a Textual timer)
        await wait_until(pilot, lambda: room.state == RECORDING)
        assert [p.source for p in room.trigger.history] == ["terminal"]
        assert tap.taps == 1 and tap.last_latency_s is not None and tap.last_latency_s >= tap.window_s
        await pilot.press("space")
        await wait_until(pilot, lambda: room.trigger.toggles == 2 and room.state != RECORDING)


async def test_typing_a_capital_in_the_export_dialog_never_records(
    tui_settings, make_room, devices_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input

    from tui.screens.export import ExportDialog

    monkeypatch.setenv("DISPLAY", devices_env["DISPLAY"])
    tui_settings.hotkey.global_listener = True
    room = make_room()
    app = make_app(tui_settings, room, hotkey=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.hotkey is not None and app.hotkey.running)
        await run_command(pilot, app, "export session")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        box = app.screen.query_one("#path", Input)
        await wait_until(pilot, lambda: app.focused is box)
        assert room.trigger.suspended and app.trigger_keys.suspended
        app.trigger_keys.tap.window_s = 10.0  # were the tap not suspended, it would still be open
        await pilot.press("end", "right_shift", "A", "right_shift")
        assert box.value.endswith("A") and not app.trigger_keys.tap.pending
        # A deliberate tap on the desktop while the dialog has focus: the global listener sees it,
        # the suspended trigger refuses it.
        events_before = app.hotkey.events
        right_shift(devices_env["DISPLAY"])
        await wait_until(pilot, lambda: app.hotkey.events >= events_before + 2)
        assert app.hotkey.tap.taps == 1 and room.trigger.refused == 1
        assert room.trigger.presses == 0 and room.state == IDLE
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.screen_stack[0])
        await wait_until(pilot, lambda: not room.trigger.suspended)
        right_shift(devices_env["DISPLAY"], "key", "a")  # typed with Right Shift elsewhere: nothing
        await wait_until(pilot, lambda: app.hotkey.tap.cancelled == 1)
        right_shift(devices_env["DISPLAY"])  # a deliberate tap records
        await wait_until(pilot, lambda: room.state == RECORDING)
        assert [p.source for p in room.trigger.history] == ["global"]
        right_shift(devices_env["DISPLAY"])
        await wait_until(pilot, lambda: room.trigger.toggles == 2 and room.state != RECORDING)


async def test_the_terminal_defers_to_the_global_listener_for_the_same_press(
    tui_settings, make_room, devices_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On X11 in kitty both sources see one Right Shift: the listener (which sees the release) decides."""
    monkeypatch.setenv("DISPLAY", devices_env["DISPLAY"])
    tui_settings.hotkey.global_listener = True
    room = make_room()
    app = make_app(tui_settings, room, hotkey=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.hotkey is not None and app.hotkey.running)
        tap = app.trigger_keys.tap
        tap.window_s = 2.0  # expires well after the listener has handled the same key on a loaded machine
        right_shift(devices_env["DISPLAY"])
        await pilot.press("right_shift")  # what the terminal reports for that same key
        await wait_until(pilot, lambda: tap.dropped == 1)
        assert tap.taps == 0 and app.hotkey.tap.taps == 1
        assert [p.source for p in room.trigger.history] == ["global"] and room.state == RECORDING
        await pilot.press("space")
        await wait_until(pilot, lambda: room.trigger.toggles == 2 and room.state != RECORDING)


async def test_a_focused_text_field_on_the_main_screen_suspends_the_trigger(tui_settings, make_room) -> None:
    from textual.widgets import Button, Input, TextArea

    from tui.widgets.trigger_keys import is_text_field

    assert is_text_field(Input()) and is_text_field(TextArea()) and not is_text_field(Button())
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        field = Input(id="probe")
        await app.screen.mount(field)
        field.focus()
        await wait_until(pilot, lambda: room.trigger.suspended)  # set on the focus change itself
        await pilot.press("right_shift", "A")
        assert field.value == "A" and not app.trigger_keys.tap.pending and room.trigger.presses == 0
        field.blur()
        await wait_until(pilot, lambda: not room.trigger.suspended)
