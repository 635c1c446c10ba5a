"""The stand-in Mistral server: a real HTTP/1.1 server on 127.0.0.1 speaking Mistral's wire format.

    with MistralStandIn() as server:
        server.script(Reply("Sunny, 21 degrees.", deltas=3))
        server.fail("speech", Fault.http(503), times=1)
        client = Mistral(api_key="test-key", server_url=server.url)
        ...
        assert server.requests[0].route == "conversations.start"

Routes: ``transcriptions``, ``realtime`` (a WebSocket), ``speech``, ``speech.realtime`` (a WebSocket),
``agents.create|list|list_pages|get|update|delete``,
``conversations.start|append|restart|delete|history``,
``models.list``,
``voices.search|list|get|sample|create|update|delete``;
anything else answers 404 (route ``unknown``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tests.standin import hostile
from tests.standin.agents import AgentRoutes, new_agent
from tests.standin.calls import Call, StandInState
from tests.standin.conversations import ConversationRoutes
from tests.standin.faults import Fault, FaultPlan, error_body
from tests.standin.hostile import echoed_key_message
from tests.standin.models import list_models
from tests.standin.realtime import RealtimeRoute
from tests.standin.records import RecordedRequest, RequestLog, sha256_text
from tests.standin.scripts import LatencyProfile, Reply, SpeechScript, TranscriptionScript
from tests.standin.speech import SpeechRoute
from tests.standin.speech_socket import SpeechSocketRoute
from tests.standin.transcription import TranscriptionRoute
from tests.standin.voice_library import VoiceRoutes, add_voice, preset_voices
from tests.standin.wire import Responder, parse_body, read_body

Script = TranscriptionScript | Reply | SpeechScript | str


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Callable[[Call], None]


class _Router:
    """Maps (method, path) to a named route and its handler."""

    def __init__(self, state: StandInState) -> None:
        transcription = TranscriptionRoute(state)
        agents = AgentRoutes(state)
        conversations = ConversationRoutes(state)
        speech = SpeechRoute(state)
        realtime = RealtimeRoute(state)
        speech_socket = SpeechSocketRoute(state)
        voices = VoiceRoutes(state)
        voice = r"/v1/audio/voices/(?P<voice_id>[^/]+)"
        agent = r"/v1/agents/(?P<agent_id>[^/]+)"
        conversation = r"/v1/conversations/(?P<conversation_id>[^/]+)"
        table: list[tuple[str, str, str, Callable[[Call], None]]] = [
            ("POST", r"/v1/audio/transcriptions", "transcriptions", transcription.handle),
            ("GET", r"/v1/audio/transcriptions/realtime", "realtime", realtime.handle),
            ("POST", r"/v1/audio/speech", "speech", speech.handle),
            ("GET", r"/v1/audio/speech/realtime", "speech.realtime", speech_socket.handle),
            ("POST", r"/v1/agents", "agents.create", agents.create),
            ("GET", r"/v1/agents", "agents.list", agents.list),
            ("GET", r"/v1/agents/pages", "agents.list_pages", agents.list_pages),
            ("GET", agent, "agents.get", agents.get),
            ("PATCH", agent, "agents.update", agents.update),
            ("DELETE", agent, "agents.delete", agents.delete),
            ("POST", r"/v1/conversations", "conversations.start", conversations.start),
            ("POST", conversation, "conversations.append", conversations.append),
            ("POST", conversation + "/restart", "conversations.restart", conversations.restart),
            ("DELETE", conversation, "conversations.delete", conversations.delete),
            ("GET", conversation + "/history", "conversations.history", conversations.history),
            ("GET", r"/v1/models", "models.list", list_models),
            ("GET", r"/v2/audio/voices", "voices.search", voices.search),
            ("GET", r"/v1/audio/voices", "voices.list", voices.list),
            ("POST", r"/v1/audio/voices", "voices.create", voices.create),
            ("GET", voice + "/sample", "voices.sample", voices.sample),
            ("GET", voice, "voices.get", voices.get),
            ("PATCH", voice, "voices.update", voices.update),
            ("DELETE", voice, "voices.delete", voices.delete),
        ]
        self._routes = [_Route(m, re.compile(p + r"/?"), n, h) for m, p, n, h in table]

    def match(self, method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None, {}


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive. All behaviour lives in :class:`MistralStandIn`."""

    protocol_version = "HTTP/1.1"
    server_version = "MistralStandIn/1.0"
    timeout = 30
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # No Nagle: headers, JSON bodies and SSE chunks are separate small writes, and Nagle plus
        # the client's delayed ACK would add ~40 ms to every answer (and distort latency profiles).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self.server.owner._dispatch(self)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    owner: MistralStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client resetting or closing its connection is normal (cancelled turns, timeouts);
        anything else is kept in ``owner.errors`` instead of being printed."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.owner.errors.append(traceback.format_exc())


class MistralStandIn:
    """A running stand-in for ``api.mistral.ai`` (see the module docstring and tests/README.md)."""

    def __init__(self, *, api_key: str | None = None, latency: LatencyProfile | None = None) -> None:
        self.api_key = api_key
        """When set, requests without ``Authorization: Bearer <api_key>`` get a 401."""
        self._stopping = threading.Event()
        self._state = StandInState(pause=self._pause, latency=latency or LatencyProfile())
        self._state.voices.update(preset_voices(self._state))
        self._router = _Router(self._state)
        self._faults = FaultPlan()
        self._log = RequestLog()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self.errors: list[str] = []
        """Tracebacks of exceptions raised inside the stand-in's handlers (should stay empty)."""
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> MistralStandIn:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="mistral-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end pending delays, close every open connection."""
        if self._httpd is None:
            return
        self._stopping.set()
        with self._state.lock:
            for gate in self._state.held_done:
                gate.set()
        self._httpd.shutdown()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> MistralStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the stand-in server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to pass as ``server_url`` (no ``/v1``): ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------------

    def script(self, *items: Script, repeat: bool = False) -> None:
        """Queue answers, used once each in order by their route; then the default answers again.

        A ``str`` is a :class:`Reply` with that text. ``repeat=True`` makes each item the new
        default for its kind instead (the last one wins).
        """
        for item in items:
            script = Reply(text=item) if isinstance(item, str) else item
            queue = {
                TranscriptionScript: self._state.transcriptions,
                Reply: self._state.replies,
                SpeechScript: self._state.speech,
            }[type(script)]
            with self._state.lock:
                if repeat:
                    queue.default = script
                else:
                    queue.queued.append(script)

    def fail(
        self,
        route: str,
        fault: Fault | int,
        *,
        on_calls: Iterable[int] | None = None,
        times: int | None = None,
    ) -> None:
        """Make calls to ``route`` (or a group: ``"agents"``, ``"conversations"``) fail.

        ``fault`` is a :class:`Fault` or an HTTP status (``Fault.http(status)``). It hits the
        route's calls numbered ``on_calls`` (1-based, counted since start), else the next ``times``
        calls, else every call.
        """
        self._faults.add(
            route, Fault.http(fault) if isinstance(fault, int) else fault, on_calls=on_calls, times=times
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def latency(self) -> LatencyProfile:
        return self._state.latency

    @latency.setter
    def latency(self, profile: LatencyProfile) -> None:
        with self._state.lock:
            self._state.latency = profile

    def hold_realtime_done(self) -> threading.Event:
        """Realtime sessions keep ``transcription.done`` (and what comes with it) until the returned
        event is set: a deterministic "the service has not finished yet" for tests."""
        gate = threading.Event()
        with self._state.lock:
            self._state.held_done.append(gate)
        return gate

    def set_latency(self, **changes: float | None) -> LatencyProfile:
        """Change some :class:`LatencyProfile` fields, e.g. ``set_latency(agent_first_token=0.2)``."""
        return self._state.set_latency(**changes)

    def add_agent(
        self,
        name: str = "Voxroom",
        model: str = "mistral-medium-latest",
        agent_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create an agent directly (as if made earlier through the API); returns the agent object."""
        return new_agent(self._state, {"name": name, "model": model, **fields}, agent_id)

    @property
    def agents(self) -> dict[str, dict[str, Any]]:
        with self._state.lock:
            return {key: dict(value) for key, value in self._state.agents.items()}

    def add_voice(self, name: str, *, preset: bool = False, **fields: Any) -> dict[str, Any]:
        """Store a speech voice directly (as if made earlier); returns the voice object."""
        return add_voice(self._state, {"name": name, **fields}, "preset" if preset else "custom")

    @property
    def voices(self) -> dict[str, dict[str, Any]]:
        """The speech voices, ``id -> voice`` (the presets first)."""
        with self._state.lock:
            return {key: dict(value) for key, value in self._state.voices.items()}

    @property
    def conversations(self) -> dict[str, list[dict[str, Any]]]:
        """``conversation_id -> entries`` (inputs and outputs, oldest first)."""
        with self._state.lock:
            return {key: list(value["entries"]) for key, value in self._state.conversations.items()}

    # -- the request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a snapshot)."""
        return self._log.snapshot()

    def requests_to(self, route: str) -> list[RecordedRequest]:
        """The requests to ``route`` or to the routes of a group (``"agents"``)."""
        return [r for r in self._log.snapshot() if r.route == route or r.route.startswith(route + ".")]

    def wait_for_requests(
        self, count: int, route: str | None = None, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Block until ``count`` requests (to ``route``) arrived; ``TimeoutError`` otherwise."""
        return self._log.wait_for(count, route, timeout)

    def call_count(self, route: str) -> int:
        """How many calls ``route`` (or a group) received since start (fault rules count the same)."""
        return self._faults.count(route)

    def peak_concurrency(self, route: str) -> int:
        """The most calls to ``route`` (or a group) that were being answered at the same time."""
        with self._connections_lock:
            return self._peak[route]

    def clear_requests(self) -> None:
        self._log.clear()

    # -- internals -------------------------------------------------------------------------------

    def _pause(self, seconds: float) -> bool:
        """Simulated service time. Returns False when the server is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _dispatch(self, handler: _Handler) -> None:
        record: RecordedRequest | None = None
        try:
            record, call, route = self._receive(handler)
            self._count_in_flight(record.route, +1)
            try:
                self._serve(call, route)
            finally:
                self._count_in_flight(record.route, -1)
        except Exception:
            self.errors.append(traceback.format_exc())
            handler.close_connection = True
            if record is not None and record.status is None:
                Responder(handler, record, Fault(), self._pause).error(500, error_body(500))
        finally:
            if record is not None:
                record.finished.set()

    def _count_in_flight(self, route: str, change: int) -> None:
        parts = route.split(".")
        with self._connections_lock:
            for i in range(1, len(parts) + 1):
                key = ".".join(parts[:i])
                self._in_flight[key] += change
                self._peak[key] = max(self._peak[key], self._in_flight[key])

    def _receive(self, handler: _Handler) -> tuple[RecordedRequest, Call, _Route | None]:
        url = urlsplit(handler.path)
        raw = read_body(handler)
        body = parse_body(handler.headers.get("Content-Type", ""), raw)
        route, params = self._router.match(handler.command, url.path)
        name = route.name if route else "unknown"
        number, fault = self._faults.next_call(name)
        auth = handler.headers.get("Authorization")
        headers = {
            k.lower(): ("<redacted>" if k.lower() == "authorization" else v)
            for k, v in handler.headers.items()
        }
        record = RecordedRequest(
            method=handler.command,
            path=url.path,
            query=url.query,
            route=name,
            call=number,
            headers=headers,
            auth_present=auth is not None,
            auth_sha256=sha256_text(auth) if auth is not None else None,
            json=body.json,
            form=body.form,
            files=body.files,
            raw_body_size=len(raw),
        )
        self._log.append(record)
        call = Call(name, params, body, record, Responder(handler, record, fault, self._pause))
        return record, call, route

    def _serve(self, call: Call, route: _Route | None) -> None:
        fault = call.respond.fault
        if not self._pause(fault.delay):
            return
        if route is None:
            call.respond.error(404, error_body(404, f"No route for {call.record.method} {call.record.path}"))
        elif self.api_key is not None and not call.record.has_key(self.api_key):
            call.respond.error(401, error_body(401))
        elif fault.rejects:
            body = fault.error_body()
            if fault.echo_key:
                body["message"] = echoed_key_message(call.respond.request_header("Authorization"))
            call.respond.error(fault.reject_status, body, fault.retry_after)
        elif fault.hostile_on(route.name):
            hostile.answer(call)
        else:
            route.handler(call)


def free_closed_port() -> int:
    """A loopback TCP port that nothing listens on (bound, then closed): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_url() -> str:
    """``http://127.0.0.1:<free_closed_port()>``: a ``server_url`` whose connections are refused."""
    return f"http://127.0.0.1:{free_closed_port()}"
