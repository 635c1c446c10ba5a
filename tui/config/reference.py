"""The README's table of settings, written from the declarations (``python -m tui.config.reference``).

``--write README.md`` replaces the table between its two marker lines; the tests check that the
README holds exactly what :func:`markdown_table` writes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tui.config.settings import SPECS, Secret, default_of

BEGIN = "<!-- settings table: written by `python -m tui.config.reference --write README.md` -->"
END = "<!-- end of the settings table -->"


def _default(key: str) -> str:
    if key == "data_dir":
        return "the user data dir"
    value: Any = default_of(key)
    if isinstance(value, Secret):
        value = value.reveal()
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        return "`{}`"
    if isinstance(value, str):
        return "built in" if len(value) > 40 else f'`"{value}"`'
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def markdown_table() -> str:
    """One row per declared setting: its key, default, what it allows and what it does."""
    rows = ["| setting | default | allowed | meaning |", "|---|---|---|---|"]
    for key, spec in SPECS.items():
        meaning = spec.doc + (f" Environment: `{spec.env}`." if spec.env else "")
        cells = (f"`{key}`", _default(key), spec.allowed(), meaning)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def block() -> str:
    return f"{BEGIN}\n{markdown_table()}\n{END}"


def rewrite(text: str) -> str:
    """``text`` (the README) with its table replaced by the one the declarations write."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + block() + text[end:]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(block())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
