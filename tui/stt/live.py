"""The live transcription a recording gets: Mistral's realtime socket, the offline streamer, or none."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.config import Settings
from tui.stt.base import LiveTranscription

RATE = 16_000
CAPTION_S = 1.0
"""Offline, how much new audio the next caption waits for (at least; see
:data:`tui.stt.streaming.CAPTION_DUTY`): a word shows about this plus one Whisper pass after it ends."""


def make_live_transcription(
    settings: Settings, transcriber: Any, references: Mapping[str, Path] | None = None
) -> LiveTranscription | None:
    """The live transcription for a recording about to start, or None (transcribe at the end).

    Offline: :class:`tui.stt.streaming.StreamingTranscription` (6 s windows, 1.5 s settle, and a
    caption pass each :data:`CAPTION_S` of audio heard in between). Mistral with
    ``[transcription] realtime = true``: :class:`RealtimeTranscription` on the transcriber's
    connection. Both are :class:`tui.stt.base.LiveTranscription`.
    """
    kind = getattr(transcriber, "name", "")
    if kind == "offline":
        from tui.stt.streaming import StreamingTranscription

        return StreamingTranscription(transcriber, RATE, window_s=6.0, settle_s=1.5, caption_s=CAPTION_S)
    cfg = settings.transcription
    if kind == "mistral" and cfg.realtime and getattr(transcriber, "connection", None) is not None:
        from tui.stt.realtime import RealtimeTranscription

        return RealtimeTranscription(
            transcriber.connection,
            model=cfg.realtime_model,
            diarize=cfg.diarize,
            language=cfg.language,
            delay_ms=cfg.realtime_delay_ms,
            references=references,
            turn_detection=cfg.realtime_turn_detection,
        )
    return None
