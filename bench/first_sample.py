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


KINDS = {"recorder": (), "room": ("--room",), "cold": ("--no-warm-up",)}
"""``recorder``: ``Recorder.start`` on the recorder the app builds at start-up; ``room``: the key of the
app's room (``Room.toggle``); ``cold``: ``Recorder.start`` on the same recorder without its warm-up."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes of each kind")
    parser.add_argument("--turns", type=int, default=3, help="presses per process")
    parser.add_argument("--write", action="store_true", help="replace the section in bench/README.md")
    args = parser.parse_args()
    ensure_audio()
    load_before = load()
    latency: list[float] = []
    first: dict[str, list[float]] = {k: [] for k in KINDS}
    later: dict[str, list[float]] = {k: [] for k in KINDS}
    call_first: dict[str, list[float]] = {k: [] for k in KINDS}
    call_later: dict[str, list[float]] = {k: [] for k in KINDS}
    for run in range(args.runs):
        for kind, extra in KINDS.items():
            result = child("--count", str(args.turns), *extra)
            lat, turns = result["latency_s"], result["turns"]
            latency.append(lat)
            delays = [first_sample_delay(t, lat) for t in turns]
            first[kind].append(delays[0])
            later[kind].append(statistics.median(delays[1:]))
            call_first[kind].append(turns[0]["start_call_s"])
            call_later[kind].append(statistics.median(t["start_call_s"] for t in turns[1:]))
        print(
            f"run {run + 1} (load {load()}): "
            + ", ".join(f"{k} first/later {ms(first[k][-1])}/{ms(later[k][-1])}" for k in KINDS),
            flush=True,
        )
    load_after = load()
    later_turns = f"later turns (2-{args.turns})"
    rows = [
        (
            "press (`Recorder.start()`) -> first kept sample, first turn after launch",
            spread(first["recorder"]),
            "<= 50 ms",
        ),
        (
            f"press (`Recorder.start()`) -> first kept sample, {later_turns}",
            spread(later["recorder"]),
            "<= 50 ms",
        ),
        (
            "key (`Room.toggle()`) -> first kept sample, first turn after launch",
            spread(first["room"]),
            "<= 50 ms",
        ),
        (f"key (`Room.toggle()`) -> first kept sample, {later_turns}", spread(later["room"]), "<= 50 ms"),
        (
            "`Recorder.start()` call, first turn / later turns",
            f"{spread(call_first['recorder'])} / {spread(call_later['recorder'])}",
            "-",
        ),
        (
            "`Room.toggle()` call (press), first turn / later turns",
            f"{spread(call_first['room'])} / {spread(call_later['room'])}",
            "-",
        ),
        (
            "without the start-up warm-up: `Recorder.start()` -> first kept sample, first turn / later",
            f"{spread(first['cold'])} / {spread(later['cold'])}",
            "-",
        ),
        (
            "without the start-up warm-up: `Recorder.start()` call, first turn",
            spread(call_first["cold"]),
            "-",
        ),
        (
            "the virtual devices' remaining latency (feed playing -> running input stream), taken off",
            spread(latency),
            "-",
        ),
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
            "How: each figure comes from a fresh process (as after a launch) of "
            "`tests/audio/first_sample.py`, the harness the test uses. A process of its own keeps an "
            "output stream running on `virtual_mic_feed` (5 ms blocks; so the measured process opens no "
            "sound stream before its first press), and the measured process builds the recorder as the "
            "app does at start-up (`tui.room.wiring.open_audio`, which calls `Recorder.warm_up()`) or the "
            "app's whole room (`build_room`: a new session in a data dir, Mistral transcription pointed "
            "at a closed port and no agent or speech, so each turn fails at once after its recording is "
            "saved; its backends warmed up as the app does at start-up, which imports the realtime "
            "socket code), and on each press fires a 0.6 s tone into the feed and calls "
            "`Recorder.start()` or "
            "`Room.toggle()` (the key: it reserves the recording's name in the session, starts the live "
            "transcription, then the recorder). The tone's onset is found in the kept 16 kHz recording "
            "(the virtual microphone is digital silence before it). The tone reached the microphone `feed "
            "delay + latency` after the press: the feed delay (press -> the tone's first sample due to "
            "play: the feed's callback time plus its output buffer as PortAudio reports it, 90-130 ms) is "
            "measured on every press, the remaining latency (the sink to the microphone to an input "
            "stream that has been running for 0.5 s, 5 ms blocks; median of 5 tones) after the presses in "
            "the same process. So the recording started `feed delay + latency - onset` after the press. "
            "The latency counts that stream's buffering (a few ms), so the figures are upper bounds by "
            "that much; it varies by a render period of the virtual sink (5 ms) from tone to tone. The "
            "machine's load shows in every figure: under a load average of 10 on 2 cores the same presses "
            "take 2-3 times as long as at 4. The test `tests/audio/test_first_sample.py` asserts the "
            "recorder's first two presses of a fresh process are within 50 ms.\n\n"
            "What the warm-up moves out of the press (each part timed once in a fresh process, load "
            "average about 1): libsndfile's import and first FLAC encoder (16-22 ms), the device's rate "
            "and channel checks (3-7 ms; each opens the device), PortAudio's initialisation (76-156 ms, "
            "already paid by the device lookup when the room is built), the resampler's filter design "
            "(under 1 ms with numpy; 0.76-0.94 s when it imported `scipy.signal`). Opening the stream "
            "takes 2-4 ms and starting it 1-5 ms, the first time as later; its first callback comes 20-28 "
            "ms after the start (one 20 ms block). It does not open the microphone (an input stream "
            "opened, even one not started, already holds it: PulseAudio lists it as a recording), and "
            "opening and closing one at warm-up made no difference to the first press (4 fresh processes "
            "each way, the room's key, load average 14). `start()` starts the input stream before it "
            "creates the file, and the callback's blocks wait in the queue until the writer runs, so "
            "every sample from the stream's first callback is kept. The 48 -> 16 kHz filter is designed "
            "with numpy (the taps of `scipy.signal.firwin`, to 1e-16): importing `scipy.signal` took "
            "0.8-1.4 s, inside the first `start()` of each process, before the stream started. On the "
            "room's first key press the session also writes its file (with an fsync) to reserve the "
            "recording's name, and the live transcription starts, both before the recorder: 5-20 ms of "
            "the room's first-turn figure under load.\n\n"
            "Run: `.venv/bin/python bench/first_sample.py` (`--runs 5`, `--turns 3`, `--write`).\n"
        )
        write_section("First sample", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
