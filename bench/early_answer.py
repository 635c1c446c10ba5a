"""The early (speculative) answer: first reply audio after the key press with it and without it
(today's path, ``transcription.realtime_early_answer = false``), side by side in one run, and the
early agent calls it costs per turn on a scripted meeting.

Runs against the stand-in Mistral server in its own process (latency profiles of
``bench/latency.py`` plus the realtime tail of ``bench/realtime.py``), through the real SDK and the
real room (``tui.room.Room`` with ``live_transcription``, a ``FileRecorder`` heard at its real pace,
a player that plays in simulated real time), timed from the key press that stops the recording to
the first block handed to the player.
Usage: ``python bench/early_answer.py [--runs N] [--profiles fast,slow] [--write]``.

Cases (the question's 16 words come as the speech goes, the last 0.1 s before its end):

- finished 1 s before the press: the service says the turn ended 0.5 s after the last word;
- key with the last word, live text whole: every word is out at the press, the service had no time
  to end the turn;
- key with the last word, live text short: the last two words come only in the tail
  (``late_words=2``), so the early answer asked at the press is on the wrong words and discarded.

The meeting: ten questions of one to four stretches of speech with pauses between them, each pause
of 0.5 s or more taken by the service as the end (``turn.end``) and the speech after it as a
resumption (``turn.resume``), the live text coming as it is spoken; the key pressed 0 to 2 s after
the last word. One room, one session: each turn's early answer branches from the last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_readme import write_section  # noqa: E402
from bench.latency import PROFILES, REPLY, BusyLoad, floor_seconds  # noqa: E402
from bench.realtime import TAILS, RoomSink, utterance  # noqa: E402
from tests.standin import (  # noqa: E402
    LatencyProfile,
    MistralStandIn,
    Reply,
    ScriptedSegment,
    ScriptedTurn,
    TranscriptionScript,
)
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import Settings, load_settings  # noqa: E402
from tui.lifecycle import ScratchLog  # noqa: E402
from tui.room import Room, TurnFinished  # noqa: E402
from tui.room.wiring import live_transcription  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

RATE = 16_000
CASES = ("finished 1 s before", "last word, text whole", "last word, text short")
QUESTION = "Could you tell us how the quarterly numbers compare with last year and what drove them"
"""Sixteen words, said by one person."""


def _serve(profile: LatencyProfile, urls: mp.Queue, commands: mp.Queue, answers: mp.Queue, stop: Any) -> None:
    """The stand-in in its own process: scripts sent to it, its conversation store read back."""
    with MistralStandIn(latency=profile) as server:
        server.script(Reply(text=REPLY), repeat=True)
        urls.put(server.url)
        while not stop.is_set():
            try:
                kind, item = commands.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == "script":
                server.script(item)
            else:
                answers.put(
                    {key: [e["type"] for e in entries] for key, entries in server.conversations.items()}
                )


@dataclass
class StandIn:
    settings: Settings
    commands: mp.Queue  # type: ignore[type-arg]
    answers: mp.Queue  # type: ignore[type-arg]

    def script(self, item: TranscriptionScript) -> None:
        self.commands.put(("script", item))

    def conversations(self) -> dict[str, list[str]]:
        self.commands.put(("conversations", None))
        return self.answers.get(timeout=10)

    def with_early(self, early: bool) -> Settings:
        settings = replace(self.settings, transcription=replace(self.settings.transcription))
        settings.transcription.realtime_early_answer = early
        return settings


@contextlib.contextmanager
def standin(profile: LatencyProfile, folder: str) -> Iterator[StandIn]:
    urls: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    commands: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    answers: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    stop = mp.Event()
    proc = mp.Process(target=_serve, args=(profile, urls, commands, answers, stop), daemon=True)
    proc.start()
    try:
        url = urls.get(timeout=30)
        settings = load_settings(
            env={
                "MISTRAL_API_KEY": "bench-key",
                "MISTRAL_SERVER_URL": url,
                "VOXROOM_CONFIG": str(Path(folder) / "none.toml"),
            },
            overrides={"data_dir": folder},
        )
        yield StandIn(settings, commands, answers)
    finally:
        stop.set()
        proc.join(10)


def _room(settings: Settings, clip: Clip, events: list[TurnFinished]) -> tuple[Room, RoomSink]:
    backends = make_backends(settings)
    backends.warm_up()  # done at start-up in the app: client opened, agent ensured
    sink = RoomSink()
    room = Room(
        recorder=FileRecorder(clip, realtime=True),
        runner=backends.runner(settings),
        player=sink,  # type: ignore[arg-type]
        log=ScratchLog("bench"),
        live=live_transcription(settings, backends),
        backends=backends,
        debounce_s=0.0,
    )
    room.subscribe(lambda e: events.append(e) if isinstance(e, TurnFinished) else None)
    return room, sink


def _turn(room: Room, sink: RoomSink, clip: Clip, events: list[TurnFinished]) -> tuple[float, TurnFinished]:
    """Record ``clip`` at its pace, press at its end; (first audio after the press, the turn)."""
    count = len(events)
    sink.first_at = None
    room.toggle("bench")
    threading.Event().wait(clip.duration + 2 * FileRecorder.block_seconds)  # pace, not a synchronisation
    ended = time.perf_counter()
    room.toggle("bench")
    assert room.wait_idle(120), "the turn did not finish"
    assert len(events) == count + 1 and sink.first_at is not None, "no reply audio"
    return sink.first_at - ended, events[-1]


def one_turn(settings: Settings, clip: Clip) -> tuple[float, TurnFinished]:
    events: list[TurnFinished] = []
    room, sink = _room(settings, clip, events)
    try:
        return _turn(room, sink, clip, events)
    finally:
        room.close()


def case_script(case: str, clip: Clip) -> TranscriptionScript:
    """The question's words spread over the speech as it is spoken (the last one 0.1 s before its
    end; "text short": the last two only in the tail), and, when the speaker finished before the
    press, the service's ``turn.end`` 0.5 s after the last word."""
    words = QUESTION.split()
    pause = 1.0 if case == CASES[0] else 0.0
    speech = clip.duration - pause
    turns = [ScriptedTurn(speech * (i + 1) / len(words) - 0.1, "", i + 1) for i in range(len(words))]
    if case == CASES[0]:
        turns.append(ScriptedTurn(speech + END_AFTER_S, "turn.end"))
    segments = (ScriptedSegment(QUESTION, "speaker_1"),)
    return TranscriptionScript(segments=segments, late_words=2 if case == CASES[2] else 0, turns=tuple(turns))


# -- the meeting ---------------------------------------------------------------------------------

MEETING: tuple[tuple[tuple[float, ...], tuple[float, ...], float], ...] = (
    # (stretches of speech in seconds, the pauses between them, the pause before the press)
    ((3.0,), (), 1.0),
    ((2.0, 2.5), (1.0,), 1.0),
    ((4.0,), (), 0.0),
    ((1.5, 1.5, 2.0), (0.8, 1.2), 1.0),
    ((3.0,), (), 2.0),
    ((2.5, 3.0), (1.5,), 0.0),
    ((5.0,), (), 0.5),
    ((2.0, 1.0), (0.7,), 1.0),
    ((3.5,), (), 1.0),
    ((1.0, 1.0, 1.0, 1.0), (0.6, 0.6, 0.6), 1.0),
)
"""Ten questions: 8 pauses inside them (every one 0.6 s or more: taken as the end, then resumed)."""
END_AFTER_S = 0.5
"""The service's ``turn.end`` this long into a quiet stretch (its ``min_silence_ms``)."""


def meeting_question(
    source: np.ndarray, stretches: tuple[float, ...], pauses: tuple[float, ...], press: float
) -> tuple[Clip, TranscriptionScript]:
    """The audio of one question and the turn events the service sends for it: the words of each
    stretch as it is spoken, ``turn.end`` 0.5 s into each pause (with the words so far), a
    ``turn.resume`` when speech comes back, and the last ``turn.end`` when the press comes late
    enough for it."""
    words = QUESTION.split()
    total = sum(stretches)
    parts: list[np.ndarray] = []
    turns: list[ScriptedTurn] = []
    at, said, offset = 0.0, 0, 0
    for i, seconds in enumerate(stretches):
        n = int(seconds * RATE)
        parts.append(source[offset : offset + n])
        offset += n
        if i:
            turns.append(ScriptedTurn(at + 0.05, "turn.resume", said))
        said = len(words) if i == len(stretches) - 1 else round(len(words) * sum(stretches[: i + 1]) / total)
        at += seconds
        turns.append(ScriptedTurn(at - 0.1, "", said))  # the stretch's words, as it ends
        quiet = pauses[i] if i < len(pauses) else press
        parts.append(np.zeros(int(quiet * RATE), np.float32))
        if quiet >= END_AFTER_S + 0.05:
            turns.append(ScriptedTurn(at + END_AFTER_S, "turn.end", said))
        at += quiet
    segments = (ScriptedSegment(QUESTION, "speaker_1"),)
    return Clip(np.concatenate(parts).astype(np.float32), RATE), TranscriptionScript(
        segments=segments, turns=tuple(turns)
    )


def meeting(stand: StandIn) -> dict[str, Any]:
    source = load_clip(ROOT / "tests" / "data" / "audio" / "endgame_nagg_nell.wav").at_rate(RATE).samples
    events: list[TurnFinished] = []
    before = set(stand.conversations())  # the other rows' sessions
    clip, _script = meeting_question(source, *MEETING[0])
    room, sink = _room(stand.with_early(True), clip, events)
    calls, used, audio = [], 0, []
    try:
        for stretches, pauses, press in MEETING:
            clip, script = meeting_question(source, stretches, pauses, press)
            room.replace_audio(FileRecorder(clip, realtime=True), sink)  # type: ignore[arg-type]
            stand.script(script)
            first_audio, done = _turn(room, sink, clip, events)
            assert done.status == "done", done.error
            calls.append(done.early_calls)
            used += done.early_used
            audio.append(first_audio)
    finally:
        room.close()
    store = {k: v for k, v in stand.conversations().items() if k not in before}
    return {"calls": calls, "used": used, "first_audio": audio, "store": store}


def measure(args: argparse.Namespace) -> tuple[list[tuple], list[tuple], list[float]]:
    loads = [os.getloadavg()[0]]
    source = load_clip(ROOT / "tests" / "data" / "audio" / "beckett.wav")
    rows: list[tuple] = []
    meetings: list[tuple] = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = {
            (seconds, case): utterance(source, seconds, Path(tmp), 1.0 if case == CASES[0] else 0.0)
            for seconds in (10.0, 60.0)
            for case in CASES
        }
        for name in args.profiles.split(","):
            profile = replace(PROFILES[name], realtime_done=TAILS[name])
            floor = floor_seconds(profile, 0.0) - profile.transcription_fixed
            with standin(profile, tmp) as stand, BusyLoad(args.busy):
                stand.script(case_script(CASES[0], clips[(10.0, CASES[0])]))
                one_turn(stand.with_early(True), clips[(10.0, CASES[0])])  # warm-up, not counted
                for (seconds, case), clip in clips.items():
                    today, early, used, calls = [], [], 0, []
                    for _ in range(args.runs):
                        stand.script(case_script(case, clip))
                        today.append(one_turn(stand.with_early(False), clip)[0])
                        stand.script(case_script(case, clip))
                        first, done = one_turn(stand.with_early(True), clip)
                        early.append(first)
                        used += done.early_used
                        calls.append(done.early_calls)
                        loads.append(os.getloadavg()[0])
                    med = statistics.median
                    rows.append((name, seconds, case, floor, med(today), med(early), used, args.runs, calls))
                if not args.no_meeting:
                    meetings.append((name, meeting(stand)))
                    loads.append(os.getloadavg()[0])
    return rows, meetings, loads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profiles", default=",".join(TAILS), help="comma-separated: fast, slow")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes to run")
    parser.add_argument("--no-meeting", action="store_true", help="skip the scripted meeting")
    parser.add_argument("--save", help="also write the results to this JSON file")
    parser.add_argument("--load", nargs="*", help="report these saved results (in order) instead of running")
    parser.add_argument("--write", action="store_true", help="rewrite the section of bench/README.md")
    args = parser.parse_args()
    if args.load:
        saved = [json.loads(Path(f).read_text()) for f in args.load]
        rows = [tuple(r) for res in saved for r in res["rows"]]
        meetings = [tuple(m) for res in saved for m in res["meetings"]]
        loads = [x for res in saved for x in res["loads"]]
        runs, busy = saved[0]["runs"], saved[0]["busy"]
    else:
        rows, meetings, loads = measure(args)
        runs, busy = args.runs, args.busy
    if args.save:
        result = {"rows": rows, "meetings": meetings, "loads": loads, "runs": runs, "busy": busy}
        Path(args.save).write_text(json.dumps(result))
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    table, meeting_lines, goal = rows_table(rows), meeting_table(meetings), goals(rows)
    print(f"{runs} runs each, medians; busy processes {busy}; 1-minute load average {load}")
    print(table, meeting_lines, goal, sep="\n")
    if args.write:
        section = SECTION.format(
            runs=runs, load=load, busy=busy, table=table, meeting=meeting_lines, goal=goal
        )
        write_section("Early answer", section)
    return 0


def rows_table(rows: list[tuple]) -> str:
    lines = [
        "| profile | speech | the press | floor | today: first audio | early answer: first audio "
        "| change | early answer used | early calls per turn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, seconds, case, floor, today, early, used, runs, calls in rows:
        lines.append(
            f"| {name} | {seconds:.0f} s | {case} | {floor * 1000:.0f} ms | {today * 1000:.0f} ms "
            f"| **{early * 1000:.0f} ms** | {(early - today) * 1000:+.0f} ms | {used} of {runs} "
            f"| {statistics.median(calls):g} (worst {max(calls)}) |"
        )
    return "\n".join(lines)


def meeting_table(meetings: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| profile | questions | early calls per turn: median | worst | total | early answer used "
        "| first audio: median | worst | server conversations / entries |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in meetings:
        calls, audio = m["calls"], m["first_audio"]
        store = m["store"]
        entries = "+".join(str(len(v)) for v in store.values())
        lines.append(
            f"| {name} | {len(calls)} | {statistics.median(calls):g} | {max(calls)} | {sum(calls)} "
            f"| {m['used']} of {len(calls)} | {statistics.median(audio) * 1000:.0f} ms "
            f"| {max(audio) * 1000:.0f} ms | {len(store)} / {entries} |"
        )
    return "\n".join(lines)


def goals(rows: list[tuple]) -> str:
    """The goals (first audio at most 120 ms after the press when the speaker finished a second
    before it, at most 550 ms when the key came with the last word and the live text was whole: both
    set for the fast profile; never worse than today when it was not) against the rows."""
    parts = []
    for name, seconds, case, _floor, today, early, _used, _runs, _calls in rows:
        ms, was = early * 1000, today * 1000
        where = f"{name} {seconds:.0f} s, {case}: {ms:.0f} ms"
        if case == CASES[2]:
            verdict = "met" if early <= today + 0.03 else "not met"
            parts.append(
                f"{where} against {was:.0f} ms today (never worse, 30 ms of noise allowed: {verdict})"
            )
            continue
        goal = 120 if case == CASES[0] else 550
        if name == "fast":
            parts.append(f"{where} (at most {goal} ms: {'met' if ms <= goal else 'not met'})")
        else:
            parts.append(f"{where} against {was:.0f} ms today (the {goal} ms goal is the fast profile's)")
    return "Goals: " + "; ".join(parts) + "."


SECTION = """## Early answer

`bench/early_answer.py` ({runs} runs per cell, medians; the stand-in Mistral server in its own
process; x86_64, 2 CPUs; {busy} extra CPU-bound processes; 1-minute load average {load} while
measuring). Each row is one turn of the real room (as in "Realtime transcription": `Room` with
`live_transcription`, a `FileRecorder` heard at its real pace, a player in simulated real time),
timed from the key press that stops the recording to the first block handed to the player, with
today's path (`transcription.realtime_early_answer = false`) and with the early answer, alternated
in one run. Profiles as in "Latency" (agent first token 0.25 s / 0.9 s, speech first audio 0.15 s
/ 0.5 s) plus the realtime tail (0.24 s / 0.6 s). The question is 16 words spread over the speech
(beckett.wav repeated), the last one 0.1 s before its end; the stand-in sends `turn.end` 0.5 s
after the last word when the speaker finished before the press (scripted turn events). On a
shared machine the times are upper bounds (today's column is then above its idle value in
"Realtime transcription"): compare the two columns of a row, measured alternately in one run.

{table}

- **finished 1 s before**: the service said the turn ended half a second after the last word; the
  early answer and its first sentence's audio were made then, and play at the press (when the
  floor is under the half second left; on the slow profile it is not, and the answer is that much
  late).
- **last word, text whole**: the key comes with the last word, every word of the live text is out:
  the early answer is asked at the press on it, while the service finishes its tail, and is used
  when the final transcript has the same words.
- **last word, text short**: the last two words come only in the tail: the early answer asked at
  the press is discarded when the final transcript arrives, and the agent is asked as today.
- **floor**: agent time to the first sentence + speech time to first audio.

How often the live text at the press was the whole question: in these rows it is fixed by the case
(every "text whole" run, no "text short" run); in the meeting below, "early answer used" counts the
turns whose held answer was played.

The meeting (10 questions, 8 pauses inside them, each taken by the service as the end and then
resumed, the words of each stretch of speech coming as it ends; the key pressed 0 to 2 s after the
last word, so the service ended 8 of the 10 questions before the press; one room and one session):

{meeting}

- **early calls per turn**: agent calls made before the final transcript, used or not (at most
  `transcription.realtime_early_answer_calls` = 3, the last kept for the press); today's path makes
  none, so these are the extra calls. A discarded call is cut at its next delta and its branch
  deleted.
- **server conversations / entries**: what the stand-in's conversation store holds at the end:
  one conversation, two entries (question, answer) per turn.

{goal}

Run: `.venv/bin/python bench/early_answer.py --runs 3 --write` (`--profiles fast`, `--no-meeting`;
`--save FILE` per profile and `--load FILE... --write` to run the profiles side by side).
"""


if __name__ == "__main__":
    raise SystemExit(main())
