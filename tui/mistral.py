"""One Mistral SDK client per process, with keep-alive, retries and error translation.

``mistralai`` is imported only when a Mistral backend first needs it, so the TUI starts fast.
"""

from __future__ import annotations

import json
import threading
from typing import Any, ClassVar

from tui.config import PUBLIC_SERVER, Settings
from tui.errors import BackendError
from tui.net import ResponseRefused, make_client, split_credentials
from tui.redact import display_url

TURN_MODELS = (
    "ConversationStreamRequest",
    "ConversationAppendStreamRequest",
    "ConversationInputs",
    "ConversationEvents",
    "SpeechRequest",
    "SpeechStreamEvents",
    "TranscriptionResponse",
)
"""SDK models a turn builds or reads, imported by :meth:`MistralConnection.warm_up`."""


class MistralConnection:
    """Holds the SDK client. Every backend of one process shares it (and its HTTP connections)."""

    _instances: ClassVar[dict[tuple[str, int, float, float], MistralConnection]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server_url = settings.server_url or PUBLIC_SERVER
        """With any credentials it holds: for the HTTP client only (show :attr:`display`)."""
        self.display = display_url(self.server_url)
        self.timeout_ms = int(settings.timeout_s * 1000)
        """The read timeout, for calls that do not go through the HTTP client (the realtime socket)."""
        self._client: Any = None
        self._client_lock = threading.Lock()

    @classmethod
    def shared(cls, settings: Settings) -> MistralConnection:
        key = (settings.server_url, hash(settings.api_key), settings.timeout_s, settings.deadline_s)
        with cls._lock:
            conn = cls._instances.get(key)
            if conn is None:
                conn = cls._instances[key] = cls(settings)
            return conn

    @property
    def client(self) -> Any:
        """The ``mistralai`` client, created on first use (this is where the SDK is imported)."""
        with self._client_lock:
            if self._client is None:
                import httpx2
                from mistralai.client import Mistral
                from mistralai.client.utils import BackoffStrategy, RetryConfig

                retries = RetryConfig(
                    "backoff",
                    BackoffStrategy(
                        initial_interval=300,
                        max_interval=4000,
                        exponent=2.0,
                        max_elapsed_time=int(self.settings.retry_max_s * 1000),
                    ),
                    # An unreachable server fails at once; 429/5xx answers are retried.
                    retry_connection_errors=False,
                )
                url, gateway = split_credentials(self.server_url)
                http = make_client(
                    httpx2,
                    self.settings,
                    headers=gateway,
                    limits=httpx2.Limits(max_keepalive_connections=8, keepalive_expiry=120),
                )
                # Timeouts: the client's own (make_client), whatever the SDK sets per call.
                self._client = Mistral(
                    api_key=self.settings.api_key.reveal() or "none",
                    server_url=url,
                    client=http,
                    retry_config=retries,
                )
            return self._client

    def warm_up(self) -> None:
        """Create the client, and import the parts of the SDK a turn uses (the SDK imports each
        sub-API and model module on first use: over a second of import under the GIL on a busy
        machine, which would otherwise fall on the first turn and stall the UI's meter)."""
        client = self.client
        _ = client.beta.conversations, client.audio.speech, client.audio.transcriptions
        from mistralai.client import models

        for name in TURN_MODELS:
            getattr(models, name)

    def translate(self, err: BaseException, step: str, what: str) -> BackendError:
        """Turn any SDK / transport error into one clear sentence naming what failed."""
        return translate_error(err, step, what, self.display)


def _body_message(body: str) -> str:
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return ""
    if isinstance(data, dict):
        msg = data.get("message") or data.get("detail") or ""
        if isinstance(msg, list | dict):
            msg = json.dumps(msg)[:200]
        return str(msg).strip().rstrip(".")[:200]
    return ""


def translate_error(
    err: BaseException, step: str, what: str, server: str, setting: str = "MISTRAL_SERVER_URL"
) -> BackendError:
    """One sentence for a failed call to ``server`` (a display URL); ``setting`` is where it is set."""
    cls = error_class(step)
    if isinstance(err, ResponseRefused):
        hints = {
            "redirect": f"Set {setting} to the address the service really answers at.",
            "deadline": "Retry the turn, or raise deadline_s if answers are this slow.",
        }
        return cls(
            f"{what} failed: {err.reason}.",
            hint=hints.get(err.kind, f"Check that {setting} points at the right service."),
            retryable=err.retryable,
        )
    status = getattr(err, "status_code", None)
    if isinstance(status, int) and status >= 400:
        detail = _body_message(getattr(err, "body", "") or "")
        suffix = f": {detail}." if detail else "."
        if status == 401:
            return cls(
                f"{what} failed: Mistral rejected the API key (401).",
                hint="Check MISTRAL_API_KEY.",
                status=status,
                retryable=False,
            )
        if status == 403:
            return cls(f"{what} was refused by Mistral (403){suffix}", status=status, retryable=False)
        if status == 404:
            return cls(f"{what} failed: not found on the server (404){suffix}", status=status)
        if status == 422:
            return cls(
                f"{what} failed: Mistral could not accept the request (422){suffix}",
                status=status,
                retryable=False,
            )
        if status == 429:
            after = ""
            headers = getattr(err, "headers", None)
            if headers is not None and headers.get("retry-after"):
                after = f" for {headers.get('retry-after')} s"
            return cls(
                f"{what} failed: Mistral is rate-limiting requests (429){after}.",
                hint="Wait a moment, then retry the turn.",
                status=status,
            )
        return cls(
            f"{what} failed: Mistral had a server error ({status}){suffix}",
            hint="Retry the turn.",
            status=status,
        )
    name = type(err).__name__
    text = str(err).lower()
    if "Connect" in name or isinstance(err, ConnectionError):
        return cls(
            f"{what} failed: could not reach {server}.",
            hint=f"Check the network or {setting}, then retry.",
        )
    if "Timeout" in name or "timed out" in text:
        return cls(f"{what} failed: Mistral did not answer in time.", hint="Retry the turn.")
    if "RemoteProtocolError" in name or "ReadError" in name or "incomplete" in text or "peer closed" in text:
        return cls(f"{what} failed: the connection was cut mid-answer.", hint="Retry the turn.")
    if name in {"ResponseValidationError", "ValidationError", "JSONDecodeError"}:
        return cls(f"{what} failed: the server sent a response Voxroom could not read.")
    return cls(f"{what} failed: {name}.", hint="Retry the turn.")


def error_class(step: str) -> type[BackendError]:
    from tui.errors import AgentError, SpeechError, TranscriptionError

    return {"transcription": TranscriptionError, "agent": AgentError, "speech": SpeechError}.get(
        step, BackendError
    )
