"""Voxtral Transcribe: diarized, segment-timestamped transcription through the Mistral SDK."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.audio.clip import Clip
from tui.config import Settings
from tui.mistral import MistralConnection
from tui.model import MAX_SECONDS, UNKNOWN_SPEAKER, Segment, Transcript, bounded_seconds
from tui.net import LIMITS
from tui.redact import inbound
from tui.stt.references import (
    encode_references,
    mark_refused,
    reference_name,
    references_refused,
    refuses_references,
)


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
                # What the realtime socket's connect imports (Voxroom's own socket code is imported
                # by Backends.warm_up), so a first press does not spend 35-55 ms importing them
                # before the recorder starts.
                import mistralai.extra.realtime.connection  # noqa: F401
                import websockets.asyncio.client  # noqa: F401

    def transcribe(self, clip: Clip, references: Mapping[str, Path] | None = None) -> Transcript:
        """``references``: name -> a known person's reference clip, sent as ``speaker_references``
        with diarization (unless the service refused them earlier in this process)."""
        cfg = self.settings.transcription
        flac = clip.flac_bytes()
        name = (clip.path.stem if clip.path else "recording") + ".flac"
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "file": {"file_name": name, "content": flac, "content_type": "audio/flac"},
            "diarize": cfg.diarize,
        }
        # The API refuses ``language`` together with ``timestamp_granularities``: segments come with
        # diarization anyway, so ask for segment timestamps only when no language is forced.
        if cfg.language:
            kwargs["language"] = cfg.language
        else:
            kwargs["timestamp_granularities"] = ["segment"]
        refs = encode_references(references) if cfg.diarize and not references_refused() else {}
        try:
            try:
                res = self.connection.client.audio.transcriptions.complete(
                    **kwargs, **({"speaker_references": refs} if refs else {})
                )
            except Exception as err:
                if not refs or not refuses_references(err):
                    raise
                mark_refused()
                refs = {}
                res = self.connection.client.audio.transcriptions.complete(**kwargs)
        except Exception as err:
            res = _reread_with_surrogates_replaced(err)
            if res is None:
                raise self.connection.translate(err, "transcription", "Transcription") from None
        return self._to_transcript(res, clip.duration, frozenset(refs))

    @staticmethod
    def _to_transcript(res: Any, duration: float = 0.0, names: frozenset[str] = frozenset()) -> Transcript:
        """The service's answer, cleaned (text through :func:`tui.redact.inbound`): finite times
        within the recording, bounded speaker labels
        (``speaker_<n>``, ``unknown``, or one of ``names``: the speaker references sent)."""
        limit = duration if duration > 0 and math.isfinite(duration) else MAX_SECONDS
        raw_segments = list(getattr(res, "segments", None) or [])[:MAX_SEGMENTS]
        raw_ids = [_raw_speaker(seg) for seg in raw_segments]
        numbers = [_speaker_number(r) for r in raw_ids]
        # Services number speakers from 0 or from 1; show them from 1 either way.
        shift = 1 if 0 in numbers else 0
        segments: list[Segment] = []
        for seg, raw, number in zip(raw_segments, raw_ids, numbers, strict=True):
            text = inbound(_bounded_text(getattr(seg, "text", ""), MAX_TEXT)).strip()
            if not text:
                continue
            start = bounded_seconds(getattr(seg, "start", None), limit)
            end = bounded_seconds(getattr(seg, "end", None), limit)
            if number is not None:
                speaker = f"speaker_{number + shift}"
            elif isinstance(raw, str) and reference_name(raw) in names:
                speaker = reference_name(raw)
            else:
                speaker = UNKNOWN_SPEAKER
            segments.append(Segment(start=start, end=max(start, end), speaker=speaker, text=text))
        text = inbound(_bounded_text(getattr(res, "text", ""), MAX_TEXT)).strip()
        if not segments and text:
            segments.append(Segment(0.0, 0.0, "speaker_1", text))
        language = getattr(res, "language", None)
        return Transcript(
            segments=segments,
            text=text or " ".join(s.text for s in segments),
            language=inbound(language)[:MAX_SHORT] or None if isinstance(language, str) else None,
            model=inbound(_bounded_text(getattr(res, "model", ""), MAX_SHORT)),
        )


def seconds(value: Any) -> float | None:
    """A time from the server, bounded: finite, not negative, at most a day; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(max(number, 0.0), 86_400.0)


def _reread_with_surrogates_replaced(err: Exception) -> Any:
    """The answer of a transcription the SDK refused only because its JSON escapes a lone surrogate
    (``\\ud800``, which the SDK's parser rejects while Python's json reads it): read again with
    every lone surrogate replaced by U+FFFD, through the SDK's own parser. ``None`` for any other
    error, or a body that still does not read."""
    if type(err).__name__ != "ResponseValidationError":
        return None
    body = getattr(err, "body", None)
    if not isinstance(body, str) or len(body) > LIMITS.json_bytes or "\\ud" not in body.lower():
        return None
    import json

    from mistralai.client.models import TranscriptionResponse
    from mistralai.client.utils.serializers import unmarshal_json

    def replaced(value: Any) -> Any:
        if isinstance(value, str):
            return _SURROGATE.sub("\ufffd", value)
        if isinstance(value, list):
            return [replaced(v) for v in value]
        if isinstance(value, dict):
            return {replaced(k): replaced(v) for k, v in value.items()}
        return value

    try:
        return unmarshal_json(json.dumps(replaced(json.loads(body))), TranscriptionResponse)
    except Exception:  # anything else wrong with it: the caller says it could not be read
        return None


_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_SPEAKER_NUMBER = 999
MAX_SEGMENTS = 100_000
MAX_TEXT = 2_000_000
MAX_SHORT = 200
_SPEAKER_ID = re.compile(r"(?:speaker)?[_ -]?([0-9]{1,4})", re.ASCII | re.IGNORECASE)


def _raw_speaker(seg: Any) -> Any:
    extra = getattr(seg, "model_extra", None) or {}
    raw = getattr(seg, "speaker_id", None)
    return raw if raw is not None else extra.get("speaker_id", extra.get("speaker"))


def _speaker_number(raw: Any) -> int | None:
    """``speaker_3``, ``3`` or ``"3"`` -> 3; anything else (null, ``speaker_²``, huge numbers) -> None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= MAX_SPEAKER_NUMBER else None
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    found = _SPEAKER_ID.fullmatch(raw.strip())
    if found is None:
        return None
    number = int(found.group(1))
    return number if number <= MAX_SPEAKER_NUMBER else None


def _bounded_text(value: Any, cap: int) -> str:
    return value[:cap] if isinstance(value, str) else ""
