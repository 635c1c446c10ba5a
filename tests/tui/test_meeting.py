"""The meeting layer without a screen: a turn left waiting by quitting while recording is named at the
next start with the keys that answer it, and shows its length and ``ctrl+r answers it`` once its
session is continued."""

from __future__ import annotations

from tests.helpers import RoomEvents
from tui.meeting import Meeting, OpenMode, Shown
from tui.meeting.events import Notice, SessionShown


def test_a_turn_left_waiting_by_quitting_while_recording_is_shown_at_the_next_start(
    tui_settings, make_room
) -> None:
    room = make_room(realtime=True)
    first = Meeting(tui_settings, room)
    first.start()
    first.press("fallback")
    assert first.recording
    session_id = room.log.session_id
    first.close()  # quitting while recording: the recording is kept as an interrupted turn

    later = Meeting(tui_settings, factory=lambda _settings: make_room())
    heard = RoomEvents()
    later.subscribe(heard)
    later.start()
    waiting = [n for n in heard.of(Notice) if n.title == "Interrupted turn waiting"]
    assert len(waiting) == 1
    assert all(key in waiting[0].message for key in ("ctrl+o", "ctrl+t", "ctrl+r"))

    later.open(session_id, OpenMode.VIEW)
    read = heard.of(SessionShown)[-1]
    assert read.shown == Shown.READ_ONLY
    assert "continue it (ctrl+t), then ctrl+r answers it" in read.turns[-1].note

    later.open(session_id, OpenMode.CONTINUE)
    shown = heard.of(SessionShown)[-1]
    assert shown.shown == Shown.LIVE and later.room is not None and later.room.can_retry
    note = shown.turns[-1].note
    assert note.startswith("Interrupted, recording ") and note.endswith(" s: ctrl+r answers it")
    later.close()
