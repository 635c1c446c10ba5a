"""The SSE reader: boundaries in any chunking and with any line end, comments, multi-line data,
and a bound on an event that never ends."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standin import MistralStandIn
from tests.standin.audio import synthesize
from tests.standin.scripts import SpeechScript
from tui.sse import SSEError, frames

STREAM = (
    b": keep-alive\n\n"
    b'event: speech.audio.delta\ndata: {"type": "speech.audio.delta", "audio_data": "AAAA"}\n\n'
    b"event: note\ndata: first line\ndata: second line\n\n"
    b"event: no-data\n\n"
    b'data:{"type": "speech.audio.done"}\n\n'
)
EXPECTED = [
    ("speech.audio.delta", '{"type": "speech.audio.delta", "audio_data": "AAAA"}'),
    ("note", "first line\nsecond line"),
    ("", '{"type": "speech.audio.done"}'),
]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_events_are_found_whatever_the_chunks_and_line_ends(ending: bytes, size: int) -> None:
    data = STREAM.replace(b"\n", ending)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert list(frames(iter(chunks))) == EXPECTED


def test_a_last_event_without_its_blank_line_is_kept() -> None:
    assert list(frames(iter([b"event: a\ndata: 1\n\nevent: b\ndata: 2\n"]))) == [("a", "1"), ("b", "2")]


def test_an_event_that_never_ends_is_refused() -> None:
    endless = (b"data: " + b"x" * 1000 for _ in range(100))
    with pytest.raises(SSEError, match="larger than"):
        list(frames(endless, max_bytes=10_000))


def test_speech_through_the_sdk_reads_every_sample(mistral_server: MistralStandIn) -> None:
    """Real SDK request to the stand-in, events read by tui.sse: the samples are the stand-in's."""
    from tui.backends import make_backends
    from tui.config import Secret, Settings

    text = "Hello there, this is a sentence of some length."
    settings = Settings(backend="mistral", api_key=Secret("k"), server_url=mistral_server.url)
    settings.speech.transport = "http"  # the SSE stream of POST /v1/audio/speech
    speaker = make_backends(settings).speaker
    assert speaker is not None
    blocks = list(speaker.synthesize(text))
    assert len(blocks) > 1
    expected = synthesize(text, SpeechScript()).astype(np.float32)
    assert np.array_equal(np.concatenate(blocks), expected)
    assert mistral_server.requests_to("speech")[-1].events_sent == len(blocks) + 1  # + done
