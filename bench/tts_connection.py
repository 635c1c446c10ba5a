"""Does a kept-open connection lower Mistral TTS first audio? Client reuse vs a new client per sentence.

Run: ``.venv/bin/python bench/tts_connection.py [--runs 30] [--write]``. ``--write`` puts the results into
bench/README.md under "## Mistral speech: kept-open connection". Against the stand-in (tests/standin) on
127.0.0.1 through the real SDK and ``MistralSpeaker``, with no simulated service time, so what is left
is the client side: SDK client construction and TCP connection set-up on loopback. Socket connects are
counted with an audit hook, so each mode shows how many connections it really opened.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_readme import table, write_section

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.standin import LatencyProfile, MistralStandIn  # noqa: E402
from tui.config import Secret, Settings  # noqa: E402
from tui.mistral import MistralConnection  # noqa: E402
from tui.speech.mistral import MistralSpeaker  # noqa: E402

SENTENCE = "The meeting room on the third floor is free after lunch."
CONNECTS = [0]


def _watch(event: str, _args: tuple[object, ...]) -> None:
    if event == "socket.connect":
        CONNECTS[0] += 1


def first_audio(speaker: MistralSpeaker) -> float:
    """Seconds from ``synthesize`` to its first block; the rest is drained untimed."""
    t = time.perf_counter()
    blocks = speaker.synthesize(SENTENCE)
    next(blocks)
    elapsed = time.perf_counter() - t
    for _ in blocks:
        pass
    return elapsed


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def fresh(settings: Settings) -> MistralSpeaker:
    return MistralSpeaker(settings, MistralConnection(settings))  # not .shared(): its own client


def close(speaker: MistralSpeaker) -> None:
    client = speaker.connection.client.sdk_configuration.client
    if client is not None:
        client.close()


def one(make: Callable[[], MistralSpeaker], prebuilt: bool) -> tuple[float, int]:
    """One sentence with the speaker ``make`` gives: (seconds to first audio, sockets opened).
    ``prebuilt``: the client is created untimed first, so only the new connection is timed."""
    before = CONNECTS[0]
    speaker = make()
    if prebuilt:
        speaker.warm_up()
    t = time.perf_counter()
    if not prebuilt:
        speaker.warm_up()  # what a new client per sentence costs: building it
    elapsed = time.perf_counter() - t + first_audio(speaker)
    return elapsed, CONNECTS[0] - before


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def run(runs: int) -> list[tuple[str, str, str]]:
    """The modes take turns sentence by sentence (rotating order), so a busy machine slows them alike;
    each mode is also compared with the kept-open sentence of the same round (paired difference)."""
    sys.addaudithook(_watch)
    with MistralStandIn(latency=LatencyProfile()) as server:
        settings = Settings(backend="mistral", api_key=Secret("bench-key"), server_url=server.url)
        kept = MistralSpeaker(settings, MistralConnection(settings))
        kept.warm_up()
        first_audio(kept)  # imports, first connection
        fresh_speakers: list[MistralSpeaker] = []

        def new() -> MistralSpeaker:
            fresh_speakers.append(fresh(settings))
            return fresh_speakers[-1]

        modes = {
            "kept-open client (the app: one `MistralConnection` per process)": (lambda: kept, False),
            "new client per sentence (build client + connect + request)": (new, False),
            "new client per sentence, built untimed (connect + request)": (new, True),
        }
        labels = list(modes)
        times: dict[str, list[float]] = {label: [] for label in labels}
        sockets = dict.fromkeys(labels, 0)
        for i in range(runs):
            for label in labels[i % 3 :] + labels[: i % 3]:
                elapsed, opened = one(*modes[label])
                times[label].append(elapsed)
                sockets[label] += opened
            for speaker in fresh_speakers:
                close(speaker)
            fresh_speakers.clear()
        assert not server.errors, server.errors
    base = times[labels[0]]
    rows = []
    for label in labels:
        values = times[label]
        paired = statistics.median([v - b for v, b in zip(values, base, strict=True)])
        rows.append(
            (
                label,
                f"median {ms(statistics.median(values))}, p90 {ms(p90(values))}, min {ms(min(values))}"
                + ("" if label == labels[0] else f"; paired difference {ms(paired)}"),
                f"{sockets[label]} in {runs}",
            )
        )
    return rows


NOTES = """\
Result: on loopback a new TCP connection costs nothing measurable (the paired difference of the
third row is within the noise of a shared machine); building a new SDK client per sentence is what costs,
a few hundred ms (measured apart, about 200 ms for the `httpx` client, which loads the CA bundle into a
TLS context even for plain HTTP, and 150-250 ms for `Mistral(...)` itself, on this busy machine).

What this can and cannot show: the stand-in answers on loopback with no TLS, a round trip of tens of
microseconds and no service time, so the difference above is only the client side (building an SDK
client and opening a TCP connection to 127.0.0.1). Against api.mistral.ai a new connection also costs
DNS, the TCP handshake (one round trip) and the TLS handshake (one more with TLS 1.3), i.e. two to three
network round trips plus the key exchange, which a kept-open connection skips; that cost depends on the
network and cannot be measured honestly here. Voxroom already keeps one connection open: every Mistral
backend shares one `MistralConnection` (httpx keep-alive, up to 8 idle connections kept 120 s), and
the kept-open row opens no new socket. A new connection is still paid for the first sentence after the
connection has been idle longer than the keep-alive expiry (or the server closed it), e.g. the first
reply after a long meeting; re-opening it when recording starts (a cheap request while the room
speaks) would take that off the first audio.

The SDK also has a realtime speech socket (`client.audio.realtime_speech`, `mistralai/extra/realtime/
speech.py`, needs `websockets`): `connect(model, voice_id=..., response_format=..., streaming_mode=
"responsive" | "long_form", expressiveness=...)` opens `/v1/audio/speech/realtime?model=...` and waits
for `session.created`; then `send_text` (`input_text.append`), `flush` (`input_text.flush`, optional
text), `end` (`input_text.end`), `update_session` (voice, format, mode, expressiveness) and the events
`speech.audio.delta` / `speech.audio.done` / `error` (`session.updated` too); `speak_stream(text_stream,
...)` pipes an async text iterator through one socket. One socket per reply would let the agent's text
stream straight in (no per-sentence request) but is asyncio only, and the stand-in does not speak it
yet, so it is not measured here.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = run(args.runs)
    load_after = os.getloadavg()[0]
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    body = (
        f"`bench/tts_connection.py` ({args.runs} sentences per mode, one {len(SENTENCE.split())}-word "
        f"sentence, time from `MistralSpeaker.synthesize` to its first block; stand-in with no simulated "
        f"service time; {machine}; 1-minute load average {load_before:.1f} before and {load_after:.1f} "
        f"after: the machine was shared with other jobs).\n\n"
        + table(rows).replace("| measurement | result | goal |", "| mode | first audio | sockets opened |")
    )
    print(body)
    if args.write:
        write_section(
            "Mistral speech: kept-open connection",
            f"## Mistral speech: kept-open connection\n\n{body}\n\n{NOTES}",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
