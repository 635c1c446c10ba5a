"""Server-sent events read from an SDK stream's HTTP response, cheaply.

The SDK's own reader (``mistralai`` ``eventstreaming.stream_events``) looks for event boundaries
one byte at a time in a Python loop and builds a new pydantic model class for every event, so a
second of streamed speech (about 128 KB of base64) costs tens of ms of CPU under the GIL, taken from
the other threads of a turn (the agent's stream, the player, the UI). Here boundaries are found
with ``bytes.find`` and each event is validated by the SDK's own model class, so the objects are the
same as the SDK's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")

MAX_EVENT_BYTES = 32 * 1024 * 1024
"""An event larger than this (no boundary in 32 MB) is refused: the server is not speaking SSE."""


class SSEError(ValueError):
    """The stream is not readable as server-sent events."""


def frames(chunks: Iterator[bytes], max_bytes: int = MAX_EVENT_BYTES) -> Iterator[tuple[str, str]]:
    """``(event name, data)`` per event of an SSE byte stream (lines end in LF, CRLF or CR).

    Comments and events without data are skipped, as the SDK does.
    """
    buffer = b""
    for chunk in chunks:
        if not chunk:
            continue
        buffer += chunk
        if b"\r" in buffer:
            # Normalise line ends; a CR at the very end may be the first half of a CRLF.
            keep = buffer.endswith(b"\r")
            body = buffer[:-1] if keep else buffer
            buffer = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if keep else b"")
        start = 0
        while True:
            end = buffer.find(b"\n\n", start)
            if end < 0:
                break
            event = _parse(buffer[start:end])
            start = end + 2
            if event is not None:
                yield event
        buffer = buffer[start:]
        if len(buffer) > max_bytes:
            raise SSEError(f"an event is larger than {max_bytes // (1024 * 1024)} MB")
    tail = buffer.rstrip(b"\r\n")
    if tail:
        event = _parse(tail)
        if event is not None:
            yield event


def _parse(block: bytes) -> tuple[str, str] | None:
    name = ""
    data: list[str] = []
    for line in block.decode("utf-8", errors="replace").split("\n"):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
    if not data:
        return None
    return name, "\n".join(data)


def events(stream: Any, model: type[T]) -> Iterator[T]:
    """The events of an SDK ``EventStream`` (``stream.response``), each validated as ``model``
    (the SDK's event model, e.g. ``models.SpeechStreamEvents``), read with :func:`frames`."""
    validate = model.model_validate  # type: ignore[attr-defined]
    for name, data in frames(stream.response.iter_bytes()):
        try:
            payload: Any = json.loads(data)
        except ValueError:
            payload = data
        event: dict[str, Any] = {"data": payload}
        if name:
            event["event"] = name
        yield validate(event)
