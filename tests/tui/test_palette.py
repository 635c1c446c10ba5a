"""Pilot tests of the command palette and the help screen: a search for a command's name runs that
command, only Voxroom's commands that can run now are offered, each with its key, and the help says how
to close it and shows key names as written."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.widgets import Footer, Markdown

from tests.helpers import record_one_turn, type_text, wait_until
from tests.tui.test_app import SIZE, make_app, run_command
from tui.actions import COMMANDS, key_label
from tui.app import VoxroomApp
from tui.room import ReplayProgress
from tui.screens.help import HelpScreen
from tui.screens.palette import rank

TEXTUAL_ONLY = {"Keys", "Screenshot", "Theme"}


async def _listed(pilot, app: VoxroomApp, query: str = "") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The palette's entries for ``query`` as (title, what it shows), then the palette closed."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    if query:
        await type_text(pilot, query)
    commands = app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: commands.option_count > 0 and app.screen.has_class("-ready"))
    options = [commands.get_option_at_index(i) for i in range(commands.option_count)]
    listed = [(str(o.hit.text), str(o.prompt)) for o in options]  # type: ignore[attr-defined]
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))
    return listed


def test_a_title_that_is_the_query_or_starts_with_it_ranks_first() -> None:
    fuzzy_high, fuzzy_low = 50.0, 1.0  # the fuzzy score can favour the longer title: the tier wins
    assert rank("replay", "Replay session", fuzzy_low) > rank("replay", "Stop speaking or replay", fuzzy_high)
    assert rank("help", "Help", fuzzy_low) > rank("help", "Help me", fuzzy_high)
    assert rank("stop", "Stop speaking or replay", 1.0) > rank("stop", "Rename speaker", 99.0)
    assert all(0.0 <= rank("x", t, f) <= 1.0 for t in ("x", "xy", "a x", "axb") for f in (0.0, 1.0, 1e6))


async def test_searching_replay_and_enter_starts_a_replay(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    app.meeting.replay_speed = 4.0  # no speaker in this test: the replay is timed by the clock
    progress: list[ReplayProgress] = []
    room.subscribe(lambda e: progress.append(e) if isinstance(e, ReplayProgress) else None)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        listed = await _listed(pilot, app, "replay")
        assert listed[0][0] == "Replay session", listed  # "Stop speaking or replay" also matches
        await run_command(pilot, app, "replay")
        await wait_until(pilot, lambda: app.main.replays_finished == 1, timeout=20)
        assert progress and progress[0].kind == "recording"


async def test_the_palette_offers_voxroom_commands_that_can_run_each_with_its_key(
    tui_settings, make_room
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        listed = await _listed(pilot, app)
        titles = [title for title, _ in listed]
        assert not TEXTUAL_ONLY & set(titles), titles
        assert len(titles) == len(set(titles)), titles  # one Quit, one of each
        # Nothing to retry, continue, stop, replay, rename or accept yet: those are not offered.
        hidden = {"Retry last turn", "Continue this session", "Stop speaking or replay", "Replay session"}
        assert not hidden & set(titles), titles
        assert {"New session", "Open session", "Export session", "Help", "Quit"} <= set(titles)
        shown = dict(listed)
        for command in COMMANDS:
            if command.title in shown and command.keys:
                assert shown[command.title].startswith(f"{command.title}  {key_label(command.keys)}")
        assert shown["Export session"].startswith("Export session  Ctrl+E")
        assert shown["Help"].startswith("Help  F1 or ?")

        await record_one_turn(pilot, app)  # now the session has turns and a speaker
        titles = [title for title, _ in await _listed(pilot, app)]
        assert "Replay session" in titles and "Rename speaker" in titles
        assert "Continue this session" not in titles  # the room's own session is not read-only


async def test_help_says_how_to_close_it_shows_keys_as_written_and_esc_closes_it(
    tui_settings, make_room
) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        text = help_screen.query_one(Markdown).source
        assert "Press **Esc** (or **Q**, **F1**, **?**) to close this help." in text
        assert "| Ctrl+E | Write this session as Markdown, text, JSON, SRT or WebVTT |" in text
        assert "| F1 or ? |" in text and "| Space or Right Shift |" in text
        assert "ctrl+" not in text
        # The footer is the help's own: its close key, none of the room's.
        footer = help_screen.query_one(Footer)
        await wait_until(pilot, lambda: bool(footer.children))
        keys = [str(key.description) for key in footer.query("FooterKey")]
        assert keys == ["Close"], keys
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("q")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))
