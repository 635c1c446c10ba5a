"""What a moderation block says: one sentence with the category and score the service gave and what
the person can do. The agents build it when a block arrives (it is saved as the turn's moderation
note); the replies pane, the CLI and the exports show a saved note through :func:`blocked_text`."""

from __future__ import annotations

import json
import math
import re
from typing import Any

PREFIX = "Blocked by moderation"
GUARDRAIL_FIX = (
    "rephrase the request, or raise the threshold in `agent.moderation_thresholds`"
    " or set `agent.moderation = false`"
)
MAX_BODY = 64_000
"""A longer error body is not read for categories."""
MAX_SHOWN = 3
"""At most this many categories are named."""
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def blocked_text(note: str | None) -> str:
    """The one sentence shown for a blocked turn, from its saved note: the agent's sentence as it is,
    or another server's words after ``Blocked by moderation:``."""
    note = " ".join((note or "").split())
    if not note:
        return f"{PREFIX}; rephrase the request."
    if "block" in note.lower():
        return note
    return f"{PREFIX}: {note}"


def guardrail_sentence(body: Any) -> str:
    """The sentence for a Mistral guardrail block, from the HTTP 403 body (JSON text or a dict) with
    ``guardrails.results.moderation_llm_v2`` {``scores``, ``thresholds``, ``violations``}: the flagged
    categories, highest score first, each with its score and threshold."""
    flagged = flagged_categories(body)
    if not flagged:
        return f"{PREFIX} (the service named no category): {GUARDRAIL_FIX}."
    named = ", ".join(
        f"{name} {_num(score)}" + (f" over {_num(limit)}" if limit is not None else "")
        for name, score, limit in flagged
    )
    return f"{PREFIX} ({named}): {GUARDRAIL_FIX}."


def flagged_categories(body: Any) -> list[tuple[str, float, float | None]]:
    """``(category, score, threshold)`` of the categories the guardrail flagged (``violations``, or a
    score at or over its threshold), at most :data:`MAX_SHOWN`, highest score first; ``[]`` for a
    body without readable results. Names and numbers are checked: nothing else reaches the screen."""
    result = _result(body)
    if result is None:
        return []
    scores = _numbers(result.get("scores"))
    limits = _numbers(result.get("thresholds"))
    violations = result.get("violations")
    out = []
    for name, score in scores.items():
        limit = limits.get(name)
        hit = violations.get(name) is True if isinstance(violations, dict) and name in violations else None
        if hit is None:
            hit = limit is not None and score >= limit
        if hit:
            out.append((name, score, limit))
    out.sort(key=lambda item: (-item[1], item[0]))
    return out[:MAX_SHOWN]


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _result(body: Any) -> dict[str, Any] | None:
    if isinstance(body, (bytes, str)):
        if len(body) > MAX_BODY:
            return None
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            return None
    if not isinstance(body, dict):
        return None
    guardrails = body.get("guardrails")
    results = guardrails.get("results") if isinstance(guardrails, dict) else None
    result = results.get("moderation_llm_v2") if isinstance(results, dict) else None
    return result if isinstance(result, dict) else None


def _numbers(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for name, number in list(value.items())[:100]:
        if (
            isinstance(name, str)
            and _CATEGORY.match(name)
            and isinstance(number, (int, float))
            and not isinstance(number, bool)
            and math.isfinite(number)
            and 0 <= number <= 1
        ):
            out[name] = float(number)
    return out
