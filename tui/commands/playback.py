"""Opening the speakers for headless commands (``ask``, ``say``, ``replay``)."""

from __future__ import annotations

from tui.audio.sinks import AudioSink
from tui.config import Settings


def open_output(settings: Settings) -> AudioSink:
    """The sounddevice player on the configured output device."""
    from tui.audio.player import Player

    return Player(device=settings.audio.output_device or None)
