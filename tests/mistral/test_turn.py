"""The Mistral turn, through the real SDK, against the stand-in server on 127.0.0.1."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import clip_path
from tests.standin import (
    Fault,
    MistralStandIn,
    Reply,
    ScriptedReference,
    ScriptedSegment,
    TranscriptionScript,
)
from tui.agent.mistral import MistralAgent
from tui.audio.clip import load_clip
from tui.backends import make_backends
from tui.config import Settings
from tui.errors import AgentError, TranscriptionError
from tui.events import ReplyDelta, RoomEvent, SentenceSpoken, StageChanged
from tui.mistral import MistralConnection
from tui.stt.mistral import MistralTranscriber
from tui.turn import BLOCKED_LINE


@pytest.fixture(autouse=True)
def http_speech(mistral_settings: Settings) -> None:
    """These turns speak over HTTP (their requests' JSON is checked); tests/mistral/test_speech_socket.py
    has the same turns through the realtime speech socket."""
    mistral_settings.speech.transport = "http"


class Recorder:
    """Keeps every event the turn reports (an Emit)."""

    def __init__(self) -> None:
        self.events: list[RoomEvent] = []

    def __call__(self, event: RoomEvent) -> None:
        self.events.append(event)

    @property
    def stages(self) -> list[str]:
        return [e.stage for e in self.events if isinstance(e, StageChanged)]

    @property
    def deltas(self) -> list[ReplyDelta]:
        return [e for e in self.events if isinstance(e, ReplyDelta)]

    @property
    def sentences(self) -> list[tuple[int, str]]:
        return [(e.index, e.text) for e in self.events if isinstance(e, SentenceSpoken)]


def test_transcription_request_and_lines(mistral_settings: Settings, mistral_server: MistralStandIn) -> None:
    mistral_server.script(
        TranscriptionScript(
            segments=(
                ScriptedSegment("Hello, how are you doing today?", "speaker_1", 0.1, 1.5),
                ScriptedSegment("Fine, thanks.", "speaker_2", 1.7, 2.6),
            )
        )
    )
    clip = load_clip(clip_path("endgame_nagg_nell.wav"))  # 24 kHz: must be sent as 16 kHz FLAC
    transcript = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings)).transcribe(
        clip
    )
    assert transcript.lines() == [
        "[0.1s -> 1.5s] speaker_1 : Hello, how are you doing today?",
        "[1.7s -> 2.6s] speaker_2 : Fine, thanks.",
    ]
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.form["model"] == ["voxtral-mini-latest"]
    assert req.form["diarize"] == ["true"]
    assert "segment" in str(req.form.get("timestamp_granularities") or req.form)
    upload = next(iter(req.files.values()))
    info = sf.info(io.BytesIO(upload.data))
    assert (info.format, info.samplerate, info.channels) == ("FLAC", 16000, 1)
    assert abs(info.duration - clip.duration) < 0.01
    assert len(upload.data) < clip.duration * 16000 * 2 * 0.8  # compact: smaller than 16-bit PCM
    assert req.auth_present


def test_zero_based_speaker_ids_are_shown_from_one(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment("A", "0", 0, 1), ScriptedSegment("B", "1", 1, 2)))
    )
    clip = load_clip(clip_path("clone-test.wav"))
    transcript = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings)).transcribe(
        clip
    )
    assert [s.speaker for s in transcript.segments] == ["speaker_1", "speaker_2"]


def test_agent_is_created_once_and_again_when_its_definition_changes(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    conn = MistralConnection.shared(mistral_settings)
    first = MistralAgent(mistral_settings, conn)
    first.warm_up()
    MistralAgent(mistral_settings, conn).warm_up()  # a second start of Voxroom
    (create,) = mistral_server.requests_to("agents.create")
    body = create.json
    assert body["model"] == "mistral-small-latest"
    assert body["tools"] == [{"type": "web_search"}]
    assert body["completion_args"] == {"temperature": 0.3, "top_p": 0.95}
    assert body["instructions"] and "markdown" in body["instructions"]
    assert "guardrails" not in body

    mistral_settings.agent.moderation = True
    mistral_settings.agent.moderation_thresholds = {"hate_and_discrimination": 0.2}
    changed = MistralAgent(mistral_settings, conn)
    changed.warm_up()
    creates = mistral_server.requests_to("agents.create")
    assert len(creates) == 2 and changed.agent_id != first.agent_id
    guard = creates[1].json["guardrails"][0]["moderation_llm_v2"]
    assert guard["custom_category_thresholds"] == {"hate_and_discrimination": 0.2}
    assert guard["action"] == "block"


def test_whole_turn_streams_and_appends_the_conversation(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(
        Reply(
            text="It is sunny in Paris. Expect twenty degrees this afternoon.",
            references=(ScriptedReference("Paris weather", "https://weather.example/paris"),),
        ),
        Reply(text="You are welcome."),
    )
    backends = make_backends(mistral_settings)
    runner = backends.runner(mistral_settings)
    clip = load_clip(clip_path("clone-test.wav"))
    obs = Recorder()
    first = runner.run(clip, emit=obs, turn=7)
    assert first.status == "done", first.error
    assert first.reply is not None
    assert first.reply.text == "It is sunny in Paris. Expect twenty degrees this afternoon."
    deltas = obs.deltas
    assert "".join(d.text for d in deltas).strip() == first.reply.text
    assert len(deltas) > 3  # streamed as deltas
    # Each delta carries the reply so far and its number, so a late one can replace those before it.
    assert [d.seq for d in deltas] == list(range(1, len(deltas) + 1))
    assert all(d.so_far == "".join(x.text for x in deltas[: d.seq]) for d in deltas)
    assert {e.turn for e in obs.events if hasattr(e, "turn")} == {7}
    assert [(r.title, r.url) for r in first.reply.references] == [
        ("Paris weather", "https://weather.example/paris")
    ]
    assert first.sentences == ["It is sunny in Paris.", "Expect twenty degrees this afternoon."]
    assert [i for i, _ in obs.sentences] == [0, 1]
    assert obs.stages[0] == "transcribing" and "thinking" in obs.stages and "speaking" in obs.stages
    assert obs.stages[-1] == "done"
    # Every step's timing is recorded.
    t = first.timings
    for name in (
        "transcription_ms",
        "agent_first_token_ms",
        "agent_first_sentence_ms",
        "speech_first_audio_ms",
        "first_audio_ms",
        "total_ms",
    ):
        assert getattr(t, name) is not None and getattr(t, name) >= 0, name
    assert t.first_audio_ms <= t.total_ms
    # Speech: one streamed PCM request per sentence, in order, with the configured voice.
    speech = mistral_server.requests_to("speech")
    assert [r.json["input"] for r in speech] == first.sentences
    assert all(
        r.json["model"] == "voxtral-mini-tts-2603"
        and r.json["voice_id"] == "gb_jane_neutral"
        and r.json["response_format"] == "pcm"
        and r.json["stream"] is True
        for r in speech
    )
    assert first.speech.rate == 24000 and first.speech.duration > 1.0
    assert float(np.sqrt(np.mean(first.speech.samples**2))) > 0.01

    second = runner.run(clip, conversation_id=first.reply.conversation_id)
    assert second.status == "done" and second.reply is not None
    assert second.reply.conversation_id == first.reply.conversation_id
    start, append = (
        mistral_server.requests_to("conversations.start"),
        mistral_server.requests_to("conversations.append"),
    )
    assert len(start) == 1 and len(append) == 1
    assert start[0].json["stream"] is True and start[0].json["agent_id"]
    assert append[0].path.endswith(first.reply.conversation_id) and append[0].json["stream"] is True
    assert len(mistral_server.requests_to("agents.create")) == 1


def test_speech_starts_on_the_first_sentence_before_the_reply_ends(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    tail = "and then a long tail " * 10
    mistral_server.script(Reply(text=f"First sentence here. {tail}end.", delta_delay=0.03))
    events: list[str] = []

    def order(event: RoomEvent) -> None:
        if isinstance(event, ReplyDelta):
            events.append("text")
        elif isinstance(event, SentenceSpoken):
            events.append(f"audio{event.index}")

    runner = make_backends(mistral_settings).runner(mistral_settings)
    result = runner.run(load_clip(clip_path("clone-test.wav")), emit=order)
    assert result.status == "done", result.error
    assert mistral_server.requests_to("speech")[0].json["input"] == "First sentence here."
    last_text = len(events) - 1 - events[::-1].index("text")
    # The first sentence's audio was playing while the agent was still writing the reply.
    assert events.index("audio0") < last_text


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried(
    mistral_settings: Settings, mistral_server: MistralStandIn, status: int
) -> None:
    mistral_server.fail(
        "transcriptions", Fault.http(status, retry_after=0) if status == 429 else status, times=1
    )
    result = (
        make_backends(mistral_settings).runner(mistral_settings).run(load_clip(clip_path("clone-test.wav")))
    )
    assert result.status == "done", result.error
    assert len(mistral_server.requests_to("transcriptions")) == 2


def test_unauthorised_is_one_clear_sentence(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("transcriptions", 401)
    obs = Recorder()
    result = (
        make_backends(mistral_settings)
        .runner(mistral_settings)
        .run(load_clip(clip_path("clone-test.wav")), emit=obs)
    )
    assert result.status == "failed" and result.failed_step == "transcription"
    assert result.error == "Transcription failed: Mistral rejected the API key (401). Check MISTRAL_API_KEY."
    assert obs.stages[-1] == "failed"
    assert len(mistral_server.requests_to("transcriptions")) == 1  # 401 is not retried


def test_stream_cut_mid_reply_fails_the_agent_step(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text="One two three four five six seven."))
    mistral_server.fail("conversations.start", Fault.cut(after_events=3))
    result = (
        make_backends(mistral_settings).runner(mistral_settings).run(load_clip(clip_path("clone-test.wav")))
    )
    assert result.status == "failed" and result.failed_step == "agent"
    assert result.error is not None and "cut" in result.error
    assert result.transcript is not None and result.transcript.segments  # kept for the retry


def test_retry_reuses_the_transcript(mistral_settings: Settings, mistral_server: MistralStandIn) -> None:
    mistral_server.fail("conversations.start", 500, times=10)
    runner = make_backends(mistral_settings).runner(mistral_settings)
    clip = load_clip(clip_path("clone-test.wav"))
    failed = runner.run(clip)
    assert failed.status == "failed" and failed.failed_step == "agent"
    mistral_server.clear_faults()
    again = runner.run(clip, transcript=failed.transcript)
    assert again.status == "done"
    assert len(mistral_server.requests_to("transcriptions")) == 1


def test_guardrail_block_is_shown_and_spoken_neutrally(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("conversations.start", Fault.guardrail_block())
    result = (
        make_backends(mistral_settings).runner(mistral_settings).run(load_clip(clip_path("clone-test.wav")))
    )
    assert result.status == "blocked"
    assert result.reply is not None and result.reply.blocked
    assert result.reply.moderation == (
        "Blocked by moderation (violence_and_threats 0.93 over 0.5): rephrase the request, or raise the"
        " threshold in `agent.moderation_thresholds` or set `agent.moderation = false`."
    )
    assert result.sentences == [BLOCKED_LINE]
    assert [r.json["input"] for r in mistral_server.requests_to("speech")] == [BLOCKED_LINE]


def test_unknown_events_are_ignored_and_empty_replies_reported(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(Reply(text="Still fine."))
    mistral_server.fail("conversations.start", Fault.unknown_sse_event(), times=1)
    runner = make_backends(mistral_settings).runner(mistral_settings)
    clip = load_clip(clip_path("clone-test.wav"))
    ok = runner.run(clip)
    assert ok.status == "done" and ok.reply is not None and ok.reply.text == "Still fine."
    mistral_server.fail("conversations.append", Fault.empty_reply(), times=1)
    empty = runner.run(clip, conversation_id=ok.reply.conversation_id)
    assert empty.status == "failed" and empty.error == "The agent sent an empty reply. Retry the turn."


def test_deleted_agent_is_recreated_once(mistral_settings: Settings, mistral_server: MistralStandIn) -> None:
    conn = MistralConnection.shared(mistral_settings)
    agent = MistralAgent(mistral_settings, conn)
    agent.warm_up()
    conn.client.beta.agents.delete(agent_id=agent.agent_id)
    reply = agent.ask("hello", None, lambda _d: None)
    assert reply.text
    assert len(mistral_server.requests_to("agents.create")) == 2


def test_connection_refused_is_explained(isolated_env: Path, closed_mistral_url: str) -> None:
    from tui.config import load_settings

    settings = load_settings(env={"MISTRAL_API_KEY": "k", "MISTRAL_SERVER_URL": closed_mistral_url})
    settings.timeout_s = 2
    settings.retry_max_s = 0.5
    with pytest.raises(TranscriptionError, match="could not reach"):
        MistralTranscriber(settings, MistralConnection(settings)).transcribe(
            load_clip(clip_path("clone-test.wav"))
        )


def test_agent_error_event_is_an_agent_error(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("conversations.start", Fault.response_error("model overloaded", 3000))
    agent = MistralAgent(mistral_settings, MistralConnection.shared(mistral_settings))
    with pytest.raises(AgentError, match="model overloaded"):
        agent.ask("hi", None, lambda _d: None)
