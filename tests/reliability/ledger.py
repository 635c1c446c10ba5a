"""A ledger of injected faults, printed as a table at the end of the run: the command line's and the
app's paths side by side, per step, and per class (``fault``: the fault matrix; ``hostile``: the
hostile-server set). A pytest plugin (``pytest_plugins`` in tests/conftest.py): with pytest-xdist each
worker sends its rows to the controller, which prints the whole ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

PATHS = ("cli", "app")


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

    def dump(self) -> list[list[object]]:
        """The rows as plain lists (what an xdist worker can send)."""
        return [
            [*key, row["survived"], row["recording_kept"], self.kinds[key]] for key, row in self.rows.items()
        ]

    def load(self, rows: list[list[object]]) -> None:
        for path, route, fault, survived, kept, kind in rows:
            key = (str(path), str(route), str(fault))
            self.rows[key] = {"survived": bool(survived), "recording_kept": bool(kept)}
            self.kinds[key] = str(kind)


LEDGER = Ledger()


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints the ledger
        workeroutput["fault_ledger"] = LEDGER.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    LEDGER.load(getattr(node, "workeroutput", {}).get("fault_ledger", []))


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
