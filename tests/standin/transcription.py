"""``POST /v1/audio/transcriptions``: JSON answer, or SSE when the form says ``stream=true``."""

from __future__ import annotations

from typing import Any

from tests.standin.audio import audio_seconds
from tests.standin.calls import Call, StandInState
from tests.standin.faults import error_body
from tests.standin.scripts import TranscriptionScript

FALLBACK_SECONDS = 3.0


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
        answer = self._answer(model, script, seconds, diarize, "segment" in granularities or diarize)
        if not self._state.pause(self._state.latency.transcription_seconds(seconds)):
            return
        if call.record.stream:
            self._stream(call, answer)
        else:
            call.respond.json(200, answer)

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
