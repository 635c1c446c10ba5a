"""Benchmark: key press -> first kept sample, for the first recording after a launch and the later ones.

Run from the repository root (it starts the virtual sound server if it is not running):

    python bench/first_sample.py            # print the results
    python bench/first_sample.py --write    # also replace the "First sample" section of bench/README.md

Each run is two fresh processes of :mod:`tests.audio.first_sample` (the harness the test uses): the
recorder built and warmed up as the app builds it at start-up, then ``--turns`` presses, each with a
tone played into the virtual microphone at the press, then the virtual devices' own latency measured
on a warm recording; and the same with the recorder's warm-up skipped. Press -> first kept sample =
the feed's delay + the devices' latency - the tone's onset in the recording (an upper bound: the
latency counts the input's buffering). Medians over ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench_readme import table, write_section

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.audio.env import ensure_audio  # noqa: E402
from tests.audio.first_sample import first_sample_delay  # noqa: E402


def child(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.audio.first_sample", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise SystemExit(f"tests.audio.first_sample {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(values: list[float]) -> str:
    return f"**{ms(statistics.median(values))}** (median; {ms(min(values))}-{ms(max(values))})"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes of each kind")
    parser.add_argument("--turns", type=int, default=3, help="presses per process")
    parser.add_argument("--write", action="store_true", help="replace the section in bench/README.md")
    args = parser.parse_args()
    ensure_audio()
    load_before = load()
    latency: list[float] = []
    first: dict[bool, list[float]] = {True: [], False: []}
    later: dict[bool, list[float]] = {True: [], False: []}
    start_first: dict[bool, list[float]] = {True: [], False: []}
    start_later: dict[bool, list[float]] = {True: [], False: []}
    for run in range(args.runs):
        for warm in (True, False):
            extra = () if warm else ("--no-warm-up",)
            result = child("--count", str(args.turns), *extra)
            lat, turns = result["latency_s"], result["turns"]
            if warm:
                latency.append(lat)
            delays = [first_sample_delay(t, lat) for t in turns]
            first[warm].append(delays[0])
            later[warm].append(statistics.median(delays[1:]))
            start_first[warm].append(turns[0]["start_call_s"])
            start_later[warm].append(statistics.median(t["start_call_s"] for t in turns[1:]))
        print(
            f"run {run + 1}: latency {ms(latency[-1])}; first/later turn {ms(first[True][-1])}/"
            f"{ms(later[True][-1])}, without the warm-up {ms(first[False][-1])}/{ms(later[False][-1])}",
            flush=True,
        )
    load_after = load()
    rows = [
        ("press -> first kept sample, first turn after launch", spread(first[True]), "<= 50 ms"),
        (f"press -> first kept sample, later turns (2-{args.turns})", spread(later[True]), "<= 50 ms"),
        (
            "`Recorder.start()` call, first turn / later turns",
            f"{spread(start_first[True])} / {spread(start_later[True])}",
            "-",
        ),
        (
            "without the start-up warm-up: press -> first kept sample, first turn / later",
            f"{spread(first[False])} / {spread(later[False])}",
            "-",
        ),
        (
            "without the start-up warm-up: `Recorder.start()` call, first turn",
            spread(start_first[False]),
            "-",
        ),
        ("the virtual devices' own latency (feed -> warm recording), taken off", spread(latency), "-"),
    ]
    for name, value, goal in rows:
        print(f"{name}: {value} (goal {goal})")
    print(f"load average (1/5/15 min) before {load_before}, after {load_after}")
    if args.write:
        text = (
            "## First sample\n\n"
            f"`bench/first_sample.py` ({platform.machine()}, {os.cpu_count()} CPUs shared with other jobs, "
            f"load average {load_before} before and {load_after} after, Python {platform.python_version()}, "
            f"PulseAudio null-sink virtual microphone; {args.runs} runs of fresh processes, {args.turns} "
            "presses each).\n\n" + table(rows) + "\n\n"
            "How: each figure comes from a fresh process (as after a launch) that builds the recorder as "
            "the app does at start-up (`tui.room.wiring.open_audio`, which calls `Recorder.warm_up()`), "
            "keeps an output stream running on `virtual_mic_feed`, and on each press fires a 0.6 s tone "
            "into it and calls `Recorder.start()` (what the room does on a press, after reserving the "
            "file name). The tone's onset is found in the kept 16 kHz recording (the virtual microphone is "
            "digital silence before it). The tone reached the microphone `feed delay + latency` after the "
            "press, where the feed delay (press -> the tone's first block written, in the feed's callback) "
            "is measured on every press and the latency (block written -> it reaches a recorder that has "
            "been running for 0.5 s; median of 5 tones) is measured after the presses in the same process; "
            "so the recording "
            "started `feed delay + latency - onset` after the press. That latency also counts the input's "
            "buffering, so the figures are upper bounds; it varies by one render period of the virtual "
            "sink (about 5-20 ms) from tone to tone, which is the spread of the figures. The test "
            "`tests/audio/test_first_sample.py` asserts the same on two presses of one fresh process.\n\n"
            "What the warm-up moves out of the press: libsndfile's import and first FLAC encoder, the "
            "device's rate and channel checks (each opens the device), PortAudio's initialisation, the "
            "resampler's filter design. It does not open the microphone. `start()` starts the input "
            "stream before it creates the file, and the callback's blocks wait in the queue until the "
            "writer runs, so every sample from the stream's first callback is kept. The 48 -> 16 kHz "
            "filter is designed with numpy (the taps of `scipy.signal.firwin`, to 1e-16): importing "
            "`scipy.signal` took 0.8-1.4 s, inside the first `start()` of each process, before the "
            "stream started.\n\n"
            "Run: `.venv/bin/python bench/first_sample.py` (`--runs 5`, `--turns 3`, `--write`).\n"
        )
        write_section("First sample", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
