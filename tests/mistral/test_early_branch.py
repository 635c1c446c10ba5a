"""The Mistral agent's early answers through the real SDK: a branch of the conversation (restart
from its last entry), found from the history when this process has not seen the conversation's
last reply (a session continued from disk); forget deletes; a failure leaves nothing behind."""

from __future__ import annotations

import pytest

from tests.standin import Fault, MistralStandIn, Reply
from tui.backends import make_backends
from tui.config import Settings
from tui.errors import AgentError


def test_an_early_answer_in_a_continued_session_branches_from_the_history(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    first = make_backends(mistral_settings).agent.ask("One", None, lambda _t: None)
    agent = make_backends(mistral_settings).agent  # another process: it never saw that reply
    mistral_server.script(Reply("Early."))
    early = agent.ask("Two", first.conversation_id, lambda _t: None, early=True)
    assert early.text == "Early." and early.conversation_id not in (None, first.conversation_id)
    history = mistral_server.requests_to("conversations.history")
    (restart,) = mistral_server.requests_to("conversations.restart")
    assert (
        len(history) == 1
        and restart.json["from_entry_id"] == mistral_server.conversations[first.conversation_id][-1]["id"]
    )
    assert len(mistral_server.conversations[early.conversation_id]) == 4
    agent.forget(first.conversation_id)  # the used branch holds all of it
    assert list(mistral_server.conversations) == [early.conversation_id]
    again = agent.ask("Three", early.conversation_id, lambda _t: None, early=True)
    assert len(mistral_server.requests_to("conversations.history")) == 1  # its last entry was seen
    agent.forget(again.conversation_id)  # unused
    assert list(mistral_server.conversations) == [early.conversation_id]


def test_an_early_answer_cut_mid_stream_deletes_its_branch(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    agent = make_backends(mistral_settings).agent
    mistral_server.fail("conversations.start", Fault.cut(after_events=2), times=1)
    with pytest.raises(AgentError):
        agent.ask("One", None, lambda _t: None, early=True)
    assert mistral_server.call_count("conversations.delete") == 1
    assert mistral_server.conversations == {}
