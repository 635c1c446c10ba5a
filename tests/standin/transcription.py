"""``POST /v1/audio/transcriptions``: JSON answer, or SSE when the form says ``stream=true``."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from typing import Any

import numpy as np

from tests.standin.audio import audio_seconds
from tests.standin.calls import Call, StandInState
from tests.standin.faults import error_body
from tests.standin.scripts import ScriptedSegment, TranscriptionScript
from tests.standin.voices import decode, label_stretches, pitch_of, stretch_text, voiced_stretches

FALLBACK_SECONDS = 3.0
MAX_REFERENCES = 16
MAX_REFERENCE_BYTES = 4_000_000
REFUSED_REFERENCES = "speaker_references is not supported for this model"


def reference_pitches(refs: Any) -> dict[str, float]:
    """Validate ``speaker_references`` (name -> base64 of an audio file, no data-URL prefix) and
    return name -> the pitch of each reference clip. ``ValueError`` says what is wrong."""
    if not isinstance(refs, dict) or not refs:
        raise ValueError("must be a non-empty object mapping names to base64 audio")
    if len(refs) > MAX_REFERENCES:
        raise ValueError(f"at most {MAX_REFERENCES} references")
    pitches: dict[str, float] = {}
    for name, value in refs.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(value, str):
            raise ValueError("names and references must be non-empty strings")
        if value.startswith("data:"):
            raise ValueError(f"reference '{name}' must be plain base64, not a data URL")
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"reference '{name}' is not valid base64") from None
        if len(data) > MAX_REFERENCE_BYTES:
            raise ValueError(f"reference '{name}' exceeds {MAX_REFERENCE_BYTES} bytes")
        audio = decode(data)
        if audio is None or not len(audio[0]):
            raise ValueError(f"reference '{name}' is not a decodable audio file")
        pitch = pitch_of(audio[0], audio[1])
        if pitch is None:
            raise ValueError(f"reference '{name}' holds no voice")
        pitches[name] = pitch
    return pitches


def voice_script(
    script: TranscriptionScript, samples: np.ndarray, rate: int, references: dict[str, float] | None
) -> TranscriptionScript:
    """``script`` with one segment per voiced stretch of the audio, labelled by pitch."""
    stretches = voiced_stretches(samples, rate)
    labels = label_stretches(stretches, references)
    segments = tuple(
        ScriptedSegment(stretch_text(st, i), label, st.start, st.end)
        for i, (st, label) in enumerate(zip(stretches, labels, strict=True), start=1)
    )
    return replace(script, segments=segments, text=None)


class TranscriptionRoute:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def handle(self, call: Call) -> None:
        form = call.body.form
        model = (form.get("model") or [""])[-1]
        upload = call.body.files.get("file")
        script = self._state.next_script(self._state.transcriptions)
        if not model:
            call.respond.error(422, error_body(422, "Field 'model' is required"))
            return
        if upload is None and not form.get("file_url") and not form.get("file_id"):
            call.respond.error(422, error_body(422, "One of 'file', 'file_url' or 'file_id' is required"))
            return
        seconds = script.duration
        if seconds is None and upload is not None:
            seconds = audio_seconds(upload.data)
            if seconds is None:
                call.respond.error(
                    400, error_body(400, "The audio file could not be decoded", code="invalid_audio")
                )
                return
        seconds = FALLBACK_SECONDS if seconds is None else seconds
        granularities = {v for k, vs in form.items() if k.startswith("timestamp_granularities") for v in vs}
        diarize = (form.get("diarize") or ["false"])[-1].lower() == "true"
        references = self._references(call, diarize)
        if references is False:
            return
        if script.by_voice and upload is not None:
            audio = decode(upload.data)
            if audio is not None:
                script = voice_script(script, audio[0], audio[1], references or None)
        answer = self._answer(model, script, seconds, diarize, "segment" in granularities or diarize)
        if not self._state.pause(self._state.latency.transcription_seconds(seconds)):
            return
        if call.record.stream:
            self._stream(call, answer)
        else:
            call.respond.json(200, answer)

    @staticmethod
    def _references(call: Call, diarize: bool) -> dict[str, float] | bool | None:
        """The references' pitches, ``None`` without references, ``False`` once refused (answered)."""
        raw = (call.body.form.get("speaker_references") or [None])[-1]
        if raw is None:
            return None
        if not diarize:
            call.respond.error(422, error_body(422, "speaker_references requires diarize=true"))
            return False
        status = call.respond.fault.references_status
        if status is not None:
            call.respond.error(status, error_body(status, call.respond.fault.message or REFUSED_REFERENCES))
            return False
        try:
            return reference_pitches(json.loads(raw))
        except ValueError as err:
            call.respond.error(422, error_body(422, f"Invalid speaker_references: {err}"))
            return False

    @staticmethod
    def _answer(
        model: str, script: TranscriptionScript, seconds: float, diarize: bool, with_segments: bool
    ) -> dict[str, Any]:
        count = len(script.segments)
        slot = seconds / count if count else 0.0
        segments = []
        for index, seg in enumerate(script.segments):
            item: dict[str, Any] = {
                "type": "transcription_segment",
                "text": seg.text,
                "start": round(seg.start if seg.start is not None else index * slot, 3),
                "end": round(seg.end if seg.end is not None else (index + 1) * slot, 3),
            }
            if diarize:
                item["speaker_id"] = seg.speaker_id
            segments.append(item)
        text = script.text if script.text is not None else " ".join(s.text for s in script.segments)
        words = len(text.split())
        return {
            "model": model,
            "text": text,
            "language": script.language,
            "segments": segments if with_segments else [],
            "usage": {
                "prompt_audio_seconds": round(seconds),
                "prompt_tokens": round(seconds * 12),
                "completion_tokens": words,
                "total_tokens": round(seconds * 12) + words,
            },
        }

    @staticmethod
    def _stream(call: Call, answer: dict[str, Any]) -> None:
        stream = call.respond.sse()
        if answer["language"] and not stream.send(
            "transcription.language",
            {"type": "transcription.language", "audio_language": answer["language"]},
        ):
            return
        for seg in answer["segments"] or [{"text": answer["text"]}]:
            if not stream.send(
                "transcription.text.delta", {"type": "transcription.text.delta", "text": seg["text"]}
            ):
                return
            if "start" in seg:
                event = {k: v for k, v in seg.items() if k != "type"} | {"type": "transcription.segment"}
                if not stream.send("transcription.segment", event):
                    return
        if stream.send("transcription.done", {**answer, "type": "transcription.done"}):
            stream.end()
