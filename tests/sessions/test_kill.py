"""A process saving a session in a loop is SIGKILLed at random moments: the file left behind is
always a whole old or new version, never a torn one."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.sessions.conftest import make_session
from tui.sessions.store import SessionStore

REPO = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from pathlib import Path
from tui.model import Segment
from tui.sessions.model import TurnRecord
from tui.sessions.store import SessionStore

store = SessionStore(Path(sys.argv[1]))
session = store.open(sys.argv[2])
start = int(sys.argv[3])
print("ready", flush=True)
for i in range(start, start + 100_000):
    session.title = f"version {i}"
    # Each version has a different size, so a torn write could not pass for a whole one.
    session.turns = [
        TurnRecord(index=n + 1, duration=1.0, segments=[Segment(0, 1, "speaker_1", f"v{i} line {n} " * 20)])
        for n in range(150 + i % 50)
    ]
    store.save(session)
    print(i, flush=True)
"""


def test_killed_writer_never_leaves_a_torn_file(store: SessionStore) -> None:
    session = make_session(store, turns=1, title="version 0")
    path = store.root / session.id / "session.json"
    rng = random.Random(1234)
    pause = threading.Event()  # never set: waiting on it only picks a random kill moment
    saved = 0
    for _round in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store.root), session.id, str(saved + 1)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        last = saved
        for _ in range(rng.randint(0, 4)):
            last = int(proc.stdout.readline())
        pause.wait(rng.uniform(0, 0.004))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        rest = proc.stdout.read().split()
        proc.stdout.close()
        if rest:
            last = int(rest[-1])
        data = json.loads(path.read_bytes())  # never torn: always parses
        title = data["title"]
        number = int(title.split()[-1])
        assert number in (last, last + 1), (title, last)
        if number:
            assert len(data["turns"]) == 150 + number % 50
            assert data["turns"][-1]["transcript"]["segments"][0]["text"].startswith(f"v{number} ")
        reopened = SessionStore(store.root).open(session.id)
        assert reopened.title == title
        saved = number
    assert saved > 0
    assert SessionStore(store.root).list().broken == []
