"""Trigger benchmarks (issue 12): what making Right Shift deliberate costs in delay, and how fast a
terminal sends the key that follows Right Shift.

Run from the repository root on an X display (``eval "$(scripts/setup_display.sh)"``):

    python bench/hotkey.py            # print the results
    python bench/hotkey.py --write    # also replace the "Trigger keys" section of bench/README.md

1. kitty (if installed): a reader in kitty asks for the kitty keyboard flags Textual uses (25) and
   timestamps every read; keys are injected with XTEST (python-xlib). Measured: injection of Right
   Shift down -> kitty's ``ESC[57447u`` arriving; Right Shift down + ``a`` injected back to back ->
   the gap between the two sequences; and the same with the ``a`` injected 100 ms later (a typist).
2. Global tap: :class:`tui.trigger.GlobalHotkey` on the display; Right Shift down and up injected;
   time from the injected release to ``trigger.press``. The delay a user sees is the hold time of
   their tap plus this.
3. Terminal tap: :class:`tui.widgets.trigger_keys.TriggerKeys` in a running Textual app (headless);
   ``right_shift`` delivered, time until the tap fires (the window plus the timer's lateness).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_readme import table, write_section

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHIFT_R, KEY_A, CTRL_L = 62, 38, 37  # keycodes in Xvfb's default evdev keymap

READER = r"""
import json, os, sys, termios, time, tty
out = open(sys.argv[1], "w", buffering=1)
fd = sys.stdin.fileno()
old = termios.tcgetattr(fd)
tty.setraw(fd)
os.write(sys.stdout.fileno(), b"\x1b[>25u")
out.write(json.dumps({"ready": time.monotonic()}) + "\n")
try:
    while True:
        data = os.read(fd, 1024)
        out.write(json.dumps({"t": time.monotonic(), "data": data.decode("latin-1")}) + "\n")
        if b"113;;113u" in data or data == b"q":
            break
finally:
    os.write(sys.stdout.fileno(), b"\x1b[<u")
    termios.tcsetattr(fd, termios.TCSADRAIN, old)
"""

APP = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from textual import events
from textual.app import App
from textual.binding import Binding
from tui.widgets.trigger_keys import TriggerKeys

out = open(sys.argv[1], "w", buffering=1)

def log(**data):
    out.write(json.dumps({**data, "t": time.monotonic()}) + "\n")

class Host(App):
    BINDINGS = [Binding("right_shift", "terminal_tap", priority=True), Binding("q", "quit")]
    room = None
    hotkey = None

    def __init__(self):
        super().__init__()
        self.keys = TriggerKeys(self)

    async def on_event(self, event):
        if isinstance(event, events.Key) and not event.is_forwarded:
            log(key=event.key)
        self.keys.saw(event)
        await super().on_event(event)

    def on_mount(self):
        self.call_after_refresh(lambda: log(ready=True))

    def action_terminal_tap(self):
        self.keys.right_shift()

    def _toggle(self, source):
        log(tap=source)

Host().run()
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary(values: list[float]) -> str:
    return f"median {ms(statistics.median(values))}, max {ms(max(values))} (n={len(values)})"


class Injector:
    """XTEST key events on the display; ``send`` returns the time just before the event was sent and
    returns once the server has it."""

    def __init__(self) -> None:
        from Xlib import X, display
        from Xlib.ext import xtest

        self._x, self._xtest = X, xtest
        self.display = display.Display()

    def send(self, keycode: int, down: bool) -> float:
        kind = self._x.KeyPress if down else self._x.KeyRelease
        sent = time.monotonic()
        self._xtest.fake_input(self.display, kind, keycode)
        self.display.sync()
        return sent

    def close(self) -> None:
        for keycode in (SHIFT_R, KEY_A, CTRL_L):  # never leave a key down on the display
            self.send(keycode, False)
        self.display.close()


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)  # polling interval of the benchmark, not a synchronisation in the code
    return True


def kitty_timings(runs: int) -> dict[str, Any] | None:
    """The raw reader in kitty, then the TriggerKeys app in kitty."""
    reader = in_kitty(READER, [], _kitty_runs, runs)
    app = in_kitty(APP, [str(REPO)], _app_runs, runs)
    if reader is None or app is None:
        return None
    return {**reader, **app}


def in_kitty(
    program: str, extra: list[str], measure: Callable[..., dict[str, Any]], runs: int
) -> dict[str, Any] | None:
    """Run ``program`` in kitty on the display and ``measure(injector, lines, runs)`` against its log."""
    kitty = shutil.which("kitty")
    if kitty is None:
        print("kitty is not installed: its rows are left out")
        return None
    version = subprocess.run([kitty, "--version"], capture_output=True, text=True).stdout.split()[1]
    with tempfile.TemporaryDirectory() as tmp:
        log, script = Path(tmp) / "log.jsonl", Path(tmp) / "reader.py"
        script.write_text(program, encoding="utf-8")
        env = {**os.environ, "LIBGL_ALWAYS_SOFTWARE": "1"}
        proc = subprocess.Popen(
            [kitty, "--config", "NONE", sys.executable, str(script), str(log), *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def lines() -> list[dict[str, Any]]:
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            return [json.loads(line) for line in text.splitlines() if line.strip()]

        inj: Injector | None = None
        try:
            if not wait_for(lambda: bool(lines()), 30):
                raise RuntimeError("the program in kitty did not start")
            window = subprocess.run(
                ["xdotool", "search", "--sync", "--class", "kitty"], capture_output=True, text=True
            ).stdout.split()
            if window:
                subprocess.run(["xdotool", "windowfocus", "--sync", window[0]], capture_output=True)
            inj = Injector()
            result = {"version": version, **measure(inj, lines, runs)}
            inj.send(24, True)  # q ends the program
            inj.send(24, False)
            proc.wait(10)
            return result
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            print(f"kitty: {err}; its rows are left out")
            return None
        finally:
            if inj is not None:
                inj.close()
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


def _kitty_runs(inj: Injector, lines: Callable[[], list[dict[str, Any]]], runs: int) -> dict[str, Any]:
    arrive: list[float] = []
    gap_now: list[float] = []
    gap_typist: list[float] = []
    same_read = 0
    for _ in range(runs):
        # Right Shift alone: injection -> ESC[57447u
        n = len(lines())
        t0 = inj.send(SHIFT_R, True)
        if not wait_for(lambda n=n: len(lines()) > n, 5):
            raise RuntimeError("kitty sent nothing for Right Shift")
        arrive.append(lines()[n]["t"] - t0)
        inj.send(SHIFT_R, False)
        # Right Shift + a, back to back, then with a typist's 100 ms in between
        for delay, gaps in ((0.0, gap_now), (0.1, gap_typist)):
            n = len(lines())
            inj.send(SHIFT_R, True)
            if delay:
                time.sleep(delay)  # the typist's delay being simulated
            inj.send(KEY_A, True)
            inj.send(KEY_A, False)
            inj.send(SHIFT_R, False)
            if not wait_for(lambda n=n: "97;2;65u" in "".join(x["data"] for x in lines()[n:]), 5):
                raise RuntimeError("kitty sent nothing for Right Shift + a")
            got = lines()[n:]
            first = next(x for x in got if "57447u" in x["data"])
            second = next(x for x in got if "97;2;65u" in x["data"])
            gaps.append(second["t"] - first["t"])
            same_read += delay == 0 and first is second
    return {"arrive": arrive, "gap_now": gap_now, "gap_typist": gap_typist, "same_read": same_read}


def _app_runs(inj: Injector, lines: Callable[[], list[dict[str, Any]]], runs: int) -> dict[str, Any]:
    end_to_end: list[float] = []
    typed_taps = 0
    for _ in range(runs):
        n = len(lines())
        t0 = inj.send(SHIFT_R, True)
        inj.send(SHIFT_R, False)
        if not wait_for(lambda n=n: any("tap" in x for x in lines()[n:]), 5):
            raise RuntimeError("a lone Right Shift did not tap in the app in kitty")
        end_to_end.append(next(x for x in lines()[n:] if "tap" in x)["t"] - t0)
        for delay in (0.0, 0.1):
            n = len(lines())
            inj.send(SHIFT_R, True)
            if delay:
                time.sleep(delay)  # the typist's delay being simulated
            inj.send(KEY_A, True)
            inj.send(KEY_A, False)
            inj.send(SHIFT_R, False)
            if not wait_for(lambda n=n: any(x.get("key") == "A" for x in lines()[n:]), 5):
                raise RuntimeError("the app in kitty did not get the A")
            time.sleep(0.6)  # longer than the window: a tap, if any, has fired by now
            typed_taps += sum("tap" in x for x in lines()[n:])
        n = len(lines())  # Ctrl+Right Shift (a layout switch), Ctrl first
        for keycode, down in ((CTRL_L, True), (SHIFT_R, True), (SHIFT_R, False), (CTRL_L, False)):
            inj.send(keycode, down)
        if not wait_for(lambda n=n: any(x.get("key") == "right_shift" for x in lines()[n:]), 5):
            raise RuntimeError("the app in kitty did not get Ctrl+Right Shift")
        time.sleep(0.6)  # longer than the window
        typed_taps += sum("tap" in x for x in lines()[n:])
        time.sleep(0.3)  # quiet before the next lone Right Shift
    return {"end_to_end": end_to_end, "typed_taps": typed_taps}


def global_tap(runs: int) -> list[float]:
    from tui.trigger import GlobalHotkey, Trigger

    done = threading.Event()
    pressed: list[float] = []

    def on_toggle(_source: str) -> None:
        pressed.append(time.monotonic())
        done.set()

    hotkey = GlobalHotkey(Trigger(on_toggle, debounce_s=0))
    problem = hotkey.start()
    if problem:
        raise SystemExit(problem)
    inj = Injector()
    latencies = []
    try:
        for _ in range(runs):
            done.clear()
            inj.send(SHIFT_R, True)
            released = inj.send(SHIFT_R, False)
            if not done.wait(5):
                raise SystemExit("the global listener did not press")
            latencies.append(pressed[-1] - released)
    finally:
        inj.close()
        hotkey.stop()
    return latencies


def terminal_tap(runs: int) -> tuple[float, list[float]]:
    from textual.app import App

    from tui.widgets.trigger_keys import TriggerKeys

    class Host(App[None]):
        room = None
        hotkey = None

        def __init__(self) -> None:
            super().__init__()
            self.keys = TriggerKeys(self)
            self.fired = 0

        def _toggle(self, source: str) -> None:
            self.fired += 1

    async def run() -> tuple[float, list[float]]:
        app = Host()
        out: list[float] = []
        async with app.run_test() as pilot:
            for i in range(runs):
                app.keys.right_shift()
                while app.fired <= i:
                    await pilot.pause(0.005)
                assert app.keys.tap.last_latency_s is not None
                out.append(app.keys.tap.last_latency_s)
        return app.keys.tap.window_s, out

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="replace the section in bench/README.md")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        raise SystemExit('No X display: run eval "$(scripts/setup_display.sh)" first.')

    kitty = kitty_timings(args.runs)
    window, terminal = terminal_tap(args.runs)
    global_ = global_tap(args.runs)
    rows = [
        ("terminal tap latency: `right_shift` -> press (the window + Textual timer)", summary(terminal), "-"),
        (
            "global tap latency: injected release -> press (user sees: tap hold time + this)",
            summary(global_),
            "-",
        ),
    ]
    if kitty is not None:
        gap = summary(kitty["gap_now"]) + f"; same read {kitty['same_read']}/{args.runs}"
        rows += [
            (
                f"kitty {kitty['version']}: injected Right Shift down -> `ESC[57447u` read",
                summary(kitty["arrive"]),
                "-",
            ),
            (
                "kitty: Right Shift + a injected back to back: gap between the two sequences",
                gap,
                f"< {ms(window)}",
            ),
            ("kitty: a injected 100 ms after Right Shift (a typist): gap", summary(kitty["gap_typist"]), "-"),
            (
                "app in kitty: injected Right Shift down -> tap (terminal, end to end)",
                summary(kitty["end_to_end"]),
                "-",
            ),
            (
                "app in kitty: taps from a capital typed with Right Shift (0 or 100 ms), or Ctrl+Shift",
                f"{kitty['typed_taps']} of {3 * args.runs}",
                "0",
            ),
        ]
    for name, value, goal in rows:
        print(f"{name}: {value} (goal {goal})")
    if args.write:
        text = (
            "## Trigger keys\n\n"
            f"`bench/hotkey.py` ({platform.machine()}, {os.cpu_count()} CPUs shared with other jobs, "
            f"Python {platform.python_version()}, Xvfb, XTEST injection; window "
            f"`TERMINAL_WINDOW_S` = {ms(window)}).\n\n" + table(rows) + "\n\n"
            "How: a terminal without key-release events (Textual asks kitty for flags 25) sends Right "
            "Shift when it goes down, so a bare `right_shift` waits the window for another key; the "
            "delay it adds is the window. The global listener sees the release, so it adds no window: "
            "it presses on the release, i.e. after the hold time of the user's tap (not measured here). "
            "kitty sends the key that follows Right Shift as its own read, a few ms after the X "
            "event; the gap a window must cover is the typist's own delay between Shift and the letter.\n"
        )
        write_section("Trigger keys", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
