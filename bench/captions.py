"""Caption delay: from the moment a word has been said (its end in the clip) to its appearance as
caption text in the app's transcript pane, online and offline side by side in one run.

Usage: ``python bench/captions.py [--runs N] [--busy N] [--clips NAME ...] [--modes MODE ...]
[--verbose] [--write]``. ``--verbose`` prints each word's delays in each run (and the word the
caption first held in its place) and each caption the pane showed (seconds from the start of the
clip), to see which word came late and why. ``--write`` needs every clip and mode.

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

At each poll the caption's words are aligned (difflib) to the clip's words begun by then (a word
not yet begun cannot be on screen, so a repeated word is never matched to its later repeat). Two
delays per word:

- shown: the first poll where the caption holds the word, or a close variant of it ("heartily" for
  "heartly"), or another word in its place, one for one between two words it holds ("less hotly
  so" for "less heartly so": the word is on screen as Whisper heard it then);
- spelled right: the first poll where the caption holds the word or a close variant.

A word the caption never holds in its place (Whisper dropped it) counts in neither.
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
from dataclasses import dataclass
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


@dataclass
class Run:
    """One recording's caption delays, for each token of the clip's words (None: never)."""

    shown: list[float | None]
    """Seconds from the word's end to the first poll where the caption held a word in its place:
    the word itself (or a close variant), or another word between two words shown right, one for
    one (Whisper's hearing then, e.g. "hotly" for "heartly")."""
    right: list[float | None]
    """Seconds from the word's end to the first poll where the caption held the word itself."""
    first_as: list[str | None]
    """The caption's word in its place at that first poll."""
    cpu: float
    """The process's CPU seconds per second of recording."""
    lines_s: float
    """Seconds from the key press that stops the recording to the turn's lines in the pane."""


async def caption_times(
    settings: Settings,
    clip: Clip,
    ref: list[Word],
    *,
    windows_only: bool = False,
    trace: list[tuple[float, str]] | None = None,
) -> Run:
    """One recording of ``clip`` in the app, with the caption delay of each word of ``ref`` (each
    of its tokens). ``trace`` gets each caption the pane showed, with its seconds from the start of
    the clip."""
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
    tokens = [(token, w.start, w.end) for w in ref for token in norm(w.text)]
    names = [token for token, _start, _end in tokens]
    shown_at: list[float | None] = [None] * len(tokens)
    right_at: list[float | None] = [None] * len(tokens)
    first_as: list[str | None] = [None] * len(tokens)
    app = VoxroomApp(settings, room=room, hotkey=False, warm_up=False)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            pane = app.main.transcript_pane
            # Pilot's press waits for the process to look idle (up to 2 s while Whisper or the
            # socket's threads work) after sending the key: the polls run alongside it.
            press = asyncio.create_task(pilot.press("space"))
            while app.main.recording_pane.state != RECORDING:
                await pilot.pause(POLL_S)
            cpu0 = time.process_time()
            end = recorder.started_at + heard.duration
            while time.monotonic() < end:
                await pilot.pause(POLL_S)
                at = time.monotonic() - recorder.started_at
                text = " ".join(pane.captions)
                if trace is not None and (not trace or trace[-1][1] != text):
                    trace.append((at, text))
                said = sum(1 for _token, start, _end in tokens if start < at)  # words begun by now
                shown = [spelled(token, names) for token in norm(text)]
                right, placed = align(names[:said], shown)
                for i in right:
                    if right_at[i] is None:
                        right_at[i] = at
                for i, j in [*((i, None) for i in right), *placed]:
                    if shown_at[i] is None:
                        shown_at[i] = at
                        first_as[i] = names[i] if j is None else shown[j]
            cpu = (time.process_time() - cpu0) / heard.duration
            await press
            stopped = time.monotonic()
            press = asyncio.create_task(pilot.press("space"))
            while not pane.lines or pane.captions:
                await pilot.pause(POLL_S)
            lines_s = time.monotonic() - stopped
            await press
            while app.main.turns_finished < 1 or app.main.recording_pane.state != IDLE:
                await pilot.pause(0.05)
    finally:
        room.close()
    ends = [end for _token, _start, end in tokens]
    return Run(
        shown=[None if at is None else at - end for at, end in zip(shown_at, ends, strict=True)],
        right=[None if at is None else at - end for at, end in zip(right_at, ends, strict=True)],
        first_as=first_as,
        cpu=cpu,
        lines_s=lines_s,
    )


def align(said: list[str], shown: list[str]) -> tuple[list[int], list[tuple[int, int]]]:
    """The caption's words ``shown`` against the clip's words ``said`` so far: the indices of
    ``said`` the caption holds, and (index of ``said``, index of ``shown``) for each other word the
    caption holds in a word's place, one for one between two words it holds (a word heard as
    another: "less hotly so" for "less heartly so")."""
    matcher = difflib.SequenceMatcher(None, said, shown, autojunk=False)
    ops = matcher.get_opcodes()
    right = [i for tag, i1, i2, _j1, _j2 in ops if tag == "equal" for i in range(i1, i2)]
    placed = [
        (i1 + k, j1 + k)
        for n, (tag, i1, i2, j1, j2) in enumerate(ops)
        if tag == "replace" and i2 - i1 == j2 - j1 and 0 < n < len(ops) - 1
        for k in range(i2 - i1)
    ]
    return right, placed


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


def print_run(
    name: str,
    mode: str,
    run_index: int,
    ref: list[Word],
    run: Run,
    trace: list[tuple[float, str]],
    load: float,
) -> None:
    """One run's words (end in the clip; delay until in its place, as what; delay until spelled
    right; late ones marked) and the captions it showed."""
    print(f"\n{name}, {mode}, run {run_index + 1}: CPU {run.cpu * 100:.0f} % of a core, load {load:.1f}")
    tokens = [(token, w.end) for w in ref for token in norm(w.text)]
    rows = zip(tokens, run.shown, run.first_as, run.right, strict=True)
    for (token, end), shown, first_as, right in rows:
        late = [d for d in (shown, right) if d is not None and d > GOALS[mode]]
        mark = " never" if right is None else (" LATE" if late else "")
        heard = "" if first_as in (None, token) else f" as {first_as!r}"
        print(f"  {token:>14} ends {end:6.2f} s  shown {seconds(shown)}{heard}  right {seconds(right)}{mark}")
    print("  captions shown (s from the clip's start):")
    for at, text in trace:
        print(f"  {at:6.2f}  {text[-150:]}")


def seconds(delay: float | None) -> str:
    return "    -" if delay is None else f"{delay:5.2f}"


def summary(delays: list[float | None], goal: float) -> dict[str, float]:
    shown = sorted(d for d in delays if d is not None)
    if not shown:
        return {"coverage": 0.0, "late": 0.0}
    return {
        "coverage": len(shown) / len(delays),
        "median": statistics.median(shown),
        "p90": shown[min(len(shown) - 1, int(0.9 * len(shown)))],
        "max": shown[-1],
        "late": sum(1 for d in shown if d > goal),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes to run")
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/README.md")
    parser.add_argument("--clips", nargs="+", choices=CLIPS, default=list(CLIPS), help="clips to run")
    parser.add_argument("--modes", nargs="+", choices=list(GOALS), default=list(GOALS), help="modes to run")
    parser.add_argument("--verbose", action="store_true", help="print each word's delays and each caption")
    args = parser.parse_args()
    if args.write and (set(args.clips) != set(CLIPS) or set(args.modes) != set(GOALS)):
        parser.error("--write needs every clip and mode")
    loads = [os.getloadavg()[0]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.clips:
            clip = load_clip(ROOT / "tests" / "data" / "audio" / name).at_rate(RATE)
            ref = reference_words(clip)
            modes = [mode for mode in GOALS if mode in args.modes]
            results: dict[str, list[Run]] = {mode: [] for mode in modes}
            online_cm = online_settings(ref, tmp) if "online" in modes else contextlib.nullcontext(None)
            with online_cm as online, BusyLoad(args.busy):
                offline = offline_settings(tmp)
                for run_index in range(args.runs):
                    for mode in modes:
                        settings = online if mode == "online" else offline
                        trace: list[tuple[float, str]] = []
                        only = mode == WINDOWS_ONLY
                        run = asyncio.run(caption_times(settings, clip, ref, windows_only=only, trace=trace))
                        results[mode].append(run)
                        loads.append(os.getloadavg()[0])
                        if args.verbose:
                            print_run(name, mode, run_index, ref, run, trace, loads[-1])
            for mode, runs in results.items():
                shown = summary([d for r in runs for d in r.shown], GOALS[mode])
                right = summary([d for r in runs for d in r.right], GOALS[mode])
                cpu = statistics.median(r.cpu for r in runs)
                stop_s = statistics.median(r.lines_s for r in runs)
                rows.append((name, clip.duration, len(ref), mode, shown, right, cpu, stop_s))
    header = (
        "| clip | words | mode | captioned | median delay | p90 | max | goal | spelled as in the transcript: "
        "captioned, p90, max (words over the goal) | CPU of the app while recording | stop -> lines in "
        "the caption's place |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, duration, count, mode, shown, right, cpu, stop_s in rows:
        cells = (
            f"{shown['median']:.2f} s | {shown['p90']:.2f} s | **{shown['max']:.2f} s**"
            if "median" in shown
            else "- | - | -"
        )
        spelled_right = "-"
        if "median" in right:
            late = f"{right['late']:.0f}"
            spelled_right = (
                f"{right['coverage'] * 100:.0f} %, {right['p90']:.2f} s, {right['max']:.2f} s ({late})"
            )
        lines.append(
            f"| {name} ({duration:.1f} s) | {count} | {mode} | {shown['coverage'] * 100:.0f} % | {cells} "
            f"| at most {GOALS[mode]:g} s | {spelled_right} | {cpu * 100:.0f} % of a core | {stop_s:.2f} s |"
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
clip) to the first poll where the caption holds it, over every word of every run. At each poll the
caption is aligned to the clip's words begun by then (a repeated word is not matched to a repeat
not said yet). The polls run alongside the key presses: Textual's Pilot `press` then waits up to
2 s for the process to look idle, which it does not while Whisper or the socket's threads work (a
poll after the press saw online words up to 1.7 s late, and "stop -> lines" up to 0.5 s longer).
`--verbose` prints every word's delays and every caption shown.

- online: the stand-in in its own process through the real SDK's realtime socket, sending each word
  once the audio received holds its end plus `target_streaming_delay_ms` (240 ms, the default): 0.24 s
  of each online delay is the modelled service, the rest is Voxroom's (audio blocks, socket, events,
  pane).
- offline: faster-whisper tiny.en, int8, 2 threads, the room's `StreamingTranscription`: 6 s windows
  settle sentences, and a caption pass hears the unsettled audio after each 1 s of audio (using at
  most half a core on average).
- offline, windows only: the same room without the caption passes (a caption then holds only the
  sentences each window settled), for comparison.

Two delays per word. "Median delay", "p90", "max" (the goal's column): until the caption holds the
word in its place: the word, a close variant ("heartily" for "heartly"), or the word Whisper heard
there then, one for one between two words shown right. "Spelled as in the transcript": until the
caption holds the word or a close variant; the words over the goal there are Whisper revising a
word it first heard as another. On endgame that is "heartly" (said 5.8-6.1 s): every pass before
the line's repeat ("laugh less heartly", 9.0-9.7 s) hears "hotly", shown about 1 s after the word;
the 6 s window after the repeat spells it "heartly", 4.1-4.7 s after (load 1 to 6). On the
clip's audio from 4.24 s (or from 1.24 s) to 6.5, 7, 7.5, 8, 8.5 or 9 s, tiny.en says "hotly"
whatever the pass (caption or full, trimmed or stock 30 s encoder, beam 1 or 5), and "heartly" once
the audio reaches 9.5 s, 3.4 s after the word: no caption schedule spells it right within 3 s.
"Captioned": the share of the clip's words the caption held in their place before the stop (the
others come with the transcript: offline, a caption pass now and then drops a word, such as
endgame's "are" before "that's a good story").

"Max" is the worst single word: on a loaded machine a caption pass takes longer in wall time, and a
word said just after one starts waits for the next. CPU: the app process's CPU time while recording,
per second of recording. "Stop -> lines": from the key press that stops the recording to the turn's
transcript lines shown in the caption's place (medians; online the stand-in answers at once;
offline it is Whisper's tail pass and diarization, plus any pass under way at the press).

{table}
"""


if __name__ == "__main__":
    raise SystemExit(main())
