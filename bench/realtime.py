"""First reply audio after the end of recording, through the real room: realtime (live)
transcription vs. the batch request, side by side in one run, against the floor.

Runs against the stand-in Mistral server (in its own process, latency profiles of
``bench/latency.py`` plus a realtime tail), through the real SDK, for 10 s and 60 s utterances.
Usage: ``python bench/realtime.py [--runs N] [--profiles fast,slow] [--busy N] [--write]``.

Both columns are one turn of :class:`tui.room.Room` (as the app builds it: ``live_transcription``,
a :class:`tui.testing.FileRecorder`, a player that plays in simulated real time), timed from the
key press that stops the recording to the first block handed to the player:

- batch: the recorder hands over the whole file; the room transcribes it after the press.
- realtime: the recorder "hears" the utterance at its real pace and the room streams it to the
  realtime socket while recording; the press comes once the whole utterance was heard.
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
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_readme import write_section  # noqa: E402
from bench.latency import PROFILES, BusyLoad, PlayoutSink, floor_seconds, serve  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import Settings, load_settings  # noqa: E402
from tui.lifecycle import ScratchLog  # noqa: E402
from tui.model import Timings  # noqa: E402
from tui.room import SILENT, Room, TurnFinished  # noqa: E402
from tui.room.ports import LevelLike  # noqa: E402
from tui.room.wiring import live_transcription  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

RATE = 16_000
TAILS = {"fast": 0.24, "slow": 0.6}
"""Realtime tail per profile: ``transcription.done`` this long after ``input_audio.end`` (0.24 s is
the service's default ``target_streaming_delay_ms``)."""


class _SilentMeter:
    def snapshot(self) -> LevelLike:
        return SILENT


class RoomSink(PlayoutSink):
    """The room's player: plays in simulated real time and records when the first block arrives."""

    meter = _SilentMeter()
    device_name = "bench"
    speaking = False
    played_seconds = 0.0


def room_turn(settings: Settings, clip: Clip, *, live: bool) -> tuple[float, float | None]:
    """One turn through the real room: (first audio after the key press that stops the recording,
    the live transcription's ``finish()`` in seconds or ``None`` for batch).

    ``live``: the recording is "heard" at its real pace (``FileRecorder(realtime=True)``) and the
    room streams it to the realtime socket (``live_transcription``), as the app does; the key press
    that stops it comes when the whole utterance has been heard. Batch: the recorder hands over the
    whole file at once and the room transcribes it after the press.
    """
    backends = make_backends(settings)
    backends.warm_up()  # done at start-up in the app: client opened, agent ensured
    sink = RoomSink()
    timings: list[Timings] = []
    room = Room(
        recorder=FileRecorder(clip, realtime=live),
        runner=backends.runner(settings),
        player=sink,  # type: ignore[arg-type]
        log=ScratchLog("bench"),
        live=live_transcription(settings, backends) if live else None,
        backends=backends,
        debounce_s=0.0,
    )
    room.subscribe(lambda e: timings.append(e.timings) if isinstance(e, TurnFinished) else None)
    try:
        room.toggle("bench")
        if live:  # pace: the room hears the utterance in real time (not a synchronisation)
            threading.Event().wait(clip.duration + 2 * FileRecorder.block_seconds)
        ended = time.perf_counter()
        room.toggle("bench")
        assert room.wait_idle(120), "the turn did not finish"
    finally:
        room.close()
    assert sink.first_at is not None and timings, "no reply audio"
    stt = timings[0].transcription_ms
    return sink.first_at - ended, (stt / 1000.0 if stt is not None else None)


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
    parser.add_argument("--profiles", default=",".join(TAILS), help="comma-separated: fast, slow")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes to run")
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/README.md")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    source = load_clip(ROOT / "tests" / "data" / "audio" / "beckett.wav")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = [utterance(source, s, Path(tmp)) for s in (10.0, 60.0)]
        for name in args.profiles.split(","):
            tail = TAILS[name]
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
                room_turn(settings, clips[0], live=False)  # warm-up (server-side imports), not counted
                floor = floor_seconds(profile, 0.0) - profile.transcription_fixed
                with BusyLoad(args.busy):
                    for clip in clips:
                        batch, live, stt, finish = [], [], [], []
                        for _ in range(args.runs):
                            first, took = room_turn(settings, clip, live=False)
                            batch.append(first)
                            stt.append(took or 0.0)
                            first, took = room_turn(settings, clip, live=True)
                            live.append(first)
                            finish.append(took or 0.0)
                            loads.append(os.getloadavg()[0])
                        med = statistics.median
                        rows.append(
                            (name, clip.duration, floor, tail, med(batch), med(stt), med(live), med(finish))
                        )
            finally:
                stop.set()
                proc.join(10)
    header = (
        "| profile | utterance | floor (agent + speech) | batch: transcription | batch first audio "
        "| realtime: finish() | realtime first audio | realtime over floor | over floor + tail "
        "| batch / realtime |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    for name, seconds, floor, tail, batch_s, batch_stt, live_s, finish_s in rows:
        lines.append(
            f"| {name} | {seconds:.0f} s | {floor * 1000:.0f} ms | {batch_stt * 1000:.0f} ms "
            f"| {batch_s * 1000:.0f} ms | {finish_s * 1000:.0f} ms | **{live_s * 1000:.0f} ms** "
            f"| {(live_s - floor) * 1000:+.0f} ms | {(live_s - floor - tail) * 1000:+.0f} ms "
            f"| {batch_s / live_s:.2f} |"
        )
    table = "\n".join(lines)
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    print(f"{args.runs} runs each, medians; busy processes {args.busy}; 1-minute load average {load}")
    print(table)
    if args.write:
        write_section(
            "Realtime transcription", SECTION.format(runs=args.runs, table=table, load=load, busy=args.busy)
        )
    return 0


SECTION = """## Realtime transcription

`bench/realtime.py` ({runs} runs per cell, medians; the stand-in Mistral server in its own process;
x86_64, 2 CPUs shared with other jobs; {busy} extra CPU-bound processes; 1-minute load average
{load} while measuring). Both columns are one turn of the real room (`tui.room.Room` with
`live_transcription`, a `FileRecorder` and a player that plays in simulated real time), timed from
the key press that stops the recording to the first block handed to the player. Profiles as in
"Latency" above (batch transcription **fast** 0.15 s + 0.02 s per audio second, **slow** 0.6 s +
0.08 s/s), plus the realtime tail: `transcription.done` 0.24 s (fast: the service's default
`target_streaming_delay_ms`) or 0.6 s (slow) after `input_audio.end`.

{table}

- **floor**: agent time to the delta that completes the first sentence + speech time to first
  audio: what cannot be hidden under the recording. "Over floor + tail" also takes off the
  profile's realtime tail (the service's streaming delay, which no client can hide either): what
  is left is `finish()`'s round trip and Voxroom's turn overhead.
- **batch**: the recorder hands over the whole file at the press; the room uploads and transcribes
  it, so its cost grows with the utterance.
- **realtime**: the recorder "hears" the utterance at its real pace (`FileRecorder(realtime=True)`,
  20 ms blocks) and the room streams it to the realtime socket while recording, so stopping costs
  only the tail, whatever the length.
- The stand-in answers realtime audio instantly (text deltas as the audio arrives), so the tail is
  the profile's; on the real service it is about the configured `realtime_delay_ms` plus a round
  trip.

Run: `.venv/bin/python bench/realtime.py --runs 5 --write` (`--profiles fast`, `--busy 2`).
"""


if __name__ == "__main__":
    raise SystemExit(main())
