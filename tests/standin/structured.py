"""Structured output for the stand-ins: an answer that follows the JSON schema a request carries.

Both stand-ins (Mistral's ``completion_args.response_format`` and the OpenAI-compatible
``response_format``) answer a ``json_schema`` request with :func:`answer_for`: JSON built by walking
the schema (objects get their properties, arrays up to ``maxItems`` entries, strings up to
``maxLength``, enums one of their values), filled from the transcript lines found in the prompt
(``[M:SS] Name: words``): an array of objects gets one entry per line, whose ``owner`` is that line's
speaker (when the schema's enum allows it), ``time`` the line's time, ``quote`` its words. So a test
can check owners, times and the export end to end. :data:`HOSTILE` holds answers a broken or hostile
service could send instead (script them as the reply text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_LINE = re.compile(r"^\[(\d{1,3}(?::\d{2}){1,2})\] ([^:\n]+): (.+)$", re.M)
MAX_ENTRIES = 5


@dataclass(frozen=True)
class Line:
    time: str
    name: str
    words: str


def transcript_lines(prompt: str) -> list[Line]:
    return [Line(m[1], m[2].strip(), m[3].strip()) for m in _LINE.finditer(prompt)]


def requested_schema(response_format: Any) -> dict[str, Any] | None:
    """The schema of a ``{"type": "json_schema", "json_schema": {"schema": ...}}`` response format."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return schema if isinstance(schema, dict) else None


def _string(schema: dict[str, Any], key: str, line: Line | None, lines: list[Line]) -> str:
    if key == "time":
        text = line.time if line else (lines[0].time if lines else "0:00")
    elif key == "quote":
        text = line.words if line else ""
    elif key in ("owner", "name", "person"):
        text = line.name if line else "unassigned"
    elif line is not None:
        text = f"{key.replace('_', ' ').capitalize()}: {line.words}"
    else:
        said = " ".join(x.words for x in lines)
        text = f"{len(lines)} lines were said. {said}" if lines else "Nothing was said."
    cap = schema.get("maxLength")
    return text[:cap] if isinstance(cap, int) else text


def build(schema: dict[str, Any], lines: list[Line], key: str = "", line: Line | None = None) -> Any:
    """A value that follows ``schema``, from the transcript ``lines`` (and the ``line`` being described)."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        wanted = _string(schema, key, line, lines)
        return wanted if wanted in enum else enum[0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: build(sub, lines, k, line) for k, sub in props.items() if isinstance(sub, dict)}
    if kind == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
        cap = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else MAX_ENTRIES
        per_line = lines if items.get("type") == "object" else lines[:2]
        return [build(items, lines, key, x) for x in per_line[: min(cap, MAX_ENTRIES)]]
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    return _string(schema, key, line, lines)


def answer_for(schema: dict[str, Any], prompt: str) -> str:
    """The JSON text of an answer that follows ``schema``, built from the transcript in ``prompt``."""
    return json.dumps(build(schema, transcript_lines(prompt)))


def _minutes(**changes: Any) -> str:
    item = {"owner": "unassigned", "task": "Send the notes", "time": "0:01", "quote": "send the notes"}
    item.update(changes.pop("item", {}))
    data = {"summary": "A meeting.", "decisions": [], "action_items": [item], "open_questions": []}
    data.update(changes)
    return json.dumps(data)


HOSTILE: dict[str, str] = {
    "owner": _minutes(item={"owner": "Mallory"}),
    "time": _minutes(item={"time": "9:59:59"}),
    "huge": _minutes(summary="word " * 60_000),
    "many": _minutes(decisions=[f"decision {n}" for n in range(500)]),
    "markup": _minutes(
        summary="[b]Bold[/b] <script>alert(1)</script> \x1b[31mred\x1b[0m "
        "[link=https://e.com]x[/link]\x07 end",
        item={"task": "Fix [@click=app.quit]it[/] <b>now</b>\u202e"},
    ),
    "not_json": "Sure! Here are the minutes: everyone agreed.",
    "extra_key": _minutes(item={"priority": "high"}),
    "wrong_type": _minutes(decisions="all of them"),
}
"""Answers the validation must refuse (all but ``markup``, which it must clean)."""
