"""Faults at every step of a turn: the recording stays, the session says what failed, retry works.

Each case runs ``voxroom ask`` with the fault injected by the stand-in server on every call to one
route, checks the saved session, then clears the fault and runs ``voxroom retry``. The ledger in
``conftest.py`` prints the totals (faults injected / survived / recordings lost) at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import clip_path, run_cli
from tests.reliability.conftest import Ledger, saved_turn
from tests.standin import Fault, MistralStandIn

STEPS = {
    # route faulted: the step Voxroom must report
    "transcriptions": "transcription",
    "agents.create": "agent",
    "conversations.start": "agent",
    "conversations.append": "agent",
    "speech": "speech",
    "speech.realtime": "speech",
}

TRANSPORTS = {"speech": "http", "speech.realtime": "socket"}
"""``speech.transport`` for the speech routes: each fault is injected on the transport that carries it."""

FAULTS: dict[str, Fault] = {
    "401": Fault.http(401),
    "403": Fault.http(403),
    "404": Fault.http(404),
    "422": Fault.http(422),
    "429": Fault.http(429, retry_after=0.05),
    "500": Fault.http(500),
    "502": Fault.http(502),
    "503": Fault.http(503),
    "timeout": Fault.slow(3.0),
    "stream cut": Fault.cut(after_events=2),
    "invalid json": Fault.malformed_json(),
    "empty reply": Fault.empty_reply(),
}

# Faults Voxroom recovers from by itself, without failing the turn.
SELF_HEALING = {
    ("conversations.append", "404"),  # the conversation is gone: a new one is started
}


@pytest.fixture
def config(isolated_env: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    path = tmp_path / "voxroom.toml"
    route = getattr(request.node, "callspec", None) and request.node.callspec.params.get("route")
    speech = f'[speech]\ntransport = "{TRANSPORTS[route]}"\n' if route in TRANSPORTS else ""
    path.write_text("timeout_s = 1.0\nretry_max_s = 0.3\n" + speech)
    path.chmod(0o600)
    return path


def check_one_sentence(message: str) -> None:
    assert message and "\n" not in message and len(message) < 220, message
    assert message.rstrip().endswith("."), message
    assert "Traceback" not in message and "Error(" not in message


@pytest.mark.parametrize("route", list(STEPS))
@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_fault_at_each_step(
    route: str,
    fault_name: str,
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    wav = str(clip_path("clone-test.wav"))
    base = ["--config", str(config), "--no-play", "--json"]
    session_args: list[str] = []
    if route == "conversations.append":
        code, out, err = run_cli(capsys, "ask", wav, *base)
        assert code == 0, err
        session_args = ["--session", json.loads(out)["session_id"]]
    mistral_env.fail(route, FAULTS[fault_name])
    code, out, err = run_cli(capsys, "ask", wav, *base, *session_args)
    data = json.loads(out)
    folder, turn = saved_turn(isolated_env, data["session_id"])
    recording_kept = (folder / turn["recording"]).is_file() and sf.info(
        str(folder / turn["recording"])
    ).frames > 0
    ledger.add(route, fault_name, survived=False, recording_kept=recording_kept)
    assert recording_kept

    if (route, fault_name) in SELF_HEALING:
        assert code == 0 and turn["status"] == "done", err
        ledger.mark_survived(route, fault_name)
        return
    assert code == 1, out
    assert turn["status"] == "failed"
    assert turn["failed_step"] == STEPS[route]
    check_one_sentence(turn["error"])
    assert err.strip() == f"voxroom: {turn['error']}"

    mistral_env.clear_faults()
    code, out, err = run_cli(capsys, "retry", data["session_id"], *base)
    assert code == 0, err
    folder, turn = saved_turn(isolated_env, data["session_id"])
    assert turn["status"] == "done" and turn["reply"]["text"]
    assert (folder / turn["reply"]["audio"]).is_file()
    ledger.mark_survived(route, fault_name)


@pytest.mark.parametrize(
    ("route", "fault"),
    [
        ("transcriptions", Fault.http(429, retry_after=0.05)),
        ("transcriptions", Fault.http(503)),
        ("conversations.start", Fault.http(502)),
        ("speech", Fault.http(500)),  # the default transport: the speech socket's upgrade
        ("speech.realtime", Fault.http(503)),
        ("conversations.start", Fault.unknown_sse_event()),
    ],
)
def test_transient_faults_are_absorbed(
    route: str,
    fault: Fault,
    mistral_env: MistralStandIn,
    isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
    ledger: Ledger,
) -> None:
    mistral_env.fail(route, fault, times=1)
    code, out, err = run_cli(capsys, "ask", str(clip_path("clone-test.wav")), "--no-play", "--json")
    data = json.loads(out)
    folder, turn = saved_turn(isolated_env, data["session_id"])
    kept = (folder / turn["recording"]).is_file()
    ledger.add(route, f"{fault} once", survived=code == 0 and turn["status"] == "done", recording_kept=kept)
    assert code == 0, err
    assert turn["status"] == "done" and kept


def test_server_unreachable_then_back(
    mistral_env: MistralStandIn,
    isolated_env: Path,
    config: Path,
    closed_mistral_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
) -> None:
    monkeypatch.setenv("MISTRAL_SERVER_URL", closed_mistral_url)
    code, out, err = run_cli(
        capsys, "ask", str(clip_path("clone-test.wav")), "--config", str(config), "--no-play", "--json"
    )
    data = json.loads(out)
    folder, turn = saved_turn(isolated_env, data["session_id"])
    kept = (folder / turn["recording"]).is_file()
    ledger.add("all", "connection refused", survived=False, recording_kept=kept)
    assert code == 1 and kept
    assert turn["failed_step"] == "transcription"
    assert turn["error"].startswith("Transcription failed: could not reach http://127.0.0.1:")
    monkeypatch.setenv("MISTRAL_SERVER_URL", mistral_env.url)
    code, out, err = run_cli(
        capsys, "retry", data["session_id"], "--config", str(config), "--no-play", "--json"
    )
    assert code == 0, err
    ledger.mark_survived("all", "connection refused")
