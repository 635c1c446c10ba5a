"""RFC 6455 WebSocket server side with the stdlib: the opening handshake and frame (de)coding.

Enough for the realtime transcription route: text and binary messages (fragmented or not), ping,
pong and close. No extensions are accepted (the client's ``permessage-deflate`` offer is declined
by not echoing it), so frames are never compressed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
from http.server import BaseHTTPRequestHandler

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE_BYTES = 1 << 20
"""Largest message accepted (a base64 ``input_audio.append`` of 262144 bytes is ~350 kB)."""

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketClosed(Exception):
    """The peer closed (close frame or EOF), broke the protocol, or the socket failed."""

    def __init__(self, code: int | None = None) -> None:
        super().__init__(f"websocket closed ({code})")
        self.code = code


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def handshake_problem(handler: BaseHTTPRequestHandler) -> str | None:
    """Why the request is not a valid WebSocket opening handshake, or None."""
    headers = handler.headers
    if handler.command != "GET":
        return "WebSocket upgrade needs GET"
    if "websocket" not in headers.get("Upgrade", "").lower():
        return "Missing 'Upgrade: websocket'"
    if "upgrade" not in headers.get("Connection", "").lower():
        return "Missing 'Connection: Upgrade'"
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        return "Unsupported Sec-WebSocket-Version"
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            return "Invalid Sec-WebSocket-Key"
    except ValueError:
        return "Invalid Sec-WebSocket-Key"
    return None


class WebSocket:
    """The server end of one upgraded connection (used by a single handler thread)."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self._handler = handler
        self._rfile = handler.rfile
        self._wfile = handler.wfile
        self.closed = False

    def accept(self) -> None:
        """Answer ``101 Switching Protocols``."""
        key = self._handler.headers.get("Sec-WebSocket-Key", "").strip()
        self._handler.close_connection = True
        self._handler.send_response_only(101)
        self._handler.send_header("Upgrade", "websocket")
        self._handler.send_header("Connection", "Upgrade")
        self._handler.send_header("Sec-WebSocket-Accept", accept_key(key))
        self._handler.end_headers()
        self._wfile.flush()

    # -- reading ---------------------------------------------------------------------------------
    def receive(self) -> str | bytes:
        """The next text (``str``) or binary message; answers pings; raises WebSocketClosed."""
        parts: list[bytes] = []
        opcode_of_message: int | None = None
        size = 0
        while True:
            fin, opcode, payload = self._read_frame()
            if opcode == OP_PING:
                self._write_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close(1000 if code == 1005 else code)
                raise WebSocketClosed(code)
            if opcode == OP_CONTINUATION:
                if opcode_of_message is None:
                    self._fail(1002)
            elif opcode in (OP_TEXT, OP_BINARY):
                if opcode_of_message is not None:
                    self._fail(1002)
                opcode_of_message = opcode
            else:
                self._fail(1002)
            size += len(payload)
            if size > MAX_MESSAGE_BYTES:
                self._fail(1009)
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                if opcode_of_message == OP_TEXT:
                    try:
                        return data.decode("utf-8")
                    except UnicodeDecodeError:
                        self._fail(1007)
                return data

    def _read_exact(self, count: int) -> bytes:
        try:
            data = self._rfile.read(count)
        except (OSError, ValueError):
            data = b""
        if len(data) < count:
            self.closed = True
            raise WebSocketClosed(1006)
        return data

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exact(2)
        if first & 0x70:  # RSV bits: no extension was negotiated
            self._fail(1002)
        fin, opcode = bool(first & 0x80), first & 0x0F
        if not second & 0x80:  # client frames must be masked
            self._fail(1002)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exact(8))[0]
        if opcode >= 0x8 and (length > 125 or not fin):
            self._fail(1002)
        if length > MAX_MESSAGE_BYTES:
            self._fail(1009)
        mask = self._read_exact(4)
        payload = self._read_exact(length)
        return fin, opcode, _unmask(payload, mask)

    # -- writing ---------------------------------------------------------------------------------
    def send_text(self, text: str | bytes) -> bool:
        """Send one text message; False when the peer is gone."""
        return self._write_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def close(self, code: int = 1000) -> None:
        """Send a close frame (once)."""
        if not self.closed:
            self._write_frame(OP_CLOSE, struct.pack("!H", code))
            self.closed = True

    def close_and_drain(self, code: int = 1000, timeout: float = 5.0) -> None:
        """Start the closing handshake and read (discarding) until the client's close frame or EOF.

        Closing the socket with unread client data in it would send a TCP reset, and the client
        could lose the last events it has not read yet."""
        self.close(code)
        with contextlib.suppress(OSError):
            self._handler.connection.settimeout(timeout)
        try:
            while True:
                _, opcode, _ = self._read_frame()
                if opcode == OP_CLOSE:
                    return
        except WebSocketClosed:
            return

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.closed = True
        with contextlib.suppress(OSError):
            self._handler.connection.shutdown(socket.SHUT_RDWR)

    def _fail(self, code: int) -> None:
        if not self.closed:
            self.close_and_drain(code)
        raise WebSocketClosed(code)

    def _write_frame(self, opcode: int, payload: bytes) -> bool:
        if self.closed:
            return False
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        try:
            self._wfile.write(head + payload)
            self._wfile.flush()
            return True
        except OSError:
            self.closed = True
            return False


def _unmask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    key = int.from_bytes((mask * (len(payload) // 4 + 1))[: len(payload)], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(len(payload), "big")
