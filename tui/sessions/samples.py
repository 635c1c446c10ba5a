"""The sample sessions shipped with Voxroom: the top-level ``sessions/`` folder of a checkout, or
``tui/_sample_sessions`` inside an installed wheel (see ``force-include`` in ``pyproject.toml``)."""

from __future__ import annotations

from pathlib import Path

import tui

SAMPLE_PREFIX = "sample:"


def _has_sessions(folder: Path) -> bool:
    try:
        return folder.is_dir() and any((p / "session.json").is_file() for p in folder.iterdir() if p.is_dir())
    except OSError:
        return False


def sample_sessions_dir() -> Path | None:
    """Where the sample sessions are, or ``None`` if this installation has none."""
    package = Path(tui.__file__).resolve().parent
    for candidate in (package / "_sample_sessions", package.parent / "sessions"):
        if _has_sessions(candidate):
            return candidate
    return None


def sample_names() -> list[str]:
    folder = sample_sessions_dir()
    if folder is None:
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "session.json").is_file())
