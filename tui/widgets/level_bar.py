"""A level meter: RMS and peak bars on a dBFS scale, with clipping and no-signal marks.

It only renders the level it is given; the app samples the meter on a timer (~30 Hz) and assigns
``level``. Equal levels do not repaint (``Level`` compares by value).
"""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from tui.room import SILENT, LevelLike

FLOOR_DBFS = -60.0
BANDS = ((-18.0, "meter-low"), (-6.0, "meter-mid"), (-1.0, "meter-high"), (0.1, "meter-clip"))
LABEL_WIDTH = 5
VALUE_WIDTH = 20


def fraction(value_dbfs: float, floor: float = FLOOR_DBFS) -> float:
    """Where ``value_dbfs`` sits on the bar, 0..1 (floor..0 dBFS)."""
    return min(1.0, max(0.0, (value_dbfs - floor) / -floor))


def band(value_dbfs: float) -> str:
    for limit, name in BANDS:
        if value_dbfs < limit:
            return name
    return "meter-clip"


def bar_markup(value_dbfs: float, width: int) -> str:
    """The bar as Content markup: cells coloured by the band of the level each cell stands for."""
    return _cells_markup(round(fraction(value_dbfs) * width), width)


@lru_cache(maxsize=1024)
def bar_content(filled: int, width: int) -> Content:
    """The bar with ``filled`` of ``width`` cells lit, parsed once: a frame reuses it (parsing the
    markup is most of a frame's cost, and a bar has only ``width + 1`` looks)."""
    return Content.from_markup(_cells_markup(filled, width))


@lru_cache(maxsize=8)
def _marks(markup: str) -> Content:
    return Content.from_markup(markup)


def _cells_markup(filled: int, width: int) -> str:
    parts: list[str] = []
    current: str | None = None
    run = 0
    for i in range(width):
        cell_db = FLOOR_DBFS + (i + 0.5) / width * -FLOOR_DBFS
        name = band(cell_db) if i < filled else "meter-empty"
        if name != current and run:
            parts.append(_run(current, run, current != "meter-empty"))
            run = 0
        current = name
        run += 1
    if run:
        parts.append(_run(current, run, current != "meter-empty"))
    return "".join(parts)


def _run(name: str | None, count: int, full: bool) -> str:
    return f"[${name}]{('█' if full else '░') * count}[/]"


def format_dbfs(value: float) -> str:
    return "  -inf" if value <= -100 else f"{value:6.1f}"


class LevelBar(Widget):
    """Two rows: RMS and peak. ``level`` is anything with rms_dbfs/peak_dbfs/clipping/no_signal."""

    DEFAULT_CSS = """
    LevelBar {
        height: 2;
        width: 1fr;
    }
    """

    level: reactive[LevelLike] = reactive(SILENT, layout=False)
    active: reactive[bool] = reactive(True)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.frames = 0
        """How many times the bar was drawn (the start-up/frame-rate benchmark reads it)."""

    def render(self) -> Content:
        self.frames += 1
        level = self.level
        width = max(4, self.size.width - LABEL_WIDTH - VALUE_WIDTH)
        marks = ""
        if self.active and level.clipping:
            marks = " [b $meter-clip]CLIP[/]"
        elif self.active and level.no_signal:
            marks = " [$meter-no-signal]no signal[/]"
        rows = []
        for label, value in (("RMS ", level.rms_dbfs), ("PEAK", level.peak_dbfs)):
            filled = round(fraction(value if self.active else -200.0) * width)
            value_text = f" {format_dbfs(value)} dBFS"
            rows.append(Content.assemble(f"{label} ", bar_content(filled, width), value_text))
        if marks:
            rows[1] = rows[1] + _marks(marks)
        return Content("\n").join(rows)
