"""Voxtral Transcribe: diarized, segment-timestamped transcription through the Mistral SDK."""

from __future__ import annotations

import contextlib
import math
from typing import Any

from tui.audio.clip import Clip
from tui.config import Settings
from tui.mistral import MistralConnection
from tui.model import Segment, Transcript
from tui.text import clean


class MistralTranscriber:
    name = "mistral"

    def __init__(self, settings: Settings, connection: MistralConnection) -> None:
        self.settings = settings
        self.connection = connection

    def warm_up(self) -> None:
        self.connection.warm_up()
        if self.settings.transcription.realtime:
            # Import the realtime client (and websockets) now, not when the first recording starts.
            # Without websockets the live transcription fails at connect and the batch path is used.
            with contextlib.suppress(ImportError):
                _ = self.connection.client.audio.realtime

    def transcribe(self, clip: Clip) -> Transcript:
        cfg = self.settings.transcription
        flac = clip.flac_bytes()
        name = (clip.path.stem if clip.path else "recording") + ".flac"
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "file": {"file_name": name, "content": flac, "content_type": "audio/flac"},
            "diarize": cfg.diarize,
            "timestamp_granularities": ["segment"],
        }
        if cfg.language:
            kwargs["language"] = cfg.language
        try:
            res = self.connection.client.audio.transcriptions.complete(**kwargs)
        except Exception as err:
            raise self.connection.translate(err, "transcription", "Transcription") from None
        return self._to_transcript(res)

    @staticmethod
    def _to_transcript(res: Any) -> Transcript:
        segments: list[Segment] = []
        raw_ids: list[Any] = []
        for seg in getattr(res, "segments", None) or []:
            extra = getattr(seg, "model_extra", None) or {}
            raw = getattr(seg, "speaker_id", None) or extra.get("speaker_id") or extra.get("speaker")
            raw_ids.append(raw)
        # Services number speakers from 0 or from 1; show them from 1 either way.
        zero_based = any(str(r).strip() in ("0", "speaker_0") for r in raw_ids if r is not None)
        for seg, raw in zip(getattr(res, "segments", None) or [], raw_ids, strict=True):
            text = clean(str(getattr(seg, "text", "") or "")).strip()
            if not text:
                continue
            segments.append(
                Segment(
                    start=seconds(getattr(seg, "start", None)) or 0.0,
                    end=seconds(getattr(seg, "end", None)) or 0.0,
                    speaker=_label(raw, zero_based),
                    text=text,
                )
            )
        text = clean(str(getattr(res, "text", "") or "")).strip()
        if not segments and text:
            segments.append(Segment(0.0, 0.0, "speaker_1", text))
        language = getattr(res, "language", None)
        return Transcript(
            segments=segments,
            text=text or " ".join(s.text for s in segments),
            language=language if isinstance(language, str) else None,
            model=str(getattr(res, "model", "") or ""),
        )


def seconds(value: Any) -> float | None:
    """A time from the server, bounded: finite, not negative, at most a day; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(max(number, 0.0), 86_400.0)


def _label(raw: Any, zero_based: bool) -> str:
    if raw is None or raw == "":
        return "speaker_1"
    text = str(raw).strip()
    digits = text.lower().removeprefix("speaker").lstrip("_ -")
    if digits.isdigit():
        return f"speaker_{int(digits) + (1 if zero_based else 0)}"
    return clean(text)[:40].strip() or "speaker_1"
