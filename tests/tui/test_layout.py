"""Pilot tests of what a person sees at the sizes a meeting-room terminal has (80x24, 60x20, 200x50):
the start of each reply, the whole footer, the backend in the status bar, the meters' size; and the
replies pane saying once how to get answers when no agent is configured."""

from __future__ import annotations

import pytest

from tests.helpers import record_one_turn, wait_until
from tests.standin import MistralStandIn, Reply
from tui.app import VoxroomApp
from tui.commands.doctor import check_backends
from tui.config import Settings
from tui.model import NO_AGENT_NEXT_STEP, STATUS_NOTES, TurnStatus
from tui.room import Room
from tui.widgets.footer import FittingFooter
from tui.widgets.level_bar import MAX_BAR


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


def screen_lines(app: VoxroomApp) -> list[str]:
    """The terminal's lines as the app draws them (the screen on top, over what it covers)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


LONG_REPLY = "First words of a long answer. " + " ".join(f"word{i}" for i in range(160)) + " Last words."


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_a_small_terminal_shows_each_replys_start_the_whole_footer_and_the_backend(
    size: tuple[int, int], tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply("A short first answer."), Reply(LONG_REPLY))
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=size) as pilot:
        pane = app.main.replies_pane
        await record_one_turn(pilot, app)
        await record_one_turn(pilot, app)
        await wait_until(pilot, lambda: pane.texts[-1].endswith("Last words."))
        await pilot.pause()
        lines = screen_lines(app)
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        # The long reply is taller than the pane: its first line is in view, not its end.
        assert any("│ First words of a long" in line for line in lines), "\n".join(lines)
        assert not any("Last words." in line for line in lines), "\n".join(lines)
        # The replies pane has most of the left column: the meters take 8 rows.
        meters = app.main.recording_pane.outer_size.height + app.main.playback_meter.outer_size.height
        assert meters == 8, meters
        assert pane.outer_size.height == size[1] - 2 - meters
        assert pane.outer_size.width == size[0] // 2  # half the width below 100 columns
        # The status bar names the backend after the turns too.
        assert lines[-2].startswith(" Mistral │ "), lines[-2]
        # The footer: every key it shows is whole, the palette's key last.
        footer = lines[-1]
        footer_widget = app.main.query_one(FittingFooter)
        assert footer_widget._fitted is not None
        for _action, label in footer_widget._fitted:
            assert f" {label} " in f" {footer} ", (label, footer)
        assert footer.rstrip().endswith("^p palette"), footer
        assert "space Record" in footer and "^q Quit" in footer and "f1 Help" in footer, footer


async def test_a_wide_terminal_gets_the_whole_footer_and_meters_that_do_not_sprawl(
    tui_settings, make_room
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: app.main.query_one(FittingFooter)._fitted is not None)
        await pilot.pause()
        lines = screen_lines(app)
        assert "space Record / stop" in lines[-1] and "^e Export" in lines[-1], lines[-1]
        assert not app.main.has_class("-short") and not app.main.has_class("-narrow")
        bars = [line for line in lines if "RMS " in line or "PEAK " in line]
        assert len(bars) == 4  # two rows per meter on a tall terminal
        for line in bars:
            cells = line.count("░") + line.count("█")
            assert cells == MAX_BAR, line


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_dialog_hints_are_whole_on_a_small_terminal(
    size: tuple[int, int], tui_settings, make_room
) -> None:
    from tui.meeting.values import Person
    from tui.screens.people import PeopleDialog
    from tui.screens.sessions import SessionBrowser

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=size) as pilot:
        for dialog, hint in (
            (SessionBrowser([]), "Enter: open read-only · ctrl+t: continue it · esc: close"),
            (
                PeopleDialog([Person("speaker_1", "", 12.0, True)]),
                "p: play a sample of the voice · r or Enter: name them · esc: close",
            ),
        ):
            app.push_screen(dialog)
            await wait_until(pilot, lambda d=dialog: app.screen is d and bool(d.query(".hint")))
            await pilot.pause()
            shown = " ".join(" ".join(screen_lines(app)).replace("│", " ").split())
            assert hint in shown, shown
            app.pop_screen()
