"""The OpenAI-compatible agent shares the service boundary: no redirects, no echoed keys."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.offline.openai_standin import Fail, OpenAIStandin, Stream
from tui.agent.openai import OpenAICompatAgent
from tui.config import Settings
from tui.errors import AgentError

KEY = "sk-openai-boundary-5d2e8f1a"


@pytest.fixture
def agent(openai_settings: Settings) -> Iterator[OpenAICompatAgent]:
    agent = OpenAICompatAgent(openai_settings)
    yield agent
    agent.close()


def test_a_redirect_is_refused_and_the_other_origin_gets_nothing(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    with OpenAIStandin() as other:
        location = other.url + "/chat/completions"
        openai_server.script(Fail(307, "", headers={"Location": location}))
        with pytest.raises(AgentError, match="never follows redirects") as caught:
            agent.ask("speaker_1: hello", None, lambda _: None)
        assert other.requests == []
    assert "agent.openai_url" in caught.value.hint
    assert not caught.value.retryable


def test_a_key_echoed_in_an_error_is_scrubbed(
    agent: OpenAICompatAgent,
    openai_server: OpenAIStandin,
    openai_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VOXROOM_TEST_OPENAI_KEY", KEY)
    openai_settings.agent.openai_api_key_env = "VOXROOM_TEST_OPENAI_KEY"
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}})
    openai_server.script(Fail(401, body))
    with pytest.raises(AgentError, match="refused the request") as caught:
        agent.ask("speaker_1: hello", None, lambda _: None)
    assert KEY not in str(caught.value) and "Incorrect API key provided: ***" in str(caught.value)
    assert openai_server.requests[-1].headers["Authorization"] == f"Bearer {KEY}"


def test_a_key_echoed_in_a_successful_reply_is_never_shown_or_kept(
    agent: OpenAICompatAgent,
    openai_server: OpenAIStandin,
    openai_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key comes back inside the answer, split across two deltas, with a lone surrogate."""
    monkeypatch.setenv("VOXROOM_TEST_OPENAI_KEY", KEY)
    openai_settings.agent.openai_api_key_env = "VOXROOM_TEST_OPENAI_KEY"
    openai_server.script(Stream(["Your key is ", KEY[:9], KEY[9:], " and \ud800 that is all."]))
    seen: list[str] = []
    reply = agent.ask("speaker_1: what is my key?", None, seen.append)
    assert KEY not in "".join(seen) and KEY[9:] not in "".join(seen)
    assert reply.text == "Your key is *** and \ufffd that is all."
    assert "".join(seen) == reply.text
    reply.text.encode("utf-8")
    history = agent.history(reply.conversation_id or "")
    assert KEY not in json.dumps(history)
