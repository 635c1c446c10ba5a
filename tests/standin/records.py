"""The request log: every request the stand-in received, for tests to assert on."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart form."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    """One request. The ``Authorization`` value is never kept: only whether it was present and a
    SHA-256 of it (``auth_sha256``), so a test can check the key without the log holding it."""

    method: str
    path: str
    query: str
    route: str
    call: int
    """This route's call number (1-based), as used by fault rules."""
    headers: dict[str, str]
    """Lower-cased names; ``authorization`` is replaced by ``"<redacted>"``."""
    auth_present: bool
    auth_sha256: str | None
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    raw_body_size: int = 0
    received_at: float = field(default_factory=time.monotonic)
    status: int | None = None
    """The status answered (``None`` until the answer started)."""
    events_sent: int = 0
    """SSE events written (for streaming answers)."""
    client_disconnected: bool = False
    """The client closed the connection while the answer was being written."""
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set when the server has finished answering (or gave up)."""
    ws_messages: list[dict[str, Any]] = field(default_factory=list)
    """WebSocket (realtime) only: the client's messages in order, ``audio`` replaced by
    ``audio_bytes`` (its decoded size)."""
    ws_sent: list[str] = field(default_factory=list)
    """WebSocket (realtime) only: the type of every event the server sent, in order."""
    ws_delta_at: list[float] = field(default_factory=list)
    """WebSocket (realtime) only: the seconds of audio received when each text delta was sent."""
    ws_audio: bytearray = field(default_factory=bytearray, repr=False)
    """WebSocket (realtime) only: every decoded ``input_audio.append`` byte, in order."""
    stalled: bool = False
    """WebSocket (realtime) only: a ``Fault.stall`` stopped the session."""
    ws_spoken: list[str] = field(default_factory=list)
    """Speech socket only: each piece of text spoken, in order (stripped), as the streaming mode cut it."""

    @property
    def stream(self) -> bool:
        if isinstance(self.json, dict):
            return bool(self.json.get("stream"))
        return self.form.get("stream", ["false"])[-1].lower() == "true"

    def form_value(self, name: str) -> str | None:
        """The last value of a multipart form field, e.g. ``form_value("model")``."""
        values = self.form.get(name)
        return values[-1] if values else None

    def has_key(self, api_key: str) -> bool:
        """True when the request carried ``Authorization: Bearer <api_key>``."""
        return self.auth_sha256 == sha256_text(f"Bearer {api_key}")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RequestLog:
    """A thread-safe, append-only list of :class:`RecordedRequest` with waiting helpers."""

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._changed = threading.Condition()

    def append(self, record: RecordedRequest) -> None:
        with self._changed:
            self._items.append(record)
            self._changed.notify_all()

    def snapshot(self) -> list[RecordedRequest]:
        with self._changed:
            return list(self._items)

    def wait_for(self, count: int, route: str | None = None, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests (to ``route``, or its group) arrived; return them.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """

        def matching() -> list[RecordedRequest]:
            return [
                r for r in self._items if route is None or r.route == route or r.route.startswith(route + ".")
            ]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} request(s) to {route or 'any route'}, "
                    f"got {len(matching())} in {timeout} s"
                )
            return matching()

    def clear(self) -> None:
        with self._changed:
            self._items.clear()
