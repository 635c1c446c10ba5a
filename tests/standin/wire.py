"""HTTP/1.1 framing: reading request bodies (JSON, multipart) and writing JSON or SSE answers,
with the content-level faults (empty, malformed, cut, unknown event, error event) applied here so
the routes never deal with them."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.standin.faults import Fault
from tests.standin.records import RecordedRequest, UploadedFile

UNKNOWN_EVENT = "stand_in.unknown"
MALFORMED_JSON = b'{"type": "stand_in.malformed", "data": [1, 2'


@dataclass
class RequestBody:
    raw: bytes = b""
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, framed by ``Content-Length`` or ``Transfer-Encoding: chunked``."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        parts: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def parse_body(content_type: str, raw: bytes) -> RequestBody:
    body = RequestBody(raw=raw)
    if not raw:
        return body
    mime, params = _split_header(content_type)
    if mime == "multipart/form-data" and "boundary" in params:
        body.form, body.files = parse_multipart(raw, params["boundary"])
    elif mime.endswith("json"):
        try:
            body.json = json.loads(raw)
        except ValueError:
            body.json = None
    return body


def parse_multipart(raw: bytes, boundary: str) -> tuple[dict[str, list[str]], dict[str, UploadedFile]]:
    """Split a ``multipart/form-data`` body into text fields and file parts (bytes kept exact)."""
    form: dict[str, list[str]] = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"--" + boundary.encode()
    for chunk in raw.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        _, disposition = _split_header(headers.get("content-disposition", ""))
        name = disposition.get("name", "")
        if "filename" in disposition:
            files[name] = UploadedFile(name, disposition["filename"], headers.get("content-type"), data)
        else:
            form.setdefault(name, []).append(data.decode("utf-8", "replace"))
    return form, files


def _split_header(value: str) -> tuple[str, dict[str, str]]:
    main, *rest = value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, _, val = item.strip().partition("=")
        params[key.strip().lower()] = val.strip().strip('"')
    return main.strip().lower(), params


class Responder:
    """Writes one answer for one request, applying the call's content-level fault."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        record: RecordedRequest,
        fault: Fault,
        pause: Callable[[float], bool],
    ) -> None:
        self._handler = handler
        self.record = record
        self.fault = fault
        self.pause = pause
        """Wait some seconds (returns False when the server is stopping)."""

    @property
    def handler(self) -> BaseHTTPRequestHandler:
        """The connection's handler (for routes that take the socket over, e.g. WebSocket)."""
        return self._handler

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """A JSON answer with ``Content-Length`` (faults: empty, malformed, cut)."""
        body = json.dumps(payload).encode()
        if status < 300 and self.fault.empty:
            body = b""
        elif status < 300 and self.fault.malformed:
            body = MALFORMED_JSON
        cut = status < 300 and self.fault.cut_after_events is not None and len(body) > 1
        self._start(
            status, {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}
        )
        if cut:
            self._write(body[: len(body) // 2])
            self.cut_connection()
        else:
            self._write(body)

    def error(self, status: int, payload: dict[str, Any], retry_after: float | None = None) -> None:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        self.json(status, payload, headers)

    def raw(self, status: int, headers: dict[str, str], parts: Iterable[bytes]) -> None:
        """Any status, headers and body bytes as given (hostile answers)."""
        self._start(status, headers)
        for part in parts:
            if not self._write(part):
                return

    def trickle(self, status: int, headers: dict[str, str], data: bytes, interval: float) -> None:
        """Headers, then one byte of ``data`` (cycled) per ``interval`` until the client or server stops."""
        self._start(status, headers)
        position = 0
        while self.pause(interval) and self._write(data[position : position + 1]):
            position = (position + 1) % len(data)
        self.record.client_disconnected = True
        self._handler.close_connection = True

    def request_header(self, name: str) -> str | None:
        """A header of the request being answered (e.g. to echo it back)."""
        return self._handler.headers.get(name)

    def no_content(self) -> None:
        self._start(204, {"Content-Length": "0"})

    def sse(self) -> SseStream:
        self._start(
            200,
            {
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "Transfer-Encoding": "chunked",
            },
        )
        return SseStream(self)

    def cut_connection(self) -> None:
        """Close the socket at once, mid-answer."""
        self._handler.close_connection = True
        try:
            self._handler.wfile.flush()
            self._handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.record.status = status
        handler = self._handler
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
        except OSError:
            self.record.client_disconnected = True
            handler.close_connection = True

    def _write(self, data: bytes) -> bool:
        if self.record.client_disconnected:
            return False
        try:
            self._handler.wfile.write(data)
            self._handler.wfile.flush()
            return True
        except OSError:
            self.record.client_disconnected = True
            self._handler.close_connection = True
            return False


class SseStream:
    """Server-sent events in HTTP/1.1 chunks: ``event: NAME\\ndata: JSON\\n\\n`` per event.

    :meth:`send` returns False once the stream is over (cut, error event sent, empty-reply fault,
    client gone): the route should stop producing events then.
    """

    def __init__(self, responder: Responder) -> None:
        self._responder = responder
        self._fault = responder.fault
        self._count = 0
        self._open = True

    @property
    def open(self) -> bool:
        return self._open

    def send(self, event: str, data: dict[str, Any]) -> bool:
        if not self._open:
            return False
        if self._fault.empty:
            return self._finish()
        if self._fault.error_event is not None and self._count >= self._fault.error_after_events:
            message, code = self._fault.error_event
            self._emit(
                "conversation.response.error",
                json.dumps(
                    {"type": "conversation.response.error", "message": message, "code": code}
                ).encode(),
            )
            return self._finish()
        payload = json.dumps(data).encode()
        if self._fault.malformed and self._count + 1 == self._fault.malformed_event:
            payload = MALFORMED_JSON
        if not self._emit(event, payload):
            return False
        if self._fault.unknown_event and self._count == 1:
            unknown = {"type": UNKNOWN_EVENT, "note": "an event type this SDK does not know"}
            if not self._emit(UNKNOWN_EVENT, json.dumps(unknown).encode()):
                return False
        cut_after = self._fault.cut_after_events
        if cut_after is not None and self._count >= cut_after:
            self._open = False
            self._responder.cut_connection()
            return False
        return True

    def end(self) -> None:
        """Terminate the chunked body properly (the zero-length chunk)."""
        if self._open:
            self._finish()

    def _finish(self) -> bool:
        self._open = False
        self._responder._write(b"0\r\n\r\n")
        return False

    def _emit(self, event: str, payload: bytes) -> bool:
        frame = b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"
        ok = self._responder._write(b"%x\r\n%s\r\n" % (len(frame), frame))
        if ok:
            self._count += 1
            self._responder.record.events_sent = self._count
        else:
            self._open = False
        return ok
