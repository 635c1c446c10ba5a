"""``GET /v1/audio/transcriptions/realtime?model=...``: realtime transcription over a WebSocket.

The protocol is the one the ``mistralai`` 3.7 SDK's models define (``mistralai/extra/realtime``):
the server sends ``session.created`` first; the client may send ``session.update`` (answered with
``session.updated``), then ``input_audio.append`` (base64 PCM, at most 262144 bytes decoded),
``input_audio.flush`` and ``input_audio.end``. The server answers with ``transcription.language``,
``transcription.text.delta`` (one word per :data:`SECONDS_PER_WORD` of audio received, so text
arrives while audio streams; or, with the script's ``word_ends``, each word once the audio holds its
end plus ``target_streaming_delay_ms``), and after ``input_audio.end``: the remaining deltas, one
``transcription.segment`` per scripted segment when the session has ``diarize`` (like the batch
route: segments spread over the audio received, ``speaker_id`` included), then
``transcription.done`` (with turn detection, a turn's segments go out with its ``turn.end`` once
all of its words are out). Problems are ``error`` events ``{"type": "error", "error": {message, code}}``.
With ``TranscriptionScript(by_voice=True)`` the received audio is diarized by pitch at
``input_audio.end`` (all deltas come then), naming voices after the session's ``speaker_references``.

Turn detection (a session with ``turn_detection``): ``turn.start`` when speech begins and
``turn.end`` once ``min_silence_ms`` of quiet followed it (``time_s``: where the speech ended), from
an energy detector on 20 ms frames (:class:`TurnDetector`; the real service's is semantic). As on the
service, a turn's text is out before its ``turn.end``: the stand-in sends the rest of the script's
words first (all of them: its text is not tied to the audio), except ``late_words``, which wait for
``input_audio.end``. ``TranscriptionScript(turns=...)`` sends chosen turn events at chosen points of
the audio instead (:class:`tests.standin.scripts.ScriptedTurn`), the words only as they say.
:meth:`MistralStandIn.hold_realtime_done` keeps ``transcription.done`` back.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from tests.standin.calls import Call, StandInState
from tests.standin.faults import Fault, error_body
from tests.standin.scripts import TranscriptionScript
from tests.standin.transcription import (
    REFUSED_REFERENCES,
    TranscriptionRoute,
    reference_pitches,
    voice_script,
)
from tests.standin.websocket import WebSocket, WebSocketClosed, handshake_problem
from tests.standin.wire import MALFORMED_JSON, UNKNOWN_EVENT

SECONDS_PER_WORD = 0.4
"""Audio per streamed word: a delta goes out each time this much more audio has arrived."""
DEFAULT_DELAY_MS = 240
"""``target_streaming_delay_ms`` of a session that sets none (Voxroom's default, ``realtime_delay_ms``)."""
MAX_APPEND_BYTES = 262_144
"""The SDK's documented limit for one ``input_audio.append`` (decoded)."""
BYTES_PER_SAMPLE = {
    "pcm_s16le": 2,
    "pcm_s32le": 4,
    "pcm_f16le": 2,
    "pcm_f32le": 4,
    "pcm_mulaw": 1,
    "pcm_alaw": 1,
}
SESSION_FIELDS = {
    "audio_format",
    "target_streaming_delay_ms",
    "diarize",
    "context_bias",
    "language",
    "speaker_references",
    "turn_detection",
}
DEFAULT_FORMAT = {"encoding": "pcm_s16le", "sample_rate": 16_000}
TURN_FIELDS = {"start_threshold", "eager_end_threshold", "end_threshold", "min_silence_ms", "end_timeout_ms"}
TURN_FRAME_S = 0.02
TURN_FLOOR = 0.01
"""A frame quieter than this (RMS) is never speech."""
TURN_RELATIVE = 0.1
"""... nor one quieter than this fraction of the loudest frame so far (20 dB down)."""
# Error codes of the stand-in's error events (the real service's codes are not documented).
CODE_INVALID_MESSAGE = 3001
CODE_INVALID_SESSION = 3002
CODE_INVALID_AUDIO = 3003


class _Rejected(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _Events:
    """Sends server events on the socket, applying the call's fault (counts events from 1)."""

    def __init__(self, ws: WebSocket, call: Call, state: StandInState) -> None:
        self._ws = ws
        self._call = call
        self._fault: Fault = call.respond.fault
        self._state = state
        self.count = 0
        self.open = True

    def send(self, payload: dict[str, Any]) -> bool:
        """Send one event; False once the session is over (fault, client gone)."""
        if not self.open:
            return False
        fault = self._fault
        if fault.empty:
            return True  # say nothing at all
        if fault.error_event is not None and self.count >= fault.error_after_events:
            message, code = fault.error_event
            self._emit(json.dumps({"type": "error", "error": {"message": message, "code": code}}).encode())
            self.open = False
            self._ws.close_and_drain(1011)
            return False
        data = json.dumps(payload).encode()
        if fault.malformed and self.count + 1 == fault.malformed_event:
            data = MALFORMED_JSON
        if not self._emit(data):
            return False
        if fault.unknown_event and self.count == 1:
            unknown = {"type": UNKNOWN_EVENT, "note": "an event type this SDK does not know"}
            if not self._emit(json.dumps(unknown).encode()):
                return False
        if fault.cut_after_events is not None and self.count >= fault.cut_after_events:
            self.open = False
            self._ws.abort()
            return False
        if fault.stall_after_events is not None and self.count >= fault.stall_after_events:
            # Neither read nor write any more: the client's sends pile up in the TCP buffers.
            self.open = False
            self._call.record.stalled = True
            self._state.pause(3600.0)
            self._ws.abort()
            return False
        return True

    def error(self, message: str, code: int) -> bool:
        return self.send({"type": "error", "error": {"message": message, "code": code}})

    def _emit(self, data: bytes) -> bool:
        if not self._ws.send_text(data):
            self._call.record.client_disconnected = True
            self.open = False
            return False
        self.count += 1
        self._call.record.events_sent = self.count
        try:
            self._call.record.ws_sent.append(str(json.loads(data).get("type")))
        except (ValueError, AttributeError):
            self._call.record.ws_sent.append("<malformed>")
        return True


def accept_socket(call: Call) -> tuple[WebSocket, str] | None:
    """Upgrade a socket route's request (``?model=`` required) and return the socket and the model;
    answer a bad handshake with 400 and a missing model with 422 (then ``None``)."""
    handler = call.respond.handler
    problem = handshake_problem(handler)
    if problem is not None:
        call.respond.error(400, error_body(400, problem))
        return None
    model = (parse_qs(call.record.query).get("model") or [""])[-1]
    if not model:
        call.respond.error(422, error_body(422, "Query parameter 'model' is required"))
        return None
    ws = WebSocket(handler)
    ws.accept()
    call.record.status = 101
    return ws, model


class RealtimeRoute:
    def __init__(self, state: StandInState) -> None:
        self._state = state

    def handle(self, call: Call) -> None:
        accepted = accept_socket(call)
        if accepted is None:
            return
        ws, model = accepted
        script = self._state.next_script(self._state.transcriptions)
        _Session(ws, call, self._state, model, script).run()


class _Session:
    def __init__(
        self, ws: WebSocket, call: Call, state: StandInState, model: str, script: TranscriptionScript
    ) -> None:
        self.ws = ws
        self.call = call
        self.state = state
        self.events = _Events(ws, call, state)
        self.script = script
        self.session: dict[str, Any] = {
            "request_id": state.new_id("rt"),
            "model": model,
            "audio_format": dict(DEFAULT_FORMAT),
        }
        self.audio_bytes = 0
        self.ended = False
        self.references: dict[str, float] = {}
        self.deltas = [] if script.by_voice else _deltas(script)
        self.sent_deltas = 0
        self.sent_segments = 0
        self.turns: TurnDetector | None = None
        self.sent_turns = 0

    @property
    def seconds(self) -> float:
        fmt = self.session["audio_format"]
        return self.audio_bytes / (BYTES_PER_SAMPLE[fmt["encoding"]] * fmt["sample_rate"])

    def run(self) -> None:
        prelude = self.call.respond.fault.prelude
        if prelude is not None:
            count, size = prelude
            filler = "x" * max(0, size - 40)
            for _ in range(count):
                if not self.events.send({"type": "stand_in.prelude", "fill": filler}):
                    return
        if not self.events.send({"type": "session.created", "session": dict(self.session)}):
            return
        try:
            while self.events.open:
                message = self.ws.receive()
                self._on_message(message)
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
        kind = message["type"]
        logged = {k: v for k, v in message.items() if k != "audio"}
        self.call.record.ws_messages.append(logged)
        try:
            if kind == "session.update":
                self._update(message.get("session"))
            elif kind == "input_audio.append":
                logged["audio_bytes"] = self._append(message.get("audio"))
            elif kind == "input_audio.flush":
                self._require_open()
            elif kind == "input_audio.end":
                self._require_open()
                self._end()
            else:
                raise _Rejected(f"Unknown message type '{kind}'", CODE_INVALID_MESSAGE)
        except _Rejected as err:
            self.events.error(err.message, err.code)

    def _require_open(self) -> None:
        if self.ended:
            raise _Rejected("The audio input has already ended", CODE_INVALID_AUDIO)

    def _update(self, fields: Any) -> None:
        if not isinstance(fields, dict) or not fields:
            raise _Rejected("'session' must be a non-empty object", CODE_INVALID_SESSION)
        if self.audio_bytes or self.ended:
            raise _Rejected("Session updates are rejected after audio starts", CODE_INVALID_SESSION)
        unknown = set(fields) - SESSION_FIELDS
        if unknown:
            raise _Rejected(f"Unknown session field '{sorted(unknown)[0]}'", CODE_INVALID_SESSION)
        fmt = fields.get("audio_format")
        if fmt is not None and (
            not isinstance(fmt, dict)
            or fmt.get("encoding") not in BYTES_PER_SAMPLE
            or not isinstance(fmt.get("sample_rate"), int)
            or not 8000 <= fmt["sample_rate"] <= 96_000
        ):
            raise _Rejected("Invalid audio_format", CODE_INVALID_SESSION)
        delay = fields.get("target_streaming_delay_ms")
        if delay is not None and (not isinstance(delay, int) or not 80 <= delay <= 1200):
            raise _Rejected("target_streaming_delay_ms must be between 80 and 1200", CODE_INVALID_SESSION)
        turn = fields.get("turn_detection")
        if turn is not None and not _valid_turn_detection(turn):
            raise _Rejected("Invalid turn_detection", CODE_INVALID_SESSION)
        if fields.get("diarize") not in (None, True, False):
            raise _Rejected("diarize must be a boolean", CODE_INVALID_SESSION)
        refs = fields.get("speaker_references")
        if refs is not None and not (fields.get("diarize") or self.session.get("diarize")):
            raise _Rejected("speaker_references requires diarize", CODE_INVALID_SESSION)
        if refs is not None:
            if self.call.respond.fault.references_status is not None:
                raise _Rejected(self.call.respond.fault.message or REFUSED_REFERENCES, CODE_INVALID_SESSION)
            try:
                self.references = reference_pitches(refs)
            except ValueError as err:
                raise _Rejected(f"Invalid speaker_references: {err}", CODE_INVALID_SESSION) from None
        for name, value in fields.items():
            if value is None:
                continue
            self.session[name] = sorted(value) if name == "speaker_references" else value
        self.events.send({"type": "session.updated", "session": dict(self.session)})

    def _append(self, audio: Any) -> int:
        self._require_open()
        if not isinstance(audio, str):
            raise _Rejected("'audio' must be a base64 string", CODE_INVALID_AUDIO)
        try:
            data = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise _Rejected("'audio' is not valid base64", CODE_INVALID_AUDIO) from None
        if len(data) > MAX_APPEND_BYTES:
            raise _Rejected(f"Audio chunk exceeds {MAX_APPEND_BYTES} bytes", CODE_INVALID_AUDIO)
        self.audio_bytes += len(data)
        self.call.record.ws_audio.extend(data)
        on_time = len(self.deltas) - min(len(self.deltas), self.script.late_words)
        turn = self.session.get("turn_detection")
        if turn is not None and self.script.turns:
            self._scripted_turns(on_time)
            return len(data)
        self._send_deltas(min(on_time, self._due_words()))
        if turn is not None:
            fmt = self.session["audio_format"]
            if self.turns is None:
                self.turns = TurnDetector(fmt["sample_rate"], turn.get("min_silence_ms", 500))
            for kind, at in self.turns.feed(_samples(data, fmt["encoding"])):
                if kind == "turn.end":
                    if self.script.word_ends is None:
                        self._send_deltas(on_time)  # a turn's text is out before its end
                    if self.sent_deltas == len(self.deltas):
                        self._send_segments()  # and its segments, once every word is out
                    when = at if self.script.turn_end_at is None else self.script.turn_end_at
                    event = {"type": kind, "time_s": when, "end_reason": "threshold"}
                else:
                    event = {"type": kind, "time_s": at}
                if not self.events.send(event):
                    break
        return len(data)

    def _scripted_turns(self, on_time: int) -> None:
        """The script's turn events whose point of the audio has now been received: a ``turn.end``
        after the words it says are out by then (a turn's text is out before its end), a
        ``turn.start`` / ``turn.resume`` before them (the words of speech that came back)."""
        while self.sent_turns < len(self.script.turns) and self.events.open:
            scripted = self.script.turns[self.sent_turns]
            if self.seconds + 1e-9 < scripted.at:
                return
            self.sent_turns += 1
            upto = on_time if scripted.words is None else min(on_time, scripted.words)
            if scripted.kind in ("turn.start", "turn.resume"):
                self.events.send({"type": scripted.kind, "time_s": scripted.at})
            self._send_deltas(upto)
            if scripted.kind == "turn.end":
                if self.sent_deltas == len(self.deltas):
                    self._send_segments()
                self.events.send({"type": "turn.end", "time_s": scripted.at, "end_reason": "threshold"})

    def _due_words(self) -> int:
        """How many words are due after the audio received so far."""
        ends = self.script.word_ends
        if ends is None:
            return int(self.seconds / SECONDS_PER_WORD)
        delay = self.session.get("target_streaming_delay_ms") or DEFAULT_DELAY_MS
        return bisect.bisect_right(ends, self.seconds - delay / 1000.0)

    def _send_deltas(self, upto: int) -> None:
        while self.sent_deltas < upto and self.events.open:
            language = {"type": "transcription.language", "audio_language": self.script.language}
            if self.sent_deltas == 0 and self.script.language and not self.events.send(language):
                return
            text = self.deltas[self.sent_deltas]
            self.sent_deltas += 1
            self.call.record.ws_delta_at.append(round(self.seconds, 3))
            self.events.send({"type": "transcription.text.delta", "text": text})

    def _end(self) -> None:
        self.ended = True
        if not self.state.pause(self.state.latency.realtime_done) or not self.state.wait_held():
            return
        if self.script.by_voice:
            fmt = self.session["audio_format"]
            samples = _samples(bytes(self.call.record.ws_audio), fmt["encoding"])
            self.script = voice_script(self.script, samples, fmt["sample_rate"], self.references or None)
            self.deltas = _deltas(self.script)
        self._send_deltas(len(self.deltas))
        if not self._send_segments():
            return
        self.events.send({**self._answer(), "type": "transcription.done"})

    def _answer(self) -> dict[str, Any]:
        diarize = bool(self.session.get("diarize"))
        return TranscriptionRoute._answer(
            self.session["model"], self.script, self.seconds, diarize, with_segments=diarize
        )

    def _send_segments(self) -> bool:
        """Send the ``transcription.segment`` events not sent yet (with ``diarize``, not ``by_voice``
        before the end); False once the session is over."""
        if self.script.by_voice and not self.ended:
            return True
        for seg in self._answer()["segments"][self.sent_segments :]:
            self.sent_segments += 1
            event = {k: v for k, v in seg.items() if k != "type"} | {"type": "transcription.segment"}
            if not self.events.send(event):
                return False
        return True


class TurnDetector:
    """Turn events from audio: an energy detector on 20 ms frames (fed any block size).

    ``turn.start`` at the first loud frame after quiet; ``turn.end`` once ``min_silence_ms`` of quiet
    frames followed, at the time the last loud frame ended. A frame is loud when its RMS is at least
    :data:`TURN_FLOOR` and :data:`TURN_RELATIVE` of the loudest frame so far.
    """

    def __init__(self, rate: int, min_silence_ms: int) -> None:
        self.frame = max(1, int(rate * TURN_FRAME_S))
        self.rate = rate
        self.min_quiet = max(1, math.ceil(min_silence_ms / 1000.0 / TURN_FRAME_S))
        self.pending = np.zeros(0, dtype=np.float32)
        self.frames = 0
        self.peak = 0.0
        self.speaking = False
        self.quiet = 0
        self.last_loud_end = 0.0

    def feed(self, samples: np.ndarray) -> list[tuple[str, float]]:
        audio = np.concatenate([self.pending, np.nan_to_num(samples.astype(np.float32))])
        whole = audio.size // self.frame * self.frame
        self.pending = audio[whole:]
        events: list[tuple[str, float]] = []
        for frame in audio[:whole].reshape(-1, self.frame):
            rms = float(np.sqrt(np.mean(frame * frame)))
            self.peak = max(self.peak, rms)
            start = self.frames * TURN_FRAME_S
            self.frames += 1
            if rms >= max(TURN_FLOOR, TURN_RELATIVE * self.peak):
                if not self.speaking:
                    self.speaking = True
                    events.append(("turn.start", round(start, 3)))
                self.quiet = 0
                self.last_loud_end = self.frames * TURN_FRAME_S
            elif self.speaking:
                self.quiet += 1
                if self.quiet >= self.min_quiet:
                    self.speaking = False
                    events.append(("turn.end", round(self.last_loud_end, 3)))
        return events


def _valid_turn_detection(turn: Any) -> bool:
    """The SDK's ``TurnDetectionConfig``: thresholds in 0..1, durations in ms (``end_timeout_ms`` null)."""
    if not isinstance(turn, dict) or set(turn) - TURN_FIELDS:
        return False
    for name in ("start_threshold", "eager_end_threshold", "end_threshold"):
        value = turn.get(name, 0.5)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            return False
    for name in ("min_silence_ms", "end_timeout_ms"):
        value = turn.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60_000:
            return False
    return True


def _deltas(script: TranscriptionScript) -> list[str]:
    """The script's text as word deltas (each word after the first with its leading space)."""
    text = script.text if script.text is not None else " ".join(s.text for s in script.segments)
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)] if text else []


def _samples(data: bytes, encoding: str) -> np.ndarray:
    """Float samples of the received PCM (the linear encodings; mu-law/A-law give silence)."""
    kinds = {"pcm_s16le": ("<i2", 32768.0), "pcm_s32le": ("<i4", 2.0**31), "pcm_f16le": ("<f2", 1.0)}
    dtype, scale = kinds.get(encoding, ("<f4", 1.0))
    if encoding in ("pcm_mulaw", "pcm_alaw"):
        return np.zeros(len(data), dtype=np.float32)
    size = np.dtype(dtype).itemsize
    return (np.frombuffer(data[: len(data) // size * size], dtype=dtype) / scale).astype(np.float32)
