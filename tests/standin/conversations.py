"""``/v1/conversations``: start, append and restart (JSON, or SSE with ``"stream": true``), history
and delete.

Replies come from the server's reply scripts (:class:`tests.standin.scripts.Reply`). ``"store":
false`` (the SDK's ``store``, default true) answers without keeping anything: a start keeps no
conversation (its id cannot be appended to), an append adds no entries. A restart (``from_entry_id``)
makes a new conversation holding the original's entries up to and including that entry, then the new
exchange; an entry id the conversation does not hold is a 400. A delete removes the conversation
(204; 404 when unknown). A request whose
``completion_args.response_format`` asks for a ``json_schema`` is answered, unless a script gives the
text, by JSON that follows the schema, built from the transcript it carries
(:mod:`tests.standin.structured`); a ``json_schema`` without a ``name`` or ``schema`` is a 422.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.standin.agents import not_found
from tests.standin.calls import Call, StandInState, now_iso
from tests.standin.faults import error_body
from tests.standin.scripts import Reply, ScriptedReference, split_text
from tests.standin.structured import answer_for, requested_schema
from tests.standin.wire import SseStream


def prompt_text(inputs: Any) -> str:
    """The user's last text in ``inputs`` (a string, or a list of entries / messages)."""
    if isinstance(inputs, str):
        return inputs
    if not isinstance(inputs, list):
        return ""
    for entry in reversed(inputs):
        if isinstance(entry, dict) and entry.get("role", "user") == "user":
            content = entry.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return ""


def input_entries(inputs: Any) -> list[dict[str, Any]]:
    text = prompt_text(inputs)
    return [
        {"object": "entry", "type": "message.input", "role": "user", "content": text, "created_at": now_iso()}
    ]


def reference_chunk(ref: ScriptedReference) -> dict[str, Any]:
    chunk: dict[str, Any] = {"type": "tool_reference", "tool": ref.tool, "title": ref.title, "url": ref.url}
    if ref.description is not None:
        chunk["description"] = ref.description
    if ref.favicon is not None:
        chunk["favicon"] = ref.favicon
    return chunk


class _Turn:
    """One scripted answer: its deltas, references, ids and usage."""

    def __init__(self, state: StandInState, reply: Reply, prompt: str, agent_id: str | None) -> None:
        self.reply = reply
        self.prompt = prompt
        self.agent_id = agent_id
        self.deltas = split_text(reply.text_for(prompt), reply.deltas)
        self.message_id = state.new_id("msg")
        self.tool_id = state.new_id("tool")
        self.output_index = 1 if reply.searches else 0

    def references_after(self, delta_count: int) -> list[ScriptedReference]:
        last = len(self.deltas)
        return [
            r
            for r in self.reply.references
            if (r.after_delta if r.after_delta is not None and r.after_delta <= last else last) == delta_count
        ]

    def usage(self) -> dict[str, Any]:
        prompt_tokens = len(self.prompt.split())
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(self.deltas),
            "total_tokens": prompt_tokens + len(self.deltas),
            "connector_tokens": 50 if self.reply.searches else None,
            "connectors": {"web_search": 1} if self.reply.searches else None,
        }

    def tool_entry(self) -> dict[str, Any]:
        return {
            "object": "entry",
            "type": "tool.execution",
            "id": self.tool_id,
            "name": "web_search",
            "arguments": json.dumps({"query": self.prompt}),
            "info": {},
            "created_at": now_iso(),
            "completed_at": now_iso(),
        }

    def message_entry(self) -> dict[str, Any]:
        text = "".join(self.deltas)
        content: Any = text
        if self.reply.references:
            chunks: list[dict[str, Any]] = []
            sent = 0
            for count in range(len(self.deltas) + 1):
                piece = "".join(self.deltas[sent:count])
                if piece:
                    chunks.append({"type": "text", "text": piece})
                    sent = count
                refs = self.references_after(count)
                chunks.extend(reference_chunk(r) for r in refs)
            content = chunks
        return {
            "object": "entry",
            "type": "message.output",
            "role": "assistant",
            "id": self.message_id,
            "content": content,
            "model": self.reply.model,
            "agent_id": self.agent_id,
            "created_at": now_iso(),
            "completed_at": now_iso(),
        }

    def outputs(self) -> list[dict[str, Any]]:
        return ([self.tool_entry()] if self.reply.searches else []) + [self.message_entry()]


class ConversationRoutes:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def start(self, call: Call) -> None:
        body = call.json
        agent_id = body.get("agent_id")
        if agent_id is None and not body.get("model"):
            call.respond.error(422, error_body(422, "Either 'agent_id' or 'model' is required"))
            return
        problem = _response_format_problem(body.get("completion_args"))
        if problem:
            call.respond.error(422, error_body(422, problem))
            return
        if agent_id is not None:
            with self._state.lock:
                known = agent_id in self._state.agents
            if not known:
                call.respond.error(404, not_found("Agent", agent_id))
                return
        conversation_id = self._state.new_id("conv")
        if _stored(call):
            with self._state.lock:
                self._state.conversations[conversation_id] = {"agent_id": agent_id, "entries": []}
        self._answer(call, conversation_id, agent_id)

    def append(self, call: Call) -> None:
        conversation_id = call.params["conversation_id"]
        with self._state.lock:
            conversation = self._state.conversations.get(conversation_id)
        if conversation is None:
            call.respond.error(404, not_found("Conversation", conversation_id))
            return
        self._answer(call, conversation_id, conversation["agent_id"])

    def restart(self, call: Call) -> None:
        conversation_id = call.params["conversation_id"]
        entry_id = call.json.get("from_entry_id")
        with self._state.lock:
            conversation = self._state.conversations.get(conversation_id)
            entries = list(conversation["entries"]) if conversation else []
        if conversation is None:
            call.respond.error(404, not_found("Conversation", conversation_id))
            return
        ids = [e.get("id") for e in entries]
        if not isinstance(entry_id, str) or entry_id not in ids:
            call.respond.error(
                400, error_body(400, f"Entry {entry_id!r} is not in conversation {conversation_id}")
            )
            return
        branch = self._state.new_id("conv")
        if _stored(call):
            kept = entries[: ids.index(entry_id) + 1]
            with self._state.lock:
                self._state.conversations[branch] = {"agent_id": conversation["agent_id"], "entries": kept}
        self._answer(call, branch, conversation["agent_id"])

    def delete(self, call: Call) -> None:
        conversation_id = call.params["conversation_id"]
        with self._state.lock:
            gone = self._state.conversations.pop(conversation_id, None)
        if gone is None:
            call.respond.error(404, not_found("Conversation", conversation_id))
            return
        call.respond.no_content()

    def history(self, call: Call) -> None:
        conversation_id = call.params["conversation_id"]
        with self._state.lock:
            conversation = self._state.conversations.get(conversation_id)
            entries = list(conversation["entries"]) if conversation else []
        if conversation is None:
            call.respond.error(404, not_found("Conversation", conversation_id))
            return
        call.respond.json(
            200, {"object": "conversation.history", "conversation_id": conversation_id, "entries": entries}
        )

    def _answer(self, call: Call, conversation_id: str, agent_id: str | None) -> None:
        inputs = call.json.get("inputs")
        reply = self._state.next_script(self._state.replies)
        args = call.json.get("completion_args")
        schema = requested_schema(args.get("response_format")) if isinstance(args, dict) else None
        if schema is not None and reply.text is None:
            reply = dataclasses.replace(reply, text=answer_for(schema, prompt_text(inputs)))
        turn = _Turn(self._state, reply, prompt_text(inputs), agent_id)
        if _stored(call):
            with self._state.lock:
                self._state.conversations[conversation_id]["entries"].extend(
                    input_entries(inputs) + turn.outputs()
                )
        if call.record.stream:
            self._stream(call, conversation_id, turn)
            return
        latency = self._state.latency
        count = len(turn.deltas)
        wait = latency.agent_first_token + reply.delta_delay * count
        if not self._state.pause(wait + latency.token_interval() * max(0, count - 1)):
            return
        call.respond.json(
            200,
            {
                "object": "conversation.response",
                "conversation_id": conversation_id,
                "outputs": turn.outputs(),
                "usage": turn.usage(),
            },
        )

    def _stream(self, call: Call, conversation_id: str, turn: _Turn) -> None:
        stream = call.respond.sse()
        started = {
            "type": "conversation.response.started",
            "conversation_id": conversation_id,
            "created_at": now_iso(),
        }
        if not stream.send("conversation.response.started", started):
            return
        if turn.reply.searches and not self._send_search(stream, turn):
            return
        if not self._send_message(stream, turn):
            return
        done = {"type": "conversation.response.done", "usage": turn.usage(), "created_at": now_iso()}
        if stream.send("conversation.response.done", done):
            stream.end()

    @staticmethod
    def _send_search(stream: SseStream, turn: _Turn) -> bool:
        common = {"id": turn.tool_id, "name": "web_search", "output_index": 0, "created_at": now_iso()}
        return stream.send(
            "tool.execution.started",
            {
                "type": "tool.execution.started",
                **common,
                "arguments": json.dumps({"query": turn.prompt}),
                "model": turn.reply.model,
                "agent_id": turn.agent_id,
            },
        ) and stream.send("tool.execution.done", {"type": "tool.execution.done", **common, "info": {}})

    def _send_message(self, stream: SseStream, turn: _Turn) -> bool:
        latency = self._state.latency
        next_index = 0
        text_index: int | None = None
        if not self._state.pause(latency.agent_first_token):
            return False
        for count in range(len(turn.deltas) + 1):
            if count > 0:
                wait = turn.reply.delta_delay + (latency.token_interval() if count > 1 else 0.0)
                if not self._state.pause(wait):
                    return False
                if text_index is None:
                    text_index, next_index = next_index, next_index + 1
                if not stream.send(
                    "message.output.delta", self._delta(turn, turn.deltas[count - 1], text_index)
                ):
                    return False
            for ref in turn.references_after(count):
                chunk_index, next_index, text_index = next_index, next_index + 1, None
                if not stream.send(
                    "message.output.delta", self._delta(turn, reference_chunk(ref), chunk_index)
                ):
                    return False
        return True

    @staticmethod
    def _delta(turn: _Turn, content: Any, content_index: int) -> dict[str, Any]:
        return {
            "type": "message.output.delta",
            "id": turn.message_id,
            "role": "assistant",
            "content": content,
            "output_index": turn.output_index,
            "content_index": content_index,
            "model": turn.reply.model,
            "agent_id": turn.agent_id,
            "created_at": now_iso(),
        }


def _stored(call: Call) -> bool:
    """The request's ``store`` (true unless it says ``false``)."""
    return call.json.get("store") is not False


def _response_format_problem(args: Any) -> str:
    """Why a ``completion_args.response_format`` would be refused (as the service does), or ``""``."""
    fmt = args.get("response_format") if isinstance(args, dict) else None
    if fmt is None:
        return ""
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        return "response_format.type must be one of text, json_object, json_schema"
    if fmt["type"] != "json_schema":
        return ""
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        return "response_format.json_schema.name is required"
    if not isinstance(spec.get("schema"), dict):
        return "response_format.json_schema.schema must be an object"
    return ""
