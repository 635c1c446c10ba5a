"""Caption delay: from the moment a word has been said (its end in the clip) to its appearance as
caption text in the app's transcript pane, online and offline side by side in one run.

Usage: ``python bench/captions.py [--runs N] [--busy N] [--write]``.

Both columns run the real app headless (``VoxroomApp.run_test``) with the room the app builds
(``live_transcription``) and a :class:`tui.testing.FileRecorder` that "hears" the clip at its real
pace (then 2 s of silence, as a microphone goes on hearing the room); a Pilot loop reads the pane's
captions every 10 ms. Word positions: Whisper's word timestamps on the whole clip.

- online: the stand-in Mistral server (its own process) through the real SDK's realtime socket,
  scripted with those words and their ends: each word's delta goes out once the audio received
  holds its end plus ``target_streaming_delay_ms`` (Voxroom's default 240 ms), the service's
  target delay; what is measured beyond that is Voxroom's (audio blocks, socket, events, pane).
- offline: faster-whisper tiny.en on this machine's CPU (``StreamingTranscription`` with the room's
  6 s windows and a caption pass each 1 s of audio, using at most half a core on average).

A caption word counts from the first poll where it is in the caption (aligned to the clip's words
with difflib; a close variant of a word, such as "heartily" for "heartly", counts as that word).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import multiprocessing as mp
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_readme import write_section  # noqa: E402
from bench.latency import BusyLoad, served_settings  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.config import Settings, load_settings  # noqa: E402
from tui.model import Word  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

RATE = 16_000
CLIPS = ("beckett.wav", "endgame_nagg_nell.wav")
TAIL_S = 2.0
"""Silence heard after the clip, so the last words can still be captioned before the stop."""
POLL_S = 0.01
WINDOWS_ONLY = "offline, windows only"
"""The offline comparison: the same room with no caption passes, so a caption is only the sentences
each 6 s window settled."""
GOALS = {"online": 0.6, "offline": 3.0, WINDOWS_ONLY: 3.0}


def norm(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


class TimedRecorder(FileRecorder):
    """A FileRecorder that notes when it began hearing the clip (``time.monotonic()``)."""

    started_at = 0.0

    def start(self, path: Path) -> Path:
        self.started_at = time.monotonic()
        return super().start(path)


def reference_words(clip: Clip) -> list[Word]:
    from tui.stt.offline import WhisperTranscriber

    transcriber = WhisperTranscriber(Settings(backend="offline"))
    words = transcriber.transcribe_words(clip).words
    return [w for w in words if norm(w.text)]


def serve(words: list[Word], urls: mp.Queue, stop: Any) -> None:  # type: ignore[type-arg]
    """The stand-in in its own process, answering every realtime session with ``words``."""
    from tests.standin import MistralStandIn, Reply, TranscriptionScript

    text = " ".join(w.text.strip() for w in words)
    with MistralStandIn() as server:
        server.script(
            TranscriptionScript(text=text, word_ends=tuple(w.end for w in words)),
            Reply(text="Noted."),
            repeat=True,
        )
        urls.put(server.url)
        stop.wait()


@contextlib.contextmanager
def online_settings(words: list[Word], folder: str) -> Iterator[Settings]:
    with served_settings(serve, (words,), str(Path(folder) / "online"), folder) as settings:
        yield settings


def offline_settings(folder: str) -> Settings:
    return load_settings(
        env={"VOXROOM_CONFIG": str(Path(folder) / "none.toml")},
        overrides={"backend": "offline", "data_dir": str(Path(folder) / "offline")},
    )


async def caption_times(
    settings: Settings, clip: Clip, ref: list[Word], *, windows_only: bool = False
) -> tuple[list[float | None], float, float]:
    """One recording of ``clip`` in the app: for each word of ``ref`` (each of its tokens), the
    seconds from its end in the clip to its first appearance in the caption (None: never
    captioned); the process's CPU seconds per second of recording; and the seconds from the key
    press that stops the recording to the turn's lines in the pane in the caption's place."""
    from tui.app import VoxroomApp
    from tui.backends import make_backends
    from tui.room import IDLE, RECORDING, Room
    from tui.room.wiring import live_transcription, new_log

    backends = make_backends(settings)
    backends.warm_up()  # the app does this at start-up
    heard = Clip(np.concatenate([clip.samples, np.zeros(int(TAIL_S * clip.rate), np.float32)]), clip.rate)
    recorder = TimedRecorder(heard, realtime=True)
    room = Room(
        recorder=recorder,
        runner=backends.runner(settings),
        player=None,
        log=new_log(settings, backends),
        live=windows_live(backends) if windows_only else live_transcription(settings, backends),
        backends=backends,
        debounce_s=0.0,
    )
    tokens = [(token, w.end) for w in ref for token in norm(w.text)]
    names = [token for token, _end in tokens]
    seen: list[float | None] = [None] * len(tokens)
    app = VoxroomApp(settings, room=room, hotkey=False, warm_up=False)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            pane = app.main.transcript_pane
            await pilot.press("space")
            while app.main.recording_pane.state != RECORDING:
                await pilot.pause(POLL_S)
            cpu0 = time.process_time()
            end = recorder.started_at + heard.duration
            while time.monotonic() < end:
                await pilot.pause(POLL_S)
                now = time.monotonic()
                shown = [spelled(token, names) for token in norm(" ".join(pane.captions))]
                matcher = difflib.SequenceMatcher(None, names, shown, autojunk=False)
                for block in matcher.get_matching_blocks():
                    for i in range(block.a, block.a + block.size):
                        if seen[i] is None:
                            seen[i] = now - recorder.started_at
            cpu = (time.process_time() - cpu0) / heard.duration
            stopped = time.monotonic()
            await pilot.press("space")
            while not pane.lines or pane.captions:
                await pilot.pause(POLL_S)
            lines_s = time.monotonic() - stopped
            while app.main.turns_finished < 1 or app.main.recording_pane.state != IDLE:
                await pilot.pause(0.05)
    finally:
        room.close()
    delays = [None if at is None else at - end for at, (_t, end) in zip(seen, tokens, strict=True)]
    return delays, cpu, lines_s


def spelled(token: str, names: list[str]) -> str:
    """``token`` as the clip's words spell it when it is a close variant of one ("heartily" for
    "heartly"): the word is on screen, as Whisper heard it then."""
    if token in names:
        return token
    close = difflib.get_close_matches(token, names, n=1, cutoff=0.8)
    return close[0] if close else token


def windows_live(backends: Any) -> Any:
    """The room's offline live transcription without caption passes."""
    from tui.stt.live import RATE as LIVE_RATE
    from tui.stt.streaming import StreamingTranscription

    return lambda _refs: StreamingTranscription(backends.transcriber, LIVE_RATE, window_s=6.0, settle_s=1.5)


def summary(delays: list[float | None]) -> dict[str, float]:
    shown = sorted(d for d in delays if d is not None)
    if not shown:
        return {"coverage": 0.0}
    return {
        "coverage": len(shown) / len(delays),
        "median": statistics.median(shown),
        "p90": shown[min(len(shown) - 1, int(0.9 * len(shown)))],
        "max": shown[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes to run")
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/README.md")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in CLIPS:
            clip = load_clip(ROOT / "tests" / "data" / "audio" / name).at_rate(RATE)
            ref = reference_words(clip)
            results: dict[str, tuple[list[float | None], list[float], list[float]]] = {
                mode: ([], [], []) for mode in GOALS
            }
            with online_settings(ref, tmp) as online, BusyLoad(args.busy):
                offline = offline_settings(tmp)
                for _ in range(args.runs):
                    for mode, settings in (("online", online), ("offline", offline), (WINDOWS_ONLY, offline)):
                        windows_only = mode == WINDOWS_ONLY
                        run = caption_times(settings, clip, ref, windows_only=windows_only)
                        delays, cpu, lines_s = asyncio.run(run)
                        results[mode][0].extend(delays)
                        results[mode][1].append(cpu)
                        results[mode][2].append(lines_s)
                        loads.append(os.getloadavg()[0])
            for mode, (delays, cpus, stops) in results.items():
                med = statistics.median
                rows.append((name, clip.duration, len(ref), mode, summary(delays), med(cpus), med(stops)))
    header = (
        "| clip | words | mode | captioned | median delay | p90 | max | goal | CPU of the app "
        "while recording | stop -> lines in the caption's place |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    for name, seconds, count, mode, s, cpu, stop_s in rows:
        cells = (
            f"{s['median']:.2f} s | {s['p90']:.2f} s | **{s['max']:.2f} s**" if "median" in s else "- | - | -"
        )
        lines.append(
            f"| {name} ({seconds:.1f} s) | {count} | {mode} | {s['coverage'] * 100:.0f} % | {cells} "
            f"| at most {GOALS[mode]:g} s | {cpu * 100:.0f} % of a core | {stop_s:.2f} s |"
        )
    table = "\n".join(lines)
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    print(f"{args.runs} runs per clip and mode; busy processes {args.busy}; 1-minute load average {load}")
    print(table)
    if args.write:
        write_section("Caption delay", SECTION.format(runs=args.runs, busy=args.busy, load=load, table=table))
    return 0


SECTION = """## Caption delay

`bench/captions.py` ({runs} runs per clip and mode, the modes alternating in one run; x86_64, 2 CPUs
shared with other jobs; {busy} extra CPU-bound processes; 1-minute load average {load} while
measuring). The real app headless (`VoxroomApp.run_test`) with the room it builds; a `FileRecorder`
hears the clip at its real pace, then 2 s of silence; a Pilot loop reads the transcript pane's
captions every 10 ms. Delay: from a word's end in the clip (Whisper's word timestamps on the whole
clip) to the first poll where the caption holds it, over every word of every run.

- online: the stand-in in its own process through the real SDK's realtime socket, sending each word
  once the audio received holds its end plus `target_streaming_delay_ms` (240 ms, the default): 0.24 s
  of each online delay is the modelled service, the rest is Voxroom's (audio blocks, socket, events,
  pane).
- offline: faster-whisper tiny.en, int8, 2 threads, the room's `StreamingTranscription`: 6 s windows
  settle sentences, and a caption pass hears the unsettled audio after each 1 s of audio (using at
  most half a core on average).
- offline, windows only: the same room without the caption passes (a caption then holds only the
  sentences each window settled), for comparison.

"Captioned": the share of the clip's words that showed in a caption before the stop (the others come
with the transcript; offline, Whisper may caption a word as another until a later pass). "Max" is the
worst single word: on a loaded machine a caption pass takes longer in wall time, and a word said just
after one starts waits for the next. CPU: the app process's CPU time while recording, per second of
recording. "Stop -> lines": from the key press that stops the recording to the turn's transcript
lines shown in the caption's place (medians; online the stand-in answers at once; offline it is
Whisper's tail pass and diarization, plus any pass under way at the press).

{table}
"""


if __name__ == "__main__":
    raise SystemExit(main())
