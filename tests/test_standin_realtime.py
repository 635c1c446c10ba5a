"""The stand-in's realtime transcription WebSocket, driven by the SDK's own async realtime client."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mistralai.client.models import TurnDetectionConfig

from tests.conftest import spoken
from tests.standin import Fault, MistralStandIn, TranscriptionScript
from tests.standin.realtime import MAX_APPEND_BYTES

MODEL = "voxtral-mini-transcribe-realtime-3"
SECOND = b"\x00\x01" * 16_000  # one second of 16 kHz pcm_s16le


def run(server: MistralStandIn, body: Callable[[Any], Awaitable[Any]], timeout_ms: int = 5000) -> Any:
    from mistralai.client import Mistral

    async def main() -> Any:
        client = Mistral(api_key="test-key", server_url=server.url, timeout_ms=timeout_ms)
        return await body(client)

    return asyncio.run(main())


async def collect(conn: Any, until: str = "transcription.done", limit: int = 200) -> list[Any]:
    events = []
    async for event in conn:
        events.append(event)
        if getattr(event, "type", None) in (until, "error") or len(events) >= limit:
            break
    return events


def types(events: list[Any]) -> list[str | None]:
    return [getattr(e, "type", None) for e in events]


def test_session_audio_and_done(mistral_server: MistralStandIn) -> None:
    from mistralai.client.models import AudioFormat

    async def body(client: Any) -> list[Any]:
        fmt = AudioFormat(encoding="pcm_s16le", sample_rate=16000)
        async with await client.audio.realtime.connect(MODEL, audio_format=fmt, diarize=True) as conn:
            for _ in range(2):
                await conn.send_audio(SECOND)
            await conn.flush_audio()
            await conn.end_audio()
            return await collect(conn)

    events = run(mistral_server, body)
    kinds = types(events)
    assert kinds[:3] == ["session.created", "session.updated", "transcription.language"]
    assert kinds[-3:] == ["transcription.segment", "transcription.segment", "transcription.done"]
    deltas = [e.text for e in events if e.type == "transcription.text.delta"]
    done = events[-1]
    assert "".join(deltas) == done.text
    assert [s.speaker_id for s in done.segments] == ["speaker_1", "speaker_2"]
    assert (done.segments[-1].end, done.usage.prompt_audio_seconds) == (2.0, 2)
    assert events[1].session.diarize is True and events[1].session.model == MODEL
    (req,) = mistral_server.requests_to("realtime")
    assert req.status == 101 and len(req.ws_audio) == 2 * len(SECOND)
    assert [m["type"] for m in req.ws_messages][-2:] == ["input_audio.flush", "input_audio.end"]


def test_text_streams_while_audio_arrives(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.send_audio(SECOND)  # 1 s: two words are due (one per 0.4 s)
            return await collect(conn, until="transcription.text.delta", limit=3)

    events = run(mistral_server, body)
    assert types(events) == ["session.created", "transcription.language", "transcription.text.delta"]
    assert events[-1].text == "Good"


def test_scripted_word_times_send_each_word_after_its_end_plus_the_delay(
    mistral_server: MistralStandIn,
) -> None:
    """With ``word_ends``, a word goes out once the audio holds its end plus the session's
    ``target_streaming_delay_ms``; what is still due at ``input_audio.end`` goes then."""
    mistral_server.script(TranscriptionScript(text="one two three", word_ends=(0.3, 0.9, 1.5)))

    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.update_session(target_streaming_delay_ms=480)
            for _ in range(16):  # 1.6 s in tenths
                await conn.send_audio(SECOND[:3200])
            await conn.end_audio()
            return await collect(conn)

    events = run(mistral_server, body)
    assert [e.text for e in events if e.type == "transcription.text.delta"] == ["one", " two", " three"]
    (req,) = mistral_server.requests_to("realtime")
    assert req.ws_delta_at == [0.8, 1.4, 1.6]  # 0.3 + 0.48, 0.9 + 0.48; 1.98 is past the end


def test_protocol_errors_are_error_events(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.send_audio(b"\x00" * (MAX_APPEND_BYTES + 2))
            first = await collect(conn, until="error")
            await conn.send_audio(SECOND[:3200])
            await conn.update_session(target_streaming_delay_ms=480)
            return first + await collect(conn, until="error")

    events = run(mistral_server, body)
    errors = [e.error.message for e in events if e.type == "error"]
    assert errors == [
        f"Audio chunk exceeds {MAX_APPEND_BYTES} bytes",
        "Session updates are rejected after audio starts",
    ]


def test_invalid_session_update(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.update_session(target_streaming_delay_ms=5000)
            await conn.update_session(speaker_references={"alice": "UklGRg=="})
            return (await collect(conn, until="error")) + (await collect(conn, until="error"))

    events = run(mistral_server, body)
    assert [e.error.message for e in events if e.type == "error"] == [
        "target_streaming_delay_ms must be between 80 and 1200",
        "speaker_references requires diarize",
    ]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.malformed_json(event=2), "invalid JSON"),
        (Fault.unknown_sse_event(), "unknown event type"),
    ],
)
def test_content_faults_reach_the_sdk_as_unknown_events(
    fault: Fault, expected: str, mistral_server: MistralStandIn
) -> None:
    mistral_server.fail("realtime", fault)

    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.send_audio(SECOND)
            return await collect(conn, until="transcription.text.delta", limit=4)

    events = run(mistral_server, body)
    unknown = [e for e in events if type(e).__name__ == "UnknownRealtimeEvent"]
    assert len(unknown) == 1 and expected in (unknown[0].error or "")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.http(503), "HTTP 503"),
        (Fault.empty_reply(), "Timeout waiting for session creation"),
        (Fault.slow(2.0), "Failed to connect"),
    ],
)
def test_connect_faults(fault: Fault, expected: str, mistral_server: MistralStandIn) -> None:
    from mistralai.extra.exceptions import RealtimeTranscriptionException

    mistral_server.fail("realtime", fault)

    async def body(client: Any) -> None:
        await client.audio.realtime.connect(MODEL)

    with pytest.raises(RealtimeTranscriptionException) as caught:
        run(mistral_server, body, timeout_ms=300)
    assert expected in str(caught.value)


def test_plain_get_is_not_upgraded(mistral_server: MistralStandIn) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", mistral_server.port, timeout=5)
    conn.request("GET", f"/v1/audio/transcriptions/realtime?model={MODEL}")
    answer = conn.getresponse()
    assert answer.status == 400 and b"Upgrade: websocket" in answer.read()
    conn.close()


def tone(seconds: float) -> bytes:
    """A tone (:func:`tests.conftest.spoken`) as 16 kHz pcm_s16le: speech for the turn detector."""
    return (spoken((seconds, 0.3)) * 32767).astype("<i2").tobytes()


def test_turn_events_follow_the_audio_and_the_turns_text_comes_first(mistral_server: MistralStandIn) -> None:
    mistral_server.script(TranscriptionScript(text="Is the room free at three?"))

    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL, turn_detection=TurnDetectionConfig()) as conn:
            await conn.send_audio(tone(1.0))
            await conn.send_audio(bytes(len(SECOND)))  # one second of silence
            await conn.send_audio(tone(0.5))  # speech again, still going at the end
            await conn.end_audio()
            return await collect(conn)

    events = run(mistral_server, body)
    kinds = types(events)
    turns = [(e.type, e.time_s) for e in events if str(e.type).startswith("turn.")]
    assert turns == [("turn.start", 0.0), ("turn.end", 1.0), ("turn.start", 2.0)]
    end = kinds.index("turn.end")
    # The whole (scripted) text of the turn was out before its end, as on the service.
    assert "".join(e.text for e in events[:end] if e.type == "transcription.text.delta") == (
        "Is the room free at three?"
    )
    assert next(e for e in events if e.type == "turn.end").end_reason == "threshold"
    (req,) = mistral_server.requests_to("realtime")
    assert req.ws_messages[0]["session"]["turn_detection"]["min_silence_ms"] == 500


def test_no_turn_events_without_turn_detection_and_late_words_wait_for_the_end(
    mistral_server: MistralStandIn,
) -> None:
    mistral_server.script(
        TranscriptionScript(text="Is the room free at three?", late_words=2),
        TranscriptionScript(text="Is the room free at three?", late_words=2),
    )

    async def session(client: Any, turns: bool) -> list[Any]:
        options = {"turn_detection": TurnDetectionConfig()} if turns else {}
        async with await client.audio.realtime.connect(MODEL, **options) as conn:
            await conn.send_audio(tone(3.0))
            await conn.send_audio(bytes(len(SECOND)))
            await conn.end_audio()
            return await collect(conn)

    async def body(client: Any) -> tuple[list[Any], list[Any]]:
        return await session(client, False), await session(client, True)

    plain, with_turns = run(mistral_server, body)
    assert not [e for e in plain if str(e.type).startswith("turn.")]
    end = types(with_turns).index("turn.end")
    before = "".join(e.text for e in with_turns[:end] if e.type == "transcription.text.delta")
    after = "".join(e.text for e in with_turns[end:] if e.type == "transcription.text.delta")
    assert (before, after) == ("Is the room free", " at three?")
    assert with_turns[-1].text == "Is the room free at three?"


def test_turn_detection_config_is_checked(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        async with await client.audio.realtime.connect(MODEL) as conn:
            await conn.update_session(turn_detection={"min_silence_ms": -5})
            return await collect(conn, until="error")

    events = run(mistral_server, body)
    assert [e.error.message for e in events if e.type == "error"] == ["Invalid turn_detection"]
