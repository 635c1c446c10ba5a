"""Themes: found from a checkout and from an installed wheel's layout; the choice is remembered."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tui.themes import (
    DEFAULT_THEME,
    THEME_NAMES,
    VARIABLE_DEFAULTS,
    choose_theme,
    remember_theme,
    remembered_theme,
    speaker_index,
    theme_css_paths,
    themes_dir,
)
from tui.widgets.themes import textual_themes

REPO = Path(__file__).resolve().parents[2]


def test_three_themes_each_with_a_stylesheet_and_every_variable() -> None:
    assert THEME_NAMES == ("voxroom-dark", "voxroom-light", "voxroom-high-contrast")
    assert themes_dir() == REPO / "themes"
    assert [p.stem for p in theme_css_paths()] == list(THEME_NAMES)
    for theme in textual_themes():
        assert set(VARIABLE_DEFAULTS) <= set(theme.variables)
        assert f"App.-theme-{theme.name}" in (themes_dir() / f"{theme.name}.tcss").read_text()
    assert {t.name: t.dark for t in textual_themes()} == {
        "voxroom-dark": True,
        "voxroom-light": False,
        "voxroom-high-contrast": True,
    }


def test_themes_are_found_in_the_installed_wheel_layout(tmp_path: Path) -> None:
    # What pyproject's force-include makes of the wheel: the package, with themes/ as tui/_themes.
    site = tmp_path / "site"
    shutil.copytree(REPO / "tui", site / "tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "themes", site / "tui" / "_themes")
    probe = (
        "import json, tui.themes as t; "
        "print(json.dumps([str(t.themes_dir()), [p.name for p in t.theme_css_paths()]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found, files = json.loads(out)
    assert Path(found) == site / "tui" / "_themes"
    assert files == [f"{name}.tcss" for name in THEME_NAMES]


def test_the_choice_is_remembered_in_the_data_dir_not_the_config(tmp_path: Path) -> None:
    assert remembered_theme(tmp_path) is None
    assert choose_theme("voxroom-light", tmp_path) == "voxroom-light"  # the config
    remember_theme(tmp_path, "voxroom-high-contrast")
    assert json.loads((tmp_path / "state.json").read_text()) == {"theme": "voxroom-high-contrast"}
    assert choose_theme("voxroom-light", tmp_path) == "voxroom-light"  # set in the config: it wins
    assert choose_theme("", tmp_path) == "voxroom-high-contrast"  # not set: the palette choice
    assert choose_theme("voxroom-light", tmp_path, flag="textual-dark") == "textual-dark"  # the flag
    assert choose_theme("", tmp_path / "nothing") == DEFAULT_THEME


def test_a_damaged_state_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    assert remembered_theme(tmp_path) is None
    remember_theme(tmp_path, "voxroom-light")
    assert remembered_theme(tmp_path) == "voxroom-light"


def test_speakers_keep_their_colour_slot() -> None:
    known: list[str] = []
    assert [speaker_index(s, known) for s in ["b", "a", "b", "c"]] == [1, 2, 1, 3]
    many = [speaker_index(f"s{i}", known) for i in range(10)]
    assert all(1 <= i <= 6 for i in many)
