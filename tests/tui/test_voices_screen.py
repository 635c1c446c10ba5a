"""The Voices screen (palette "Voices", key v): the stand-in's voices listed through the real SDK,
shown as text; Enter chooses one (the next reply is spoken with it, remembered in state.json); p
plays its sample through the room's player (real PortAudio on the virtual speaker), never while
recording; n makes a voice from a recording only with the consent box ticked, and states it; d deletes
a voice made from a recording after a question. Offline, the entry says what is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import record_one_turn, type_text, wait_until
from tests.standin import MistralStandIn
from tui.app import VoxroomApp
from tui.backends import make_backends
from tui.lifecycle import ScratchLog
from tui.room import Room
from tui.screens.voices import NOT_IN_USE
from tui.speech.catalog import CONSENT_TAG, NOT_ONLINE
from tui.testing import FileRecorder

from .test_app import SIZE, make_app, notes


async def open_voices(pilot, app: VoxroomApp):  # type: ignore[no-untyped-def]
    from tui.screens.voices import VoicesScreen

    await pilot.press("v")
    await wait_until(pilot, lambda: isinstance(app.screen, VoicesScreen) and app.screen.listed, timeout=20)
    return app.screen


async def test_the_voices_are_listed_and_the_one_chosen_speaks_the_next_reply_and_is_remembered(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    from textual.widgets import OptionList

    mistral_server.add_voice("[b]Bold[/b] \x1b[31mname", description="[red]not markup[/red]")
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_voices(pilot, app)
        lines = screen.text.splitlines()
        assert lines[0] == "● Jane · en · female · preset — A calm British voice."
        assert lines[1].startswith(NOT_IN_USE + " Paul · en · male · preset")
        assert lines[4] == NOT_IN_USE + " [b]Bold[/b] name · made from a recording — [red]not markup[/red]"
        assert screen.state == "Replies are spoken by Jane (●). Enter uses the highlighted voice."
        await pilot.press("down", "enter")  # Paul
        await wait_until(pilot, lambda: app.settings.speech.voice == "us_paul_warm")
        state = tui_settings.data_dir / "state.json"
        await wait_until(
            pilot, lambda: state.is_file() and json.loads(state.read_text()).get("voice") == "us_paul_warm"
        )
        assert screen.text.splitlines()[1].startswith("● Paul") and screen.text.splitlines()[0].startswith(
            NOT_IN_USE + " Jane"
        )
        assert "spoken by Paul from now on" in screen.state and "remembered" in screen.state
        assert screen.query_one(OptionList).highlighted == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main)
        mistral_server.clear_requests()
        await record_one_turn(pilot, app)
        spoken = mistral_server.requests_to("speech")
        assert spoken and all(r.json["voice_id"] == "us_paul_warm" for r in spoken if r.json)


async def test_a_voice_is_made_only_with_its_speaker_s_consent_and_can_be_deleted(
    tui_settings, make_room, mistral_server: MistralStandIn, clip: Path
) -> None:
    from textual.widgets import Checkbox, Input

    from tests.standin import Fault
    from tui.screens.confirm import ConfirmDialog
    from tui.screens.new_voice import NEEDS_CONSENT, NewVoiceDialog

    mistral_server.fail("voices.create", Fault.slow(4.0), times=1)
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)  # the session now has a recording to propose
        screen = await open_voices(pilot, app)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewVoiceDialog))
        dialog = app.screen
        proposed = dialog.query_one("#recording", Input).value
        assert proposed.endswith(".flac") and Path(proposed).is_file()
        dialog.query_one("#recording", Input).value = str(clip)
        await type_text(pilot, "Ann's voice")
        await pilot.press("tab")
        await type_text(pilot, "Ann")
        await pilot.click("#ok")
        await wait_until(pilot, lambda: dialog.problem == NEEDS_CONSENT)
        assert isinstance(app.screen, NewVoiceDialog) and mistral_server.requests_to("voices.create") == []
        dialog.query_one("#consent", Checkbox).value = True
        ok = dialog.query_one("#ok")
        await wait_until(
            pilot, lambda: not ok.has_class("-active")
        )  # a button ignores a second press at once
        await pilot.click("#ok")
        await wait_until(pilot, lambda: app.screen is screen and screen.busy == "make the voice")
        await pilot.press("n")  # the service is still making it (a slow answer): no second one meanwhile
        assert screen.state == "Wait: Voxroom is waiting for the service to make the voice."
        assert app.screen is screen
        await wait_until(
            pilot, lambda: app.screen is screen and "Made Ann's voice" in screen.state, timeout=20
        )
        (request,) = mistral_server.requests_to("voices.create")
        assert request.json["tags"] == [CONSENT_TAG] and request.json["sample_filename"] == clip.name
        assert request.json["description"].startswith(
            "Made from a recording of Ann, who agreed to it in Voxroom"
        )
        assert "stating Ann's consent" in screen.state
        made = screen.voices[-1]
        assert made.name == "Ann's voice" and made.consented
        assert screen.text.splitlines()[-2].startswith(
            NOT_IN_USE + " Ann's voice · made from a recording — Made from a recording of Ann, who agreed"
        )

        screen.query_one("#voices").highlighted = len(screen.voices) - 1
        await pilot.press("enter")  # use it, then delete it
        await wait_until(pilot, lambda: app.settings.speech.voice == made.id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#yes")
        await wait_until(
            pilot, lambda: app.screen is screen and "Deleted Ann's voice." in screen.state, timeout=20
        )
        assert made.id not in mistral_server.voices and all(v.id != made.id for v in screen.voices)
        assert (
            app.settings.speech.voice == "gb_jane_neutral"
            and "spoken by gb_jane_neutral again" in screen.state
        )
        screen.query_one("#voices").highlighted = 0
        await pilot.press("d")  # a preset
        await wait_until(pilot, lambda: "is a preset voice" in screen.state)
        assert not isinstance(app.screen, ConfirmDialog)


async def test_a_failing_service_is_one_sentence_on_the_screen(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    from tests.standin import Fault
    from tui.screens.voices import VoicesScreen

    tui_settings.retry_max_s = 0
    mistral_server.fail("voices.search", Fault.http(401), times=1)
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await wait_until(
            pilot, lambda: isinstance(app.screen, VoicesScreen) and app.screen.failed, timeout=20
        )
        said = app.screen.state
        assert said == "Listing the voices failed: Mistral rejected the API key (401). Check MISTRAL_API_KEY."
        assert app.screen.voices == []


async def test_offline_the_voices_entry_says_what_is_needed(tmp_path, make_room) -> None:
    from textual.command import CommandList, CommandPalette

    from tui.config import Settings
    from tui.screens.voices import VoicesScreen

    settings = Settings(backend="offline", data_dir=tmp_path / "offline")
    settings.hotkey.debounce_ms = 0
    app = make_app(settings, make_room(settings))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "voices")
        commands = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.option_count > 0 and commands.highlighted is not None)
        shown = str(commands.get_option_at_index(0).prompt)
        assert shown.startswith("Voices  V") and NOT_ONLINE in shown
        await pilot.press("enter")
        await wait_until(pilot, lambda: NOT_ONLINE in notes(app))
        assert not any(isinstance(s, VoicesScreen) for s in app.screen_stack)


@pytest.mark.audio
async def test_a_voice_s_sample_plays_through_the_room_s_player_and_never_into_a_recording(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    from tests.audio.env import ensure_audio

    ensure_audio()
    from tui.audio.player import Player
    from tui.room import RECORDING

    player = Player("virtual_speaker")
    room = make_room(player=player)
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_voices(pilot, app)
        await pilot.press("down", "p")  # Paul's sample
        await wait_until(pilot, lambda: room.replaying, timeout=20)
        assert "Playing Paul's sample" in screen.state
        await wait_until(pilot, lambda: not room.replaying, timeout=30)
        await wait_until(pilot, lambda: screen.state == "That was Paul. Enter uses the highlighted voice.")
        assert (
            player.rate == 24_000 and player.played_seconds > 0.9
        )  # "Hello, I am Paul." at 60 ms a character
        assert app.settings.speech.voice == "gb_jane_neutral"  # hearing is not choosing
        print(f"\nPaul's sample played {player.played_seconds:.2f} s through the virtual speaker")

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        screen = await open_voices(pilot, app)
        played = player.played_seconds
        await pilot.press("p")
        await wait_until(pilot, lambda: any("then play the sample" in n for n in notes(app)), timeout=20)
        assert screen.failed and screen.state.startswith("The sample can play once no turn is recorded")
        assert not room.replaying and player.played_seconds == played


SNAPSHOT_SIZES = [(80, 24), (60, 20), (200, 50)]


@pytest.mark.parametrize("shown", ["list", "new-voice"])
@pytest.mark.parametrize("size", SNAPSHOT_SIZES, ids=[f"{w}x{h}" for w, h in SNAPSHOT_SIZES])
def test_the_voices_screen(
    size: tuple[int, int], shown: str, snap_compare, tui_settings, clip: Path, mistral_server: MistralStandIn
) -> None:
    """The list with the voice in use marked, a voice made from a recording stating its speaker's
    consent, a name that looks like markup shown as typed; the state line and the keys. Over it, the
    dialog that makes a voice from a recording (no recording in the session yet: the field is empty)."""
    mistral_server.add_voice(
        "Ann's voice",
        description="Made from a recording of Ann, who agreed to it in Voxroom on 2026-12-07.",
        tags=[CONSENT_TAG],
    )
    mistral_server.add_voice("[b]Bold[/b] name")
    # A session with a fixed name (a new one is named after the clock), shown in the status bar beside
    # the screen on a wide terminal.
    backends = make_backends(tui_settings)
    room = Room(
        recorder=FileRecorder(clip, device="clone-test.wav"),
        runner=backends.runner(tui_settings),
        log=ScratchLog("Weekly planning"),
        debounce_s=0.0,
        backends=backends,
    )
    app = make_app(tui_settings, room)

    async def listed(pilot) -> None:  # type: ignore[no-untyped-def]
        from textual.widgets import Input

        from tui.screens.new_voice import NewVoiceDialog

        await open_voices(pilot, app)
        if shown == "new-voice":
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, NewVoiceDialog))
            await wait_until(pilot, lambda: app.screen.query_one("#name", Input).has_focus)
            for box in app.screen.query(Input):
                box.cursor_blink = False  # the picture must not depend on the moment
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=listed)
    finally:
        room.close()
