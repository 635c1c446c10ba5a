"""What a route handler receives, and the shared, thread-safe state the routes answer from."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from tests.standin.records import RecordedRequest
from tests.standin.scripts import LatencyProfile, Reply, ScriptQueue, SpeechScript, TranscriptionScript
from tests.standin.wire import RequestBody, Responder

T = TypeVar("T")


@dataclass
class Call:
    """One routed request: path parameters, parsed body, its log record and its responder."""

    route: str
    params: dict[str, str]
    body: RequestBody
    record: RecordedRequest
    respond: Responder

    @property
    def json(self) -> dict[str, Any]:
        return self.body.json if isinstance(self.body.json, dict) else {}


@dataclass
class StandInState:
    """Scripts, latency, agents, conversations and voices, shared by the handler threads."""

    pause: Callable[[float], bool]
    latency: LatencyProfile = field(default_factory=LatencyProfile)
    transcriptions: ScriptQueue[TranscriptionScript] = field(
        default_factory=lambda: ScriptQueue(TranscriptionScript())
    )
    replies: ScriptQueue[Reply] = field(default_factory=lambda: ScriptQueue(Reply()))
    speech: ScriptQueue[SpeechScript] = field(default_factory=lambda: ScriptQueue(SpeechScript()))
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    voices: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Speech voices by id: the presets, then the ones made through ``POST /v1/audio/voices``."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    held_done: list[threading.Event] = field(default_factory=list)
    """Realtime sessions wait for each of these before ``transcription.done`` (the server sets them
    all when it stops)."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_script(self, queue: ScriptQueue[T]) -> T:
        with self.lock:
            return queue.next()

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}_{next(self._ids):024x}"

    def wait_held(self) -> bool:
        """Wait until every hold on ``transcription.done`` is released; False when stopping."""
        with self.lock:
            gates = list(self.held_done)
        for gate in gates:
            gate.wait()
        return self.pause(0.0)

    def set_latency(self, **changes: float | None) -> LatencyProfile:
        with self.lock:
            self.latency = replace(self.latency, **changes)
            return self.latency


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
