"""Benchmark: capture + level metering + 16 kHz FLAC writing, as the Recorder does it.

Two modes (both by default):

* ``synthetic``: 10 minutes of generated 48 kHz audio (speech-like tone bursts over room noise) in
  20 ms blocks, pushed through ``Recorder.feed`` (the exact path the PortAudio callback takes:
  mono mix, LevelMeter, queue) and the writer thread (streaming resampler 48k -> 16k, FLAC,
  flush every second). Blocks are fed one simulated second at a time, waiting for the writer to
  catch up, so the queue never holds more than a real-time recording would.
* ``stream``: a real ``InputStream`` on the virtual microphone for ``--seconds`` seconds while a
  child process plays speech into it.

Reported: CPU time of this process (all threads) per second of audio, as % of one core, and the
peak extra resident memory (VmHWM after resetting it, minus VmRSS before starting).

Usage: python bench/audio_capture.py [--mode synthetic|stream|both] [--minutes 10] [--seconds 60]
(``stream`` needs the virtual sound server: ``eval "$(scripts/setup_audio.sh)"`` first).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tui.audio.capture import Recorder  # noqa: E402

RATE = 48_000
BLOCK = 960  # 20 ms


def rss_kb(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def room_audio(seconds: int, seed: int = 0) -> np.ndarray:
    """One second of generated audio per call site: noise floor plus voiced bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * RATE) / RATE
    noise = 0.003 * rng.standard_normal(t.size)
    voiced = 0.2 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0)
    voiced += 0.05 * np.sin(2 * np.pi * 1200 * t) * (np.sin(2 * np.pi * 3.1 * t) > 0.2)
    return (noise + voiced).astype(np.float32)


def bench_synthetic(minutes: float, out_dir: Path) -> dict[str, float]:
    second = room_audio(1)
    blocks = second.reshape(-1, BLOCK)
    seconds = int(minutes * 60)
    rec = Recorder(rate=RATE)
    # Warm up (imports, filter design, libsndfile) outside the measurement.
    rec.start(out_dir / "warmup.flac", open_stream=False)
    for b in blocks:
        rec.feed(b)
    rec.stop(load=False)

    base_rss = rss_kb()
    peak_reset = reset_peak_rss()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rec.start(out_dir / "synthetic.flac", open_stream=False)
    for s in range(seconds):
        for b in blocks:
            rec.feed(b)
        # Let the writer catch up before the next simulated second (a real stream gives it 1 s).
        deadline = time.monotonic() + 5
        while rec.written_seconds < s + 0.9 and time.monotonic() < deadline:
            time.sleep(0.02)
    clip = rec.stop(load=False)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    peak = rss_kb("VmHWM") if peak_reset else rss_kb()
    size = clip.path.stat().st_size if clip.path else 0
    return {
        "audio_s": float(seconds),
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_pct_of_core": 100.0 * cpu / seconds,
        "extra_rss_mb": (peak - base_rss) / 1024.0,
        "flac_mb": size / 1e6,
        "meter_updates": float(rec.level.blocks),
        "overflows": float(rec.overflows),
    }


def bench_stream(seconds: float, out_dir: Path) -> dict[str, float]:
    feeder_code = (
        "import sys; sys.path.insert(0, {!r})\n"
        "from tui.audio.clip import load_clip\n"
        "from tui.audio.player import Player\n"
        "c = load_clip({!r})\n"
        "p = Player('virtual_mic_feed')\n"
        "while True:\n"
        "    p.open(c.rate); p.write(c.samples); p.drain()\n"
    ).format(str(REPO), str(REPO / "tests" / "data" / "audio" / "beckett.wav"))
    feeder = subprocess.Popen([sys.executable, "-c", feeder_code], stderr=subprocess.DEVNULL)
    try:
        rec = Recorder("virtual_mic")
        rec.start(out_dir / "warmup.flac")
        rec.stop(load=False)
        done = threading.Event()
        rec.on_flush = lambda s: done.set() if s >= seconds else None
        base_rss = rss_kb()
        peak_reset = reset_peak_rss()
        cpu0 = time.process_time()
        rec.start(out_dir / "stream.flac")
        done.wait(seconds + 10)
        elapsed = rec.elapsed
        rec.stop(load=False)
        cpu = time.process_time() - cpu0
        peak = rss_kb("VmHWM") if peak_reset else rss_kb()
    finally:
        feeder.kill()
        feeder.wait()
    return {
        "audio_s": elapsed,
        "cpu_s": cpu,
        "cpu_pct_of_core": 100.0 * cpu / elapsed,
        "extra_rss_mb": (peak - base_rss) / 1024.0,
        "meter_updates_per_s": rec.level.blocks / elapsed,
        "overflows": float(rec.overflows),
        "peak_dbfs": rec.level.held_peak_dbfs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("synthetic", "stream", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10.0, help="synthetic audio length")
    parser.add_argument("--seconds", type=float, default=60.0, help="real stream length")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, pid {os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="vx-bench-") as tmp:
        if args.mode in ("synthetic", "both"):
            r = bench_synthetic(args.minutes, Path(tmp))
            print(
                f"synthetic: {r['audio_s']:.0f} s of 48 kHz audio in {r['wall_s']:.1f} s wall, "
                f"CPU {r['cpu_s']:.2f} s = {r['cpu_pct_of_core']:.2f} % of one core, "
                f"peak extra RSS {r['extra_rss_mb']:.1f} MB, FLAC {r['flac_mb']:.1f} MB, "
                f"{r['meter_updates']:.0f} meter updates"
            )
        if args.mode in ("stream", "both"):
            r = bench_stream(args.seconds, Path(tmp))
            print(
                f"stream: {r['audio_s']:.1f} s recorded from virtual_mic, "
                f"CPU {r['cpu_s']:.2f} s = {r['cpu_pct_of_core']:.2f} % of one core, "
                f"peak extra RSS {r['extra_rss_mb']:.1f} MB, "
                f"{r['meter_updates_per_s']:.0f} meter updates/s, {r['overflows']:.0f} overflows, "
                f"held peak {r['peak_dbfs']:.1f} dBFS"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
