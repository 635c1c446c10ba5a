"""Fault injection: what can go wrong with a call, and which calls it hits.

A :class:`Fault` is attached to a route (``"speech"``, ``"conversations.append"``, or a group such
as ``"agents"`` / ``"conversations"``) for some of that route's calls, counted from 1 since the
server started. See ``tests/README.md`` ("Stand-in Mistral server") for the wire effect of each kind.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DEFAULT_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("Bad request", "invalid_request_error", "bad_request"),
    401: ("Unauthorized", "authentication_error", "unauthorized"),
    403: ("Forbidden", "permission_error", "forbidden"),
    404: ("Not found", "invalid_request_error", "not_found"),
    422: ("Validation error", "invalid_request_error", "validation_error"),
    429: ("Requests rate limit exceeded", "rate_limit_error", "rate_limited"),
    500: ("Internal server error", "server_error", "internal_error"),
    502: ("Bad gateway", "server_error", "bad_gateway"),
    503: ("Service unavailable", "server_error", "service_unavailable"),
}

GUARDRAIL_MESSAGE = "Content blocked by guardrail"


def error_body(
    status: int, message: str | None = None, error_type: str | None = None, code: str | int | None = None
) -> dict[str, Any]:
    """The JSON error body: ``{"object": "error", "message", "type", "code"}`` (+ ``detail`` for 422)."""
    default_message, default_type, default_code = DEFAULT_ERRORS.get(
        status, ("HTTP error", "server_error" if status >= 500 else "invalid_request_error", str(status))
    )
    body: dict[str, Any] = {
        "object": "error",
        "message": message or default_message,
        "type": error_type or default_type,
        "code": code if code is not None else default_code,
    }
    if status == 422:
        body["detail"] = [{"loc": ["body"], "msg": body["message"], "type": "value_error"}]
    return body


def guardrail_body(
    categories: dict[str, float], thresholds: dict[str, float] | None = None
) -> dict[str, Any]:
    """What a moderation guardrail block answers with HTTP 403 (per Mistral's guardrailing docs);
    each category's threshold is 0.5 unless ``thresholds`` names it (the agent's custom ones)."""
    limits = {name: (thresholds or {}).get(name, 0.5) for name in categories}
    return {
        "object": "error",
        "message": GUARDRAIL_MESSAGE,
        "type": "guardrail_blocked",
        "code": "guardrail_blocked",
        "error": {"message": GUARDRAIL_MESSAGE, "status": 403},
        "guardrails": {
            "results": {
                "moderation_llm_v2": {
                    "blocked": True,
                    "scores": dict(categories),
                    "thresholds": limits,
                    "violations": {name: score >= limits[name] for name, score in categories.items()},
                }
            }
        },
    }


@dataclass(frozen=True)
class Fault:
    """One thing that goes wrong with a call. Build it with the class methods; fields combine.

    Before the route runs: ``delay`` (then answer normally, or with the other fields), ``status``
    (an HTTP error with a JSON error body), ``guardrail`` (HTTP 403, guardrail body).
    While answering: ``empty`` (200 and no body / no events), ``malformed`` (invalid JSON in the
    body, or in the data of SSE event number ``malformed_event``), ``unknown_event`` (an SSE event of
    an unknown type right after the first event), ``cut_after_events`` (SSE: the socket is closed
    after that many events; JSON: after half the body), ``error_event`` (SSE: after
    ``error_after_events`` events, send ``conversation.response.error`` and end the stream),
    ``stall_after_events`` (realtime WebSocket: after that many events, neither read nor answer),
    ``references_status`` (transcription: refuse a request that carries ``speaker_references``
    with this HTTP status; requests without them are answered normally), ``prelude`` (realtime
    WebSocket: ``(count, size)``: that many events of ``size`` bytes before ``session.created``).
    ``first_audio_delay`` (speech socket: added before the session's first audio), ``wrong_typed``
    (speech socket: ``audio_data`` a number, ``usage`` a string), ``refuse_text`` (speech socket: an
    ``error`` event with code 403 and this message instead of the audio of any text).
    Hostile answers: ``oversize``, ``gzip_bomb``, ``redirect``, ``trickle`` (see the class methods),
    and ``echo_key`` (the HTTP error's message quotes the ``Authorization`` header).
    """

    status: int | None = None
    message: str | None = None
    error_type: str | None = None
    code: str | int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    guardrail: dict[str, float] | None = None
    guardrail_thresholds: dict[str, float] | None = None
    empty: bool = False
    malformed: bool = False
    malformed_event: int = 1
    unknown_event: bool = False
    cut_after_events: int | None = None
    error_event: tuple[str, int] | None = None
    error_after_events: int = 1
    stall_after_events: int | None = None
    references_status: int | None = None
    prelude: tuple[int, int] | None = None
    first_audio_delay: float = 0.0
    wrong_typed: bool = False
    refuse_text: str | None = None
    # Hostile answers (tests/standin/hostile.py): they replace the route's answer entirely.
    oversize: int | None = None
    gzip_bomb: int | None = None
    redirect: tuple[int, str] | None = None
    echo_key: bool = False
    trickle: float | None = None

    @classmethod
    def http(
        cls,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        code: str | int | None = None,
        retry_after: float | None = None,
    ) -> Fault:
        """An HTTP error. 429 and 503 carry ``Retry-After`` (default 0.01 s, fractional seconds)."""
        if retry_after is None and status in (429, 503):
            retry_after = 0.01
        return cls(status=status, message=message, error_type=error_type, code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering (normally). For client timeouts."""
        return cls(delay=seconds)

    @classmethod
    def cut(cls, after_events: int = 1) -> Fault:
        """Close the socket mid-answer: after ``after_events`` SSE events, or mid-body for JSON."""
        return cls(cut_after_events=after_events)

    @classmethod
    def malformed_json(cls, event: int = 1) -> Fault:
        """Invalid JSON: the whole body, or the data of SSE event number ``event`` (1-based)."""
        return cls(malformed=True, malformed_event=event)

    @classmethod
    def unknown_sse_event(cls) -> Fault:
        """Insert an event of an unknown type (``stand_in.unknown``) after the first event."""
        return cls(unknown_event=True)

    @classmethod
    def empty_reply(cls) -> Fault:
        """HTTP 200 with an empty body (JSON routes) or a stream with no events (SSE)."""
        return cls(empty=True)

    @classmethod
    def guardrail_block(
        cls, categories: dict[str, float] | None = None, thresholds: dict[str, float] | None = None
    ) -> Fault:
        """A moderation guardrail blocks the request: HTTP 403 with the guardrail result body (the
        scores of ``categories`` against ``thresholds``, 0.5 for a category they do not name)."""
        return cls(
            guardrail=dict(categories or {"violence_and_threats": 0.93}),
            guardrail_thresholds=dict(thresholds) if thresholds else None,
        )

    @classmethod
    def response_error(
        cls, message: str = "Internal error while generating", code: int = 3000, after_events: int = 1
    ) -> Fault:
        """A ``conversation.response.error`` event after ``after_events`` events, then end of stream."""
        return cls(error_event=(message, code), error_after_events=after_events)

    @classmethod
    def stall(cls, after_events: int = 2) -> Fault:
        """Realtime WebSocket: after ``after_events`` events stop reading and answering (no
        ``transcription.done`` ever; the client's audio piles up in the TCP buffers)."""
        return cls(stall_after_events=after_events)

    @classmethod
    def refuse_speaker_references(cls, status: int = 422, message: str | None = None) -> Fault:
        """Transcription: answer ``status`` to requests that carry ``speaker_references`` (the
        message names the field); requests without references are answered normally."""
        return cls(references_status=status, message=message)

    @classmethod
    def prelude_flood(cls, count: int = 2000, size: int = 8192) -> Fault:
        """Realtime WebSocket: ``count`` events of ``size`` bytes each (of a type the SDK does not
        know) before ``session.created``; stops early once the client has gone."""
        return cls(prelude=(count, size))

    @classmethod
    def slow_first_audio(cls, seconds: float) -> Fault:
        """Speech socket: the session opens at once, its first audio comes ``seconds`` late."""
        return cls(first_audio_delay=seconds)

    @classmethod
    def wrong_types(cls) -> Fault:
        """Speech socket: every ``speech.audio.delta`` carries a number as ``audio_data`` and
        ``speech.audio.done`` a string as ``usage`` (the SDK's models refuse both)."""
        return cls(wrong_typed=True)

    @classmethod
    def refused_text(cls, message: str = "Input refused by moderation") -> Fault:
        """Speech socket: every piece of text it would speak is answered by an ``error`` event
        ``{message, code: 403}`` instead of its audio; the session goes on (``speech.audio.done``
        after ``input_text.end``)."""
        return cls(refuse_text=message)

    @classmethod
    def oversized(cls, nbytes: int = 48 * 1024 * 1024) -> Fault:
        """200 with an answer of ``nbytes``: one JSON body, or (SSE) one event that big, sent for real;
        on the speech socket, every ``speech.audio.delta`` carries ``nbytes`` of base64."""
        return cls(oversize=nbytes)

    @classmethod
    def gzip_bomb_reply(cls, decoded_bytes: int = 96 * 1024 * 1024) -> Fault:
        """200, ``Content-Encoding: gzip``: a few hundred kB on the wire, ``decoded_bytes`` decoded."""
        return cls(gzip_bomb=decoded_bytes)

    @classmethod
    def redirect_to(cls, location: str, status: int = 307) -> Fault:
        """A redirect (307/308 keep the method and body) to ``location``, e.g. another stand-in."""
        return cls(redirect=(status, location))

    @classmethod
    def echo_secret(cls, status: int = 401) -> Fault:
        """An HTTP error whose message quotes the request's ``Authorization`` header (the key)."""
        return cls(status=status, echo_key=True)

    @classmethod
    def slow_trickle(cls, interval: float = 0.05) -> Fault:
        """200, then one byte of an answer that never ends every ``interval`` seconds, forever."""
        return cls(trickle=interval)

    def hostile_on(self, route: str) -> bool:
        """True when :mod:`tests.standin.hostile` answers instead of ``route`` (the speech socket
        sends an oversized message itself, inside the session)."""
        if route == "speech.realtime" and self.oversize is not None:
            return self.redirect is not None or self.gzip_bomb is not None or self.trickle is not None
        return self.hostile

    @property
    def hostile(self) -> bool:
        """True when :mod:`tests.standin.hostile` answers instead of the route."""
        return any(
            (
                self.oversize is not None,
                self.gzip_bomb is not None,
                self.redirect is not None,
                self.trickle is not None,
            )
        )

    def error_body(self) -> dict[str, Any]:
        if self.guardrail is not None:
            return guardrail_body(self.guardrail, self.guardrail_thresholds)
        return error_body(self.status or 500, self.message, self.error_type, self.code)

    @property
    def rejects(self) -> bool:
        """True when the call is answered with an HTTP error instead of the route's answer."""
        return self.status is not None or self.guardrail is not None

    @property
    def reject_status(self) -> int:
        return 403 if self.guardrail is not None else (self.status or 500)


NO_FAULT = Fault()


@dataclass
class _Rule:
    route: str
    fault: Fault
    calls: frozenset[int] | None
    remaining: int | None


def route_matches(rule_route: str, route: str) -> bool:
    return route == rule_route or route.startswith(rule_route + ".")


class FaultPlan:
    """Thread-safe rules ``route -> fault``; counts each route's (and group's) calls from 1."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._counts: Counter[str] = Counter()

    def add(
        self, route: str, fault: Fault, *, on_calls: Iterable[int] | None = None, times: int | None = None
    ) -> None:
        """Apply ``fault`` to ``route``: on the listed call numbers, else on the next ``times``
        calls, else on every call. The first matching rule wins."""
        calls = frozenset(on_calls) if on_calls is not None else None
        with self._lock:
            self._rules.append(_Rule(route, fault, calls, times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def next_call(self, route: str) -> tuple[int, Fault]:
        """Count a call to ``route`` and return (its call number, the fault for it)."""
        with self._lock:
            parts = route.split(".")
            for i in range(1, len(parts) + 1):
                self._counts[".".join(parts[:i])] += 1
            for rule in self._rules:
                if not route_matches(rule.route, route):
                    continue
                number = self._counts[rule.route]
                if rule.calls is not None and number not in rule.calls:
                    continue
                if rule.remaining is not None:
                    if rule.remaining <= 0:
                        continue
                    rule.remaining -= 1
                return self._counts[route], rule.fault
            return self._counts[route], NO_FAULT

    def count(self, route: str) -> int:
        with self._lock:
            return self._counts[route]
