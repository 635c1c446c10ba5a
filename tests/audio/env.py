"""Make sure the virtual sound server and display are up, and their variables are in os.environ.

``scripts/run-tests.sh`` already evals both setup scripts; this covers a bare ``pytest`` too. It must
run before anything imports sounddevice (PortAudio lists devices once, at import: pitfall A1) or
pynput (which picks its backend from ``DISPLAY`` at import: pitfall H4).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_AUDIO = REPO / "tests" / "data" / "audio"
AUDIO_VARS = ("PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH")


def apply_exports(script: str) -> None:
    env = dict(os.environ)
    env.setdefault("VAUDIO_DIR", "/tmp/vx-audio")
    env.setdefault("VDISPLAY_DIR", "/tmp/vx-display")
    out = subprocess.run(
        [str(REPO / "scripts" / script)], check=True, capture_output=True, text=True, env=env
    ).stdout
    for line in out.splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            os.environ[m.group(1)] = shlex.split(m.group(2))[0]


def ensure_audio() -> None:
    missing = any(not os.environ.get(v) for v in AUDIO_VARS)
    socket = os.environ.get("PULSE_SERVER", "").removeprefix("unix:")
    if missing or (socket and not Path(socket).exists()):
        apply_exports("setup_audio.sh")
        sd = sys.modules.get("sounddevice")
        if sd is not None:  # imported too early by someone else: list the devices again
            sd._terminate()
            sd._initialize()


def ensure_display() -> None:
    if not os.environ.get("DISPLAY"):
        apply_exports("setup_display.sh")
