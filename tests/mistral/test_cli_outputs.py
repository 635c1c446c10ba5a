"""Output files, help and doctor through the real CLI, the real SDK and the stand-in server."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import run_cli
from tests.standin import MistralStandIn


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg", ".mp3"])
def test_say_writes_each_format_privately(
    ext: str, mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / f"hello{ext}"
    code, out, err = run_cli(capsys, "say", "Hello room.", "-o", str(target))
    assert code == 0, err
    assert f"to {target}" in out
    assert target.stat().st_mode & 0o777 == 0o600
    info = sf.info(str(target))
    assert info.samplerate == 24_000 and info.duration > 0.3
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_say_refuses_before_asking_for_speech(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for bad, expected in (
        (tmp_path / "x.mp4", "cannot write .mp4 audio"),
        (tmp_path / "noext", "has no extension"),
        (tmp_path / "missing" / "x.wav", "does not exist. Create it first"),
    ):
        code, _out, err = run_cli(capsys, "say", "Hello.", "--out", str(bad))
        assert code == 2 and expected in err, err
    existing = tmp_path / "old.wav"
    existing.write_bytes(b"keep")
    code, _out, err = run_cli(capsys, "say", "Hello.", "--out", str(existing))
    assert code == 2 and "already exists" in err and existing.read_bytes() == b"keep"
    assert mistral_env.requests_to("speech") == []
    assert run_cli(capsys, "say", "Hello.", "--out", str(existing), "--force")[0] == 0
    assert sf.info(str(existing)).frames > 0


def test_a_failed_speech_leaves_no_file(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mistral_env.fail("speech", 403, times=10)
    target = tmp_path / "out.wav"
    code, _out, err = run_cli(capsys, "say", "Hello.", "-o", str(target))
    assert code != 0 and err.strip()
    assert list(tmp_path.iterdir()) == []


def test_settings_are_listed_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "--server-url" in out and "--input-device" in out
    for command in (["say"], ["transcribe"], ["sessions", "export"], ["replay"], ["doctor"]):
        code, out, _ = run_cli(capsys, *command, "--help")
        assert code == 0
        assert "--server-url" not in out and "--input-device" not in out, command
        assert "see voxroom --help" in out, command


def test_settings_still_work_after_the_command(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = run_cli(capsys, "sessions", "list", "--server-url", "ftp://example.org")
    assert code == 2 and "flag --server-url = 'ftp://example.org' is not allowed" in err


def test_replay_help_lists_the_samples(capsys: pytest.CaptureFixture[str]) -> None:
    from tui.sessions.samples import sample_names

    names = sample_names()
    assert names, "the checkout ships sample sessions"
    code, out, _ = run_cli(capsys, "replay", "--help")
    assert code == 0
    for name in names:
        assert f"sample:{name}" in " ".join(out.split())


def test_format_spellings_are_accepted_both_ways(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text_out, _ = run_cli(capsys, "sessions", "export", "sample:beckett", "--format", "text")
    assert code == 0
    code, txt_out, _ = run_cli(capsys, "sessions", "export", "sample:beckett", "--format", "txt")
    assert code == 0 and text_out == txt_out and text_out.strip()


def test_doctor_says_the_key_was_refused(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with MistralStandIn(api_key="the-right-key") as server:
        monkeypatch.setenv("MISTRAL_API_KEY", "a-wrong-key")
        monkeypatch.setenv("MISTRAL_SERVER_URL", server.url)
        code, out, _ = run_cli(capsys, "doctor", "--no-audio")
        assert code == 1
        assert "[FAIL] server: " in out
        assert "the key was refused (401): set MISTRAL_API_KEY to a valid key." in out
        assert "a-wrong-key" not in out
        monkeypatch.setenv("MISTRAL_API_KEY", "the-right-key")
        code, out, _ = run_cli(capsys, "doctor", "--no-audio")
        assert f"[ok  ] server: {server.url.rstrip('/')} accepted the key" in out
        (check,) = server.requests_to("models.list")[-1:]
        assert check.query == ""  # only documented fields: nothing optional is sent


def test_doctor_gives_the_fix_for_an_unreachable_server(
    isolated_env: Path,
    closed_mistral_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "k")
    monkeypatch.setenv("MISTRAL_SERVER_URL", closed_mistral_url)
    code, out, _ = run_cli(capsys, "doctor", "--no-audio")
    (line,) = [ln for ln in out.splitlines() if ln.startswith("[FAIL] server")]
    assert code == 1 and "could not reach" in line and "Check the network or MISTRAL_SERVER_URL" in line
    assert "ConnectError" not in line


def test_doctor_says_where_it_looked_for_the_config(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "config" / "voxroom" / "config.toml"
    code, out, _ = run_cli(capsys, "doctor", "--no-audio", "--offline")
    assert f"[ok  ] config: {missing} does not exist: using the defaults" in out
    missing.parent.mkdir(parents=True)
    missing.write_text("[transcription]\nmax_chunk_seconds = 0\n")
    code, out, _ = run_cli(capsys, "doctor", "--no-audio", "--offline")
    assert code == 1 and f"[FAIL] config: 1 problem in config file {missing}" in out
