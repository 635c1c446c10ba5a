"""What a hostile server costs Voxroom: memory and time until a hostile answer is refused.

Run from the repository root:

    python bench/hostile.py            # print the results
    python bench/hostile.py --write    # also replace the "Hostile server" section of bench/README.md

Each case points the real backends (real SDK, real HTTP) at the stand-in server with one hostile
fault. Memory is the ``tracemalloc`` peak of Python allocations during the call (response bytes are
Python objects); times are wall-clock, median of ``--runs``. The unguarded baseline is a plain
``httpx2.Client`` (what Voxroom used before) reading the same answer.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench_readme import table, write_section

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.standin import Fault, MistralStandIn, closed_url  # noqa: E402
from tests.standin.hostile import gzip_bomb  # noqa: E402
from tui.audio.clip import load_clip  # noqa: E402
from tui.config import Secret, Settings  # noqa: E402
from tui.errors import VoxroomError  # noqa: E402
from tui.mistral import MistralConnection  # noqa: E402
from tui.speech.mistral import MistralSpeaker  # noqa: E402
from tui.stt.mistral import MistralTranscriber  # noqa: E402

CLIP = REPO / "tests" / "data" / "audio" / "clone-test.wav"
BOMB = 96 * 1024 * 1024
MB = 1024 * 1024


def settings_for(url: str, deadline: float = 60.0) -> Settings:
    return Settings(
        backend="mistral", api_key=Secret("bench-key-0123456789"), server_url=url, deadline_s=deadline
    )


def attempt(call: Callable[[], object]) -> str:
    try:
        call()
    except VoxroomError as err:
        return str(err)
    except Exception as err:  # the unguarded baseline fails with whatever the SDK raises
        return type(err).__name__
    return "no error"


def measure(call: Callable[[], object], runs: int) -> tuple[float, float, str]:
    """(median seconds over ``runs`` calls, peak MB of one more call under tracemalloc, the error).

    Times are taken without tracemalloc: it slows the SDK's byte-by-byte event parser tenfold."""
    times, message = [], ""
    for _ in range(runs):
        t = time.perf_counter()
        message = attempt(call)
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    attempt(call)
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return (statistics.median(times) if times else float("nan")), peak, message


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    flac = Path(tempfile.mkdtemp(prefix="voxroom-bench-")) / "clip.flac"
    flac.write_bytes(load_clip(CLIP).flac_bytes())
    clip = load_clip(flac)  # already FLAC at 16 kHz: sent as is, so the times below are the network part
    gzip_bomb(BOMB, False)
    gzip_bomb(BOMB, True)
    rows: list[tuple[str, str, str]] = []
    with MistralStandIn() as server:
        settings = settings_for(server.url)
        connection = MistralConnection(settings)
        transcriber = MistralTranscriber(settings, connection)
        speaker = MistralSpeaker(settings, connection)

        def speak() -> None:
            for _ in speaker.synthesize("Hello there."):
                pass

        server.fail("transcriptions", Fault.gzip_bomb_reply(BOMB))
        secs, peak, _ = measure(lambda: transcriber.transcribe(clip), args.runs)
        wire = len(gzip_bomb(BOMB, False)) / 1024
        rows.append(
            (
                f"gzip bomb on transcription ({wire:.0f} kB on the wire, 96 MB decoded): refused after",
                f"{secs:.2f} s",
                "-",
            )
        )
        rows.append(("  peak Python memory during that call", f"**{peak:.1f} MB**", "< 64 MB"))

        import httpx2

        def unguarded() -> None:
            with httpx2.Client() as plain:
                plain.post(
                    server.url + "/v1/audio/transcriptions",
                    data={"model": "m"},
                    files={"file": ("a.flac", clip.flac_bytes())},
                )

        secs, peak, _ = measure(unguarded, 0)
        rows.append(("  the same answer read by a plain httpx2 client (before): peak", f"{peak:.1f} MB", "-"))

        server.clear_faults()
        server.fail("speech", Fault.gzip_bomb_reply(BOMB))
        secs, peak, _ = measure(speak, args.runs)
        rows.append(
            (
                "gzip bomb on speech (one 96 MB event): refused after / peak",
                f"{secs:.2f} s / {peak:.1f} MB",
                "-",
            )
        )
        server.clear_faults()
        server.fail("speech", Fault.oversized(8 * MB))
        secs, peak, _ = measure(speak, args.runs)
        rows.append(
            ("8 MB event on speech (plain): refused after / peak", f"{secs:.2f} s / {peak:.1f} MB", "-")
        )
        server.clear_faults()
        server.fail("transcriptions", Fault.oversized(48 * MB))
        secs, peak, _ = measure(lambda: transcriber.transcribe(clip), args.runs)
        rows.append(
            ("48 MB JSON answer on transcription: refused after / peak", f"{secs:.2f} s / {peak:.1f} MB", "-")
        )

        server.clear_faults()
        slow = settings_for(server.url, deadline=2.0)
        slow_transcriber = MistralTranscriber(slow, MistralConnection(slow))
        slow_transcriber.transcribe(clip)  # warm: the SDK loads its transcription models on first use
        server.fail("transcriptions", Fault.slow_trickle(0.05))
        secs, _, _ = measure(lambda: slow_transcriber.transcribe(clip), 1)
        rows.append(
            ("slow trickle (1 byte / 50 ms), deadline_s = 2: failed after", f"{secs:.2f} s", "about 2 s")
        )

    refused = settings_for(closed_url())
    refused_transcriber = MistralTranscriber(refused, MistralConnection(refused))
    secs, _, message = measure(lambda: refused_transcriber.transcribe(clip), args.runs)
    rows.append(("server refuses connections (retry_max_s = 8): failed after", f"**{secs:.2f} s**", "< 1 s"))
    rows.append(("  its message", message.replace("|", "/"), "one sentence"))

    text = (
        "## Hostile server\n\n"
        f"`bench/hostile.py` (median of {args.runs} runs; {platform.machine()}, Python "
        f"{platform.python_version()}, stand-in server on 127.0.0.1, machine shared with other jobs).\n\n"
        + table(rows)
        + "\n\nHow: `tui/net.py` decodes gzip itself in 64 kB steps and stops at the caps (32 MB per JSON "
        "answer, 512 kB per event, 64 MB per stream), checks `deadline_s` at every chunk, connects within "
        "3 s "
        "and never follows redirects; refused connections are not retried (issue 14). Before, a refused "
        "connection was retried for `retry_max_s` (8 s by default).\n"
    )
    print(text)
    if args.write:
        write_section("Hostile server", text)


if __name__ == "__main__":
    main()
