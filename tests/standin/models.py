"""``GET /v1/models``: the models the key may use (``ModelList``: ``{object, data: [BaseModelCard]}``),
the cheap authenticated call ``voxroom doctor`` makes. It takes optional ``provider`` and ``model``
query filters; the stand-in lists the same few models whatever they say (the query is recorded)."""

from __future__ import annotations

from typing import Any

from tests.standin.calls import Call

MODELS = (
    ("mistral-small-latest", {"completion_chat": True, "function_calling": True}),
    ("voxtral-mini-latest", {"audio_transcription": True}),
    ("voxtral-mini-transcribe-realtime-3", {"audio_transcription_realtime": True}),
    ("voxtral-mini-tts-latest", {"audio_speech": True}),
)


def list_models(call: Call) -> None:
    data: list[dict[str, Any]] = [
        {"id": name, "object": "model", "owned_by": "mistralai", "type": "base", "capabilities": caps}
        for name, caps in MODELS
    ]
    call.respond.json(200, {"object": "list", "data": data})
