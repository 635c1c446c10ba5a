"""The moderation block sentence: categories and scores from the guardrail body, checked at the boundary."""

from __future__ import annotations

import json

from tests.standin.faults import guardrail_body
from tui.moderation import PREFIX, blocked_text, flagged_categories, guardrail_sentence


def test_the_flagged_categories_highest_first_with_their_thresholds() -> None:
    body = guardrail_body({"violence_and_threats": 0.91, "jailbreaking": 0.97, "pii": 0.1})
    assert flagged_categories(json.dumps(body)) == [
        ("jailbreaking", 0.97, 0.5),
        ("violence_and_threats", 0.91, 0.5),
    ]
    sentence = guardrail_sentence(json.dumps(body))
    assert sentence.startswith(f"{PREFIX} (jailbreaking 0.97 over 0.5, violence_and_threats 0.91 over 0.5): ")
    assert sentence.endswith(".") and ". " not in sentence  # one sentence
    assert "pii" not in sentence


def test_a_score_over_a_threshold_counts_without_violations() -> None:
    result = {
        "scores": {"violence_and_threats": 0.91, "selfharm": 0.1},
        "thresholds": {"violence_and_threats": 0.2},
    }
    assert flagged_categories({"guardrails": {"results": {"moderation_llm_v2": result}}}) == [
        ("violence_and_threats", 0.91, 0.2)
    ]


def test_hostile_or_missing_results_name_no_category() -> None:
    scores = {
        "[red]markup[/red]": 0.99,
        "ok\x1b[2J": 0.99,
        "nan_score": float("nan"),
        "too_high": 7.0,
        "a_bool": True,
        "x" * 60: 0.99,
    }
    hostile = {"guardrails": {"results": {"moderation_llm_v2": {"scores": scores, "violations": {}}}}}
    for body in (None, "", "not json", "[1, 2]", "{" * 100_000, b'{"guardrails": 3}', hostile):
        assert flagged_categories(body) == []
        assert guardrail_sentence(body).startswith(f"{PREFIX} (the service named no category): rephrase")
    many = {f"cat_{i}": 0.9 for i in range(500)}
    assert len(flagged_categories(guardrail_body(many))) == 3


def test_a_saved_note_is_shown_once() -> None:
    sentence = guardrail_sentence(guardrail_body({"hate_and_discrimination": 0.6}))
    assert blocked_text(sentence) == sentence
    assert blocked_text("The request was blocked by moderation.") == "The request was blocked by moderation."
    assert blocked_text("the request was flagged") == f"{PREFIX}: the request was flagged"
    assert blocked_text(None) == f"{PREFIX}; rephrase the request."
