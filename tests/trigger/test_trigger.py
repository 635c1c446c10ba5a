"""The debounced toggle, the turn queue, and the real pynput listener on Xvfb."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from tests.audio.env import REPO
from tui.trigger import GlobalHotkey, Trigger, key_label, probe_global_hotkey

pytestmark = pytest.mark.display

SHIFT_R = "62"  # keycode of Shift_R in Xvfb's keymap; `xdotool key Shift_R` also sends Shift_L (H1)


class Clock:
    def __init__(self) -> None:
        self.t = 10.0

    def __call__(self) -> float:
        return self.t


def test_presses_within_the_debounce_window_count_once() -> None:
    clock = Clock()
    sources: list[str] = []
    trigger = Trigger(sources.append, debounce_s=0.25, clock=clock)
    assert trigger.press("terminal")
    for _ in range(4):  # a burst, each press 0.1 s after the previous one
        clock.t += 0.1
        assert not trigger.press("global")
    clock.t += 0.3
    assert trigger.press("fallback")
    assert sources == ["terminal", "fallback"]
    assert trigger.toggles == 2 and trigger.presses == 6
    assert [p.accepted for p in trigger.history] == [True, False, False, False, False, True]


def test_one_key_seen_by_two_sources_toggles_once() -> None:
    clock = Clock()
    trigger = Trigger(debounce_s=0.25, clock=clock)
    assert trigger.press("global")
    clock.t += 0.004  # the terminal reports the same physical press a few ms later
    assert not trigger.press("terminal")
    assert trigger.toggles == 1


def test_debounce_is_configurable() -> None:
    clock = Clock()
    trigger = Trigger(debounce_s=0.05, clock=clock)
    trigger.press()
    clock.t += 0.1
    assert trigger.press()


def test_concurrent_presses_toggle_once() -> None:
    toggles: list[str] = []
    trigger = Trigger(toggles.append, clock=lambda: 5.0)
    barrier = threading.Barrier(8)

    def press() -> None:
        barrier.wait()
        trigger.press("global")

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert toggles == ["global"] and trigger.presses == 8


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


@pytest.fixture
def hotkey() -> object:
    toggled = threading.Event()
    trigger = Trigger(lambda source: toggled.set())
    hk = GlobalHotkey(trigger)
    hk.toggled = toggled  # type: ignore[attr-defined]
    yield hk
    hk.stop()


def test_right_shift_on_xvfb_toggles_once(hotkey: GlobalHotkey) -> None:
    assert os.environ.get("DISPLAY")
    assert hotkey.start() == "" and hotkey.running and hotkey.reason == ""
    xdotool("keydown", SHIFT_R, "keyup", SHIFT_R)
    assert hotkey.toggled.wait(3)  # type: ignore[attr-defined]
    assert hotkey.wait_for_events(2, 3)
    assert hotkey.trigger.toggles == 1
    assert [p.source for p in hotkey.trigger.history] == ["global"]


def test_a_burst_of_presses_toggles_once(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    burst = ["keydown", SHIFT_R, "keyup", SHIFT_R] * 5
    xdotool(*burst)  # 10 events about 12 ms apart: well inside the 250 ms window
    assert hotkey.wait_for_events(10, 5)
    assert hotkey.trigger.presses == 5
    assert hotkey.trigger.toggles == 1


def test_other_keys_are_ignored(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    xdotool("keydown", "50", "keyup", "50", "keydown", SHIFT_R, "keyup", SHIFT_R)  # Shift_L, then Shift_R
    assert hotkey.wait_for_events(2, 3)
    assert hotkey.trigger.presses == 1 and hotkey.events == 2


def test_right_shift_used_to_type_a_capital_never_toggles(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    xdotool("keydown", SHIFT_R, "key", "a", "keyup", SHIFT_R)  # "A" typed with Right Shift
    assert hotkey.wait_for_events(2, 3)  # the release of Right Shift has been handled
    assert hotkey.tap.cancelled == 1 and hotkey.trigger.presses == 0
    xdotool("keydown", SHIFT_R, "keyup", SHIFT_R)  # a lone tap right after still works
    assert hotkey.toggled.wait(3)  # type: ignore[attr-defined]
    assert hotkey.trigger.presses == 1 and hotkey.tap.taps == 1


def test_a_capital_whose_shift_is_let_go_first_does_not_block_the_next_tap(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    # "H": Right Shift down, h down, Right Shift up, h up (pynput reports the release as "h")
    xdotool("keydown", SHIFT_R, "keydown", "43", "keyup", SHIFT_R, "keyup", "43")
    xdotool("keydown", SHIFT_R, "keyup", SHIFT_R)  # at once: a lone tap
    assert hotkey.toggled.wait(3)  # type: ignore[attr-defined]
    assert hotkey.tap.cancelled == 1 and hotkey.tap.taps == 1 and hotkey.trigger.presses == 1


def test_right_shift_held_past_the_limit_never_toggles() -> None:
    ticks = iter(range(0, 1000))  # each event is 1 s after the previous one: every hold is too long
    trigger = Trigger(debounce_s=0)
    hk = GlobalHotkey(trigger, hold_limit_s=0.6, clock=lambda: float(next(ticks)))
    try:
        assert hk.start() == ""
        xdotool("keydown", SHIFT_R, "keyup", SHIFT_R)
        assert hk.wait_for_events(2, 3)
        assert hk.tap.cancelled == 1 and hk.tap.last_hold_s == 1.0 and trigger.presses == 0
    finally:
        hk.stop()


def test_a_suspended_trigger_ignores_the_global_key(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    hotkey.trigger.suspended = True  # what the app sets while a text field has focus
    xdotool("keydown", SHIFT_R, "keyup", SHIFT_R)
    assert hotkey.wait_for_events(2, 3)
    assert hotkey.tap.taps == 1 and hotkey.trigger.refused == 1 and hotkey.trigger.toggles == 0
    assert hotkey.saw_down_near(hotkey.tap.last_down or 0.0)


def test_injected_duplicates_from_pynput_controller_are_ignored(hotkey: GlobalHotkey) -> None:
    from pynput import keyboard

    assert hotkey.start() == ""
    controller = keyboard.Controller()
    controller.press(keyboard.Key.shift_r)
    controller.release(keyboard.Key.shift_r)
    assert hotkey.wait_for_events(4, 3)  # each event arrives twice, once flagged injected (H2)
    assert hotkey.toggled.wait(3)  # type: ignore[attr-defined]
    assert hotkey.trigger.presses == 1


def test_stop_ends_the_listener_at_once(hotkey: GlobalHotkey) -> None:
    assert hotkey.start() == ""
    listener = hotkey._listener
    hotkey.stop()
    assert not hotkey.running and not listener.is_alive()
    hotkey.stop()  # twice is fine
    assert probe_global_hotkey() == ""


def run_without_display(display: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display is not None:
        env["DISPLAY"] = display
    code = (
        "from tui.trigger import GlobalHotkey, Trigger\n"
        "hk = GlobalHotkey(Trigger())\n"
        "print(hk.start())\n"
        "print(hk.running)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=30
    )


def test_no_display_gives_one_clear_reason() -> None:
    out = run_without_display(None)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "Global Right Shift unavailable: no X display (DISPLAY unset); use the fallback key.",
        "False",
    ]
    assert "Traceback" not in out.stderr


def test_dead_display_gives_one_clear_reason() -> None:
    out = run_without_display(":87")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "Global Right Shift unavailable: cannot connect to the X display; use the fallback key."
    )
    assert "Traceback" not in out.stderr


def test_key_labels() -> None:
    assert key_label("shift_r") == "Right Shift"
    assert key_label("f12") == "F12"
