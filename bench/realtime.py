"""First reply audio after the end of recording: realtime (live) transcription vs. the batch request.

Runs against the stand-in Mistral server (in its own process, latency profiles of
``bench/latency.py`` plus a realtime tail), through the real SDK, for 10 s and 60 s utterances.
Usage: ``python bench/realtime.py [--runs N] [--write]`` from the repo root.

- batch: the recording (16 kHz FLAC on disk) is transcribed in one request after the key press,
  then ``TurnRunner.run`` (as ``bench/latency.py``'s Voxroom column).
- realtime: ``make_live_transcription`` (a :class:`RealtimeTranscription`) is fed the utterance in
  20 ms blocks while "the room speaks", faster than real time but one second at a time, each
  second on the wire (``wait_drained``) before the next, as a real-time recorder achieves: all but
  the last 100 ms are sent before the end of recording; then the last 100 ms,
  ``finish()``, and ``TurnRunner.run(transcript=...)``.
- floor: agent time to the delta that completes the first sentence + speech time to first audio;
  what no transcription strategy can hide. The realtime tail (``transcription.done`` after
  ``input_audio.end``: the service's streaming delay) is the part of transcription that remains.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_readme import write_section  # noqa: E402
from bench.latency import PROFILES, PlayoutSink, floor_seconds, serve  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import Settings, load_settings  # noqa: E402
from tui.stt.realtime import RATE, RealtimeTranscription, make_live_transcription  # noqa: E402

BLOCK = RATE // 50  # 20 ms
LAST = RATE // 10  # the last 100 ms are recorded after the sender caught up
TAILS = {"fast": 0.24, "slow": 0.6}
"""Realtime tail per profile: ``transcription.done`` this long after ``input_audio.end`` (0.24 s is
the service's default ``target_streaming_delay_ms``)."""


def run_batch(settings: Settings, clip: Clip) -> tuple[float, float]:
    """(first audio, transcription) in seconds from the end of recording: the app's batch turn."""
    backends = make_backends(settings)
    backends.warm_up()
    sink = PlayoutSink()
    ended = time.perf_counter()
    result = backends.runner(settings).run(clip, sink=sink, ended_at=ended)
    assert result.status == "done", result.error
    assert sink.first_at is not None and result.timings.transcription_ms is not None
    return sink.first_at - ended, result.timings.transcription_ms / 1000.0


def run_realtime(settings: Settings, clip: Clip) -> tuple[float, float]:
    """(first audio, finish) in seconds from the end of recording."""
    backends = make_backends(settings)
    backends.warm_up()
    runner = backends.runner(settings)
    live = make_live_transcription(settings, backends.transcriber)
    assert isinstance(live, RealtimeTranscription)
    assert live.wait_connected(10), live.error
    samples = clip.samples
    head = samples[:-LAST]
    for i in range(0, head.size, BLOCK):
        live.feed(head[i : i + BLOCK])
        if (i // BLOCK) % 50 == 49:  # each second of audio goes out before the next is "recorded"
            assert live.wait_drained(10), "the sender did not catch up"
    assert live.wait_drained(10), "the sender did not catch up"
    sink = PlayoutSink()
    ended = time.perf_counter()
    live.feed(samples[-LAST:])
    transcript = live.finish()
    finished = time.perf_counter() - ended
    result = runner.run(clip, sink=sink, ended_at=ended, transcript=transcript)
    assert result.status == "done", result.error
    assert sink.first_at is not None
    return sink.first_at - ended, finished


def utterance(source: Clip, seconds: float, folder: Path) -> Clip:
    """``seconds`` of speech (the clip repeated), as the recorder leaves it: 16 kHz FLAC on disk."""
    import soundfile as sf

    base = source.at_rate(RATE).samples.astype(np.float32)
    reps = int(np.ceil(seconds * RATE / base.size))
    samples = np.tile(base, reps)[: int(seconds * RATE)]
    path = folder / f"utterance-{seconds:g}s.flac"
    sf.write(str(path), samples, RATE, format="FLAC", subtype="PCM_16")
    return Clip(samples, RATE, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/README.md")
    args = parser.parse_args()
    loads = os.getloadavg()
    source = load_clip(ROOT / "tests" / "data" / "audio" / "beckett.wav")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = [utterance(source, s, Path(tmp)) for s in (10.0, 60.0)]
        for name, tail in TAILS.items():
            profile = replace(PROFILES[name], realtime_done=tail)
            urls: mp.Queue = mp.Queue()  # type: ignore[type-arg]
            stop = mp.Event()
            proc = mp.Process(target=serve, args=(profile, urls, stop), daemon=True)
            proc.start()
            try:
                url = urls.get(timeout=30)
                settings = load_settings(
                    env={
                        "MISTRAL_API_KEY": "bench-key",
                        "MISTRAL_SERVER_URL": url,
                        "VOXROOM_CONFIG": str(Path(tmp) / "none.toml"),
                    },
                    overrides={"data_dir": tmp},
                )
                run_batch(settings, clips[0])  # warm-up turns (server-side imports), not counted
                run_realtime(settings, clips[0])
                n = args.runs
                for clip in clips:
                    runs = [run_batch(settings, clip) + run_realtime(settings, clip) for _ in range(n)]
                    medians = [statistics.median(r[i] for r in runs) for i in range(4)]
                    floor = floor_seconds(profile, 0.0) - profile.transcription_fixed
                    rows.append((name, clip.duration, floor, *medians))
            finally:
                stop.set()
                proc.join(10)
    header = (
        "| profile | utterance | floor (agent + speech) | batch: transcription | batch first audio "
        "| realtime: finish() | realtime first audio | realtime over floor | batch / realtime |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for name, seconds, floor, batch_s, batch_stt, live_s, finish_s in rows:
        lines.append(
            f"| {name} | {seconds:.0f} s | {floor * 1000:.0f} ms | {batch_stt * 1000:.0f} ms "
            f"| {batch_s * 1000:.0f} ms | {finish_s * 1000:.0f} ms | **{live_s * 1000:.0f} ms** "
            f"| {(live_s - floor) * 1000:+.0f} ms | {batch_s / live_s:.2f} |"
        )
    table = "\n".join(lines)
    print(f"{args.runs} runs each, medians")
    print(table)
    if args.write:
        load = f"{loads[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        write_section("Realtime transcription", SECTION.format(runs=args.runs, table=table, load=load))
    return 0


SECTION = """## Realtime transcription

`bench/realtime.py` ({runs} runs per cell, medians; the stand-in Mistral server in its own process;
client opened and agent ensured before the turn; x86_64, 2 CPUs shared with other jobs). Profiles
as in "Latency" above (batch transcription **fast** 0.15 s + 0.02 s per audio second, **slow** 0.6 s
+ 0.08 s/s), plus the realtime tail: `transcription.done` 0.24 s (fast: the service's default
`target_streaming_delay_ms`) or 0.6 s (slow) after `input_audio.end`.

{table}

- **floor**: agent time to the delta that completes the first sentence + speech time to first
  audio: what remains once transcription costs nothing. Realtime over floor is the realtime tail
  plus the last 100 ms of audio, `finish()`'s round trip and Voxroom's turn overhead.
- Load average while measuring: {load} (2 CPUs; above 2, other processes compete for the cores).
- **batch**: the whole recording is uploaded and transcribed after the key press, so its cost
  grows with the utterance (60 s slow: 0.6 + 4.8 s of transcription before the agent starts).
- **realtime**: the utterance is streamed while the room speaks (20 ms blocks; all but the last
  100 ms sent before the end of recording), so stopping costs only the tail, whatever the length.
- The stand-in answers realtime audio instantly (text deltas as the audio arrives), so the tail is
  the profile's; on the real service it is about the configured `realtime_delay_ms` plus a round
  trip. The batch diarized pass a provisional transcript may need afterwards is off the critical
  path (it runs after the reply has started).

Run: `.venv/bin/python bench/realtime.py --runs 5 --write`.
"""


if __name__ == "__main__":
    raise SystemExit(main())
