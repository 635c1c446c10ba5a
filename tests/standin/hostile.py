"""Hostile answers: a server that tries to exhaust, stall or misdirect its client.

Each replaces the route's answer (see :class:`tests.standin.faults.Fault`): ``oversize`` (a body or one
SSE event of that many bytes, sent for real), ``gzip_bomb`` (``Content-Encoding: gzip``, small on the
wire, huge decoded), ``redirect`` (307/308 with a ``Location``), ``trickle`` (one byte per interval of
an answer that never ends, until the client leaves or the server stops).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterator

from tests.standin.calls import Call

_BLOCK = 1024 * 1024


def answer(call: Call) -> None:
    fault = call.respond.fault
    respond = call.respond
    sse = call.record.stream
    content_type = "text/event-stream" if sse else "application/json"
    if fault.redirect is not None:
        status, location = fault.redirect
        respond.raw(status, {"Location": location, "Content-Length": "0"}, [])
    elif fault.gzip_bomb is not None:
        body = gzip_bomb(fault.gzip_bomb, sse)
        headers = {"Content-Type": content_type, "Content-Encoding": "gzip", "Content-Length": str(len(body))}
        respond.raw(200, headers, [body])
    elif fault.oversize is not None:
        head, fill, tail = _framing(sse)
        size = max(fault.oversize, len(head) + len(tail))
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        respond.raw(200, headers, _padded(head, fill, tail, size))
    elif fault.trickle is not None:
        head, fill, _ = _framing(sse)
        headers = {"Content-Type": content_type, "Content-Length": str(1 << 40)}
        respond.trickle(200, headers, head + fill * 64, fault.trickle)


def _framing(sse: bool) -> tuple[bytes, bytes, bytes]:
    """Start, filler byte and end of an answer the SDK would parse if it ever arrived whole."""
    if sse:
        return (
            b'event: speech.audio.delta\ndata: {"type": "speech.audio.delta", "audio_data": "',
            b"A",
            b'"}\n\n',
        )
    return b'{"model": "stand-in", "text": "', b"a", b'", "language": "en", "segments": [], "usage": {}}'


def _padded(head: bytes, fill: bytes, tail: bytes, size: int) -> Iterator[bytes]:
    """The answer in 1 MB pieces, made as they are sent (the server never holds it whole)."""
    middle = size - len(head) - len(tail)
    yield head
    while middle > 0:
        n = min(middle, _BLOCK)
        yield fill * n
        middle -= n
    yield tail


@functools.cache
def gzip_bomb(decoded: int, sse: bool) -> bytes:
    """A gzip member that decodes to a ``decoded``-byte answer (cached: compressing takes a moment)."""
    head, fill, tail = _framing(sse)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [packer.compress(head)]
    block = fill * _BLOCK
    left = decoded - len(head) - len(tail)
    while left > 0:
        out.append(packer.compress(block[: min(left, _BLOCK)]))
        left -= _BLOCK
    out.append(packer.compress(tail))
    out.append(packer.flush())
    return b"".join(out)


def echoed_key_message(authorization: str | None) -> str:
    """An error message that quotes the caller's key back, as careless gateways do."""
    key = (authorization or "").removeprefix("Bearer ").strip()
    return f"Invalid API key {key} (sent as Authorization: {authorization})"
