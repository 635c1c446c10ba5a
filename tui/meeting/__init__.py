"""The meeting layer between the room and the screen: :class:`Meeting` owns the room and the session
on show and holds every use case the app offers; no Textual here.

- :mod:`tui.meeting.meeting`: the use cases, reported as events.
- :mod:`tui.meeting.shown`: reading and writing the session on show (history, people, export).
- :mod:`tui.meeting.events`: what the meeting reports beside the room's own events.
- :mod:`tui.meeting.values`: what dialogs decide and what the panes show, as plain values.
"""

from tui.meeting import events
from tui.meeting.meeting import Meeting, RoomFactory
from tui.meeting.values import OpenMode, PersonAction, Shown

__all__ = ["Meeting", "OpenMode", "PersonAction", "RoomFactory", "Shown", "events"]
