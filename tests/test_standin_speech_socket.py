"""The stand-in's realtime speech WebSocket, driven by the SDK's own async client
(``client.audio.realtime_speech``): the session, the streaming modes, and every fault."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import pytest

from tests.standin import Fault, MistralStandIn, SpeechScript
from tests.standin.audio import synthesize
from tests.standin.speech_socket import MAX_TEXT_CHARS

MODEL = "voxtral-mini-tts-2603"


def run(server: MistralStandIn, body: Callable[[Any], Awaitable[Any]], timeout_ms: int = 5000) -> Any:
    from mistralai.client import Mistral

    async def main() -> Any:
        client = Mistral(api_key="test-key", server_url=server.url, timeout_ms=timeout_ms)
        return await asyncio.wait_for(body(client), 10.0)

    return asyncio.run(main())


_STREAMS: dict[int, AsyncIterator[Any]] = {}


async def collect(conn: Any, until: str = "speech.audio.done", limit: int = 500) -> list[Any]:
    """Events up to ``until`` (or an error). One event iterator per connection: the SDK closes the
    connection when an iterator of its events is dropped."""
    stream = _STREAMS.setdefault(id(conn), conn.events())
    events = []
    async for event in stream:
        events.append(event)
        if getattr(event, "type", None) in (until, "error") or len(events) >= limit:
            break
    return events


def types(events: list[Any]) -> list[str | None]:
    return [getattr(e, "type", None) for e in events]


def pcm(events: list[Any]) -> np.ndarray:
    data = b"".join(base64.b64decode(e.audio_data) for e in events if e.type == "speech.audio.delta")
    return np.frombuffer(data, dtype="<f4")


def test_text_in_pieces_is_spoken_then_done(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        async with conn:
            for piece in ("Sunny ", "in ", "Paris ", "today."):
                await conn.send_text(piece)
            await conn.end()
            events = await collect(conn)
            return [conn.session, *events]

    session, *events = run(mistral_server, body)
    kinds = types(events)
    assert kinds[:2] == ["session.created", "session.updated"] and kinds[-1] == "speech.audio.done"
    assert set(kinds[2:-1]) == {"speech.audio.delta"}
    assert session.response_format == "pcm" and session.model == MODEL
    assert session.streaming_mode == "responsive"
    (req,) = mistral_server.requests_to("speech.realtime")
    assert req.status == 101 and req.query == f"model={MODEL}"
    # responsive: three complete words are spoken at once, the rest at the end
    assert req.ws_spoken == ["Sunny in Paris", "today."]
    expected = np.concatenate([synthesize(t, SpeechScript()) for t in req.ws_spoken])
    assert np.allclose(pcm(events), expected, atol=1e-6)
    sent = [m["type"] for m in req.ws_messages]
    assert sent == ["session.update", *["input_text.append"] * 4, "input_text.end"]
    assert events[-1].usage.prompt_tokens == len("Sunny in Paris today.")


def test_responsive_audio_comes_before_the_text_ends(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        async with conn:
            await conn.send_text("One two, three four ")
            first = await collect(conn, until="speech.audio.delta")
            await conn.end()
            return first + await collect(conn)

    events = run(mistral_server, body)
    assert types(events)[:3] == ["session.created", "session.updated", "speech.audio.delta"]
    (req,) = mistral_server.requests_to("speech.realtime")
    assert req.ws_spoken == ["One two, three four"]


def test_long_form_waits_for_a_sentence_and_flush_speaks_at_once(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(
            MODEL, response_format="pcm", streaming_mode="long_form"
        )
        async with conn:
            await conn.send_text("A long clause, then more ")
            await conn.send_text("words. And ")
            await conn.flush("the rest")
            await conn.send_text(" ends here.")
            await conn.end()
            return await collect(conn)

    run(mistral_server, body)
    (req,) = mistral_server.requests_to("speech.realtime")
    assert req.ws_spoken == ["A long clause, then more words.", "And the rest", "ends here."]


def test_protocol_errors_are_error_events_and_the_session_goes_on(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        async with conn:
            await conn.send_text("Hello there ")
            await conn.update_session(voice_id="other")
            first = await collect(conn, until="error")
            await conn.send_text("x" * MAX_TEXT_CHARS)
            second = await collect(conn, until="error")
            await conn.end()
            await conn.send_text("late")
            rest = await collect(conn, until="error")
            return first + second + rest

    events = run(mistral_server, body)
    errors = [e.error.message for e in events if e.type == "error"]
    assert errors == [
        "Session updates are rejected after text starts",
        f"A session takes at most {MAX_TEXT_CHARS} characters of text",
        "The text input has already ended",
    ]
    assert "speech.audio.done" in types(events)


def test_an_invalid_session_update_is_an_error_event(mistral_server: MistralStandIn) -> None:
    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(MODEL)
        async with conn:
            await conn.update_session(expressiveness=0.5)
            return await collect(conn, until="error")

    events = run(mistral_server, body)
    assert events[-1].error.message == "expressiveness must be a number of at least 1.0"


def test_refused_text_is_an_error_event_instead_of_its_audio(mistral_server: MistralStandIn) -> None:
    mistral_server.fail("speech.realtime", Fault.refused_text())

    async def body(client: Any) -> list[Any]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        async with conn:
            await conn.send_text("Say this.")
            await conn.end()
            return await collect(conn, until="speech.audio.done")

    events = run(mistral_server, body)
    assert types(events) == ["session.created", "session.updated", "error"]
    assert (events[-1].error.code, events[-1].error.message) == (403, "Input refused by moderation")


def test_wrong_types_reach_the_sdk_as_unknown_events_and_speak_stream_never_returns(
    mistral_server: MistralStandIn,
) -> None:
    """What a client must guard against: the SDK turns each wrong-typed message into an
    ``UnknownRealtimeEvent``, and its ``speak_stream`` waits for a ``speech.audio.done`` it can no
    longer recognise: it ends only when cancelled, and then it swallows the cancellation (its event
    iterator catches ``CancelledError``), so ``wait_for`` sees it return normally, late."""
    mistral_server.fail("speech.realtime", Fault.wrong_types())

    async def text() -> AsyncIterator[str]:
        yield "Hello there."

    async def body(client: Any) -> tuple[list[Any], float]:
        events: list[Any] = []

        async def speak() -> None:
            stream = client.audio.realtime_speech.speak_stream(text(), MODEL, response_format="pcm")
            async for event in stream:
                events.append(event)

        t0 = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(speak(), 1.0)
        return events, time.perf_counter() - t0

    events, took = run(mistral_server, body)
    assert took >= 1.0
    unknown = [e for e in events if type(e).__name__ == "UnknownRealtimeEvent"]
    assert unknown and {e.type for e in unknown} == {"speech.audio.delta", "speech.audio.done"}
    (req,) = mistral_server.requests_to("speech.realtime")
    assert req.ws_sent[-1] == "speech.audio.done"


def test_slow_first_audio_delays_only_the_first_delta(mistral_server: MistralStandIn) -> None:
    mistral_server.fail("speech.realtime", Fault.slow_first_audio(0.6))

    async def body(client: Any) -> tuple[float, float]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        async with conn:
            t0 = time.perf_counter()
            await conn.send_text("Hello there.")
            await conn.end()
            events = await collect(conn)
            return time.perf_counter() - t0, len(events)

    took, count = run(mistral_server, body)
    assert 0.6 <= took < 3.0 and count > 2


@pytest.mark.parametrize(
    ("fault", "expected"),
    [(Fault.http(503), "HTTP 503"), (Fault.empty_reply(), "Timeout waiting for session creation")],
)
def test_connect_faults(fault: Fault, expected: str, mistral_server: MistralStandIn) -> None:
    from mistralai.extra.exceptions import RealtimeSpeechException

    mistral_server.fail("speech.realtime", fault)

    async def body(client: Any) -> None:
        await client.audio.realtime_speech.connect(MODEL)

    with pytest.raises(RealtimeSpeechException) as caught:
        run(mistral_server, body, timeout_ms=300)
    assert expected in str(caught.value)


def test_a_cut_mid_reply_ends_the_events_without_done(mistral_server: MistralStandIn) -> None:
    mistral_server.fail("speech.realtime", Fault.cut(after_events=3))

    async def body(client: Any) -> tuple[list[Any], str]:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        events: list[Any] = []
        try:
            await conn.send_text("Hello there, this is long enough.")
            await conn.end()
            async for event in conn:
                events.append(event)
        except Exception as err:
            return events, type(err).__name__
        return events, ""

    events, raised = run(mistral_server, body)
    assert "speech.audio.done" not in types(events)
    assert types(events) == ["session.created", "session.updated", "speech.audio.delta"]
    assert raised in ("", "RealtimeSpeechException")


def test_an_oversized_delta_is_sent_inside_the_session(mistral_server: MistralStandIn) -> None:
    mistral_server.fail("speech.realtime", Fault.oversized(3 * 1024 * 1024))

    async def body(client: Any) -> str:
        conn = await client.audio.realtime_speech.connect(MODEL, response_format="pcm")
        try:
            await conn.send_text("Hello there.")
            await conn.end()
            await collect(conn)
        except Exception as err:
            return str(err)
        return ""

    # websockets' default 1 MiB message limit: the client closes the connection (1009)
    assert "Connection closed" in run(mistral_server, body)


def test_plain_get_is_not_upgraded(mistral_server: MistralStandIn) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", mistral_server.port, timeout=5)
    conn.request("GET", f"/v1/audio/speech/realtime?model={MODEL}")
    answer = conn.getresponse()
    assert answer.status == 400 and b"Upgrade: websocket" in answer.read()
