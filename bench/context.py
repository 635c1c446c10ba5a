"""What the meeting's notes cost on first audio: a question asked with an hour of notes vs none.

Each run makes two sessions (not timed): one with nothing before the question, one with an hour of
notes before it (12 notes turns of 5 minutes, four named people, a line every 6 s: 600 lines).
The question is then run as the room runs it (``complete_turn`` on a ``SessionLog``: the notes are
read from the session, bounded to ``agent.context_chars`` and sent with the question), against the
stand-in in its own process, through the real SDK, with the stand-in's speech; first audio is from
the end of the recording to the first reply sample handed to the output. The two kinds of run
alternate. Also timed alone: reading the notes and building the input (``notes_before`` +
``agent_input``).

Usage: ``python bench/context.py [--runs N] [--profiles zero,fast] [--write]`` from the repo root;
``--write`` replaces the "Meeting context" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_readme import table, write_section  # noqa: E402
from bench.latency import PROFILES, PlayoutSink, standin_settings  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import Backends, make_backends  # noqa: E402
from tui.complete import complete_turn  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.context import agent_input, notes_before  # noqa: E402
from tui.lifecycle import SessionLog  # noqa: E402
from tui.model import Segment, Transcript, TurnKind  # noqa: E402
from tui.room.wiring import session_store  # noqa: E402
from tui.sessions.model import TurnRecord  # noqa: E402

PEOPLE = {"speaker_1": "Alice", "speaker_2": "Bob", "speaker_3": "Carol", "speaker_4": "Dev"}
SAID = (
    "We looked at the numbers for item {n} again and the cost is still a little over what we planned.",
    "I can take that one and come back with a proposal before the next review.",
    "Fine by me, as long as the launch date for item {n} does not move.",
    "Let us write that down as decided and check it again on Thursday.",
)
TURNS, TURN_S, EVERY_S = 12, 300.0, 6.0


def hour_of_notes(log: SessionLog) -> int:
    """Twelve 5-minute notes turns, started an hour ago, added as the notes recording saves them."""
    start = datetime.now(UTC) - timedelta(hours=1)
    lines = 0
    for t in range(TURNS):
        segments = []
        for i in range(int(TURN_S / EVERY_S)):
            n = t * 100 + i
            label = f"speaker_{n % 4 + 1}"
            text = SAID[n % len(SAID)].format(n=n)
            segments.append(Segment(i * EVERY_S, i * EVERY_S + EVERY_S - 0.5, label, text))
        created = (start + timedelta(seconds=t * TURN_S)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = TurnRecord(
            duration=TURN_S, segments=segments, status="done", kind=TurnKind.NOTES, created=created
        )
        log.store.add_turn(log.session, record)
        lines += len(segments)
    for label, name in PEOPLE.items():
        log.store.rename_speaker(log.session, label, name)
    return lines


def ask(settings: Settings, backends: Backends, clip: Clip, notes: bool) -> tuple[float, int]:
    """One question in a new session (with an hour of notes before it, or nothing); returns the
    seconds to first audio and the characters of the agent's input."""
    log = SessionLog.new(session_store(settings), backends)
    if notes:
        hour_of_notes(log)
    ref, kept = log.keep_recording(clip)  # the recorder's file is on disk before the press
    sink = PlayoutSink()
    ended = time.perf_counter()
    result, _ = complete_turn(backends.runner(settings), log, ref, kept, sink=sink, ended_at=ended)
    assert result.status == "done", result.error
    assert sink.first_at is not None and result.context is not None
    assert bool(result.context.lines) == notes
    return sink.first_at - ended, result.context.input_chars


def build_alone(settings: Settings, backends: Backends, runs: int) -> tuple[float, float, int, int]:
    """Reading an hour of notes from the session and building the input, alone: median and fastest
    seconds, the notes' characters in the session and the input's characters."""
    log = SessionLog.new(session_store(settings), backends)
    hour_of_notes(log)
    question = Transcript([Segment(0.2, 2.0, "speaker_2", "What did we decide about the launch?")])
    took = []
    for _ in range(runs):
        t = time.perf_counter()
        notes = notes_before(log.session, len(log.session.turns) + 1)
        asked = agent_input(question, log.names(), notes, settings.agent.context_chars)
        took.append(time.perf_counter() - t)
    whole = sum(len(f"[00:00] {n.who}: {n.text}") + 1 for n in notes.lines)
    return statistics.median(took), min(took), whole, len(asked.text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--clip", default=str(ROOT / "tests" / "data" / "audio" / "beckett.wav"))
    parser.add_argument("--profiles", default="zero,fast", help="comma-separated profile names")
    parser.add_argument("--write", action="store_true", help="rewrite bench/README.md's section")
    args = parser.parse_args()
    clip = load_clip(args.clip).at_rate(16000)
    rows: list[tuple[str, str, str]] = []
    loads = [os.getloadavg()[0]]
    alone = (0.0, 0.0, 0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.profiles.split(","):
            with standin_settings(PROFILES[name], tmp) as settings:
                backends = make_backends(settings)
                backends.warm_up()
                ask(settings, backends, clip, False)  # warm-up turns (server-side imports), not counted
                ask(settings, backends, clip, True)
                none, hour, sizes = [], [], []
                for _ in range(args.runs):
                    none.append(ask(settings, backends, clip, False)[0])
                    first, size = ask(settings, backends, clip, True)
                    hour.append(first)
                    sizes.append(size)
                    loads.append(os.getloadavg()[0])
                if name == args.profiles.split(",")[0]:
                    alone = build_alone(settings, backends, 50)
                a, b = statistics.median(none), statistics.median(hour)
                differences = [h - n for h, n in zip(hour, none, strict=True)]
                cost = statistics.median(differences)
                low, _, high = statistics.quantiles(differences, n=4)
                budget = settings.agent.context_chars
            rows += [
                (f"`{name}` stand-in: first audio, no notes", f"{a * 1000:.0f} ms", "-"),
                (
                    f"`{name}` stand-in: first audio, an hour of notes ({statistics.median(sizes):,.0f}"
                    f" characters sent, `context_chars` {budget:,})",
                    f"{b * 1000:.0f} ms",
                    "-",
                ),
                (
                    f"`{name}` stand-in: cost of the context (median of the runs' differences)",
                    f"**{cost * 1000:+.0f} ms** (middle half of the differences: {low * 1000:+.0f} to "
                    f"{high * 1000:+.0f} ms)",
                    "at most +30 ms",
                ),
            ]
    rows.append(
        (
            f"reading an hour of notes ({TURNS * int(TURN_S / EVERY_S)} lines, {alone[2]:,} characters) "
            f"and building the input ({alone[3]:,} characters), alone (median; fastest)",
            f"{alone[0] * 1000:.1f} ms; {alone[1] * 1000:.1f} ms",
            "-",
        )
    )
    text = "\n".join(
        [
            "## Meeting context",
            "",
            f"`bench/context.py` (median of {args.runs} runs of each kind, in pairs: a run without notes, "
            f"then one with an hour of them; x86_64, 2 CPUs "
            f"shared with other jobs, 1-minute load average {min(loads):.1f}-{max(loads):.1f}; "
            f"Python {sys.version.split()[0]}; clip {Path(args.clip).name}, {clip.duration:.1f} s).",
            "",
            table(rows),
            "",
            "How: each question runs as the room runs it (`complete_turn` on a `SessionLog`, the real "
            "SDK, the stand-in in its own process with its latency profile: `zero` answers at once, "
            '`fast` as in "Latency"), in a new session with nothing before it or with an hour of '
            "notes (12 notes turns of 5 minutes, four named people, a line every 6 s). What the "
            "context costs on Voxroom's side: reading the notes from the session in memory, cleaning "
            "and bounding them (only the newest lines that fit are cleaned), and a larger request. "
            "Not measured here: the time a real model takes to read the longer input before its "
            "first token (about 4,000 more tokens at the default `context_chars`); the stand-in's "
            "answer does not depend on the input's length. On the shared machine one run varies by "
            "tens of milliseconds either way (the middle half of the differences is shown); the "
            "median of the differences is the cost.",
            "",
        ]
    )
    print(text)
    if args.write:
        write_section("Meeting context", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
