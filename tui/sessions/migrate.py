"""Reading older ``session.json`` files: each schema version is upgraded one step at a time on read.

Version 1 (Voxroom before speaker names) looked like this::

    {
      "version": 1,
      "id": "...", "title": "...", "created": 1764075000.0,      # epoch seconds
      "backend": "mistral", "model": "voxtral-mini-latest",       # the transcription model only
      "conversation": "conv_...",                                  # conversation id
      "turns": [
        {
          "audio": "turn-001.flac", "seconds": 3.2,
          "transcript": ["[0.1s -> 1.5s] speaker_1 : Hello there", ...],   # the canonical lines
          "answer": "...", "sources": [{"title": "...", "url": "..."}],
          "answer_audio": "turn-001-reply.wav",
          "ok": true, "error": null
        }
      ]
    }

Version 2 is what :meth:`tui.sessions.model.Session.to_dict` writes (``schema_version: 2``).
A file from a newer Voxroom is refused, never guessed at or rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tui.sessions.model import SCHEMA_VERSION

_LINE = re.compile(r"^\s*\[\s*([0-9.]+)s?\s*->\s*([0-9.]+)s?\s*\]\s*(.*?)\s+:\s?(.*)$", re.S)


class SchemaError(ValueError):
    """The data is not any known form of a session (the store turns this into a clear error)."""


class NewerSchemaError(SchemaError):
    def __init__(self, version: int) -> None:
        super().__init__(f"schema version {version}")
        self.version = version


def schema_version(data: dict[str, Any]) -> int:
    """The file's schema version: ``schema_version`` (v2+), ``version`` (v1); raises if neither."""
    value = data.get("schema_version", data.get("version"))
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 1:
        raise SchemaError("it has no schema version")
    return int(value)


def parse_v1_line(line: str) -> dict[str, Any]:
    """``[0.1s -> 1.5s] speaker_1 : text`` -> a v2 segment dict (unparseable lines keep their text)."""
    match = _LINE.match(line)
    if not match:
        return {"start": 0.0, "end": 0.0, "speaker": "speaker_1", "text": line.strip()}
    start, end, speaker, text = match.groups()
    try:
        s, e = float(start), float(end)
    except ValueError:
        s = e = 0.0
    return {"start": s, "end": e, "speaker": speaker.strip() or "speaker_1", "text": text.strip()}


def _iso(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return ""
    return value if isinstance(value, str) else ""


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    turns = []
    raw_turns = data.get("turns")
    for i, raw in enumerate(raw_turns if isinstance(raw_turns, list) else [], start=1):
        if not isinstance(raw, dict):
            continue
        lines = raw.get("transcript")
        lines = lines if isinstance(lines, list) else []
        segments = [parse_v1_line(x) for x in lines if isinstance(x, str)]
        ok = raw.get("ok", True)
        error = raw.get("error")
        turns.append(
            {
                "index": i,
                "recording": raw.get("audio"),
                "duration": raw.get("seconds", 0.0),
                "transcript": {
                    "segments": segments,
                    "text": " ".join(s["text"] for s in segments),
                    "language": None,
                },
                "reply": {
                    "text": raw.get("answer") or "",
                    "references": raw.get("sources") or [],
                    "blocked": False,
                    "moderation": None,
                    "audio": raw.get("answer_audio"),
                },
                "timings": {},
                "status": "done" if ok is not False else "failed",
                "failed_step": None if ok is not False else "voxroom",
                "error": error,
                "created": _iso(raw.get("time", data.get("created"))),
            }
        )
    created = _iso(data.get("created"))
    return {
        "schema_version": 2,
        "id": data.get("id"),
        "title": data.get("title") or "",
        "created": created,
        "updated": _iso(data.get("updated")) or created,
        "backend": data.get("backend") or "",
        "models": {"transcription": data.get("model") or "", "agent": "", "speech": ""},
        "conversation_id": data.get("conversation"),
        "agent_id": None,
        "speaker_names": {},
        "turns": turns,
    }


# from-version -> function producing the next version
STEPS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: v1_to_v2}


def migrate(data: Any) -> tuple[dict[str, Any], int]:
    """Bring a decoded ``session.json`` up to the current schema. Returns (data, original version).

    Raises :class:`NewerSchemaError` for a version this Voxroom does not know, :class:`SchemaError`
    when it is not a session at all.
    """
    if not isinstance(data, dict):
        raise SchemaError("it is not a JSON object")
    version = schema_version(data)
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(version)
    original = version
    while version < SCHEMA_VERSION:
        data = STEPS[version](data)
        version = schema_version(data)
    return data, original
