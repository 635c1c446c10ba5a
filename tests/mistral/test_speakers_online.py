"""Speakers online: the stand-in diarizes pitch "voices" per request, and ``speaker_references``
(name -> base64 of a WAV clip) are sent, honoured, refused and fallen back from, through the real SDK."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from mistralai.client import Mistral
from mistralai.client.errors import SDKError

from tests.standin import Fault, MistralStandIn, TranscriptionScript
from tests.standin.voices import (
    HIGH,
    LOW,
    MID,
    RATE,
    label_stretches,
    render_voices,
    voiced_stretches,
    voices_bytes,
    write_voices,
)
from tui.audio.clip import Clip, load_clip, resample
from tui.backends import make_backends
from tui.config import Settings
from tui.diarize.encoder import VoiceEncoder
from tui.diarize.identity import label_voiceprints
from tui.diarize.people import Person, match_people
from tui.diarize.windows import TurnVoices
from tui.errors import TranscriptionError
from tui.mistral import MistralConnection
from tui.model import Transcript
from tui.room.wiring import new_log
from tui.stt.chunked import transcribe_long
from tui.stt.mistral import MistralTranscriber
from tui.stt.realtime import RealtimeTranscription
from tui.stt.references import REFUSED_NOTE, encode_references, forget_refusal, references_refused
from tui.voices import VoiceMatcher


@pytest.fixture(autouse=True)
def fresh_refusal() -> Iterator[None]:
    forget_refusal()
    yield
    forget_refusal()


@pytest.fixture
def by_voice(mistral_server: MistralStandIn) -> MistralStandIn:
    mistral_server.script(TranscriptionScript(by_voice=True), repeat=True)
    return mistral_server


@pytest.fixture
def people(tmp_path: Path) -> dict[str, Path]:
    """Reference clips as a session keeps them: 16 kHz mono FLAC, one per person."""
    return {
        "Ann": write_voices(tmp_path / "ann.flac", [(MID, 2.0)]),
        "Bob": write_voices(tmp_path / "bob.flac", [(LOW, 2.0)]),
    }


def transcriber(settings: Settings) -> MistralTranscriber:
    return MistralTranscriber(settings, MistralConnection(settings))


def clip_of(*parts: tuple[float, float]) -> Clip:
    return Clip(render_voices(parts), RATE)


def speakers_and_texts(transcript: object) -> list[tuple[str, str]]:
    return [(s.speaker, s.text) for s in transcript.segments]  # type: ignore[attr-defined]


def sent_references(req: object) -> dict[str, str] | None:
    raw = req.form.get("speaker_references")  # type: ignore[attr-defined]
    return None if raw is None else json.loads(raw[-1])


def test_voices_are_found_again_in_resampled_audio() -> None:
    audio = render_voices([(LOW, 1.0), (MID, 0.6), (HIGH, 0.8), (LOW, 0.4)])
    for samples, rate in ((audio, RATE), (resample(audio, RATE, 24_000), 24_000)):
        stretches = voiced_stretches(samples, rate)
        assert [s.pitch for s in stretches] == [110, 180, 260, 110]
        assert [(s.start, s.end) for s in stretches][:2] == [(0.3, 1.3), (1.6, 2.2)]
    assert label_stretches(stretches) == ["speaker_1", "speaker_2", "speaker_3", "speaker_1"]
    assert label_stretches(stretches, {"Ann": 181.0}) == ["speaker_1", "Ann", "speaker_2", "speaker_1"]


def test_pitch_voices_give_per_request_labels(mistral_settings: Settings, by_voice: MistralStandIn) -> None:
    stt = transcriber(mistral_settings)
    first = stt.transcribe(clip_of((LOW, 1.0), (MID, 0.8), (LOW, 0.6)))
    second = stt.transcribe(clip_of((HIGH, 0.8), (LOW, 1.0)))
    assert speakers_and_texts(first) == [
        ("speaker_1", "Voice at 110 hertz, part 1."),
        ("speaker_2", "Voice at 180 hertz, part 2."),
        ("speaker_1", "Voice at 110 hertz, part 3."),
    ]
    # Labels are per request, like the real service: the low voice is speaker_2 now.
    assert speakers_and_texts(second) == [
        ("speaker_1", "Voice at 260 hertz, part 1."),
        ("speaker_2", "Voice at 110 hertz, part 2."),
    ]
    assert [(s.start, s.end) for s in first.segments] == [(0.3, 1.3), (1.6, 2.4), (2.7, 3.3)]
    assert all(sent_references(r) is None for r in by_voice.requests_to("transcriptions"))


def test_speaker_references_are_base64_wav_and_honoured(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path]
) -> None:
    transcript = transcriber(mistral_settings).transcribe(
        clip_of((LOW, 1.0), (MID, 0.8), (HIGH, 0.7), (LOW, 0.5)), references=people
    )
    assert [s.speaker for s in transcript.segments] == ["Bob", "Ann", "speaker_1", "Bob"]
    (req,) = by_voice.requests_to("transcriptions")
    assert req.status == 200
    assert req.form["diarize"] == ["true"]
    refs = sent_references(req)
    assert refs is not None and sorted(refs) == ["Ann", "Bob"]
    for value in refs.values():
        data = base64.b64decode(value, validate=True)  # plain base64, no data-URL prefix
        assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
        info = sf.info(io.BytesIO(data))
        assert (info.samplerate, info.channels, info.subtype) == (16_000, 1, "PCM_16")
        assert abs(info.duration - 2.6) < 0.01  # the whole clip: 2 s of voice + 0.3 s gaps


def test_references_are_sent_only_with_diarization(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path]
) -> None:
    mistral_settings.transcription.diarize = False
    transcriber(mistral_settings).transcribe(clip_of((LOW, 1.0)), references=people)
    (req,) = by_voice.requests_to("transcriptions")
    assert req.status == 200 and sent_references(req) is None


def test_unusable_reference_clips_are_left_out(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path], tmp_path: Path
) -> None:
    short = write_voices(tmp_path / "short.flac", [(HIGH, 0.1)], gap=0.05)
    refs = {**people, "Cy": short, "Dee": tmp_path / "missing.flac", "\x1b[31mEve\x07": people["Ann"]}
    sent = encode_references(refs)
    assert sorted(sent) == ["Ann", "Bob", "Eve"]
    transcript = transcriber(mistral_settings).transcribe(clip_of((MID, 1.0)), references=refs)
    assert [s.speaker for s in transcript.segments] == ["Ann"]  # the first reference of that voice


def test_stand_in_refuses_badly_encoded_references(mistral_server: MistralStandIn) -> None:
    client = Mistral(api_key="test-key", server_url=mistral_server.url)
    audio = {"file_name": "a.wav", "content": voices_bytes([(LOW, 1.0)]), "content_type": "audio/wav"}
    wav = base64.b64encode(voices_bytes([(LOW, 1.0)])).decode()
    bad = {
        "data URL": ({"Ann": "data:audio/wav;base64," + wav}, True),
        "not base64": ({"Ann": "not base64 at all!"}, True),
        "not audio": ({"Ann": base64.b64encode(b"hello world").decode()}, True),
        "no diarize": ({"Ann": wav}, False),
    }
    for case, (refs, diarize) in bad.items():
        with pytest.raises(SDKError) as caught:
            client.audio.transcriptions.complete(
                model="voxtral-mini-latest", file=audio, diarize=diarize, speaker_references=refs
            )
        assert caught.value.status_code == 422, case
        assert "speaker_references" in caught.value.body, case
    ok = client.audio.transcriptions.complete(
        model="voxtral-mini-latest", file=audio, diarize=True, speaker_references={"Ann": wav}
    )
    assert ok.text


def test_refused_references_fall_back_without_failing_the_turn(
    mistral_settings: Settings,
    by_voice: MistralStandIn,
    people: dict[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    by_voice.fail("transcriptions", Fault.refuse_speaker_references())
    stt = transcriber(mistral_settings)
    with caplog.at_level(logging.WARNING, logger="voxroom.stt"):
        first = stt.transcribe(clip_of((LOW, 1.0), (MID, 0.8)), references=people)
        second = stt.transcribe(clip_of((MID, 1.0)), references=people)
    assert [s.speaker for s in first.segments] == ["speaker_1", "speaker_2"]
    assert [s.speaker for s in second.segments] == ["speaker_1"]
    refused, retried, later = by_voice.requests_to("transcriptions")
    assert refused.status == 422 and sent_references(refused) is not None
    assert retried.status == 200 and sent_references(retried) is None
    assert later.status == 200 and sent_references(later) is None  # remembered for the process
    assert references_refused()
    assert [r.getMessage() for r in caplog.records] == [REFUSED_NOTE]


def test_other_errors_with_references_still_fail_the_turn(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path]
) -> None:
    by_voice.fail("transcriptions", Fault.http(422, "Audio too long"), times=1)
    with pytest.raises(TranscriptionError, match="422"):
        transcriber(mistral_settings).transcribe(clip_of((LOW, 1.0)), references=people)
    assert not references_refused()
    assert len(by_voice.requests_to("transcriptions")) == 1
    transcript = transcriber(mistral_settings).transcribe(clip_of((LOW, 1.0)), references=people)
    assert [s.speaker for s in transcript.segments] == ["Bob"]


def test_scripted_answers_stay_the_default(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    transcript = transcriber(mistral_settings).transcribe(Clip(np.zeros(RATE, dtype=np.float32) + 0.1, RATE))
    assert [s.speaker for s in transcript.segments] == ["speaker_1", "speaker_2"]
    assert transcript.segments[0].text == "Good morning everyone, shall we start?"


def live_transcription(settings: Settings, references: dict[str, Path] | None) -> RealtimeTranscription:
    return RealtimeTranscription(
        MistralConnection(settings),
        model=settings.transcription.realtime_model,
        diarize=True,
        references=references,
        finish_timeout_s=10.0,
    )


def test_realtime_session_diarizes_by_voice_with_references(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path]
) -> None:
    rt = live_transcription(mistral_settings, people)
    try:
        audio = render_voices([(MID, 1.0), (HIGH, 0.8), (LOW, 0.6)])
        for i in range(0, audio.size, 320):
            rt.feed(audio[i : i + 320])
        transcript = rt.finish()
    finally:
        rt.close()
    assert speakers_and_texts(transcript) == [
        ("Ann", "Voice at 180 hertz, part 1."),
        ("speaker_1", "Voice at 260 hertz, part 2."),
        ("Bob", "Voice at 110 hertz, part 3."),
    ]
    assert not transcript.provisional
    expected = "Voice at 180 hertz, part 1. Voice at 260 hertz, part 2. Voice at 110 hertz, part 3."
    assert transcript.text == rt.partial_text == expected  # the deltas add up to the text
    (req,) = by_voice.requests_to("realtime")
    update = req.ws_messages[0]["session"]
    assert update["diarize"] is True and sorted(update["speaker_references"]) == ["Ann", "Bob"]
    data = base64.b64decode(update["speaker_references"]["Ann"], validate=True)
    assert data[:4] == b"RIFF" and sf.info(io.BytesIO(data)).samplerate == 16_000


def test_realtime_refusal_fails_the_live_pass_and_the_batch_pass_goes_without(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path]
) -> None:
    by_voice.fail("realtime", Fault.refuse_speaker_references())
    rt = live_transcription(mistral_settings, people)
    clip = clip_of((LOW, 1.0), (MID, 0.8))
    try:
        rt.feed(clip.samples)
        with pytest.raises(TranscriptionError, match="speaker_references"):
            rt.finish()
    finally:
        rt.close()
    assert references_refused()
    # The turn goes on with the recording, without references (labels matched locally later).
    transcript = transcriber(mistral_settings).transcribe(clip, references=people)
    assert [s.speaker for s in transcript.segments] == ["speaker_1", "speaker_2"]
    (req,) = by_voice.requests_to("transcriptions")
    assert req.status == 200 and sent_references(req) is None


def test_a_reference_clip_is_encoded_again_when_its_file_changes(people: dict[str, Path]) -> None:
    before = encode_references({"Ann": people["Ann"]})
    assert encode_references({"Ann": people["Ann"]}) == before
    write_voices(people["Ann"], [(HIGH, 3.0)])  # the session replaced Ann's clip
    after = encode_references({"Ann": people["Ann"]})["Ann"]
    assert after != before["Ann"]
    assert abs(sf.info(io.BytesIO(base64.b64decode(after))).duration - 3.6) < 0.01


def test_long_recording_chunks_name_people_the_same_way(
    mistral_settings: Settings, by_voice: MistralStandIn, people: dict[str, Path], tmp_path: Path
) -> None:
    path = write_voices(tmp_path / "long.flac", [(MID, 1.5), (LOW, 1.5), (LOW, 1.5), (MID, 1.5)], gap=0.5)
    stt = transcriber(mistral_settings)
    plain = transcribe_long(path, stt, max_seconds=4.0, concurrency=1)
    named = transcribe_long(path, stt, max_seconds=4.0, concurrency=1, references=people)
    chunks = len(by_voice.requests_to("transcriptions")) // 2
    assert chunks >= 2
    # Per-chunk labels: chunks after the first are suffixed, so one voice has several labels.
    assert [s.text for s in plain.segments] == [s.text for s in named.segments]
    assert len({s.speaker for s in plain.segments if "110 hertz" in s.text}) > 1
    # Named after the references, each person has one name across every chunk.
    by_pitch = {(s.text.split(" hertz")[0], s.speaker) for s in named.segments}
    assert by_pitch == {("Voice at 180", "Ann"), ("Voice at 110", "Bob")}


def test_voxrooms_voice_encoder_tells_the_three_voices_apart() -> None:
    """The test people are usable for local matching too: a second turn's voices (other lengths,
    other loudness, another order) match the first turn's people, and nobody else."""
    encoder = VoiceEncoder()
    first = {"speaker_1": LOW, "speaker_2": MID, "speaker_3": HIGH}
    turn_one = encoder.embed_many([render_voices([(p, 2.0)], gap=0.0) for p in first.values()])
    people = [Person(label, voiceprint=list(map(float, v))) for label, v in zip(first, turn_one, strict=True)]
    second = {"speaker_1": HIGH, "speaker_2": LOW, "speaker_3": MID}
    turn_two = encoder.embed_many(
        [render_voices([(p, 1.3)], gap=0.0, amplitude=0.15) for p in second.values()]
    )
    centroids = {label: list(map(float, v)) for label, v in zip(second, turn_two, strict=True)}
    assert match_people(people, centroids) == {
        "speaker_1": "speaker_3",
        "speaker_2": "speaker_1",
        "speaker_3": "speaker_2",
    }
    # Each voice alone matches only its own person (no assignment to hide a confusion).
    for label, pitch in second.items():
        owner = next(p for p in people if first[p.label] == pitch)
        assert match_people(people, {label: centroids[label]}) == {label: owner.label}
        others = [p for p in people if p is not owner]
        (new,) = match_people(others, {label: centroids[label]}).values()
        assert new not in {p.label for p in others}  # a new person, not someone else


def test_a_turns_voice_is_embedded_while_it_is_transcribed(
    mistral_settings: Settings, by_voice: MistralStandIn, tmp_path: Path
) -> None:
    """The session's matcher starts the voice encoder over the recording before the transcription
    request is answered (the stand-in takes 1.5 s over it), and the match uses those windows: the
    people's voiceprints are the segments' own within a small distance."""
    mistral_settings.diarization.enabled = True
    by_voice.set_latency(transcription_fixed=1.5)
    backends = make_backends(mistral_settings)
    log = new_log(mistral_settings, backends)
    clip = load_clip(write_voices(tmp_path / "turn.flac", [(MID, 2.5), (LOW, 2.5)], gap=0.5))
    facts: dict[str, object] = {}

    def prepare(recording: Clip) -> None:
        facts["voices"] = log.prepare_speakers(recording)

    def match(recording: Clip, transcript: Transcript) -> tuple[Transcript, dict[str, str]]:
        facts["transcript_at"] = time.perf_counter()
        return log.match_speakers(recording, transcript)

    runner = backends.runner(mistral_settings)
    result = runner.run(clip, speakers=VoiceMatcher(match, prepare))

    voices = facts["voices"]
    assert isinstance(voices, TurnVoices) and voices.done.is_set() and voices.error is None
    assert voices.started_at is not None and voices.started_at < facts["transcript_at"]  # type: ignore[operator]
    assert result.transcript is not None and result.timings.transcription_ms is not None
    assert result.timings.transcription_ms >= 1500
    assert len({s.speaker for s in result.transcript.segments}) == 2
    segments = [s for s in result.transcript.segments if s.speaker != "unknown"]
    whole = label_voiceprints(clip.at_rate(16_000).samples, segments)
    people = {p.label: np.asarray(p.voiceprint) for p in log.session.people}
    assert set(people) == set(whole)
    for label, voiceprint in whole.items():
        assert 1.0 - float(voiceprint @ people[label]) < 0.06
