"""Load: a burst of trigger presses, queued turns, and 50 turns in one session.

Drives the real room core (``tui.room.Room``: debounced trigger, recorder protocol, turn queue,
session store) with a file-fed recorder against the stand-in Mistral server (in its own process).
Usage: ``python bench/load.py``. Checks that nothing is dropped and reports time and memory.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import LatencyProfile, MistralStandIn, Reply  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import load_settings  # noqa: E402
from tui.lifecycle import SessionLog  # noqa: E402
from tui.room import Room  # noqa: E402
from tui.sessions.store import SessionStore  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

CLIP = ROOT / "tests" / "data" / "audio" / "clone-test.wav"


def serve(urls: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    profile = LatencyProfile(transcription_fixed=0.05, agent_first_token=0.05, speech_first_audio=0.02)
    with MistralStandIn(latency=profile) as server:
        server.script(Reply(text="Noted. Next question please."), repeat=True)
        urls.put(server.url)
        stop.wait()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_room(url: str, data: Path) -> tuple[Room, SessionLog, SessionStore]:
    settings = load_settings(
        env={
            "MISTRAL_API_KEY": "bench",
            "MISTRAL_SERVER_URL": url,
            "VOXROOM_CONFIG": str(data / "no-config.toml"),
        },
        overrides={"data_dir": str(data)},
    )
    backends = make_backends(settings)
    backends.warm_up()
    store = SessionStore(settings.sessions_dir)
    live = SessionLog.new(store, backends)
    room = Room(
        recorder=FileRecorder(CLIP),
        runner=backends.runner(settings),
        player=None,
        log=live,
        backends=backends,
    )
    return room, live, store


def burst(url: str, data: Path, presses: int, seconds: float) -> None:
    """``presses`` presses in about ``seconds``: mashed in groups 10 ms apart, 0.3 s between groups.

    The sliding debounce folds each group into one toggle; every toggle starts or stops a recording,
    and every recording must end up as a saved, answered turn, while turns queue behind each other.
    """
    room, live, store = make_room(url, data / "burst")
    before = rss_mb()
    t0 = time.perf_counter()
    tick = threading.Event()
    per_group = 0.3 + 0.01 * 8
    groups = max(1, int(seconds / per_group))
    size = -(-presses // groups)
    at = 0.0
    for g in range(groups):
        for _ in range(min(size, presses - g * size)):
            room.press("bench")
            at += 0.01
            tick.wait(max(0.0, t0 + at - time.perf_counter()))
        at += 0.3
        tick.wait(max(0.0, t0 + at - time.perf_counter()))
    if room.state == "recording":  # an odd number of toggles: stop the last recording
        tick.wait(0.3)  # past the debounce window of the last press
        room.press("bench-final")
    pressed = time.perf_counter() - t0
    assert room.wait_idle(300), "turns did not finish"
    drained = time.perf_counter() - t0
    recordings = room.recorder.recordings  # type: ignore[union-attr]
    session = store.open(live.session.id)
    done = [t for t in session.turns if t.status == "done"]
    print(
        f"burst: {room.trigger.presses} presses in {pressed:.1f} s -> {room.trigger.toggles} toggles "
        f"after debounce, {recordings} recordings, {len(session.turns)} turns saved ({len(done)} done); "
        f"all answered {drained:.1f} s after the first press; RSS +{rss_mb() - before:.0f} MB"
    )
    assert len(session.turns) == recordings, "a recording was dropped"
    room.close()


def many_turns(url: str, data: Path, turns: int) -> None:
    room, live, store = make_room(url, data / "many")
    before = rss_mb()
    durations = []
    for _ in range(turns):
        t = time.perf_counter()
        room.toggle("bench")
        room.toggle("bench")
        assert room.wait_idle(60)
        durations.append(time.perf_counter() - t)
    session = store.open(live.session.id)
    assert len(session.turns) == turns and all(t.status == "done" for t in session.turns)
    first, last = statistics.median(durations[:10]), statistics.median(durations[-10:])
    size = (store.folder(session) / "session.json").stat().st_size / 1024
    print(
        f"{turns} turns in one session: median turn {first * 1000:.0f} ms (first 10) vs "
        f"{last * 1000:.0f} ms (last 10); session.json {size:.0f} KB; RSS +{rss_mb() - before:.0f} MB"
    )
    room.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--turns", type=int, default=50)
    args = parser.parse_args()
    urls: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    stop = mp.Event()
    proc = mp.Process(target=serve, args=(urls, stop), daemon=True)
    proc.start()
    try:
        url = urls.get(timeout=30)
        with tempfile.TemporaryDirectory() as tmp:
            burst(url, Path(tmp), args.presses, args.seconds)
            many_turns(url, Path(tmp), args.turns)
    finally:
        stop.set()
        proc.join(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
