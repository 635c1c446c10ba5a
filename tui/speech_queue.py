"""The speech of one reply: a thread that speaks its sentences in order into a sink.

:class:`SpeechQueue` takes the sentences the turn cuts from the agent's reply (:meth:`SpeechQueue.put`)
and, with a speaker that takes text as it is written (the realtime speech socket), the sentence being
written (:meth:`SpeechQueue.grow`), so speech starts from the reply's first words.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np

from tui.audio.sinks import AudioSink
from tui.errors import SpeechError, VoxroomError
from tui.speculate import HeldSpeech
from tui.speech.base import Speaker, SpeechStream, streams

_DONE = object()


class _Growing:
    """A sentence spoken while the agent writes it: its text so far goes to a :class:`SpeechStream`
    (held until the stream is attached), then the rest once the sentence is complete."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.text = ""
        """The text handed over so far."""
        self.sentence: str | None = None
        """The whole sentence, once complete."""
        self.dropped = False
        """Not to be spoken (the agent never finished it, or it became another sentence)."""
        self.started = False
        """Its audio has started playing."""
        self._lock = threading.Lock()
        self._stream: SpeechStream | None = None
        self._pieces: list[str] = []

    def start(self) -> str:
        """Its audio has started: the text to show (what is written of it so far)."""
        with self._lock:
            self.started = True
            return self.sentence if self.sentence is not None else self.text.strip()

    def accepts(self, sentence: str) -> bool:
        """True when ``sentence`` goes on from the text handed over."""
        return sentence.startswith(self.text.strip())

    def grow(self, so_far: str) -> None:
        with self._lock:
            if self.sentence is None and not self.dropped and so_far.startswith(self.text):
                self._hand(so_far[len(self.text) :])

    def complete(self, sentence: str) -> bool:
        """The whole sentence; True when its audio had already started (it is shown whole now)."""
        with self._lock:
            if self.sentence is not None or self.dropped:
                return False
            sent = self.text.strip()
            rest = sentence[len(sent) :]
            self._hand(rest.lstrip() if self.text != sent else rest)
            self.sentence = sentence
            if self._stream is not None:
                self._stream.end()
            return self.started

    def drop(self) -> None:
        with self._lock:
            self.dropped = True
            stream = self._stream
        if stream is not None:
            stream.close()

    def attach(self, stream: SpeechStream) -> None:
        with self._lock:
            self._stream = stream
            for piece in self._pieces:
                stream.send(piece)
            self._pieces = []
            if self.sentence is not None:
                stream.end()

    def _hand(self, piece: str) -> None:
        """(Lock held.)"""
        if not piece:
            return
        self.text += piece
        if self._stream is not None:
            self._stream.send(piece)
        else:
            self._pieces.append(piece)


class SpeechQueue:
    """A thread that speaks queued sentences in order into a sink, one request at a time.

    With a speaker that takes text as it is written (:class:`tui.speech.base.StreamingSpeaker`, the
    realtime speech socket), :meth:`grow` gives it the sentence being written as the agent writes it,
    so speech starts from the reply's first words; each sentence is still one request, so what is
    said, refused and interrupted is counted by sentence as with any speaker. The first sentence's
    stream is opened when the queue is made (while the agent is asked). With an early answer's
    ``held`` audio, sentences are spoken whole.

    A sentence the service refuses (:class:`SpeechError` with ``refused``) is listed in
    :attr:`refused` and the queue goes on; only when every sentence is refused does it become
    :attr:`error`. Every block is made finite and clipped to [-1, 1] before it reaches the sink.
    """

    def __init__(
        self,
        speaker: Speaker,
        sink: AudioSink,
        on_first_block: Callable[[int, str], None],
        cancel: threading.Event,
        held: Callable[[], HeldSpeech | None] | None = None,
    ) -> None:
        """``held``: gives the first sentence's audio synthesised ahead (an early answer), asked for
        when sentence 0 is spoken and played for it when it is that sentence; with it, sentences are
        spoken whole (the first one's audio is already there)."""
        self.speaker = speaker
        self.held = held
        self.sink = sink
        self.on_first_block = on_first_block
        self.cancel = cancel
        self.error: VoxroomError | None = None
        self.refused: list[int] = []
        self._refusal: SpeechError | None = None
        self._spoken = 0
        self.first_request_at: float | None = None
        self.first_audio_at: float | None = None
        self._queue: queue.Queue[object] = queue.Queue()
        self._opened = False
        self.streaming = streams(speaker) and held is None
        """Sentences are spoken as they are written (see :meth:`grow`)."""
        self._growing: _Growing | None = None
        self._count = 0
        self._ready: SpeechStream | None = None
        self._ready_lock = threading.Lock()
        if self.streaming:
            self._ready = speaker.open_stream(cancel)  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, name="voxroom-speech", daemon=True)
        self._thread.start()

    def grow(self, so_far: str) -> None:
        """The sentence being written, so far (the agent's text after the last complete sentence):
        with :attr:`streaming` it is spoken as it comes; otherwise nothing happens until :meth:`put`."""
        if not self.streaming or not so_far.strip():
            return
        if self._growing is None:
            self._growing = _Growing(self._count)
            self._queue.put(self._growing)
        self._growing.grow(so_far)

    def put(self, index: int, sentence: str) -> None:
        self._count = index + 1
        growing, self._growing = self._growing, None
        if growing is not None and not growing.accepts(sentence):
            growing.drop()  # it became another sentence (a blocked reply's line): not spoken
            growing = None
        if growing is not None:
            if growing.complete(sentence) and not self.cancel.is_set():
                self.on_first_block(index, sentence)  # heard from its first words: now it is whole
        elif self.streaming:
            whole = _Growing(index)
            whole.complete(sentence)
            self._queue.put(whole)
        else:
            self._queue.put((index, sentence))

    def finish(self) -> None:
        growing, self._growing = self._growing, None
        if growing is not None:
            growing.drop()  # the agent never finished it: not spoken
        self._queue.put(_DONE)
        self._thread.join()
        self._release()  # opened for a first sentence that never came
        if self.error is None and self._refusal is not None and self._spoken == 0:
            self.error = self._refusal  # nothing could be said: a refusal of everything is a failure

    def abandon(self) -> None:
        """The turn stopped (its cancel is set): the queue's thread ends without being waited for, and
        the stream opened ahead, if no sentence took it, is closed (a bounded wait)."""
        self._queue.put(_DONE)
        self._release()

    def _release(self) -> None:
        """Close the stream opened ahead if no sentence has taken it."""
        with self._ready_lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            ready.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self.error is not None or self.cancel.is_set():
                continue
            if isinstance(item, _Growing) and item.dropped:
                continue
            index = item.index if isinstance(item, _Growing) else item[0]  # type: ignore[index]
            try:
                if isinstance(item, _Growing):
                    self._stream(item)
                else:
                    self._speak(index, item[1])  # type: ignore[index]
                self._spoken += 1
            except SpeechError as err:
                if err.refused:
                    self.refused.append(index)
                    self._refusal = err
                else:
                    self.error = err
            except VoxroomError as err:
                self.error = err
            except Exception as err:  # a backend bug must not kill the turn silently
                self.error = SpeechError(f"Speech failed: {err}.")

    def _speak(self, index: int, sentence: str) -> None:
        if self.first_request_at is None:
            self.first_request_at = time.perf_counter()
        ahead = self.held() if self.held is not None and index == 0 else None
        self.held = None
        source = ahead.blocks() if ahead is not None and ahead.sentence == sentence else None
        self._play(
            index, lambda: sentence, source if source is not None else self.speaker.synthesize(sentence)
        )

    def _stream(self, growing: _Growing) -> None:
        """Speak ``growing`` through a stream (the one opened ahead, for the first)."""
        if self.first_request_at is None:
            self.first_request_at = time.perf_counter()
        with self._ready_lock:
            stream, self._ready = self._ready, None
        if stream is not None and stream.lost:  # the one opened ahead was cut while it waited
            stream.close()
            stream = None
        if stream is None:
            stream = self.speaker.open_stream(self.cancel)  # type: ignore[attr-defined]
        try:
            growing.attach(stream)
            self._play(growing.index, growing.start, stream.blocks())
        finally:
            stream.close()

    def _play(self, index: int, sentence: Callable[[], str], blocks: Iterable[np.ndarray]) -> None:
        """Write ``blocks`` (sentence ``index``'s audio) to the sink as they come; at the first one,
        ``on_first_block`` is told (with ``sentence()``)."""
        first = True
        for block in blocks:
            if self.cancel.is_set():
                return
            block = np.asarray(block, dtype=np.float32).reshape(-1)
            if block.size == 0:
                continue
            if not np.isfinite(block).all() or np.abs(block).max() > 1.0:
                block = np.clip(np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
            if not self._opened:
                self.sink.open(self.speaker.sample_rate)
                self._opened = True
            if first:
                first = False
                if self.first_audio_at is None:
                    self.first_audio_at = time.perf_counter()
                self.on_first_block(index, sentence())
            self.sink.write(block)
