"""What one setting accepts (:class:`Spec`) and the helpers that declare a setting as a dataclass field.

Every setting is declared once, as a field made by :func:`text`, :func:`named`, :func:`url`,
:func:`choice`, :func:`number`, :func:`whole`, :func:`flag` or :func:`table`: its default, its type
and range, its meaning, and the environment variable that sets it, if any. The loader, the README's
table and ``doctor`` all read these declarations.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
URL = r"^https?://[^\s/?#]+[^\s]*$"
SPEC = "voxroom.spec"
"""The key of a field's metadata that holds its :class:`Spec`."""


@dataclass(frozen=True)
class Spec:
    """What one setting accepts: its type and its range (numbers), choices, or pattern and length (text).

    A ``dict`` setting is a table of ``key = number``: its keys are ``choices`` (or match ``pattern``),
    its numbers are from ``low`` to ``high``; ``item`` (one, many) and ``value_word`` name them in messages.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""
    max_len: int = 200
    optional: bool = False
    """``None`` (a missing value) is allowed."""
    doc: str = ""
    """What the setting does, in one or two sentences (the README's table shows it)."""
    env: str = ""
    """The environment variable that sets it (an empty variable is ignored), or ``""``."""
    secret: bool = False
    """Its value is never shown (in a problem it reads ``(hidden)``)."""
    convert: Callable[[Any], Any] | None = None
    """Turns the checked value into the stored one; ``None`` from it keeps the current value."""
    item: tuple[str, str] = ("category", "categories")
    value_word: str = "threshold"
    shape: str = ""
    """What a ``pattern`` allows, in words (``a language code such as en or pt-BR``)."""

    def allowed(self) -> str:
        if self.kind is bool:
            text = "true or false"
        elif self.kind is dict:
            keys = f"; {self.item[1]}: " + ", ".join(self.choices) if self.choices else ""
            text = (
                f"a table of {self.item[0]} = {self.value_word} from {_number(self.low)} to "
                f"{_number(self.high)}{keys}"
            )
        elif self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in (int, float):
            kind = "a whole number" if self.kind is int else "a number"
            text = f"{kind} from {_number(self.low)} to {_number(self.high)}"
        elif self.pattern == URL:
            text = f"an http:// or https:// URL (at most {self.max_len} characters), or empty"
        elif self.pattern == NAME:
            text = f"a name of letters, digits, '_', '.', ':' or '-' (at most {self.max_len} characters)"
        elif self.pattern:
            text = f"{self.shape or 'text matching ' + self.pattern} (at most {self.max_len} characters)"
        else:
            text = f"text of at most {self.max_len} characters"
        return text + (", or unset" if self.optional else "")

    def check(self, value: Any) -> tuple[Any, str]:
        """``(cleaned value, "")``, or ``(None, why it is refused)``."""
        if value is None:
            return (None, "") if self.optional else (None, "is missing")
        if self.kind is bool:
            return (value, "") if isinstance(value, bool) else (None, "is not true or false")
        if self.kind in (int, float):
            return self._check_number(value)
        if self.kind is dict:
            return self._check_table(value)
        if not isinstance(value, str):
            return None, f"is {_type_name(value)}, not text"
        value = value.strip()
        if len(value) > self.max_len:
            return None, f"is {len(value)} characters long"
        if CONTROL_CHARS.search(value):
            return None, "holds control characters"
        if self.choices:
            return (value, "") if value in self.choices else (None, "is not allowed")
        if self.pattern and value and not re.match(self.pattern, value):
            return None, "is not allowed"
        return value, ""

    def _check_number(self, value: Any) -> tuple[Any, str]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"is {_type_name(value)}, not a number"
        if self.kind is int and not isinstance(value, int):
            return None, "is not a whole number"
        if not math.isfinite(value) or not (self.low or 0) <= value <= (self.high or 0):
            return None, "is out of range"
        return self.kind(value), ""

    def _check_table(self, value: Any) -> tuple[Any, str]:
        if not isinstance(value, dict):
            return None, f"is {_type_name(value)}, not a table"
        low, high = self.low or 0.0, self.high or 0.0
        if self.choices:
            unknown = sorted(str(k) for k in value if k not in self.choices)
        else:
            unknown = sorted(str(k)[:40] for k in value if not re.match(self.pattern, str(k)) or len(k) > 100)
        bad = sorted(
            str(k)[:40]
            for k, v in value.items()
            if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high
        )
        why = []
        if unknown:
            word = self.item[0] if len(unknown) == 1 else self.item[1]
            why.append(f"names unknown {word} " + ", ".join(unknown))
        if bad:
            why.append(
                f"has {self.value_word}s outside {_number(low)} to {_number(high)} for " + ", ".join(bad)
            )
        if why:
            return None, CONTROL_CHARS.sub("?", " and ".join(why))
        return {str(k): float(v) for k, v in value.items()}, ""


def _number(value: float | None) -> str:
    value = value or 0
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _type_name(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        dict: "a table",
        list: "a list",
    }
    return names.get(type(value), type(value).__name__)


# -- declaring a setting ----------------------------------------------------------------------------


def declare(default: Any, spec: Spec, *, factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field holding ``spec`` in its metadata (``factory`` for a mutable default)."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={SPEC: spec})
    return dataclasses.field(default=default, metadata={SPEC: spec})


def text(default: str = "", doc: str = "", *, max_len: int = 200, pattern: str = "", **kw: Any) -> Any:
    return declare(default, Spec(str, pattern=pattern, max_len=max_len, doc=doc, **kw))


def named(default: str, doc: str = "", *, max_len: int = 100) -> Any:
    """A model, voice or theme name: letters, digits, ``_.:-``."""
    return declare(default, Spec(str, pattern=NAME, max_len=max_len, doc=doc))


def url(doc: str = "", **kw: Any) -> Any:
    """An ``http(s)://`` address, empty by default."""
    return declare("", Spec(str, pattern=URL, max_len=500, doc=doc, **kw))


def choice(default: str, choices: tuple[str, ...], doc: str = "", **kw: Any) -> Any:
    return declare(default, Spec(str, choices=choices, doc=doc, **kw))


def number(default: float, low: float, high: float, doc: str = "") -> Any:
    return declare(float(default), Spec(float, low, high, doc=doc))


def whole(default: int | None, low: int, high: int, doc: str = "", *, optional: bool = False) -> Any:
    return declare(default, Spec(int, low, high, optional=optional, doc=doc))


def flag(default: bool, doc: str = "") -> Any:
    return declare(default, Spec(bool, doc=doc))


def table(doc: str, low: float, high: float, **kw: Any) -> Any:
    """A table of ``key = number`` (empty by default)."""
    return declare(None, Spec(dict, low, high, doc=doc, **kw), factory=dict)


def section(cls: type) -> Any:
    """A ``[section]`` of the config file: a dataclass of declared settings."""
    return dataclasses.field(default_factory=cls, metadata={"voxroom.section": True})


def is_section(f: dataclasses.Field[Any]) -> bool:
    return bool(f.metadata.get("voxroom.section"))


def spec_of(f: dataclasses.Field[Any]) -> Spec | None:
    return f.metadata.get(SPEC)
