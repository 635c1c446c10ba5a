"""No command prints a Python traceback: a corpus of bad files, arguments, settings and output paths.

Each case runs through ``tui.cli.main`` (and a few through a real ``python -m tui`` process) and must
end with exit code 1 or 2 and exactly one line on stderr: a sentence, not a traceback, and not the
last-resort "unexpected error" guard either (that one would mean an error nobody translated).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui.cli import main

PCM = bytes(range(256)) * 64


def wav_header(data_bytes: int, *, rate: int = 48_000, channels: int = 2) -> bytes:
    align = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", (36 + data_bytes) & 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * align, align, 16)
        + b"data"
        + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    )


def make_files(root: Path) -> dict[str, Path]:
    files = {
        "empty.wav": b"",
        "garbage.wav": b"\x00\x01garbage, not audio" * 50,
        "text.mp3": b"ID3 but really just text\n" * 40,
        "truncated.wav": wav_header(len(PCM) * 40) + PCM,
        "huge-header.wav": wav_header(0xFFFFFFF0),
        "rate-1hz.wav": wav_header(len(PCM), rate=1) + PCM,
        "many-channels.wav": wav_header(len(PCM), channels=500) + PCM,
    }
    out = {}
    for name, body in files.items():
        (root / name).write_bytes(body)
        out[name] = root / name
    (root / "folder.wav").mkdir()
    out["folder.wav"] = root / "folder.wav"
    out["missing.wav"] = root / "missing.wav"
    bad_config = root / "bad.toml"
    bad_config.write_text("[transcription]\nmax_chunk_seconds = 0\n[agent]\ntemperature = 'hot'\n")
    bad_config.chmod(0o600)
    out["bad.toml"] = bad_config
    (root / "broken.toml").write_text("[agent\n")
    out["broken.toml"] = root / "broken.toml"
    existing = root / "exists.txt"
    existing.write_text("keep me")
    out["exists.txt"] = existing
    return out


AUDIO_CASES = ["empty.wav", "garbage.wav", "text.mp3", "truncated.wav", "huge-header.wav"]
AUDIO_CASES += ["rate-1hz.wav", "many-channels.wav", "folder.wav", "missing.wav"]

Case = Callable[[dict[str, Path]], list[str]]
CASES: dict[str, Case] = {}
for _name in AUDIO_CASES:
    CASES[f"transcribe {_name}"] = lambda f, n=_name: ["transcribe", str(f[n]), "--offline"]
    CASES[f"ask {_name}"] = lambda f, n=_name: ["ask", str(f[n]), "--offline", "--no-play"]
CASES.update(
    {
        "unknown flag": lambda f: ["--bogus"],
        "unknown command": lambda f: ["frobnicate"],
        "transcribe without a file": lambda f: ["transcribe"],
        "bad --format": lambda f: ["transcribe", str(f["garbage.wav"]), "--format", "docx"],
        "export bad --format": lambda f: ["sessions", "export", "sample:beckett", "-f", "pdf"],
        "bad --turn": lambda f: ["replay", "sample:beckett", "--turn", "two"],
        "bad --backend": lambda f: ["--backend", "cloud", "sessions", "list"],
        "bad --server-url": lambda f: ["sessions", "list", "--server-url", "ftp://example.org"],
        "config out of range": lambda f: ["--config", str(f["bad.toml"]), "sessions", "list"],
        "config not TOML": lambda f: ["sessions", "list", "--config", str(f["broken.toml"])],
        "config missing": lambda f: ["sessions", "list", "--config", str(f["missing.wav"])],
        "config is a folder": lambda f: ["sessions", "list", "--config", str(f["folder.wav"])],
        "replay unknown session": lambda f: ["replay", "no-such-session", "--no-play"],
        "show unknown session": lambda f: ["sessions", "show", "zzzz"],
        "export into a missing folder": lambda f: [
            "sessions",
            "export",
            "sample:beckett",
            "-o",
            str(f["missing.wav"].parent / "nope" / "x.txt"),
        ],
        "export over an existing file": lambda f: [
            "sessions",
            "export",
            "sample:beckett",
            "-o",
            str(f["exists.txt"]),
        ],
        "export to a folder": lambda f: [
            "sessions",
            "export",
            "sample:beckett",
            "--out",
            str(f["folder.wav"]),
        ],
        "export where nothing can be written": lambda f: [
            "sessions",
            "export",
            "sample:beckett",
            "-o",
            "/proc/x.txt",
        ],
        "say to a missing folder": lambda f: ["say", "Hello.", "--offline", "-o", "/missing/x.wav"],
        "say to an unknown format": lambda f: [
            "say",
            "Hello.",
            "--offline",
            "-o",
            str(f["exists.txt"]) + ".mp4",
        ],
        "say to no extension": lambda f: [
            "say",
            "Hello.",
            "--offline",
            "--out",
            str(f["exists.txt"].parent / "x"),
        ],
    }
)


@pytest.fixture
def corpus(isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return make_files(folder)


def assert_one_sentence(code: int, err: str) -> None:
    assert code in (1, 2), (code, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("voxroom"), err
    assert lines[0].rstrip().endswith((".", "?")), err
    assert "unexpected error" not in err, err


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_traceback_through_main(
    name: str, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(CASES[name](corpus))
    _out, err = capsys.readouterr()
    assert_one_sentence(code, err)


def test_export_over_an_existing_file_keeps_it_and_force_replaces_it(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    target = corpus["exists.txt"]
    assert main(["sessions", "export", "sample:beckett", "-o", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err and target.read_text() == "keep me"
    assert main(["sessions", "export", "sample:beckett", "-o", str(target), "--force"]) == 0
    assert target.read_text() != "keep me" and target.stat().st_mode & 0o777 == 0o600


def test_bad_config_names_every_problem_in_one_line(
    corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "list", "--config", str(corpus["bad.toml"])]) == 2
    err = capsys.readouterr().err
    assert "2 problems in config file" in err and str(corpus["bad.toml"]) in err
    assert "transcription.max_chunk_seconds = 0" in err and "agent.temperature = 'hot'" in err


def run_process(args: list[str], env_root: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MISTRAL_", "VOXROOM_"))}
    env.update(
        PYTHONPATH=str(REPO),
        XDG_CONFIG_HOME=str(env_root / "config"),
        VOXROOM_DATA_DIR=str(env_root / "data"),
    )
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        env=env,
        text=True,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "args",
    [
        ["transcribe", "{corpus}/huge-header.wav", "--offline"],
        ["--bogus"],
        ["sessions", "list", "--config", "{corpus}/bad.toml"],
        ["say", "Hi.", "--offline", "-o", "/missing/x.wav"],
    ],
    ids=["huge-header", "bad-flag", "bad-config", "say-missing-folder"],
)
def test_no_traceback_in_a_real_process(args: list[str], corpus: dict[str, Path], tmp_path: Path) -> None:
    argv = [a.replace("{corpus}", str(corpus["empty.wav"].parent)) for a in args]
    done = run_process(argv, tmp_path, stdout=subprocess.DEVNULL)
    assert_one_sentence(done.returncode, done.stderr)


@pytest.mark.parametrize(
    "args",
    [["replay", "sample:beckett", "--no-play"], ["sessions", "export", "sample:endgame", "-f", "md"]],
    ids=["replay", "export"],
)
def test_a_closed_pipe_ends_quietly(args: list[str], tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already gone: every write fails with EPIPE
    try:
        done = run_process(args, tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == "", done.stderr
