"""Time from end of recording to first reply audio: Voxroom vs. the floor vs. a sequential pipeline.

Runs against the stand-in Mistral server (tests/standin) with latency profiles, through the real
SDK, side by side in one run. Usage: ``python bench/latency.py [--runs N]`` from the repo root.

- floor: the sum of the unavoidable server waits up to the first audio sample: transcription
  + agent time to the delta that completes the first sentence + speech time to first audio.
- voxroom: ``TurnRunner.run`` (streamed reply cut into sentences, speech per sentence).
- sequential: wait for the whole transcript, the whole non-streamed reply, then synthesize it all
  non-streamed.
- gaps: silence inserted between sentences while playing in real time (starvation of the output).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin import LatencyProfile, MistralStandIn, Reply  # noqa: E402
from tests.standin.scripts import split_text  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.backends import make_backends  # noqa: E402
from tui.config import Settings, load_settings  # noqa: E402
from tui.room.wiring import new_log  # noqa: E402
from tui.text import SentenceSplitter  # noqa: E402

REPLY = (
    "The quarterly numbers look solid. Revenue grew eight percent over last year, "
    "mostly from the new enterprise plan. Costs stayed flat, so the margin improved. "
    "I would still check the churn figures before the board meeting."
)

PROFILES = {
    "zero": LatencyProfile(),
    "fast": LatencyProfile(
        transcription_fixed=0.15,
        transcription_per_audio_second=0.02,
        agent_first_token=0.25,
        agent_tokens_per_second=60,
        speech_first_audio=0.15,
        speech_real_time_factor=0.3,
    ),
    "slow": LatencyProfile(
        transcription_fixed=0.6,
        transcription_per_audio_second=0.08,
        agent_first_token=0.9,
        agent_tokens_per_second=20,
        speech_first_audio=0.5,
        speech_real_time_factor=0.6,
    ),
}


class PlayoutSink:
    """Plays in simulated real time: records when the first block arrives and any starvation gaps."""

    def __init__(self) -> None:
        self.rate = 24000
        self.first_at: float | None = None
        self.play_end = 0.0
        self.gaps: list[float] = []

    def open(self, rate: int) -> None:
        self.rate = rate

    def write(self, block: np.ndarray) -> None:
        now = time.perf_counter()
        if self.first_at is None:
            self.first_at = now
            self.play_end = now
        elif now > self.play_end + 0.005:
            self.gaps.append(now - self.play_end)
        self.play_end = max(self.play_end, now) + len(block) / self.rate

    def drain(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def close(self) -> None:
        return None


def serve(profile: LatencyProfile, reply: str, urls: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    """The stand-in runs in its own process, so its work does not compete with Voxroom's threads."""
    with MistralStandIn(latency=profile) as server:
        server.script(Reply(text=reply), repeat=True)
        urls.put(server.url)
        stop.wait()


@contextlib.contextmanager
def served_settings(
    target: Callable[..., None], args: tuple[object, ...], data_dir: str, folder: str
) -> Iterator[Settings]:
    """Voxroom's settings for a stand-in served by ``target(*args, urls, stop)`` in its own process
    (it puts its URL on ``urls`` and serves until ``stop`` is set, at the end); sessions and caches
    go to ``data_dir``, no config file is read (``folder`` holds the missing one)."""
    urls: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    stop = mp.Event()
    proc = mp.Process(target=target, args=(*args, urls, stop), daemon=True)
    proc.start()
    try:
        url = urls.get(timeout=30)
        yield load_settings(
            env={
                "MISTRAL_API_KEY": "bench-key",
                "MISTRAL_SERVER_URL": url,
                "VOXROOM_CONFIG": str(Path(folder) / "none.toml"),
            },
            overrides={"data_dir": data_dir},
        )
    finally:
        stop.set()
        proc.join(10)


@contextlib.contextmanager
def standin_settings(profile: LatencyProfile, folder: str, reply: str = REPLY) -> Iterator[Settings]:
    """Voxroom's settings for a stand-in with ``profile`` serving in its own process (stopped at the
    end) and answering ``reply``; sessions and caches go to ``folder``, no config file is read."""
    with served_settings(serve, (profile, reply), folder, folder) as settings:
        yield settings


def recorded(source: Clip, folder: str) -> Clip:
    """``source`` as the recorder leaves a turn on disk (a 16 kHz mono FLAC in ``folder``): the turn
    starts from that."""
    import soundfile as sf

    flac = Path(folder) / "recording.flac"
    at16k = source.at_rate(16000)
    sf.write(str(flac), at16k.samples, 16000, format="FLAC", subtype="PCM_16")
    return Clip(at16k.samples, 16000, flac)


def floor_seconds(profile: LatencyProfile, audio_seconds: float, reply: str = REPLY) -> float:
    deltas = split_text(reply, None)
    splitter = SentenceSplitter()
    k = next(i for i, d in enumerate(deltas, start=1) if splitter.feed(d))
    return (
        profile.transcription_seconds(audio_seconds)
        + profile.agent_first_token
        + profile.token_interval() * (k - 1)
        + profile.speech_first_audio
    )


def run_voxroom(settings, clip: Clip, log=None) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """One turn; with ``log`` (the app's session log), the transcript is matched to the session's
    people by voice before the agent is asked, and their reference clips go with the request."""
    backends = make_backends(settings)
    backends.warm_up()  # done at start-up in the app: client opened, agent ensured, encoder loaded
    runner = backends.runner(settings)
    sink = PlayoutSink()
    ended = time.perf_counter()
    people = {"speakers": log.identify_speakers, "references": log.references()} if log is not None else {}
    result = runner.run(clip, sink=sink, ended_at=ended, **people)
    assert result.status == "done", result.error
    assert sink.first_at is not None
    return sink.first_at - ended, sum(sink.gaps)


def run_sequential(settings, clip: Clip) -> float:  # type: ignore[no-untyped-def]
    from tui.mistral import MistralConnection

    backends = make_backends(settings)
    backends.warm_up()
    client = MistralConnection.shared(settings).client
    agent_id = backends.agent.agent_id  # type: ignore[attr-defined]
    ended = time.perf_counter()
    transcript = backends.transcriber.transcribe(clip)
    res = client.beta.conversations.start(agent_id=agent_id, inputs=transcript.plain())
    text = "".join(
        c if isinstance(c, str) else "".join(getattr(x, "text", "") for x in c)
        for c in (o.content for o in res.outputs if getattr(o, "type", "") == "message.output")
    )
    speech = client.audio.speech.complete(
        input=text, model=settings.speech.model, voice_id=settings.speech.voice, response_format="pcm"
    )
    assert speech.audio_data
    return time.perf_counter() - ended


def run_bare_sdk_chain(settings, clip: Clip) -> float:  # type: ignore[no-untyped-def]
    """The same three requests with no Voxroom logic around them: the cost of the SDK + HTTP + server.

    Transcribe, stream the reply until the first sentence is complete, stream speech of that
    sentence until its first audio event. Voxroom's own overhead is its time minus this one's.
    """
    from tui.mistral import MistralConnection

    backends = make_backends(settings)
    backends.warm_up()
    client = MistralConnection.shared(settings).client
    agent_id = backends.agent.agent_id  # type: ignore[attr-defined]
    ended = time.perf_counter()
    res = client.audio.transcriptions.complete(
        model=settings.transcription.model,
        file={"file_name": "r.flac", "content": clip.path.read_bytes()},  # type: ignore[union-attr]
        diarize=True,
        timestamp_granularities=["segment"],
    )
    splitter = SentenceSplitter()
    first: list[str] = []
    with client.beta.conversations.start_stream(agent_id=agent_id, inputs=res.text) as stream:
        for event in stream:
            content = getattr(event.data, "content", None)
            if isinstance(content, str):
                first = splitter.feed(content)
                if first:
                    break
    with client.audio.speech.complete(
        input=first[0],
        model=settings.speech.model,
        voice_id=settings.speech.voice,
        response_format="pcm",
        stream=True,
    ) as speech:
        next(iter(speech))
        took = time.perf_counter() - ended
        for _ in speech:
            pass
    return took


def _spin(stop: mp.Event) -> None:  # type: ignore[type-arg]
    """A CPU-bound competitor: pure Python arithmetic until told to stop."""
    n = 0
    while not stop.is_set():
        for _ in range(100_000):
            n = (n * 31 + 7) % 1_000_003


class BusyLoad:
    """``count`` CPU-bound processes competing for the cores while a benchmark runs."""

    def __init__(self, count: int) -> None:
        self.stop = mp.Event()
        self.procs = [mp.Process(target=_spin, args=(self.stop,), daemon=True) for _ in range(count)]

    def __enter__(self) -> BusyLoad:
        for proc in self.procs:
            proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.join(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clip", default=str(ROOT / "tests" / "data" / "audio" / "beckett.wav"))
    parser.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated profile names")
    parser.add_argument("--no-sequential", action="store_true", help="skip the sequential pipeline")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound competing processes to run")
    args = parser.parse_args()
    source = load_clip(args.clip)
    rows = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        clip = recorded(source, tmp)
        for name in args.profiles.split(","):
            profile = PROFILES[name]
            with standin_settings(profile, tmp) as settings:
                floor = floor_seconds(profile, clip.duration)
                run_voxroom(settings, clip)  # warm-up turn (server-side imports), not counted
                log = new_log(settings, make_backends(settings))
                run_voxroom(settings, clip, log)  # the session meets its people, not counted
                vox, seq, gaps, bare, people = [], [], [], [], []
                with BusyLoad(args.busy):
                    for _ in range(args.runs):
                        first, gap = run_voxroom(settings, clip)
                        vox.append(first)
                        gaps.append(gap)
                        people.append(run_voxroom(settings, clip, log)[0])
                        if not args.no_sequential:
                            seq.append(run_sequential(settings, clip))
                        bare.append(run_bare_sdk_chain(settings, clip))
                        loads.append(os.getloadavg()[0])
            v, s = statistics.median(vox), statistics.median(seq) if seq else float("nan")
            b = statistics.median(bare)
            p = statistics.median(people)
            rows.append((name, floor, v, v - floor, b, s, v / s, statistics.median(gaps), p))
    print(f"clip: {Path(args.clip).name} ({clip.duration:.1f} s), {args.runs} runs each, medians")
    print(f"busy processes: {args.busy}; 1-minute load average {min(loads):.1f}-{max(loads):.1f}")
    print(
        "| profile | floor | Voxroom first audio | over floor | bare SDK chain | Voxroom - bare "
        "| sequential first audio | Voxroom/sequential | gaps | with the session's people | people cost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, floor, v, over, b, s, ratio, gap, p in rows:
        print(
            f"| {name} | {floor * 1000:.0f} ms | {v * 1000:.0f} ms | {over * 1000:+.0f} ms "
            f"| {b * 1000:.0f} ms | {(v - b) * 1000:+.0f} ms "
            f"| {s * 1000:.0f} ms | {ratio:.2f} | {gap * 1000:.0f} ms "
            f"| {p * 1000:.0f} ms | {(p - v) * 1000:+.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
