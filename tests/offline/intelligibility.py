"""Word error rate of a transcript against the text that was spoken (for the offline voice checks).

Both sides go through the same normaliser (lower case, no punctuation, digits, times, ordinals,
percentages and currency amounts spelled out), so "4,500" read back as "4500" is not an error.
Two decimals after one or two digits read as a time ("3.30" is "three thirty").
Used by tests/offline/test_hibari.py and bench/offline_voice.py.
"""

from __future__ import annotations

import re

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"), (100, "hundred"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_SAME = {"ok": "okay", "alright": "all right", "percents": "percent"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}


def number_words(n: int) -> str:
    """``1250`` -> ``one thousand two hundred fifty`` (American style, no "and")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for size, name in _SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return f"{number_words(head)} {name}" + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError(n)  # pragma: no cover - every n >= 100 meets a scale


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes == 0:
        return f"{number_words(hours)} o'clock"
    tail = f"oh {number_words(minutes)}" if minutes < 10 else number_words(minutes)
    return f"{number_words(hours)} {tail}"


def normalise(text: str) -> list[str]:
    """The words of ``text`` in one canonical spelling."""
    t = text.lower().replace("’", "'")
    t = re.sub(r"\b([ap])\.m\.", r"\1m", t)
    t = re.sub(r"(\d),(?=\d{3}\b)", r"\1", t)
    t = re.sub(r"([$€£])\s?(\d+(?:\.\d+)?)", lambda m: f"{m.group(2)} {_CURRENCY[m.group(1)]}", t)
    t = re.sub(r"(\d)\s?%", r"\1 percent", t)
    t = re.sub(r"\b(\d{1,2})[:.](\d{2})\b", _time, t)  # tiny.en writes 3:30 as "3.30" too
    t = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal_words(int(m.group(1))), t)
    t = re.sub(
        r"\b(\d+)\.(\d+)\b",
        lambda m: f"{number_words(int(m.group(1)))} point " + " ".join(_ONES[int(d)] for d in m.group(2)),
        t,
    )
    t = re.sub(r"\d+", lambda m: f" {number_words(int(m.group(0)))} ", t)
    t = re.sub(r"[-–—/]", " ", t)
    t = re.sub(r"[^a-z0-9' ]", " ", t)
    words = [w.strip("'") for w in t.split()]
    return [_SAME.get(w, w) for w in words if w]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """``(substitutions + deletions + insertions, words in the reference)`` after normalising both."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i]
        for j, other in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1], len(ref)
