"""``/v1/audio/voices`` and ``/v2/audio/voices``: the speech voices (presets and voices made from a
reference recording), in the wire format of the ``mistralai`` 3.7.0 SDK's ``audio.voices``.

- ``GET /v2/audio/voices`` (``voices.search``): a ``VoiceListPage`` ``{data, next_page_token}``,
  cursor-paginated (``page_size`` 1..100, ``page_token`` an opaque cursor, ``next_page_token`` null
  on the last page), filtered by ``type`` (all/custom/preset), ``query`` (part of the name, any
  case), ``gender``, ``language`` and ``kind``;
- ``GET /v1/audio/voices`` (``voices.list``, deprecated): a ``VoiceListResponse`` ``{items, total,
  page, page_size, total_pages}`` by ``limit``/``offset``;
- ``GET /v1/audio/voices/{voice_id}`` (``voices.get``): a ``VoiceResponse`` (by id, or a preset's slug);
- ``GET /v1/audio/voices/{voice_id}/sample`` (``voices.sample``): ``audio/wav`` bytes (a preset's tone,
  or the reference recording a voice was made from);
- ``POST /v1/audio/voices`` (``voices.create``): JSON ``VoiceCreateRequest`` with ``name`` and a
  base64 ``sample_audio``; the new custom voice;
- ``PATCH /v1/audio/voices/{voice_id}`` (``voices.update``): name, languages, gender, age, tags,
  color, description;
- ``DELETE /v1/audio/voices/{voice_id}`` (``voices.delete``): the deleted ``VoiceResponse`` (200); a
  preset cannot be deleted (403).

Faults and hostile answers apply as on every route (group ``voices``); the sample audio honours
``empty`` (200, no bytes) and ``cut`` (half the bytes, then the socket closes).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import soundfile as sf

from tests.standin.audio import audio_seconds, synthesize
from tests.standin.calls import Call, StandInState, now_iso
from tests.standin.faults import error_body
from tests.standin.scripts import SpeechScript

MAX_PAGE = 100
MAX_REFERENCE_S = 60.0
"""A reference recording longer than this is trimmed (``trimmed_seconds`` says by how much)."""
MIN_REFERENCE_S = 2.0
GENDERS = ("female", "male", "neutral")
TYPES = ("all", "custom", "preset")
KINDS = ("ivc", "pvc")
EDITABLE = ("name", "languages", "gender", "age", "tags", "color", "description")
SAMPLE_RATE = 24_000

PRESETS: tuple[dict[str, Any], ...] = (
    {"slug": "gb_jane_neutral", "name": "Jane", "languages": ["en"], "gender": "female", "age": 35,
     "tags": ["neutral", "british"], "description": "A calm British voice.", "kind": "pvc"},
    {"slug": "us_paul_warm", "name": "Paul", "languages": ["en"], "gender": "male", "age": 45,
     "tags": ["warm"], "description": "A warm American voice.", "kind": "pvc"},
    {"slug": "fr_marie_bright", "name": "Marie", "languages": ["fr", "en"], "gender": "female", "age": 28,
     "tags": ["bright"], "description": "Une voix claire.", "kind": "pvc"},
    {"slug": "de_alex_even", "name": "Alex", "languages": ["de"], "gender": "neutral", "age": None,
     "tags": None, "description": None, "kind": "ivc"},
)  # fmt: skip


def preset_voices(state: StandInState) -> dict[str, dict[str, Any]]:
    """The stand-in's preset voices, keyed by id (made once per server)."""
    voices: dict[str, dict[str, Any]] = {}
    for index, preset in enumerate(PRESETS):
        voice_id = f"{index + 1:08x}-0000-4000-8000-{index + 1:012x}"
        voices[voice_id] = _voice(voice_id, "preset", dict(preset), user_id=None)
    return voices


def add_voice(state: StandInState, fields: dict[str, Any], kind_of: str = "custom") -> dict[str, Any]:
    """Store a voice directly (as if made earlier through the API); returns the voice object."""
    voice_id = _uuid(state.new_id("v"))
    voice = _voice(voice_id, kind_of, fields, user_id="user_standin" if kind_of == "custom" else None)
    with state.lock:
        state.voices[voice_id] = voice
    return dict(voice)


def _voice(voice_id: str, kind_of: str, fields: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    return {
        "name": fields["name"],
        "id": voice_id,
        "created_at": fields.get("created_at") or now_iso(),
        "user_id": user_id,
        "type": kind_of,
        "slug": fields.get("slug"),
        "languages": list(fields.get("languages") or []),
        "gender": fields.get("gender"),
        "age": fields.get("age"),
        "tags": fields.get("tags"),
        "color": fields.get("color"),
        "description": fields.get("description"),
        "retention_notice": int(fields.get("retention_notice", 30)),
        "trimmed_seconds": fields.get("trimmed_seconds"),
        "kind": fields.get("kind", "ivc"),
    }


class VoiceRoutes:
    def __init__(self, state: StandInState) -> None:
        self._state = state
        self._samples: dict[str, bytes] = {}
        """A custom voice's reference recording (WAV), by id."""

    # -- listing ---------------------------------------------------------------------------------
    def search(self, call: Call) -> None:
        query = parse_qs(call.record.query, keep_blank_values=True)
        size = _integer(query, "page_size", 10)
        if size is None or not 1 <= size <= MAX_PAGE:
            call.respond.error(422, error_body(422, f"page_size must be an integer from 1 to {MAX_PAGE}"))
            return
        start = 0
        token = _one(query, "page_token")
        if token:
            start = _cursor(token)
            if start is None:
                call.respond.error(400, error_body(400, "Invalid page_token", code="invalid_page_token"))
                return
        problem = _filter_problem(query)
        if problem:
            call.respond.error(422, error_body(422, problem))
            return
        voices = self._filtered(query)
        page = voices[start : start + size]
        more = start + size < len(voices)
        next_token = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode() if more else None
        call.respond.json(200, {"data": page, "next_page_token": next_token})

    def list(self, call: Call) -> None:
        query = parse_qs(call.record.query, keep_blank_values=True)
        limit, offset = _integer(query, "limit", 10), _integer(query, "offset", 0)
        if limit is None or offset is None or not 1 <= limit <= MAX_PAGE or offset < 0:
            call.respond.error(422, error_body(422, "limit must be 1 to 100 and offset at least 0"))
            return
        problem = _filter_problem(query)
        if problem:
            call.respond.error(422, error_body(422, problem))
            return
        voices = self._filtered(query)
        call.respond.json(
            200,
            {
                "items": voices[offset : offset + limit],
                "total": len(voices),
                "page": offset // limit + 1,
                "page_size": limit,
                "total_pages": max(1, math.ceil(len(voices) / limit)),
            },
        )

    def _filtered(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        kind_of = _one(query, "type") or "all"
        words = (_one(query, "query") or "").lower()
        genders = set(query.get("gender", []))
        languages = set(query.get("language", []))
        kind = _one(query, "kind")
        with self._state.lock:
            voices = [dict(v) for v in self._state.voices.values()]
        chosen = []
        for voice in voices:
            if kind_of != "all" and voice["type"] != kind_of:
                continue
            if words and words not in voice["name"].lower():
                continue
            if genders and voice["gender"] not in genders:
                continue
            if languages and not languages & set(voice["languages"]):
                continue
            if kind and voice["kind"] != kind:
                continue
            chosen.append(voice)
        return sorted(chosen, key=lambda v: (v["type"] != "preset", v["created_at"], v["id"]))

    # -- one voice -------------------------------------------------------------------------------
    def get(self, call: Call) -> None:
        voice = self._find(call)
        if voice is not None:
            call.respond.json(200, voice)

    def sample(self, call: Call) -> None:
        voice = self._find(call)
        if voice is None:
            return
        with self._state.lock:
            data = self._samples.get(voice["id"])
        if data is None:
            text = f"Hello, I am {voice['name']}."
            tone = synthesize(text, SpeechScript(sample_rate=SAMPLE_RATE))
            buffer = io.BytesIO()
            sf.write(buffer, tone, SAMPLE_RATE, format="WAV", subtype="PCM_16")
            data = buffer.getvalue()
        fault = call.respond.fault
        if fault.empty:
            data = b""
        headers = {"Content-Type": "audio/wav", "Content-Length": str(len(data))}
        if fault.cut_after_events is not None and len(data) > 1:
            call.respond.raw(200, headers, [data[: len(data) // 2]])
            call.respond.cut_connection()
            return
        call.respond.raw(200, headers, [data])

    def create(self, call: Call) -> None:
        body = call.json
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            call.respond.error(422, error_body(422, "Field 'name' must be a non-empty string"))
            return
        problem = _fields_problem(body)
        if problem:
            call.respond.error(422, error_body(422, problem))
            return
        encoded = body.get("sample_audio")
        if not isinstance(encoded, str) or not encoded:
            call.respond.error(422, error_body(422, "Field 'sample_audio' is required to create a voice"))
            return
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            call.respond.error(422, error_body(422, "Field 'sample_audio' is not base64"))
            return
        seconds = audio_seconds(raw)
        if seconds is None:
            message = "The sample audio could not be decoded"
            call.respond.error(400, error_body(400, message, code="invalid_audio"))
            return
        if seconds < MIN_REFERENCE_S:
            message = f"The sample audio must last at least {MIN_REFERENCE_S:g} s"
            call.respond.error(400, error_body(400, message, code="audio_too_short"))
            return
        retention = body.get("retention_notice", 30)
        fields = {key: body.get(key) for key in EDITABLE}
        fields.update(
            name=name,
            retention_notice=retention if isinstance(retention, int) else 30,
            trimmed_seconds=round(seconds - MAX_REFERENCE_S, 3) if seconds > MAX_REFERENCE_S else None,
            kind="ivc",
        )
        voice_id = _uuid(self._state.new_id("v"))
        voice = _voice(voice_id, "custom", fields, user_id="user_standin")
        with self._state.lock:
            self._state.voices[voice_id] = voice
            self._samples[voice_id] = _as_wav(raw)
        call.respond.json(200, voice)

    def update(self, call: Call) -> None:
        voice = self._find(call)
        if voice is None:
            return
        body = call.json
        problem = _fields_problem(body)
        if problem:
            call.respond.error(422, error_body(422, problem))
            return
        with self._state.lock:
            stored = self._state.voices[voice["id"]]
            for key in EDITABLE:
                if body.get(key) is not None:
                    stored[key] = body[key]
            answer = dict(stored)
        call.respond.json(200, answer)

    def delete(self, call: Call) -> None:
        voice = self._find(call)
        if voice is None:
            return
        if voice["type"] == "preset":
            call.respond.error(403, error_body(403, "Preset voices cannot be deleted", code="forbidden"))
            return
        with self._state.lock:
            self._state.voices.pop(voice["id"], None)
            self._samples.pop(voice["id"], None)
        call.respond.json(200, voice)

    def _find(self, call: Call) -> dict[str, Any] | None:
        wanted = call.params["voice_id"]
        with self._state.lock:
            voice = self._state.voices.get(wanted) or next(
                (v for v in self._state.voices.values() if v["slug"] and v["slug"] == wanted), None
            )
            voice = dict(voice) if voice is not None else None
        if voice is None:
            call.respond.error(404, error_body(404, f"Voice {wanted} not found", code="not_found"))
        return voice


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _integer(query: dict[str, list[str]], name: str, default: int) -> int | None:
    value = _one(query, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _cursor(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    head, _, number = text.partition(":")
    return int(number) if head == "offset" and number.isdigit() else None


def _filter_problem(query: dict[str, list[str]]) -> str:
    """What the service's validation would refuse in the list's query ("" when nothing)."""
    kind_of = _one(query, "type")
    if kind_of is not None and kind_of not in TYPES:
        return f"type must be one of {', '.join(TYPES)}"
    bad = [g for g in query.get("gender", []) if g not in GENDERS]
    if bad:
        return f"gender must be one of {', '.join(GENDERS)}"
    kind = _one(query, "kind")
    if kind is not None and kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    return ""


def _fields_problem(body: dict[str, Any]) -> str:
    gender = body.get("gender")
    if gender is not None and gender not in GENDERS:
        return f"gender must be one of {', '.join(GENDERS)}"
    languages = body.get("languages")
    if languages is not None and not (
        isinstance(languages, list) and all(isinstance(x, str) for x in languages)
    ):
        return "languages must be a list of strings"
    age = body.get("age")
    if age is not None and (not isinstance(age, int) or not 0 <= age <= 120):
        return "age must be an integer from 0 to 120"
    return ""


def _uuid(ident: str) -> str:
    digits = ident.split("_", 1)[-1][-32:].rjust(32, "0")
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-8{digits[17:20]}-{digits[20:32]}"


def _as_wav(raw: bytes) -> bytes:
    """The reference recording as 16-bit WAV (what ``/sample`` serves), at most MAX_REFERENCE_S long."""
    samples, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)[: int(MAX_REFERENCE_S * rate)]
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(mono, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
