"""kill -9 in the middle of a reply; hostile text from the service; hostile audio files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import FAKE_KEY, REPO, clip_path
from tests.standin import MistralStandIn, Reply, ScriptedReference, ScriptedSegment, TranscriptionScript
from tui.cli import main
from tui.sessions.store import SessionStore


def test_kill_9_during_the_reply_loses_nothing(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mistral_env.script(Reply(text="A slow answer that never finishes. " * 5, delta_delay=0.5))
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "ask", str(clip_path("beckett.wav")), "--no-play", "--json"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        mistral_env.wait_for_requests(1, "conversations.start", timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    store = SessionStore(isolated_env / "sessions")
    listing = store.list()
    (summary,) = listing.sessions
    session = store.open(summary.id)
    (turn,) = session.turns
    assert turn.status == "pending"
    recording = store.audio_path(session, turn.recording)
    info = sf.info(str(recording))
    assert (info.samplerate, info.channels) == (16000, 1) and abs(info.duration - 10.0) < 0.05

    mistral_env.clear_faults()
    mistral_env.script(Reply(text="Here it is."))
    assert main(["retry", session.id, "--no-play", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "done" and out["reply"]["text"] == "Here it is."
    assert out["index"] == 1  # the same turn, completed in place


def test_escape_sequences_from_the_service_never_reach_the_terminal_or_exports(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m"
    mistral_env.script(
        TranscriptionScript(segments=(ScriptedSegment(f"Hello {evil} there", f"speaker_1{evil}", 0.0, 1.0),)),
        Reply(
            text=f"Reply {evil} done.",
            references=(ScriptedReference(f"Title {evil}", f"https://x.example/{evil}"),),
        ),
    )
    assert main(["ask", str(clip_path("clone-test.wav")), "--no-play"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "Hello red there" in out and "Reply red done." in out
    session_id = err.strip().split()[-1].rstrip(".")
    for fmt in ("txt", "md", "srt", "vtt", "json"):
        target = tmp_path / f"export.{fmt}"
        assert main(["sessions", "export", session_id, "--format", fmt, "-o", str(target)]) == 0
        text = target.read_text()
        assert "\x1b" not in text and "\x07" not in text and "\\u001b" not in text, fmt
    assert FAKE_KEY not in out + err


def write(path: Path, data: np.ndarray, rate: int, **kw: object) -> Path:
    sf.write(str(path), data, rate, **kw)  # type: ignore[arg-type]
    return path


def test_unusual_audio_files(
    mistral_env: MistralStandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    voice, rate = sf.read(str(clip_path("clone-test.wav")), dtype="float32")
    from scipy.signal import resample_poly

    hi = resample_poly(voice, 6, 1).astype(np.float32)  # 96 kHz
    cases = {
        "96 kHz 6-channel": write(tmp_path / "six.wav", np.repeat(hi[:, None], 6, axis=1), 96000),
        "8-bit": write(tmp_path / "u8.wav", voice, rate, subtype="PCM_U8"),
        "wrong extension (FLAC named .mp3)": write(tmp_path / "flac.mp3", voice, rate, format="FLAC"),
        "no extension": write(tmp_path / "noext", voice, rate, format="WAV"),
    }
    for name, path in cases.items():
        assert main(["transcribe", str(path)]) == 0, name
        assert capsys.readouterr().out.startswith("[0.0s -> "), name
    uploads = mistral_env.requests_to("transcriptions")
    assert len(uploads) == len(cases)
    for req in uploads:
        info = sf.info(__import__("io").BytesIO(req.files["file"].data))
        assert (info.samplerate, info.channels) == (16000, 1)
        assert abs(info.duration - len(voice) / rate) < 0.01

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(200))
    assert main(["transcribe", str(corrupt)]) == 2
    assert "corrupt.wav is not an audio file Voxroom can read." in capsys.readouterr().err
    assert len(mistral_env.requests_to("transcriptions")) == len(cases)


def test_three_hour_recording_is_chunked_and_stitched(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """3 hours of audio: split under the per-request limit, absolute times, bounded reads."""
    rate = 8000
    path = tmp_path / "meeting.flac"
    rng = np.random.default_rng(1)
    with sf.SoundFile(str(path), "w", rate, 1, format="FLAC", subtype="PCM_16") as f:
        minute = np.zeros(rate * 60, np.float32)
        for m in range(180):
            block = minute.copy()
            if m % 2 == 0:  # speech-like noise for 50 s of every other minute, silence between
                block[: rate * 50] = 0.2 * rng.standard_normal(rate * 50).astype(np.float32)
            f.write(block)
    mistral_env.script(
        TranscriptionScript(segments=(ScriptedSegment("chunk", "speaker_1", 1.0, 2.0),)), repeat=True
    )
    config = tmp_path / "c.toml"
    config.write_text("[transcription]\nmax_chunk_seconds = 900\nchunk_concurrency = 3\n")
    config.chmod(0o600)
    assert main(["transcribe", str(path), "--config", str(config), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    segments = json.loads(out)["segments"]
    uploads = mistral_env.requests_to("transcriptions")
    assert len(uploads) == len(segments) >= 12
    assert mistral_env.peak_concurrency("transcriptions") <= 3
    durations = sorted(sf.info(__import__("io").BytesIO(r.files["file"].data)).duration for r in uploads)
    assert max(durations) <= 900 and abs(sum(durations) - 3 * 3600) < 1
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts) and starts[0] == 1.0 and starts[-1] > 3 * 3600 - 900
    assert segments[1]["speaker"] == "speaker_1_p2"  # labels stay distinct per chunk
    assert "Transcribing [" in err and f"{len(uploads)}/{len(uploads)} chunks" in err
