"""Opening Mistral's realtime transcription socket, bounded, and saying why it failed in one sentence.

:func:`open_session` makes the connection the SDK's ``client.audio.realtime.connect`` makes (the same
URL, headers and session update; it returns the SDK's own :class:`RealtimeConnection`), with
Voxroom's rules for every outbound connection (:mod:`tui.net`):

- a redirect of the upgrade is refused, never followed (the socket carries the meeting audio and
  the named people's reference clips);
- what the server sends before ``session.created`` is bounded: at most :data:`MAX_PRELUDE_EVENTS`
  events and :data:`MAX_PRELUDE_BYTES` bytes (the SDK keeps them all to replay), each message at
  most :data:`MAX_MESSAGE_BYTES`, all within the read timeout;
- the server URL is shown only as :func:`tui.redact.display_url` shows it (no credentials, no query).

:func:`translate` turns any failure of the session into a :class:`TranscriptionError`. The realtime
speech socket (:mod:`tui.speech.mistral_socket`) opens and reads its session with the same
:func:`connect_socket`, :func:`read_prelude`, :func:`end_session` and :func:`translate_socket`, and
runs its session the same way: :func:`run_loop` on a worker thread's own event loop, woken from
other threads with :func:`call_soon`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tui.errors import BackendError, TranscriptionError
from tui.net import ResponseRefused, split_credentials, websocket_connect
from tui.text import clean

PATH = "/v1/audio/transcriptions/realtime"
MAX_PRELUDE_EVENTS = 64
"""Events accepted before ``session.created`` (the service sends it first)."""
MAX_PRELUDE_BYTES = 1024 * 1024
MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest server message (decoded): a ``transcription.done`` of a long turn is well under it."""
MAX_MESSAGE_CHARS = 200
"""Longest server error message repeated to the user."""
CLOSE_TIMEOUT_S = 1.0
"""How long a clean WebSocket close (or a task's end) may take before the socket is dropped."""
WHAT = "Live transcription"
RETRY = "Retry the turn."


def call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
    """Run ``callback`` on ``loop`` from another thread (nothing to wake once the loop is closed)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def run_loop(
    loop: asyncio.AbstractEventLoop,
    main: Callable[[], Coroutine[Any, Any, None]],
    failed: Callable[[BaseException], None],
) -> None:
    """A session's worker thread: ``main()`` on the thread's own ``loop``; whatever it raises goes to
    ``failed`` (never out of the thread); the loop is closed at the end."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
    except BaseException as err:
        failed(err)
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def session_url(server_url: str, model: str, path: str = PATH) -> str:
    """``ws(s)://host/...<path>?model=...`` (``path``: the transcription socket's unless given) for
    ``server_url`` (whose own query is kept, as the SDK keeps it), without credentials."""
    base, _ = split_credentials(server_url)
    parts = urlsplit(base.strip().rstrip("/"))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["model"] = model
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme.lower(), parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, urlencode(query), ""))


async def connect_socket(connection: Any, model: str, path: str = PATH) -> Any:
    """The WebSocket to ``path`` on ``connection`` (a :class:`tui.mistral.MistralConnection`): the
    key as ``Authorization``, URL credentials as ``Proxy-Authorization``, the SDK's user agent, the
    read timeout to open, messages of at most :data:`MAX_MESSAGE_BYTES`, no redirect followed."""
    from websockets.asyncio import client as ws_client

    settings = connection.settings
    _, headers = split_credentials(connection.server_url)
    key = settings.api_key.reveal()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return await websocket_connect(
        ws_client,
        session_url(connection.server_url, model, path),
        additional_headers=headers,
        user_agent_header=connection.client.sdk_configuration.user_agent,
        open_timeout=float(settings.timeout_s),
        max_size=MAX_MESSAGE_BYTES,
    )


async def open_session(connection: Any, model: str, **session: Any) -> Any:
    """A realtime session on ``connection`` (a :class:`tui.mistral.MistralConnection`) whose
    ``session.created`` has arrived and to which ``session`` (the SDK's session fields, None ones
    left out) was sent as ``session.update``. Raises on any failure (see :func:`translate`)."""
    from mistralai.client.models import RealtimeTranscriptionSessionCreated
    from mistralai.extra.realtime import RealtimeConnection
    from mistralai.extra.realtime.connection import parse_realtime_event

    websocket = await connect_socket(connection, model)
    try:
        created, prelude = await read_prelude(
            websocket,
            float(connection.settings.timeout_s),
            RealtimeTranscriptionSessionCreated,
            parse_realtime_event,
            TranscriptionError,
            WHAT,
            "the recording is transcribed instead.",
        )
        conn = RealtimeConnection(websocket=websocket, session=created.session, initial_events=prelude)
        fields = {name: value for name, value in session.items() if value is not None}
        if fields:
            await conn.update_session(**fields)
    except BaseException:
        websocket.transport.abort()
        raise
    return conn


async def read_prelude(
    websocket: Any,
    timeout_s: float,
    created_type: type,
    parse: Callable[[Any], Any],
    error: type[BackendError],
    what: str,
    instead: str,
) -> tuple[Any, list[Any]]:
    """``session.created`` (``created_type``) and the events read before it (to replay, each made by
    the SDK's ``parse``), within the bounds; any failure is an ``error`` naming ``what`` (and saying
    what happens ``instead``)."""
    deadline = time.monotonic() + timeout_s
    events: list[Any] = []
    size = 0
    while True:
        try:
            raw = await asyncio.wait_for(websocket.recv(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise error(f"{what} failed: Mistral did not answer in time.", hint=RETRY) from None
        size += len(raw)
        if len(events) >= MAX_PRELUDE_EVENTS or size > MAX_PRELUDE_BYTES:
            raise error(
                f"{what} failed: the server sent more than {MAX_PRELUDE_EVENTS} events or "
                f"{MAX_PRELUDE_BYTES // 1024} kB before opening the session.",
                hint=f"Check that MISTRAL_SERVER_URL points at Mistral; {instead}",
            )
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else raw
        try:
            payload = json.loads(text)
        except ValueError:
            continue  # unreadable before the session: nothing to replay
        event = parse(payload)
        if getattr(event, "type", None) == "error":
            raise error(error_message(getattr(event, "error", None), what), hint=RETRY)
        events.append(event)
        if isinstance(event, created_type):
            return event, events


async def end_session(conn: Any, tasks: set[asyncio.Future[Any]], *, goodbye: bool) -> None:
    """Stop a session's tasks and close its socket, every wait bounded by :data:`CLOSE_TIMEOUT_S`:
    with a clean close when ``goodbye`` (the transcript is done), else the socket is dropped at once
    (failed or aborted: the server may be stalled)."""
    for task in tasks:
        task.cancel()
    if not goodbye:
        drop(conn)
    # A stalled server can keep the SDK's own close (run when its event iterator ends) waiting on a
    # full send buffer: every wait here is bounded, then the socket is dropped.
    _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT_S)
    if not pending:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), CLOSE_TIMEOUT_S)
    drop(conn)
    if pending:
        await asyncio.wait(pending, timeout=CLOSE_TIMEOUT_S)
    for task in tasks:  # already settled or reported: just mark them retrieved
        if task.done() and not task.cancelled():
            task.exception()


def drop(conn: Any) -> None:
    """Drop the socket unless it is already closing (the SDK has no public abort; its websocket
    is the only handle on the transport)."""
    transport = getattr(getattr(conn, "_websocket", None), "transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()


def translate(err: BaseException, connection: Any) -> TranscriptionError:
    """One sentence for a failed session on ``connection`` (its URL shown without secrets)."""
    error = translate_socket(err, connection, "transcription", WHAT)
    assert isinstance(error, TranscriptionError)
    return error


def translate_socket(err: BaseException, connection: Any, step: str, what: str) -> BackendError:
    """One sentence for a failed socket session of ``step`` (``transcription``, ``speech``) on
    ``connection``, naming ``what`` failed (its URL shown without secrets)."""
    if isinstance(err, BackendError):
        return err
    from tui.mistral import error_class, translate_error

    cause: BaseException = err
    while type(cause).__name__.startswith("Realtime") and cause.__cause__ is not None:
        cause = cause.__cause__
    if type(cause).__name__ in ("RealtimeTranscriptionWSError", "RealtimeSpeechWSError"):
        detail = getattr(getattr(cause, "payload", None), "error", None)
        return error_class(step)(error_message(detail, what), hint=RETRY)
    response = getattr(cause, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and status < 400 and not isinstance(cause, ResponseRefused):
        return error_class(step)(
            f"{what} failed: the server answered {status} instead of opening the WebSocket.",
            hint="Check that MISTRAL_SERVER_URL points at Mistral.",
        )
    if isinstance(status, int) and not isinstance(cause, ResponseRefused):
        body = bytes(getattr(response, "body", b"") or b"")[:4000].decode("utf-8", "replace")
        cause = _HttpFailure(status, body, getattr(response, "headers", None))
    elif type(cause).__name__.startswith("ConnectionClosed"):
        if getattr(getattr(cause, "sent", None), "code", None) == 1009:  # websockets' max_size
            return error_class(step)(
                f"{what} failed: the server sent a message larger than {MAX_MESSAGE_BYTES // 1024} kB, "
                "more than Voxroom accepts.",
                hint=RETRY,
            )
        return error_class(step)(f"{what} failed: the connection was cut mid-answer.", hint=RETRY)
    return translate_error(cause, step, what, connection.display)


@dataclass
class _HttpFailure:
    """A refused WebSocket upgrade, shaped like the SDK's HTTP errors for ``translate_error``."""

    status_code: int
    body: str
    headers: Any = None


def error_text(detail: Any) -> str:
    """A server ``error`` event's message, cleaned and bounded, without its final period."""
    from tui.redact import scrub

    message = getattr(detail, "message", None)
    if isinstance(message, dict):
        message = message.get("detail") or message.get("message")
    return scrub(clean(str(message or ""))).strip().rstrip(".")[:MAX_MESSAGE_CHARS]


def error_message(detail: Any, what: str = WHAT) -> str:
    """The sentence for a server ``error`` event's ``error`` (its message cleaned and bounded)."""

    text = error_text(detail)
    code = getattr(detail, "code", None)
    where = f" ({code})" if isinstance(code, int) and not isinstance(code, bool) else ""
    return f"{what} failed: Mistral reported an error{where}" + (f": {text}." if text else ".")
