"""The JSON schema the agent must answer minutes in, and the strict check of its answer.

The schema goes to the service as structured output (``type: json_schema``, ``strict: true``); an
answer is still checked here as if it came from anyone: it must be one JSON object of exactly the
schema's shape, within :data:`tui.sessions.minutes.MINUTES_LIMITS`, every owner a person of the
session (by label or name) or ``unassigned``, every time inside the session. Texts are cleaned
(:func:`tui.sessions.minutes.clean_line`). Anything else is a :class:`MinutesError` whose message
is one sentence, and nothing is kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tui.sessions.clock import line_time
from tui.sessions.minutes import (
    MINUTES_LIMITS,
    UNASSIGNED,
    ActionItem,
    Minutes,
    MinutesError,
    clean_line,
)
from tui.sessions.model import Session

SCHEMA_NAME = "meeting_minutes"
MAX_ANSWER_CHARS = 200_000
"""A longer answer is refused before it is parsed."""
MAX_OWNERS = 100
"""People named in the schema's owner list (labels and names)."""
TIME_SLACK_S = 1.0
"""Times are written to the second, so the last line's time may round up past the session's end."""
_TIME = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})$")
_KEYS = ("summary", "decisions", "action_items", "open_questions")
_ITEM_KEYS = ("owner", "task", "time", "quote")


def owners(session: Session) -> list[str]:
    """Who may own an action item: each person's name (when they have one) and label, then unassigned."""
    out: dict[str, None] = {}
    for label in session.speakers[:MAX_OWNERS]:
        name = session.speaker_names.get(label)
        if name:
            out.setdefault(name, None)
        out.setdefault(label, None)
    out.setdefault(UNASSIGNED, None)
    return list(out)


def minutes_schema(session: Session) -> dict[str, Any]:
    """The JSON schema of an answer for this session (its owners are an enum of its people)."""
    limits = MINUTES_LIMITS
    text = {"type": "string", "maxLength": limits["item"]}
    texts = {"type": "array", "items": text, "maxItems": limits["items"]}
    item = {
        "type": "object",
        "properties": {
            "owner": {
                "type": "string",
                "enum": owners(session),
                "description": "The person who will do it, by name as in the transcript, or unassigned.",
            },
            "task": {**text, "description": "What is to be done."},
            "time": {
                "type": "string",
                "description": "When it was said: the [M:SS] time of that transcript line, e.g. 1:05.",
            },
            "quote": {
                "type": "string",
                "maxLength": limits["quote"],
                "description": "The words of the transcript it came from.",
            },
        },
        "required": list(_ITEM_KEYS),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": limits["summary"]},
            "decisions": texts,
            "action_items": {"type": "array", "items": item, "maxItems": limits["items"]},
            "open_questions": texts,
        },
        "required": list(_KEYS),
        "additionalProperties": False,
    }


def parse_time(text: str) -> float | None:
    """``1:05`` or ``1:02:41`` as seconds; ``None`` for anything else."""
    match = _TIME.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = int(match[1] or 0), int(match[2]), int(match[3])
    if seconds >= 60 or (match[1] is not None and minutes >= 60):
        return None
    return float(hours * 3600 + minutes * 60 + seconds)


def _refuse(why: str) -> MinutesError:
    return MinutesError(
        f"The agent's minutes were not usable ({why}), so nothing was saved.",
        hint="Run voxroom minutes again.",
    )


def _text(value: Any, where: str, cap: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise _refuse(f"{where} is not text")
    if len(value) > cap:
        raise _refuse(f"{where} is longer than {cap} characters")
    text = clean_line(value)
    if required and not text:
        raise _refuse(f"{where} is empty")
    return text


def _texts(value: Any, key: str, each: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _refuse(f"{key} is not a list")
    if len(value) > MINUTES_LIMITS["items"]:
        raise _refuse(f"{key} has more than {MINUTES_LIMITS['items']} entries")
    out = (_text(v, f"{each} {n}", MINUTES_LIMITS["item"]) for n, v in enumerate(value, start=1))
    return tuple(out)


def _owner(value: Any, where: str, session: Session) -> str:
    name = _text(value, f"{where}'s owner", 500)
    if name.casefold() == UNASSIGNED:
        return UNASSIGNED
    label = session.resolve_speaker(name)
    if label is None or label not in session.speakers:
        raise _refuse(f"{where}'s owner {name[:60]!r} is not a person of this session")
    return label


def _action(value: Any, n: int, session: Session) -> ActionItem:
    where = f"action item {n}"
    if not isinstance(value, dict):
        raise _refuse(f"{where} is not an object")
    if set(value) != set(_ITEM_KEYS):
        raise _refuse(f"{where} does not have exactly {', '.join(_ITEM_KEYS)}")
    said = _text(value["time"], f"{where}'s time", 16)
    at = parse_time(said)
    if at is None:
        raise _refuse(f"{where}'s time {said!r} is not a time such as 1:05")
    if at > session.duration + TIME_SLACK_S:
        raise _refuse(f"{where}'s time {said} is after the session's end ({line_time(session.duration)})")
    return ActionItem(
        owner=_owner(value["owner"], where, session),
        task=_text(value["task"], f"{where}'s task", MINUTES_LIMITS["item"]),
        at=min(at, session.duration),
        quote=_text(value["quote"], f"{where}'s quote", MINUTES_LIMITS["quote"], required=False),
    )


def validate(answer: str, session: Session, model: str = "") -> Minutes:
    """The agent's answer as :class:`Minutes` for ``session``, or a one-sentence :class:`MinutesError`."""
    if len(answer) > MAX_ANSWER_CHARS:
        raise _refuse(f"the answer is longer than {MAX_ANSWER_CHARS} characters")
    try:
        data = json.loads(answer)
    except (ValueError, RecursionError):
        raise _refuse("the answer is not JSON") from None
    if not isinstance(data, dict):
        raise _refuse("the answer is not a JSON object")
    if set(data) != set(_KEYS):
        raise _refuse(f"the answer does not have exactly {', '.join(_KEYS)}")
    actions = data["action_items"]
    if not isinstance(actions, list):
        raise _refuse("action_items is not a list")
    if len(actions) > MINUTES_LIMITS["items"]:
        raise _refuse(f"action_items has more than {MINUTES_LIMITS['items']} entries")
    return Minutes(
        summary=_text(data["summary"], "the summary", MINUTES_LIMITS["summary"]),
        decisions=_texts(data["decisions"], "decisions", "decision"),
        actions=tuple(_action(a, n, session) for n, a in enumerate(actions, start=1)),
        questions=_texts(data["open_questions"], "open_questions", "open question"),
        model=clean_line(model)[:200],
    )
