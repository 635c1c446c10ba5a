"""Issue 14: every screen tells the truth (state refreshed, not shown once), fits the terminal, and no
outside text becomes markup. The app runs with a real room against the stand-in server."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.helpers import record_one_turn, type_text, wait_until
from tests.standin import Fault, MistralStandIn
from tui.model import Segment, Transcript
from tui.room import RECORDING, Level
from tui.screens.export import ExportDialog
from tui.screens.sessions import SessionBrowser
from tui.themes import remember_theme, remembered_theme
from tui.widgets.status_bar import StatusBar

from .test_app import SIZE, make_app, notes

HOSTILE = "boom [/b] [@click=app.quit]quit[/] [link=http://x]t[/link]"


async def test_a_failed_turn_stays_in_the_status_bar_with_its_fix_until_one_succeeds(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    tui_settings.retry_max_s = 0.0
    mistral_server.fail("transcriptions", Fault.http(400, "bad audio"), times=1)
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        bar = app.main.status_bar
        assert "no turn yet" in bar.text
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        assert "no turn yet" not in bar.text  # a turn is under way
        await pilot.press("space")
        await wait_until(pilot, lambda: bar.failure != "")
        assert "ctrl+r" in bar.text and "turn 1" in bar.text and "no turn yet" not in bar.text
        assert bar.has_class("-failed")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: bar.timings is not None and bar.failure == "", timeout=20)
        assert "stt " in bar.text and "⚠" not in bar.text


def test_the_status_bar_keeps_what_matters_when_narrow() -> None:
    from tui.model import Timings

    bar = StatusBar()
    bar.backend, bar.session = "Mistral", "Meeting 2026-11-30 07:14"
    bar.timings = Timings(
        transcription_ms=412.0, agent_first_token_ms=380.0, speech_first_audio_ms=210.0, first_audio_ms=1180.0
    )
    assert bar.fit(0).startswith("Mistral │ session Meeting")
    narrow = bar.fit(78)  # an 80-column terminal
    assert len(narrow) <= 78 and "stt 412 ms" in narrow and "1st audio 1180 ms" in narrow
    assert bar.fit(58) == "Mistral │ stt 412 · llm 380 · tts 210 · 1st 1180 ms"  # a 60-column one
    bar.failure = "turn 2: the server did not answer. ctrl+r retries it."
    assert bar.fit(58).startswith("Mistral │ ⚠ turn 2: the server did not answer.")  # the backend stays


def test_the_status_bar_shows_a_notes_turn_as_notes() -> None:
    """Notes ask the agent nothing, and neither does a question with no agent configured: their
    times show only what ran, never stages stuck at "–"."""
    from tui.model import Timings, TurnKind, TurnStatus
    from tui.widgets.status_bar import unasked

    bar = StatusBar()
    bar.backend, bar.session = "offline", "Standup"
    bar.unasked = unasked(TurnKind.NOTES, TurnStatus.DONE)
    bar.timings = Timings(transcription_ms=850.0)
    assert bar.fit(0) == "offline │ session Standup │ notes: nothing asked of the agent · stt 850 ms"
    assert bar.fit(40) == "offline │ notes · stt 850 ms"
    bar.unasked = unasked(TurnKind.QUESTION, TurnStatus.NO_AGENT)
    assert bar.fit(0) == "offline │ session Standup │ not answered: no agent is configured · stt 850 ms"
    bar.unasked = unasked(TurnKind.QUESTION, TurnStatus.DONE)
    assert "agent 1st token –" in bar.fit(0)  # a question's agent stage that did not run is said


async def test_outside_text_never_becomes_markup(tui_settings, make_room, mistral_server) -> None:
    tui_settings.retry_max_s = 0.0
    mistral_server.fail("conversations", Fault.http(400, HOSTILE))
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await wait_until(pilot, lambda: any("[@click=app.quit]" in n for n in notes(app)))
        await pilot.pause()
        assert app.is_running  # the markup did not crash it, nor quit it
        shown = [n for n in app._notifications if "[@click=app.quit]" in n.message]
        assert shown and not any(n.markup for n in shown)  # shown as typed, never as markup
        failed = [v for v in app.main.replies_pane.query("ReplyView") if v.has_class("-failed")]
        assert failed and "[@click=app.quit]" in str(failed[0]._text.render())


async def test_a_session_title_with_markup_is_shown_as_typed(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        session = app.room.log.session  # type: ignore[union-attr]
        data = json.loads((session.folder / "session.json").read_text(encoding="utf-8"))
        data["title"] = "[link=http://x]t[/link]"
        (session.folder / "session.json").write_text(json.dumps(data), encoding="utf-8")
        (session.folder.parent / "index.json").unlink(missing_ok=True)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        table = app.screen.query_one("DataTable")
        cells = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert "[link=http://x]t[/link]" in cells


async def test_the_browser_lists_samples_marked_and_hides_empty_sessions(tui_settings, make_room) -> None:
    room = make_room()  # its session has no turn yet
    app = make_app(tui_settings, room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")  # an empty session is not replaced by another empty one
        await pilot.pause()
        await app.workers.wait_for_complete()
        sessions_dir = tui_settings.data_dir / "sessions"
        folders = [p for p in sessions_dir.iterdir() if p.is_dir()] if sessions_dir.exists() else []
        assert len(folders) <= 1
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        browser = app.screen
        ids = [s.id for s in browser.shown]
        assert "sample:endgame" in ids and "sample:beckett" in ids
        assert all(s.turns > 0 for s in browser.shown)  # the empty session is not offered
        sample = next(s for s in browser.shown if s.id == "sample:endgame")
        assert sample.title.startswith("Sample · ")
        browser.query_one("DataTable").move_cursor(row=ids.index("sample:endgame"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.meeting.read_only and app.main.transcript_pane.lines)
        assert not (tui_settings.data_dir / "sessions" / "endgame").exists()  # read where it ships
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: not app.meeting.read_only)
        copied = app.room.log.session  # type: ignore[union-attr]
        assert not copied.read_only and copied.folder.parent == tui_settings.data_dir / "sessions"


async def test_the_mic_hint_follows_the_devices_and_names_right_shift(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        pane = app.main.recording_pane
        assert pane.hint_text == "Press space to record."
        pane.has_mic = False
        assert pane.hint_text.startswith("No microphone")
        pane.has_mic = True  # a working microphone was chosen
        pane.global_key = "shift_r"
        assert pane.hint_text == "Press Right Shift or space to record."
        await pilot.press("space")
        await wait_until(pilot, lambda: pane.state == RECORDING)
        assert pane.hint_text == "Press Right Shift or space to stop."
        await pilot.press("space")


async def test_ctrl_q_while_recording_says_the_recording_is_kept(tui_settings, make_room) -> None:
    app = make_app(tui_settings, make_room(realtime=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: any("kept as an interrupted turn" in n for n in notes(app)))
        assert app.is_running and app.room is not None and app.room.state == RECORDING
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    turns = app.room.log.session.turns  # type: ignore[union-attr]
    assert turns and turns[-1].status == "interrupted"


async def test_panes_keep_following_after_the_terminal_shrinks(tui_settings, make_room) -> None:
    def turn(i: int) -> Transcript:
        return Transcript(segments=[Segment(0.0, 1.0, "speaker_1", f"line number {i}")])

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.main.transcript_pane
        for i in range(40):
            pane.add_transcript(turn(i), i)
        await wait_until(pilot, lambda: pane.max_scroll_y > 0 and pane.scroll_y == pane.max_scroll_y)
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: pane.size.height < 30)
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y)
        pane.add_transcript(turn(40), 40)
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y and pane.max_scroll_y > 0)
        last = list(pane.query("SegmentLine"))[-1]
        assert last.region.y + last.region.height <= pane.region.y + pane.region.height


async def test_themes_config_beats_remembered_and_a_bad_flag_changes_nothing(tui_settings, make_room) -> None:
    remember_theme(tui_settings.data_dir, "voxroom-light")
    tui_settings.theme = "voxroom-high-contrast"  # set in the config file
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE):
        assert app.theme == "voxroom-high-contrast"
    tui_settings.theme = ""
    flagged = make_app(tui_settings, make_room(), theme="nope")
    async with flagged.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert flagged.theme == "voxroom-dark"
        await flagged.workers.wait_for_complete()
    assert remembered_theme(tui_settings.data_dir) == "voxroom-light"


async def test_the_palette_offers_only_voxroom_themes(tui_settings, make_room) -> None:
    from textual.command import CommandList, CommandPalette

    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        assert "Theme" not in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "switch theme")
        commands = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.option_count >= 3)
        await pilot.pause()
        prompts = [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]
        assert all("voxroom" in p for p in prompts), prompts
        await pilot.press("escape")


async def test_export_fits_60x20_offers_webvtt_and_defaults_to_the_start_folder(
    tui_settings, make_room, tmp_path: Path
) -> None:
    app = make_app(tui_settings, make_room())
    app.meeting.start_dir = tmp_path / "work"
    app.meeting.start_dir.mkdir()
    async with app.run_test(size=(60, 20)) as pilot:
        await record_one_turn(pilot, app)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        ok = dialog.query_one("#ok")
        assert ok.region.y + ok.region.height <= 20 and ok.region.x + ok.region.width <= 60
        box = dialog.query_one("#path")
        assert Path(box.value).parent == app.meeting.start_dir  # type: ignore[attr-defined]
        dialog.query_one("#format").value = "vtt"  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: box.value.endswith(".vtt"))  # type: ignore[attr-defined]
        await pilot.click("#ok")
        await wait_until(pilot, lambda: any("Exported to" in n for n in notes(app)))
    written = next(app.meeting.start_dir.glob("*.vtt"))
    assert written.read_text(encoding="utf-8").startswith("WEBVTT")


async def test_the_meter_marks_are_whole_and_clip_sits_beside_the_held_peak(tui_settings, make_room) -> None:
    """Two rows (RMS, then the peak with the marks) on a tall terminal; one row on a short one (the RMS,
    with the marks, its number the RMS's)."""
    for size in ((60, 20), (80, 24), (160, 48)):
        app = make_app(tui_settings, make_room())
        async with app.run_test(size=size) as pilot:
            bar = app.main.recording_pane.bar
            compact = size[1] < 32
            await wait_until(pilot, lambda b=bar, c=compact: b.compact == c)
            bar.active = True
            bar.level = Level(rms_dbfs=-90, peak_dbfs=-90, no_signal=True)
            await pilot.pause()
            rows = str(bar.render()).splitlines()
            assert len(rows) == (1 if compact else 2), (size, rows)
            assert "no signal" in rows[-1] and all(len(row) <= bar.size.width for row in rows), (size, rows)
            bar.level = Level(
                rms_dbfs=-20, peak_dbfs=-7.7, held_peak_dbfs=-0.0, clipping=True, no_signal=False
            )
            mark_row = str(bar.render()).splitlines()[-1]
            assert "CLIP" in mark_row and "-7.7" not in mark_row
            if compact:
                assert mark_row.startswith("RMS ") and ("-20.0 dB" in mark_row or size[0] < 80), mark_row
            else:
                assert "0.0 dB" in mark_row
            speaking = app.main.playback_meter.bar  # not speaking: no numbers beside an empty bar
            speaking.level = Level(rms_dbfs=-27.5, peak_dbfs=-20, no_signal=False)
            assert "-27.5" not in str(speaking.render())


async def test_a_silent_recording_and_an_empty_transcript_each_leave_a_note(
    tui_settings, make_room, mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    import soundfile as sf

    from tests.standin import TranscriptionScript
    from tui.testing import FileRecorder

    def reply_texts(app) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            str(v._text.render()) + str(v._note.render()) for v in app.main.replies_pane.query("ReplyView")
        ]

    silent = tmp_path / "silence.wav"
    sf.write(silent, np.zeros(16_000 * 2, dtype=np.float32), 16_000)
    app = make_app(tui_settings, make_room(recorder=FileRecorder(silent, device="silence.wav")))
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await wait_until(pilot, lambda: any("is silent" in t for t in reply_texts(app)))
    mistral_server.script(TranscriptionScript(segments=(), text=""))
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:
        await record_one_turn(pilot, app)
        await wait_until(pilot, lambda: any("Nothing was said" in t for t in reply_texts(app)))


async def test_barge_in_and_escape_each_leave_interrupted_on_the_reply(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    mistral_server.set_latency(speech_real_time_factor=1.0)
    app = make_app(tui_settings, make_room())
    async with app.run_test(size=SIZE) as pilot:

        async def speak() -> None:
            await pilot.press("space")
            await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
            await pilot.press("space")
            await wait_until(
                pilot, lambda: app.main.playback_meter.speaking and bool(app.main.playback_meter.sentence)
            )

        await speak()
        await pilot.press("space")  # barge-in: the speech stops and a new recording starts
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        await wait_until(pilot, lambda: sum("Interrupted" in t for t in app.main.replies_pane.notes) == 1)
        await pilot.press("space")
        await wait_until(
            pilot, lambda: app.main.playback_meter.speaking and bool(app.main.playback_meter.sentence)
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: sum("Interrupted" in t for t in app.main.replies_pane.notes) == 2)
        await wait_until(
            pilot, lambda: not app.main.playback_meter.speaking and app.main.recording_pane.state == "idle"
        )
