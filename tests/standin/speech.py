"""``POST /v1/audio/speech``: JSON ``{"audio_data"}`` or SSE ``speech.audio.delta`` / ``done``."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from tests.standin.audio import blocks, encode, synthesize
from tests.standin.calls import Call, StandInState
from tests.standin.faults import error_body
from tests.standin.scripts import SpeechScript

FORMATS = ("pcm", "wav", "mp3", "flac", "opus")
DEFAULT_FORMAT = "mp3"


class SpeechRoute:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def handle(self, call: Call) -> None:
        body = call.json
        text = body.get("input")
        fmt = body.get("response_format") or DEFAULT_FORMAT
        script = self._state.next_script(self._state.speech)
        if not isinstance(text, str) or not text.strip():
            call.respond.error(422, error_body(422, "Field 'input' must be a non-empty string"))
            return
        if fmt not in FORMATS:
            call.respond.error(422, error_body(422, f"Unsupported response_format {fmt!r}"))
            return
        samples = synthesize(text, script)
        if script.non_finite and fmt == "pcm":
            samples = samples.astype(np.float32)
            samples[::97], samples[1::211], samples[2::307] = np.nan, np.inf, -np.inf
        pieces = self._pieces(samples, fmt, script)
        usage = {
            "prompt_tokens": len(text),
            "completion_tokens": len(pieces),
            "total_tokens": len(text) + len(pieces),
        }
        latency = self._state.latency
        if call.record.stream:
            self._stream(call, pieces, usage, script.block_seconds)
            return
        seconds = len(samples) / script.sample_rate
        if self._state.pause(latency.speech_first_audio + seconds * latency.speech_real_time_factor):
            call.respond.json(200, {"audio_data": base64.b64encode(b"".join(pieces)).decode()})

    def _pieces(self, samples: np.ndarray, fmt: str, script: SpeechScript) -> list[bytes]:
        """The audio as delta payloads: PCM blocks of ``block_seconds``, or the encoded file in as
        many byte ranges."""
        parts = blocks(samples, script)
        if fmt == "pcm":
            return [encode(part, script.sample_rate, "pcm") for part in parts]
        data = encode(samples, script.sample_rate, fmt)
        size = -(-len(data) // max(1, len(parts)))
        return [data[i : i + size] for i in range(0, len(data), size)]

    def _stream(self, call: Call, pieces: list[bytes], usage: dict[str, Any], block_seconds: float) -> None:
        latency = self._state.latency
        stream = call.respond.sse()
        for index, piece in enumerate(pieces):
            wait = (
                latency.speech_first_audio if index == 0 else block_seconds * latency.speech_real_time_factor
            )
            if not self._state.pause(wait):
                return
            delta = {"type": "speech.audio.delta", "audio_data": base64.b64encode(piece).decode()}
            if not stream.send("speech.audio.delta", delta):
                return
        if stream.send("speech.audio.done", {"type": "speech.audio.done", "usage": usage}):
            stream.end()
