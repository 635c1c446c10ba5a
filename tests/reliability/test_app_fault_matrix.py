"""The fault matrix again, through the app's meeting layer (:class:`tui.meeting.Meeting`, what the app's
keys call), the real room core, the real SDK and the stand-in server. Each fault at each step must
leave the recording on disk, the turn failed in the session with the step and one sentence, a
failure event with that sentence (what the screen shows), and the turn retryable (ctrl+r is
``Meeting.retry``), completed in place once the fault is gone. The ledger counts these as "app".
A few cases go through Pilot too, to see the sentence on screen and ctrl+r retry it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import clip_path
from tests.helpers import RoomEvents, record_one_turn, wait_until
from tests.reliability.conftest import Ledger
from tests.reliability.test_fault_matrix import FAULTS, SELF_HEALING, STEPS, TRANSPORTS, check_one_sentence
from tests.standin import MistralStandIn
from tui.app import VoxroomApp
from tui.backends import make_backends
from tui.config import Secret, Settings
from tui.log import start_file_log
from tui.meeting import Meeting
from tui.room import Room, RoomFailed, TurnFinished
from tui.room.wiring import live_transcription, new_log
from tui.sessions import SessionStore
from tui.testing import FileRecorder


def app_settings(server: MistralStandIn, data: Path, route: str = "") -> Settings:
    settings = Settings(
        backend="mistral", api_key=Secret("test-key"), server_url=server.url, data_dir=data, timeout_s=1.0
    )
    settings.retry_max_s = 0.3
    # The batch path (what the app falls back to when the live socket fails): the matrix injects its
    # faults on the batch routes; the live socket's own faults are in tests/mistral/test_realtime.py.
    settings.transcription.realtime = False
    settings.speech.transport = TRANSPORTS.get(route, settings.speech.transport)
    settings.hotkey.debounce_ms = 0
    settings.hotkey.global_listener = False
    return settings


def build_room(settings: Settings) -> tuple[Room, list[TurnFinished]]:
    backends = make_backends(settings)
    events = RoomEvents()
    room = Room(
        recorder=FileRecorder(clip_path("clone-test.wav"), device="clone-test.wav"),
        runner=backends.runner(settings),
        log=new_log(settings, backends),
        live=live_transcription(settings, backends),
        backends=backends,
        listener=events,
        debounce_s=0.0,
    )
    return room, events.finished


async def one_turn(pilot: object, app: VoxroomApp, finished: list[TurnFinished]) -> TurnFinished:
    await record_one_turn(pilot, app)
    return finished[-1]


class WatchedApp(VoxroomApp):
    """The app, keeping every error it notified: a notification leaves the screen after its timeout,
    which a loaded machine can pass before the turn is over."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.errors: list[str] = []

    def notify(self, message: str, *, severity: str = "information", **kwargs: object) -> None:  # type: ignore[override]
        if severity == "error":
            self.errors.append(str(message))
        super().notify(message, severity=severity, **kwargs)  # type: ignore[arg-type]


def errors_shown(app: VoxroomApp) -> list[str]:
    return app.errors if isinstance(app, WatchedApp) else []


def meeting_turn(meeting: Meeting, heard: RoomEvents) -> TurnFinished:
    """The record key twice (start, stop), then the turn's end."""
    count = len(heard.finished)
    meeting.press("fallback")
    assert meeting.recording
    meeting.press("fallback")
    return heard.wait_finished(count + 1)


def failures(heard: RoomEvents) -> list[str]:
    return [str(e.error) for e in heard.of(RoomFailed)]


@pytest.mark.parametrize("route", list(STEPS))
@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_fault_at_each_step_in_the_app(
    route: str, fault_name: str, mistral_server: MistralStandIn, tmp_path: Path, ledger: Ledger
) -> None:
    settings = app_settings(mistral_server, tmp_path / "data", route)
    room, _ = build_room(settings)
    meeting = Meeting(settings, room)
    heard = RoomEvents()
    meeting.subscribe(heard)
    store = SessionStore(settings.sessions_dir)
    try:
        meeting.start()
        if route == "conversations.append":
            assert meeting_turn(meeting, heard).status == "done"
        mistral_server.fail(route, FAULTS[fault_name])
        ended = meeting_turn(meeting, heard)
        session = store.open(room.log.session_id)
        turn = session.turns[-1]
        recording = store.folder(session) / (turn.recording or "missing")
        kept = recording.is_file() and sf.info(str(recording)).frames > 0
        ledger.add(route, fault_name, survived=False, recording_kept=kept, path="app")
        assert kept and turn.index == ended.turn
        if (route, fault_name) in SELF_HEALING:
            assert ended.status == "done" and turn.status == "done"
            ledger.mark_survived(route, fault_name, path="app")
            return
        assert ended.status == "failed" and turn.status == "failed"
        assert turn.failed_step == STEPS[route]
        assert turn.error is not None
        check_one_sentence(turn.error)
        assert any(turn.error in shown for shown in failures(heard)), failures(heard)
        assert room.can_retry

        mistral_server.clear_faults()
        count = len(heard.finished)
        meeting.retry()
        again_ended = heard.wait_finished(count + 1)
        assert again_ended.status == "done", again_ended.error
        session = store.open(room.log.session_id)
        again = session.turns[-1]
        assert again.index == turn.index and again.recording == turn.recording  # completed in place
        assert again.status == "done" and again.reply
        assert again.reply_audio and (store.folder(session) / again.reply_audio).is_file()
        assert again.models["transcription"] == "voxtral-mini-latest" and again.agent_id
        ledger.mark_survived(route, fault_name, path="app")
    finally:
        meeting.close()


PILOT_CASES = [
    ("transcriptions", "500"),
    ("agents.create", "401"),
    ("conversations.start", "stream cut"),
    ("speech", "timeout"),
    ("conversations.append", "empty reply"),
]
"""Through the screen: the failure sentence shown, and ctrl+r completing the turn."""


@pytest.mark.parametrize(("route", "fault_name"), PILOT_CASES)
async def test_a_fault_is_shown_on_screen_and_ctrl_r_retries_it(
    route: str, fault_name: str, mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    settings = app_settings(mistral_server, tmp_path / "data", route)
    room, finished = build_room(settings)
    app = WatchedApp(settings, room=room, hotkey=False, warm_up=False)
    store = SessionStore(settings.sessions_dir)
    async with app.run_test(size=(120, 34)) as pilot:
        if route == "conversations.append":
            assert (await one_turn(pilot, app, finished)).status == "done"
        mistral_server.fail(route, FAULTS[fault_name])
        ended = await one_turn(pilot, app, finished)
        turn = store.open(room.log.session_id).turns[-1]
        assert ended.status == "failed" and turn.failed_step == STEPS[route] and turn.error
        assert any(turn.error in shown for shown in errors_shown(app)), errors_shown(app)
        await wait_until(pilot, lambda: f"turn {turn.index}:" in app.main.status_bar.failure)

        mistral_server.clear_faults()
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: finished[-1] is not ended and app.main.turns_finished >= len(finished)
        )
        assert finished[-1].status == "done", finished[-1].error
        again = store.open(room.log.session_id).turns[-1]
        assert again.index == turn.index and again.status == "done" and again.reply


async def test_the_app_survives_the_server_going_away(
    mistral_server: MistralStandIn, closed_mistral_url: str, tmp_path: Path, ledger: Ledger
) -> None:
    settings = app_settings(mistral_server, tmp_path / "data")
    settings.server_url = closed_mistral_url
    room, finished = build_room(settings)
    app = WatchedApp(settings, room=room, hotkey=False, warm_up=False)
    async with app.run_test(size=(120, 34)) as pilot:
        ended = await one_turn(pilot, app, finished)
        session = SessionStore(settings.sessions_dir).open(room.log.session_id)
        turn = session.turns[-1]
        kept = (SessionStore(settings.sessions_dir).folder(session) / (turn.recording or "x")).is_file()
        ledger.add("all", "connection refused", survived=False, recording_kept=kept, path="app")
        assert kept and ended.status == "failed" and turn.failed_step == "transcription"
        assert room.can_retry and errors_shown(app)
        ledger.mark_survived("all", "connection refused", path="app")


class RoomWithABug(Room):
    """A room whose retry has a bug (not a VoxroomError): what a worker's unexpected error looks like."""

    @property
    def can_retry(self) -> bool:
        return True

    def retry_last(self) -> bool:
        raise RuntimeError("an unexpected bug in the retry")


async def test_an_unexpected_error_in_a_worker_leaves_the_app_running(
    mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    settings = app_settings(mistral_server, tmp_path / "data")
    backends = make_backends(settings)
    finished: list[TurnFinished] = []
    room = RoomWithABug(
        recorder=FileRecorder(clip_path("clone-test.wav")),
        runner=backends.runner(settings),
        log=new_log(settings, backends),
        backends=backends,
        listener=lambda e: finished.append(e) if isinstance(e, TurnFinished) else None,
        debounce_s=0.0,
    )
    app = WatchedApp(settings, room=room, hotkey=False, warm_up=False)
    log_file = start_file_log(tmp_path / "logs")
    assert log_file is not None
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.worker_failures == 1)
            shown = [n for n in app._notifications if n.title == "Something went wrong"]
            assert len(shown) == 1
            message = str(shown[0].message)
            assert message.startswith("Voxroom could not retry the last turn: an unexpected bug in the retry")
            assert "\n" not in message
            assert app.is_running
            assert (await one_turn(pilot, app, finished)).status == "done"  # the room still works
    finally:
        for handler in logging.getLogger("voxroom").handlers[:]:
            logging.getLogger("voxroom").removeHandler(handler)
            handler.close()
    logged = log_file.read_text()
    assert "Traceback" in logged and "an unexpected bug in the retry" in logged  # the one route logs it


async def test_an_offline_session_made_in_the_app_records_what_really_ran(tmp_path: Path) -> None:
    """Offline with no agent: the models that really ran (Whisper, the hibari voice), status no-agent,
    and no notice stored as a reply."""
    from tui.sessions import export_session

    settings = Settings(backend="offline", data_dir=tmp_path / "data")
    settings.hotkey.debounce_ms = 0
    settings.hotkey.global_listener = False
    room, finished = build_room(settings)
    app = WatchedApp(settings, room=room, hotkey=False, warm_up=False)
    async with app.run_test(size=(120, 34)) as pilot:
        ended = await one_turn(pilot, app, finished)
        assert ended.status == "no-agent"
        await wait_until(
            pilot, lambda: any("no agent is configured" in n for n in app.main.replies_pane.notes)
        )
        assert app.main.replies_pane.texts == [""]  # a note, not a reply
    session = SessionStore(settings.sessions_dir).open(room.log.session_id)
    turn = session.turns[0]
    assert turn.status == "no-agent" and turn.reply == "" and turn.transcript_text
    assert turn.models == {
        "transcription": "whisper-tiny.en",
        "agent": "none",
        "speech": "hibari-af_heart",
    }
    assert session.models == turn.models and session.backend == "offline"
    for fmt in ("md", "txt", "json"):
        text = export_session(session, fmt)
        assert "voxtral" not in text and "mistral-small" not in text
        assert "No agent is configured, so" not in text  # the how-to is a notice, not a reply
    assert "**Voxroom:**" not in export_session(session, "md")
