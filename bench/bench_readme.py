"""Shared by the benchmarks that rewrite their own section of bench/README.md (``--write``)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measurement | result | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_section(name: str, text: str) -> None:
    """Replace the ``## name`` section of the README with ``text`` (which starts with that heading)."""
    current = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: text.rstrip("\n") + "\n\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    README.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")
