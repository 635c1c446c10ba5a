"""Offline live transcription: Whisper over the recording while it is still being captured."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.model import Segment, Transcript
from tui.stt.offline import WhisperTranscriber
from tui.stt.sentences import round_time, speech_seconds, words_after

CONTEXT_S = 3.0
"""At the stop, a tail with under :data:`CONTEXT_SPEECH_S` of speech is transcribed after this much
of the audio that already settled, whose words are then dropped: a window with under 3 s of speech
keeps the full 30 s encoder (beckett.wav's 4.3 s tail, 1.3 s of it speech: 0.57-0.66 s alone,
0.37-0.39 s after the context; bench/README "Diarization")."""
CONTEXT_SPEECH_S = 2.0
"""Speech (20 ms frames :func:`tui.audio.meter.is_loud`) under which a tail gets the context; with
the VAD's padding such a tail holds under 3 s of speech. endgame_nagg_nell.wav's 5.1 s tail holds
2.5 s: alone 0.38-0.40 s, after the context 0.49-0.53 s."""
CAPTION_MIN_S = 0.5
"""A caption pass needs at least this much unsettled audio (less holds no word worth showing)."""
CAPTION_DUTY = 0.5
"""The most of one core caption passes use on average: after a pass that cost ``c`` CPU seconds (of
the process's threads but the main one, which runs the app: :func:`_worker_cpu`) the next one waits
for ``c / CAPTION_DUTY`` seconds of new audio (at least ``caption_s``), so on a slow machine captions
come less often instead of taking the CPU the recording and the app need. CPU time, not wall time:
other programs slowing a pass down do not make captions rarer."""


class StreamingTranscription:
    """Transcribe a recording while it is still being captured, so stopping costs only the tail.

    ``feed()`` blocks of samples as they are recorded (any thread; cheap: it only appends). A worker
    thread transcribes once ``window_s`` seconds are waiting, keeps every sentence that ended at
    least ``settle_s`` before the end of what it saw, drops that audio, and waits for more.
    ``finish()`` transcribes what is left and returns the whole transcript with absolute times.
    Memory stays bounded by the unsettled audio, whatever the length of the meeting.

    Captions (``caption_s`` set and :attr:`on_text` listening): between those passes, each time
    ``caption_s`` more seconds were heard, the worker also hears the unsettled audio once (a fast
    pass, never kept) so that :attr:`partial_text` holds the words so far within about
    ``caption_s`` plus one pass; caption passes use at most :data:`CAPTION_DUTY` of a core. The
    settled sentences, and so the finished transcript, come from the ``window_s`` passes alone, as
    without captions.
    """

    def __init__(
        self,
        transcriber: WhisperTranscriber,
        rate: int,
        *,
        window_s: float = 20.0,
        settle_s: float = 2.0,
        caption_s: float | None = None,
    ) -> None:
        if settle_s >= window_s:
            raise ValueError("settle_s must be shorter than window_s")
        self.transcriber = transcriber
        self.rate = int(rate)
        self.window_s = window_s
        self._base_window_s = window_s
        self.settle_s = settle_s
        self.caption_s = caption_s
        self.caption_passes = 0
        """Caption passes the worker ran (for tests and the benchmark)."""
        self.interim = ""
        """What the last pass heard in the audio not settled yet (captions only; never kept)."""
        self._caption_from = 0  # absolute sample index where the next caption pass's wait began
        self._caption_wait_s = caption_s or 0.0  # new audio the next caption pass waits for
        self.segments: list[Segment] = []
        """Sentences settled so far (absolute times); grows while the user speaks."""
        self.passes = 0
        """Transcriptions the worker ran before ``finish()`` (for tests and the benchmark)."""
        self.voiceprints: dict[str, list[float]] = {}
        """Speaker label -> voice embedding, set by ``finish()`` when diarization is enabled."""
        diarization = transcriber.settings.diarization
        self._diarization = diarization if diarization.enabled else None
        self._pieces: list[Any] = []  # tui.diarize.diarizer.Piece, absolute times
        self._embeddings: list[np.ndarray] = []
        self._blocks: list[np.ndarray] = []
        self._pending = 0  # samples in _blocks
        self._offset = 0  # absolute sample index of _blocks[0][0]
        self._context = np.zeros(0, np.float32)  # the last CONTEXT_S of settled (dropped) audio
        self.context_tails = 0
        """Tails ``finish()`` transcribed after some settled audio (for tests and the benchmark)."""
        self.on_text: Callable[[str], None] | None = None
        """Called from the worker thread after each pass that changed :attr:`partial_text` (with the
        text it added), e.g. to show what the room is saying; must not block. Final text comes
        from ``finish()``."""
        self._closed = False
        self._busy = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._work, name="voxroom-stream-stt", daemon=True)
        self._thread.start()

    def feed(self, samples: np.ndarray) -> None:
        block = np.asarray(samples, dtype=np.float32).reshape(-1)
        if block.size == 0:
            return
        with self._cond:
            if self._closed:
                raise RuntimeError("feed() after finish()")
            self._blocks.append(block.copy())
            self._pending += block.size
            self._cond.notify_all()

    def close(self) -> None:
        """Abandon the transcription (idempotent): drop the audio; the worker ends after any pass
        under way. ``finish()`` afterwards returns only what had settled."""
        with self._cond:
            self._closed = True
            self._blocks, self._pending = [], 0
            self._cond.notify_all()

    @property
    def buffered_seconds(self) -> float:
        """Audio held in memory: what is not settled yet."""
        with self._cond:
            return self._pending / self.rate

    @property
    def partial_text(self) -> str:
        """The text of the sentences settled so far (the worker only appends to them), then what
        the last caption pass heard after them."""
        said = [s.text.strip() for s in list(self.segments) if s.text.strip()]
        interim = self.interim.strip()
        return " ".join([*said, interim] if interim else said)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the worker has nothing it could do yet; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._busy and not self._ready() and not self._caption_due(), timeout
            )

    def final(self) -> Transcript | None:
        """Always None: :meth:`finish` returns the finished transcript."""
        return None

    def finish(self) -> Transcript:
        """Stop feeding, transcribe the unsettled tail, and return the whole transcript."""
        with self._cond:
            self._closed = True
            self.interim = ""  # the transcript has these words now
            self._cond.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error
        tail, offset = self._take_all()
        if tail.size:
            short = speech_seconds(tail, self.rate) < CONTEXT_SPEECH_S
            context = self._context if short else self._context[:0]
            audio = np.concatenate([context, tail]) if context.size else tail
            transcript = self.transcriber.transcribe_words(Clip(audio, self.rate))
            if context.size and transcript.segments and not transcript.words:
                # No word times to cut the context off at (never seen): hear the tail alone.
                transcript = self.transcriber.transcribe_words(Clip(tail, self.rate))
            elif context.size:
                self.context_tails += 1
                transcript = words_after(transcript, context.size / self.rate)
            self._keep(tail, transcript, transcript.segments, offset)
        if self._diarization is not None and self._pieces:
            from tui.diarize.diarizer import assemble

            result = assemble(
                self.segments,
                self._pieces,
                np.concatenate(self._embeddings),
                threshold=self._diarization.threshold,
                num_speakers=self._diarization.num_speakers or None,
            )
            self.segments = result.segments
            self.voiceprints = {label: v.tolist() for label, v in result.voiceprints.items()}
        self.segments.sort(key=lambda s: s.start)
        return Transcript(
            segments=list(self.segments),
            text=" ".join(s.text for s in self.segments),
            language="en",
            model=self.transcriber._model_name(),
            voiceprints=dict(self.voiceprints),
        )

    def _keep(self, audio: np.ndarray, transcript: Transcript, settled: list[Segment], offset: int) -> None:
        """Add ``settled`` (times relative to ``audio``, which starts at sample ``offset``) to the
        transcript; with diarization on, embed their pieces now, while the audio is at hand."""
        if self._diarization is not None and settled:
            from tui.diarize.diarizer import embed_pieces, split_pieces

            pieces = split_pieces(settled, transcript.words)
            samples = Clip(audio, self.rate).at_rate(TRANSCRIBE_RATE).samples
            self._embeddings.append(embed_pieces(samples, pieces))
            base = offset / self.rate
            self._pieces.extend(p.shifted(base, len(self.segments)) for p in pieces)
        for seg in settled:
            self.segments.append(self._shift(seg, offset))

    # -- worker ---------------------------------------------------------------------------------
    def _ready(self) -> bool:
        return not self._closed and self._pending >= self.window_s * self.rate

    def _caption_due(self) -> bool:
        """A caption pass is due: captions are on and listened to, and enough was heard since the
        last pass began (caller holds the lock)."""
        if self._closed or self.caption_s is None or self.on_text is None:
            return False
        heard = self._offset + self._pending - self._caption_from
        return self._pending >= CAPTION_MIN_S * self.rate and heard >= self._caption_wait_s * self.rate

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._ready() or self._caption_due())
                if self._closed:
                    self._cond.notify_all()
                    return
                settle = self._ready()
                audio = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
                offset = self._offset
                self._caption_from = offset + audio.size
                self._busy = True
            try:
                if settle:
                    self._settle(audio, offset)
                else:
                    self._caption(audio)
            except BaseException as err:  # reported by finish()
                with self._cond:
                    self._error = err
                    self._closed = True
                    self._busy = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _settle(self, audio: np.ndarray, offset: int) -> None:
        self.passes += 1
        transcript = self.transcriber.transcribe_words(Clip(audio, self.rate))
        horizon = audio.size / self.rate - self.settle_s
        settled = [s for s in transcript.segments if s.end <= horizon]
        if settled:
            cut_s = settled[-1].end
        elif not transcript.segments:
            cut_s = horizon  # no speech in the window: drop all but the last few seconds
        else:
            cut_s = 0.0  # one sentence still running: wait for more audio
        self._keep(audio, transcript, settled, offset)
        if self.caption_s is not None:
            self.interim = " ".join(s.text.strip() for s in transcript.segments[len(settled) :])
        if settled or self.caption_s is not None:
            self._tell(" ".join(s.text.strip() for s in settled))
        cut = int(cut_s * self.rate)
        if cut <= 0:
            # Nothing settled: let the window grow (up to Whisper's 30 s) before trying again.
            self.window_s = min(self.window_s + 5.0, 28.0)
            return
        self.window_s = self._base_window_s
        with self._cond:
            self._drop(cut)

    def _caption(self, audio: np.ndarray) -> None:
        """Hear the unsettled ``audio`` once for the caption (a fast pass; nothing is kept)."""
        started = _worker_cpu()
        self.caption_passes += 1
        heard = self.transcriber.transcribe_words(Clip(audio, self.rate), caption=True)
        cost = _worker_cpu() - started
        self._caption_wait_s = max(self.caption_s or 0.0, cost / CAPTION_DUTY)
        text = " ".join(s.text.strip() for s in heard.segments if s.text.strip())
        if text != self.interim:
            self.interim = text
            self._tell(text)

    def _tell(self, text: str) -> None:
        listener = self.on_text
        if listener is not None:
            with contextlib.suppress(Exception):  # a display problem must not end the transcription
                listener(text)

    def _drop(self, count: int) -> None:
        """Forget the first ``count`` samples (caller holds the lock)."""
        remaining = count
        gone: list[np.ndarray] = [self._context]
        while remaining > 0 and self._blocks:
            head = self._blocks[0]
            if head.size <= remaining:
                gone.append(self._blocks.pop(0))
                remaining -= head.size
            else:
                gone.append(head[:remaining])
                self._blocks[0] = head[remaining:]
                remaining = 0
        self._context = np.concatenate(gone)[-int(CONTEXT_S * self.rate) :]
        dropped = count - remaining
        self._pending -= dropped
        self._offset += dropped

    def _take_all(self) -> tuple[np.ndarray, int]:
        with self._cond:
            audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
            offset = self._offset
            self._blocks, self._pending = [], 0
            self._offset += audio.size
        return audio, offset

    def _shift(self, seg: Segment, offset: int) -> Segment:
        base = offset / self.rate
        return Segment(round_time(seg.start + base), round_time(seg.end + base), seg.speaker, seg.text)


def _worker_cpu() -> float:
    """CPU seconds of this process's threads other than the main one (the app's event loop draws
    the screen there): this worker and Whisper's own threads. Where ``/proc`` cannot tell, the whole
    process's."""
    total = time.process_time()
    try:
        with open(f"/proc/self/task/{threading.main_thread().native_id}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        main = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return total
    return max(0.0, total - main)
