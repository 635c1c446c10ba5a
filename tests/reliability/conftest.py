"""A ledger of injected faults, printed as a table at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class Ledger:
    """Rows ``(route, fault) -> outcome``; ``kind`` is the class: ``fault`` (test_fault_matrix) or
    ``hostile`` (test_hostile_server)."""

    rows: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(
        self, route: str, fault: str, *, survived: bool, recording_kept: bool, kind: str = "fault"
    ) -> None:
        self.rows[(route, fault)] = {"survived": survived, "recording_kept": recording_kept}
        self.kinds[(route, fault)] = kind

    def mark_survived(self, route: str, fault: str) -> None:
        self.rows[(route, fault)]["survived"] = True

    def totals(self, kind: str | None = None) -> tuple[int, int, int]:
        rows = [r for key, r in self.rows.items() if kind is None or self.kinds.get(key) == kind]
        injected = len(rows)
        survived = sum(r["survived"] for r in rows)
        lost = sum(not r["recording_kept"] for r in rows)
        return injected, survived, lost


LEDGER = Ledger()


@pytest.fixture
def ledger() -> Ledger:
    return LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.rows:
        return
    terminalreporter.section("fault ledger")
    for kind in sorted(set(LEDGER.kinds.values())):
        injected, survived, lost = LEDGER.totals(kind)
        terminalreporter.write_line(
            f"{kind}: faults injected: {injected}, survived: {survived}, recordings lost: {lost}"
        )
    injected, survived, lost = LEDGER.totals()
    terminalreporter.write_line(f"faults injected: {injected}, survived: {survived}, recordings lost: {lost}")
