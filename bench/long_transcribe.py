"""Memory and time of transcribing a 2-hour recording (split at silences, chunks in parallel).

Generates a 2-hour 48 kHz mono FLAC (tones with pauses), runs ``transcribe_long`` against the
stand-in Mistral server (in its own process) and reports the peak RSS growth of this process.
Usage: ``python bench/long_transcribe.py [--hours 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import MistralStandIn, ScriptedSegment, TranscriptionScript  # noqa: E402
from tui.backends import make_transcriber  # noqa: E402
from tui.config import load_settings  # noqa: E402
from tui.stt.chunked import transcribe_long  # noqa: E402


def serve(urls: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    with MistralStandIn() as server:
        server.script(
            TranscriptionScript(segments=(ScriptedSegment("x", "speaker_1", 0.5, 1.0),)), repeat=True
        )
        urls.put(server.url)
        stop.wait()


def generate(path: Path, hours: float, rate: int = 48000) -> None:
    t = np.arange(rate * 10) / rate
    talk = (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    pause = np.zeros(rate * 2, np.float32)
    with sf.SoundFile(str(path), "w", rate, 1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(int(hours * 3600 / 12)):
            f.write(talk)
            f.write(pause)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "meeting.flac"
        t = time.perf_counter()
        generate(path, args.hours)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.hours} h at 48 kHz: {size_mb:.0f} MB in {time.perf_counter() - t:.1f} s")
        urls: mp.Queue = mp.Queue()  # type: ignore[type-arg]
        stop = mp.Event()
        proc = mp.Process(target=serve, args=(urls, stop), daemon=True)
        proc.start()
        try:
            settings = load_settings(
                env={
                    "MISTRAL_API_KEY": "bench",
                    "MISTRAL_SERVER_URL": urls.get(timeout=30),
                    "VOXROOM_CONFIG": str(Path(tmp) / "no-config.toml"),
                },
                overrides={"data_dir": tmp},
            )
            transcriber = make_transcriber(settings)
            transcriber.warm_up()
            import mistralai.client  # noqa: F401  (count the SDK import in the baseline, not the run)

            before = rss_mb()
            t = time.perf_counter()
            chunks = {"n": 0}

            def progress(done: int, total: int) -> None:
                chunks["n"] = total

            transcript = transcribe_long(
                path,
                transcriber,
                max_seconds=settings.transcription.max_chunk_seconds,
                concurrency=settings.transcription.chunk_concurrency,
                progress=progress,
            )
            elapsed = time.perf_counter() - t
            after = rss_mb()
        finally:
            stop.set()
            proc.join(10)
    print(
        f"{chunks['n']} chunks of <= {settings.transcription.max_chunk_seconds:.0f} s, "
        f"concurrency {settings.transcription.chunk_concurrency}, {len(transcript.segments)} segments"
    )
    print(f"time (stand-in answers instantly): {elapsed:.1f} s")
    print(f"peak RSS: {before:.0f} MB before, {after:.0f} MB after: +{after - before:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
