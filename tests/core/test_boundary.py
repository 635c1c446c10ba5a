"""The service boundary's pure parts: secret scrubbing, display URLs, clear-text warnings, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.backends import transport_warning
from tui.config import Secret, Settings, load_settings
from tui.errors import AgentError, ConfigError
from tui.net import _event_bytes
from tui.redact import display_url, scrub
from tui.stt.mistral import _speaker_number


def test_every_error_is_scrubbed_of_registered_secrets_tokens_and_url_credentials() -> None:
    key = "sk-core-test-0a9b8c7d6e5f"
    Secret(key)
    err = AgentError(
        f"Invalid key {key} sent as Authorization: Bearer {key}x from http://bob:hunter22@proxy:8080/v1.",
        hint=f"Not {key}.",
    )
    text = str(err)
    assert key not in text and "hunter22" not in text and "bob" not in text
    assert "http://***@proxy:8080/v1" in text and text.startswith("Invalid key ***")
    assert scrub("a short word: key") == "a short word: key"  # values under 8 characters are not secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pass@proxy.example:3128/base?token=abc#x", "http://proxy.example:3128/base"),
        ("https://api.mistral.ai", "https://api.mistral.ai"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
        ("http://u:p@bad:port", "http://***@bad:port"),
    ],
)
def test_display_url_drops_credentials_and_query(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_server_url_credentials_never_show_but_reach_the_client(tmp_path: Path) -> None:
    env = {
        "VOXROOM_CONFIG": str(tmp_path / "none.toml"),
        "MISTRAL_API_KEY": "k",
        "MISTRAL_SERVER_URL": "http://gw:pw-core-1234567@10.0.0.5:8080",
    }
    settings = load_settings(env=env)
    assert settings.server_url == env["MISTRAL_SERVER_URL"]
    assert settings.server_display == "http://10.0.0.5:8080"
    assert settings.to_dict()["server_url"] == "http://10.0.0.5:8080"
    assert scrub("echo pw-core-1234567") == "echo ***"


def test_transport_warning_only_for_clear_text_to_another_machine() -> None:
    def warning(url: str, openai: str = "") -> str:
        s = Settings(backend="mistral", api_key=Secret("k"), server_url=url)
        if openai:
            s.agent.backend, s.agent.openai_url = "openai", openai
        return transport_warning(s)

    assert warning("") == "" and warning("https://gw.example") == ""
    assert warning("http://127.0.0.1:8080") == "" and warning("http://localhost:1") == ""
    assert warning("http://[::1]:9") == ""
    text = warning("http://a:secretpw@gw.example:8080")
    assert "MISTRAL_SERVER_URL (http://gw.example:8080)" in text and "secretpw" not in text
    assert "unencrypted" in text and text.endswith(".") and "\n" not in text
    assert "agent.openai_url" in warning("https://gw.example", openai="http://192.168.1.4:11434/v1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("deadline_s = 0.1\n", "deadline_s"),
        ("deadline_s = 1e9\n", "deadline_s"),
        ("timeout_s = nan\n", "timeout_s"),
        ("timeout_s = -1.0\n", "timeout_s"),
        ("retry_max_s = inf\n", "retry_max_s"),
        ('server_url = "ftp://x"\n', "an http:// or https:// URL"),
    ],
)
def test_time_limits_and_server_url_are_checked(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert message in str(caught.value) and caught.value.hint


def test_event_sizes_count_from_the_last_blank_line() -> None:
    assert _event_bytes(b"", b"data: abc", 0) == 9
    assert _event_bytes(b"abc", b"def", 9) == 12
    assert _event_bytes(b"", b"data: a\n\ndata: bc", 0) == 8
    assert _event_bytes(b"a\n", b"\ndata", 40) == 4  # the separator straddles two chunks
    assert _event_bytes(b"\n\nx", b"yz", 1) == 3  # an old separator in the tail does not reset
    assert _event_bytes(b"", b"x\r\n\r\nab", 0) == 2


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("speaker_1", 1),
        ("speaker_0", 0),
        ("2", 2),
        (3, 3),
        ("Speaker 12", 12),
        (None, None),
        (True, None),
        ("speaker_\u00b2", None),
        ("speaker_\u0661", None),
        pytest.param("speaker_" + "9" * 5000, None, id="5000-digit-str"),
        pytest.param(10**5000, None, id="5000-digit-int"),
        ("speaker_-1", None),
        (-1, None),
        ("Alice", None),
    ],
)
def test_speaker_ids_are_small_ascii_numbers_or_unknown(raw: object, number: int | None) -> None:
    assert _speaker_number(raw) == number


def test_doctor_warns_about_clear_text_without_failing() -> None:
    from tui.commands.doctor import check_transport

    settings = Settings(backend="mistral", api_key=Secret("k"), server_url="http://u:doctorpw123@gw.example")
    check = check_transport(settings)
    assert check is not None and not check.ok and not check.essential
    assert check.line().startswith("[warn] transport: MISTRAL_SERVER_URL (http://gw.example)")
    assert "doctorpw123" not in check.line()
    settings.server_url = "https://gw.example"
    assert check_transport(settings) is None


def test_refused_sentences_round_trip_bounded() -> None:
    from tui.sessions.model import TurnRecord

    record = TurnRecord.from_dict({"reply": {"refused_sentences": [3, 1, 1, -1, True, "2", 10**9, 2.0]}})
    assert record.refused_sentences == [1, 3]
    assert TurnRecord.from_dict(record.to_dict()).refused_sentences == [1, 3]
    assert TurnRecord.from_dict({"reply": {"refused_sentences": "1"}}).refused_sentences == []
