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
from bench.latency import PROFILES, BusyLoad, PlayoutSink, floor_seconds, standin_settings  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.lifecycle import ScratchLog  # noqa: E402
from tui.model import Timings  # noqa: E402
from tui.room import SILENT, Room, TurnFinished  # noqa: E402
from tui.room.ports import LevelLike  # noqa: E402
from tui.room.wiring import live_transcription  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

RATE = 16_000
TAILS = {"fast": 0.24, "slow": 0.6}
PAUSES = (0.0, 1.0)
"""Silence between the last word and the key press: none (the press cuts the last word's tail), and
one second (a person who finished speaking and then reaches for the key)."""
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


def utterance(source: Clip, seconds: float, folder: Path, pause: float = 0.0) -> Clip:
    """About ``seconds`` of speech (the clip repeated) that ends in a word (trailing quiet cut), then
    ``pause`` seconds of silence before the key press; as the recorder leaves it: 16 kHz FLAC."""
    import soundfile as sf

    base = source.at_rate(RATE).samples.astype(np.float32)
    reps = int(np.ceil(seconds * RATE / base.size))
    samples = np.tile(base, reps)[: int(seconds * RATE)]
    frame = RATE // 50
    rms = np.sqrt(np.mean(samples[: samples.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms >= max(0.01, 0.1 * float(rms.max())))
    speech = samples[: (int(loud[-1]) + 1) * frame]
    samples = np.concatenate([speech, np.zeros(int(pause * RATE), np.float32)])
    path = folder / f"utterance-{seconds:g}s-{pause:g}s.flac"
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
        clips = [
            (seconds, pause, utterance(source, seconds, Path(tmp), pause))
            for seconds in (10.0, 60.0)
            for pause in PAUSES
        ]
        for name in args.profiles.split(","):
            tail = TAILS[name]
            profile = replace(PROFILES[name], realtime_done=tail)
            with standin_settings(profile, tmp) as settings:
                settings.transcription.realtime_early_answer = False  # its rows: bench/early_answer.py
                room_turn(settings, clips[0][2], live=False)  # warm-up (server-side imports), not counted
                floor = floor_seconds(profile, 0.0) - profile.transcription_fixed
                with BusyLoad(args.busy):
                    for seconds, pause, clip in clips:
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
                            (name, seconds, pause, floor, tail, med(batch), med(stt), med(live), med(finish))
                        )
    header = (
        "| profile | speech | pause before the press | floor (agent + speech) | batch: transcription "
        "| batch first audio | realtime: finish() | realtime first audio | **realtime over floor** "
        "| of which Voxroom's own | batch / realtime |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, seconds, pause, floor, _tail, batch_s, batch_stt, live_s, finish_s in rows:
        lines.append(
            f"| {name} | {seconds:.0f} s | {pause:g} s | {floor * 1000:.0f} ms | {batch_stt * 1000:.0f} ms "
            f"| {batch_s * 1000:.0f} ms | {finish_s * 1000:.0f} ms | {live_s * 1000:.0f} ms "
            f"| **{(live_s - floor) * 1000:+.0f} ms** | {(live_s - floor - finish_s) * 1000:+.0f} ms "
            f"| {batch_s / live_s:.2f} |"
        )
    table = "\n".join(lines)
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    print(f"{args.runs} runs each, medians; busy processes {args.busy}; 1-minute load average {load}")
    print(table)
    print(goal_text(rows))
    if args.write:
        write_section(
            "Realtime transcription",
            SECTION.format(runs=args.runs, table=table, load=load, busy=args.busy, goal=goal_text(rows)),
        )
    return 0


SECTION = """## Realtime transcription

`bench/realtime.py` ({runs} runs per cell, medians; the stand-in Mistral server in its own process;
x86_64, 2 CPUs; {busy} extra CPU-bound processes; 1-minute load average {load} while measuring).
Both columns are one turn of the real room (`tui.room.Room` with `live_transcription`, a
`FileRecorder` and a player that plays in simulated real time), timed from the key press that stops
the recording to the first block handed to the player. Profiles as in "Latency" above (batch
transcription **fast** 0.15 s + 0.02 s per audio second, **slow** 0.6 s + 0.08 s/s), plus the
realtime tail: `transcription.done` 0.24 s (fast) or 0.6 s (slow) after `input_audio.end` (the
stand-in's model of the service finishing the last `target_streaming_delay_ms` of audio). Turn
detection is on (the default `transcription.realtime_turn_detection`): the stand-in sends `turn.end`
once 0.5 s of quiet followed speech (the SDK's default `min_silence_ms`). The early answer is off
(`transcription.realtime_early_answer = false`): these rows are the agent asked after the press;
"Early answer" below has the same turns with it.

{table}

- **floor**: agent time to the delta that completes the first sentence + speech time to first
  audio: what cannot be hidden under the recording.
- **speech, pause before the press**: the utterance (beckett.wav repeated) ends on a word, then
  the key is pressed. **0 s**: the press comes with the last word, so the service cannot have said
  the turn is over and Voxroom waits for `transcription.done`: the tail counts. **1 s**: the speaker
  finished, then reached for the key; the service's `turn.end` came during that second, so at the
  press the live text is the whole question and the reply starts at once (the finished, diarized
  transcript replaces it in the background).
- **of which Voxroom's own**: realtime over floor less `finish()` (the wait for the service's
  tail, or nothing when the turn was already over): Voxroom's turn overhead and the agent's and
  speech's HTTP round trips. About 20 ms more at 60 s than at 10 s is the benchmark's recorder
  (`FileRecorder` writes the whole FLAC file at the press; the real recorder writes it while
  recording).
- **batch**: the recorder hands over the whole file at the press; the room uploads and transcribes
  it, so its cost grows with the utterance.
- **realtime**: the recorder "hears" the utterance at its real pace (`FileRecorder(realtime=True)`,
  20 ms blocks) and the room streams it to the realtime socket while recording.

{goal}

Run: `.venv/bin/python bench/realtime.py --runs 5 --write` (`--profiles fast`, `--busy 2`).
"""


def goal_text(rows: list[tuple]) -> str:
    """The issue-13 goal (first audio at most 150 ms over the floor) against the rows measured."""
    parts = []
    for name, seconds, pause, floor, tail, _b, _bs, live_s, _f in rows:
        over = (live_s - floor) * 1000
        verdict = "met" if over <= 150 else "not met"
        extra = f" (the tail alone is {tail * 1000:.0f} ms)" if over > 150 else ""
        parts.append(f"{name} {seconds:.0f} s, pause {pause:g} s: {over:+.0f} ms, {verdict}{extra}")
    return "Goal (issue 13, part 3), first audio at most 150 ms over the floor: " + "; ".join(parts) + "."


if __name__ == "__main__":
    raise SystemExit(main())
