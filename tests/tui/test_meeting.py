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


def test_a_launch_soon_after_the_last_session_offers_to_continue_it(tui_settings, make_room) -> None:
    """The new session of a launch is kept only if something is recorded into it: continuing the last
    one (ctrl+t, named in the notice) or quitting removes its folder."""
    room = make_room(realtime=True)
    first = Meeting(tui_settings, room)
    first.start()
    first.press("fallback")
    last_id = room.log.session_id
    first.close()  # one (interrupted) turn: a session with turns, touched just now

    later = Meeting(tui_settings, factory=lambda _settings: make_room())
    heard = RoomEvents()
    later.subscribe(heard)
    later.start()
    offered = [n for n in heard.of(Notice) if n.title == "Last session"]
    assert len(offered) == 1 and "just now? Press ctrl+t." in offered[0].message
    assert later.can_continue and later.room is not None
    fresh = later.room.log.session.folder  # type: ignore[attr-defined]
    assert fresh is not None and fresh.is_dir()

    later.continue_shown()  # ctrl+t with nothing opened: the offered session
    assert later.room.log.session_id == last_id and heard.of(SessionShown)[-1].shown == Shown.LIVE
    assert not fresh.exists()  # nothing was recorded into the launch's own session: not kept
    assert not later.can_continue
    later.close()
    assert later.room.log.session.folder.is_dir()  # type: ignore[attr-defined]

    quitter = Meeting(tui_settings, factory=lambda _settings: make_room())
    quitter.start()
    own = quitter.room.log.session.folder  # type: ignore[union-attr]
    quitter.close()
    assert not own.exists()
    sessions = [p.name for p in (tui_settings.data_dir / "sessions").iterdir() if p.is_dir()]
    assert sessions == [last_id]


def test_only_a_session_touched_under_two_hours_ago_is_offered(tui_settings, make_room) -> None:
    from datetime import timedelta

    from tui.meeting import startup
    from tui.sessions.fields import parse_time

    room = make_room(realtime=True)
    first = Meeting(tui_settings, room)
    first.start()
    first.press("fallback")
    first.close()
    recent = startup.recent_session(tui_settings)
    assert recent is not None and recent.id == room.log.session_id
    touched = parse_time(recent.updated)
    assert touched is not None
    soon = touched + timedelta(minutes=10, seconds=5)
    assert startup.recent_session(tui_settings, soon) == recent
    assert "from 10 minutes ago? Press ctrl+t." in startup.recent_notice(recent, soon).message
    assert startup.recent_session(tui_settings, touched + timedelta(hours=2)) is None
    assert [startup.ago(s) for s in (30, 60, 600, 3600, 7300)] == [
        "just now",
        "1 minute ago",
        "10 minutes ago",
        "1 hour ago",
        "2 hours ago",
    ]
