"""Press -> first kept sample: a tone is played into the virtual microphone at the press, and its onset
is found in the recording that press started.

Run as a child process, so the first press is the first of a fresh process, as after a launch
(``python -m tests.audio.first_sample --count N``); it prints one JSON object. The recorder is built
the way the app builds it at start-up (:func:`tui.room.wiring.open_audio`, which warms it up), and a
press is what the room does on one: ``Recorder.start``.

The feed: a running output stream on ``virtual_mic_feed`` writes silence until :meth:`ToneFeed.fire`,
then the tone from its first sample, in 5 ms blocks. It notes when it wrote the tone's first block
(``fire -> written`` is the feed's own delay, measured on every press).

After the presses, the devices' own latency (from the tone's first block written to the feed until it
reaches the recorder) is measured with the same feed on a warm recording: the recorder has been
running for a while, a tone is fired, and the tone's onset in the recording minus the audio captured
when it was written is that latency. It counts the input's buffering too (samples captured but not
yet delivered when the tone was written), so the press -> first sample figures are upper bounds.

For a turn, the tone reached the microphone ``feed delay + latency`` after the press; it sits
``onset`` seconds into the recording; so the recording's first sample was taken
``feed delay + latency - onset`` after the press. When the recording starts after the tone did
(``onset`` 0), the tone is cut and the figure is taken from the part of it kept instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

RATE = 48_000
FEED_BLOCK = 240  # 5 ms
TONE_S = 0.6
"""The tone's length: a recording that starts this late keeps none of it (``turns`` takes another)."""
TONE_HZ = 1000.0
TONE_LEVEL = 0.5
ONSET_LEVEL = 0.1
"""A recorded sample above this is the tone (the virtual microphone is digital silence otherwise)."""


class ToneFeed:
    """A running output stream on the virtual microphone's feed that plays one tone per :meth:`fire`."""

    def __init__(self, device: str = "virtual_mic_feed", tone_s: float = TONE_S) -> None:
        import sounddevice as sd

        t = np.arange(int(tone_s * RATE)) / RATE
        self.tone = (TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        self._pos = -1  # -1: silence; else the next tone sample to write
        self._end = self.tone.size
        self._lock = threading.Lock()
        self.written_at = 0.0
        self.probe: Any = None
        """Called when the tone's first block is written; its value is kept in :attr:`probed`."""
        self.probed = 0.0
        self.done = threading.Event()
        self.running = threading.Event()
        self._stream = sd.OutputStream(
            device=device,
            samplerate=RATE,
            channels=1,
            dtype="float32",
            blocksize=FEED_BLOCK,
            latency="low",
            callback=self._callback,
        )
        self._stream.start()

    def fire(self, seconds: float | None = None) -> float:
        """Play the tone (its first ``seconds``) from the next block; returns the time of the call
        (``time.perf_counter``)."""
        now = time.perf_counter()
        with self._lock:
            self.done.clear()
            self.written_at = 0.0
            self._end = self.tone.size if seconds is None else min(self.tone.size, int(seconds * RATE))
            self._pos = 0
        return now

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self.running.set()
        outdata.fill(0)
        with self._lock:
            if self._pos < 0:
                return
            if self._pos == 0:
                self.written_at = time.perf_counter()
                self.probed = self.probe() if self.probe is not None else 0.0
            part = self.tone[self._pos : min(self._end, self._pos + frames)]
            outdata[: part.size, 0] = part
            self._pos += part.size
            if self._pos >= self._end:
                self._pos = -1
                self.done.set()


def onset_and_kept(samples: np.ndarray, rate: int) -> tuple[float | None, float]:
    """Seconds from the recording's start to the tone's first sample (``None``: no tone), and the
    seconds of tone kept."""
    loud = np.flatnonzero(np.abs(samples) > ONSET_LEVEL)
    if not loud.size:
        return None, 0.0
    return loud[0] / rate, (loud[-1] - loud[0] + 1) / rate


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _room_audio(input_device: str, data_dir: Path, *, warm_up: bool = True) -> Any:
    """The recorder the app builds at start-up (:func:`tui.room.wiring.open_audio`, warmed up);
    ``warm_up=False``: the same recorder without its warm-up (for the benchmark's comparison)."""
    from tui.config import Settings
    from tui.room.wiring import open_audio

    if not warm_up:
        from tui.audio.capture import Recorder
        from tui.audio.devices import resolve_device

        mic = resolve_device(input_device, "input")
        return Recorder(mic.index)
    settings = Settings(data_dir=data_dir)
    settings.audio.input_device = input_device
    settings.audio.output_device = "virtual_speaker"
    recorder, player, problems = open_audio(settings)
    if recorder is None:
        raise SystemExit(f"no recorder: {problems}")
    if player is not None:
        player.close()
    return recorder


def turns(
    n: int,
    tone_s: float = TONE_S,
    *,
    warm_up: bool = True,
    repeats: int = 5,
    input_device: str = "virtual_mic",
) -> dict[str, Any]:
    """``n`` presses, each with a tone of ``tone_s`` fired at the press, in this (fresh) process; then
    the devices' latency, measured with the same feed and recorder (see :func:`latency`)."""
    out: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        feed = ToneFeed(tone_s=tone_s)
        recorder = _room_audio(input_device, Path(tmp), warm_up=warm_up)
        wait_for(feed.running.is_set, 10, "the feed")
        try:
            for i in range(n):
                pressed = feed.fire()
                recorder.start(Path(tmp) / f"turn-{i + 1:03d}.flac")
                started = time.perf_counter()
                wait_for(feed.done.is_set, 10, "the tone")
                # the tone's end reaches the recording a latency later: 0.4 s is many latencies
                wait_for(lambda: recorder.elapsed >= tone_s + 0.4, 10, "the recording")
                clip = recorder.stop()
                onset, kept = onset_and_kept(clip.samples, clip.rate)
                out.append(
                    {
                        "start_call_s": started - pressed,
                        "feed_delay_s": feed.written_at - pressed,
                        "onset_s": onset,
                        "tone_kept_s": kept,
                        "tone_s": tone_s,
                    }
                )
            lags = latency(feed, recorder, Path(tmp) / "warm.flac", repeats)
        finally:
            feed.close()
    return {"turns": out, "latency_s": statistics.median(lags), "latencies_s": lags}


def latency(feed: ToneFeed, recorder: Any, path: Path, repeats: int, tone_s: float = 0.25) -> list[float]:
    """The devices' latency from the tone's first block written to the feed until it reaches a warm
    recorder (running for 0.5 s), for ``repeats`` tones: it varies by a render period of the virtual
    sink (5-20 ms) from tone to tone. Measured after the presses, so they were the process's first."""
    recorder.start(path)
    wait_for(lambda: recorder.elapsed >= 0.5, 10, "the warm stream")
    feed.probe = lambda: recorder.elapsed  # audio captured when the tone is written
    marks: list[float] = []
    for _ in range(repeats):
        feed.fire(tone_s)
        wait_for(feed.done.is_set, 10, "the tone")
        marks.append(feed.probed)
        end = recorder.elapsed + 0.2  # silence again before the next tone
        wait_for(lambda end=end: recorder.elapsed >= end, 10, "the gap")
    feed.probe = None
    clip = recorder.stop()
    lags: list[float] = []
    for mark in marks:
        lo = int(mark * clip.rate)
        onset, _ = onset_and_kept(clip.samples[lo : lo + int((tone_s + 0.2) * clip.rate)], clip.rate)
        if onset is None:
            raise SystemExit("a tone played into the warm recording is not in it")
        lags.append(onset)
    return lags


def first_sample_delay(turn: dict[str, float], latency_s: float) -> float:
    """Seconds from the press to the recording's first sample (upper bound, see the module doc)."""
    onset = turn["onset_s"]
    if onset is not None and onset > 0:
        return turn["feed_delay_s"] + latency_s - onset
    # started inside the tone (or after it: then the figure is a lower bound, the tone's length)
    return turn["feed_delay_s"] + latency_s + (turn["tone_s"] - turn["tone_kept_s"])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2, help="presses")
    parser.add_argument("--tone-s", type=float, default=TONE_S, help="the tone's length")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the recorder's warm-up")
    args = parser.parse_args(argv)
    print(json.dumps(turns(args.count, args.tone_s, warm_up=not args.no_warm_up)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
