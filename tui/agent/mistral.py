"""The Mistral agent: created once through the Agents API, talked to through Conversations.

The agent's id is cached in the data dir keyed by a hash of its definition, so starting Voxroom
twice reuses it and changing the definition (model, prompt, tools, guardrails...) makes a new one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.agent.base import json_schema_format
from tui.config import Settings
from tui.errors import AgentError
from tui.mistral import MistralConnection
from tui.model import Reference, Reply
from tui.moderation import guardrail_sentence
from tui.redact import StreamScrubber, inbound, scrub

_BLOCK_WORDS = ("moderation", "guardrail", "blocked")


def agent_definition(settings: Settings) -> dict[str, Any]:
    """The JSON body sent to ``POST /v1/agents`` (and hashed for the cache)."""
    a = settings.agent
    completion: dict[str, Any] = {"temperature": a.temperature, "top_p": a.top_p}
    if a.max_tokens:
        completion["max_tokens"] = a.max_tokens
    body: dict[str, Any] = {
        "model": a.model,
        "name": a.name,
        "description": a.description,
        "instructions": a.instructions,
        "tools": [{"type": "web_search"}] if a.web_search else [],
        "completion_args": completion,
    }
    if a.moderation:
        moderation: dict[str, Any] = {"action": "block", "ignore_other_categories": False}
        if a.moderation_thresholds:
            moderation["custom_category_thresholds"] = dict(sorted(a.moderation_thresholds.items()))
        body["guardrails"] = [{"block_on_error": False, "moderation_llm_v2": moderation}]
    return body


def definition_hash(definition: dict[str, Any], server_url: str) -> str:
    blob = json.dumps({"server": server_url, "agent": definition}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class AgentCache:
    """``agents.json`` in the cache dir: definition hash -> agent id. Written atomically, 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, object]:
        """The cache's entries; a missing, linked, damaged, deep or huge file is an empty cache."""
        from tui.fsutil import UnreadableFile, read_json

        try:
            data = read_json(self.path, 1024 * 1024, within=self.path.parent)
        except UnreadableFile:
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        value = self._read().get(key)
        return value if isinstance(value, str) and value else None

    def put(self, key: str, agent_id: str | None) -> None:
        from tui.fsutil import atomic_write, make_private_dir

        data = self._read()
        if agent_id:
            data[key] = agent_id
        else:
            data.pop(key, None)
        make_private_dir(self.path.parent)
        atomic_write(self.path, json.dumps(data, indent=1).encode("utf-8"))


class MistralAgent:
    name = "mistral"

    def __init__(self, settings: Settings, connection: MistralConnection) -> None:
        self.settings = settings
        self.connection = connection
        self.definition = agent_definition(settings)
        self.key = definition_hash(self.definition, connection.server_url)
        self.cache = AgentCache(settings.cache_dir / "agents.json")
        self.agent_id: str | None = None
        self._lock = threading.Lock()
        self._entries: dict[str, str] = {}
        """conversation id -> the id of its last entry (the reply's), which an early answer's
        ``restart`` goes on from."""

    # -- the agent -------------------------------------------------------------------------------
    def warm_up(self) -> None:
        self.ensure_agent()

    def ensure_agent(self) -> str:
        with self._lock:
            if self.agent_id is None:
                self.agent_id = self.cache.get(self.key) or self._create()
            return self.agent_id

    def _create(self) -> str:
        try:
            agent = self.connection.client.beta.agents.create(**self.definition)
        except Exception as err:
            raise self.connection.translate(err, "agent", "Creating the agent") from None
        agent_id = str(agent.id)
        self.cache.put(self.key, agent_id)
        return agent_id

    def _forget_agent(self) -> None:
        with self._lock:
            self.agent_id = None
            self.cache.put(self.key, None)

    # -- a turn ----------------------------------------------------------------------------------
    def ask(
        self, prompt: str, conversation_id: str | None, on_text: Callable[[str], None], *, early: bool = False
    ) -> Reply:
        agent_id = self.ensure_agent()
        if early:
            return self._ask_early(prompt, conversation_id, agent_id, on_text)
        try:
            return self._stream(prompt, conversation_id, agent_id, on_text)
        except _NotFound as missing:
            gone = missing.what
        try:
            if gone == "agent":
                # The agent was deleted on the server: make it again and try once more.
                self._forget_agent()
                return self._stream(prompt, conversation_id, self.ensure_agent(), on_text)
            # The conversation is gone: start a new one with the same agent.
            return self._stream(prompt, None, agent_id, on_text)
        except _NotFound as still:
            raise AgentError(
                f"The reply failed: the {still.what} was not found on the server (404).",
                hint="Retry the turn.",
                status=404,
            ) from None

    def _ask_early(
        self, prompt: str, conversation_id: str | None, agent_id: str, on_text: Callable[[str], None]
    ) -> Reply:
        """An early answer in a branch: the Conversations API stores what its own model writes, never
        an answer given to it (an append always runs the model again), so the answer the room may
        hear is made where it can stay: a new conversation on the first turn, else ``restart`` from
        the conversation's last entry (a new conversation holding the entries up to that one, then
        this exchange), both stored. The session's conversation is not touched; a branch that is
        not used is deleted (:meth:`forget`), also when it is cut short here, and when one is used
        the runner forgets the conversation it branched from, so the server keeps one conversation
        per session, with one exchange per turn."""
        reply = Reply()
        try:
            if conversation_id:
                entry = self._last_entry(conversation_id)
                return self._stream(
                    prompt, conversation_id, agent_id, on_text, reply=reply, restart_from=entry
                )
            return self._stream(prompt, None, agent_id, on_text, reply=reply)
        except _NotFound as missing:
            raise AgentError(
                f"The early answer failed: the {missing.what} was not found on the server (404).", status=404
            ) from None
        except BaseException:
            if reply.conversation_id and reply.conversation_id != conversation_id:
                self.forget(reply.conversation_id)
            raise

    def _last_entry(self, conversation_id: str) -> str:
        """The id of the conversation's last entry: remembered from its last reply, else read from
        its history (a session continued from disk)."""
        with self._lock:
            known = self._entries.get(conversation_id)
        if known:
            return known
        try:
            history = self.connection.client.beta.conversations.get_history(conversation_id=conversation_id)
        except Exception as err:
            if getattr(err, "status_code", None) == 404:
                raise _NotFound("conversation") from None
            raise self.connection.translate(err, "agent", "The early answer") from None
        ids = [str(e.id) for e in getattr(history, "entries", None) or [] if getattr(e, "id", None)]
        if not ids:
            raise AgentError("The early answer failed: the conversation has no entry to go on from.")
        return ids[-1]

    def forget(self, conversation_id: str) -> None:
        """Delete a conversation nothing goes on from (see :meth:`tui.agent.base.Agent.forget`); a
        failure is logged, never raised: the turn is answered either way."""
        with self._lock:
            self._entries.pop(conversation_id, None)
        try:
            self.connection.client.beta.conversations.delete(conversation_id=conversation_id)
        except Exception as err:
            import logging

            logging.getLogger("voxroom").warning(
                "a conversation left by an early answer was not deleted: %s", type(err).__name__
            )

    def _stream(
        self,
        prompt: str,
        conversation_id: str | None,
        agent_id: str,
        on_text: Callable[[str], None],
        *,
        reply: Reply | None = None,
        restart_from: str | None = None,
    ) -> Reply:
        from mistralai.client.models import ConversationEvents

        from tui.sse import events as sse_events

        conversations = self.connection.client.beta.conversations
        reply = reply if reply is not None else Reply()
        reply.conversation_id = None if restart_from else conversation_id
        parts: list[str] = []
        shown = StreamScrubber()  # every delta enters here: a key echoed in the reply is never shown
        last_entry: list[str] = []

        def emit(text: str) -> None:
            safe = shown.feed(text)
            if safe:
                parts.append(safe)
                if not reply.blocked:
                    on_text(safe)

        finished = False
        events = 0
        try:
            if restart_from and conversation_id:
                stream = conversations.restart_stream(
                    conversation_id=conversation_id, from_entry_id=restart_from, inputs=prompt, store=True
                )
            elif conversation_id:
                stream = conversations.append_stream(conversation_id=conversation_id, inputs=prompt)
            else:
                stream = conversations.start_stream(agent_id=agent_id, inputs=prompt, store=True)
            with stream:
                for event in sse_events(stream, ConversationEvents):
                    events += 1
                    finished = self._handle(event.data, reply, emit, last_entry) or finished
        except AgentError:
            raise
        except Exception as err:
            status = getattr(err, "status_code", None)
            if status == 404:
                raise _NotFound("conversation" if conversation_id else "agent") from None
            if status == 403 and _mentions_block(getattr(err, "body", "")):
                reply.blocked = True
                reply.moderation = guardrail_sentence(getattr(err, "body", ""))
                return reply
            raise self.connection.translate(err, "agent", "The reply") from None
        tail = shown.flush()
        if tail:
            parts.append(tail)
            if not reply.blocked:
                on_text(tail)
        reply.text = scrub("".join(parts)).strip()
        if reply.blocked:
            return reply
        if events == 0 or (finished and not reply.text):
            raise AgentError("The agent sent an empty reply.", hint="Retry the turn.")
        if not finished:
            raise AgentError("The reply failed: the connection was cut mid-answer.", hint="Retry the turn.")
        if reply.conversation_id and last_entry:
            with self._lock:
                self._entries[reply.conversation_id] = last_entry[-1]
        return reply

    @staticmethod
    def _handle(data: Any, reply: Reply, emit: Callable[[str], None], entries: list[str]) -> bool:
        """Apply one SSE event (its text to ``emit``, its entry's id to ``entries``); returns True on
        ``conversation.response.done``."""
        kind = getattr(data, "type", None)
        if kind == "conversation.response.started":
            reply.conversation_id = str(data.conversation_id)
        elif kind == "message.output.delta":
            entry = getattr(data, "id", None)
            if isinstance(entry, str) and entry and entry not in entries:
                entries.append(entry)
            for text, ref in _content_parts(data.content):
                if ref is not None and ref not in reply.references:
                    reply.references.append(ref)
                if text:
                    emit(text)
        elif kind == "conversation.response.error":
            message = inbound(str(getattr(data, "message", "") or ""))
            if _mentions_block(message):
                reply.blocked = True
                reply.moderation = guardrail_sentence(None)
                return True
            code = getattr(data, "code", None)
            raise AgentError(f"The reply failed: the service reported an error ({code}): {message}.")
        elif kind == "conversation.response.done":
            return True
        # Tool execution, handoffs and unknown event types carry nothing Voxroom shows.
        return False

    # -- a structured answer ---------------------------------------------------------------------
    def ask_json(self, prompt: str, instructions: str, name: str, schema: dict[str, Any]) -> str:
        """One answer that follows the JSON ``schema`` (structured output: ``completion_args.
        response_format`` of type ``json_schema``, strict), in a conversation of its own with the
        agent's model and guardrails, not stored and not part of any session's conversation.
        Returns the answer's text (scrubbed of secrets); the caller checks it."""
        a = self.settings.agent
        completion: dict[str, Any] = {
            "temperature": a.temperature,
            "top_p": a.top_p,
            "response_format": json_schema_format(name, schema),
        }
        if a.max_tokens:
            completion["max_tokens"] = a.max_tokens
        extra: dict[str, Any] = {}
        if self.definition.get("guardrails"):
            extra["guardrails"] = self.definition["guardrails"]
        try:
            response = self.connection.client.beta.conversations.start(
                model=a.model,
                inputs=prompt,
                instructions=instructions,
                completion_args=completion,
                store=False,
                **extra,
            )
        except Exception as err:
            if getattr(err, "status_code", None) == 403 and _mentions_block(getattr(err, "body", "")):
                raise AgentError(guardrail_sentence(getattr(err, "body", "")), retryable=False) from None
            raise self.connection.translate(err, "agent", "The answer") from None
        parts = [
            text
            for entry in (getattr(response, "outputs", None) or [])
            if getattr(entry, "type", None) == "message.output"
            for text, _ in _content_parts(getattr(entry, "content", None))
        ]
        text = "".join(parts).strip()
        if not text:
            raise AgentError("The agent sent an empty answer.", hint="Try again.")
        return scrub(text)


class _NotFound(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _mentions_block(text: Any) -> bool:
    lowered = str(text or "").lower()
    return any(w in lowered for w in _BLOCK_WORDS)


def _content_parts(content: Any) -> list[tuple[str, Reference | None]]:
    """A ``message.output.delta`` content is a string or chunk(s): text and tool references."""
    if content is None:
        return []
    if isinstance(content, str):
        return [(content, None)]
    chunks = content if isinstance(content, list) else [content]
    out: list[tuple[str, Reference | None]] = []
    for chunk in chunks:
        kind = getattr(chunk, "type", None)
        if kind == "text":
            text = getattr(chunk, "text", "")
            out.append((text if isinstance(text, str) else "", None))
        elif kind == "tool_reference":
            url = getattr(chunk, "url", None)
            ref = Reference(
                title=inbound(str(getattr(chunk, "title", "") or ""))[:300],
                url=inbound(url)[:2000] if isinstance(url, str) else "",
                source=inbound(str(getattr(chunk, "tool", "") or ""))[:100],
            )
            out.append(("", ref))
    return out
