"""TUI benchmarks: start-up to first frame, and the level meter's frame rate while a turn is in flight.

Run from the repository root (the virtual sound server and display are needed for the tmux part):

    python bench/startup.py            # print the results
    python bench/startup.py --write    # also replace the "TUI" section of bench/README.md

1. Start-up, headless: a fresh interpreter imports ``tui.app``, builds ``VoxroomApp`` and runs it
   with ``run_test()``; "first frame" is the app's ``first_frame_at`` (set after the first refresh).
   The default core (backends, sound devices, session) is built in a worker after that frame.
2. Start-up, real terminal: ``voxroom`` launched in tmux (private socket); time from launch until
   the first frame is on the screen (capture-pane), and until the core is up (the mic name shows).
3. Meter frame rate: the stand-in Mistral server with a slow latency profile; turn 1 is recorded
   (file-fed recorder, real time) and sent; a second recording starts at once, so the input meter is
   live while turn 1 is transcribed, answered and spoken. The input meter's redraws are counted for
   as long as turn 1 is in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_readme import write_section

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLIP = REPO / "tests" / "data" / "audio" / "clone-test.wav"

CHILD = r"""
import time
t0 = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
import tui.app
t_import = time.perf_counter()
from tui.config import Settings
from tui.app import VoxroomApp

async def main():
    settings = Settings(backend="offline", data_dir=Path(sys.argv[1]))
    app = VoxroomApp(settings, hotkey=False, warm_up=False, core=lambda app: None)
    async with app.run_test(size=(120, 34)) as pilot:
        while app.first_frame_at is None:
            await pilot.pause(0.001)
        first = (app.first_frame_at - t0) * 1000
        print(json.dumps({"import_ms": (t_import - t0) * 1000, "first_frame_ms": first}))

asyncio.run(main())
"""


def headless_startup(runs: int) -> dict[str, float]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, tmp], capture_output=True, text=True, check=True, cwd=REPO
            ).stdout
            wall = (time.perf_counter() - started) * 1000
            data = json.loads(out.strip().splitlines()[-1])
            data["process_ms"] = wall
            results.append(data)
    out = {k: statistics.median(r[k] for r in results) for k in results[0]}
    out["first_frame_min_ms"] = min(r["first_frame_ms"] for r in results)
    return out


def _exports(script: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VAUDIO_DIR", "/tmp/vx-audio")
    env.setdefault("VDISPLAY_DIR", "/tmp/vx-display")
    out = subprocess.run(
        [str(REPO / "scripts" / script)], env=env, capture_output=True, text=True, check=True
    )
    found = {}
    for line in out.stdout.splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            found[m.group(1)] = shlex.split(m.group(2))[0]
    return found


def tmux_startup(runs: int) -> dict[str, float]:
    from tests.standin import MistralStandIn

    devices = {**_exports("setup_audio.sh"), **_exports("setup_display.sh")}
    voxroom = Path(sys.executable).with_name("voxroom")
    first, ready = [], []
    with MistralStandIn() as server, tempfile.TemporaryDirectory() as tmp:
        tenv = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp}

        def t(*args: str) -> str:
            return subprocess.run(
                ["tmux", "-S", str(sock), *args], capture_output=True, text=True, env=tenv
            ).stdout

        for i in range(runs):
            sock = Path(tmp) / f"tmux{i}.sock"  # no race with the previous run's server shutting down
            env = {
                **devices,
                "TERM": "xterm-256color",
                "MISTRAL_API_KEY": "test-key",
                "MISTRAL_SERVER_URL": server.url,
                "XDG_DATA_HOME": f"{tmp}/data{i}",
                "XDG_CONFIG_HOME": f"{tmp}/config",
                "HOME": tmp,
            }
            args = ["new-session", "-d", "-s", "vox", "-x", "120", "-y", "34"]
            for k, v in env.items():
                args += ["-e", f"{k}={v}"]
            start = time.perf_counter()
            t(*args, f"{voxroom} --input-device virtual_mic --output-device virtual_speaker")
            t("set-option", "-t", "vox", "remain-on-exit", "on")
            seen_first = None
            while time.perf_counter() - start < 20:
                screen = t("capture-pane", "-p", "-t", "vox")
                if seen_first is None and "Recording" in screen:
                    seen_first = (time.perf_counter() - start) * 1000
                if "mic: virtual_mic" in screen:
                    ready.append((time.perf_counter() - start) * 1000)
                    break
                time.sleep(0.005)  # polling interval of the screen read
            if seen_first is None:
                print("tmux: no frame seen; the screen was:\n" + t("capture-pane", "-p", "-t", "vox"))
            first.append(seen_first or float("nan"))
            t("kill-server")
    seen = [f for f in first if f == f]  # drop runs where no frame was seen (NaN), and say so
    return {
        "first_frame_ms": statistics.median(seen) if seen else float("nan"),
        "core_ready_ms": statistics.median(ready) if ready else float("nan"),
        "failed_runs": float(runs - len(seen)),
    }


STANDIN = r"""
import sys, threading
sys.path.insert(0, sys.argv[1])
from tests.standin import LatencyProfile, MistralStandIn
slow = LatencyProfile(
    transcription_fixed=1.5,
    transcription_per_audio_second=0.2,
    agent_first_token=1.0,
    agent_tokens_per_second=15,
    speech_first_audio=0.4,
    speech_real_time_factor=1.0,
)
server = MistralStandIn(latency=slow).start()
print(server.url, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""


def meter_fps() -> dict[str, float]:
    """The stand-in runs in its own process (as a remote service would), so its work does not
    compete with the app for this interpreter's GIL."""
    from tui.app import VoxroomApp
    from tui.backends import make_backends
    from tui.config import Secret, Settings
    from tui.lifecycle import ScratchLog
    from tui.room import Room, TurnFinished
    from tui.testing import FileRecorder

    trace: list[tuple[float, str]] = []
    worst: list[float] = [0.0, 0.0]

    async def count(pilot, bar, until) -> tuple[int, float, float]:  # type: ignore[no-untyped-def]
        frames0 = last_frames = bar.frames
        t0 = last_t = time.perf_counter()
        longest = 0.0
        while not until():
            await pilot.pause(0.01)
            if bar.frames != last_frames:
                now = time.perf_counter()
                if now - last_t > longest:
                    longest, worst[:] = now - last_t, [last_t, now]
                last_frames, last_t = bar.frames, now
        return bar.frames - frames0, time.perf_counter() - t0, longest

    async def run(url: str, tmp: str) -> dict[str, float]:
        settings = Settings(backend="mistral", api_key=Secret("test-key"), server_url=url, data_dir=Path(tmp))
        backends = make_backends(settings)
        room = Room(
            recorder=FileRecorder(CLIP, realtime=True, loop=True, device="clone-test.wav"),
            runner=backends.runner(settings),
            log=ScratchLog("bench"),
            debounce_s=0.0,
            backends=backends,
        )
        backends.warm_up()
        done: list[float] = []
        room.subscribe(lambda e: done.append(time.perf_counter()) if isinstance(e, TurnFinished) else None)
        room.subscribe(lambda e: trace.append((time.perf_counter(), type(e).__name__)))
        if os.environ.get("BENCH_TRACE"):  # garbage collections of 10 ms or more, in the same trace
            import gc

            began: list[float] = [0.0]

            def on_gc(phase: str, info: dict[str, int]) -> None:
                now = time.perf_counter()
                if phase == "start":
                    began[0] = now
                elif now - began[0] > 0.01:
                    trace.append((began[0], f"gc{info['generation']} {(now - began[0]) * 1000:.0f} ms"))

            gc.callbacks.append(on_gc)
        app = VoxroomApp(settings, room=room, hotkey=False, warm_up=False)
        async with app.run_test(size=(120, 34)) as pilot:
            bar = app.recording_pane.bar
            await pilot.press("space")
            end_idle = time.perf_counter() + 1.5
            idle_frames, idle_s, idle_gap = await count(pilot, bar, lambda: time.perf_counter() > end_idle)
            await pilot.press("space")  # turn 1 goes off to the (slow) service
            await pilot.press("space")  # the next recording starts: the meter stays live
            while app.recording_pane.state != "recording":
                await pilot.pause(0.001)
            frames, seconds, gap = await count(pilot, bar, lambda: bool(done))
            await pilot.press("space")
        room.close()
        if os.environ.get("BENCH_TRACE"):  # room events around the longest gap, for diagnosis
            a, b = worst
            print(
                f"longest gap {(b - a) * 1000:.0f} ms:",
                [(round((t - a) * 1000), n) for t, n in trace if a - 1 < t < b + 0.2],
            )
        return {
            "idle_fps": idle_frames / idle_s,
            "idle_longest_gap_ms": idle_gap * 1000,
            "turn_in_flight_s": seconds,
            "meter_redraws": frames,
            "fps": frames / seconds,
            "longest_gap_ms": gap * 1000,
        }

    server = subprocess.Popen(
        [sys.executable, "-c", STANDIN, str(REPO)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            return asyncio.run(run(url, tmp))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)


def section(start: dict[str, float], tmux: dict[str, float] | None, fps: dict[str, float]) -> str:
    load = os.getloadavg()[0]
    cpu = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} while measuring"
    )
    rows = [
        "## TUI",
        "",
        f"`bench/startup.py` ({cpu}; medians of 5 runs).",
        "",
        "| measurement | result | goal |",
        "|---|---|---|",
        f"| headless: `import tui.app` (fresh interpreter) | {start['import_ms']:.0f} ms | - |",
        f"| headless: interpreter start to first frame | {start['first_frame_ms']:.0f} ms "
        f"(best {start['first_frame_min_ms']:.0f} ms) | < 1 s |",
        f"| headless: whole process (start, first frame, exit) | {start['process_ms']:.0f} ms | - |",
    ]
    if tmux:
        rows += [
            f"| tmux: `voxroom` launched to first frame on screen "
            f"| {tmux['first_frame_ms']:.0f} ms | < 1 s |",
            f"| tmux: launched to core ready (backends, devices, session) "
            f"| {tmux['core_ready_ms']:.0f} ms | - |",
        ]
    rows += [
        f"| input meter while a turn is in flight ({fps['turn_in_flight_s']:.1f} s, slow stand-in) "
        f"| {fps['fps']:.1f} redraws/s | 20+ |",
        f"| longest gap between two meter redraws during that turn | {fps['longest_gap_ms']:.0f} ms | - |",
        f"| input meter while recording, nothing in flight | {fps['idle_fps']:.1f} redraws/s | - |",
        "",
        "How: the app's first frame needs only Textual and the panes; backends, sound devices and the",
        "session are built in a worker after it, and models/connections warm up after that. The meter is",
        "sampled from the recorder's level snapshot by a 30 Hz timer (no message per audio block); the",
        "turn runs on the room's own thread, so HTTP, speech synthesis and playback never block the UI.",
        "`tui.app` does not import numpy (the room loads it lazily), and neither does building the",
        "command-line parser (the subcommands import the turn pipeline only when they run).",
        "",
    ]
    return "\n".join(rows)


def meter_only(runs: int, busy: int) -> int:
    """The meter during a turn, ``runs`` times, with ``busy`` CPU-bound processes competing."""
    from bench.latency import BusyLoad

    loads = [os.getloadavg()[0]]
    results = []
    with BusyLoad(busy):
        for _ in range(runs):
            results.append(meter_fps())
            loads.append(os.getloadavg()[0])
            print("meter during a turn:", json.dumps({k: round(v, 1) for k, v in results[-1].items()}))
    gaps = [r["longest_gap_ms"] for r in results]
    idle = [r["idle_longest_gap_ms"] for r in results]
    fps = [r["fps"] for r in results]
    print(
        f"{runs} turns, {busy} busy processes, 1-minute load average {min(loads):.1f}-{max(loads):.1f}: "
        f"longest gap median {statistics.median(gaps):.0f} ms, max {max(gaps):.0f} ms; "
        f"redraws/s median {statistics.median(fps):.1f}; recording with nothing in flight (1.5 s): "
        f"longest gap median {statistics.median(idle):.0f} ms"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update the TUI section of bench/README.md")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-tmux", action="store_true", help="skip the real-terminal start-up")
    parser.add_argument(
        "--meter-only", type=int, default=0, metavar="N", help="only the meter during a turn, N times"
    )
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes (--meter-only)")
    args = parser.parse_args()
    if args.meter_only:
        return meter_only(args.meter_only, args.busy)
    start = headless_startup(args.runs)
    print("headless start-up:", json.dumps({k: round(v, 1) for k, v in start.items()}))
    tmux = None if args.no_tmux else tmux_startup(args.runs)
    if tmux:
        print("tmux start-up:", json.dumps({k: round(v, 1) for k, v in tmux.items()}))
    fps = meter_fps()
    print("meter during a turn:", json.dumps({k: round(v, 1) for k, v in fps.items()}))
    text = section(start, tmux, fps)
    print(text)
    if args.write:
        write_section("TUI", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
