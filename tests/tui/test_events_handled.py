"""Every event the room or the meeting reports has one handler on the main screen (found by looking at
the events modules, so a new event without a handler fails here), and reply tokens coalesce on their
way to the panes without losing a character."""

from __future__ import annotations

import inspect

from tests.helpers import wait_until
from tui import events as room_events
from tui.app import VoxroomApp
from tui.meeting import Meeting
from tui.meeting import events as meeting_events
from tui.room.events import ReplyDelta, RoomEvent, TurnEvent, TurnStarted
from tui.screens.main import MainScreen, RoomUpdate

BASES = {RoomEvent, TurnEvent}
"""Kinds of events, never reported themselves."""


def reported_events() -> set[type[RoomEvent]]:
    found: set[type[RoomEvent]] = set()
    for module in (room_events, meeting_events):
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, RoomEvent) and value not in BASES:
                found.add(value)
    return found


def test_every_room_and_meeting_event_has_a_handler(tui_settings) -> None:
    screen = MainScreen(Meeting(tui_settings))
    events = reported_events()
    assert {room_events.RecordingStarted, room_events.RecordingStopped, meeting_events.SessionShown} <= events
    missing = sorted(e.__name__ for e in events if e not in screen.handlers)
    assert missing == []
    assert all(callable(handler) for handler in screen.handlers.values())


async def test_reply_deltas_coalesce_with_no_text_lost(tui_settings, make_room) -> None:
    """Deltas posted faster than the screen handles them reach the pane as one update, whole."""
    app = VoxroomApp(tui_settings, room=make_room(), hotkey=False, warm_up=False)
    words = [f"word{i} " for i in range(200)]
    async with app.run_test(size=(120, 34)) as pilot:
        screen = app.main
        await wait_until(pilot, lambda: screen.replies_pane.is_mounted)
        listener = screen._listener  # what the room's threads call
        listener(TurnStarted(7))
        for seq, word in enumerate(words, 1):  # all queued before the screen runs again
            listener(ReplyDelta(7, word, "".join(words[:seq]), seq))
        await wait_until(pilot, lambda: screen.replies_pane.texts == ["".join(words)])
        assert screen.reply_updates < len(words) // 10
        listener(ReplyDelta(7, "tail.", "".join(words) + "tail.", len(words) + 1))
        await wait_until(pilot, lambda: screen.replies_pane.texts == ["".join(words) + "tail."])


def test_only_a_later_delta_of_the_same_turn_replaces_an_update() -> None:
    first = RoomUpdate(ReplyDelta(1, "a", "a", 1))
    assert first.can_replace(RoomUpdate(ReplyDelta(1, "b", "ab", 2)))
    assert not first.can_replace(RoomUpdate(ReplyDelta(2, "b", "b", 1)))
    assert not RoomUpdate(ReplyDelta(1, "b", "ab", 2)).can_replace(first)
    assert not first.can_replace(RoomUpdate(TurnStarted(1)))
    assert not RoomUpdate(TurnStarted(1)).can_replace(RoomUpdate(TurnStarted(1)))
