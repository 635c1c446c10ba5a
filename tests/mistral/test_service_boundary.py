"""The Mistral client at the boundary: what it sends, what compressed answers it still reads."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAKE_KEY, clip_path, run_cli
from tests.standin import Fault, MistralStandIn, ScriptedSegment, TranscriptionScript
from tui.audio.clip import load_clip
from tui.config import Settings
from tui.errors import TranscriptionError
from tui.mistral import MistralConnection
from tui.stt.mistral import MistralTranscriber


def transcribe(settings: Settings) -> list[str]:
    transcriber = MistralTranscriber(settings, MistralConnection.shared(settings))
    return [s.speaker for s in transcriber.transcribe(load_clip(clip_path("clone-test.wav"))).segments]


def test_language_is_never_sent_with_timestamp_granularities(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    transcribe(mistral_settings)
    mistral_settings.transcription.language = "fr"
    transcribe(mistral_settings)
    without, with_language = mistral_server.requests_to("transcriptions")
    assert "language" not in without.form
    assert any(k.startswith("timestamp_granularities") for k in without.form)
    assert with_language.form["language"] == ["fr"]
    assert not any(k.startswith("timestamp_granularities") for k in with_language.form)
    assert with_language.form["diarize"] == ["true"]


def test_null_speaker_is_unknown_not_speaker_1(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(
        TranscriptionScript(
            segments=(ScriptedSegment("Who?", None, 0, 1), ScriptedSegment("Me.", "speaker_1", 1, 2))
        )
    )
    assert transcribe(mistral_settings) == ["unknown", "speaker_1"]


def test_a_small_gzip_answer_is_decoded(mistral_settings: Settings, mistral_server: MistralStandIn) -> None:
    mistral_server.fail("transcriptions", Fault.gzip_bomb_reply(5000), times=1)
    transcriber = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings))
    transcript = transcriber.transcribe(load_clip(clip_path("clone-test.wav")))
    assert transcript.text == "a" * (
        5000 - len('{"model": "stand-in", "text": "", "language": "en", "segments": [], "usage": {}}')
    )
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.headers["accept-encoding"] == "gzip, deflate"


def test_an_answer_past_the_deadline_fails_with_the_setting_named(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_settings.deadline_s = 1.0
    mistral_server.fail("transcriptions", Fault.slow_trickle(0.02))
    with pytest.raises(TranscriptionError, match=r"still coming after 1 s \(deadline_s\)") as caught:
        transcribe(mistral_settings)
    assert caught.value.retryable
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.finished.wait(5.0) and req.client_disconnected  # the connection was dropped, not left open


@pytest.fixture
def stalled_url() -> Iterator[str]:
    """A loopback port whose listen backlog is full: the kernel drops new SYNs, so connecting hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}"
    for sock in (*fillers, listener):
        sock.close()


def test_connecting_has_its_own_short_timeout(mistral_settings: Settings, stalled_url: str) -> None:
    mistral_settings.server_url = stalled_url
    mistral_settings.timeout_s = 120.0  # the read timeout; connecting must give up long before
    mistral_settings.retry_max_s = 30.0
    transcriber = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings))
    outcome: list[BaseException] = []
    finished = threading.Event()

    def call() -> None:
        try:
            transcriber.transcribe(load_clip(clip_path("clone-test.wav")))
        except BaseException as err:
            outcome.append(err)
        finished.set()

    threading.Thread(target=call, daemon=True).start()
    assert finished.wait(20.0), "connecting was not cut short (CONNECT_TIMEOUT_S is 3 s, no retries)"
    (err,) = outcome
    assert isinstance(err, TranscriptionError)
    assert str(err) == (
        f"Transcription failed: could not reach {stalled_url}. "
        "Check the network or MISTRAL_SERVER_URL, then retry."
    )


def test_server_url_credentials_go_to_the_gateway_and_the_key_still_to_mistral(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_settings.server_url = mistral_server.url.replace("http://", "http://gw%40corp:p%3Ass-9f8e7d6c@")
    transcribe(mistral_settings)
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.has_key(FAKE_KEY)  # httpx alone would have replaced it with Basic auth
    assert (
        req.headers["proxy-authorization"] == "Basic " + base64.b64encode(b"gw@corp:p:ss-9f8e7d6c").decode()
    )
    assert req.path == "/v1/audio/transcriptions"


def test_a_key_echoed_in_a_transcript_is_scrubbed(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    key = mistral_settings.api_key.reveal()
    mistral_server.script(
        TranscriptionScript(
            segments=(ScriptedSegment(f"The key {key} and Bearer abcdefgh now", "speaker_1", 0, 1),)
        )
    )
    transcriber = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings))
    transcript = transcriber.transcribe(load_clip(clip_path("clone-test.wav")))
    assert [s.text for s in transcript.segments] == ["The key *** and Bearer *** now"]
    assert key not in transcript.text


def test_a_lone_surrogate_in_a_batch_transcript_is_replaced_not_refused(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    """The answer's JSON escapes a lone surrogate (the SDK's parser refuses it): the transcript is read
    with U+FFFD in its place, valid Unicode, and nothing else of it is lost."""
    mistral_server.script(
        TranscriptionScript(
            segments=(
                ScriptedSegment("An odd \ud800 sign.", "speaker_1", 0, 1),
                ScriptedSegment("Then plain words.", "speaker_2", 1, 2),
            )
        )
    )
    transcriber = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings))
    transcript = transcriber.transcribe(load_clip(clip_path("clone-test.wav")))
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("speaker_1", "An odd \ufffd sign."),
        ("speaker_2", "Then plain words."),
    ]
    transcript.text.encode("utf-8")  # no lone surrogate left anywhere


def test_doctor_checks_the_key_with_documented_fields_only(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    """``GET /v1/models`` with nothing optional: no SDK sentinel such as ``metadata=~?~unset~?~...``
    (what ``beta.agents.list_pages`` of SDK 3.7.0 sends) reaches the server."""
    _, out, _ = run_cli(capsys, "doctor", "--no-audio")
    assert "accepted the key" in out
    (check,) = mistral_env.requests_to("models.list")
    assert check.query == "" and check.auth_present
    assert not mistral_env.requests_to("agents")


def test_doctor_without_a_key_honours_the_data_dir_and_creates_nothing(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    code, out, _ = run_cli(capsys, "doctor", "--no-audio", "--backend", "mistral")
    assert code == 1 and "[FAIL] config:" in out and "API key" in out
    assert f"[ok  ] data dir: {isolated_env} (not created yet" in out
    assert not isolated_env.exists()
    assert list(home.rglob("*")) == []  # not the default data dir either
    chosen = tmp_path / "chosen"
    _, out, _ = run_cli(capsys, "doctor", "--no-audio", "--backend", "mistral", "--data-dir", str(chosen))
    assert f"data dir: {chosen} (not created yet" in out and not chosen.exists()
