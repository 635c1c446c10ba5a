"""Session store benchmark: list and search over 5,000 sessions, and a 3-hour session with 2,000 segments.

Run: ``.venv/bin/python bench/sessions.py [--sessions 5000] [--write]``. ``--write`` puts the
table into bench/README.md under "## Sessions". Everything happens in a temporary folder.
Goal (issue #3): listing and searching 5,000 sessions each under 1 s on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_readme import table, write_section

from tui.model import Reference, Segment
from tui.sessions.export import export_session
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionStore

WORDS = [
    "budget",
    "release",
    "freeze",
    "roadmap",
    "hiring",
    "customer",
    "launch",
    "review",
    "design",
    "deadline",
    "metrics",
    "quarter",
    "sprint",
    "planning",
    "support",
    "pricing",
    "partner",
    "contract",
    "travel",
    "office",
    "security",
    "migration",
    "database",
    "latency",
    "onboarding",
    "feedback",
]
NAMES = ["Alice", "Bob", "Chen", "Dana", "Eve", "Farid", "Grace", "Hugo"]


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_session(sid: str, rng: random.Random, turns: int, segments: int, seconds: float) -> Session:
    session = Session(
        id=sid,
        title=f"Meeting {sid}",
        created=f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
        backend="Mistral",
        models={"transcription": "voxtral-mini-latest", "agent": "mistral-small-latest", "speech": "tts"},
        speaker_names={f"speaker_{i + 1}": rng.choice(NAMES) for i in range(2)},
    )
    step = seconds / max(1, segments)
    for _ in range(turns):
        segs = [
            Segment(i * step, (i + 0.9) * step, f"speaker_{rng.randint(1, 3)}", sentence(rng))
            for i in range(segments)
        ]
        session.add_turn(
            TurnRecord(
                recording=f"turn-{len(session.turns) + 1:03d}.flac",
                duration=seconds,
                segments=segs,
                reply=sentence(rng, 30),
                references=[Reference("Example", "https://example.com/doc")],
            )
        )
    return session


def generate(root: Path, count: int, rng: random.Random) -> None:
    """Write ``count`` small sessions (3 turns x 6 segments) straight to disk, like a year of use."""
    root.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        sid = f"2026{n:06d}-{rng.randrange(16**4):04x}"
        session = make_session(sid, rng, turns=3, segments=6, seconds=20.0)
        if n == count // 2:
            session.turns[1].segments[2].text = "We agreed the zanzibar offsite is off."
        folder = root / sid
        folder.mkdir()
        (folder / "session.json").write_text(json.dumps(session.to_dict(), ensure_ascii=False, indent=1))


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def run(count: int) -> list[tuple[str, str, str]]:
    rng = random.Random(7)
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sessions"
        generate(root, count, rng)
        size = sum(f.stat().st_size for f in root.rglob("session.json"))
        store = SessionStore(root)
        os.sync()

        t = time.perf_counter()
        listing = store.list()
        cold = time.perf_counter() - t
        assert len(listing.sessions) == count, len(listing.sessions)
        rows.append((f"list {count} sessions, no index (first run: reads every file)", f"{cold:.3f} s", "-"))
        warm, listing = timed(store.list)
        rows.append((f"list {count} sessions, index warm", f"{warm:.3f} s", "< 1 s"))
        (root / ".index.json").write_text("{damaged")
        t = time.perf_counter()
        store.list()
        rows.append(("list after the index was damaged (rebuild)", f"{time.perf_counter() - t:.3f} s", "-"))
        filt, _ = timed(lambda: listing.filter("alice budget"))  # type: ignore[attr-defined]
        rows.append((f"filter-as-you-type over {count} summaries", f"{filt * 1000:.1f} ms", "-"))

        rare, hits = timed(lambda: store.search("zanzibar"))
        assert len(hits) == 1, hits  # type: ignore[arg-type]
        rows.append((f"search a rare word across {count} sessions (1 hit)", f"{rare:.3f} s", "< 1 s"))
        common, hits = timed(lambda: store.search("budget", limit=200))
        rows.append(
            ("search a word in every session (first 200 hits, newest first)", f"{common:.3f} s", "< 1 s")
        )
        every, hits = timed(lambda: store.search("budget", limit=10**9), repeat=3)
        rows.append(
            (f"same word, every hit ({len(hits)} hits: all {count} sessions parsed)", f"{every:.3f} s", "-")  # type: ignore[arg-type]
        )
        rows.append((f"data: {count} session.json files", f"{size / 1e6:.1f} MB", "-"))

        # -- one long meeting: 3 hours, 2,000 segments ------------------------------------------------
        long_store = SessionStore(Path(tmp) / "long")
        session = long_store.create(title="Three hours")
        big = make_session(session.id, rng, turns=40, segments=50, seconds=3 * 3600 / 40)
        session.turns, session.speaker_names = big.turns, big.speaker_names
        long_store.save(session)
        path = long_store.root / session.id / "session.json"
        assert sum(len(t.segments) for t in session.turns) == 2000
        rows.append(
            ("3-hour session, 2,000 segments: session.json", f"{path.stat().st_size / 1e6:.2f} MB", "-")
        )
        load, loaded = timed(lambda: long_store.open(session.id))
        assert abs(loaded.duration - 3 * 3600) < 1  # type: ignore[attr-defined]
        rows.append(("  open (read, migrate, check, build)", f"{load * 1000:.0f} ms", "-"))
        save, _ = timed(lambda: long_store.save(session))
        rows.append(("  save (atomic: temp file, fsync, rename, fsync dir)", f"{save * 1000:.0f} ms", "-"))
        last = session.turns[-1]
        change, _ = timed(lambda: long_store.update_turn(session, last))
        rows.append(
            (
                "  update a turn (lock, read the latest file, apply, atomic save)",
                f"{change * 1000:.0f} ms",
                "-",
            )
        )
        for fmt in ("srt", "md", "json"):
            t_fmt, _ = timed(lambda fmt=fmt: export_session(session, fmt))
            rows.append((f"  export {fmt}", f"{t_fmt * 1000:.0f} ms", "-"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    rows = run(args.sessions)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    body = (
        "`bench/sessions.py` (median of 5 runs unless marked first run; data in a temporary folder on "
        f"the same disk; {machine}).\n\n{table(rows)}\n\n"
        "How: `list()` stats each `session.json` and takes the summary from `.index.json` when size and "
        "mtime match, so only changed sessions are parsed; a lost or damaged index is rebuilt. `search()` "
        "reads each file as bytes and only parses the ones that contain every word of the query."
    )
    print(body)
    if args.write:
        write_section("Sessions", f"## Sessions\n\n{body}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
