"""The fields of a session file: the one table of limits and the readers that check and tidy each value.

Everything read back from a file passes through these: wrong types fall back to defaults, numbers
must be finite, every text field passes through :func:`tui.text.clean`, and audio file names that
could point outside the session folder are dropped (with a note). Single-line fields (titles, speaker
labels and names, references, ids) pass through :func:`single_line`. Text longer than its limit is
cut once, visibly: it ends with :func:`cut_mark`. No Textual, no SDK.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from tui.model import MAX_SECONDS, RETRYABLE, Reference, Segment, Timings, TurnStatus, bounded_seconds
from tui.text import clean

SCHEMA_VERSION = 2

LIMITS: dict[str, int] = {
    "title": 200,
    "short": 500,  # ids, model names, speaker labels and names, file names, statuses
    "segment": 20_000,  # one transcript segment's text
    "text": 100_000,  # a turn's transcript text, a reply
    "error": 2_000,  # an error message, moderation words
    "url": 2_000,
    "segments": 10_000,  # per turn
    "turn_text": 400_000,  # all of one turn's segment text together
    "references": 200,  # per turn
    "turns": 10_000,
    "speakers": 1_000,
    "sentences": 10_000,  # refused sentence indexes per turn
    "notes": 20,  # truncation notes per record
}
"""The one table of limits on what a session may hold (characters, or items for lists), used both
when a record is built and when it is saved, so a damaged or hostile file cannot flood the screen or
memory and nothing is cut silently between a save and the next load."""
MAX_TITLE = LIMITS["title"]
MAX_SHORT = LIMITS["short"]
MAX_SEGMENT_TEXT = LIMITS["segment"]
MAX_REPLY = LIMITS["text"]
MAX_ERROR = LIMITS["error"]
MAX_URL = LIMITS["url"]
MAX_SEGMENTS_PER_TURN = LIMITS["segments"]
MAX_TURN_TEXT = LIMITS["turn_text"]
MAX_REFERENCES = LIMITS["references"]
MAX_TURNS = LIMITS["turns"]
MAX_SPEAKERS = LIMITS["speakers"]
MAX_SENTENCES = LIMITS["sentences"]

TURN_STATUSES = tuple(TurnStatus)
MODEL_KEYS = ("transcription", "agent", "speech")
HEADER_FIELDS = ("title", "auto_title", "backend", "models", "conversation_id", "agent_id", "speaker_names")
"""Session fields a caller may still assign directly before a store change (kept, not lost)."""

_NEEDS_CLEAN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Anything :func:`tui.text.clean` would change contains one of these (ESC is \x1b)."""
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$")
_INVISIBLE = re.compile("[\u180e\u200b\u200e\u200f\u061c\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Bidi embeddings/overrides/isolates, LRM/RLM/ALM, zero-width space, word joiner, BOM."""
_ASCII_JOINER = re.compile("(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f])")
"""ZWNJ/ZWJ next to ASCII or at an end (spoofing); kept between two non-ASCII characters (emoji,
Persian, Indic scripts need them)."""
TITLE_WORDS = 6
"""A session's automatic title is the first this many words of its first transcript line."""


YEARS = (1970, 9000)
"""Times in a session file outside these years are treated as unknown."""


def single_line(text: str) -> str:
    """One line of outside text made safe to show among others (titles, names, labels, references).

    Terminal escapes and C0/C1 controls go (:func:`tui.text.clean`), so do bidirectional overrides,
    embeddings and isolates, direction marks and zero-width spoofing characters; every run of
    whitespace (newlines, U+2028/2029 included) becomes one space, and the ends are trimmed.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # the common case, fast: no control, format (Cf) or separator character at all
    return " ".join(_ASCII_JOINER.sub("", _INVISIBLE.sub("", clean(text))).split())


def cut_mark(cap: int) -> str:
    """What ends a text cut at ``cap`` characters."""
    return f" […cut at {cap} characters]"


def fit(text: str, cap: int, what: str = "", notes: list[str] | None = None) -> str:
    """``text`` if it has at most ``cap`` characters; otherwise cut so that, with :func:`cut_mark`
    appended, it has ``cap`` (so fitting again changes nothing). The cut is noted in ``notes``."""
    if len(text) <= cap:
        return text
    mark = cut_mark(cap)
    if notes is not None and len(notes) < LIMITS["notes"]:
        notes.append(f"{what or 'text'} was cut at {cap} characters")
    return text[: max(0, cap - len(mark))] + mark


def fit_line(text: str, cap: int = MAX_SHORT, what: str = "", notes: list[str] | None = None) -> str:
    """:func:`single_line` then :func:`fit`."""
    return fit(single_line(text), cap, what, notes)


def first_words(text: str, count: int = TITLE_WORDS) -> str:
    """The first ``count`` words of ``text`` on one line, ``…`` when there were more."""
    words = single_line(text).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def now_iso() -> str:
    """The current UTC time as ``2026-11-25T13:09:30Z`` (what every ``created``/``updated`` holds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime | None:
    """An ISO time from a session file as an aware UTC datetime, or ``None`` when it is not one or
    lies outside :data:`YEARS` (so adding a session's length or showing it in local time never
    overflows)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if not YEARS[0] <= parsed.year <= YEARS[1]:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, AttributeError, TypeError, OverflowError):
        return None


def safe_file_name(name: str) -> bool:
    """True for a plain file name inside the session folder: no folders, no ``..``, not absolute."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return False
    return bool(_SAFE_NAME.match(name)) and ".." not in name


def _text(value: Any, default: str = "") -> str:
    """A string from a file (numbers become text, anything else the default), cleaned; not cut:
    the limits are applied when the record is built."""
    if value is None:
        return default
    if not isinstance(value, str):
        if isinstance(value, bool | int | float):
            value = str(value)
        else:
            return default
    if _NEEDS_CLEAN.search(value):
        value = clean(value)
    return value


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    return _text(value) or None


def _opt_fit(value: str | None, cap: int, what: str, notes: list[str], line: bool = False) -> str | None:
    if value is None:
        return None
    return (fit_line if line else fit)(value, cap, what, notes) or None


def _seconds(value: Any) -> float:
    return bounded_seconds(value, MAX_SECONDS)


def _ms(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _indexes(value: Any) -> list[int]:
    """Sentence indexes: distinct non-negative ints below :data:`MAX_SENTENCES`, sorted, at most that many."""
    found = {
        v
        for v in _list(value)[:MAX_SENTENCES]
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < MAX_SENTENCES
    }
    return sorted(found)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _segment(data: Any) -> Segment | None:
    if not isinstance(data, dict):
        return None
    start, end = _seconds(data.get("start")), _seconds(data.get("end"))
    return Segment(
        start=start, end=max(start, end), speaker=_label(data.get("speaker")), text=_text(data.get("text"))
    )


def _label(value: Any) -> str:
    """A speaker label as every reader sees it (the same in :class:`Session` and the summary)."""
    return fit_line(_text(value)) or "speaker_1"


def _reference(data: Any) -> Reference | None:
    if not isinstance(data, dict):
        return None
    url, title = _text(data.get("url")), _text(data.get("title"))
    if not url.strip() and not title.strip():
        return None
    return Reference(title=title or url, url=url, source=_text(data.get("source")))


def _fit_reference(ref: Reference, notes: list[str]) -> Reference:
    title = fit_line(ref.title, MAX_SHORT, "a reference title", notes)
    url = fit_line(ref.url, MAX_URL, "a reference address", notes)
    source = fit_line(ref.source, MAX_SHORT, "a reference source", notes)
    if (title, url, source) == (ref.title, ref.url, ref.source):
        return ref
    return Reference(title=title or url, url=url, source=source)


def _names(value: Any) -> dict[str, str]:
    """``speaker_names`` from a file: labels and names on one line, empty names dropped."""
    out: dict[str, str] = {}
    for k, v in list(_dict(value).items())[:MAX_SPEAKERS]:
        if isinstance(v, str):
            name = fit_line(_text(v))
            if name:
                out[_label(k)] = name
    return out


def _models(data: Any) -> dict[str, str]:
    """``models`` from a file: at most 20 names, as text (limits apply when the record is built)."""
    return {_text(k): _text(v) for k, v in list(_dict(data).items())[:20] if isinstance(v, str)}


def _fit_models(models: dict[str, str], notes: list[str]) -> dict[str, str]:
    if all(
        single_line(k) == k and single_line(v) == v and len(k) + len(v) <= MAX_SHORT
        for k, v in models.items()
    ):
        return models
    return {fit_line(k): fit_line(v, MAX_SHORT, "a model name", notes) for k, v in models.items()}


def _timings(data: Any) -> Timings:
    known = Timings.__dataclass_fields__
    return Timings(**{k: _ms(v) for k, v in _dict(data).items() if k in known})


def _file_name(value: Any, what: str, problems: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and safe_file_name(value):
        return value
    shown = clean(str(value))[:80]
    problems.append(f"Ignored the {what} file name {shown!r}: it points outside the session folder.")
    return None


def _status_mark(status: str) -> str:
    return status if status in RETRYABLE else ""
