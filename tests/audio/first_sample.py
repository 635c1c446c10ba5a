"""Press -> first kept sample: a tone is played into the virtual microphone at the press, and its onset
is found in the recording that press started.

Run as a child process, so the first press is the first of a fresh process, as after a launch
(``python -m tests.audio.first_sample --count N``); it prints one JSON object. The recorder is built
the way the app builds it at start-up (:func:`tui.room.wiring.open_audio`, which warms it up), and a
press is what the room does on one: ``Recorder.start`` (or, with ``--room``, the room's own key).

The feed runs in a process of its own (:class:`Feeder`), so the measured process opens no sound
stream before its first press: an output stream on ``virtual_mic_feed`` writes silence, and on each
press the tone from its first sample, in 5 ms blocks. It notes when the tone's first sample is due
to play (the callback's time plus the output's own buffer, as PortAudio reports it): ``press ->
plays`` is the feed's delay, measured on every press.

After the presses, the devices' remaining latency (from the tone playing into the feed until it
reaches the microphone) is measured with the same feed on a warm input stream: the stream has been
running for a while, a tone is fired, and the tone's onset in what the stream delivered minus the
audio it had delivered when the tone was due to play is that latency. It counts the input's
buffering too (samples taken but not yet delivered: 5 ms blocks, so a few ms), so the press -> first
sample figures are upper bounds by that much.

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
FEED_LATENCY_S = 0.1
"""The feed's buffer: enough not to run dry on a loaded machine (its latency is measured and taken off)."""
TONE_S = 0.6
"""The tone's length: a recording that starts this late keeps none of it (``turns`` takes another)."""
TONE_HZ = 1000.0
TONE_LEVEL = 0.5
ONSET_LEVEL = 0.1
"""A recorded sample above this is the tone (the virtual microphone is digital silence otherwise)."""


class ToneFeed:
    """A running output stream on the virtual microphone's feed that plays one tone per :meth:`fire`
    (in the feeder process: see :class:`Feeder`)."""

    def __init__(self, device: str = "virtual_mic_feed", tone_s: float = TONE_S) -> None:
        import sounddevice as sd

        t = np.arange(int(tone_s * RATE)) / RATE
        self.tone = (TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        self._pos = -1  # -1: silence; else the next tone sample to write
        self._end = self.tone.size
        self._lock = threading.Lock()
        self.plays_at = 0.0
        self.done = threading.Event()
        self.running = threading.Event()
        self.underflows = 0
        """Times the feed ran dry (then the tone played late, or with gaps)."""
        self._stream = sd.OutputStream(
            device=device,
            samplerate=RATE,
            channels=1,
            dtype="float32",
            blocksize=FEED_BLOCK,
            latency=FEED_LATENCY_S,
            callback=self._callback,
        )
        self._stream.start()

    def fire(self, seconds: float | None = None) -> float:
        """Play the tone (its first ``seconds``) from the next block; returns the time of the call
        (``time.perf_counter``)."""
        now = time.perf_counter()
        with self._lock:
            self.done.clear()
            self.plays_at = 0.0
            self._end = self.tone.size if seconds is None else min(self.tone.size, int(seconds * RATE))
            self._pos = 0
        return now

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        self.running.set()
        if status.output_underflow:
            self.underflows += 1
        outdata.fill(0)
        with self._lock:
            if self._pos < 0:
                return
            if self._pos == 0:  # when it will play: the output's own buffer varies (90-130 ms)
                ahead = time_info.outputBufferDacTime - time_info.currentTime
                self.plays_at = time.perf_counter() + (ahead if 0 < ahead < 1 else 0.0)
            part = self.tone[self._pos : min(self._end, self._pos + frames)]
            outdata[: part.size, 0] = part
            self._pos += part.size
            if self._pos >= self._end:
                self._pos = -1
                self.done.set()


class Feeder:
    """The :class:`ToneFeed` in its own process (``--feeder``), so that nothing in the measured process
    opens a sound stream before its first press (the first stream a process opens is the slow one).
    Times are ``time.perf_counter`` (the system's monotonic clock: the same in both processes)."""

    def __init__(self, tone_s: float = TONE_S) -> None:
        import subprocess

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.audio.first_sample", "--feeder", "--tone-s", str(tone_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.running = threading.Event()
        self.done = threading.Event()
        self.plays_at = 0.0
        self.underflows = 0
        self._reader = threading.Thread(target=self._read, name="feeder-reader", daemon=True)
        self._reader.start()

    def fire(self, seconds: float | None = None) -> float:
        """Ask for the tone (its first ``seconds``); returns the time of the call."""
        assert self._proc.stdin is not None
        self.done.clear()
        now = time.perf_counter()
        self._proc.stdin.write(f"fire {seconds if seconds is not None else ''}\n")
        self._proc.stdin.flush()
        return now

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(10)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            words = line.split()
            if words[:1] == ["ready"]:
                self.running.set()
            elif words[:1] == ["done"]:
                self.plays_at, self.underflows = float(words[1]), int(words[2])
                self.done.set()


def feeder_main(tone_s: float) -> None:
    feed = ToneFeed(tone_s=tone_s)
    wait_for(feed.running.is_set, 10, "the feed")
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        feed.fire(float(words[1]) if len(words) > 1 else None)
        wait_for(feed.done.is_set, 10, "the tone")
        print(f"done {feed.plays_at!r} {feed.underflows}", flush=True)
    feed.close()


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


class RecorderPress:
    """A press as the recorder sees it: ``Recorder.start`` (the room calls it on a key press)."""

    def __init__(self, recorder: Any, folder: Path) -> None:
        self.recorder, self.folder, self.count = recorder, folder, 0

    def press(self) -> None:
        self.count += 1
        self.recorder.start(self.folder / f"turn-{self.count:03d}.flac")

    def release(self) -> Any:
        return self.recorder.stop()

    def close(self) -> None:
        self.recorder.close()


class RoomPress:
    """A key press in the app's room (:func:`tui.room.wiring.build_room`, a new session in the data
    dir): ``Room.toggle``, which reserves the recording's name in the session, starts the live
    transcription and the recorder. Transcription goes to a closed port and there is no agent or
    speech: each turn fails at once after its recording is saved, which is all a press needs."""

    def __init__(self, input_device: str, data_dir: Path) -> None:
        from tests.standin import closed_url
        from tui.config import Secret, Settings
        from tui.room.wiring import build_room

        settings = Settings(backend="mistral", api_key=Secret("test-key"), server_url=closed_url())
        settings.data_dir, settings.retry_max_s = data_dir, 0.0
        settings.agent.backend = settings.speech.backend = "none"
        settings.audio.input_device = input_device
        settings.audio.output_device = "virtual_speaker"
        settings.hotkey.debounce_ms = 0
        self.room = build_room(settings)
        if self.room.recorder is None:
            raise SystemExit(f"no recorder: {self.room.problems}")
        if self.room.backends is not None:  # as the app does at start-up (Meeting.warm_up)
            self.room.backends.warm_up()
        self.recorder = self.room.recorder

    def press(self) -> None:
        self.room.toggle("key")
        if not self.recorder.recording:
            raise SystemExit(f"the press did not start a recording: {self.room.problems}")

    def release(self) -> Any:
        from tui.audio.clip import load_clip

        self.room.toggle("key")
        if not self.room.wait_idle(60):
            raise SystemExit("the room did not finish the turn")
        return load_clip(self.recorder.path)

    def close(self) -> None:
        self.room.close()


def turns(
    n: int,
    tone_s: float = TONE_S,
    *,
    warm_up: bool = True,
    room: bool = False,
    repeats: int = 5,
    input_device: str = "virtual_mic",
) -> dict[str, Any]:
    """``n`` presses, each with a tone of ``tone_s`` fired at the press, in this (fresh) process; then
    the devices' latency, measured with the same feed and recorder (see :func:`latency`). ``room``:
    the presses are the room's (:class:`RoomPress`), else the recorder's (:class:`RecorderPress`)."""
    out: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        feed = Feeder(tone_s=tone_s)
        presser: RecorderPress | RoomPress
        if room:
            presser = RoomPress(input_device, Path(tmp) / "data")
        else:
            presser = RecorderPress(_room_audio(input_device, Path(tmp), warm_up=warm_up), Path(tmp))
        recorder = presser.recorder
        wait_for(feed.running.is_set, 10, "the feed")
        try:
            for _ in range(n):
                pressed = feed.fire()
                presser.press()
                started = time.perf_counter()
                wait_for(feed.done.is_set, 10, "the tone")
                # the tone's end reaches the recording a latency later: 0.4 s is many latencies
                wait_for(lambda: recorder.elapsed >= tone_s + 0.4, 10, "the recording")
                clip = presser.release()
                onset, kept = onset_and_kept(clip.samples, clip.rate)
                out.append(
                    {
                        "start_call_s": started - pressed,
                        "feed_delay_s": feed.plays_at - pressed,
                        "onset_s": onset,
                        "tone_kept_s": kept,
                        "tone_s": tone_s,
                        "feed_underflows": feed.underflows,
                    }
                )
            lags = latency(feed, input_device, repeats)
        finally:
            feed.close()
            presser.close()
    return {"turns": out, "latency_s": statistics.median(lags), "latencies_s": lags}


def latency(feed: Feeder, input_device: str, repeats: int, tone_s: float = 0.25) -> list[float]:
    """The devices' latency from the tone playing into the feed until it reaches the microphone, for
    ``repeats`` tones (it varies by a render period of the virtual sink from tone to tone). Measured
    on an input stream running for 0.5 s with 5 ms blocks: the audio it has delivered when the tone
    plays trails what the microphone has taken by at most a block or two, so the latency is
    over-estimated by that much. Measured after the presses, so they were the process's first."""
    import sounddevice as sd

    blocks: list[np.ndarray] = []
    timeline: list[tuple[float, int]] = []  # (time of a callback, samples delivered by its end)
    delivered = [0]

    def callback(indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        blocks.append(indata[:, 0].copy())
        delivered[0] += frames
        timeline.append((time.perf_counter(), delivered[0]))

    marks: list[float] = []
    with sd.InputStream(
        device=input_device,
        samplerate=RATE,
        channels=1,
        dtype="float32",
        blocksize=FEED_BLOCK,
        latency="low",
        callback=callback,
    ):
        wait_for(lambda: delivered[0] >= RATE // 2, 10, "the warm stream")
        for _ in range(repeats):
            feed.fire(tone_s)
            wait_for(feed.done.is_set, 10, "the tone")
            # audio delivered when the tone started playing
            marks.append(max((n for t, n in list(timeline) if t <= feed.plays_at), default=0) / RATE)
            end = delivered[0] + int(0.2 * RATE)  # silence again before the next tone
            wait_for(lambda end=end: delivered[0] >= end, 10, "the gap")
    samples = np.concatenate(blocks)
    lags: list[float] = []
    for mark in marks:
        lo = int(mark * RATE)
        onset, _ = onset_and_kept(samples[lo : lo + int((tone_s + 0.2) * RATE)], RATE)
        if onset is None:
            raise SystemExit("a tone played into the running input stream is not in it")
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
    parser.add_argument("--room", action="store_true", help="press the room's key (Room.toggle)")
    parser.add_argument("--feeder", action="store_true", help="be the feed process (see Feeder)")
    args = parser.parse_args(argv)
    if args.feeder:
        feeder_main(args.tone_s)
        return
    result = turns(args.count, args.tone_s, warm_up=not args.no_warm_up, room=args.room)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
