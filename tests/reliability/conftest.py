"""A ledger of injected faults, printed as a table at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class Ledger:
    rows: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)

    def add(self, route: str, fault: str, *, survived: bool, recording_kept: bool) -> None:
        self.rows[(route, fault)] = {"survived": survived, "recording_kept": recording_kept}

    def mark_survived(self, route: str, fault: str) -> None:
        self.rows[(route, fault)]["survived"] = True

    def totals(self) -> tuple[int, int, int]:
        injected = len(self.rows)
        survived = sum(r["survived"] for r in self.rows.values())
        lost = sum(not r["recording_kept"] for r in self.rows.values())
        return injected, survived, lost


LEDGER = Ledger()


@pytest.fixture
def ledger() -> Ledger:
    return LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.rows:
        return
    injected, survived, lost = LEDGER.totals()
    terminalreporter.section("fault ledger")
    terminalreporter.write_line(f"faults injected: {injected}, survived: {survived}, recordings lost: {lost}")
