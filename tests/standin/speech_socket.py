"""``GET /v1/audio/speech/realtime?model=...``: realtime speech over a WebSocket.

The protocol is the one the ``mistralai`` 3.7 SDK's models define (``mistralai/extra/realtime/speech.py``,
``client.audio.realtime_speech.connect(...)``): the server sends ``session.created`` first (a
``RealtimeSpeechSession``: ``request_id``, ``model``, ``voice``, ``is_ref_audio``, ``streaming_mode``,
``response_format``, ``expressiveness``); the client may send ``session.update`` (answered with
``session.updated``), then ``input_text.append {text}``, ``input_text.flush {text?}`` and
``input_text.end``. The server answers with ``speech.audio.delta {audio_data}`` (base64; ``pcm`` is
float32 little-endian mono at the script's rate) as it synthesises, and after ``input_text.end`` the
rest of the audio and ``speech.audio.done {usage}``. Problems are ``error`` events
``{"type": "error", "error": {message, code}}`` and the session goes on.

When text is spoken: ``responsive`` (the default) speaks the complete words received as soon as
there are :data:`RESPONSIVE_WORDS` of them (or a clause ends: ``, ; : . ! ?``); ``long_form`` waits
for a sentence end; ``flush`` and ``end`` speak everything received. Each chunk is the same tone
as ``POST /v1/audio/speech`` (:func:`tests.standin.audio.synthesize`), in ``block_seconds`` deltas.
Latency: ``speech_first_audio`` before the session's first delta, then ``block_seconds *
speech_real_time_factor`` before each next one.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from tests.standin.audio import synthesize
from tests.standin.calls import Call, StandInState
from tests.standin.realtime import (
    CODE_INVALID_MESSAGE,
    CODE_INVALID_SESSION,
    _Events,
    _Rejected,
    accept_socket,
)
from tests.standin.scripts import SpeechScript
from tests.standin.speech import FORMATS, SpeechRoute
from tests.standin.websocket import WebSocket, WebSocketClosed

RESPONSIVE_WORDS = 3
"""Complete words ``responsive`` mode waits for before it speaks (unless a clause ends first)."""
MAX_TEXT_CHARS = 20_000
"""Text one session accepts in all (more is refused with an error event)."""
MODES = ("responsive", "long_form")
SESSION_FIELDS = {"voice", "ref_audio", "streaming_mode", "response_format", "expressiveness"}
DEFAULT_VOICE = "gb_jane_neutral"
CODE_INVALID_TEXT = 3003
CODE_REFUSED = 403
"""The ``error`` code of text the service will not say (moderation), as ``POST /v1/audio/speech``'s 403."""
_CLAUSE = re.compile(r"[,;:.!?](\s+)")
_SENTENCE = re.compile(r"[.!?](\s+)")
_WORD = re.compile(r"\S+\s+")


class SpeechSocketRoute:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def handle(self, call: Call) -> None:
        accepted = accept_socket(call)
        if accepted is None:
            return
        ws, model = accepted
        script = self._state.next_script(self._state.speech)
        _Session(ws, call, self._state, model, script).run()


class _Session:
    def __init__(
        self, ws: WebSocket, call: Call, state: StandInState, model: str, script: SpeechScript
    ) -> None:
        self.ws = ws
        self.call = call
        self.state = state
        self.script = script
        self.fault = call.respond.fault
        self.events = _Events(ws, call, state)
        self.session: dict[str, Any] = {
            "request_id": state.new_id("ws"),
            "model": model,
            "voice": DEFAULT_VOICE,
            "is_ref_audio": False,
            "streaming_mode": "responsive",
            "response_format": "mp3",
            "expressiveness": 1.0,
        }
        self.pending = ""
        self.received = 0
        self.ended = False
        self.deltas = 0
        self.spoken: list[str] = call.record.ws_spoken

    def run(self) -> None:
        if not self.events.send({"type": "session.created", "session": dict(self.session)}):
            return
        try:
            while self.events.open:
                self._on_message(self.ws.receive())
        except WebSocketClosed:
            return

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.call.record.ws_messages.append({"type": None})
            self.events.error("Messages must be JSON objects with a 'type'", CODE_INVALID_MESSAGE)
            return
        self.call.record.ws_messages.append(dict(message))
        kind = message["type"]
        try:
            if kind == "session.update":
                self._update(message.get("session"))
            elif kind == "input_text.append":
                self._append(message.get("text"), required=True)
                self._speak(self._ready())
            elif kind == "input_text.flush":
                self._append(message.get("text"), required=False)
                self._speak(self._take_all())
            elif kind == "input_text.end":
                self._require_open()
                self.ended = True
                if self._speak(self._take_all()):
                    self._done()
            else:
                raise _Rejected(f"Unknown message type '{kind}'", CODE_INVALID_MESSAGE)
        except _Rejected as err:
            self.events.error(err.message, err.code)

    def _require_open(self) -> None:
        if self.ended:
            raise _Rejected("The text input has already ended", CODE_INVALID_TEXT)

    def _update(self, fields: Any) -> None:
        if not isinstance(fields, dict) or not fields:
            raise _Rejected("'session' must be a non-empty object", CODE_INVALID_SESSION)
        if self.received or self.ended:
            raise _Rejected("Session updates are rejected after text starts", CODE_INVALID_SESSION)
        unknown = set(fields) - SESSION_FIELDS
        if unknown:
            raise _Rejected(f"Unknown session field '{sorted(unknown)[0]}'", CODE_INVALID_SESSION)
        if fields.get("voice") is not None and fields.get("ref_audio") is not None:
            raise _Rejected("'voice' and 'ref_audio' are mutually exclusive", CODE_INVALID_SESSION)
        for name in ("voice", "ref_audio"):
            value = fields.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise _Rejected(f"'{name}' must be a non-empty string", CODE_INVALID_SESSION)
        if fields.get("streaming_mode") not in (None, *MODES):
            raise _Rejected(f"streaming_mode must be one of {', '.join(MODES)}", CODE_INVALID_SESSION)
        if fields.get("response_format") not in (None, *FORMATS):
            raise _Rejected(
                f"Unsupported response_format {fields['response_format']!r}", CODE_INVALID_SESSION
            )
        level = fields.get("expressiveness")
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, int | float) or level < 1.0
        ):
            raise _Rejected("expressiveness must be a number of at least 1.0", CODE_INVALID_SESSION)
        for name, value in fields.items():
            if value is not None:
                self.session[name] = value
        if fields.get("ref_audio") is not None:
            self.session["is_ref_audio"], self.session["voice"] = True, None
            del self.session["ref_audio"]
        self.events.send({"type": "session.updated", "session": dict(self.session)})

    def _append(self, text: Any, *, required: bool) -> None:
        self._require_open()
        if text is None and not required:
            return
        if not isinstance(text, str):
            raise _Rejected("'text' must be a string", CODE_INVALID_TEXT)
        if self.received + len(text) > MAX_TEXT_CHARS:
            raise _Rejected(f"A session takes at most {MAX_TEXT_CHARS} characters of text", CODE_INVALID_TEXT)
        self.received += len(text)
        self.pending += text

    def _ready(self) -> str:
        """The text the streaming mode speaks now (taken from ``pending``)."""
        pattern = _CLAUSE if self.session["streaming_mode"] == "responsive" else _SENTENCE
        cut = 0
        for match in pattern.finditer(self.pending):
            cut = match.end()
        if self.session["streaming_mode"] == "responsive":
            words = list(_WORD.finditer(self.pending))
            if len(words) >= RESPONSIVE_WORDS:
                cut = max(cut, words[-1].end())
        ready, self.pending = self.pending[:cut], self.pending[cut:]
        return ready

    def _take_all(self) -> str:
        ready, self.pending = self.pending, ""
        return ready

    def _speak(self, text: str) -> bool:
        """Send the audio of ``text`` (nothing when it is blank); False once the session is over."""
        if not text.strip():
            return self.events.open
        if self.fault.refuse_text is not None:
            return self.events.error(self.fault.refuse_text, CODE_REFUSED)
        self.spoken.append(text.strip())
        samples = synthesize(text.strip(), self.script)
        fmt = self.session["response_format"]
        latency = self.state.latency
        for piece in SpeechRoute(self.state)._pieces(samples, fmt, self.script):
            first = self.deltas == 0
            wait = latency.speech_first_audio + self.fault.first_audio_delay if first else 0.0
            wait += 0.0 if first else self.script.block_seconds * latency.speech_real_time_factor
            if not self.state.pause(wait):
                return False
            self.deltas += 1
            if self.fault.wrong_typed:
                payload: dict[str, Any] = {"type": "speech.audio.delta", "audio_data": len(piece)}
            elif self.fault.oversize is not None:
                payload = {"type": "speech.audio.delta", "audio_data": "A" * self.fault.oversize}
            else:
                payload = {"type": "speech.audio.delta", "audio_data": base64.b64encode(piece).decode()}
            if not self.events.send(payload):
                return False
        return True

    def _done(self) -> None:
        usage: Any = {
            "prompt_tokens": self.received,
            "completion_tokens": self.deltas,
            "total_tokens": self.received + self.deltas,
        }
        if self.fault.wrong_typed:
            usage = "lots"
        self.events.send({"type": "speech.audio.done", "usage": usage})
