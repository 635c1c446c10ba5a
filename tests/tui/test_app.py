"""Pilot tests of the full-screen app: each pane and palette command, with the core backed by the
stand-in Mistral server and a file-fed recorder. No sleeps: every wait is on app state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import RoomEvents, record_one_turn, type_text, wait_until
from tests.standin import Fault, MistralStandIn, Reply, ScriptedReference
from tui.app import VoxroomApp
from tui.backends import plan_for
from tui.config import Settings
from tui.lifecycle import ScratchLog
from tui.room import IDLE, RECORDING, ReplayProgress, Room, TranscriptReady
from tui.screens.export import ExportDialog
from tui.screens.help import HelpScreen
from tui.screens.rename import RenameSpeakerDialog
from tui.screens.sessions import SessionBrowser
from tui.themes import remembered_theme
from tui.widgets.replies_pane import ReplyView
from tui.widgets.status_bar import ms

SIZE = (120, 34)
LINES = [
    "speaker_1 : Good morning everyone, shall we start?",
    "speaker_2 : Yes. What is the weather in Paris today?",
]


def notes(app: VoxroomApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def run_command(pilot, app: VoxroomApp, text: str) -> None:
    """Open the command palette, type ``text``, and run the best match."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await type_text(pilot, text)
    commands = app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: commands.option_count > 0 and commands.highlighted is not None)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))


def make_app(settings: Settings, room: Room, **kwargs: object) -> VoxroomApp:
    kwargs.setdefault("hotkey", False)
    kwargs.setdefault("warm_up", False)
    return VoxroomApp(settings, room=room, **kwargs)  # type: ignore[arg-type]


async def test_a_turn_fills_the_transcript_replies_and_status_bar(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert app.main.recording_pane.state == IDLE
        await record_one_turn(pilot, app)

        lines = app.main.transcript_pane.lines
        assert [line.split("] ", 1)[1] for line in lines] == LINES
        assert lines[0].startswith("[0:00 -> ")
        assert app.main.replies_pane.texts[0].startswith("Stand-in reply to: speaker_1: Good morning")
        # The status bar shows the last turn's latency breakdown.
        t = app.main.last_timings
        assert t is not None and t.transcription_ms is not None and t.first_audio_ms is not None
        text = app.main.status_bar.text
        assert text.startswith("Mistral │ session Good morning everyone")  # named after its first words
        assert f"stt {ms(t.transcription_ms)}" in text
        assert f"agent 1st token {ms(t.agent_first_token_ms)}" in text
        assert f"tts 1st audio {ms(t.speech_first_audio_ms)}" in text
        assert f"to 1st audio {ms(t.first_audio_ms)}" in text


async def test_each_speaker_gets_its_own_colour(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        lines = list(app.main.transcript_pane.query("SegmentLine"))
        assert [line.colour for line in lines] == [1, 2]
        colours = {str(line.visual.spans[1].style) for line in lines}  # the speaker span
        assert len(colours) == 2


async def test_the_recording_pane_shows_the_live_input_level(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room(realtime=True))
    async with app.run_test(size=SIZE) as pilot:
        bar = app.main.recording_pane.bar
        await pilot.press("space")
        await wait_until(pilot, lambda: bar.level.rms_dbfs > -50 and bar.active)
        assert re.search(r"RMS .* -?\d+\.\d dB\n", str(bar.render()))
        assert app.main.recording_pane.state_text.startswith("● RECORDING 00:0")
        assert app.main.recording_pane.device == "clone-test.wav"
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert not bar.active


async def test_a_failed_turn_notifies_and_retry_from_the_palette_works(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    tui_settings.retry_max_s = 0.2
    mistral_server.fail("conversations", 500)
    app = make_app(tui_settings, make_room(tui_settings))
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await wait_until(pilot, lambda: any("Retry" in n for n in notes(app)))
        failure = next(n for n in app._notifications if "Retry" in str(n.message))
        assert failure.severity == "error" and failure.title == "The assistant failed"
        assert app.main.replies_pane.query_one(ReplyView).has_class("-failed")
        assert app.room is not None and app.room.can_retry

        mistral_server.clear_faults()
        await run_command(pilot, app, "retry last")
        await wait_until(pilot, lambda: app.main.turns_finished == 2 and app.main.last_timings is not None)
        assert app.main.replies_pane.texts[-1].startswith("Stand-in reply to:")
        assert mistral_server.call_count("transcriptions") == 1  # retried with the kept transcript


async def test_references_are_listed_under_the_reply(tui_settings, make_room, mistral_server) -> None:
    mistral_server.script(
        Reply(
            text="It is sunny in Paris.",
            references=(ScriptedReference("Paris weather", "https://weather.example/paris"),),
        )
    )
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        view = app.main.replies_pane.query_one(ReplyView)
        await wait_until(pilot, lambda: view.references != [])
        assert view.text == "It is sunny in Paris."
        assert "Paris weather — https://weather.example/paris" in str(view._refs.render())
        assert view._refs.display


async def test_a_moderation_block_is_shown_as_a_block(tui_settings, make_room, mistral_server) -> None:
    mistral_server.fail("conversations", Fault.guardrail_block())
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        view = app.main.replies_pane.query_one(ReplyView)
        assert view.has_class("-blocked")
        assert view.text.startswith("⛔ Blocked by moderation (violence_and_threats 0.93 over 0.5): rephrase")
        assert view.text.lower().count("moderation") == 3  # the block, and the two settings named once


async def test_help_opens_and_the_fallback_key_does_not_record_under_it(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("space")
        await app.workers.wait_for_complete()  # a toggle would run in a thread worker: let it finish
        await pilot.pause()
        assert app.room is not None and app.room.trigger.toggles == 0 and app.room.state == IDLE
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_switching_theme_from_the_palette_is_remembered(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "voxroom-dark" and app.has_class("-theme-voxroom-dark")
        await run_command(pilot, app, "theme voxroom-light")
        assert app.theme == "voxroom-light" and app.has_class("-theme-voxroom-light")
        await wait_until(pilot, lambda: remembered_theme(tui_settings.data_dir) == "voxroom-light")
    # Next start: the remembered choice wins when the config file sets no theme; a --theme flag wins.
    again = make_app(tui_settings, make_room())
    async with again.run_test(size=SIZE):
        assert again.theme == "voxroom-light"
    flagged = make_app(tui_settings, make_room(), theme="voxroom-high-contrast")
    async with flagged.run_test(size=SIZE):
        assert flagged.theme == "voxroom-high-contrast"


async def test_an_unknown_theme_falls_back_with_a_message(tui_settings, make_room) -> None:
    tui_settings.theme = "no-such-theme"
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("no theme called 'no-such-theme'" in n for n in notes(app)))
        assert app.theme == "voxroom-dark"


async def test_builtin_textual_themes_still_work(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room(), theme="textual-light")
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        assert app.theme == "textual-light"
        assert app.theme_variables["speaker-1"] and app.theme_variables["meter-low"]


async def test_rename_speaker_changes_the_transcript_and_the_session(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await run_command(pilot, app, "rename speaker")
        await wait_until(pilot, lambda: isinstance(app.screen, RenameSpeakerDialog))
        await type_text(pilot, "Alice")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Alice : Good morning everyone" in app.main.transcript_pane.lines[0])
        assert "speaker_2 : Yes." in app.main.transcript_pane.lines[1]
        stored = room.log.session  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: stored.speaker_names.get("speaker_1") == "Alice")


async def test_rename_speaker_with_nobody_yet_says_so(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        from textual.command import CommandList, CommandPalette

        await pilot.press("ctrl+p")  # nobody has spoken: the palette does not offer it
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "rename speaker")
        await wait_until(pilot, lambda: app.screen.has_class("-ready"))
        commands = app.screen.query_one(CommandList)
        offered = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert not any(p.startswith("Rename speaker") for p in offered), offered
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        app.main.action_rename_speaker()  # as the People dialog's rename would
        await wait_until(pilot, lambda: any("no speaker to rename" in n for n in notes(app)))


async def test_new_session_then_open_the_old_one_read_only_then_continue_it(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        first_id = room.log.session_id
        first = room.log.name

        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: room.log.session_id != first_id)
        await wait_until(pilot, lambda: app.main.transcript_pane.lines == [])

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        browser = app.screen
        own = [s.id for s in browser.shown if not s.id.startswith("sample:")]
        assert own == [first_id]  # the new session has no turn yet: it is not offered
        await type_text(pilot, "good morning")
        await wait_until(pilot, lambda: [s.id for s in browser.shown] == [first_id])
        await pilot.press("enter")  # read-only
        await wait_until(pilot, lambda: len(app.main.transcript_pane.lines) == 2)
        assert app.meeting.read_only and app.main.status_bar.session == f"{first} (read-only)"
        assert app.main.replies_pane.texts[0].startswith("Stand-in reply to:")
        await pilot.press("space")
        await wait_until(pilot, lambda: any("read-only" in n for n in notes(app)))
        assert room.state == IDLE

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        await type_text(pilot, "good morning")
        await wait_until(pilot, lambda: len(app.screen.shown) == 1)
        await pilot.press("ctrl+t")  # continue it
        await wait_until(pilot, lambda: room.log.session_id == first_id)
        assert not app.meeting.read_only and app.main.status_bar.session == first
        await record_one_turn(pilot, app)
        assert len(room.log.session.turns) == 2  # type: ignore[attr-defined]
        assert len(app.main.transcript_pane.lines) == 4


async def export_to(pilot, app: VoxroomApp, target: Path) -> None:
    """ctrl+e, type ``target``, Enter."""
    await pilot.press("ctrl+e")
    await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
    box = app.screen.query_one("#path")
    box.value = str(target)  # type: ignore[attr-defined]
    await pilot.press("enter")


async def test_export_writes_the_session(tui_settings, make_room, tmp_path: Path) -> None:
    app = make_app(tui_settings, make_room())
    target = tmp_path / "meeting.md"
    missing = tmp_path / "out" / "meeting.md"
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await run_command(pilot, app, "export session")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        box = app.screen.query_one("#path")
        box.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Exported to" in n for n in notes(app)))
        await export_to(pilot, app, missing)  # a folder is never created silently
        await wait_until(pilot, lambda: any("does not exist" in n for n in notes(app)))
    text = target.read_text(encoding="utf-8")
    assert "Good morning everyone, shall we start?" in text
    assert "Stand-in reply to:" in text
    assert not missing.parent.exists()


async def test_the_apps_export_is_private_scrubbed_never_through_a_link_and_asks_before_replacing(
    tui_settings, make_room, mistral_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's export is the CLI's writer: 0600, the key redacted, a planted link refused (its target
    untouched), an existing file replaced only after the question is answered yes."""
    from tui.screens.confirm import ConfirmDialog

    key = "sk-live-export-secret-0123456789"
    monkeypatch.setenv("MISTRAL_API_KEY", key)
    mistral_server.script(Reply(text=f"The key you asked about is {key}, keep it safe."))
    app = make_app(tui_settings, make_room())
    target = tmp_path / "meeting.md"
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch", encoding="utf-8")
    link = tmp_path / "planted.md"
    link.symlink_to(victim)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await export_to(pilot, app, target)
        await wait_until(pilot, lambda: any("Exported to" in n for n in notes(app)))
        assert target.stat().st_mode & 0o777 == 0o600
        text = target.read_text(encoding="utf-8")
        assert key not in text and "[redacted]" in text and "keep it safe" in text

        await export_to(pilot, app, link)
        await wait_until(pilot, lambda: any("symbolic link" in n for n in notes(app)))
        assert link.is_symlink() and victim.read_text(encoding="utf-8") == "do not touch"

        target.write_text("mine", encoding="utf-8")
        await export_to(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # no: the file stays as it was
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        assert target.read_text(encoding="utf-8") == "mine"
        await export_to(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        # A click lands only once the dialog is laid out and its button has a place on screen.
        await wait_until(pilot, lambda: app.screen.query_one("#yes").region.area > 0)
        await pilot.click("#yes")
        # The file itself tells (a count of notifications would not: they leave after their timeout).
        await wait_until(pilot, lambda: "keep it safe" in target.read_text(encoding="utf-8"))
        assert target.stat().st_mode & 0o777 == 0o600


async def test_a_small_terminal_gets_a_message_and_keeps_working(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=(60, 16)) as pilot:
        # The main screen mounts after the first frame: the notice comes once it has measured itself.
        await wait_until(pilot, lambda: any("terminal is small" in n for n in notes(app)))
        await record_one_turn(pilot, app)
        assert len(app.main.transcript_pane.lines) == 2


async def test_an_unavailable_global_hotkey_is_explained_once(
    tui_settings, make_room, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    tui_settings.hotkey.global_listener = True
    app = make_app(tui_settings, make_room(), hotkey=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.hotkey_problem))
        assert "no X display" in app.hotkey_problem
        hotkey_notes = [n for n in app._notifications if n.title == "Hotkey"]
        assert len(hotkey_notes) == 1 and "fallback" in str(hotkey_notes[0].message)
        await record_one_turn(pilot, app)  # the fallback key still works


async def test_no_microphone_keeps_the_app_usable(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room(recorder=None))
    async with app.run_test(size=SIZE) as pilot:
        assert "No microphone" in app.main.recording_pane.hint_text
        await pilot.press("space")
        await wait_until(pilot, lambda: any("No microphone is available" in n for n in notes(app)))
        assert app.main.recording_pane.state == IDLE
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_a_key_press_before_the_core_is_ready_is_kept(tui_settings, make_room) -> None:
    room = make_room()
    app = VoxroomApp(tui_settings, core=lambda _app: room, hotkey=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.room is room and room.state == RECORDING)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert len(app.main.transcript_pane.lines) == 2


async def test_a_core_that_fails_to_start_is_reported(tui_settings) -> None:
    from tui.errors import ConfigError

    def broken(_app: VoxroomApp) -> Room:
        raise ConfigError("The Mistral backend needs an API key.", hint="Set MISTRAL_API_KEY.")

    app = VoxroomApp(tui_settings, core=broken, hotkey=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("needs an API key" in n for n in notes(app)))
        assert app.room is None
        await pilot.press("f1")  # the rest keeps working
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_stop_speaking_from_the_palette_interrupts(tui_settings, make_room, mistral_server) -> None:
    mistral_server.set_latency(speech_real_time_factor=1.0)
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)
    finished = events.finished
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        await pilot.press("space")
        await wait_until(
            pilot, lambda: app.main.playback_meter.speaking and bool(app.main.playback_meter.sentence)
        )
        assert app.main.playback_meter._sentence.has_class("-speaking")
        await run_command(pilot, app, "stop speaking")
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert finished[-1].status == "interrupted"
        await wait_until(pilot, lambda: any("Interrupted" in t for t in app.main.replies_pane.notes))


def test_a_scratch_log_keeps_turns_in_memory() -> None:
    log = ScratchLog("x")
    path = log.recording_path()
    assert log.name == "x" and not log.saved and path.name.startswith("turn-001")
    ref = log.begin(path)
    assert ref.index == 1 and log.retry_job() is None  # the recording is not on disk yet


async def test_a_recording_stops_itself_at_the_length_limit(tui_settings, make_room) -> None:
    room = make_room(realtime=True)
    room.max_recording_s = 1.0
    heard: list[TranscriptReady] = []
    room.subscribe(lambda e: heard.append(e) if isinstance(e, TranscriptReady) else None)
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        await wait_until(pilot, lambda: any("recording limit" in n for n in notes(app)))
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert heard and heard[0].turn == 1  # the turn ran on what was heard
        clip_seconds = room.log.session.turns[0].duration  # type: ignore[attr-defined]
        assert 0.9 <= clip_seconds < 2.0


async def test_a_long_silence_stops_the_recording(tui_settings, make_room, clip) -> None:
    import numpy as np

    from tui.audio.clip import Clip
    from tui.testing import FileRecorder

    silent = FileRecorder(Clip(np.zeros(16_000, np.float32), 16_000), realtime=True, device="silence")
    room = make_room(recorder=silent)
    events = RoomEvents()
    room.subscribe(events)
    finished = events.finished
    room.auto_stop_silence_s = 0.5
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: any("of silence" in n for n in notes(app)))
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert finished[0].status == "no-speech"  # a silent recording is not sent anywhere
        assert "silent" in (finished[0].error or "")
        await wait_until(pilot, lambda: any("Nothing was said: " in n for n in app.main.replies_pane.notes))


async def test_backends_warm_up_in_the_background_after_the_first_frame(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    app = make_app(tui_settings, make_room(), warm_up=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: mistral_server.call_count("agents") >= 1)  # agent ensured
        assert app.main.turns_finished == 0 and mistral_server.call_count("transcriptions") == 0
        await record_one_turn(pilot, app)
        assert mistral_server.call_count("agents.create") <= 1  # not created again for the turn


async def test_replay_of_a_read_only_session_follows_the_text(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    app.meeting.replay_speed = 4.0  # no speaker in this test: the replay is timed by the clock, 4x
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        first_id = room.log.session_id
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: room.log.session_id != first_id)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        await type_text(pilot, "good morning")
        await wait_until(pilot, lambda: len(app.screen.shown) == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.meeting.read_only and len(app.main.transcript_pane.lines) == 2)

        seen: list[list[str]] = []
        progress: list[tuple[str, int | None]] = []
        room.subscribe(lambda e: progress.append((e.kind, e.line)) if isinstance(e, ReplayProgress) else None)
        assert app.main.status_bar.people == "2 people: speaker_1, speaker_2"  # nobody speaks now
        await run_command(pilot, app, "replay session")

        reply_lit: list[bool] = []
        speaking: list[tuple[str, str]] = []  # (the speaker of the line being heard, the status bar's)

        def follow() -> bool:
            reply_lit.append(app.main.replies_pane.query_one(ReplyView)._text.has_class("-speaking"))
            now = app.main.transcript_pane.highlighted
            if now:
                speaking.append((now[0].split("] ", 1)[1].split(" : ")[0], app.main.status_bar.people))
            if now and (not seen or seen[-1] != now):
                seen.append(now)
            return app.main.replays_finished == 1

        await wait_until(pilot, follow, timeout=20)
        # The room announced each line as it was heard, in order (events, not screen sampling)...
        heard = [line for kind, line in progress if kind == "recording" and line is not None]
        assert [line for i, line in enumerate(heard) if i == 0 or heard[i - 1] != line] == [0, 1]
        # ...and what the screen showed between frames is those lines, in that order.
        shown = [h[0].split("] ", 1)[1] for h in seen]
        assert shown and shown == [line for line in LINES if line in shown]
        assert any(reply_lit) and not reply_lit[-1]  # the spoken reply was lit while it played
        assert app.main.transcript_pane.highlighted == []  # cleared at the end
        # "speaking" names who is heard now, only while a line is replayed.
        assert speaking and all(people == f"{who} speaking" for who, people in speaking)
        assert app.main.status_bar.people == "2 people: speaker_1, speaker_2"
        assert "speaking" not in app.main.status_bar.text


async def test_the_transcript_follows_new_lines_unless_scrolled_up(tui_settings, make_room) -> None:
    from tui.model import Segment, Transcript

    def turn(i: int) -> Transcript:
        return Transcript(segments=[Segment(0.0, 1.0, f"speaker_{i % 3 + 1}", f"line number {i}")])

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=(100, 24)) as pilot:
        pane = app.main.transcript_pane
        for i in range(30):
            pane.add_transcript(turn(i), i)
        await wait_until(pilot, lambda: pane.max_scroll_y > 0 and pane.scroll_y == pane.max_scroll_y)

        pane.scroll_home(animate=False)  # the user reads back
        await wait_until(pilot, lambda: pane.scroll_y == 0)
        pane.add_transcript(turn(30), 30)
        await pilot.pause()
        await pilot.pause()
        assert pane.scroll_y == 0  # not yanked to the bottom

        pane.scroll_end(animate=False)  # back at the bottom: following again
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y)
        before = pane.max_scroll_y
        pane.add_transcript(turn(31), 31)
        await wait_until(pilot, lambda: pane.max_scroll_y > before and pane.scroll_y == pane.max_scroll_y)


async def test_the_status_bar_names_a_mixed_backend(tui_settings, make_room) -> None:
    tui_settings.speech.backend = "none"
    tui_settings.transcription.backend = "mistral"
    tui_settings.agent.backend = "mistral"
    assert plan_for(tui_settings).label == "mixed"
    app = make_app(tui_settings, make_room(tui_settings))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.main.status_bar.text.startswith("mixed │ "))


async def test_a_bare_right_shift_from_the_terminal_toggles_too(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_shift")  # what Textual delivers under the kitty keyboard protocol
        await wait_until(pilot, lambda: room.state == RECORDING)
        assert room.trigger.history[-1].source == "terminal"
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.turns_finished == 1)
        assert room.trigger.history[-1].source == "fallback"


async def test_a_sentence_the_speech_service_refuses_is_marked_and_the_rest_spoken(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("speech", Fault.http(403, message="Refused by moderation"), on_calls=[2])
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)
    finished = events.finished
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        assert finished[0].status == "done" and len(finished[0].refused) == 1
        await wait_until(
            pilot, lambda: any("refused by the speech service" in n for n in app.main.replies_pane.notes)
        )
        assert finished[0].refused[0] in app.main.replies_pane.notes[0]
    assert mistral_server.call_count("speech") == 3  # the sentence after the refused one was spoken


async def test_the_people_of_a_session_can_be_listed_and_named(tui_settings, make_room) -> None:
    from tui.screens.people import PeopleDialog, RememberVoicesDialog

    tui_settings.diarization.voice_profiles = True
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await run_command(pilot, app, "people in this session")
        await wait_until(pilot, lambda: isinstance(app.screen, PeopleDialog))
        rows = app.screen.people
        assert [r.label for r in rows] == ["speaker_1", "speaker_2"] and all(r.has_sample for r in rows)
        await pilot.press("down", "r")  # name the second person
        await wait_until(pilot, lambda: isinstance(app.screen, RenameSpeakerDialog))
        await type_text(pilot, "Bea")
        await pilot.press("enter")
        # Profiles are on and nobody was asked yet: the one-time question comes first.
        await wait_until(pilot, lambda: isinstance(app.screen, RememberVoicesDialog))
        await pilot.click("#no")
        await wait_until(pilot, lambda: app.room.log.session.speaker_names.get("speaker_2") == "Bea")  # type: ignore[union-attr]
        assert "Bea : Yes." in app.main.transcript_pane.lines[1]
    assert not (tui_settings.data_dir / "voices").exists()  # the answer was no


async def test_a_suggested_voice_is_named_with_one_key(tui_settings, make_room) -> None:
    from tui.room import PeopleChanged
    from tui.screens.main import RoomUpdate

    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        app.main.post_message(RoomUpdate(PeopleChanged({}, {"speaker_2": "Ann"})))
        await wait_until(pilot, lambda: any("sounds like Ann" in n and "ctrl+y" in n for n in notes(app)))
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: room.log.session.speaker_names.get("speaker_2") == "Ann")  # type: ignore[attr-defined]
        assert "Ann : Yes." in app.main.transcript_pane.lines[1]


async def test_a_live_transcript_names_nobody_until_the_finished_one_replaces_it(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    """The reply starts from the live text (the service said the turn was over); until the finished,
    diarized transcript arrives, its lines (one per live segment the service sent with its turn.end)
    name no speaker (no made-up "live" label either) and no speaker is counted in the status bar;
    the finished lines take their place, one for one."""
    from tests.conftest import spoken
    from tui.audio.clip import Clip
    from tui.testing import FileRecorder

    question = Clip(spoken((2.0, 0.3), (1.0, 0.0)), 16_000)
    held = mistral_server.hold_realtime_done()
    app = make_app(tui_settings, make_room(live=True, recorder=FileRecorder(question)))
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        pane = app.main.transcript_pane
        assert [line.split("] ", 1)[1] for line in pane.lines] == [
            "Good morning everyone, shall we start?",
            "Yes. What is the weather in Paris today?",
        ]
        shown = [str(line.render()) for line in pane.query("SegmentLine")]
        assert all("live" not in line and "speaker" not in line and " : " not in line for line in shown)
        assert pane.speakers == [] and "speaking" not in app.main.status_bar.text
        held.set()
        await wait_until(pilot, lambda: [line.split("] ", 1)[1] for line in pane.lines] == LINES)
        # Replaced in place, nothing doubled (a replaced line leaves the DOM on a later refresh).
        await wait_until(pilot, lambda: len(pane.query("SegmentLine")) == len(LINES))
        await wait_until(pilot, lambda: "2 people: speaker_1, speaker_2" in app.main.status_bar.text)


async def open_sample(pilot, app: VoxroomApp, name: str) -> None:
    """ctrl+o, pick the sample ``name``, Enter (read-only)."""
    await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
    browser = app.screen
    ids = [s.id for s in browser.shown]
    browser.query_one("DataTable").move_cursor(row=ids.index(f"sample:{name}"))
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, SessionBrowser))


async def test_a_sample_opened_after_a_session_with_turns_shows_its_replies(tui_settings, make_room) -> None:
    """The panes of the session left hold views of turns 1 and 2 while they are being removed: the
    opened session's turns 1 and 2 get views of their own, replies included."""
    from tui.meeting.shown import history
    from tui.room.wiring import open_log

    expected = [turn.reply for turn in history(open_log(tui_settings, "sample:endgame", None), live=False)]
    assert len(expected) == 2 and all(r is not None and r.text for r in expected)
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await record_one_turn(pilot, app)
        assert len(app.main.replies_pane.texts) == 2
        await open_sample(pilot, app, "endgame")
        await wait_until(pilot, lambda: app.meeting.read_only and app.main.transcript_pane.lines)
        want = [r.text for r in expected]  # type: ignore[union-attr]
        assert app.main.replies_pane.texts == want
        # On screen: once the old views have left the DOM, the two replies are what the pane holds.
        await wait_until(pilot, lambda: len(app.main.replies_pane.query(ReplyView)) == 2)
        assert [view.text for view in app.main.replies_pane.query(ReplyView)] == want
        assert all(view._text.display for view in app.main.replies_pane.query(ReplyView))
        assert not app.main.replies_pane.query(".placeholder")


async def test_new_session_shows_both_placeholders_again(tui_settings, make_room) -> None:
    room = make_room()
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        panes = (app.main.transcript_pane, app.main.replies_pane)
        assert all(len(pane.query(".placeholder")) == 1 for pane in panes)
        await record_one_turn(pilot, app)
        assert not any(pane.query(".placeholder") for pane in panes)
        first_id = room.log.session_id
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: room.log.session_id != first_id)
        await wait_until(pilot, lambda: not app.main.replies_pane.query(ReplyView))
        await wait_until(pilot, lambda: not app.main.transcript_pane.query("SegmentLine"))
        assert [len(pane.query(".placeholder")) for pane in panes] == [1, 1]
        await record_one_turn(pilot, app)  # the new session's first turn takes the placeholders' place
        assert not any(pane.query(".placeholder") for pane in panes)
        assert len(app.main.replies_pane.texts) == 1
