"""An agent on any OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp, LM Studio...).

``POST {agent.openai_url}/chat/completions`` with ``stream: true``; the reply arrives as server-sent
events (``data: {...}`` lines with ``choices[0].delta.content``, then ``data: [DONE]``). There are no
tools. The server keeps no state, so the conversation (system prompt, then alternating user and
assistant messages) is kept here in memory, keyed by a conversation id this agent makes up.
One ``httpx.Client`` is reused across turns so the connection stays open.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from tui.agent.base import json_schema_format
from tui.config import Settings
from tui.errors import AgentError, VoxroomError
from tui.model import Reply
from tui.net import ResponseRefused, make_client, split_credentials
from tui.redact import StreamScrubber, display_url, inbound, register_secret, scrub
from tui.text import clean


def _server_message(body: bytes | str) -> str:
    """The server's own words about an error, from the usual JSON shapes or the plain body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return inbound(" ".join(text.split()))[:200].rstrip(".")
    msg: Any = ""
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            msg = err.get("message") or ""
        elif isinstance(err, str):
            msg = err
        msg = msg or data.get("message") or data.get("detail") or ""
    if not isinstance(msg, str):
        msg = json.dumps(msg)
    return inbound(" ".join(msg.split()))[:200].rstrip(".")


class OpenAICompatAgent:
    """:class:`tui.agent.base.Agent` talking to an OpenAI-compatible chat-completions endpoint."""

    name = "openai"
    agent_id: str | None = None

    def __init__(self, settings: Settings) -> None:
        """Cheap: the HTTP client is opened by :meth:`warm_up` or the first :meth:`ask`."""
        self.settings = settings
        self.url = settings.agent.openai_url.strip().rstrip("/")
        """With any credentials it holds: for the HTTP client only. Messages show :attr:`display`."""
        self.display = display_url(self.url)
        self.model = settings.agent.openai_model.strip()
        self._client: Any = None
        self._lock = threading.Lock()
        self._history: dict[str, list[dict[str, str]]] = {}

    # -- setup ---------------------------------------------------------------------------------
    def _check_config(self) -> None:
        if not self.url:
            raise AgentError(
                "No OpenAI-compatible server is configured.",
                hint="Set agent.openai_url (e.g. http://127.0.0.1:11434/v1) and agent.openai_model.",
                retryable=False,
            )
        if not self.url.startswith(("http://", "https://")):
            raise AgentError(
                f"agent.openai_url '{self.display}' is not an http(s) URL.",
                hint="Use e.g. http://127.0.0.1:11434/v1.",
                retryable=False,
            )
        if not self.model:
            raise AgentError(
                f"No model is set for the agent server at {self.display}.",
                hint="Set agent.openai_model (e.g. mistral-small for Ollama).",
                retryable=False,
            )

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        env_name = self.settings.agent.openai_api_key_env.strip()
        if env_name:
            key = os.environ.get(env_name, "").strip()
            if not key:
                raise AgentError(
                    f"The environment variable {env_name} (agent.openai_api_key_env) is not set.",
                    hint=f"Export {env_name} with the server's key, or clear agent.openai_api_key_env.",
                    retryable=False,
                )
            register_secret(key)
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _get_client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._check_config()
                    import httpx

                    # trust_env=False: no proxy variables or .netrc; talk to exactly this URL.
                    self.url, gateway = split_credentials(self.url)
                    self._client = make_client(httpx, self.settings, headers=gateway, trust_env=False)
        return self._client

    def warm_up(self) -> None:
        """Check the settings and open the client (no request: servers differ in what they list)."""
        self._get_client()
        self._headers()

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- conversations -------------------------------------------------------------------------
    def history(self, conversation_id: str) -> list[dict[str, str]]:
        """A copy of the messages kept for a conversation (system prompt first); empty if unknown."""
        with self._lock:
            return [dict(m) for m in self._history.get(conversation_id, [])]

    def _messages(self, conversation_id: str, prompt: str) -> list[dict[str, str]]:
        with self._lock:
            past = self._history.get(conversation_id)
            if past is None:
                instructions = self.settings.agent.instructions.strip()
                past = [{"role": "system", "content": instructions}] if instructions else []
            return [*(dict(m) for m in past), {"role": "user", "content": prompt}]

    def _remember(self, conversation_id: str, messages: list[dict[str, str]], answer: str) -> None:
        with self._lock:
            self._history[conversation_id] = [*messages, {"role": "assistant", "content": answer}]

    # -- a turn ----------------------------------------------------------------------------------
    def forget(self, conversation_id: str) -> None:
        """Drop a conversation's history (kept here; nothing is on the server): an unused early
        answer's branch, or the one a used early answer branched from."""
        with self._lock:
            self._history.pop(conversation_id, None)

    def ask(
        self, prompt: str, conversation_id: str | None, on_text: Callable[[str], None], *, early: bool = False
    ) -> Reply:
        """``early``: the exchange is kept in a branch of its own (a copy of the history so far),
        which the next turn goes on from when the answer is used."""
        client = self._get_client()
        headers = self._headers()
        conversation_id = conversation_id or uuid.uuid4().hex
        messages = self._messages(conversation_id, prompt)
        if early:
            conversation_id = uuid.uuid4().hex
        agent = self.settings.agent
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": agent.temperature,
            "top_p": agent.top_p,
        }
        if agent.max_tokens:
            body["max_tokens"] = agent.max_tokens
        parts: list[str] = []
        shown = StreamScrubber()  # every delta enters here: a key echoed in the reply is never shown
        finish: str | None = None

        try:
            with client.stream(
                "POST", f"{self.url}/chat/completions", json=body, headers=headers
            ) as response:
                if response.status_code != 200:
                    raise self._status_error(response.status_code, response.read())
                for delta, reason in self._events(response.iter_lines()):
                    safe = shown.feed(delta) if delta else ""
                    if safe:
                        parts.append(safe)
                        on_text(safe)
                    if reason:
                        finish = reason
                tail = shown.flush()
                if tail:
                    parts.append(tail)
                    on_text(tail)
        except AgentError:
            raise
        except Exception as err:
            problem = self._transport_error(err, "The reply", " during the reply", "Retry the turn")
            if problem is None:
                raise
            raise problem from None
        text = scrub("".join(parts))
        blocked = finish == "content_filter"
        if not blocked:
            self._remember(conversation_id, messages, text)
        return Reply(
            text=text,
            conversation_id=conversation_id,
            blocked=blocked,
            moderation="Blocked by the server's content filter; rephrase the request." if blocked else None,
        )

    def _events(self, lines: Iterator[str]) -> Iterator[tuple[str, str | None]]:
        """``(text delta, finish_reason)`` per SSE event; raises when the stream ends early."""
        done = False
        finished = False
        for raw in lines:
            line = raw.strip()
            if not line.startswith("data:") or (done and not line):
                continue  # blank separators, comments (": keep-alive"), event:/id: fields
            payload = line[5:].strip()
            if done:
                continue  # read to the end of the body so the connection goes back to the pool
            if payload == "[DONE]":
                done = True
                continue
            try:
                event = json.loads(payload)
            except ValueError:
                raise AgentError(
                    f"The agent server at {self.display} sent a reply Voxroom cannot read.",
                    hint="Check that agent.openai_url points at an OpenAI-compatible /v1 endpoint.",
                ) from None
            if not isinstance(event, dict):
                continue
            if event.get("error"):
                message = _server_message(json.dumps(event))
                raise AgentError(f"The agent server at {self.display} failed mid-reply: {message}.")
            choices = event.get("choices") or []
            if not choices or not isinstance(choices[0], dict):
                continue
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            reason = choice.get("finish_reason")
            if reason:
                finished = True
            text = content if isinstance(content, str) else ""
            yield text, (reason if isinstance(reason, str) else None)
        if not (done or finished):
            raise AgentError(
                f"The reply from the agent server at {self.display} stopped before it was finished.",
                hint="Retry the turn.",
            )

    def _status_error(self, status: int, body: bytes) -> AgentError:
        message = _server_message(body)
        detail = f": {message}" if message else ""
        if status in (401, 403):
            return AgentError(
                f"The agent server at {self.display} refused the request ({status}){detail}.",
                hint="Check the key named by agent.openai_api_key_env.",
                status=status,
                retryable=False,
            )
        if status == 404:
            return AgentError(
                f"The agent server at {self.display} has no such model or endpoint (404){detail}.",
                hint="Check agent.openai_url (it usually ends in /v1) and agent.openai_model.",
                status=status,
                retryable=False,
            )
        return AgentError(
            f"The agent server at {self.display} answered {status}{detail}.",
            hint="Retry the turn." if status >= 500 or status == 429 else "",
            status=status,
            retryable=status >= 500 or status == 429,
        )

    # -- a structured answer ---------------------------------------------------------------------
    def _transport_error(self, err: Exception, what: str, during: str, again: str) -> VoxroomError | None:
        """The one sentence for a request that did not get through to the server (``None``: ``err``
        is not about the connection). ``what`` names the answer, ``again`` what to do."""
        import httpx

        if isinstance(err, ResponseRefused):
            from tui.mistral import translate_error

            return translate_error(err, "agent", what, self.display, "agent.openai_url")
        if isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout)):
            return AgentError(
                f"Cannot reach the agent server at {self.display}.",
                hint="Start the server, or check agent.openai_url.",
            )
        if isinstance(err, httpx.TimeoutException):
            return AgentError(
                f"The agent server at {self.display} did not answer within {self.settings.timeout_s:g} s.",
                hint=f"{again}, or check that the server is not overloaded.",
            )
        if isinstance(err, httpx.HTTPError):
            return AgentError(
                f"The connection to the agent server at {self.display} broke{during} ({type(err).__name__}).",
                hint=f"{again}.",
            )
        return None

    def ask_json(self, prompt: str, instructions: str, name: str, schema: dict[str, Any]) -> str:
        """One answer that follows the JSON ``schema`` (``response_format`` of type ``json_schema``,
        strict), not streamed, outside every conversation. Returns the answer's text (scrubbed of
        secrets); the caller checks it."""
        client = self._get_client()
        headers = {**self._headers(), "Accept": "application/json"}
        agent = self.settings.agent
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": prompt},
            ],
            "stream": False,
            "temperature": agent.temperature,
            "top_p": agent.top_p,
            "response_format": json_schema_format(name, schema),
        }
        if agent.max_tokens:
            body["max_tokens"] = agent.max_tokens

        try:
            response = client.post(f"{self.url}/chat/completions", json=body, headers=headers)
        except Exception as err:
            problem = self._transport_error(err, "The answer", "", "Try again")
            if problem is None:
                raise
            raise problem from None
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.content)
        try:
            data = response.json()
            message = data["choices"][0]["message"]
            content = message.get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise AgentError(
                f"The agent server at {self.display} sent an answer Voxroom cannot read.",
                hint="Check that agent.openai_url points at an OpenAI-compatible /v1 endpoint.",
            ) from None
        text = clean(content).strip() if isinstance(content, str) else ""
        if not text:
            raise AgentError(f"The agent server at {self.display} sent an empty answer.", hint="Try again.")
        return scrub(text)
