"""Offline speech: hibari (``hibari-tts``), a 7.9 MB int8 ONNX voice distilled from Kokoro-82M af_heart.

Only the voice inside the wheel is ever used: hibari's other voices are downloaded on first use, which
Voxroom never does, so any other voice name is refused and the model path is passed to hibari directly
(its download code is never reached). hibari synthesizes a whole sentence in about the time Piper takes
for one clause, so sentences are spoken whole; only the text's first piece is cut short, as for Piper, so
the listener hears it sooner (bench/README.md, "Offline voice").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tui.config import Settings
from tui.errors import ModelLoadError, SpeechError
from tui.models import shared_model
from tui.speech.piper import CLAUSE_GAP_S, SENTENCE_GAP_S, split_for_speech

SAMPLE_RATE = 24_000
BUNDLED_VOICE = "heart"
"""hibari's name for its bundled voice; ``af_heart`` is Kokoro's name for the same voice."""
VOICE_NAMES = frozenset({"", BUNDLED_VOICE, "af_heart"})
MODEL_LABEL = "hibari-af_heart"
"""How sessions name this voice."""
FIX_HINT = 'Set speech.offline_voice = "" (or "heart"), or speech.offline_engine = "piper" for a Piper voice.'
REINSTALL_HINT = 'Run: pip install hibari-tts==0.2.1, or set speech.offline_engine = "piper".'
SILENCE_LEVEL = 1e-3
"""Samples below this (-60 dBFS) at either end of a sentence are silence: hibari pads each sentence
with about 0.3 s before and 0.4 s after, which would delay the first words and stretch every pause."""
KEEP_LEAD_S = 0.02
KEEP_TAIL_S = 0.05
GAIN = 1.3
"""+2.3 dB: hibari speaks about 6 dB quieter than Piper (normalised, volume 0.85) and peaks at 0.64
on the benchmark's sentences; this brings it to about 0.83 (anything beyond full scale is clipped)."""


def trim_silence(block: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """``block`` without its leading and trailing silence, keeping a short margin (a view, not a copy)."""
    loud = np.flatnonzero(np.abs(block) > SILENCE_LEVEL)
    if loud.size == 0:
        return block[:0]
    start = max(0, int(loud[0]) - int(rate * KEEP_LEAD_S))
    end = min(block.size, int(loud[-1]) + 1 + int(rate * KEEP_TAIL_S))
    return block[start:end]


def check_voice_name(settings: Settings) -> None:
    """Refuse any voice but the bundled one: hibari would download the others at run time."""
    name = settings.speech.offline_voice.strip()
    if name not in VOICE_NAMES:
        raise ModelLoadError(
            f"The hibari voice '{name[:80]}' is not available offline: Voxroom uses only the bundled "
            f"voice '{BUNDLED_VOICE}' (af_heart), since hibari downloads its other voices at run time.",
            hint=FIX_HINT,
            retryable=False,
        )


def bundled_model_path() -> Path:
    """The af_heart ONNX file inside the ``hibari`` package (checked to be bundled and present)."""
    try:
        from hibari.voices import ASSETS, VOICES
    except ImportError:
        raise ModelLoadError(
            "The hibari voice is not installed (package hibari-tts is missing).",
            hint=REINSTALL_HINT,
            retryable=False,
        ) from None
    entry = VOICES.get(BUNDLED_VOICE, {})
    path = Path(ASSETS) / str(entry.get("file", ""))
    if not entry.get("bundled") or not path.is_file():
        raise ModelLoadError(
            f"The bundled hibari voice is missing from {ASSETS} (a broken hibari-tts install).",
            hint=REINSTALL_HINT,
            retryable=False,
        )
    return path


class HibariSpeaker:
    """:class:`tui.speech.base.Speaker` running hibari's bundled af_heart voice (ONNX Runtime, CPU)."""

    name = "offline"
    sample_rate = SAMPLE_RATE

    def __init__(self, settings: Settings, *, threads: int = 1) -> None:
        """Cheap: nothing is imported or loaded until :meth:`warm_up` or the first :meth:`synthesize`.

        One ONNX Runtime thread: the model runs far ahead of playback on one core, and its signal
        processing is single-threaded anyway; the other core stays free for the transcriber and the UI.
        """
        self.settings = settings
        self.threads = threads
        self._tts: Any = None
        self._lock = threading.Lock()
        self.model_path: Path | None = None
        self.load_seconds: float | None = None
        """How long the last load took (imports included), for the benchmark and doctor."""

    @property
    def loaded(self) -> bool:
        return self._tts is not None

    def warm_up(self) -> None:
        """Load the model and the text-to-phoneme tables once (thread-safe), then say one word."""
        if self._tts is not None:
            return
        with self._lock:
            if self._tts is None:
                self._tts = self._load()

    def _load(self) -> Any:
        """The voice, loaded once per process (:func:`tui.models.shared_model`): after its first
        sentence it is read-only, and ONNX Runtime's ``run`` is thread-safe, so speakers share it."""
        started = time.perf_counter()
        check_voice_name(self.settings)
        model = bundled_model_path()
        tts = shared_model(("hibari", str(model), self.threads), lambda: self._read(model))
        self.model_path = model
        self.load_seconds = time.perf_counter() - started
        return tts

    def _read(self, model: Path) -> Any:
        try:
            from hibari import Hibari

            # model= is the bundled file: hibari's voice lookup (and its downloader) is never called.
            tts = Hibari(voice=BUNDLED_VOICE, model=str(model), threads=self.threads)
            tts("Ready.")
        except Exception as err:  # onnxruntime raises its own Fail / InvalidProtobuf types
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise ModelLoadError(
                f"Cannot load the hibari voice at {model} ({detail}).", hint=REINSTALL_HINT, retryable=False
            ) from None
        return tts

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield float32 mono blocks at 24 kHz, one per sentence (the first one maybe cut short).

        hibari's own silence around each sentence is trimmed; a short silence follows a cut piece and
        a longer one each sentence, as for Piper.
        """
        chunks = split_for_speech(text, clauses=False)
        if not chunks:
            return
        self.warm_up()
        tts = self._tts
        for index, (chunk, ends_sentence) in enumerate(chunks):
            parts = iter(tts.stream(chunk))
            while True:
                try:
                    part = next(parts)
                except StopIteration:
                    break
                except Exception as err:
                    raise SpeechError(f"Offline speech failed: {err}.", retryable=False) from None
                block = np.asarray(part, dtype=np.float32).reshape(-1)
                np.nan_to_num(block, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
                block *= GAIN
                block = trim_silence(np.clip(block, -1.0, 1.0, out=block))
                if block.size:
                    yield block
            last = index == len(chunks) - 1
            gap = SENTENCE_GAP_S if (ends_sentence or last) else CLAUSE_GAP_S
            yield np.zeros(int(SAMPLE_RATE * gap), dtype=np.float32)
