"""Voxtral TTS over the realtime speech socket: text in as the agent writes it, float32 PCM out.

:class:`MistralSocketSpeaker` speaks through ``GET /v1/audio/speech/realtime``, the session SDK 3.7's
``client.audio.realtime_speech`` defines (its models read every message, its connection sends
``input_text.append`` / ``input_text.end``), opened the way the realtime transcription opens its
socket (:mod:`tui.stt.realtime_socket`: no redirect followed, the key only in the header, messages of
at most 1 MB, a bounded prelude). The session asks for ``pcm`` in ``responsive`` mode, so the service
speaks a sentence's first words before the agent has written the rest.

Each :class:`SocketSpeech` is one session, run on its own event loop in its own thread (as the
realtime transcription runs). What the SDK's ``speak_stream`` does not do, this does:

- a message the SDK's models cannot read (wrong types, an ``error`` without its fields) fails the
  speech at once, instead of being skipped while the end never comes;
- an upgrade answered 429 or 5xx is tried again for ``retry_max_s``, as HTTP calls are;
- every wait is bounded: the session must open within ``timeout_s``, after the text has ended each
  next message must come within ``timeout_s``, and the whole session within ``deadline_s``;
- an ``error`` with code 403 (the service's moderation) is a refusal of this text only
  (:attr:`tui.errors.SpeechError.refused`), as a 403 to ``POST /v1/audio/speech`` is;
- audio is bounded in all (:data:`MAX_AUDIO_BYTES`), unknown message types at most
  :data:`MAX_IGNORED_EVENTS`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from tui.config import Settings
from tui.errors import SpeechError
from tui.mistral import MistralConnection
from tui.net import LIMITS
from tui.speech.mistral import VOXTRAL_PCM_RATE

PATH = "/v1/audio/speech/realtime"
WHAT = "Speech"
RETRY = "Retry the turn."
MAX_AUDIO_BYTES = LIMITS.stream_bytes
"""Decoded audio one session may send (a spoken sentence is about 1 MB)."""
MAX_IGNORED_EVENTS = 64
"""Messages of types the SDK does not know that a session may send before it is given up."""
REFUSED_CODE = 403
POLL_S = 0.05
"""How often a reader waiting for audio looks at its ``cancel``."""
JOIN_TIMEOUT_S = 3.0
_KNOWN = ("session.created", "session.updated", "error", "speech.audio.delta", "speech.audio.done")
_DONE = object()


class MistralSocketSpeaker:
    """The Mistral voice through the realtime speech socket (``speech.transport = "socket"``)."""

    name = "mistral"
    sample_rate = VOXTRAL_PCM_RATE
    transport = "socket"

    def __init__(self, settings: Settings, connection: MistralConnection) -> None:
        self.settings = settings
        self.connection = connection

    def warm_up(self) -> None:
        self.connection.warm_up()
        import mistralai.extra.realtime.speech  # noqa: F401  (and websockets)

        from tui.stt import realtime_socket  # noqa: F401

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        text = text.strip()
        if not text:
            return
        stream = self.open_stream()
        try:
            stream.send(text)
            stream.end()
            yield from stream.blocks()
        finally:
            stream.close()

    def open_stream(self, cancel: threading.Event | None = None) -> SocketSpeech:
        cfg = self.settings.speech
        return SocketSpeech(self.connection, model=cfg.model, voice=cfg.voice, cancel=cancel)


class SocketSpeech:
    """One realtime speech session (a :class:`tui.speech.base.SpeechStream`)."""

    def __init__(
        self,
        connection: MistralConnection,
        *,
        model: str,
        voice: str,
        cancel: threading.Event | None = None,
    ) -> None:
        self.connection = connection
        self.model = model
        self.voice = voice
        self.cancel = cancel
        settings = connection.settings
        self.timeout_s = float(settings.timeout_s)
        self.deadline_s = float(settings.deadline_s)
        self._lock = threading.Lock()
        self._texts: list[str] = []
        self._ended = False
        self._closed = False
        self._settled = False
        self._error: SpeechError | None = None
        self._finished = False
        """The audio ended with ``speech.audio.done``."""
        self._out: queue.Queue[object] = queue.Queue()
        self.sent_chars = 0
        self.audio_bytes = 0
        self.opened_at: float | None = None
        self._ended_at: float | None = None
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._abort = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="voxroom-speech-socket", daemon=True)
        self._thread.start()

    # -- the caller's side (any thread) ----------------------------------------------------------
    def send(self, text: str) -> None:
        if not text:
            return
        with self._lock:
            if self._ended or self._closed:
                return
            self._texts.append(text)
        self._call_soon(self._wake.set)

    def end(self) -> None:
        with self._lock:
            self._ended = True
        self._call_soon(self._wake.set)

    def close(self) -> None:
        """Stop and let go of the connection. After the end of the audio the worker closes the
        socket cleanly by itself and nobody waits; otherwise the socket is dropped and the worker
        joined (bounded)."""
        with self._lock:
            self._closed = True
        if self._finished:
            return
        self._call_soon(self._abort.set)
        if threading.current_thread() is not self._thread:
            self._thread.join(JOIN_TIMEOUT_S)

    @property
    def lost(self) -> bool:
        error = self._error
        return error is not None and error.retryable and not error.refused and self.sent_chars == 0

    def blocks(self) -> Iterator[np.ndarray]:
        while True:
            try:
                item = self._out.get(timeout=POLL_S)
            except queue.Empty:
                if self.cancel is not None and self.cancel.is_set():
                    self.close()
                    return
                if not self._thread.is_alive() and self._out.empty():
                    raise SpeechError(f"{WHAT} failed: the speech session ended early.", hint=RETRY) from None
                continue
            if item is _DONE:
                return
            if isinstance(item, SpeechError):
                if self._closed:  # stopped by its owner: nothing to report
                    return
                raise item
            assert isinstance(item, np.ndarray)
            yield item

    # -- settling --------------------------------------------------------------------------------
    def _fail(self, error: SpeechError) -> None:
        if not self._settled:
            self._settled = True
            self._error = error
            self._out.put(error)

    def _call_soon(self, callback: Any) -> None:
        from tui.stt.realtime_socket import call_soon

        call_soon(self._loop, callback)

    # -- the worker thread -----------------------------------------------------------------------
    def _run(self) -> None:
        from tui.stt.realtime_socket import run_loop

        def failed(err: BaseException) -> None:  # reported by blocks(), never raised here
            self._fail(SpeechError(f"{WHAT} failed: {type(err).__name__}.", hint=RETRY))

        try:
            run_loop(self._loop, self._main, failed)
        finally:
            self._fail(SpeechError(f"{WHAT} was cancelled."))  # no-op once settled

    async def _main(self) -> None:
        from tui.stt.realtime_socket import end_session, translate_socket

        self.opened_at = time.monotonic()
        opening = asyncio.ensure_future(self._open())
        abort = asyncio.ensure_future(self._abort.wait())
        await asyncio.wait({opening, abort}, return_when=asyncio.FIRST_COMPLETED)
        if not opening.done():
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
            return
        if opening.exception() is not None:
            abort.cancel()
            self._fail(
                self._speech_error(translate_socket(opening.exception(), self.connection, "speech", WHAT))
            )  # type: ignore[arg-type]
            return
        conn = opening.result()
        send = asyncio.ensure_future(self._send_loop(conn))
        receive = asyncio.ensure_future(self._receive_loop(conn._websocket))
        tasks = {send, receive, abort}
        try:
            while not self._settled:
                waiting = {receive, abort} | ({send} if not send.done() else set())
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if send in done and send.exception() is not None and receive not in done:
                    await asyncio.wait({receive}, timeout=1.0)  # the receiver may know why
                for task in (receive, send):
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        error = translate_socket(task.exception(), self.connection, "speech", WHAT)  # type: ignore[arg-type]
                        self._fail(self._speech_error(error))
                if receive.done() or abort in done:
                    break
        finally:
            await end_session(conn, tasks, goodbye=self._finished)

    @staticmethod
    def _speech_error(error: Any) -> SpeechError:
        if not isinstance(error, SpeechError):
            error = SpeechError(str(error))
        if error.status == REFUSED_CODE:
            error.refused = True
        return error

    async def _open(self) -> Any:
        from mistralai.client.models import RealtimeSpeechSessionCreated
        from mistralai.extra.realtime.speech import RealtimeSpeechConnection, parse_realtime_speech_event

        from tui.stt.realtime_socket import connect_socket, read_prelude

        websocket = await self._connect(connect_socket)
        try:
            created, _ = await read_prelude(
                websocket,
                self.timeout_s,
                RealtimeSpeechSessionCreated,
                parse_realtime_speech_event,
                SpeechError,
                WHAT,
                "the reply is kept as text.",
            )
            conn = RealtimeSpeechConnection(websocket=websocket, session=created.session)
            await conn.update_session(voice_id=self.voice, response_format="pcm", streaming_mode="responsive")
        except BaseException:
            websocket.transport.abort()
            raise
        return conn

    async def _connect(self, connect_socket: Any) -> Any:
        """The WebSocket; an upgrade answered 429 or 5xx is tried again (0.3 s, doubling) for up to
        ``retry_max_s``, as the HTTP calls are."""
        give_up = time.monotonic() + float(self.connection.settings.retry_max_s)
        pause = 0.3
        while True:
            try:
                return await connect_socket(self.connection, self.model, PATH)
            except Exception as err:
                status = getattr(getattr(err, "response", None), "status_code", None)
                transient = isinstance(status, int) and (status == 429 or status >= 500)
                if not transient or time.monotonic() + pause > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 4.0)

    async def _send_loop(self, conn: Any) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            with self._lock:
                texts, self._texts = self._texts, []
                ended = self._ended
            for text in texts:
                await conn.send_text(text)
                self.sent_chars += len(text)
            if ended:
                await conn.end()
                self._ended_at = time.monotonic()
                return

    def _wait_s(self, last: float) -> tuple[float, str]:
        """How long the next message may take, and the sentence if it does not come."""
        now = time.monotonic()
        assert self.opened_at is not None
        left = self.opened_at + self.deadline_s - now
        why = f"{WHAT} failed: the speech was still coming after {self.deadline_s:g} s (deadline_s)."
        if self._ended_at is not None:
            quiet = max(last, self._ended_at) + self.timeout_s - now
            if quiet < left:
                left, why = quiet, f"{WHAT} failed: Mistral sent no audio for {self.timeout_s:g} s."
        return max(0.0, left), why

    async def _receive_loop(self, websocket: Any) -> None:
        from mistralai.extra.realtime.speech import parse_realtime_speech_event

        last = time.monotonic()
        pending = b""
        ignored = 0
        receiving = asyncio.ensure_future(websocket.recv())
        try:
            while True:
                left, why = self._wait_s(last)
                done, _ = await asyncio.wait({receiving}, timeout=min(left, 0.25))
                if not done:
                    if self.cancel is not None and self.cancel.is_set():
                        self._abort.set()  # stopped (barge-in, the turn stopping): no reader left
                        return
                    if left <= 0.25:
                        raise SpeechError(why, hint=RETRY)
                    continue
                raw = receiving.result()  # a closed connection raises here
                receiving = asyncio.ensure_future(websocket.recv())
                last = time.monotonic()
                text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else raw
                try:
                    payload = json.loads(text)
                except ValueError:
                    raise SpeechError(f"{WHAT} failed: the server sent a message that is not JSON.") from None
                event = parse_realtime_speech_event(payload)
                kind = getattr(event, "type", None)
                if type(event).__name__ == "UnknownRealtimeEvent":
                    if kind in _KNOWN:
                        raise SpeechError(
                            f"{WHAT} failed: the server sent a '{kind}' message Voxroom cannot read.",
                            hint=RETRY,
                        )
                    ignored += 1
                    if ignored > MAX_IGNORED_EVENTS:
                        raise SpeechError(
                            f"{WHAT} failed: the server sent over {MAX_IGNORED_EVENTS} unknown messages.",
                            hint="Check that MISTRAL_SERVER_URL points at Mistral.",
                        )
                    continue
                if kind == "speech.audio.delta":
                    pending = self._audio(pending, event.audio_data)
                elif kind == "speech.audio.done":
                    if self._ended_at is None:
                        raise SpeechError(
                            f"{WHAT} failed: Mistral ended the speech before its text.", hint=RETRY
                        )
                    self._settled = self._finished = True
                    self._out.put(_DONE)
                    return
                elif kind == "error":
                    raise self._error_event(event.error)
        finally:
            receiving.cancel()

    def _audio(self, pending: bytes, data: str) -> bytes:
        try:
            chunk = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise SpeechError(f"{WHAT} failed: the server sent unreadable audio.") from None
        self.audio_bytes += len(chunk)
        if self.audio_bytes > MAX_AUDIO_BYTES:
            raise SpeechError(
                f"{WHAT} failed: the server sent more than {MAX_AUDIO_BYTES // (1024 * 1024)} MB of audio "
                "for one sentence, more than Voxroom accepts."
            )
        pending += chunk
        usable = len(pending) - len(pending) % 4
        if usable:
            self._out.put(np.frombuffer(pending[:usable], dtype="<f4").astype(np.float32))
        return pending[usable:]

    @staticmethod
    def _error_event(detail: Any) -> SpeechError:
        from tui.stt.realtime_socket import error_message, error_text

        code = getattr(detail, "code", None)
        if code != REFUSED_CODE:
            return SpeechError(error_message(detail, WHAT), hint=RETRY)
        said = error_text(detail)
        error = SpeechError(
            f"{WHAT} was refused by Mistral (403)" + (f": {said}." if said else "."), status=code
        )
        error.refused = True
        return error
