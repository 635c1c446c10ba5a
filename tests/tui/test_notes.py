"""Notes of the meeting (the room and the meeting layer, no Textual): the notes command records the
room through real PortAudio (the virtual microphone) into notes turns, transcribed through the
stand-in (batch and realtime) or offline, diarized into the session's people, and never sent to the
agent (the stand-in's ledger). A question during notes is its own turn and notes resume after its
answer; notes stop with the command, a new session, and quitting (kept, retryable); a failed
transcription keeps the notes turn to retry. No sleeps: every wait is on an event or a condition."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tests.helpers import RoomEvents
from tests.standin import MistralStandIn
from tui.config import Settings
from tui.model import TurnKind
from tui.room import (
    NOTES,
    RECORDING,
    NotesChanged,
    RecordingStarted,
    Room,
    RoomEvent,
    RoomFailed,
    TranscriptRevised,
    TurnFinished,
)
from tui.room.recording import CLOSED_WHILE_TAKING_NOTES

ensure_audio()

pytestmark = pytest.mark.audio

AGENT_ROUTES = ("agents", "conversations", "speech")
NOTES_S = 5.5
"""Seconds of the clip said while notes are taken when the stand-in transcribes them (it plays at its
own pace): more than the 4 s of audio those tests ask to reach the turn and the service."""


class Feed:
    """Speech played into the virtual microphone (real PortAudio, both ends)."""

    def __init__(self, name: str = "beckett.wav") -> None:
        from tui.audio.clip import load_clip
        from tui.audio.player import Player

        self.speech = load_clip(clip_path(name))
        self.player = Player("virtual_mic_feed")
        self.played = threading.Event()
        self.player.on_finished = lambda interrupted: self.played.set()

    def play(self, seconds: float | None = None) -> None:
        """Play the clip (its first ``seconds``) and wait until it has all gone out."""
        self.played.clear()
        samples = self.speech.samples
        if seconds is not None:
            samples = samples[: int(seconds * self.speech.rate)]
        self.player.open(self.speech.rate)
        self.player.write(samples)
        self.player.drain()
        assert self.played.wait(60), "the virtual microphone's feed did not finish playing"

    def close(self) -> None:
        self.player.close()


@pytest.fixture
def feed() -> Iterator[Feed]:
    made = Feed()
    yield made
    made.close()


def mic_room(make_room, settings: Settings | None = None, *, live: bool = False) -> tuple[Room, RoomEvents]:
    from tui.audio.capture import Recorder

    room = make_room(settings, recorder=Recorder("virtual_mic"), live=live)
    events = RoomEvents()
    room.subscribe(events)
    return room, events


def started(kind: TurnKind, turn: int) -> object:
    return lambda e: isinstance(e, RecordingStarted) and e.kind == kind and e.turn == turn


def finished(turn: int) -> object:
    return lambda e: isinstance(e, TurnFinished) and e.turn == turn


def notes_turns(room: Room) -> list[tuple[int, str, str]]:
    session = room.log.session  # type: ignore[attr-defined]
    return [(t.index, t.kind, t.status) for t in session.turns]


def no_agent_calls(server: MistralStandIn) -> None:
    for route in AGENT_ROUTES:
        assert server.call_count(route) == 0, f"notes called {route}: {server.requests_to(route)}"


def take_notes(room: Room, events: RoomEvents, feed: Feed, seconds: float | None = None) -> None:
    assert room.toggle_notes() is True
    events.wait(lambda e: isinstance(e, RecordingStarted) and e.kind == TurnKind.NOTES)
    assert room.state == NOTES and room.notes_on
    feed.play(seconds)
    assert room.toggle_notes() is False
    assert room.wait_idle(60)


def test_batch_notes_are_a_notes_turn_with_the_session_s_people_and_no_agent_call(
    make_room, mistral_server: MistralStandIn, feed: Feed
) -> None:
    room, events = mic_room(make_room)
    take_notes(room, events, feed, NOTES_S)

    assert notes_turns(room) == [(1, "notes", "done")]
    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    people = {s.speaker for s in turn.segments}
    assert people and all(p.startswith("speaker_") for p in people)
    assert turn.duration > 4.0 and turn.reply == ""
    assert (room.log.session.folder / turn.recording).is_file()  # type: ignore[attr-defined]
    assert mistral_server.call_count("transcriptions") == 1
    no_agent_calls(mistral_server)
    # The start, the stop, then the people heard in the last part once it was transcribed.
    changes = events.of(NotesChanged)
    assert changes[0] == NotesChanged(True) and changes[1] == NotesChanged(False)
    assert changes[-1].on is False and set(changes[-1].people) == people
    assert NOTES in events.states and RECORDING not in events.states


def test_realtime_notes_stream_to_the_service_and_are_never_sent_to_the_agent(
    make_room, mistral_server: MistralStandIn, feed: Feed
) -> None:
    room, events = mic_room(make_room, live=True)
    take_notes(room, events, feed, NOTES_S)

    assert notes_turns(room) == [(1, "notes", "done")]
    (socket,) = mistral_server.requests_to("realtime")
    assert len(socket.ws_audio) > 4 * 16_000 * 2  # the notes' audio went out while it was said
    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    assert turn.transcript_text and all(s.speaker for s in turn.segments)
    no_agent_calls(mistral_server)


def test_realtime_notes_wait_for_the_diarized_transcript_when_the_service_ends_the_turn_early(
    make_room, mistral_server: MistralStandIn
) -> None:
    """With turn detection the service says the turn ended before its diarized transcript: a question
    answers from the live text, notes (nobody waits for them) are done with the diarized one. The
    early-answer tests' recipe: the clip heard at its own pace, the turn's end scripted at 4.3 s."""
    from tests.standin import ScriptedSegment, ScriptedTurn, TranscriptionScript
    from tests.tui.test_early_answer import _clip, _quiet, _speech
    from tui.room import CaptionChanged
    from tui.testing import FileRecorder

    segments = (ScriptedSegment("Ever tried.", "speaker_1"), ScriptedSegment("Ever failed.", "speaker_2"))
    mistral_server.script(TranscriptionScript(segments=segments, turns=(ScriptedTurn(4.3),)))
    room = make_room(live=True, recorder=FileRecorder(_clip(_speech(), _quiet(2.5)), realtime=True))
    events = RoomEvents()
    room.subscribe(events)
    room.toggle_notes()
    events.wait(lambda e: isinstance(e, CaptionChanged) and "failed" in e.text, 30)  # the turn ended
    room.toggle_notes()
    assert room.wait_idle(60)

    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    assert (turn.kind, turn.status) == ("notes", "done")
    said = [(s.speaker, s.text) for s in turn.segments]
    assert said == [("speaker_1", "Ever tried."), ("speaker_2", "Ever failed.")]
    # The turn was done with the finished transcript, not the live text completed afterwards.
    assert events.transcripts[1].provisional is False and not events.of(TranscriptRevised)
    assert set(events.of(NotesChanged)[-1].people) == {"speaker_1", "speaker_2"}
    no_agent_calls(mistral_server)


def test_a_question_during_notes_is_answered_and_notes_resume_after_it(
    make_room, mistral_server: MistralStandIn, feed: Feed
) -> None:
    room, events = mic_room(make_room)
    room.toggle_notes()
    events.wait(started(TurnKind.NOTES, 1))
    feed.play(3.0)
    room.press("fallback")  # the question: the notes so far become turn 1
    events.wait(started(TurnKind.QUESTION, 2))
    assert room.state == RECORDING and room.notes_on
    assert events.wait(lambda e: isinstance(e, NotesChanged) and e.paused).on
    feed.play(3.0)
    room.press("fallback")
    answered = events.wait(finished(2), 60)
    assert answered.status == "done"
    # After the answer (spoken: Voxroom's voice never enters the notes) the notes go on as turn 3.
    resumed = events.wait(started(TurnKind.NOTES, 3), 30)
    assert events.items.index(resumed) > events.items.index(answered)
    assert room.state == NOTES
    feed.play(3.0)
    room.toggle_notes()
    assert room.wait_idle(60)

    assert notes_turns(room) == [(1, "notes", "done"), (2, "question", "done"), (3, "notes", "done")]
    assert mistral_server.call_count("conversations.start") == 1  # the question only
    assert mistral_server.call_count("transcriptions") == 3


def test_notes_stop_with_a_new_session_and_stay_in_the_one_they_were_taken_in(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, feed: Feed
) -> None:
    from tui.meeting import Meeting
    from tui.meeting.events import Notice

    room, events = mic_room(make_room)
    meeting = Meeting(tui_settings, room=room)
    said: list[RoomEvent] = []
    meeting.subscribe(said.append)
    meeting.toggle_notes()
    events.wait(started(TurnKind.NOTES, 1))
    old = room.log
    feed.play(3.0)
    meeting.new_session()

    assert room.log is not old and not room.notes_on and not room.busy
    assert old.session.turns[0].kind == "notes" and old.session.turns[0].status == "done"  # type: ignore[attr-defined]
    assert room.log.session.turns == []  # type: ignore[attr-defined]
    assert any(isinstance(e, Notice) and "Notes stopped" in e.message for e in said)
    assert events.of(NotesChanged)[-1].on is False
    no_agent_calls(mistral_server)


def test_quitting_during_notes_keeps_them_as_an_interrupted_turn_that_a_retry_transcribes(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, feed: Feed
) -> None:
    from tui.room.wiring import open_log

    room, events = mic_room(make_room)
    room.toggle_notes()
    events.wait(started(TurnKind.NOTES, 1))
    feed.play(3.0)
    session_id = room.log.session_id
    room.close()
    assert mistral_server.call_count("transcriptions") == 0

    again, again_events = mic_room(make_room)
    again.use_log(open_log(tui_settings, session_id, again.backends))
    (turn,) = again.log.session.turns  # type: ignore[attr-defined]
    assert (turn.kind, turn.status, turn.error) == ("notes", "interrupted", CLOSED_WHILE_TAKING_NOTES)
    assert again.can_retry and again.retry_last()
    assert again_events.wait(finished(1), 60).status == "done"
    assert again.wait_idle(30)
    assert notes_turns(again) == [(1, "notes", "done")]
    no_agent_calls(mistral_server)


def test_a_failed_transcription_during_notes_keeps_the_turn_and_a_retry_finishes_it(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, feed: Feed
) -> None:
    tui_settings.retry_max_s = 0.2
    mistral_server.fail("transcriptions", 500)
    room, events = mic_room(make_room, tui_settings)
    room.toggle_notes()
    events.wait(started(TurnKind.NOTES, 1))
    feed.play(3.0)
    room._on_room_thread(room._cut_notes, wait=True)  # the notes' length limit, as the app polls it
    failed = events.wait(finished(1), 60)
    assert failed.status == "failed"
    mistral_server.clear_faults()
    assert events.wait(lambda e: isinstance(e, RoomFailed) and e.retryable).error.hint
    events.wait(started(TurnKind.NOTES, 2))
    assert room.notes_on and room.state == NOTES  # the notes went on as turn 2
    feed.play(2.0)
    room.toggle_notes()
    assert events.wait(finished(2), 60).status == "done"
    assert room.wait_idle(60)
    assert room.log.retry_job().ref.kind == TurnKind.NOTES  # type: ignore[attr-defined]
    session = room.log.session  # type: ignore[attr-defined]
    assert (session.turns[0].status, session.turns[0].failed_step) == ("failed", "transcription")
    assert (session.folder / session.turns[0].recording).is_file()  # kept for the retry
    assert room.can_retry and room.retry_last()
    assert events.wait(lambda e: isinstance(e, TurnFinished) and e.turn == 1 and e.status == "done", 60)
    assert room.wait_idle(30)
    assert notes_turns(room)[0] == (1, "notes", "done")
    no_agent_calls(mistral_server)


@pytest.mark.offline_models
def test_offline_notes_are_transcribed_and_diarized_from_the_microphone(
    make_room, tmp_path, feed: Feed
) -> None:
    settings = Settings(backend="offline", data_dir=tmp_path / "offline")
    settings.hotkey.debounce_ms = 0
    room, events = mic_room(make_room, settings, live=True)
    take_notes(room, events, feed)

    assert notes_turns(room) == [(1, "notes", "done")]
    turn = room.log.session.turns[0]  # type: ignore[attr-defined]
    words = turn.transcript_text.lower()
    assert "ever tried" in words and "fail better" in words
    assert turn.segments and all(s.speaker.startswith("speaker_") for s in turn.segments)
    assert events.of(NotesChanged)[-1].people


async def test_the_notes_indicator_timer_and_people_on_screen(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, feed: Feed
) -> None:
    """The app at 80x24: n starts the notes (their own indicator and timer, not the question's), the
    people heard show while notes go on, a question pauses them and they resume after its answer, and
    the palette's "Take notes" (its key shown) stops them."""
    import asyncio

    from tests.helpers import wait_until
    from tests.tui.test_app import make_app, run_command
    from tests.tui.test_palette import _listed
    from tui.room import IDLE

    room, _ = mic_room(make_room)
    room.notes_chunk_s = 2.0  # the app's poll cuts the notes into a turn as they go on
    app = make_app(tui_settings, room)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.main.recording_pane
        notes_line = pane.query_one(".notes")
        assert not notes_line.display
        await pilot.press("n")
        await wait_until(pilot, lambda: pane.state == NOTES and pane.notes)
        assert pane.state_text.startswith("● TAKING NOTES 00:0") and "RECORDING" not in pane.state_text
        assert notes_line.display and str(notes_line.render()) == "heard: nobody yet"
        assert pane.hint_text == "Press n to stop the notes, space to ask a question."
        assert pane.has_class("-notes") and not pane.has_class("-recording")
        await asyncio.to_thread(feed.play, 4.0)
        await wait_until(pilot, lambda: pane.notes_people != (), 60)
        assert pane.state == NOTES and str(notes_line.render()).startswith("heard: speaker_")
        await wait_until(pilot, lambda: pane.notes_elapsed >= 3)
        assert pane.state_text.startswith("● TAKING NOTES 00:0")

        await pilot.press("space")  # a question: the question's own indicator, the notes paused
        await wait_until(pilot, lambda: pane.state == "recording")
        assert str(notes_line.render()).startswith("notes paused 00:0")
        await asyncio.to_thread(feed.play, 2.0)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.turns_finished >= 1 and pane.state == NOTES, 60)

        listed = await _listed(pilot, app, "take notes")
        assert listed[0][0] == "Take notes" and listed[0][1].startswith("Take notes  N\n"), listed
        await run_command(pilot, app, "take notes")
        await wait_until(pilot, lambda: not pane.notes and pane.state == IDLE, 60)
        assert not notes_line.display
        bar = app.main.status_bar  # the last turn is notes: its times say so, no agent stage is shown
        await wait_until(pilot, lambda: "notes" in bar.text, 60)
        assert "notes: nothing asked of the agent" in bar.text and "llm" not in bar.text, bar.text
        assert "–" not in bar.text and "1st" not in bar.text, bar.text
    assert room.wait_idle(60)
    turns = [(t.kind, t.status) for t in room.log.session.turns]  # type: ignore[attr-defined]
    assert ("question", "done") in turns and turns[-1][0] == "notes" and len(turns) >= 3
    assert mistral_server.call_count("conversations.start") == 1


def test_opening_a_session_to_read_ends_the_notes(
    make_room, tui_settings: Settings, mistral_server: MistralStandIn, feed: Feed
) -> None:
    from tui.meeting import Meeting
    from tui.meeting.values import OpenMode

    room, events = mic_room(make_room)
    meeting = Meeting(tui_settings, room=room)
    meeting.toggle_notes()
    events.wait(started(TurnKind.NOTES, 1))
    feed.play(2.0)
    meeting.open(room.log.session_id, OpenMode.VIEW)

    assert meeting.read_only and not room.notes_on and not room.busy
    assert notes_turns(room) == [(1, "notes", "done")]
    meeting.toggle_notes()  # read-only: notes are not taken into a session being read
    assert not room.notes_on and room.state != NOTES
    no_agent_calls(mistral_server)


def test_voxroom_notes_takes_notes_from_the_microphone_until_its_seconds_are_up(
    mistral_env: MistralStandIn, isolated_env, capsys, feed: Feed
) -> None:
    """The CLI form, through the same meeting layer: the lines of the notes on stdout, the session
    saved with a notes turn, nothing asked of the agent."""
    from tests.conftest import run_cli
    from tui.sessions import SessionStore

    done = threading.Event()

    def talk() -> None:  # the room speaks all along, whenever the command starts listening
        while not done.is_set():
            feed.play(4.0)

    player = threading.Thread(target=talk)
    player.start()
    code, out, err = run_cli(
        capsys,
        "notes",
        "--seconds",
        "8",
        "--input-device",
        "virtual_mic",
        "--output-device",
        "virtual_speaker",
    )
    done.set()
    player.join(60)
    assert code == 0, err
    assert "Taking notes in session " in err and "Notes saved in session " in err
    lines = out.splitlines()
    assert lines and all(" : " in line and line.startswith("[") for line in lines), (out, err)
    session_id = err.split("Taking notes in session ", 1)[1].split(";", 1)[0]
    session = SessionStore(isolated_env / "sessions").open(session_id)
    assert [(t.kind, t.status) for t in session.turns] == [("notes", "done")]
    assert "heard: speaker_" in err
    no_agent_calls(mistral_env)
