"""A ledger of injected faults, printed as a table at the end of the run: the command line's and the
app's paths side by side, per step, and per class (``fault``: the fault matrix; ``hostile``: the
hostile-server set), and what the fault tests read back from a saved session."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PATHS = ("cli", "app")


def saved_turn(
    data_dir: Path, session_id: str, index: int = -1, *, loads: Callable[[str], Any] = json.loads
) -> tuple[Path, dict]:
    """A session's folder and one of its saved turns (the last by default), read with ``loads``."""
    folder = data_dir / "sessions" / session_id
    session = loads((folder / "session.json").read_text())
    return folder, session["turns"][index]


@dataclass
class Ledger:
    rows: dict[tuple[str, str, str], dict[str, bool]] = field(default_factory=dict)
    """``(path, route, fault)`` -> outcome."""
    kinds: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add(
        self,
        route: str,
        fault: str,
        *,
        survived: bool,
        recording_kept: bool,
        path: str = "cli",
        kind: str = "fault",
    ) -> None:
        self.rows[(path, route, fault)] = {"survived": survived, "recording_kept": recording_kept}
        self.kinds[(path, route, fault)] = kind

    def mark_survived(self, route: str, fault: str, path: str = "cli") -> None:
        self.rows[(path, route, fault)]["survived"] = True

    def totals(self, path: str | None = None, kind: str | None = None) -> tuple[int, int, int]:
        rows = [
            r
            for key, r in self.rows.items()
            if (path is None or key[0] == path) and (kind is None or self.kinds.get(key) == kind)
        ]
        return len(rows), sum(r["survived"] for r in rows), sum(not r["recording_kept"] for r in rows)

    def table(self) -> list[str]:
        """One line per step: injected / survived / lost, for each path."""
        routes = sorted({route for _, route, _ in self.rows})
        head = "| step (route) | " + " | ".join(f"{p}: injected / survived / lost" for p in PATHS) + " |"
        lines = [head, "|---|" + "---|" * len(PATHS)]
        for route in [*routes, None]:
            cells = []
            for path in PATHS:
                rows = [r for (p, rt, _), r in self.rows.items() if p == path and route in (None, rt)]
                survived = sum(r["survived"] for r in rows)
                lost = sum(not r["recording_kept"] for r in rows)
                cells.append(f"{len(rows)} / {survived} / {lost}" if rows else "-")
            lines.append(f"| {route or '**total**'} | " + " | ".join(cells) + " |")
        return lines


LEDGER = Ledger()


@pytest.fixture
def ledger() -> Ledger:
    return LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.rows:
        return
    terminalreporter.section("fault ledger")
    for kind in sorted(set(LEDGER.kinds.values())):
        injected, survived, lost = LEDGER.totals(kind=kind)
        terminalreporter.write_line(
            f"{kind}: faults injected: {injected}, survived: {survived}, recordings lost: {lost}"
        )
    injected, survived, lost = LEDGER.totals()
    terminalreporter.write_line(f"faults injected: {injected}, survived: {survived}, recordings lost: {lost}")
    for line in LEDGER.table():
        terminalreporter.write_line(line)
