"""The room: what happens between a key press and a spoken answer, without a screen.

- :mod:`tui.room.events`: what the room reports (the events of :mod:`tui.events`).
- :mod:`tui.room.ports`: what it needs from its parts (recorder, player, runner, live transcription).
- :mod:`tui.room.controller`: the :class:`Room` itself (toggle, the room's thread, barge-in, retry,
  state), made of :mod:`tui.room.recording` (start and stop), :mod:`tui.room.turns` (the turn queue)
  and :mod:`tui.room.replay` (playing a session back).
- :mod:`tui.room.live`: a turn's live transcription, finished at the stop and completed later.
- :mod:`tui.room.wiring`: building it from the settings, and the session work the app asks for.

Test doubles (a file-fed recorder, a fixed meter) are in :mod:`tui.testing`.
"""

from tui.room import events
from tui.room.controller import Room
from tui.room.events import *  # noqa: F403 - the events are the room's vocabulary
from tui.room.ports import SILENT, Level, LevelLike

__all__ = ["SILENT", "Level", "LevelLike", "Room", "events", *events.__all__]
