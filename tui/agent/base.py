"""The agent interface."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tui.model import NO_AGENT_NEXT_STEP, Reply


class Agent(Protocol):
    """Answers a transcript within a conversation, streaming its text.

    ``ask`` calls ``on_text`` with each text delta as it arrives (from the calling thread) and returns
    the whole :class:`Reply`, whose ``conversation_id`` continues the conversation next turn.
    Raises :class:`tui.errors.AgentError` on failure; a moderation block is a ``Reply`` with
    ``blocked=True``, not an error.
    """

    name: str
    agent_id: str | None
    """The remote agent's id once it exists (Mistral's Agents API); ``None`` for the others."""

    def warm_up(self) -> None:
        """Open the HTTP client and make sure the remote agent exists. Idempotent, may block."""

    def ask(
        self,
        prompt: str,
        conversation_id: str | None,
        on_text: Callable[[str], None],
        *,
        early: bool = False,
    ) -> Reply:
        """``early=True``: an early (speculative) answer, made in a branch of its own that holds the
        conversation so far and this one exchange; ``conversation_id`` is left as it was. The
        reply's ``conversation_id`` is the branch: the next turn goes on from it when the answer is
        used (and the conversation it branched from is forgotten), and :meth:`forget` removes it
        when it is not."""
        ...

    def forget(self, conversation_id: str) -> None:
        """Delete a conversation nothing goes on from: an unused early answer's branch, or the one a
        used early answer branched from (the branch holds all of it). Never raises."""
        ...


class NoAgent:
    """Used when no agent is configured: the turn still records, transcribes and stores."""

    name = "none"
    agent_id: str | None = None
    MESSAGE = f"No agent is configured, so the transcript was kept but not answered. {NO_AGENT_NEXT_STEP}"

    def warm_up(self) -> None:
        return None

    def ask(
        self, prompt: str, conversation_id: str | None, on_text: Callable[[str], None], *, early: bool = False
    ) -> Reply:
        raise NotImplementedError("NoAgent never answers; check `name == 'none'` first.")

    def forget(self, conversation_id: str) -> None:
        return None


def json_schema_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The ``response_format`` asking for an answer that follows ``schema`` (strict): the same shape
    in Mistral's ``completion_args`` and in an OpenAI-compatible request."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
