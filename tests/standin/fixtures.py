"""Pytest fixtures for the stand-in Mistral server.

Use from a conftest with ``from tests.standin.fixtures import *`` or
``pytest_plugins = ["tests.standin.fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.standin.server import MistralStandIn, closed_url

__all__ = ["closed_mistral_url", "mistral_client", "mistral_server"]

TEST_API_KEY = "test-key"


@pytest.fixture
def mistral_server() -> Iterator[MistralStandIn]:
    """A running stand-in (function scope), stopped after the test. Fails the test if a handler
    raised inside the stand-in."""
    server = MistralStandIn().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, "the stand-in server raised:\n" + "\n".join(server.errors)


@pytest.fixture
def mistral_client(mistral_server: MistralStandIn) -> Iterator[Any]:
    """The real SDK client (``mistralai.client.Mistral``) pointed at ``mistral_server``."""
    from mistralai.client import Mistral

    with Mistral(api_key=TEST_API_KEY, server_url=mistral_server.url) as client:
        yield client


@pytest.fixture
def closed_mistral_url() -> str:
    """A loopback ``server_url`` nobody listens on (connection refused)."""
    return closed_url()
