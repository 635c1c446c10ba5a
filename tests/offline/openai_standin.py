"""A small stand-in for an OpenAI-compatible chat-completions server (Ollama, vLLM...), on 127.0.0.1.

Real HTTP/1.1 with keep-alive and chunked server-sent events. Each ``POST /v1/chat/completions`` is
recorded and answered by the next scripted response (``Stream``, ``Fail``, ``Cut`` or ``Answer``); with
nothing scripted it streams a short default reply. A request with ``"stream": false`` gets one
``chat.completion`` JSON; with a ``response_format`` of type ``json_schema`` and nothing scripted, its
content is JSON that follows the schema, built from the transcript in the last user message
(:mod:`tests.standin.structured`).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standin.structured import answer_for, requested_schema

GATE_TIMEOUT_S = 10.0


@dataclass
class Stream:
    """Stream ``deltas`` as SSE chunks, then a ``finish_reason`` chunk and ``data: [DONE]``.

    With ``gate``, the server waits for it after sending ``gate_after`` deltas, so a test can prove
    the client saw those deltas while the response was still open.
    """

    deltas: list[str]
    finish_reason: str | None = "stop"
    send_done: bool = True
    gate: threading.Event | None = None
    gate_after: int = 1


@dataclass
class Fail:
    status: int
    body: str = '{"error": {"message": "model crashed", "type": "server_error"}}'
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers, e.g. ``Location`` for a redirect."""


@dataclass
class Cut:
    """Stream ``deltas``, then drop the connection in the middle of the chunked body."""

    deltas: list[str]


@dataclass
class Answer:
    """A whole (not streamed) answer with this content: a hostile structured answer, say."""

    content: str


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int


@dataclass
class _State:
    requests: list[Recorded] = field(default_factory=list)
    script: deque[Stream | Fail | Cut | Answer] = field(default_factory=deque)
    gate_timeouts: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)


def _chunk(delta: str | None, model: str, finish: str | None = None) -> bytes:
    choice: dict[str, Any] = {"index": 0, "delta": {}, "finish_reason": finish}
    if delta is not None:
        choice["delta"] = {"role": "assistant", "content": delta}
    event = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "model": model, "choices": [choice]}
    return f"data: {json.dumps(event)}\n\n".encode()


def _completion(action: Stream | Cut | Answer | None, body: dict[str, Any], model: str) -> dict[str, Any]:
    """A non-streamed ``chat.completion``: the scripted content, or one following the requested schema."""
    if isinstance(action, Answer):
        content = action.content
    elif action is not None:
        content = "".join(action.deltas)
    else:
        schema = requested_schema(body.get("response_format"))
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
        prompt = messages[-1].get("content", "") if messages else ""
        content = answer_for(schema, str(prompt)) if schema is not None else "Hello there."
    message = {"role": "assistant", "content": content}
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def _record(self, body: Any) -> None:
        state = self.server.state
        with state.changed:
            state.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
            )
            state.changed.notify_all()

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [{"id": "standin-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._record(body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        state = self.server.state
        with state.changed:
            scripted = state.script.popleft() if state.script else None
        model = body.get("model", "") if isinstance(body, dict) else ""
        action = scripted or Stream(["Hello", " there."])
        if isinstance(body, dict) and body.get("stream") is False and not isinstance(action, Fail):
            self._send_json(200, _completion(scripted, body, model))
            return
        if isinstance(action, Fail):
            data = action.body.encode()
            self.send_response(action.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in action.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            return
        self._start_stream()
        if isinstance(action, Cut):
            for delta in action.deltas:
                self._write_chunk(_chunk(delta, model))
            self.wfile.flush()
            self.close_connection = True  # no terminating 0-length chunk: the body is cut
            return
        for i, delta in enumerate(action.deltas):
            if action.gate is not None and i == action.gate_after and not action.gate.wait(GATE_TIMEOUT_S):
                with state.changed:
                    state.gate_timeouts += 1
            self._write_chunk(_chunk(delta, model))
        if action.finish_reason is not None:
            self._write_chunk(_chunk(None, model, action.finish_reason))
        if action.send_done:
            self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class OpenAIStandin:
    """``with OpenAIStandin() as server:`` then point ``agent.openai_url`` at ``server.url``."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="openai-standin", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> list[Recorded]:
        with self.state.changed:
            return list(self.state.requests)

    @property
    def state(self) -> _State:
        return self._server.state

    def script(self, *actions: Stream | Fail | Cut | Answer) -> None:
        with self.state.changed:
            self.state.script.extend(actions)

    def start(self) -> OpenAIStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
