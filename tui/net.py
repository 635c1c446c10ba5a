"""The one way Voxroom connects to services (HTTP and WebSocket): bounded, time-limited, never redirected.

:func:`make_client` returns an ``httpx``/``httpx2`` client (the module is passed in, so this file
imports neither) whose response hook

- refuses redirects (a 3xx would make the client re-send the meeting audio to another origin),
- decodes ``gzip``/``deflate`` itself, in bounded steps, and refuses other encodings,
- caps the decoded size of a JSON (non-streamed) answer, of each server-sent event, and of a whole
  stream, and
- ends any call that goes on past ``settings.deadline_s``, however steadily the server trickles
  (checked as each piece arrives; a silent server meets the read timeout first, so no call lasts
  longer than ``deadline_s + timeout_s``).

:func:`websocket_connect` opens a WebSocket (the realtime transcription) under the same rule: a
redirect of the upgrade is refused by :func:`refused_redirect`, as over HTTP.

Connecting has its own short timeout (:data:`CONNECT_TIMEOUT_S`), separate from the read timeout.
A refused answer raises :class:`ResponseRefused`; backends turn it into one sentence.
"""

from __future__ import annotations

import base64
import ipaddress
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tui.redact import display_url, url_credentials
from tui.text import clean

if TYPE_CHECKING:
    from tui.config import Settings

CONNECT_TIMEOUT_S = 3.0
"""How long connecting (DNS, TCP, TLS) may take: an unreachable server fails in seconds."""
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Decoded-size caps for one answer."""

    json_bytes: int = 32 * MB
    """A whole non-streamed answer (a 3-hour diarized transcript is a few MB)."""
    event_bytes: int = MB // 2
    """One server-sent event (a 0.1 s speech delta is ~13 kB of base64; 2 s would be 256 kB). The SDK's
    event parser loops in Python over every byte of a pending event, so a big event costs CPU too."""
    stream_bytes: int = 64 * MB
    """A whole streamed answer (one spoken sentence is ~1.3 MB of base64 PCM)."""


LIMITS = Limits()
_DEADLINE = "voxroom.deadline"
_CHUNK = 64 * 1024


class ResponseRefused(Exception):
    """An answer Voxroom will not read. ``reason`` completes "<what> failed: ..."; no secrets in it."""

    def __init__(self, reason: str, *, kind: str, retryable: bool = False) -> None:
        reason = clean(reason)  # it may quote the server (a Location, an encoding name)
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        """``redirect``, ``size``, ``encoding`` or ``deadline``."""
        self.retryable = retryable


def make_client(httpx: ModuleType, settings: Settings, **kwargs: Any) -> Any:
    """An ``httpx.Client`` (or ``httpx2.Client``) with Voxroom's timeouts, caps and no redirects."""
    timeout = httpx.Timeout(settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s))
    guard = _Guard(httpx, settings.deadline_s, LIMITS, timeout.as_dict())
    headers = {"Accept-Encoding": "gzip, deflate", **kwargs.pop("headers", {})}
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers=headers,
        event_hooks={"request": [guard.on_request], "response": [guard.on_response]},
        **kwargs,
    )


def refused_redirect(status: int, location: str) -> ResponseRefused:
    """The one answer to a redirect, over HTTP or a WebSocket upgrade: refused, never followed.

    ``location`` is shown only as :func:`tui.redact.display_url` shows URLs (no credentials, no query).
    """
    target = location.strip()
    shown = target.startswith(("http://", "https://", "ws://", "wss://"))
    where = f" to {display_url(target)}" if shown else ""
    return ResponseRefused(
        f"the server redirected the request ({status}){where}, and Voxroom never follows "
        "redirects (they would re-send the audio elsewhere)",
        kind="redirect",
    )


def websocket_connect(client: ModuleType, url: str, **kwargs: Any) -> Any:
    """``websockets.asyncio.client.connect(url, **kwargs)`` (``client`` is that module, passed in)
    under the same rule as :func:`make_client`: a redirect of the upgrade is refused with
    :func:`refused_redirect` instead of followed; every other failure is raised as it is."""

    class NoRedirect(client.connect):  # type: ignore[misc, name-defined]
        def process_redirect(self, exc: Exception) -> Exception | str:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            if isinstance(status, int) and 300 <= status < 400:
                headers = getattr(response, "headers", None)
                location = headers.get("Location", "") if headers is not None else ""
                return refused_redirect(status, str(location))
            return exc

    return NoRedirect(url, **kwargs)


class _Guard:
    def __init__(
        self, httpx: ModuleType, deadline_s: float, limits: Limits, timeouts: dict[str, Any]
    ) -> None:
        self.deadline_s = deadline_s
        self.limits = limits
        self.timeouts = timeouts
        # httpx only iterates streams of its own base class: mix it in for the module in use.
        self.stream_class = type("BoundedStream", (_BoundedStream, httpx.SyncByteStream), {})

    def on_request(self, request: Any) -> None:
        # The SDK puts its own single timeout (default 300 s) on every request, which would replace
        # the separate connect timeout: the client's timeouts win here, for every caller.
        request.extensions["timeout"] = dict(self.timeouts)
        request.extensions[_DEADLINE] = time.monotonic() + self.deadline_s

    def on_response(self, response: Any) -> None:
        status = response.status_code
        if 300 <= status < 400:
            response.close()
            raise refused_redirect(status, response.headers.get("location", ""))
        deadline = response.request.extensions.get(_DEADLINE, time.monotonic() + self.deadline_s)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            response.close()
            raise ResponseRefused(
                f"the server sent an answer in an unsupported encoding ({encoding[:20]})", kind="encoding"
            )
        sse = "text/event-stream" in response.headers.get("content-type", "").lower()
        response.stream = self.stream_class(
            response.stream, encoding, sse, deadline, self.deadline_s, self.limits
        )
        if "content-encoding" in response.headers:
            del response.headers["content-encoding"]


class _BoundedStream:
    """Wraps a response's raw byte stream: decodes, counts, checks the deadline at every chunk."""

    def __init__(
        self, raw: Any, encoding: str, sse: bool, deadline: float, deadline_s: float, limits: Limits
    ) -> None:
        self.raw = raw
        self.encoding = encoding
        self.sse = sse
        self.deadline = deadline
        self.deadline_s = deadline_s
        self.limits = limits

    def __iter__(self) -> Iterator[bytes]:
        total_cap = self.limits.stream_bytes if self.sse else self.limits.json_bytes
        total = 0
        pending = 0  # bytes of the server-sent event being received
        tail = b""
        for chunk in self._decoded(self.raw):
            if time.monotonic() > self.deadline:
                raise ResponseRefused(
                    f"the answer was still coming after {self.deadline_s:g} s (deadline_s)",
                    kind="deadline",
                    retryable=True,
                )
            total += len(chunk)
            if total > total_cap:
                raise ResponseRefused(
                    f"the answer was larger than {_size(total_cap)}, more than Voxroom accepts", kind="size"
                )
            if self.sse:
                pending = _event_bytes(tail, chunk, pending)
                tail = (tail + chunk)[-3:]
                if pending > self.limits.event_bytes:
                    raise ResponseRefused(
                        f"one event of the answer was larger than {_size(self.limits.event_bytes)}, "
                        "more than Voxroom accepts",
                        kind="size",
                    )
            yield chunk

    def _decoded(self, raw: Iterable[bytes]) -> Iterator[bytes]:
        if self.encoding in ("", "identity"):
            for chunk in raw:
                yield from (chunk[i : i + _CHUNK] for i in range(0, len(chunk), _CHUNK))
            return
        wbits = 47 if self.encoding in ("gzip", "x-gzip") else 15  # 47: gzip or zlib header
        decoder = zlib.decompressobj(wbits)
        try:
            for chunk in raw:
                data = chunk
                while data:
                    out = decoder.decompress(data, _CHUNK)
                    data = decoder.unconsumed_tail
                    if decoder.eof and decoder.unused_data:
                        data, decoder = decoder.unused_data, zlib.decompressobj(wbits)
                    if out:
                        yield out
            rest = decoder.flush()
        except zlib.error:
            raise ResponseRefused(
                "the server sent a compressed answer that does not decode", kind="encoding"
            ) from None
        if rest:
            yield rest

    def close(self) -> None:
        close = getattr(self.raw, "close", None)
        if close is not None:
            close()


def _event_bytes(tail: bytes, chunk: bytes, pending: int) -> int:
    """Bytes received since the last blank line (the end of an event), given the previous tail."""
    window = tail + chunk
    ends = [window.rfind(sep) + len(sep) for sep in (b"\n\n", b"\r\n\r\n", b"\r\r") if sep in window]
    end = max(ends, default=-1)
    if end <= len(tail):
        return pending + len(chunk)
    return len(window) - end


def _size(nbytes: int) -> str:
    return f"{nbytes / MB:g} MB"


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its ``user:pass@`` part, and the header that carries them instead.

    httpx would turn URL credentials into ``Authorization: Basic``, replacing the service's own
    ``Bearer`` key; a gateway in front of the service gets them as ``Proxy-Authorization`` instead.
    """
    user, password = url_credentials(url)
    if not (user or password):
        return url, {}
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rsplit("@", 1)[-1]
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Proxy-Authorization": f"Basic {token}"}


def cleartext_hosts(urls: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(name, url)`` pairs that are plain ``http://`` to a host other than this machine."""
    out = []
    for name, url in urls:
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname or ""
        except ValueError:
            continue
        if parts.scheme.lower() != "http" or _loopback(host):
            continue
        out.append((name, url))
    return out


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
