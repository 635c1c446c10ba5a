"""Pilot tests of the Minutes screen against the stand-in (the real SDK over HTTP): opened with its key
and from the palette, the minutes shown with owners who are people of the session and times inside
it, saved with the session, updated on request, a request cancelled, an agent failure shown and
retried, and no agent configured."""

from __future__ import annotations

import json
import re

from textual.widgets import Footer
from textual.worker import WorkerState

from tests.helpers import record_one_turn, wait_until
from tests.standin import Fault, MistralStandIn, Reply
from tests.tui.test_app import SIZE, make_app, run_command
from tui.app import VoxroomApp
from tui.meeting.minutes import no_agent
from tui.model import NO_AGENT_NEXT_STEP
from tui.screens.minutes import ASKING, CANCELLED, SAVED, MinutesScreen
from tui.sessions.clock import clock_time
from tui.sessions.minutes import MINUTES_FILE, load_minutes

TASK = re.compile(r"^\[ \] (.+?): (.+) \((\d\d:\d\d)\)$", re.M)


def screen_of(app: VoxroomApp) -> MinutesScreen:
    screen = app.screen
    assert isinstance(screen, MinutesScreen), screen
    return screen


def asking(app: VoxroomApp) -> bool:
    """A request for the minutes is still running in a worker."""
    return any(
        w.group == "minutes-ask" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        for w in app.workers
    )


async def named_turn(pilot, app: VoxroomApp) -> None:  # type: ignore[no-untyped-def]
    """One turn recorded, and its first speaker named Alice (saved in the session)."""
    await record_one_turn(pilot, app)
    app.main.in_worker("save that name", app.meeting.rename, "speaker_1", "Alice")
    session = app.meeting.room.log.session  # type: ignore[union-attr]
    await wait_until(pilot, lambda: session.speaker_names.get("speaker_1") == "Alice")


async def open_minutes(pilot, app: VoxroomApp) -> MinutesScreen:  # type: ignore[no-untyped-def]
    await pilot.press("m")
    await wait_until(pilot, lambda: isinstance(app.screen, MinutesScreen))
    return screen_of(app)


async def test_minutes_are_asked_shown_with_people_and_times_saved_and_updated(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await named_turn(pilot, app)
        session = app.meeting.room.log.session  # type: ignore[union-attr]
        before = mistral_server.call_count("conversations.start")  # the turn's own reply
        screen = await open_minutes(pilot, app)
        # none saved yet: the screen asks at once, and shows them when they are in
        await wait_until(pilot, lambda: screen.view is not None and not screen.asking)
        tasks = TASK.findall(screen.text)
        assert [owner for owner, _, _ in tasks] == ["Alice", "speaker_2"], screen.text
        assert screen.state == SAVED
        keys = [str(key.description) for key in screen.query_one(Footer).query("FooterKey")]
        assert keys == ["Close / cancel", "Update"], keys
        saved = load_minutes(session.folder)
        assert saved is not None and [a.owner for a in saved.actions] == ["speaker_1", "speaker_2"]
        assert [clock for _, _, clock in tasks] == [clock_time(session, a.at) for a in saved.actions]
        assert all(0 <= a.at <= session.duration for a in saved.actions)
        assert "Yes. What is the weather in Paris today?" in screen.text  # the words it came from
        assert mistral_server.call_count("conversations.start") == before + 1
        request = mistral_server.requests_to("conversations.start")[-1]
        assert "completion_args" in request.json and "Alice" in request.json["inputs"]

        # update: the agent is asked again; what it says is shown as written, never as markup
        answer = {
            "summary": "Keep [x] and $speaker-1 as typed.",
            "decisions": ["Ship [by Friday]"],
            "action_items": [],
            "open_questions": [],
        }
        mistral_server.script(Reply(json.dumps(answer)))
        await pilot.press("u")
        await wait_until(pilot, lambda: mistral_server.call_count("conversations.start") == before + 2)
        await wait_until(pilot, lambda: not screen.asking)
        assert "Keep [x]" in screen.text, screen.state
        assert mistral_server.call_count("conversations.start") == before + 2
        body = str(screen.body.render())
        assert "Keep [x] and $speaker-1 as typed." in body and "• Ship [by Friday]" in body
        minutes = load_minutes(session.folder)
        assert minutes is not None and minutes.summary == "Keep [x] and $speaker-1 as typed."

        # closed and opened again: the saved minutes, read back, without asking
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MinutesScreen))
        screen = await open_minutes(pilot, app)
        await wait_until(pilot, lambda: screen.read)
        assert "Keep [x]" in screen.text and mistral_server.call_count("conversations.start") == before + 2


async def test_the_palette_offers_minutes_with_its_key(tui_settings, make_room) -> None:
    from tests.tui.test_palette import _listed

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert "Minutes" not in dict(await _listed(pilot, app))  # nothing said yet
        await record_one_turn(pilot, app)
        shown = dict(await _listed(pilot, app, "minutes"))
        assert shown["Minutes"].startswith("Minutes  M")
        await run_command(pilot, app, "minutes")
        screen = screen_of(app)
        await wait_until(pilot, lambda: screen.view is not None)


async def test_esc_cancels_a_request_and_nothing_is_saved(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await named_turn(pilot, app)
        session = app.meeting.room.log.session  # type: ignore[union-attr]
        before = mistral_server.call_count("conversations.start")
        mistral_server.fail("conversations.start", Fault.slow(1.5), times=1)
        screen = await open_minutes(pilot, app)
        await wait_until(pilot, lambda: screen.state == ASKING)
        await wait_until(pilot, lambda: mistral_server.call_count("conversations.start") == before + 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.state == CANCELLED)
        assert isinstance(app.screen, MinutesScreen)  # the first esc cancels, it does not close
        await wait_until(pilot, lambda: not asking(app))  # the answer came in, and was dropped
        assert not (session.folder / MINUTES_FILE).exists()
        assert screen.view is None and screen.state == CANCELLED
        await pilot.press("u")  # asked again: this one is kept
        await wait_until(pilot, lambda: screen.view is not None and not screen.asking)
        assert (session.folder / MINUTES_FILE).exists()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MinutesScreen))
        assert app.worker_failures == 0


async def test_an_agent_failure_is_shown_and_u_retries(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await named_turn(pilot, app)
        mistral_server.fail("conversations.start", Fault.http(401))
        screen = await open_minutes(pilot, app)
        await wait_until(pilot, lambda: screen.failed and not screen.asking)
        assert "rejected the API key (401)" in screen.state and screen.state.endswith("Press u to ask again.")
        assert screen.status.has_class("-error") and screen.view is None
        mistral_server.clear_faults()
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.view is not None and not screen.asking)
        assert not screen.failed and TASK.search(screen.text)
        # an answer that is not usable keeps the minutes shown and saved, and says so
        mistral_server.script(Reply("{not json"))
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.failed and not screen.asking)
        assert screen.state.startswith("The agent's minutes were not usable")
        assert "voxroom minutes" not in screen.state and TASK.search(screen.text)
        assert app.worker_failures == 0 and app.is_running


async def test_with_no_agent_it_says_how_to_configure_one(tui_settings, make_room, mistral_server) -> None:
    from tests.tui.test_palette import _listed

    tui_settings.agent.backend = "none"
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        before = mistral_server.call_count("conversations.start")
        shown = dict(await _listed(pilot, app, "minutes"))
        assert NO_AGENT_NEXT_STEP in shown["Minutes"]
        screen = await open_minutes(pilot, app)
        await wait_until(pilot, lambda: screen.read)
        assert screen.state == no_agent() and screen.failed
        footer = screen.query_one(Footer)  # u is not offered: it could not do anything
        await wait_until(pilot, lambda: bool(footer.children))
        await pilot.pause()
        assert [str(key.description) for key in footer.query("FooterKey")] == ["Close / cancel"]
        await pilot.press("u")
        await pilot.pause()
        assert screen.state == no_agent() and not screen.asking
        assert mistral_server.call_count("conversations.start") == before == 0
