"""The stand-in's speech voices (``/v1/audio/voices``, ``/v2/audio/voices``), driven by the real
``mistralai`` 3.7.0 SDK's ``client.audio.voices`` over loopback HTTP: pages as the SDK follows them,
filters, one voice by id or slug, its sample as WAV, a voice made from a recording, deleted; the
service's refusals and the faults every route takes."""

from __future__ import annotations

import base64
import io
import warnings

import numpy as np
import pytest
import soundfile as sf
from mistralai.client import Mistral, errors

from tests.standin import Fault, MistralStandIn, fixtures

mistral_server = fixtures.mistral_server
mistral_client = fixtures.mistral_client


def wav_b64(seconds: float, rate: int = 16_000) -> str:
    t = np.arange(round(seconds * rate)) / rate
    buffer = io.BytesIO()
    sf.write(buffer, (0.2 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), rate, format="WAV")
    return base64.b64encode(buffer.getvalue()).decode()


def all_pages(client: Mistral, **kwargs: object) -> list[list[str]]:
    pages = []
    page = client.audio.voices.search(**kwargs)
    while page is not None:
        pages.append([v.name for v in page.result.data])
        page = page.next()
    return pages


def test_the_voices_come_page_by_page_as_the_sdk_follows_the_cursor(
    mistral_server: MistralStandIn, mistral_client: Mistral
) -> None:
    for n in range(3):
        mistral_server.add_voice(f"Custom {n}", languages=["en"])
    assert all_pages(mistral_client, page_size=3) == [
        ["Jane", "Paul", "Marie"],
        ["Alex", "Custom 0", "Custom 1"],
        ["Custom 2"],
    ]
    first, second, last = mistral_server.requests_to("voices.search")
    assert (
        first.query == "page_size=3&type=all"
        and "page_token=" in second.query
        and "page_token=" in last.query
    )
    page = mistral_client.audio.voices.search(page_size=7)
    assert page.result.next_page_token is None and page.next() is None  # the last page says so
    jane = page.result.data[0]
    assert (jane.slug, jane.type, jane.user_id, jane.languages, jane.gender) == (
        "gb_jane_neutral",
        "preset",
        None,
        ["en"],
        "female",
    )
    assert page.result.data[4].type == "custom" and page.result.data[4].user_id == "user_standin"


def test_the_list_filters_by_type_name_gender_language_and_kind(mistral_client: Mistral) -> None:
    def names(**kwargs: object) -> list[str]:
        return [v.name for v in mistral_client.audio.voices.search(page_size=50, **kwargs).result.data]

    assert names(type_="custom") == []
    assert names(query="MAR") == ["Marie"]
    assert names(gender=["male", "neutral"]) == ["Paul", "Alex"]
    assert names(language=["fr"]) == ["Marie"]
    assert names(kind="ivc") == ["Alex"]
    with pytest.raises(errors.MistralError) as refused:
        mistral_client.audio.voices.search(page_size=500)
    assert refused.value.status_code == 422
    with pytest.raises(errors.MistralError) as refused:
        mistral_client.audio.voices.search(page_token="not a cursor")
    assert refused.value.status_code == 400


def test_the_deprecated_offset_list_pages_too(mistral_client: Mistral) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        listed = mistral_client.audio.voices.list(limit=3, offset=3)
    assert [v.name for v in listed.items] == ["Alex"]
    assert (listed.total, listed.page, listed.page_size, listed.total_pages) == (4, 2, 3, 2)


def test_a_voice_by_id_or_slug_and_its_sample_as_wav(
    mistral_server: MistralStandIn, mistral_client: Mistral
) -> None:
    voices = mistral_client.audio.voices
    paul = voices.get(voice_id="us_paul_warm")
    assert voices.get(voice_id=paul.id).name == "Paul"
    response = voices.get_sample_audio(voice_id=paul.id)
    assert response.headers["content-type"] == "audio/wav"
    samples, rate = sf.read(io.BytesIO(response.read()), dtype="float32")
    assert rate == 24_000 and len(samples) > rate and float(np.abs(samples).max()) > 0.1
    with pytest.raises(errors.MistralError) as missing:
        voices.get(voice_id="no_such_voice")
    assert missing.value.status_code == 404 and "no_such_voice not found" in missing.value.body


def test_a_voice_made_from_a_recording_serves_that_recording_and_can_be_deleted(
    mistral_server: MistralStandIn, mistral_client: Mistral
) -> None:
    voices = mistral_client.audio.voices
    made = voices.create(
        name="Ann",
        description="Made from a recording of Ann, who agreed.",
        tags=["consent-given"],
        sample_audio=wav_b64(4.0),
        sample_filename="ann.wav",
    )
    assert (made.type, made.kind, made.tags, made.retention_notice) == (
        "custom",
        "ivc",
        ["consent-given"],
        30,
    )
    (request,) = mistral_server.requests_to("voices.create")
    assert request.json["sample_filename"] == "ann.wav" and request.json["name"] == "Ann"
    sample, rate = sf.read(io.BytesIO(voices.get_sample_audio(voice_id=made.id).read()), dtype="float32")
    assert rate == 16_000 and len(sample) == 4 * 16_000  # the reference recording itself
    assert [v.name for v in voices.search(type_="custom").result.data] == ["Ann"]
    assert voices.delete(voice_id=made.id).name == "Ann"
    assert made.id not in mistral_server.voices
    with pytest.raises(errors.MistralError) as gone:
        voices.delete(voice_id=made.id)
    assert gone.value.status_code == 404
    with pytest.raises(errors.MistralError) as preset:
        voices.delete(voice_id="gb_jane_neutral")
    assert preset.value.status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"name": "", "sample_audio": "AAAA"}, 422, "name"),
        ({"name": "Ann"}, 422, "sample_audio"),
        ({"name": "Ann", "sample_audio": base64.b64encode(b"not audio at all").decode()}, 400, "decoded"),
        ({"name": "Ann", "sample_audio": wav_b64(1.0)}, 400, "at least 2 s"),
        ({"name": "Ann", "sample_audio": wav_b64(3.0), "age": 500}, 422, "age"),
    ],
)
def test_the_service_refuses_a_voice_it_cannot_make(
    mistral_client: Mistral, fields: dict[str, object], status: int, words: str
) -> None:
    with pytest.raises(errors.MistralError) as refused:
        mistral_client.audio.voices.create(**fields)  # type: ignore[arg-type]
    assert refused.value.status_code == status and words in refused.value.body


def test_faults_reach_the_voices_routes(mistral_server: MistralStandIn, mistral_client: Mistral) -> None:
    voices = mistral_client.audio.voices
    mistral_server.fail("voices", Fault.http(503), times=1)
    with pytest.raises(errors.MistralError) as down:
        voices.search()
    assert down.value.status_code == 503
    assert voices.search().result.data  # once only
    mistral_server.fail("voices.sample", Fault.empty_reply(), times=1)
    assert voices.get_sample_audio(voice_id="gb_jane_neutral").read() == b""
    mistral_server.fail("voices.sample", Fault.cut(), times=1)
    with pytest.raises(Exception) as cut:
        voices.get_sample_audio(voice_id="gb_jane_neutral").read()
    assert "incomplete" in str(cut.value).lower() or "closed" in str(cut.value).lower()
    mistral_server.fail("voices.search", Fault.malformed_json(), times=1)
    with pytest.raises(Exception) as unreadable:
        voices.search()
    assert type(unreadable.value).__name__ in (
        "ResponseValidationError",
        "JSONDecodeError",
        "ValidationError",
    )
    assert mistral_server.call_count("voices") == 5
