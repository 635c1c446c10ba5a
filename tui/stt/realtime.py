"""Live transcription while the room speaks: Mistral's realtime WebSocket, or the offline streamer.

:class:`RealtimeTranscription` has the shape of :class:`tui.stt.streaming.StreamingTranscription`:
``feed()`` 16 kHz mono float32 blocks from the recorder's thread (never blocks: blocks go to a
bounded queue that a sender drains), ``finish()`` returns the transcript once the service says
``transcription.done``, ``close()`` aborts.

With turn detection, ``finish()`` does not wait for ``transcription.done`` when the service has
already said the speaker's turn is over (``turn.end``, no ``turn.start`` since) and the audio after
that point is quiet: the live text is then the whole of what was said, and the reply can start at
once instead of after the service's tail. That transcript is provisional (text only); ``final()``
waits for the finished one (segments, speakers) to replace it.

The SDK's async realtime client runs on its own event loop in its own thread. Any failure
(connect, ``error`` event, dropped connection, deadline, queue overflow) makes ``finish()`` raise
:class:`TranscriptionError`, so the caller can fall back to the batch request on the recording
file, which always holds all the audio.

:func:`tui.stt.live.make_live_transcription` picks the live transcriber the settings ask for.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tui.errors import TranscriptionError
from tui.model import Transcript
from tui.stt.realtime_socket import (
    CLOSE_TIMEOUT_S,
    RETRY,
    WHAT,
    call_soon,
    end_session,
    error_message,
    open_session,
    run_loop,
    translate,
)
from tui.stt.realtime_text import LiveText
from tui.stt.realtime_turns import TurnTracker
from tui.stt.references import encode_references, mark_refused, references_refused

RATE = 16_000
"""Sample rate fed and sent (``pcm_s16le`` at 16 kHz)."""
MAX_APPEND_SAMPLES = 32_000
"""Samples per ``input_audio.append`` (2 s, 64 kB: under the documented 262144-byte limit)."""
JOIN_TIMEOUT_S = 3.0


class RealtimeTranscription:
    """Stream a recording to Mistral's realtime transcription while it is being captured."""

    name = "mistral-realtime"

    def __init__(
        self,
        connection: Any,
        *,
        model: str,
        diarize: bool = True,
        language: str = "",
        delay_ms: int = 240,
        max_queued_s: float = 30.0,
        finish_timeout_s: float = 10.0,
        references: Mapping[str, Path] | None = None,
        turn_detection: bool = False,
    ) -> None:
        """``connection`` is a :class:`tui.mistral.MistralConnection`. ``max_queued_s`` bounds the
        audio waiting to be sent (more is dropped and the transcription fails);
        ``finish_timeout_s`` bounds the wait for ``transcription.done`` after ``finish()``;
        ``references`` (name -> clip) go as ``speaker_references`` with diarization (see
        :mod:`tui.stt.references`); a refusal fails this session and stops them for the process;
        ``turn_detection`` asks for the service's turn events and lets ``finish()`` answer early."""
        self.connection = connection
        self.references = dict(references or {})
        self.model = model
        self.diarize = diarize
        self.language = language.strip()
        self.delay_ms = int(delay_ms)
        self.finish_timeout_s = float(finish_timeout_s)
        self.turn_detection = bool(turn_detection)
        self._max_queued = max(MAX_APPEND_SAMPLES, int(max_queued_s * RATE))
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._blocks: list[np.ndarray] = []
        self._queued = 0
        self.peak_queued = 0
        """Most samples ever waiting in the queue (bounded by ``max_queued_s``)."""
        self.fed_blocks = 0
        self.fed_samples = 0
        self.dropped_blocks = 0
        """Blocks not queued: the queue was full, or the transcription had already failed."""
        self.sent_samples = 0
        self._stop_feeding = False
        self._ending = False
        self._closed = False
        self._wake_pending = False
        self._error: TranscriptionError | None = None
        self._result: Transcript | None = None
        self._settled = threading.Event()
        self._live = LiveText(model, diarize)
        self._turns = TurnTracker()
        self.answered_early = False
        """True when ``finish()`` returned the live text before the service was done."""
        self.events_received = 0
        self.on_text: Callable[[str], None] | None = None
        """Called from the worker thread with each piece of live text (cleaned) as it arrives, e.g.
        to show what the room is saying; must not block. Final text comes from ``finish()``."""
        self.on_turn: Callable[[Transcript, bool], None] | None = None
        """With turn detection, until ``finish()``: called (from the worker's or the recorder's
        thread) with the provisional transcript of the live text and whether the turn is over
        (what ``finish()`` would answer now) each time either changed; must not block. An early
        answer starts from it (:mod:`tui.speculate`)."""
        self._told: tuple[str, bool] | None = None
        self._tell_lock = threading.Lock()
        self._connected = False
        self._opened = threading.Event()
        """Set once the session is open or has failed."""
        self._loop = asyncio.new_event_loop()
        self._wake = asyncio.Event()
        self._abort = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="voxroom-realtime-stt", daemon=True)
        self._thread.start()

    # -- the caller's side (any thread) ----------------------------------------------------------
    def feed(self, samples: np.ndarray) -> None:
        """Queue 16 kHz mono float32 samples. Never blocks; ignored after ``finish()``/``close()``."""
        try:
            block = np.asarray(samples, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError):  # never raise into the recorder's writer thread
            self._fail(TranscriptionError(f"{WHAT} failed: the recorder handed over unreadable audio."))
            return
        if block.size == 0:
            return
        rms = TurnTracker.loudness(block) if self.turn_detection else None
        overflow = wake = False
        with self._lock:
            if self._stop_feeding:
                return
            if rms is not None:
                self._turns.note_loudness(rms, self.fed_samples)
            self.fed_blocks += 1
            self.fed_samples += block.size
            if self._error is not None or self._queued + block.size > self._max_queued:
                self.dropped_blocks += 1
                overflow = self._error is None
            else:
                self._blocks.append(block.copy())
                self._queued += block.size
                self.peak_queued = max(self.peak_queued, self._queued)
                wake, self._wake_pending = not self._wake_pending, True
        if rms is not None:
            self._tell()
        if overflow:
            self._fail(
                TranscriptionError(
                    f"{WHAT} fell behind: more than {self._max_queued / RATE:g} s of audio were waiting "
                    "to be sent.",
                    hint="Check the network; the recording is transcribed in one request instead.",
                )
            )
        elif self._error is None and wake:
            self._call_soon(self._wake.set)

    def finish(self) -> Transcript:
        """Send what is left, end the audio, and return the transcript once the service is done.

        Raises :class:`TranscriptionError` (one sentence) on any failure or after
        ``finish_timeout_s``; the caller then transcribes the recording file instead. With turn
        detection it returns the live text (provisional) as soon as the speaker's turn is over, and
        the session goes on to ``transcription.done`` in the background (see :meth:`final`).
        """
        with self._lock:
            self._stop_feeding = True
            self._ending = True
        self._call_soon(self._wake.set)
        with self._changed:
            self._changed.wait_for(lambda: self._settled.is_set() or self._turn_over(), self.finish_timeout_s)
            self.answered_early = not self._settled.is_set() and self._turn_over()
            if self.answered_early:
                return self._live.early(self.sent_seconds)
        return self._outcome(0.0)

    def final(self) -> Transcript | None:
        """After ``finish()`` answered early: wait (at most ``finish_timeout_s``) for the finished
        transcript and return it; None when ``finish()`` already returned it. Raises
        :class:`TranscriptionError` when the service fails to finish (the early text stays usable)."""
        if not self.answered_early:
            return None
        return self._outcome(self.finish_timeout_s)

    def _outcome(self, timeout: float) -> Transcript:
        """The finished transcript once settled (waiting at most ``timeout`` more), or its error."""
        if not self._settled.wait(timeout):
            self._fail(
                TranscriptionError(
                    f"{WHAT} failed: Mistral did not finish the transcript within "
                    f"{self.finish_timeout_s:g} s.",
                    hint=RETRY,
                )
            )
        if self._error is not None:
            self.close()
            raise self._error
        # Done: the worker closes the socket by itself; nobody waits for that goodbye.
        assert self._result is not None
        return self._result

    def so_far(self) -> Transcript | None:
        """The provisional transcript of the live text so far (None before any word)."""
        with self._lock:
            return self._live.early(self.sent_seconds) if self._live.has_words() else None

    def _tell(self) -> None:
        """Say to ``on_turn`` whether the turn is over, and with which text, when that changed."""
        if self.on_turn is None:
            return
        with self._tell_lock:
            with self._lock:
                if self._stop_feeding or not self._live.has_words():
                    return  # pressed: finish() decides from here
                now = (self._live.text, self._turn_over())
                if now == self._told:
                    return
                self._told = now
                transcript = self._live.early(self.sent_seconds)
            listener = self.on_turn
            if listener is not None:
                with contextlib.suppress(Exception):  # an early answer must not end the session
                    listener(transcript, now[1])

    def _turn_over(self) -> bool:
        """(Lock held.) The service said the turn ended, nothing was said after, text arrived."""
        return self.turn_detection and self._turns.over() and self._live.has_words()

    def close(self) -> None:
        """Abort: stop feeding, drop the connection, wait (bounded) for the thread. Idempotent; after
        a successful ``finish()`` it only waits for the clean close that is already under way."""
        with self._lock:
            first, self._closed = not self._closed, True
            self._stop_feeding = True
        if first:
            self._fail(TranscriptionError(f"{WHAT} was cancelled."))  # no-op once settled
        self._call_soon(self._abort.set)
        self._thread.join(JOIN_TIMEOUT_S)

    def wait_connected(self, timeout: float) -> bool:
        """Block until the session is open or has failed (at most ``timeout`` s); True when open."""
        self._opened.wait(timeout)
        return self._connected and self._error is None

    def wait_drained(self, timeout: float) -> bool:
        """Block until every queued sample is on the wire (or the session failed); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._queued == 0 or self._error is not None, timeout)

    @property
    def failed(self) -> bool:
        return self._error is not None

    @property
    def error(self) -> TranscriptionError | None:
        """Why the live transcript cannot be used (None while it can)."""
        return self._error

    @property
    def partial_text(self) -> str:
        """The text received so far (grows while the room speaks), fit to show."""
        with self._lock:
            return self._live.text

    @property
    def queued_seconds(self) -> float:
        with self._lock:
            return self._queued / RATE

    @property
    def sent_seconds(self) -> float:
        return self.sent_samples / RATE

    @property
    def running(self) -> bool:
        """True while the worker thread (and its connection) is alive."""
        return self._thread.is_alive()

    # -- settling (any thread) -------------------------------------------------------------------
    def _fail(self, error: TranscriptionError) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            self._error = error
            self._blocks, self._queued = [], 0
            self._settled.set()
            self._changed.notify_all()
        self._opened.set()
        self._call_soon(self._abort.set)

    def _succeed(self, transcript: Transcript) -> None:
        with self._lock:
            if self._settled.is_set():
                return
            self._result = transcript
            self._settled.set()
            self._changed.notify_all()

    def _call_soon(self, callback: Any) -> None:
        call_soon(self._loop, callback)

    # -- the worker thread -----------------------------------------------------------------------
    def _run(self) -> None:
        def failed(err: BaseException) -> None:  # reported by finish(), never raised here
            self._fail(TranscriptionError(f"{WHAT} failed: {type(err).__name__}.", hint=RETRY))

        run_loop(self._loop, self._main, failed)

    async def _main(self) -> None:
        if self._settled.is_set():
            return
        connect = asyncio.ensure_future(self._connect())
        abort = asyncio.ensure_future(self._abort.wait())
        await asyncio.wait({connect, abort}, return_when=asyncio.FIRST_COMPLETED)
        if not connect.done():
            connect.cancel()
            await asyncio.gather(connect, return_exceptions=True)
            abort.cancel()
            return
        if connect.exception() is not None:
            abort.cancel()
            self._fail(translate(connect.exception(), self.connection))  # type: ignore[arg-type]
            return
        conn = connect.result()
        self._connected = True
        self._opened.set()
        send = asyncio.ensure_future(self._send_loop(conn))
        receive = asyncio.ensure_future(self._receive_loop(conn))
        tasks = {send, receive, abort}
        try:
            while not self._settled.is_set():
                waiting = {receive, abort} | ({send} if not send.done() else set())
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if send in done and send.exception() is not None and receive not in done:
                    # A send fails when the socket goes; the receiver knows why (an error event
                    # read just before the close, or the close itself): let it speak first.
                    await asyncio.wait({receive}, timeout=CLOSE_TIMEOUT_S)
                for task in (receive, send):
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        self._fail(translate(task.exception(), self.connection))  # type: ignore[arg-type]
                if receive.done() or abort in done:
                    break
        finally:
            await end_session(conn, tasks, goodbye=self._result is not None)

    async def _connect(self) -> Any:
        from mistralai.client.models import AudioFormat

        kwargs: dict[str, Any] = {
            "audio_format": AudioFormat(encoding="pcm_s16le", sample_rate=RATE),
            "target_streaming_delay_ms": self.delay_ms,
        }
        if self.diarize:
            kwargs["diarize"] = True
            if self.references and not references_refused():
                refs = await asyncio.to_thread(encode_references, self.references)
                if refs:
                    kwargs["speaker_references"] = refs
                    self._live.names = frozenset(refs)
        if self.language:
            kwargs["language"] = self.language
        if self.turn_detection:
            from mistralai.client.models import TurnDetectionConfig

            kwargs["turn_detection"] = TurnDetectionConfig()
        return await open_session(self.connection, self.model, **kwargs)

    async def _send_loop(self, conn: Any) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            with self._lock:
                blocks, self._blocks = self._blocks, []
                self._wake_pending = False
                ending = self._ending
            if self._settled.is_set():
                return
            if blocks:
                audio = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
                pcm = _pcm16(audio)
                for start in range(0, pcm.size, MAX_APPEND_SAMPLES):
                    part = pcm[start : start + MAX_APPEND_SAMPLES]
                    await conn.send_audio(part.tobytes())
                    self.sent_samples += part.size
                    with self._lock:
                        self._queued = max(0, self._queued - part.size)
                        self._changed.notify_all()
            if ending:
                await conn.flush_audio()
                await conn.end_audio()
                return

    async def _receive_loop(self, conn: Any) -> None:
        async for event in conn:
            self.events_received += 1
            if self._on_event(event):
                return
        raise TranscriptionError(
            f"{WHAT} failed: the connection was closed before the transcript was done.",
            hint=RETRY,
        )

    def _on_event(self, event: Any) -> bool:
        """Handle one server event; True once the session is over (done or error)."""
        kind = getattr(event, "type", None)
        if kind == "transcription.text.delta":
            self._add_text(getattr(event, "text", ""))
        elif kind == "transcription.segment":
            with self._lock:
                self._live.add_segment(event)
        elif kind == "transcription.language":
            with self._lock:
                self._live.set_language(getattr(event, "audio_language", None))
        elif kind in ("turn.start", "turn.resume", "turn.end"):
            self._on_turn(kind, getattr(event, "time_s", None))
        elif kind == "error":
            message = error_message(getattr(event, "error", None))
            if self.references and "speaker_reference" in message.lower():
                mark_refused()
            raise TranscriptionError(message, hint=RETRY)
        elif kind == "transcription.done":
            if not self._ending:
                raise TranscriptionError(f"{WHAT} failed: Mistral ended the session before the recording.")
            with self._lock:
                transcript = self._live.finished(event, self.sent_seconds)
            self._succeed(transcript)
            return True
        return False  # session.*, turn.eager_end, unknown events: nothing to do

    def _on_turn(self, kind: str, time_s: Any) -> None:
        """Turn events: speech began again, or the turn ended at ``time_s`` (seconds of audio)."""
        with self._lock:
            self._turns.on_event(kind, time_s, self.fed_samples / RATE)
            self._changed.notify_all()
        self._tell()

    def _add_text(self, text: Any) -> None:
        with self._lock:
            shown = self._live.add_text(text if isinstance(text, str) else "")
        listener = self.on_text
        if listener is not None and shown:
            with contextlib.suppress(Exception):  # a display problem must not end the session
                listener(shown)
        if shown and self.turn_detection:
            self._tell()


def _pcm16(samples: np.ndarray) -> np.ndarray:
    clean_samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    return (np.clip(clean_samples, -1.0, 1.0) * 32767.0).astype("<i2")
