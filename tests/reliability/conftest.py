"""The fault tests' ledger (``ledger`` fixture, see :mod:`tests.reliability.ledger`) and what they
read back from a saved session."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.ledger import LEDGER, Ledger


def saved_turn(
    data_dir: Path, session_id: str, index: int = -1, *, loads: Callable[[str], Any] = json.loads
) -> tuple[Path, dict]:
    """A session's folder and one of its saved turns (the last by default), read with ``loads``."""
    folder = data_dir / "sessions" / session_id
    session = loads((folder / "session.json").read_text())
    return folder, session["turns"][index]


@pytest.fixture
def ledger() -> Ledger:
    return LEDGER
