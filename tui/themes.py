"""Voxroom's themes: colour data for Textual ``Theme`` objects, the ``.tcss`` files that go with them,
and the remembered choice. No Textual here: the UI turns these specs into themes
(:func:`tui.widgets.themes.textual_themes`).

Each theme is a Textual ``Theme`` (colours, plus Voxroom's own variables: meter bands and speaker
colours) and a ``themes/<name>.tcss`` file with the rules that differ per theme (borders, emphasis),
scoped by the ``-theme-<name>`` class Textual gives the app. Built-in Textual themes still work: every
Voxroom variable has a default in :data:`VARIABLE_DEFAULTS`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DEFAULT_THEME = "voxroom-dark"
SPEAKER_COLOURS = 6
STATE_FILE = "state.json"

VARIABLE_DEFAULTS: dict[str, str] = {
    "meter-low": "#4EBF71",
    "meter-mid": "#E0C341",
    "meter-high": "#E8823A",
    "meter-clip": "#E5484D",
    "meter-empty": "#3A3A3A",
    "meter-no-signal": "#8A8A8A",
    "speaking-highlight": "#E0C341 30%",
    "speaker-1": "#4FB3FF",
    "speaker-2": "#F28FAD",
    "speaker-3": "#A6E3A1",
    "speaker-4": "#F9C74F",
    "speaker-5": "#C39BFF",
    "speaker-6": "#7FDBCA",
}

THEME_SPECS: dict[str, dict[str, Any]] = {
    "voxroom-dark": {
        "primary": "#4FB3FF",
        "secondary": "#2D6CA2",
        "accent": "#F9C74F",
        "warning": "#F9A03F",
        "error": "#E5484D",
        "success": "#4EBF71",
        "foreground": "#E4E6EB",
        "background": "#14171C",
        "surface": "#1C2027",
        "panel": "#242A33",
        "dark": True,
        "variables": {"meter-empty": "#2B313B", "speaking-highlight": "#F9C74F 25%"},
    },
    "voxroom-light": {
        "primary": "#1F6FB2",
        "secondary": "#3D5A80",
        "accent": "#B5651D",
        "warning": "#B7791F",
        "error": "#C53030",
        "success": "#2F855A",
        "foreground": "#1A202C",
        "background": "#F7F7F5",
        "surface": "#FFFFFF",
        "panel": "#E8EAED",
        "dark": False,
        "variables": {
            "meter-low": "#2F855A",
            "meter-mid": "#B7791F",
            "meter-high": "#C05621",
            "meter-clip": "#C53030",
            "meter-empty": "#D5D9DF",
            "meter-no-signal": "#718096",
            "speaking-highlight": "#F6E05E 60%",
            "speaker-1": "#1F6FB2",
            "speaker-2": "#B83280",
            "speaker-3": "#2F855A",
            "speaker-4": "#B7791F",
            "speaker-5": "#6B46C1",
            "speaker-6": "#0F766E",
        },
    },
    "voxroom-high-contrast": {
        "primary": "#FFFF00",
        "secondary": "#00FFFF",
        "accent": "#FF00FF",
        "warning": "#FFFF00",
        "error": "#FF3030",
        "success": "#00FF00",
        "foreground": "#FFFFFF",
        "background": "#000000",
        "surface": "#000000",
        "panel": "#000000",
        "boost": "#FFFFFF1A",
        "dark": True,
        "variables": {
            "meter-low": "#00FF00",
            "meter-mid": "#FFFF00",
            "meter-high": "#FF8000",
            "meter-clip": "#FF0000",
            "meter-empty": "#404040",
            "meter-no-signal": "#FFFFFF",
            "speaking-highlight": "#FFFF00 45%",
            "speaker-1": "#00FFFF",
            "speaker-2": "#FF00FF",
            "speaker-3": "#00FF00",
            "speaker-4": "#FFFF00",
            "speaker-5": "#FF8000",
            "speaker-6": "#FFFFFF",
        },
    },
}

THEME_NAMES: tuple[str, ...] = tuple(THEME_SPECS)


def themes_dir() -> Path:
    """Where the ``.tcss`` theme files are: ``tui/_themes`` in a wheel, ``./themes`` in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_themes", package.parent / "themes"):
        if candidate.is_dir() and any(candidate.glob("*.tcss")):
            return candidate
    return package.parent / "themes"


def theme_css_paths() -> list[Path]:
    """Every theme stylesheet, in a stable order (each only styles under its own class)."""
    folder = themes_dir()
    return [folder / f"{name}.tcss" for name in THEME_NAMES if (folder / f"{name}.tcss").is_file()]


def speaker_index(speaker: str, known: list[str]) -> int:
    """A stable colour slot (1..SPEAKER_COLOURS) for ``speaker``: order of first appearance."""
    if speaker not in known:
        known.append(speaker)
    return known.index(speaker) % SPEAKER_COLOURS + 1


# -- the remembered choice (a small state file in the data dir, never the user's config) --------
def _state_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATE_FILE


def read_state(data_dir: Path) -> dict[str, Any]:
    """The state file's choices; a missing, linked, damaged, deep or huge file is simply no state."""
    from tui.fsutil import UnreadableFile, read_json

    try:
        data = read_json(_state_path(data_dir), 256 * 1024, within=Path(data_dir))
    except UnreadableFile:
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(data_dir: Path) -> str | None:
    name = read_state(data_dir).get("theme")
    return name if isinstance(name, str) and name else None


def write_state(data_dir: Path, **values: Any) -> None:
    """Store small choices (the palette's theme, the voice chosen, the answer about voice profiles) in
    ``state.json``.
    Failure to write is not worth bothering anyone."""
    from tui.fsutil import atomic_write, make_private_dir

    state = {**read_state(data_dir), **values}
    path = _state_path(data_dir)
    try:
        make_private_dir(path.parent)
        atomic_write(path, json.dumps(state, indent=2).encode("utf-8"))
    except OSError:
        pass


def remember_theme(data_dir: Path, name: str) -> None:
    """Store the theme chosen from the palette."""
    write_state(data_dir, theme=name)


VOICE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"
"""A voice id ``speech.voice`` accepts (the config's name pattern, at most 100 characters)."""


def remembered_voice(data_dir: Path) -> str | None:
    """The assistant's voice last chosen in the Voices screen, if it is a usable ``speech.voice``."""
    value = read_state(data_dir).get("voice")
    return value if isinstance(value, str) and re.match(VOICE_ID, value) else None


def remember_voice(data_dir: Path, voice_id: str) -> None:
    """Store the voice chosen in the Voices screen (``speech.voice`` in the config file wins)."""
    if re.match(VOICE_ID, voice_id):
        write_state(data_dir, voice=voice_id)


def choose_theme(configured: str, data_dir: Path, flag: str | None = None) -> str:
    """The ``--theme`` flag wins, then ``theme`` set in the config file (``settings.theme``, empty when
    not set), then the last palette choice, then :data:`DEFAULT_THEME`."""
    return flag or configured or remembered_theme(data_dir) or DEFAULT_THEME
