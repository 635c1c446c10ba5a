"""Pilot tests of the transcript pane's turn headers and times (written as ``voxroom sessions show``
and the exports write them: one format everywhere) and of renaming the session in the app."""

from __future__ import annotations

import re

from textual.widgets import Input

from tests.helpers import record_one_turn, wait_until
from tests.tui.test_app import SIZE, make_app, run_command
from tui.app import VoxroomApp
from tui.meeting.values import OpenMode
from tui.screens.rename import RenameSessionDialog
from tui.sessions.clock import turn_header
from tui.sessions.export import export_session
from tui.sessions.model import MAX_TITLE
from tui.sessions.store import SessionStore

HEADER = re.compile(r"^Turn \d+ · \d\d:\d\d · (question|notes)$")


def shown_like_sessions_show(text: str) -> tuple[list[str], list[str]]:
    """The turn headers and transcript lines of ``voxroom sessions show`` (the text export)."""
    lines = text.splitlines()
    return [x for x in lines if x.startswith("Turn ")], [x for x in lines if x.startswith("[")]


async def test_turn_headers_and_times_are_those_of_sessions_show(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await record_one_turn(pilot, app)
        pane = app.main.transcript_pane
        session = app.meeting.room.log.session  # type: ignore[union-attr]
        store = SessionStore(tui_settings.sessions_dir)
        headers, lines = shown_like_sessions_show(export_session(store.open(session.id), "txt"))
        assert pane.headers == headers == [turn_header(t) for t in session.turns]
        assert all(HEADER.match(h) for h in pane.headers), pane.headers
        assert pane.lines == lines and len(lines) == 4
        # the second turn's lines continue the session timeline where the first turn ended
        second = pane.lines[2]
        start = re.match(r"^\[(\d+):(\d\d) -> ", second)
        assert start is not None and int(start[1]) * 60 + int(start[2]) >= int(session.turns[0].span)

        # the same session opened from the store: the same headers and lines
        app.main.in_worker("open", app.meeting.open, session.id, OpenMode.VIEW)
        await wait_until(pilot, lambda: app.meeting.read_only and len(pane.lines) == 4)
        assert pane.headers == headers and pane.lines == lines


async def open_rename(pilot, app: VoxroomApp) -> RenameSessionDialog:  # type: ignore[no-untyped-def]
    await run_command(pilot, app, "rename session")
    await wait_until(pilot, lambda: isinstance(app.screen, RenameSessionDialog))
    dialog = app.screen
    assert isinstance(dialog, RenameSessionDialog)
    await wait_until(pilot, lambda: dialog.query_one("#title", Input).has_focus)
    return dialog


async def test_renaming_the_session_saves_a_clean_bounded_title(tui_settings, make_room) -> None:
    from tests.tui.test_palette import _listed

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert "Rename session" not in dict(await _listed(pilot, app))  # nothing recorded yet
        await record_one_turn(pilot, app)
        session = app.meeting.room.log.session  # type: ignore[union-attr]
        store = SessionStore(tui_settings.sessions_dir)
        first_words = session.title
        assert session.auto_title

        dialog = await open_rename(pilot, app)
        box = dialog.query_one("#title", Input)
        assert box.value == "" and box.max_length == MAX_TITLE
        box.value = "Budget\x1b[31m  review\n[b]Q3[/b]\u202e"  # escapes, a newline, markup, a bidi override
        await pilot.press("enter")
        await wait_until(pilot, lambda: not session.auto_title)
        want = "Budget review [b]Q3[/b]"
        assert store.open(session.id).title == want == session.title
        await wait_until(pilot, lambda: f"session {want}" in app.main.status_bar.text)
        assert "[b]Q3[/b]" in app.main.status_bar.text  # shown as typed, not as markup

        dialog = await open_rename(pilot, app)
        box = dialog.query_one("#title", Input)
        assert box.value == want  # the title it has, to edit
        box.value = "y" * (MAX_TITLE + 50)  # as a paste would put it there
        await pilot.press("enter")
        await wait_until(pilot, lambda: session.title != want)
        assert 0 < len(store.open(session.id).title) <= MAX_TITLE

        dialog = await open_rename(pilot, app)  # empty: named after its first words again
        dialog.query_one("#title", Input).value = "   "
        await pilot.press("enter")
        await wait_until(pilot, lambda: session.auto_title)
        assert store.open(session.id).title == first_words

        dialog = await open_rename(pilot, app)  # esc keeps the title
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RenameSessionDialog))
        assert store.open(session.id).title == first_words and app.worker_failures == 0


async def test_a_sample_keeps_its_title(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        app.main.in_worker("open", app.meeting.open, "sample:endgame", OpenMode.VIEW)
        await wait_until(pilot, lambda: app.meeting.read_only and app.main.transcript_pane.lines)
        assert not app.meeting.can_title
        headers = app.main.transcript_pane.headers
        assert headers and all(h.startswith("Turn ") for h in headers)
        app.main.action_rename_session()
        await pilot.pause()
        assert not isinstance(app.screen, RenameSessionDialog)


async def test_a_notes_turn_is_headed_notes_and_timed_after_the_turn_before(tui_settings, make_room) -> None:
    from tui.model import Segment, TurnKind
    from tui.sessions.model import TurnRecord

    store = SessionStore(tui_settings.sessions_dir)
    session = store.create(title="Notes then a question")
    said = [Segment(0.5, 2.0, "speaker_1", "We keep the budget."), Segment(2.5, 4.0, "speaker_2", "Agreed.")]
    store.add_turn(session, TurnRecord(duration=65.0, segments=said, kind=TurnKind.NOTES))
    store.add_turn(session, TurnRecord(duration=5.0, segments=[Segment(0.2, 1.8, "speaker_2", "Budget?")]))
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        app.main.in_worker("open", app.meeting.open, session.id, OpenMode.VIEW)
        pane = app.main.transcript_pane
        await wait_until(pilot, lambda: app.meeting.read_only and len(pane.lines) == 3)
        assert [h.rsplit(" · ", 1)[1] for h in pane.headers] == ["notes", "question"]
        assert pane.lines[2] == "[1:05 -> 1:07] speaker_2 : Budget?"  # after the 65 s of notes
        headers, lines = shown_like_sessions_show(export_session(store.open(session.id), "txt"))
        assert (pane.headers, pane.lines) == (headers, lines)
