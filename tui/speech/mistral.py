"""Voxtral TTS: streamed float32 PCM at 24 kHz through the Mistral SDK."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

import numpy as np

from tui.config import Settings
from tui.errors import SpeechError
from tui.mistral import MistralConnection

VOXTRAL_PCM_RATE = 24_000


class MistralSpeaker:
    name = "mistral"
    sample_rate = VOXTRAL_PCM_RATE

    def __init__(self, settings: Settings, connection: MistralConnection) -> None:
        self.settings = settings
        self.connection = connection

    def warm_up(self) -> None:
        self.connection.warm_up()

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        text = text.strip()
        if not text:
            return
        cfg = self.settings.speech
        try:
            stream = self.connection.client.audio.speech.complete(
                input=text,
                model=cfg.model,
                voice_id=cfg.voice,
                response_format="pcm",
                stream=True,
            )
        except Exception as err:
            error = self.connection.translate(err, "speech", "Speech")
            # Mistral's TTS moderation answers 403 for text it will not say: this sentence only.
            if isinstance(error, SpeechError):
                error.refused = error.status == 403
            raise error from None
        from mistralai.client.models import SpeechStreamEvents

        from tui.sse import events

        pending = b""
        done = False
        try:
            with stream:
                for event in events(stream, SpeechStreamEvents):
                    data = event.data
                    kind = getattr(data, "type", None)
                    if kind == "speech.audio.delta":
                        try:
                            pending += base64.b64decode(data.audio_data, validate=True)
                        except (binascii.Error, ValueError):
                            raise SpeechError("Speech failed: the server sent unreadable audio.") from None
                        usable = len(pending) - len(pending) % 4
                        if usable:
                            block = np.frombuffer(pending[:usable], dtype="<f4").astype(np.float32)
                            pending = pending[usable:]
                            yield block
                    elif kind == "speech.audio.done":
                        done = True
        except SpeechError:
            raise
        except Exception as err:
            raise self.connection.translate(err, "speech", "Speech") from None
        if not done:
            raise SpeechError("Speech failed: the audio stream was cut.", hint="Retry the turn.")
