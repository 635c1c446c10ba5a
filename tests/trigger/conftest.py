"""The Xvfb display for pynput (scripts/setup_display.sh); DISPLAY must be set before pynput loads."""

from __future__ import annotations

from tests.audio.env import ensure_display

ensure_display()
