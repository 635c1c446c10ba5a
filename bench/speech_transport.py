"""First reply audio through the realtime speech socket vs the HTTP speech stream, side by side.

One run, the same stand-in (tests/standin, its own process, a latency profile) and the same turn
(``TurnRunner.run`` as in bench/latency.py: batch transcription, the streamed reply, speech), with
``speech.transport`` alternating between ``socket`` and ``http`` turn by turn. Usage:
``python bench/speech_transport.py [--runs N] [--profiles fast,slow]`` from the repo root.

- http: each whole sentence is one streamed ``POST /v1/audio/speech``; its floor is transcription +
  the agent's time to the delta that ends the first sentence + speech's first audio.
- socket: each sentence is one realtime session fed the agent's words as they come; the stand-in's
  ``responsive`` mode speaks once three words are complete, so its floor is transcription + the
  agent's time to the delta after the third word + speech's first audio.
- gaps: silence inserted between pieces of audio while playing in real time (starved output).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import PROFILES, REPLY, floor_seconds, recorded, run_voxroom, standin_settings  # noqa: E402
from tests.standin.scripts import LatencyProfile, split_text  # noqa: E402
from tests.standin.speech_socket import RESPONSIVE_WORDS  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402

TRANSPORTS = ("socket", "http")


LONG_FIRST = (
    "Revenue grew eight percent over last year, mostly from the new enterprise plan that launched "
    "in the spring. Costs stayed flat, so the margin improved."
)
"""A reply whose first sentence is long (18 words): what the socket is for."""
REPLIES = {"short first sentence": REPLY, "long first sentence": LONG_FIRST}


def socket_floor(profile: LatencyProfile, audio_seconds: float, reply: str) -> float:
    """The unavoidable waits before the socket's first audio: up to the agent's delta that completes
    the third word (a word followed by a space)."""
    deltas = split_text(reply, None)
    text, k = "", len(deltas)
    for i, delta in enumerate(deltas, start=1):
        text += delta
        if len(re.findall(r"\S+\s+", text)) >= RESPONSIVE_WORDS:
            k = i
            break
    return (
        profile.transcription_seconds(audio_seconds)
        + profile.agent_first_token
        + profile.token_interval() * (k - 1)
        + profile.speech_first_audio
    )


def measure(
    profile: LatencyProfile, reply: str, clip: Clip, folder: str, runs: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Median first audio, floor and gaps per transport, the transports alternating turn by turn."""
    first: dict[str, list[float]] = {t: [] for t in TRANSPORTS}
    gaps: dict[str, list[float]] = {t: [] for t in TRANSPORTS}
    with standin_settings(profile, folder, reply) as settings:
        for transport in TRANSPORTS:  # warm-up turns (imports, first connections), not counted
            settings.speech.transport = transport
            run_voxroom(settings, clip)
        for _ in range(runs):
            for transport in TRANSPORTS:
                settings.speech.transport = transport
                took, gap = run_voxroom(settings, clip)
                first[transport].append(took)
                gaps[transport].append(gap)
    floors = {
        "http": floor_seconds(profile, clip.duration, reply),
        "socket": socket_floor(profile, clip.duration, reply),
    }
    med = {t: statistics.median(first[t]) for t in TRANSPORTS}
    return med, floors, {t: statistics.median(gaps[t]) for t in TRANSPORTS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clip", default=str(ROOT / "tests" / "data" / "audio" / "beckett.wav"))
    parser.add_argument("--profiles", default="fast,slow", help="comma-separated profile names")
    args = parser.parse_args()
    source = load_clip(args.clip)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = recorded(source, tmp)
        for name in args.profiles.split(","):
            profile = PROFILES[name]
            for label, reply in REPLIES.items():
                rows.append((name, label, *measure(profile, reply, clip, tmp, args.runs)))
    print(f"clip: {Path(args.clip).name} ({clip.duration:.1f} s), {args.runs} runs each, medians")
    print(
        "| profile | reply | http first audio | http floor | socket first audio | socket floor "
        "| socket - http | gaps http / socket |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, label, med, floors, gaps in rows:
        print(
            f"| {name} | {label} | {med['http'] * 1000:.0f} ms | {floors['http'] * 1000:.0f} ms "
            f"| {med['socket'] * 1000:.0f} ms | {floors['socket'] * 1000:.0f} ms "
            f"| {(med['socket'] - med['http']) * 1000:+.0f} ms "
            f"| {gaps['http'] * 1000:.0f} / {gaps['socket'] * 1000:.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
