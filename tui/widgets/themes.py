"""Voxroom's themes as Textual ``Theme`` objects, made from the specs in :mod:`tui.themes`."""

from __future__ import annotations

from textual.theme import Theme

from tui.themes import THEME_SPECS, VARIABLE_DEFAULTS


def textual_themes() -> list[Theme]:
    """The Voxroom themes as ``textual.theme.Theme`` objects."""
    themes = []
    for name, spec in THEME_SPECS.items():
        spec = dict(spec)
        variables = {**VARIABLE_DEFAULTS, **spec.pop("variables", {})}
        themes.append(Theme(name=name, variables=variables, **spec))
    return themes
