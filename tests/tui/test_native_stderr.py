"""Native library messages never reach the screen: ``voxroom`` in a tmux pane while C code writes to
file descriptor 2 (as ALSA does on an underrun); the line goes to the log, and fd 2 is the terminal
again once the app has quit (a traceback at exit is shown)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.tui.test_tmux import REPO, Tmux

pytestmark = [pytest.mark.tmux]

MESSAGE = "ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred"
# Waits on the FIFO (opened by the test once the app is up), then writes from C, as a library does.
SCRIPT = f"""
import ctypes, os, sys, threading
from tui.cli import main
def spill(fifo):
    with open(fifo) as gate:
        gate.read()
    line = b"{MESSAGE}\\n"
    ctypes.CDLL(None).write(2, line, len(line))
threading.Thread(target=spill, args=(sys.argv[1],), daemon=True).start()
main(["--backend", "mistral"])
raise RuntimeError("a traceback at exit")
"""


def _voxroom_in_tmux(tmp_path: Path, command: str) -> Tmux:
    """``command`` (a Voxroom with no key, its data in ``tmp_path/data``) in a 120x34 tmux pane that
    stays after it exits ("EXITED <code>"), once the app shows its screen."""
    tmux = Tmux(tmp_path / "tmux.sock")
    env = {
        "TERM": "xterm-256color",
        "HOME": str(tmp_path),
        "VOXROOM_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(REPO),
        "PULSE_SERVER": "unix:/nonexistent",
    }
    args = ["new-session", "-d", "-s", "vox", "-x", "120", "-y", "34"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    try:
        tmux(*args, f"{command}; echo EXITED $?")
        tmux("set-option", "-t", "vox", "remain-on-exit", "on")
        tmux.wait_for("needs an API key")
    except BaseException:
        tmux("kill-server", check=False)
        raise
    return tmux


def test_native_stderr_goes_to_the_log_while_the_app_runs(tmp_path: Path) -> None:
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    data = tmp_path / "data"
    script = tmp_path / "spill.py"
    script.write_text(SCRIPT)
    tmux = _voxroom_in_tmux(tmp_path, f"{sys.executable} {script} {fifo}")
    try:
        fifo.write_text("go")
        log = data / "voxroom.log"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (log.is_file() and MESSAGE in log.read_text()):
            time.sleep(0.05)  # polling the log file for the condition, not synchronisation
        assert log.is_file() and f"native: {MESSAGE}" in log.read_text()
        assert "underrun" not in tmux.screen() and "Transcript" in tmux.screen()
        tmux("send-keys", "-t", "vox", "C-q")
        screen = tmux.wait_for("EXITED")
        assert "RuntimeError: a traceback at exit" in screen  # fd 2 is the terminal again
        assert "underrun" not in screen
    finally:
        tmux("kill-server", check=False)


def test_a_fatal_error_while_the_app_runs_leaves_its_traceback_in_the_log(tmp_path: Path) -> None:
    """A segmentation fault (here the signal itself, as a native library's fault raises it) while the
    app runs: faulthandler writes the Python traceback to voxroom.log, never over the screen."""
    data = tmp_path / "data"
    tmux = _voxroom_in_tmux(tmp_path, f"{sys.executable} -m tui --backend mistral")
    try:
        pid = int(tmux("list-panes", "-t", "vox", "-F", "#{pane_pid}").split()[0])
        child = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        os.kill(int(child[0]), signal.SIGSEGV)
        screen = tmux.wait_for("EXITED")
        log = (data / "voxroom.log").read_text()
        assert "Fatal Python error: Segmentation fault" in log
        assert "File " in log.split("Fatal Python error", 1)[1]  # the threads' Python stacks
        assert "Fatal Python error" not in screen
    finally:
        tmux("kill-server", check=False)
