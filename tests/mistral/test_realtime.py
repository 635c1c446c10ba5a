"""Live (realtime) transcription through the real SDK's WebSocket client against the stand-in."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import clip_path, spoken
from tests.standin import DEFAULT_SEGMENTS, Fault, MistralStandIn, ScriptedSegment, TranscriptionScript
from tests.standin.realtime import MAX_APPEND_BYTES
from tui.audio.clip import load_clip
from tui.config import Settings, load_settings
from tui.errors import ConfigError, TranscriptionError
from tui.mistral import MistralConnection
from tui.model import Transcript
from tui.stt.live import make_live_transcription
from tui.stt.mistral import MistralTranscriber
from tui.stt.offline import WhisperTranscriber
from tui.stt.realtime import RATE, RealtimeTranscription
from tui.stt.streaming import StreamingTranscription

BLOCK = 320  # 20 ms at 16 kHz, as the recorder's writer hands them over


@pytest.fixture
def speech() -> np.ndarray:
    """Two readers alternating, 28 s, resampled to 16 kHz mono float32."""
    return load_clip(clip_path("endgame_nagg_nell.wav")).at_rate(RATE).samples.astype(np.float32)


@pytest.fixture
def live(mistral_settings: Settings) -> Iterator[list[RealtimeTranscription]]:
    """Every RealtimeTranscription a test makes is closed afterwards (and must be stopped)."""
    made: list[RealtimeTranscription] = []
    yield made
    for rt in made:
        rt.close()
        assert not rt.running, "the realtime worker thread outlived close()"


def start(settings: Settings, made: list[RealtimeTranscription], **kwargs: object) -> RealtimeTranscription:
    options: dict[str, object] = {
        "model": settings.transcription.realtime_model,
        "diarize": settings.transcription.diarize,
        "delay_ms": settings.transcription.realtime_delay_ms,
    }
    options.update(kwargs)
    rt = RealtimeTranscription(MistralConnection(settings), **options)  # type: ignore[arg-type]
    made.append(rt)
    return rt


def feed_all(rt: RealtimeTranscription, samples: np.ndarray, block: int = BLOCK) -> int:
    count = 0
    for i in range(0, samples.size, block):
        rt.feed(samples[i : i + block])
        count += 1
    return count


def one_sentence(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith("Live transcription") and text.endswith(".")
    assert len(text) < 300
    return text


def test_streamed_turn_returns_the_scripted_diarized_transcript(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    mistral_server.script(
        TranscriptionScript(
            segments=(
                ScriptedSegment("Me not understand.", "speaker_1", 0.2, 3.1),
                ScriptedSegment("Our hearing hasn't failed.", "speaker_2", 3.4, 6.0),
            )
        )
    )
    rt = start(mistral_settings, live)
    pieces: list[str] = []
    first_piece = threading.Event()
    rt.on_text = lambda piece: (pieces.append(piece), first_piece.set())
    fed = feed_all(rt, speech[: 2 * RATE])
    assert first_piece.wait(30), rt.error  # live text arrives while the room is still speaking
    assert pieces[0] == "Me" and not rt.failed
    fed += feed_all(rt, speech[2 * RATE :])
    transcript = rt.finish()

    assert [(s.speaker, s.text, s.start, s.end) for s in transcript.segments] == [
        ("speaker_1", "Me not understand.", 0.2, 3.1),
        ("speaker_2", "Our hearing hasn't failed.", 3.4, 6.0),
    ]
    assert transcript.text == "Me not understand. Our hearing hasn't failed."
    assert transcript.language == "en" and transcript.model == "voxtral-mini-transcribe-realtime-3"
    assert transcript.provisional is False
    assert rt.partial_text == "".join(pieces) == transcript.text  # the deltas add up to the final text
    assert (rt.fed_blocks, rt.dropped_blocks, rt.sent_samples) == (fed, 0, speech.size)

    (req,) = mistral_server.requests_to("realtime")
    assert req.status == 101 and req.has_key("test-key")
    assert "model=voxtral-mini-transcribe-realtime-3" in req.query
    update, *appends, flush, end = req.ws_messages
    assert update == {
        "type": "session.update",
        "session": {
            "audio_format": {"encoding": "pcm_s16le", "sample_rate": 16000},
            "target_streaming_delay_ms": 240,
            "diarize": True,
        },
    }
    assert {m["type"] for m in appends} == {"input_audio.append"}
    assert all(0 < m["audio_bytes"] <= MAX_APPEND_BYTES for m in appends)
    assert (flush["type"], end["type"]) == ("input_audio.flush", "input_audio.end")
    # Every sample reached the server, in order, as 16-bit PCM.
    received = np.frombuffer(bytes(req.ws_audio), dtype="<i2")
    assert received.size == speech.size
    assert np.array_equal(received, (np.clip(speech, -1, 1) * 32767).astype("<i2"))
    rt.close()  # after a successful finish: just waits for the clean close under way
    assert not rt.running
    assert req.finished.wait(5) and not req.client_disconnected


def test_transcript_without_diarized_segments_is_provisional(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    """The stand-in sends segments only with diarize (like the batch route): text alone is provisional,
    one segment over the whole recording, so the lead can replace it with a diarized batch pass."""
    rt = start(mistral_settings, live, diarize=False)
    feed_all(rt, speech[: 5 * RATE])
    transcript = rt.finish()
    assert transcript.provisional is True
    assert transcript.text == " ".join(s.text for s in DEFAULT_SEGMENTS)
    assert [(s.start, s.end, s.speaker) for s in transcript.segments] == [(0.0, 5.0, "speaker_1")]
    data = transcript.to_dict()
    assert data["provisional"] is True and Transcript.from_dict(data).provisional is True
    # Compatible both ways: a final transcript writes the same keys as before, old dicts read as final.
    assert "provisional" not in Transcript(text="x").to_dict()
    assert Transcript.from_dict({"segments": [], "text": "x"}).provisional is False
    (req,) = mistral_server.requests_to("realtime")
    assert "diarize" not in req.ws_messages[0]["session"]


def test_segments_without_speakers_are_provisional(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    mistral_server.script(TranscriptionScript(segments=(ScriptedSegment("Hello there.", None, 0.0, 1.0),)))  # type: ignore[arg-type]
    rt = start(mistral_settings, live)
    feed_all(rt, speech[: 2 * RATE])
    transcript = rt.finish()
    assert transcript.provisional is True
    assert [(s.speaker, s.text) for s in transcript.segments] == [("unknown", "Hello there.")]


def test_hostile_server_values_are_bounded_and_cleaned(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    mistral_server.script(
        TranscriptionScript(
            segments=(
                ScriptedSegment("\x1b[31mRed\x1b[0m alert.", "speaker_\x1b]0;x\x07 2", math.nan, math.inf),
                ScriptedSegment("Back in time.", "speaker_1", 5.0, -3.0),
            ),
            language="\x1b[2J",
        )
    )
    rt = start(mistral_settings, live)
    feed_all(rt, speech[: 2 * RATE])
    transcript = rt.finish()
    first, second = transcript.segments
    assert first.text == "Red alert." and "\x1b" not in first.speaker
    assert (first.start, first.end) == (0.0, 0.0)  # NaN and infinity dropped
    assert (second.start, second.end) == (5.0, 5.0)  # a negative end clamped, never before start
    assert transcript.language is None
    assert all(math.isfinite(v) for s in transcript.segments for v in (s.start, s.end))


def test_error_event_makes_finish_raise_one_sentence(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    fault = Fault.response_error("Audio could not be decoded", code=3100, after_events=3)
    mistral_server.fail("realtime", fault)
    rt = start(mistral_settings, live)
    fed = feed_all(rt, speech[: 4 * RATE])
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert one_sentence(caught.value) == (
        "Live transcription failed: Mistral reported an error (3100): Audio could not be decoded. "
        "Retry the turn."
    )
    assert rt.failed and rt.error is caught.value and rt.fed_blocks == fed


def test_dropped_connection_mid_recording_fails_but_feed_keeps_accepting(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    """The socket is cut after the first word (events: created, updated, language, first delta).
    The recorder keeps calling feed (the file on disk is written by the recorder, not by us): every
    call returns, nothing more is queued, and finish raises so the caller transcribes the file."""
    mistral_server.fail("realtime", Fault.cut(after_events=4))
    rt = start(mistral_settings, live)
    assert rt.wait_connected(30), rt.error
    head = feed_all(rt, speech[: 2 * RATE])
    assert rt.wait_drained(10)  # the audio went out; the server cut after its first delta
    (req,) = mistral_server.wait_for_requests(1, "realtime")
    assert req.finished.wait(10)
    tail = feed_all(rt, speech[2 * RATE :])
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    text = one_sentence(caught.value)
    assert "cut" in text or "closed before the transcript was done" in text
    assert rt.fed_blocks == head + tail
    assert rt.queued_seconds == 0.0
    assert not rt.running


def test_recording_stays_complete_when_the_connection_drops(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, tmp_path: Path
) -> None:
    """The real Recorder (no device: ``feed`` runs the PortAudio callback's code) hands every batch it
    writes to ``RealtimeTranscription.feed``. The socket is cut mid-recording: the FLAC on disk still
    holds every sample, each one was offered to feed, and the batch fallback uploads all of it."""
    from tests.standin.audio import audio_seconds
    from tui.audio.capture import Recorder

    mistral_server.fail("realtime", Fault.cut(after_events=4))
    speech48 = load_clip(clip_path("endgame_nagg_nell.wav")).at_rate(48_000).samples[: 8 * 48_000]
    rt = start(mistral_settings, live)
    assert rt.wait_connected(30), rt.error
    recorder = Recorder(rate=48_000)
    recorder.start(tmp_path / "turn.flac", open_stream=False)
    recorder.on_audio = rt.feed
    for i in range(0, speech48.size, 960):  # 20 ms device blocks
        recorder.feed(speech48[i : i + 960])
    clip = recorder.stop()
    assert recorder.error is None
    with pytest.raises(TranscriptionError):
        rt.finish()
    assert clip.path is not None and clip.samples.size == 8 * RATE
    assert rt.fed_samples == clip.samples.size  # the recorder offered every sample it wrote
    (req,) = mistral_server.requests_to("realtime")
    assert 0 < len(req.ws_audio) // 2 < clip.samples.size  # the live session saw only a part

    transcript = MistralTranscriber(mistral_settings, MistralConnection(mistral_settings)).transcribe(clip)
    (upload,) = mistral_server.requests_to("transcriptions")
    assert audio_seconds(upload.files["file"].data) == pytest.approx(8.0)
    assert transcript.segments[-1].end == pytest.approx(8.0)


@pytest.mark.parametrize("how", ["never", "slow"])
def test_done_deadline_makes_finish_raise(
    how: str, mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    if how == "never":
        mistral_server.fail("realtime", Fault.stall(after_events=2))
    else:
        mistral_server.set_latency(realtime_done=30.0)
    rt = start(mistral_settings, live, finish_timeout_s=0.5)
    feed_all(rt, speech[: 2 * RATE])
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert one_sentence(caught.value) == (
        "Live transcription failed: Mistral did not finish the transcript within 0.5 s. Retry the turn."
    )
    assert not rt.running


def test_feed_never_blocks_when_the_server_stalls(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """The server stops reading after session.updated: the sender fills the TCP buffers and blocks.
    Feeding goes on regardless; the queue stays within its bound and the surplus is counted."""
    mistral_server.fail("realtime", Fault.stall(after_events=2))
    bound_s = 10.0
    rt = start(mistral_settings, live, max_queued_s=bound_s, finish_timeout_s=0.5)
    assert rt.wait_connected(30), rt.error
    block = np.full(RATE // 2, 0.25, dtype=np.float32)
    total = 2400  # 20 minutes of audio: far more than loopback TCP buffers hold
    calls = 0
    pacing = True
    for _ in range(total):
        rt.feed(block)
        calls += 1
        # Let the sender keep up until the stall bites (the first wait that times out), then feed
        # as fast as possible: a blocked sender must not block feed.
        if pacing:
            pacing = rt.wait_drained(0.5)
    assert calls == rt.fed_blocks == total
    assert rt.sent_seconds > 0  # audio went out before the buffers filled
    assert rt.peak_queued <= bound_s * RATE
    assert rt.dropped_blocks > 0 and rt.failed
    (req,) = mistral_server.requests_to("realtime")
    assert req.stalled
    assert len(req.ws_audio) < total * block.size * 2  # the server really stopped reading
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert "fell behind" in one_sentence(caught.value)
    assert not rt.running


def test_refused_upgrade_and_unreachable_server(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, closed_mistral_url: str
) -> None:
    mistral_server.fail("realtime", Fault.http(401))
    rt = start(mistral_settings, live)
    assert not rt.wait_connected(10)
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert one_sentence(caught.value) == (
        "Live transcription failed: Mistral rejected the API key (401). Check MISTRAL_API_KEY."
    )
    mistral_server.clear_faults()
    mistral_server.fail("realtime", Fault.empty_reply())  # upgraded, then never says session.created
    mistral_settings.timeout_s = 0.3
    rt = start(mistral_settings, live)
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert one_sentence(caught.value) == (
        "Live transcription failed: Mistral did not answer in time. Retry the turn."
    )
    mistral_settings.server_url = closed_mistral_url
    rt = start(mistral_settings, live)
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert "could not reach" in one_sentence(caught.value)


def test_close_is_idempotent_and_finish_after_close_fails(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    rt = start(mistral_settings, live)
    assert rt.wait_connected(30), rt.error
    feed_all(rt, speech[:RATE])
    rt.close()
    rt.close()
    assert not rt.running
    rt.feed(speech[:BLOCK])  # ignored, does not raise
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert one_sentence(caught.value) == "Live transcription was cancelled."
    (req,) = mistral_server.requests_to("realtime")
    assert req.finished.wait(10)  # the server saw the socket go
    assert all(m["type"] != "input_audio.end" for m in req.ws_messages)


def test_factory_picks_the_live_transcription(mistral_settings: Settings, live: list) -> None:
    mistral = MistralTranscriber(mistral_settings, MistralConnection(mistral_settings))
    rt = make_live_transcription(mistral_settings, mistral)
    assert isinstance(rt, RealtimeTranscription)
    live.append(rt)
    assert (rt.model, rt.delay_ms, rt.diarize) == ("voxtral-mini-transcribe-realtime-3", 240, True)
    mistral_settings.transcription.realtime = False
    assert make_live_transcription(mistral_settings, mistral) is None

    whisper = WhisperTranscriber(mistral_settings)
    offline = make_live_transcription(mistral_settings, whisper)
    assert isinstance(offline, StreamingTranscription)
    assert (offline.window_s, offline.settle_s, offline.rate) == (6.0, 1.5, RATE)
    offline.feed(np.zeros(RATE, np.float32))  # under one window: no pass yet
    offline.close()
    offline.close()
    assert offline.buffered_seconds == 0.0
    assert offline.finish().segments == []  # closed: the unsettled audio was dropped
    assert not whisper.loaded  # nothing was loaded or transcribed


def test_realtime_config_keys(isolated_env: Path, tmp_path: Path) -> None:
    config = tmp_path / "voxroom.toml"
    config.write_text(
        '[transcription]\nrealtime = false\nrealtime_model = "voxtral-x"\nrealtime_delay_ms = 480\n'
    )
    settings = load_settings(config, env={})
    assert (settings.transcription.realtime, settings.transcription.realtime_model) == (False, "voxtral-x")
    assert settings.transcription.realtime_delay_ms == 480
    config.write_text("[transcription]\nrealtime_delay_ms = 5000\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert "from 80 to 1200" in str(caught.value)
    config.write_text('[transcription]\nrealtime = "yes"\n')
    with pytest.raises(ConfigError):
        load_settings(config, env={})


@pytest.mark.parametrize("block", [BLOCK, 16_000], ids=["20ms-blocks", "1s-blocks-off-the-frame-grid"])
def test_finish_answers_from_the_live_text_once_the_turn_is_over(
    block: int, mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """The service said the speaker finished and nothing was said after: finish() does not wait for
    transcription.done (held back here), and final() returns the finished, diarized transcript.
    Loudness is measured per 20 ms frame, whatever the size of the blocks fed."""
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment("Is the room free at three?", "speaker_1", 0.1, 1.9),))
    )
    held = mistral_server.hold_realtime_done()
    rt = start(mistral_settings, live, turn_detection=True)
    audio = spoken((2.0, 0.3), (1.0, 0.0))
    feed_all(rt, audio[:1920])  # 0.12 s, so the big blocks straddle the end of speech
    feed_all(rt, audio[1920:], block)
    early = rt.finish()
    assert rt.answered_early and not held.is_set()
    assert early.provisional and early.text == "Is the room free at three?"
    held.set()
    final = rt.final()
    assert final is not None and not final.provisional
    assert [(s.speaker, s.text, s.start, s.end) for s in final.segments] == [
        ("speaker_1", "Is the room free at three?", 0.1, 1.9)
    ]
    (req,) = mistral_server.requests_to("realtime")
    assert req.ws_messages[0]["session"]["turn_detection"]["min_silence_ms"] == 500


@pytest.mark.parametrize(
    "parts",
    [
        ((2.0, 0.3),),  # speaking until the key press: no turn.end at all
        ((1.0, 0.3), (1.0, 0.0), (0.5, 0.3)),  # a pause (turn.end), then speech again (turn.start)
    ],
    ids=["speech-to-the-end", "spoke-again"],
)
def test_finish_waits_for_done_while_the_turn_is_open(
    parts: tuple[tuple[float, float], ...],
    mistral_settings: Settings,
    mistral_server: MistralStandIn,
    live: list,
) -> None:
    rt = start(mistral_settings, live, turn_detection=True)
    feed_all(rt, spoken(*parts))
    transcript = rt.finish()
    assert not rt.answered_early and rt.final() is None
    assert not transcript.provisional and [s.speaker for s in transcript.segments] == [
        "speaker_1",
        "speaker_2",
    ]


def test_without_turn_detection_finish_always_waits_for_done(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    rt = start(mistral_settings, live)
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    assert not rt.finish().provisional and not rt.answered_early
    (req,) = mistral_server.requests_to("realtime")
    assert "turn_detection" not in req.ws_messages[0]["session"]


def test_a_service_that_never_finishes_after_the_early_answer_fails_final_only(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    held = mistral_server.hold_realtime_done()
    # 2 s: enough for the turn's end to arrive on a loaded machine before finish() gives up on it.
    rt = start(mistral_settings, live, turn_detection=True, finish_timeout_s=2.0)
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    early = rt.finish()
    assert rt.answered_early and early.text == " ".join(s.text for s in DEFAULT_SEGMENTS)
    with pytest.raises(TranscriptionError) as caught:
        rt.final()  # done never comes: bounded by finish_timeout_s
    assert "did not finish the transcript within 2 s" in one_sentence(caught.value)
    held.set()


@pytest.mark.parametrize("when", [math.nan, -1.0, 1e12], ids=["nan", "negative", "far-future"])
def test_an_impossible_turn_end_never_starts_the_reply_early(
    when: float, mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    mistral_server.script(TranscriptionScript(turn_end_at=when))
    rt = start(mistral_settings, live, turn_detection=True)
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    transcript = rt.finish()  # waits for transcription.done
    assert not rt.answered_early and not transcript.provisional
    (req,) = mistral_server.requests_to("realtime")
    assert "turn.end" in req.ws_sent  # it was sent, and ignored


def test_a_redirected_upgrade_is_refused_and_the_other_origin_gets_nothing(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list, speech: np.ndarray
) -> None:
    """A 307 to another origin answers the upgrade: the socket is not reopened there (it would carry
    the meeting audio and the reference clips), and the sentence shows no query string."""
    with MistralStandIn() as other:
        target = (
            other.url.replace("http://", "ws://") + "/v1/audio/transcriptions/realtime?model=m&sig=S3CR3T"
        )
        mistral_server.fail("realtime", Fault.redirect_to(target, 307))
        rt = start(mistral_settings, live, references={"Alice": clip_path("clone-test.wav")})
        assert not rt.wait_connected(10)
        feed_all(rt, speech[: RATE * 2])
        with pytest.raises(TranscriptionError) as caught:
            rt.finish()
        message = one_sentence(caught.value)
        assert "redirected the request (307)" in message and "never follows redirects" in message
        assert "S3CR3T" not in message and "?" not in message
        assert other.requests == []
    assert len(mistral_server.requests_to("realtime")) == 1


def test_events_before_session_created_are_bounded(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """A server that floods events before ``session.created`` fails the session after a bounded
    prelude (the SDK alone would keep every one of them to replay)."""
    from tui.stt.realtime_socket import MAX_PRELUDE_EVENTS

    mistral_server.fail("realtime", Fault.prelude_flood(count=5000, size=8192))
    rt = start(mistral_settings, live)
    assert not rt.wait_connected(10)
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    assert f"more than {MAX_PRELUDE_EVENTS} events" in one_sentence(caught.value)
    (req,) = mistral_server.requests_to("realtime")
    assert req.finished.wait(10)
    assert req.events_sent < 5000  # the client left; it did not read them all


def test_a_small_prelude_is_replayed_and_the_session_works(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    mistral_server.fail("realtime", Fault.prelude_flood(count=3, size=200))
    rt = start(mistral_settings, live)
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    transcript = rt.finish()
    assert transcript.text == " ".join(s.text for s in DEFAULT_SEGMENTS)


def test_the_transcript_records_the_realtime_model_that_served_it(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    rt = start(mistral_settings, live, model="voxtral-mini-transcribe-realtime-3")
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    assert rt.finish().model == "voxtral-mini-transcribe-realtime-3"


def test_the_early_answer_sends_the_live_speakers_by_name(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """The live segments (out with the turn's end) named the referenced person: the early,
    provisional transcript sends them to the agent by name."""
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment("Is the room free at three?", "Alice", 0.1, 1.9),))
    )
    held = mistral_server.hold_realtime_done()
    rt = start(mistral_settings, live, turn_detection=True, references={"Alice": clip_path("clone-test.wav")})
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    early = rt.finish()
    assert rt.answered_early and not held.is_set()
    assert early.provisional and early.speakers_known
    assert early.plain() == "Alice: Is the room free at three?"
    held.set()
    final = rt.final()
    assert final is not None and [s.speaker for s in final.segments] == ["Alice"]


def test_the_early_answer_without_live_segments_is_its_text(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """Words still missing from the live segments (they came after the turn's end): the text alone."""
    mistral_server.script(
        TranscriptionScript(
            segments=(ScriptedSegment("Is the room free at three?", "speaker_1", 0.1, 1.9),), late_words=2
        )
    )
    held = mistral_server.hold_realtime_done()  # the late words too
    rt = start(mistral_settings, live, turn_detection=True)
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    early = rt.finish()
    assert rt.answered_early and not early.speakers_known
    assert early.plain() == "Is the room free"
    held.set()


def test_an_unreachable_server_is_named_without_its_query_or_credentials(
    mistral_settings: Settings, live: list, closed_mistral_url: str
) -> None:
    mistral_settings.server_url = closed_mistral_url.replace("://", "://user:pa55word@") + "/?sig=S3CR3T"
    rt = start(mistral_settings, live)
    with pytest.raises(TranscriptionError) as caught:
        rt.finish()
    message = one_sentence(caught.value)
    assert f"could not reach {closed_mistral_url}/" in message
    assert "S3CR3T" not in message and "pa55word" not in message and "user" not in message


def test_a_key_in_the_live_text_is_never_shown_or_kept(
    mistral_settings: Settings, mistral_server: MistralStandIn, live: list
) -> None:
    """The service echoes the key (and a lone surrogate) inside a successful transcript."""
    key = mistral_settings.api_key.reveal()
    mistral_server.script(
        TranscriptionScript(
            segments=(
                ScriptedSegment(f"My key is {key} today.", "speaker_1", 0.1, 1.0),
                ScriptedSegment("Odd \ud800 sign.", "speaker_2", 1.0, 2.0),
            )
        )
    )
    rt = start(mistral_settings, live)
    shown: list[str] = []
    rt.on_text = shown.append
    feed_all(rt, spoken((2.0, 0.3), (1.0, 0.0)))
    transcript = rt.finish()
    everything = "".join(shown) + transcript.text + "".join(s.text for s in transcript.segments)
    assert key not in everything and "***" in transcript.text
    assert "\ufffd" in transcript.segments[1].text
    everything.encode("utf-8")  # valid Unicode: no lone surrogate left
