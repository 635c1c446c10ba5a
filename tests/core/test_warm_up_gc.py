"""After warm-up, start-up's objects are frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tui.backends import make_backends
from tui.config import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_warm_up_freezes_what_exists(unfrozen: None, mistral_settings: Settings) -> None:
    assert gc.get_freeze_count() == 0
    assert make_backends(mistral_settings).warm_up() == []
    assert gc.get_freeze_count() > 10_000  # the modules, the SDK and its models at least
