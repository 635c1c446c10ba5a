"""Saving headless turns (``voxroom ask``) into sessions, like the TUI does."""

from __future__ import annotations

from tui.audio.clip import Clip
from tui.backends import Backends
from tui.config import Settings
from tui.turn import TurnResult


class TurnSaver:
    """Placeholder until the session store lands: keeps nothing."""

    def __init__(self, conversation_id: str | None = None) -> None:
        self.conversation_id = conversation_id

    @classmethod
    def for_command(cls, settings: Settings, backends: Backends, session_id: str | None) -> TurnSaver:
        return cls()

    def keep_recording(self, clip: Clip) -> Clip:
        return clip

    def save(self, recording: Clip, result: TurnResult) -> str | None:
        return None
