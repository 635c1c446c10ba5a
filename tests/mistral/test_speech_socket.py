"""Turns spoken through the realtime speech socket (``speech.transport = "socket"``): the real SDK's
models and connection, the stand-in's socket on 127.0.0.1, the turn runner the app and the CLI share."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.conftest import clip_path
from tests.standin import Fault, MistralStandIn, Reply
from tui.audio.clip import load_clip
from tui.audio.sinks import MemorySink
from tui.backends import make_backends
from tui.config import Settings
from tui.events import ReplyDelta, RoomEvent, SentenceSpoken, StageChanged
from tui.mistral import MistralConnection
from tui.model import TurnStage, TurnStatus
from tui.speech.mistral_socket import MistralSocketSpeaker
from tui.turn import TurnResult, TurnRunner

REPLY = "It is sunny in Paris today. Expect twenty degrees this afternoon, with a light wind."


@pytest.fixture
def socket_settings(mistral_settings: Settings) -> Settings:
    mistral_settings.speech.transport = "socket"
    mistral_settings.transcription.realtime = False
    return mistral_settings


def runner_for(settings: Settings) -> TurnRunner:
    runner = make_backends(settings).runner(settings)
    assert isinstance(runner.speaker, MistralSocketSpeaker)
    return runner


def run_turn(runner: TurnRunner, **kwargs: object) -> TurnResult:
    return runner.run(load_clip(clip_path("clone-test.wav")), **kwargs)  # type: ignore[arg-type]


def test_speech_starts_from_the_first_words_before_the_sentence_is_written(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text=REPLY, delta_delay=0.05))
    order: list[str] = []
    shown: list[tuple[int, str]] = []

    def emit(event: RoomEvent) -> None:
        if isinstance(event, ReplyDelta):
            order.append("end of sentence" if event.so_far.rstrip().endswith("today.") else "text")
        elif isinstance(event, SentenceSpoken):
            order.append(f"audio{event.index}")
            shown.append((event.index, event.text))

    result = run_turn(runner_for(socket_settings), emit=emit)
    assert result.status == TurnStatus.DONE, result.error
    assert result.sentences == [
        "It is sunny in Paris today.",
        "Expect twenty degrees this afternoon, with a light wind.",
    ]
    # The first words were heard before the agent had written the end of the first sentence.
    assert order.index("audio0") < order.index("end of sentence")
    # What the playback meter shows: the words written when the audio started, then the sentence.
    (first_index, first_words), whole = shown[0], shown[1]
    assert first_index == 0 and "It is sunny in Paris today.".startswith(first_words) and first_words
    assert first_words != "It is sunny in Paris today." and whole == (0, "It is sunny in Paris today.")
    assert shown[-1] == (1, result.sentences[1])
    sockets = mistral_server.requests_to("speech.realtime")
    assert len(sockets) == 2  # one session per sentence (what is refused or cut is one sentence)
    assert " ".join(sockets[0].ws_spoken) == "It is sunny in Paris today."
    assert len(sockets[0].ws_spoken) >= 2  # spoken in pieces as the words came
    first = sockets[0].ws_messages
    assert first[0] == {
        "type": "session.update",
        "session": {"voice": "gb_jane_neutral", "response_format": "pcm", "streaming_mode": "responsive"},
    }
    assert [m["type"] for m in first[1:-1]] == ["input_text.append"] * (len(first) - 2)
    assert first[-1]["type"] == "input_text.end"
    assert all(r.query == "model=voxtral-mini-tts-2603" and r.auth_present for r in sockets)
    assert result.speech.rate == 24000 and result.speech.duration > 3.0
    assert float(np.sqrt(np.mean(result.speech.samples**2))) > 0.01
    assert result.timings.speech_first_audio_ms is not None
    assert mistral_server.requests_to("speech") == sockets  # no HTTP speech at all


def test_barge_in_stops_the_speech_and_the_socket(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.set_latency(speech_real_time_factor=1.0)  # audio comes as fast as it plays
    reply = " ".join([REPLY] * 3)  # about 15 s of speech
    mistral_server.script(Reply(text=reply))
    runner = runner_for(socket_settings)
    spoken = threading.Event()

    def emit(event: RoomEvent) -> None:
        if isinstance(event, SentenceSpoken):
            spoken.set()

    def barge_in() -> None:
        if spoken.wait(30):
            runner.interrupt()

    threading.Thread(target=barge_in, daemon=True).start()
    result = run_turn(runner, emit=emit, sink=MemorySink())
    assert spoken.is_set()
    assert result.status == TurnStatus.INTERRUPTED
    assert result.reply is not None and result.reply.text == reply  # the text is kept
    assert result.speech.duration < 5.0  # stopped: the whole reply is about 15 s of speech
    (first, *_) = mistral_server.requests_to("speech.realtime")
    assert first.finished.wait(5)  # the session was let go, not left open
    assert len(mistral_server.requests_to("speech.realtime")) == 1


@pytest.mark.parametrize("fault", [Fault.refused_text(), Fault.http(403, "Input refused by moderation")])
def test_a_refused_sentence_is_skipped_and_the_rest_spoken(
    fault: Fault, socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text="First one here. Second one here. Third one here."))
    mistral_server.fail("speech.realtime", fault, on_calls=[2])
    result = run_turn(runner_for(socket_settings))
    assert result.status == TurnStatus.DONE, result.error
    assert result.refused == [1]
    sockets = mistral_server.requests_to("speech.realtime")
    assert len(sockets) == 3
    assert [" ".join(r.ws_spoken) for r in (sockets[0], sockets[2])] == ["First one here.", "Third one here."]


def test_every_sentence_refused_fails_the_speech_step(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text="First one. Second one."))
    mistral_server.fail("speech.realtime", Fault.refused_text())
    result = run_turn(runner_for(socket_settings))
    assert result.status == TurnStatus.FAILED and result.failed_step == "speech"
    assert result.error == "Speech was refused by Mistral (403): Input refused by moderation."


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            Fault.wrong_types(),
            "Speech failed: the server sent a 'speech.audio.delta' message Voxroom cannot read.",
        ),
        (Fault.slow_first_audio(5.0), "Speech failed: Mistral sent no audio for 1 s."),
        (Fault.cut(after_events=4), "Speech failed: the connection was cut mid-answer."),
        (Fault.stall(after_events=3), "Speech failed: Mistral sent no audio for 1 s."),
        (Fault.empty_reply(), "Speech failed: Mistral did not answer in time."),
        (Fault.oversized(2 * 1024 * 1024), "Speech failed: the server sent a message larger than 1024 kB"),
        (Fault.http(503), "Speech failed: Mistral had a server error (503)"),
    ],
)
def test_socket_faults_fail_in_bounded_time_keep_the_text_and_retry(
    fault: Fault, expected: str, socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    # An oversized message is refused by websockets (close 1009) once the server has read the close
    # frame, after it sent the message: a loaded machine can take longer than 1 s for that.
    socket_settings.timeout_s = 3.0 if fault.oversize else 1.0
    socket_settings.retry_max_s = 0.0
    mistral_server.script(Reply(text=REPLY))
    mistral_server.fail("speech.realtime", fault)
    runner = runner_for(socket_settings)
    t0 = time.monotonic()
    failed = run_turn(runner)
    took = time.monotonic() - t0
    assert failed.status == TurnStatus.FAILED and failed.failed_step == "speech"
    assert failed.error is not None and failed.error.startswith(expected), failed.error
    assert "\n" not in failed.error and "test-key" not in failed.error
    assert failed.reply is not None and failed.reply.text == REPLY  # the text is kept
    assert took < 3 * socket_settings.timeout_s + 1.0  # the read timeout and the close, not the deadline

    mistral_server.clear_faults()
    again = run_turn(runner, transcript=failed.transcript)
    assert again.status == TurnStatus.DONE, again.error
    assert again.speech.duration > 3.0


def test_a_transient_refusal_of_the_upgrade_is_tried_again(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text="Still fine."))
    mistral_server.fail("speech.realtime", Fault.http(503), times=1)
    result = run_turn(runner_for(socket_settings))
    assert result.status == TurnStatus.DONE, result.error
    assert [r.status for r in mistral_server.requests_to("speech.realtime")] == [503, 101]


def test_a_first_session_lost_while_the_agent_thinks_is_opened_again(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    """The first sentence's session is opened while the agent is asked; when it is gone before the
    agent's first words (a server closing idle sockets), a new one speaks the sentence."""
    mistral_server.set_latency(agent_first_token=2.0)
    mistral_server.script(Reply(text="Still fine."))
    mistral_server.fail("speech.realtime", Fault.cut(after_events=1), on_calls=[1])
    result = run_turn(runner_for(socket_settings))
    assert result.status == TurnStatus.DONE, result.error
    first, second = mistral_server.requests_to("speech.realtime")
    assert first.ws_spoken == [] and second.ws_spoken == ["Still fine."]


def test_an_unused_first_stream_is_closed(socket_settings: Settings, mistral_server: MistralStandIn) -> None:
    """The first sentence's session opens while the agent is asked; a reply with nothing to say
    lets it go."""
    mistral_server.fail("conversations.start", 500)
    socket_settings.retry_max_s = 0.0
    result = run_turn(runner_for(socket_settings))
    assert result.status == TurnStatus.FAILED and result.failed_step == "agent"
    (opened,) = mistral_server.requests_to("speech.realtime")
    alive = [t.name for t in threading.enumerate() if t.name.startswith("voxroom-speech")]
    assert opened.finished.wait(5), f"the session is still open; speech threads alive: {alive}"
    assert [m["type"] for m in opened.ws_messages] == ["session.update"]


def test_a_turn_stopped_while_the_agent_thinks_lets_the_first_stream_go(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    """Closing Voxroom while the agent is asked: the session opened ahead for the first sentence is
    closed with the turn, not left open until the server gives up on it."""
    mistral_server.set_latency(agent_first_token=1.0)
    mistral_server.script(Reply(text=REPLY))
    runner = runner_for(socket_settings)

    def emit(event: RoomEvent) -> None:
        if isinstance(event, StageChanged) and event.stage == TurnStage.THINKING:
            runner.stop()

    result = run_turn(runner, emit=emit)
    assert result.status == TurnStatus.INTERRUPTED and result.failed_step == "agent", result.error
    (opened,) = mistral_server.requests_to("speech.realtime")
    assert opened.finished.wait(5)
    assert opened.ws_spoken == []
    for thread in threading.enumerate():  # the turn's speech queue ends with it
        if thread.name == "voxroom-speech":
            thread.join(5)
            assert not thread.is_alive()


def test_say_speaks_a_whole_text_through_the_socket(
    socket_settings: Settings, mistral_server: MistralStandIn
) -> None:
    speaker = MistralSocketSpeaker(socket_settings, MistralConnection.shared(socket_settings))
    audio = np.concatenate(list(speaker.synthesize("One two three four.")))
    assert audio.dtype == np.float32 and audio.size > 24000 * 0.5
    (req,) = mistral_server.requests_to("speech.realtime")
    assert " ".join(req.ws_spoken) == "One two three four."
