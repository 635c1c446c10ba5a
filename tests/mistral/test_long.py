"""Long recordings through ``voxroom transcribe``: interrupted, then resumed without redoing chunks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.standin import MistralStandIn, ScriptedSegment, TranscriptionScript
from tui.cli import main
from tui.config import Settings


def test_interrupted_transcription_resumes_without_redoing_chunks(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rate = 16000
    rng = np.random.default_rng(2)
    parts = []
    for _ in range(6):  # 9 s of sound then 1 s of silence, six times: 60 s
        parts += [0.2 * rng.standard_normal(rate * 9).astype(np.float32), np.zeros(rate, np.float32)]
    path = tmp_path / "long.wav"
    sf.write(str(path), np.concatenate(parts), rate, subtype="PCM_16")
    config = tmp_path / "c.toml"
    config.write_text("retry_max_s = 0.2\n[transcription]\nmax_chunk_seconds = 12\nchunk_concurrency = 1\n")
    config.chmod(0o600)
    mistral_env.script(TranscriptionScript(segments=(ScriptedSegment("part", "0", 0.5, 1.0),)), repeat=True)

    mistral_env.fail("transcriptions", 401, on_calls=[4])
    assert main(["transcribe", str(path), "--config", str(config), "--format", "json"]) == 2
    assert "rejected the API key (401)" in capsys.readouterr().err
    first_run = len(mistral_env.requests_to("transcriptions"))
    # Chunk 4 failed; no more chunks are started after that (one may already have been in flight).
    assert first_run in (4, 5)
    finished = first_run - 1

    mistral_env.clear_faults()
    assert main(["transcribe", str(path), "--config", str(config), "--format", "json"]) == 0
    segments = json.loads(capsys.readouterr().out)["segments"]
    total_calls = len(mistral_env.requests_to("transcriptions"))
    assert len(segments) == 6  # one per 10 s chunk, cut in the silences
    assert total_calls == first_run + (6 - finished)  # finished chunks were not sent again
    assert [round(s["start"]) for s in segments] == [0, 10, 20, 30, 40, 50]
    assert [s["speaker"] for s in segments] == ["speaker_1"] + [f"speaker_1_p{i}" for i in range(2, 7)]
    # Progress was cleared after the full run: a third run transcribes from scratch.
    assert main(["transcribe", str(path), "--config", str(config)]) == 0
    assert len(mistral_env.requests_to("transcriptions")) == total_calls + 6


def test_a_long_turn_is_chunked_with_progress(
    mistral_settings: Settings, mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    from tui.audio.clip import Clip
    from tui.backends import make_backends
    from tui.events import RoomEvent, TranscriptionProgress

    rate = 16000
    rng = np.random.default_rng(3)
    one = np.concatenate([0.2 * rng.standard_normal(rate * 9).astype(np.float32), np.zeros(rate, np.float32)])
    path = tmp_path / "turn.flac"
    sf.write(str(path), np.tile(one, 4), rate, format="FLAC", subtype="PCM_16")
    mistral_settings.transcription.max_chunk_seconds = 12
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment("part", "1", 0.5, 1.0),)), repeat=True
    )
    progress: list[tuple[int, int]] = []

    def collect(event: RoomEvent) -> None:
        if isinstance(event, TranscriptionProgress):
            progress.append((event.done, event.total))

    result = (
        make_backends(mistral_settings).runner(mistral_settings).run(Clip(None, rate, path), emit=collect)
    )
    assert result.status == "done", result.error
    assert result.transcript is not None and len(result.transcript.segments) == 4
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)
    assert len(mistral_server.requests_to("transcriptions")) == 4
