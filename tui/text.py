"""Text helpers: neutralising terminal escapes, strict JSON, counted nouns, and cutting a streamed reply
into sentences."""

from __future__ import annotations

import json
import math
import re
from pathlib import PurePath
from typing import Any

# C0 controls except tab/newline, DEL, and C1 controls (which include CSI 0x9b on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Full ANSI/VT escape sequences first, so their parameters don't survive as visible junk.
_ESCAPE_SEQ = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_])"
)


def clean(text: str) -> str:
    """Remove terminal escape sequences and control characters (keeps newlines and tabs).

    Everything that arrives from a service or a file (transcripts, replies, references, session
    fields) goes through this before it reaches the screen or an export.
    """
    return _CONTROL.sub("", _ESCAPE_SEQ.sub("", text))


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float as ``None``, tuples/sets as lists, keys and paths as text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return str(value)


def dump_json(value: Any, *, indent: int | None = 2) -> str:
    """The one JSON writer for output people and programs read (``--json``, exports): strict JSON.

    Non-finite numbers become ``null`` first, so ``allow_nan=False`` never fires; text stays as is
    (JSON escapes control characters, so nothing reaches a terminal raw).
    """
    return json.dumps(json_safe(value), ensure_ascii=False, indent=indent, allow_nan=False)


def plural(count: int, word: str, many: str = "") -> str:
    """``count`` and ``word`` as a person would say them: ``1 warning``, ``0 warnings``, ``2 people``.

    ``many`` is the plural form when it is not ``word + "s"`` (``plural(n, "person", "people")``).
    """
    return f"{count} {word if count == 1 else (many or word + 's')}"


_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "eg",
        "ie",
        "e.g",
        "i.e",
        "approx",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "fig",
        "al",
    ]
)
# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets), then whitespace.
# The look-behind and the possessive quantifiers keep the scan linear on long runs of punctuation: a
# match can start only at the first mark of a run, and a failed run is never re-tried from inside.
_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)")
_SPACE = re.compile(r"\s*")
_WORD_LOOKBACK = 24
"""Characters looked at before a full stop to find its word (abbreviations are shorter)."""


class SentenceSplitter:
    """Feed text deltas in; complete sentences come out as soon as they are known to be complete.

    A sentence is complete when its end punctuation is followed by whitespace (so ``3.5`` or
    ``e.g.`` mid-stream do not cut it). Very long runs without punctuation are cut at a comma or
    space after ``max_chars`` so speech never waits on a run-on reply. Newlines end a sentence.
    Only the next ``max_chars`` characters are searched for each cut, so a feed costs time linear
    in its length and the buffer kept between feeds is at most about ``max_chars`` long.
    """

    def __init__(self, max_chars: int = 240, min_chars: int = 2) -> None:
        self.max_chars = max(8, max_chars)
        self.min_chars = min_chars
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        buf = self._buffer + delta
        out: list[str] = []
        carry = ""  # a piece too short to say alone, waiting for the next sentence
        pos = _SPACE.match(buf).end()  # type: ignore[union-attr]
        newline = -1
        while True:
            if newline < pos:
                newline = buf.find("\n", pos)
                if newline == -1:
                    newline = len(buf)
            cut = self._find_cut(buf, pos, newline)
            if cut is None:
                break
            sentence = buf[pos:cut].strip()
            pos = _SPACE.match(buf, cut).end()  # type: ignore[union-attr]
            if carry:
                sentence, carry = f"{carry} {sentence}".strip(), ""
            if len(sentence) >= self.min_chars:
                out.append(sentence)
            elif sentence and out and len(out[-1]) + len(sentence) < self.max_chars:
                out[-1] += " " + sentence  # bounded: a merged sentence stays under max_chars
            else:
                carry = sentence
        rest = buf[pos:]
        self._buffer = f"{carry} {rest}" if carry else rest
        return out

    @property
    def pending(self) -> str:
        """The start of the sentence being written (what the next sentence will begin with)."""
        return self._buffer.lstrip()

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _find_cut(self, buf: str, pos: int, newline: int) -> int | None:
        """Where the sentence starting at ``pos`` ends (``newline`` is the next newline, or the end)."""
        size = len(buf)
        window = pos + self.max_chars + 1
        limit = newline if newline < window else window
        search = _END.search
        at = pos
        endpos = limit + 1 if limit < size else size
        while (match := search(buf, at, endpos)) is not None:
            start = match.start()
            if buf[start] == ".":
                before = buf[start - _WORD_LOOKBACK if start - _WORD_LOOKBACK > pos else pos : start].rstrip()
                word = before.rsplit(None, 1)[-1].lower() if before else ""
                if len(word) == 1 or word.rstrip(".") in _ABBREVIATIONS:
                    at = match.end()
                    continue
            return match.end()
        if newline < size and newline - pos <= self.max_chars:
            return newline + 1
        if size - pos > self.max_chars:
            end = pos + self.max_chars
            cut = max(buf.rfind(", ", pos, end), buf.rfind("; ", pos, end), buf.rfind(": ", pos, end))
            if cut - pos < self.max_chars // 3:
                cut = buf.rfind(" ", pos, end)
            return (cut + 1) if cut > pos else end
        return None


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text + " ") + splitter.flush()
