"""Headless commands end to end: real SDK, stand-in server, real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import FAKE_KEY, clip_path, run_cli
from tests.standin import (
    Fault,
    MistralStandIn,
    Reply,
    ScriptedReference,
    ScriptedSegment,
    TranscriptionScript,
)


def test_ask_json_is_one_object_and_the_turn_is_saved(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistral_env.script(
        Reply(
            text="Paris is sunny. It will stay dry.",
            references=(ScriptedReference("Météo Paris", "https://meteo.example/paris"),),
        )
    )
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--json", "--no-play")
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "done"
    assert data["reply"]["text"] == "Paris is sunny. It will stay dry."
    assert data["reply"]["references"] == [
        {"title": "Météo Paris", "url": "https://meteo.example/paris", "source": "web_search"}
    ]
    assert [s["speaker"] for s in data["transcript"]["segments"]] == ["speaker_1", "speaker_2"]
    assert set(data["timings"]) >= {
        "transcription_ms",
        "agent_first_token_ms",
        "agent_first_sentence_ms",
        "speech_first_audio_ms",
        "first_audio_ms",
        "total_ms",
    }
    assert all(isinstance(v, float) for v in data["timings"].values())
    folder = isolated_env / "sessions" / data["session_id"]
    saved = json.loads((folder / "session.json").read_text())
    (turn,) = saved["turns"]
    assert (folder / turn["recording"]).is_file() and (folder / turn["reply"]["audio"]).is_file()
    assert saved["conversation_id"] == data["conversation_id"]


def test_ask_text_output_and_continuing_a_session(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mistral_env.script(
        TranscriptionScript(segments=(ScriptedSegment("What time is it?", "speaker_1", 0.1, 1.5),)),
        Reply(text="It is noon."),
        Reply(text="Still noon."),
    )
    out_wav = tmp_path / "reply.wav"
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--no-play", "--out", str(out_wav)
    )
    assert code == 0, err
    assert out.splitlines()[:2] == [
        "Transcription: [0.1s -> 1.5s] speaker_1 : What time is it?",
        "Voxroom: It is noon.",
    ]
    session_id = err.strip().split()[-1].rstrip(".")
    audio, rate = sf.read(out_wav)
    assert rate == 24000 and len(audio) > rate * 0.3 and np.sqrt(np.mean(audio**2)) > 0.01

    code, out, err = run_cli(
        capsys, "ask", str(clip_path("beckett.wav")), "--no-play", "--json", "--session", session_id
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["session_id"] == session_id and data["reply"]["text"] == "Still noon."
    (_start,) = mistral_env.requests_to("conversations.start")
    (append,) = mistral_env.requests_to("conversations.append")
    assert append.path.endswith(data["conversation_id"])
    assert len(mistral_env.requests_to("agents.create")) == 1


def test_a_guardrail_block_names_the_category_and_what_to_do(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    mistral_env.fail(
        "conversations.start",
        Fault.guardrail_block(
            {"violence_and_threats": 0.91, "pii": 0.1}, thresholds={"violence_and_threats": 0.2}
        ),
    )
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--no-play")
    assert code == 0, err
    sentence = (
        "Blocked by moderation (violence_and_threats 0.91 over 0.2): rephrase the request, or raise the"
        " threshold in `agent.moderation_thresholds` or set `agent.moderation = false`."
    )
    assert out.splitlines()[-1] == f"({sentence})"
    session_id = err.strip().split()[-1].rstrip(".")
    code, shown, _ = run_cli(capsys, "sessions", "show", session_id)
    assert code == 0 and f"({sentence})" in shown.splitlines()


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, subtype: str = "PCM_16") -> Path:
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.wav", "does not exist"),
        (lambda d: write_bytes(d / "empty.wav", b""), "is empty (0 bytes)"),
        (lambda d: write_wav(d / "zero.wav", np.zeros(0, np.float32)), "holds no audio"),
        (lambda d: write_wav(d / "silent.wav", np.zeros(32000, np.float32)), "is silent"),
        (lambda d: write_wav(d / "short.wav", 0.3 * np.ones(1600, np.float32)), "is too short"),
        (lambda d: write_bytes(d / "notes.wav", b"not audio at all"), "not an audio file"),
    ],
)
def test_bad_input_is_refused_without_any_api_call(
    mistral_env: MistralStandIn,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: object,
    message: str,
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    code, _out, err = run_cli(capsys, "ask", str(path), "--no-play")
    assert code == 2
    assert message in err and err.count("\n") == 1  # one clear line
    assert mistral_env.requests == []


def test_audio_formats_rates_and_channels(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    voice, rate = sf.read(str(clip_path("clone-test.wav")), dtype="float32")
    stereo = np.stack([voice, voice * 0.5], axis=1)
    files = [
        write_wav(tmp_path / "a.flac", stereo, rate=rate),
        write_wav(tmp_path / "b.wav", voice[::2], rate=rate // 2, subtype="PCM_U8"),
        write_wav(tmp_path / "c.mp3", voice, rate=rate, subtype="MPEG_LAYER_III"),
        write_wav(tmp_path / "d.wav", np.repeat(voice[:, None], 6, axis=1), rate=rate),
    ]
    for f in files:
        code, out, err = run_cli(capsys, "transcribe", str(f))
        assert code == 0, (f, err)
        assert out.startswith("[0.0s -> ")
    assert len(mistral_env.requests_to("transcriptions")) == len(files)


def test_transcribe_formats(mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    mistral_env.script(
        TranscriptionScript(
            segments=(ScriptedSegment("Hello, how are you doing today?", "speaker_1", 0.1, 1.5),)
        ),
        repeat=True,
    )
    wav = str(clip_path("clone-test.wav"))
    assert (
        run_cli(capsys, "transcribe", wav)[1]
        == "[0.1s -> 1.5s] speaker_1 : Hello, how are you doing today?\n"
    )
    data = json.loads(run_cli(capsys, "transcribe", wav, "--format", "json")[1])
    assert data["segments"][0] == {
        "start": 0.1,
        "end": 1.5,
        "speaker": "speaker_1",
        "text": "Hello, how are you doing today?",
    }
    srt = run_cli(capsys, "transcribe", wav, "--format", "srt")[1]
    assert srt.startswith("1\n00:00:00,100 --> 00:00:01,500\nspeaker_1: Hello")
    vtt = run_cli(capsys, "transcribe", wav, "--format", "vtt")[1]
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.100 --> 00:00:01.500\nspeaker_1: Hello")


def test_say_writes_speech(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "hi.wav"
    config = tmp_path / "voxroom.toml"
    config.write_text('[speech]\ntransport = "http"\n')  # the request's JSON is checked below
    code, _stdout, err = run_cli(capsys, "say", "Hello room.", "--out", str(out), "--config", str(config))
    assert code == 0, err
    (req,) = mistral_env.requests_to("speech")
    assert req.json["input"] == "Hello room." and req.json["voice_id"] == "gb_jane_neutral"
    audio, rate = sf.read(out)
    assert rate == 24000 and len(audio) / rate > 0.3


def test_the_key_never_leaves_the_process(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mistral_env.fail("conversations.start", 401)
    run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--no-play")
    mistral_env.clear_faults()
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--no-play", "--json")
    assert code == 0
    doctor = run_cli(capsys, "doctor", "--no-audio")
    printed = out + err + doctor[1] + doctor[2]
    assert "MISTRAL_API_KEY is set" in doctor[1]
    assert FAKE_KEY not in printed
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "session.json" for p in written)
    for p in written:
        assert FAKE_KEY.encode() not in p.read_bytes(), p
    # The key did reach the server, as a bearer token (the stand-in keeps only its hash).
    assert all(r.auth_present for r in mistral_env.requests)


def _shape(value: object) -> object:
    """The keys of a JSON value, nested (values left out)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k != "segments"} | {"segments": None}
    return None


def test_ask_and_retry_print_one_json_shape(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistral_env.script(Reply(text="First answer."), Reply(text="Second answer."))
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--json", "--no-play")
    assert code == 0, err
    asked = json.loads(out)
    mistral_env.fail("conversations", 401)
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--json", "--no-play")
    assert code == 1, out
    failed = json.loads(out)
    assert failed["status"] == "failed" and failed["failed_step"] == "agent"
    mistral_env.clear_faults()
    code, out, err = run_cli(capsys, "retry", failed["session_id"], "--json", "--no-play")
    assert code == 0, err
    retried = json.loads(out)
    assert retried["status"] == "done" and retried["index"] == failed["index"] == 1
    assert retried["reply"]["text"] == "Second answer." and retried["reply"]["refused_sentences"] == []
    # The same keys, nested, for a done turn from ask and from retry, and for a failed one.
    assert _shape(asked) == _shape(retried) == _shape(failed)
    assert {"index", "status", "transcript", "reply", "timings", "session_id", "conversation_id"} <= set(
        asked
    )
