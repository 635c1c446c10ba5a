"""A level meter: RMS and peak bars on a dBFS scale, with clipping and no-signal marks.

It only renders the level it is given; the app samples the meter on a timer (~30 Hz) and assigns
``level``. Equal levels do not repaint (``Level`` compares by value). The "no signal" and "CLIP" marks
are written inside the bar, so they are never cut whatever the width; the peak readout is the held
peak, so "CLIP" (held for a second) never sits beside a level that has already fallen; an inactive
bar shows no numbers.
"""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive
from textual.widget import Widget

from tui.room import SILENT, LevelLike

FLOOR_DBFS = -60.0
BANDS = ((-18.0, "meter-low"), (-6.0, "meter-mid"), (-1.0, "meter-high"), (0.1, "meter-clip"))
LABEL_WIDTH = 5
VALUE_WIDTH = 10
"""`` -27.5 dB``: a space, the value (6 cells) and the unit."""
MIN_BAR = 12
"""Narrower than this, the numbers are left out to give the bar (and "no signal") room."""
MAX_BAR = 40
"""The bar is never wider than this (a wide terminal leaves the rest of the line empty): a glance
reads a short bar, not one that stretches across the screen."""


def fraction(value_dbfs: float, floor: float = FLOOR_DBFS) -> float:
    """Where ``value_dbfs`` sits on the bar, 0..1 (floor..0 dBFS)."""
    return min(1.0, max(0.0, (value_dbfs - floor) / -floor))


def band(value_dbfs: float) -> str:
    for limit, name in BANDS:
        if value_dbfs < limit:
            return name
    return "meter-clip"


def bar_markup(value_dbfs: float, width: int, mark: str = "", mark_style: str = "") -> str:
    """The bar as Content markup: cells coloured by the band of the level each cell stands for;
    ``mark`` (escaped) is written over the bar's right end in ``mark_style``."""
    return _cells_markup(round(fraction(value_dbfs) * width), width, mark, mark_style)


@lru_cache(maxsize=2048)
def bar_content(filled: int, width: int, mark: str = "", mark_style: str = "") -> Content:
    """The bar with ``filled`` of ``width`` cells lit, parsed once: a frame reuses it (parsing the
    markup is most of a frame's cost, and a bar has only a few dozen looks)."""
    return Content.from_markup(_cells_markup(filled, width, mark, mark_style))


def _cells_markup(filled: int, width: int, mark: str = "", mark_style: str = "") -> str:
    mark = mark[:width]
    cells = width - len(mark)
    parts: list[str] = []
    current: str | None = None
    run = 0
    for i in range(cells):
        cell_db = FLOOR_DBFS + (i + 0.5) / width * -FLOOR_DBFS
        name = band(cell_db) if i < filled else "meter-empty"
        if name != current and run:
            parts.append(_run(current, run, current != "meter-empty"))
            run = 0
        current = name
        run += 1
    if run:
        parts.append(_run(current, run, current != "meter-empty"))
    if mark:
        parts.append(f"[{mark_style}]{escape(mark)}[/]")
    return "".join(parts)


def _run(name: str | None, count: int, full: bool) -> str:
    return f"[${name}]{('█' if full else '░') * count}[/]"


def format_dbfs(value: float) -> str:
    return "  -inf" if value <= -100 else f"{value:6.1f}"


class LevelBar(Widget):
    """Two rows: RMS and peak; one (RMS, with the marks) when ``compact``. ``level`` is anything with
    rms_dbfs/peak_dbfs/clipping/no_signal."""

    DEFAULT_CSS = """
    LevelBar {
        height: 2;
        width: 1fr;
    }
    LevelBar.-compact { height: 1; }
    """

    level: reactive[LevelLike] = reactive(SILENT, layout=False)
    active: reactive[bool] = reactive(True)
    compact: reactive[bool] = reactive(False)

    def watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.frames = 0
        """How many times the bar was drawn (the start-up/frame-rate benchmark reads it)."""

    def render(self) -> Content:
        self.frames += 1
        level = self.level
        width = min(MAX_BAR, self.size.width - LABEL_WIDTH - VALUE_WIDTH)
        numbers = width >= MIN_BAR
        if not numbers:  # narrow: the bar and its marks matter more than the numbers
            width = max(4, min(MAX_BAR, self.size.width - LABEL_WIDTH))
        mark, style = "", ""
        if self.active and level.clipping:
            mark, style = " CLIP", "b $meter-clip"
        elif self.active and level.no_signal:
            mark, style = " no signal", "$meter-no-signal"
        rows = []
        peak = max(level.peak_dbfs, level.held_peak_dbfs)
        shown = [("RMS ", level.rms_dbfs, ""), ("PEAK", peak, mark)]
        if self.compact:  # one row: the RMS, with the marks the peak row would carry
            shown = [("RMS ", level.rms_dbfs, mark)]
        for label, value, row_mark in shown:
            filled = round(fraction(value if self.active else -200.0) * width)
            bar = bar_content(filled, width, row_mark, style)
            number = format_dbfs(value) if self.active else "     –"
            rows.append(Content.assemble(f"{label} ", bar, f" {number} dB" if numbers else ""))
        return Content("\n").join(rows)
