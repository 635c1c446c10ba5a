"""Pilot tests of what a person sees at the sizes a meeting-room terminal has (80x24, 60x20, 200x50):
the start of each reply, the whole footer, the backend in the status bar, the meters' size; and the
replies pane saying once how to get answers when no agent is configured."""

from __future__ import annotations

from tests.helpers import record_one_turn, wait_until
from tui.app import VoxroomApp
from tui.commands.doctor import check_backends
from tui.config import Settings
from tui.model import NO_AGENT_NEXT_STEP, STATUS_NOTES, TurnStatus
from tui.room import Room


def make_app(settings: Settings, room: Room) -> VoxroomApp:
    return VoxroomApp(settings, room=room, hotkey=False, warm_up=False)


def shown_text(app: VoxroomApp, selector: str) -> str:
    """The text of the widgets matching ``selector`` on the main screen, as drawn (wrapped lines
    joined with spaces)."""
    return " ".join(" ".join(str(w.render()).split()) for w in app.main.query(selector) if w.display)


async def test_without_an_agent_the_replies_pane_says_once_how_to_get_answers(
    tui_settings, make_room
) -> None:
    tui_settings.agent.backend = "none"
    app = make_app(tui_settings, make_room(tui_settings))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.main.replies_pane
        await wait_until(pilot, lambda: bool(pane.query(".placeholder")))
        # Before the first turn: the placeholder says it.
        assert NO_AGENT_NEXT_STEP in shown_text(app, "#replies .placeholder")

        await record_one_turn(pilot, app)
        await record_one_turn(pilot, app)
        unanswered = f"({STATUS_NOTES[TurnStatus.NO_AGENT]})"
        assert pane.notes == [unanswered, unanswered]  # each turn says it was not answered
        assert pane.next_steps == [NO_AGENT_NEXT_STEP]  # how to get answers: once, under the first
        assert shown_text(app, "#replies Static").count("To get answers") == 1

        # A new session's pane says it again, once.
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: bool(pane.query(".placeholder")) and not pane.texts)
        assert NO_AGENT_NEXT_STEP in shown_text(app, "#replies .placeholder")

    # `voxroom doctor` gives the same next step, from the same string.
    (agent,) = [check for check in check_backends(tui_settings) if check.name == "agent"]
    assert agent.detail.endswith(NO_AGENT_NEXT_STEP)


async def test_with_an_agent_the_replies_pane_says_nothing_about_getting_answers(
    tui_settings, make_room
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: bool(app.main.replies_pane.query(".placeholder")))
        assert shown_text(app, "#replies .placeholder") == "Replies appear here."
