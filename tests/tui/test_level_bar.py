"""The level bar's cached bars are the same Content as parsing the markup each frame."""

from __future__ import annotations

import pytest
from textual.content import Content

from tui.widgets.level_bar import bar_content, bar_markup, fraction


@pytest.mark.parametrize("value", [-200.0, -60.0, -30.0, -12.0, -3.0, -0.5, 0.0, 3.0])
@pytest.mark.parametrize("width", [4, 37, 95])
def test_a_cached_bar_is_the_parsed_markup(value: float, width: int) -> None:
    parsed = Content.from_markup(bar_markup(value, width))
    cached = bar_content(round(fraction(value) * width), width)
    assert cached.plain == parsed.plain
    assert [(s.start, s.end, str(s.style)) for s in cached.spans] == [
        (s.start, s.end, str(s.style)) for s in parsed.spans
    ]
