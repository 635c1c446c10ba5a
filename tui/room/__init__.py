"""The room: what happens between a key press and a spoken answer, without a screen.

- :mod:`tui.room.events`: what the room reports (states, turn progress, failures, replay).
- :mod:`tui.room.ports`: what it needs from its parts (recorder, player, runner, live transcription).
- :mod:`tui.room.controller`: the :class:`Room` itself (toggle, queue, barge-in, retry, replay).
- :mod:`tui.room.wiring`: building it from the settings, and the session work the app asks for.

Test doubles (a file-fed recorder, a fixed meter) are in :mod:`tui.testing`.
"""

from tui.room.controller import Room
from tui.room.events import (
    IDLE,
    PROCESSING,
    RECORDING,
    SPEAKING,
    RecordingStarted,
    RecordingStopped,
    ReplayProgress,
    ReplyDelta,
    ReplyReady,
    RoomEvent,
    RoomFailed,
    RoomNotice,
    SentenceSpoken,
    SessionChanged,
    StageChanged,
    StateChanged,
    TranscriptionProgress,
    TranscriptReady,
    TurnFinished,
    TurnStarted,
)
from tui.room.ports import SILENT, Level, LevelLike

__all__ = [
    "IDLE",
    "PROCESSING",
    "RECORDING",
    "SILENT",
    "SPEAKING",
    "Level",
    "LevelLike",
    "RecordingStarted",
    "RecordingStopped",
    "ReplayProgress",
    "ReplyDelta",
    "ReplyReady",
    "Room",
    "RoomEvent",
    "RoomFailed",
    "RoomNotice",
    "SentenceSpoken",
    "SessionChanged",
    "StageChanged",
    "StateChanged",
    "TranscriptReady",
    "TranscriptionProgress",
    "TurnFinished",
    "TurnStarted",
]
