"""The room (core controller, no Textual): toggle, queueing, barge-in, retry and persistence, with
real turns against the stand-in Mistral server and a file-fed recorder."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import spoken
from tests.helpers import RoomEvents
from tests.standin import Fault, MistralStandIn, ScriptedSegment, TranscriptionScript
from tui.audio.clip import Clip
from tui.config import Settings
from tui.errors import AudioDeviceError
from tui.room import (
    IDLE,
    PROCESSING,
    RECORDING,
    SPEAKING,
    RecordingStarted,
    Room,
    RoomEvent,
    RoomFailed,
    RoomNotice,
    StageChanged,
    StateChanged,
    TranscriptReady,
    TranscriptRevised,
    TurnFinished,
)
from tui.sessions import SessionStore
from tui.testing import FileRecorder


def finished(n: int) -> Callable[[RoomEvent], bool]:
    return lambda e: isinstance(e, TurnFinished) and e.turn == n


def test_toggle_records_runs_and_saves_a_turn(make_room, mistral_server: MistralStandIn) -> None:
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)

    assert room.press("fallback")
    assert room.state == RECORDING
    room.press("fallback")
    done = events.wait(finished(1))
    assert room.wait_idle(10)

    assert done.status == "done"
    assert events.states == [RECORDING, PROCESSING, SPEAKING, IDLE]
    transcript = events.of(TranscriptReady)[0].transcript
    assert [s.speaker for s in transcript.segments] == ["speaker_1", "speaker_2"]
    assert done.timings.transcription_ms is not None and done.timings.first_audio_ms is not None
    # The turn is in the session on disk, with its recording inside the session folder.
    stored = room.log.session  # type: ignore[attr-defined]
    assert len(stored.turns) == 1 and stored.turns[0].status == "done"
    assert (stored.folder / stored.turns[0].recording).is_file()
    assert stored.turns[0].reply.startswith("Stand-in reply to:")
    assert mistral_server.call_count("transcriptions") == 1


def test_press_while_processing_records_the_next_turn_and_queues_it(
    make_room, mistral_server: MistralStandIn
) -> None:
    mistral_server.set_latency(transcription_fixed=0.6)
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)

    room.press("fallback")
    room.press("fallback")  # turn 1 goes to the turn thread
    events.wait(lambda e: isinstance(e, StageChanged) and e.turn == 1 and e.stage == "transcribing")
    room.press("fallback")  # a new recording starts while turn 1 is being transcribed
    assert room.state == RECORDING
    assert not events.of(TurnFinished)
    room.press("fallback")  # turn 2 is queued behind turn 1
    events.wait(finished(2))
    assert room.wait_idle(10)

    assert [e.turn for e in events.of(TurnFinished)] == [1, 2]
    assert all(e.status == "done" for e in events.of(TurnFinished))
    assert [e.turn for e in events.of(RecordingStarted)] == [1, 2]
    assert len(room.log.session.turns) == 2  # type: ignore[attr-defined]
    assert mistral_server.call_count("transcriptions") == 2


def test_press_while_speaking_interrupts_and_records(make_room, mistral_server: MistralStandIn) -> None:
    # Speech arrives at real-time pace, so the reply is still being spoken when the key is pressed.
    mistral_server.set_latency(speech_real_time_factor=1.0)
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)

    room.press("fallback")
    room.press("fallback")
    events.wait(lambda e: isinstance(e, StateChanged) and e.state == SPEAKING)
    room.press("fallback")  # barge-in
    assert room.state == RECORDING
    first = events.wait(finished(1))
    assert first.status == "interrupted"
    room.press("fallback")
    assert events.wait(finished(2)).status in ("done", "interrupted")
    assert room.wait_idle(30)


def test_retry_after_an_agent_failure_reuses_the_transcript(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    tui_settings.retry_max_s = 0.2
    mistral_server.fail("conversations", 500)
    room = make_room(tui_settings)
    events = RoomEvents()
    room.subscribe(events)

    room.press("fallback")
    room.press("fallback")
    failed = events.wait(finished(1))
    assert failed.status == "failed"
    error = events.wait(lambda e: isinstance(e, RoomFailed) and e.retryable)
    assert error.error.hint and "Retry" in error.error.hint
    assert room.can_retry
    assert mistral_server.call_count("transcriptions") == 1

    mistral_server.clear_faults()
    assert room.retry_last()
    assert not room.can_retry
    events.wait(lambda e: isinstance(e, TurnFinished) and e.status == "done")
    assert room.wait_idle(10)
    assert mistral_server.call_count("transcriptions") == 1  # the transcript was kept
    stored = room.log.session  # type: ignore[attr-defined]
    # The retried turn is completed in place: one turn per recording, not a failed one and a copy.
    assert [(t.index, t.status) for t in stored.turns] == [(1, "done")]
    assert (stored.folder / stored.turns[0].recording).is_file()


def test_retry_after_a_transcription_failure_sends_the_recording_again(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    tui_settings.retry_max_s = 0.2
    mistral_server.fail("transcriptions", 500)
    room = make_room(tui_settings)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    assert events.wait(finished(1)).status == "failed"
    calls = mistral_server.call_count("transcriptions")
    mistral_server.clear_faults()
    room.retry_last()
    events.wait(lambda e: isinstance(e, TurnFinished) and e.status == "done")
    assert mistral_server.call_count("transcriptions") == calls + 1
    assert room.retry_last() is False  # nothing left to retry


def test_a_retried_turn_counts_its_times_from_its_own_start(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    """The failed run took over 1.5 s (a slow transcription, then the agent down); the retry reuses
    the transcript, and its first-audio and total times are what the retry took, not since the
    recording ended."""
    tui_settings.retry_max_s = 0.2
    mistral_server.set_latency(transcription_fixed=1.5)
    mistral_server.fail("conversations", Fault.http(503))
    room = make_room(tui_settings)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    assert events.wait(finished(1)).status == "failed"
    mistral_server.clear_faults()
    retried_at = time.perf_counter()
    assert room.retry_last()
    done = events.wait(lambda e: isinstance(e, TurnFinished) and e.status == "done")
    window_ms = (time.perf_counter() - retried_at) * 1000.0
    t = done.timings
    assert t.transcription_ms is None  # the retry did not transcribe: the kept transcript was used
    assert t.first_audio_ms is not None and t.total_ms is not None
    assert 0 < t.first_audio_ms <= t.total_ms <= window_ms
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert stored.turns[0].timings.first_audio_ms == round(t.first_audio_ms, 1)


def test_debounce_ignores_a_second_press_within_the_window(make_room, tui_settings: Settings) -> None:
    tui_settings.hotkey.debounce_ms = 60_000
    room = make_room(tui_settings)
    assert room.press("terminal") is True
    assert room.press("global") is False  # the same physical press seen twice
    assert room.state == RECORDING
    assert room.trigger.toggles == 1


def test_no_microphone_is_reported_and_nothing_records(make_room) -> None:
    room = make_room(recorder=None)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    failure = events.wait(lambda e: isinstance(e, RoomFailed))
    assert isinstance(failure.error, AudioDeviceError)
    assert "microphone" in failure.error.message
    assert room.state == IDLE and not room.busy


def test_file_recorder_meters_in_real_time_and_returns_what_was_heard(clip: Path, tmp_path: Path) -> None:
    recorder = FileRecorder(clip, realtime=True)
    recorder.start(tmp_path / "a.flac")
    got = threading.Event()

    def poll() -> None:
        while not got.is_set():
            if recorder.meter.snapshot().rms_dbfs > -50:
                got.set()
            got.wait(0.01)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    assert got.wait(5), "the meter never showed the clip's level"
    heard = recorder.stop()
    t.join(1)
    assert heard.path == tmp_path / "a.flac" and heard.path.is_file()
    assert 0.0 < heard.duration < 4.2  # part of the 4.1 s clip, resampled to 16 kHz
    assert recorder.meter.snapshot().blocks == 0  # the meter was reset


def test_file_recorder_can_loop_the_file(clip: Path, tmp_path: Path) -> None:
    from tui.audio.clip import load_clip

    source = load_clip(clip)
    short = type(source)(source.samples[:1600], source.rate)  # 0.1 s
    recorder = FileRecorder(short, realtime=True, loop=True)
    recorder.start(tmp_path / "c.flac")
    blocks = threading.Event()
    deadline = time.monotonic() + 10
    while not blocks.wait(0.01):  # until 0.3 s were "heard"
        assert time.monotonic() < deadline, "the file recorder stopped metering"
        if recorder.meter.snapshot().blocks >= 15:
            blocks.set()
    heard = recorder.stop()
    assert heard.duration >= 0.29  # longer than the 0.1 s source: it looped
    assert heard.samples[:1600] == pytest.approx(heard.samples[1600:3200], abs=1e-3)


def test_file_recorder_instant_mode_returns_the_whole_file(clip: Path, tmp_path: Path) -> None:
    recorder = FileRecorder(clip)
    recorder.start(tmp_path / "b.flac")
    whole = recorder.stop()
    assert whole.rate == 16_000 and whole.path == tmp_path / "b.flac"
    assert whole.duration == pytest.approx(4.1, abs=0.1)
    with pytest.raises(AudioDeviceError):
        recorder.stop()


def test_a_long_recording_reports_its_transcription_progress(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    from tui.room import TranscriptionProgress

    tui_settings.transcription.max_chunk_seconds = 1.5  # the 4.1 s clip is cut in parts
    room = make_room(tui_settings)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.toggle("fallback")
    done = events.wait(finished(1))
    assert done.status == "done"
    progress = [(e.done, e.total) for e in events.of(TranscriptionProgress)]
    parts = mistral_server.call_count("transcriptions")
    assert parts >= 3
    assert progress[0] == (0, parts) and progress[-1] == (parts, parts)
    assert [d for d, _ in progress] == list(range(parts + 1))


def test_continuing_a_session_offers_its_interrupted_turn_for_retry(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, clip: Path
) -> None:
    """After a crash, the recovered recording is retried from the TUI and completed in place."""
    import shutil

    from tui.recovery import recover_interrupted
    from tui.room.wiring import open_log
    from tui.sessions import SessionStore

    store = SessionStore(tui_settings.sessions_dir)
    crashed = store.create(title="Crashed")
    shutil.copyfile(clip, store.folder(crashed) / "turn-001.wav")  # a recording no turn names
    ((_, turn),) = recover_interrupted(store)[0]
    assert turn.status == "interrupted"

    room = make_room(tui_settings)
    events = RoomEvents()
    room.subscribe(events)
    log = open_log(tui_settings, crashed.id, room.backends)
    room.use_log(log)
    assert room.can_retry
    assert room.retry_last()
    events.wait(lambda e: isinstance(e, TurnFinished) and e.status == "done")
    assert room.wait_idle(10)
    stored = store.open(crashed.id)
    assert [(t.index, t.status, t.recording) for t in stored.turns] == [(1, "done", "turn-001.wav")]
    assert stored.turns[0].reply.startswith("Stand-in reply to:")


def test_a_turn_through_the_realtime_socket(make_room, mistral_server: MistralStandIn) -> None:
    """Mistral transcribes while the room speaks: the audio went to the realtime socket, no upload."""
    room = make_room(live=True)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    assert events.wait(finished(1)).status == "done"
    assert room.wait_idle(10)
    assert len(mistral_server.requests_to("realtime")) == 1
    assert mistral_server.call_count("transcriptions") == 0
    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    assert [s.speaker for s in turn.segments] == ["speaker_1", "speaker_2"]
    assert not events.of(RoomNotice)


def test_a_realtime_turn_times_the_tail_after_the_press(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    """A realtime turn's transcription time is its tail: from the end of the recording to the
    transcript the reply starts from (the service holds ``transcription.done`` 0.4 s), not 0."""
    tui_settings.transcription.realtime_turn_detection = False
    mistral_server.set_latency(realtime_done=0.4)
    room = make_room(tui_settings, live=True)
    events = RoomEvents()
    ready: list[float] = []
    room.subscribe(lambda e: ready.append(time.perf_counter()) if isinstance(e, TranscriptReady) else None)
    room.subscribe(events)
    room.press("fallback")
    pressed = time.perf_counter()
    room.press("fallback")
    done = events.wait(finished(1))
    assert done.status == "done" and mistral_server.call_count("transcriptions") == 0
    stt = done.timings.transcription_ms
    assert stt is not None and 400 <= stt <= (ready[0] - pressed) * 1000.0
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert stored.turns[0].timings.transcription_ms == round(stt, 1)


def test_an_early_realtime_answer_times_its_tail_too(make_room, mistral_server: MistralStandIn) -> None:
    """Turn detection answered from the live text: the tail (the recorder's stop, the saved
    recording, the live text) is still a time, no longer than from the press to the transcript."""
    _, events, held = _early_turn(make_room, mistral_server)
    done = events.wait(finished(1))
    held.set()
    stt = done.timings.transcription_ms
    assert stt is not None and 0 < stt <= done.timings.first_audio_ms  # type: ignore[operator]


def test_a_failing_socket_falls_back_to_the_recording_with_a_note(
    make_room, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("realtime", Fault.cut(after_events=2))
    room = make_room(live=True)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    assert events.wait(finished(1)).status == "done"
    note = events.wait(lambda e: isinstance(e, RoomNotice))
    assert "Transcribing the recording instead" in note.message
    assert mistral_server.call_count("transcriptions") == 1  # the whole recording, from disk
    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    assert [s.speaker for s in turn.segments] == ["speaker_1", "speaker_2"]


def test_a_live_transcript_without_speakers_is_completed_after_the_reply(
    make_room, mistral_server: MistralStandIn
) -> None:
    """The reply starts from the live text; the saved transcript is the diarized batch one."""
    mistral_server.script(TranscriptionScript(segments=(ScriptedSegment("Good morning.", None, 0.0, 1.0),)))  # type: ignore[arg-type]
    room = make_room(live=True)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    done = events.wait(finished(1))
    assert done.status == "done"
    first = events.of(TranscriptReady)[0].transcript
    assert first.provisional and first.text == "Good morning."
    revised = events.wait(lambda e: isinstance(e, TranscriptRevised)).transcript
    assert [s.speaker for s in revised.segments] == ["speaker_1", "speaker_2"]
    # The reply was asked from the live text, before the batch request was made.
    ask = mistral_server.requests_to("conversations")[0]
    upload = mistral_server.requests_to("transcriptions")[0]
    assert ask.received_at < upload.received_at
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert [s.speaker for s in stored.turns[0].segments] == ["speaker_1", "speaker_2"]


def _early_turn(
    make_room, mistral_server: MistralStandIn, late_words: int = 0
) -> tuple[Room, RoomEvents, threading.Event]:
    """One turn of "Is the room free at three?" (two seconds of a tone, then one of silence, as the
    room hears a finished question) through the realtime socket, its ``transcription.done`` held back
    until the returned event is set; the turn has finished when this returns."""
    mistral_server.script(
        TranscriptionScript(
            segments=(ScriptedSegment("Is the room free at three?", "speaker_1", 0.1, 1.9),),
            late_words=late_words,
        )
    )
    held = mistral_server.hold_realtime_done()
    room = make_room(live=True, recorder=FileRecorder(Clip(spoken((2.0, 0.3), (1.0, 0.0)), 16_000)))
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    events.wait(finished(1))
    return room, events, held


def test_the_reply_starts_when_the_service_says_the_turn_is_over(
    make_room, mistral_server: MistralStandIn
) -> None:
    """Turn detection: the reply is asked from the live text while the realtime session has not
    finished (its transcription.done is held back); the finished, diarized transcript then replaces
    the saved one, with no upload of the recording."""
    room, events, held = _early_turn(make_room, mistral_server)
    assert events.wait(finished(1)).status == "done"
    assert not held.is_set()  # the whole reply came before the service finished the transcript
    first = events.of(TranscriptReady)[0].transcript
    assert first.provisional and first.text == "Is the room free at three?"
    (ask,) = mistral_server.requests_to("conversations")
    assert "Is the room free at three?" in json.dumps(ask.json)
    held.set()
    revised = events.wait(lambda e: isinstance(e, TranscriptRevised)).transcript
    assert not revised.provisional and [s.speaker for s in revised.segments] == ["speaker_1"]
    assert mistral_server.call_count("transcriptions") == 0  # the realtime session finished it
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert [(s.speaker, s.text) for s in stored.turns[0].segments] == [
        ("speaker_1", "Is the room free at three?")
    ]
    assert not events.of(RoomNotice)


def test_words_that_came_after_the_turn_end_are_kept_and_said(
    make_room, mistral_server: MistralStandIn
) -> None:
    _, events, held = _early_turn(make_room, mistral_server, late_words=2)
    assert events.of(TranscriptReady)[0].transcript.text == "Is the room free"
    held.set()
    note = events.wait(lambda e: isinstance(e, RoomNotice))
    assert note.message == (
        "Turn 1's reply started before its last words were transcribed; the saved transcript has them, "
        "so ask again if the answer missed them."
    )
    revised = events.wait(lambda e: isinstance(e, TranscriptRevised)).transcript
    assert revised.text == "Is the room free at three?"


def test_a_global_right_shift_is_handled_on_the_rooms_thread(make_room) -> None:
    """pynput's listener thread only hands the press over: the recording starts (disk writes, the
    device) on the room's own thread, and the listener is free at once."""
    import subprocess

    from tests.audio.env import ensure_display
    from tui.trigger import GlobalHotkey

    ensure_display()
    room = make_room()
    threads: dict[str, threading.Thread] = {}

    def where(event: RoomEvent) -> None:
        if isinstance(event, RecordingStarted):
            threads["recording"] = threading.current_thread()

    room.subscribe(where)
    events = RoomEvents()
    room.subscribe(events)
    hotkey = GlobalHotkey(room.trigger)
    try:
        assert hotkey.start() == "", hotkey.reason
        subprocess.run(["xdotool", "keydown", "62", "keyup", "62"], check=True, timeout=10)  # Shift_R
        events.wait(lambda e: isinstance(e, RecordingStarted))
    finally:
        hotkey.stop()
    assert [p.source for p in room.trigger.history] == ["global"]
    assert threads["recording"] is room.control_thread and room.control_thread.name == "voxroom-room"
    assert room.state == RECORDING
    room.press("fallback")  # the fallback key is handed to the same thread, and waited for
    assert room.state != RECORDING
    assert room.wait_idle(30)


def test_closing_while_the_agent_answers_keeps_the_transcript_and_the_reply_so_far(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn
) -> None:
    from tests.standin import Reply
    from tui.events import ReplyDelta

    mistral_server.script(Reply(text="Slowly now. " + "word " * 40, delta_delay=0.2))
    room = make_room()
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    events.wait(lambda e: isinstance(e, ReplyDelta) and e.seq >= 3, timeout=60)
    log = room.log
    room.close()  # the app closing: the reply stops streaming, the turn is saved as it stands
    done = events.wait(finished(1))
    assert done.status == "interrupted"
    session = SessionStore(tui_settings.sessions_dir).open(log.session_id)
    (turn,) = session.turns
    assert turn.status == "interrupted" and turn.failed_step == "agent"
    assert turn.transcript_text and turn.segments
    assert turn.reply.startswith("Slowly now.") and len(turn.reply) < len("Slowly now. " + "word " * 40)
    assert "Voxroom was closed during the agent step" in (turn.error or "")
    job = log.retry_job()  # retried from where it stopped: the transcript is not sent again
    assert job is not None and job.transcript is not None and job.transcript.text == turn.transcript_text
