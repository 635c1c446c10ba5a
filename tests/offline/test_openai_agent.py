"""The OpenAI-compatible agent against a real HTTP stand-in server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.offline.openai_standin import Cut, Fail, OpenAIStandin, Stream
from tui.agent.openai import OpenAICompatAgent
from tui.config import Settings
from tui.errors import AgentError


@pytest.fixture
def agent(openai_settings: Settings) -> Iterator[OpenAICompatAgent]:
    agent = OpenAICompatAgent(openai_settings)
    yield agent
    agent.close()


def chat_requests(server: OpenAIStandin) -> list:
    return [r for r in server.requests if r.path == "/v1/chat/completions"]


def test_deltas_arrive_in_order_and_request_is_well_formed(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin, openai_settings: Settings
) -> None:
    openai_server.script(Stream(["The ", "answer ", "is ", "four."]))
    seen: list[str] = []
    reply = agent.ask("speaker_1: What is two plus two?", None, seen.append)

    assert seen == ["The ", "answer ", "is ", "four."]
    assert reply.text == "The answer is four."
    assert reply.conversation_id and len(reply.conversation_id) >= 16
    assert not reply.blocked
    (request,) = chat_requests(openai_server)
    assert request.method == "POST"
    body = request.body
    assert body["model"] == "standin-model"
    assert body["stream"] is True
    assert body["temperature"] == openai_settings.agent.temperature
    assert body["top_p"] == openai_settings.agent.top_p
    assert "tools" not in body
    assert body["messages"] == [
        {"role": "system", "content": openai_settings.agent.instructions},
        {"role": "user", "content": "speaker_1: What is two plus two?"},
    ]
    assert "authorization" not in {k.lower() for k in request.headers}


def test_deltas_are_delivered_while_the_response_is_still_open(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    gate = threading.Event()
    openai_server.script(Stream(["First", " second", " third."], gate=gate, gate_after=1))
    seen: list[str] = []

    def on_text(delta: str) -> None:
        seen.append(delta)
        gate.set()  # the server holds the rest of the reply until the first delta got here

    reply = agent.ask("hello", None, on_text)
    assert openai_server.state.gate_timeouts == 0
    assert reply.text == "First second third."
    assert seen[0] == "First"


def test_second_turn_sends_the_history_and_reuses_the_connection(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin, openai_settings: Settings
) -> None:
    openai_server.script(Stream(["Paris."]), Stream(["About two million."]))
    first = agent.ask("What is the capital of France?", None, lambda _: None)
    second = agent.ask("How many people live there?", first.conversation_id, lambda _: None)

    assert second.conversation_id == first.conversation_id
    assert second.text == "About two million."
    one, two = chat_requests(openai_server)
    assert two.body["messages"] == [
        {"role": "system", "content": openai_settings.agent.instructions},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "How many people live there?"},
    ]
    assert one.client_port == two.client_port, "the keep-alive connection was not reused"
    assert [m["role"] for m in agent.history(first.conversation_id or "")] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
    ]


def test_separate_conversations_do_not_share_history(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    a = agent.ask("first topic", None, lambda _: None)
    agent.ask("second topic", None, lambda _: None)
    agent.ask("back to the first", a.conversation_id, lambda _: None)
    third = chat_requests(openai_server)[2].body["messages"]
    assert [m["content"] for m in third if m["role"] == "user"] == ["first topic", "back to the first"]


def test_an_early_answer_is_a_branch_that_replaces_or_is_forgotten(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    """early=True: the exchange goes into a branch with the history so far; the conversation asked
    in is left as it was; forget drops a branch (unused) or the conversation a used one came from."""
    openai_server.script(Stream(["One."]), Stream(["Early."]), Stream(["Other."]))
    first = agent.ask("Q1", None, lambda _t: None)
    assert first.conversation_id is not None
    before = agent.history(first.conversation_id)
    used = agent.ask("Q2", first.conversation_id, lambda _t: None, early=True)
    assert used.conversation_id not in (None, first.conversation_id)
    assert agent.history(first.conversation_id) == before
    assert agent.history(used.conversation_id)[-2:] == [
        {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "Early."},
    ]
    assert agent.history(used.conversation_id)[:-2] == before
    unused = agent.ask("Q2 and more", used.conversation_id, lambda _t: None, early=True)
    agent.forget(unused.conversation_id)
    agent.forget(first.conversation_id)
    assert agent.history(unused.conversation_id) == agent.history(first.conversation_id) == []
    assert len(agent.history(used.conversation_id)) == len(before) + 2


def test_server_error_500_is_one_clear_agent_error(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    openai_server.script(Fail(500), Stream(["Recovered."]))
    with pytest.raises(AgentError) as info:
        agent.ask("hello", "conv-1", lambda _: None)
    err = info.value
    assert err.status == 500
    assert err.retryable
    assert "500" in err.message and "model crashed" in err.message
    assert err.message == f"The agent server at {openai_server.url} answered 500: model crashed."
    # The failed turn is not kept: the retry does not repeat the prompt twice.
    agent.ask("hello", "conv-1", lambda _: None)
    retry = chat_requests(openai_server)[1].body["messages"]
    assert [m["content"] for m in retry if m["role"] == "user"] == ["hello"]


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (404, '{"error": "model \\"nope\\" not found, try pulling it first"}', "not found"),
        (401, '{"error": {"message": "invalid api key"}}', "refused"),
        (400, "plain text failure", "plain text failure"),
    ],
)
def test_other_statuses_name_the_server_message(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin, status: int, body: str, words: str
) -> None:
    openai_server.script(Fail(status, body))
    with pytest.raises(AgentError) as info:
        agent.ask("hello", None, lambda _: None)
    assert info.value.status == status
    assert str(status) in info.value.message
    assert words in info.value.message
    assert not info.value.retryable


def test_cut_stream_is_an_agent_error(agent: OpenAICompatAgent, openai_server: OpenAIStandin) -> None:
    openai_server.script(Cut(["Half a ", "sentence"]))
    seen: list[str] = []
    with pytest.raises(AgentError) as info:
        agent.ask("hello", None, seen.append)
    assert seen == ["Half a ", "sentence"]
    assert openai_server.url in info.value.message
    assert "broke" in info.value.message or "stopped" in info.value.message


def test_stream_ending_without_finish_or_done_is_an_agent_error(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    openai_server.script(Stream(["Never ", "finished"], finish_reason=None, send_done=False))
    with pytest.raises(AgentError, match="stopped before it was finished"):
        agent.ask("hello", None, lambda _: None)


def test_finish_reason_without_done_is_accepted(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    openai_server.script(Stream(["Fine."], finish_reason="stop", send_done=False))
    assert agent.ask("hello", None, lambda _: None).text == "Fine."


def test_content_filter_is_a_blocked_reply(agent: OpenAICompatAgent, openai_server: OpenAIStandin) -> None:
    openai_server.script(Stream([], finish_reason="content_filter"))
    reply = agent.ask("something bad", None, lambda _: None)
    assert reply.blocked
    assert reply.text == ""


def test_escape_sequences_in_deltas_are_removed(
    agent: OpenAICompatAgent, openai_server: OpenAIStandin
) -> None:
    openai_server.script(Stream(["Hi \x1b[31mred\x1b[0m", " there."]))
    seen: list[str] = []
    reply = agent.ask("hello", None, seen.append)
    assert "\x1b" not in reply.text and reply.text == "Hi red there."


def test_api_key_from_the_named_environment_variable(
    openai_settings: Settings, openai_server: OpenAIStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai_settings.agent.openai_api_key_env = "VOXROOM_TEST_LLM_KEY"
    agent = OpenAICompatAgent(openai_settings)
    try:
        monkeypatch.delenv("VOXROOM_TEST_LLM_KEY", raising=False)
        with pytest.raises(AgentError, match="VOXROOM_TEST_LLM_KEY"):
            agent.ask("hello", None, lambda _: None)
        assert chat_requests(openai_server) == []
        monkeypatch.setenv("VOXROOM_TEST_LLM_KEY", "sk-local-123")
        agent.ask("hello", None, lambda _: None)
        (request,) = chat_requests(openai_server)
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["authorization"] == "Bearer sk-local-123"
    finally:
        agent.close()


def test_unreachable_server_is_an_agent_error(openai_settings: Settings) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    openai_settings.agent.openai_url = f"http://127.0.0.1:{port}/v1"
    agent = OpenAICompatAgent(openai_settings)
    try:
        with pytest.raises(AgentError, match="Cannot reach the agent server") as info:
            agent.ask("hello", None, lambda _: None)
        assert f"127.0.0.1:{port}" in info.value.message
        assert "agent.openai_url" in info.value.hint
    finally:
        agent.close()


@pytest.mark.parametrize(
    ("url", "model", "words"),
    [
        ("", "m", "No OpenAI-compatible server"),
        ("ftp://x", "m", "not an http"),
        ("http://127.0.0.1:1/v1", "", "No model"),
    ],
)
def test_incomplete_settings_fail_at_warm_up(
    openai_settings: Settings, url: str, model: str, words: str
) -> None:
    openai_settings.agent.openai_url = url
    openai_settings.agent.openai_model = model
    agent = OpenAICompatAgent(openai_settings)
    with pytest.raises(AgentError, match=words) as info:
        agent.warm_up()
    assert not info.value.retryable


def test_factory_builds_it_from_settings(openai_settings: Settings) -> None:
    from tui.backends import make_agent

    agent = make_agent(openai_settings)
    assert isinstance(agent, OpenAICompatAgent)
    assert agent.name == "openai"
