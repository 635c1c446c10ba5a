"""A hostile server at every step of a turn: Voxroom ends with one sentence, keeps the recording,
writes no NaN and never shows or saves the key.

Each case runs ``voxroom ask`` (or ``transcribe``) through :func:`tui.cli.main` against the stand-in
with one hostile answer on every call to one route (tests/standin/hostile.py), and adds a row to the
ledger in ``conftest.py`` (class ``hostile``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import clip_path, run_cli
from tests.reliability.conftest import Ledger, saved_turn
from tests.standin import HOSTILE_SEGMENTS, Fault, MistralStandIn, Reply, SpeechScript, TranscriptionScript
from tests.standin.hostile import gzip_bomb

CANARY = "sk-VOXROOM-HOSTILE-3b9d0c6e1f2a4785"
PROXY_PASSWORD = "proxy-pass-5e1c9a77"
BOMB_BYTES = 96 * 1024 * 1024
STEPS = {"transcriptions": "transcription", "conversations.start": "agent", "speech": "speech"}


def refuse_constant(name: str) -> float:
    raise AssertionError(f"bare {name} in JSON output")


def strict_json(text: str) -> object:
    """``json.loads`` that fails on ``NaN``, ``Infinity`` and ``-Infinity``."""
    return json.loads(text, parse_constant=refuse_constant)


@pytest.fixture(scope="module", autouse=True)
def bombs_ready() -> None:
    """Compress the gzip bombs once up front, so the stand-in answers at once (deadline_s is 2 s)."""
    for sse in (False, True):
        gzip_bomb(BOMB_BYTES, sse)


@pytest.fixture
def other_server() -> Iterator[MistralStandIn]:
    """A second origin on another loopback port: a redirect target that must receive nothing."""
    with MistralStandIn() as server:
        yield server


@pytest.fixture
def config(
    mistral_env: MistralStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Path:
    monkeypatch.setenv("MISTRAL_API_KEY", CANARY)
    path = tmp_path / "voxroom.toml"
    # deadline_s is short for the trickle; the other faults must trip their own limit well before it.
    deadline = 2.0 if "trickle" in request.node.name else 60.0
    # HTTP speech: hostile HTTP answers (the speech socket's faults: tests/mistral/test_speech_socket.py)
    path.write_text(
        f'timeout_s = 1.0\ndeadline_s = {deadline}\nretry_max_s = 0.3\n[speech]\ntransport = "http"\n'
    )
    path.chmod(0o600)
    return path


def hostile_faults(other: MistralStandIn, route: str) -> dict[str, Fault]:
    path = {"transcriptions": "/v1/audio/transcriptions", "speech": "/v1/audio/speech"}.get(
        route, "/v1/conversations"
    )
    return {
        "oversized answer": Fault.oversized(
            48 * 1024 * 1024 if route == "transcriptions" else 8 * 1024 * 1024
        ),
        "gzip bomb": Fault.gzip_bomb_reply(BOMB_BYTES),
        "redirect 307": Fault.redirect_to(other.url + path, 307),
        "redirect 308": Fault.redirect_to(other.url + path, 308),
        "echoed key": Fault.echo_secret(401),
        "echoed key (400)": Fault.echo_secret(400),
        "slow trickle": Fault.slow_trickle(0.05),
    }


FAULT_NAMES = [
    "oversized answer",
    "gzip bomb",
    "redirect 307",
    "redirect 308",
    "echoed key",
    "echoed key (400)",
    "slow trickle",
]


def session_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "sessions").rglob("*") if p.is_file()]


def check_clean(out: str, err: str, data_dir: Path) -> None:
    """No key or proxy password anywhere; every session.json is strict JSON."""
    for secret in (CANARY, PROXY_PASSWORD):
        assert secret not in out and secret not in err
        for path in session_files(data_dir):
            assert secret.encode() not in path.read_bytes(), path
    for path in (data_dir / "sessions").rglob("session.json"):
        strict_json(path.read_text())


def check_one_sentence(err: str) -> str:
    line = err.strip()
    assert line.startswith("voxroom: ") and "\n" not in line, err
    assert "Traceback" not in err and line.endswith("."), err
    return line.removeprefix("voxroom: ")


@pytest.mark.parametrize("route", list(STEPS))
@pytest.mark.parametrize("fault_name", FAULT_NAMES)
def test_hostile_answer_at_each_step(
    route: str,
    fault_name: str,
    mistral_env: MistralStandIn,
    other_server: MistralStandIn,
    isolated_env: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    mistral_env.fail(route, hostile_faults(other_server, route)[fault_name])
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--config", str(config), "--no-play", "--json"
    )
    data = strict_json(out)
    assert isinstance(data, dict)
    folder, turn = saved_turn(isolated_env, data["session_id"], loads=strict_json)
    kept = (folder / turn["recording"]).is_file() and sf.info(str(folder / turn["recording"])).frames > 0
    ledger.add(route, fault_name, survived=False, recording_kept=kept, kind="hostile")
    assert kept
    assert code == 1, out
    message = check_one_sentence(err)
    assert turn["status"] == "failed" and turn["failed_step"] == STEPS[route]
    assert message == turn["error"]
    check_clean(out, err, isolated_env)
    if fault_name.startswith("redirect"):
        assert "never follows redirects" in message
        assert other_server.requests == []  # the audio / the transcript went nowhere else
    if fault_name == "slow trickle":
        assert "deadline_s" in message
    if fault_name in ("oversized answer", "gzip bomb"):
        assert "larger than" in message
    ledger.mark_survived(route, fault_name)


def test_non_finite_times_and_odd_speakers(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    mistral_env.script(
        TranscriptionScript(segments=HOSTILE_SEGMENTS), TranscriptionScript(segments=HOSTILE_SEGMENTS)
    )
    wav = str(clip_path("clone-test.wav"))
    code, out, err = run_cli(capsys, "transcribe", wav, "--config", str(config), "--format", "json")
    assert code == 0, err
    transcript = strict_json(out)
    assert isinstance(transcript, dict)
    duration = sf.info(wav).duration
    speakers = [s["speaker"] for s in transcript["segments"]]
    assert speakers == ["speaker_1", "unknown", "unknown", "unknown", "speaker_2"]
    for seg in transcript["segments"]:
        assert 0.0 <= seg["start"] <= seg["end"] <= duration
    code, out, err = run_cli(capsys, "ask", wav, "--config", str(config), "--no-play", "--json")
    ledger.add(
        "transcriptions",
        "NaN/Infinity/1e306 times, odd speaker ids",
        survived=code == 0,
        recording_kept=True,
        kind="hostile",
    )
    assert code == 0, err
    data = strict_json(out)
    assert isinstance(data, dict)
    _, turn = saved_turn(isolated_env, data["session_id"], loads=strict_json)
    segments = turn["transcript"]["segments"]
    assert [s["speaker"] for s in segments] == speakers
    check_clean(out, err, isolated_env)


def test_one_refused_sentence_does_not_end_the_turn(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    mistral_env.script(Reply("It is sunny in Paris. Something the voice will not say. It is 21 degrees."))
    mistral_env.fail("speech", Fault.http(403, "Input refused by moderation"), on_calls=[2])
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--config", str(config), "--no-play", "--json"
    )
    ledger.add("speech", "403 on one sentence", survived=code == 0, recording_kept=True, kind="hostile")
    assert code == 0, err
    data = strict_json(out)
    assert isinstance(data, dict)
    folder, turn = saved_turn(isolated_env, data["session_id"], loads=strict_json)
    assert turn["status"] == "done"
    assert turn["reply"]["refused_sentences"] == [1]
    assert mistral_env.call_count("speech") == 3  # the third sentence was still asked for
    audio, rate = sf.read(str(folder / turn["reply"]["audio"]), dtype="float32")
    spoken = {r.json["input"] for r in mistral_env.requests_to("speech") if r.status == 200}
    assert spoken == {"It is sunny in Paris.", "It is 21 degrees."}
    assert len(audio) / rate == pytest.approx(0.06 * sum(len(s) for s in spoken), abs=0.05)


def test_reply_audio_is_made_finite_and_clipped(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    mistral_env.script(SpeechScript(amplitude=40.0, non_finite=True), repeat=True)
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--config", str(config), "--no-play", "--json"
    )
    ledger.add("speech", "NaN/Inf/40x samples", survived=code == 0, recording_kept=True, kind="hostile")
    assert code == 0, err
    data = strict_json(out)
    assert isinstance(data, dict)
    folder, turn = saved_turn(isolated_env, data["session_id"], loads=strict_json)
    audio, _ = sf.read(str(folder / turn["reply"]["audio"]), dtype="float32")
    assert audio.size > 0 and np.isfinite(audio).all()
    assert np.abs(audio).max() <= 1.0
    assert np.abs(audio).max() > 0.99  # the loud tone was clipped, not dropped


def test_credentials_in_the_server_url_are_never_shown(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    closed_mistral_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
) -> None:
    unreachable = closed_mistral_url.replace("http://", f"http://gateway:{PROXY_PASSWORD}@")
    monkeypatch.setenv("MISTRAL_SERVER_URL", unreachable)
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--config", str(config), "--no-play", "--json"
    )
    ledger.add(
        "all", "credentials in MISTRAL_SERVER_URL", survived=code == 1, recording_kept=True, kind="hostile"
    )
    assert code == 1
    message = check_one_sentence(err)
    assert message.startswith(f"Transcription failed: could not reach {closed_mistral_url}.")
    assert "MISTRAL_SERVER_URL" in message
    code, doctor_out, doctor_err = run_cli(capsys, "doctor", "--no-audio", "--config", str(config))
    server_line = next(line for line in doctor_out.splitlines() if line.startswith("[FAIL] server:"))
    assert closed_mistral_url in server_line and "could not reach" in server_line
    check_clean(out + doctor_out, err + doctor_err, isolated_env)
