"""The assistant's speech voices through the real SDK (``client.audio.voices``) against the stand-in:
listed page by page and bounded, cleaned at the boundary, a sample fetched once into a private cache
and checked as audio, a voice made from a recording with its speaker's consent stated, deleted; one
sentence for each failure. And the voice chosen, remembered across launches like the theme."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.standin import Fault, MistralStandIn
from tui.config import Secret, Settings, load_settings
from tui.errors import AudioInputError, VoxroomError
from tui.mistral import MistralConnection
from tui.speech.catalog import CONSENT_TAG, SpeechVoice, VoiceCatalog, consent_statement
from tui.themes import read_state, remember_voice


@pytest.fixture
def catalog(mistral_server: MistralStandIn, tmp_path: Path) -> VoiceCatalog:
    settings = Settings(
        backend="mistral", api_key=Secret("test-key"), server_url=mistral_server.url, retry_max_s=0
    )
    return VoiceCatalog(MistralConnection(settings), tmp_path / "data" / "voice-samples")


def recording(path: Path, seconds: float) -> Path:
    t = np.arange(round(seconds * 16_000)) / 16_000
    sf.write(path, (0.2 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 16_000, format="FLAC")
    return path


def test_the_voices_are_listed_page_after_page_and_cleaned(
    catalog: VoiceCatalog, mistral_server: MistralStandIn
) -> None:
    for n in range(60):
        mistral_server.add_voice(f"Voice {n:02d}")
    mistral_server.add_voice(
        "[b]Bold[/b] \x1b[31mred\x1b[0m\nname " + "x" * 300, description="\x07" + "d" * 500
    )
    mistral_server.add_voice("Unusable", preset=True, slug="not a slug")
    listed = catalog.list()
    assert not listed.cut and len(listed.voices) == 4 + 60 + 2
    assert len(mistral_server.requests_to("voices.search")) == 2  # pages of 50
    jane = listed.voices[0]
    assert (jane.name, jane.voice_id, jane.custom, jane.languages) == (
        "Jane",
        "gb_jane_neutral",
        False,
        ("en",),
    )
    hostile = listed.voices[-1]  # presets first, then the custom voices
    assert hostile.name.startswith("[b]Bold[/b] red name x") and len(hostile.name) == 60
    assert "\x1b" not in hostile.name and "\n" not in hostile.name and hostile.name.endswith("…")
    assert len(hostile.description) == 200 and "\x07" not in hostile.description
    unusable = listed.voices[4]  # a slug that could not be a setting: used by its id
    assert unusable.name == "Unusable" and unusable.slug == "" and unusable.voice_id == unusable.id
    few = catalog.list(limit=5)
    assert few.cut and [v.name for v in few.voices][:4] == ["Jane", "Paul", "Marie", "Alex"]
    assert len(few.voices) == 5


def test_a_sample_is_fetched_once_into_a_private_cache(
    catalog: VoiceCatalog, mistral_server: MistralStandIn
) -> None:
    paul = next(v for v in catalog.list().voices if v.name == "Paul")
    path = catalog.sample(paul)
    assert path.parent == catalog.cache_dir and path.suffix == ".wav"
    assert (
        stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(catalog.cache_dir.stat().st_mode) == 0o700
    )
    samples, rate = sf.read(path, dtype="float32")
    assert rate == 24_000 and float(np.abs(samples).max()) > 0.1
    assert catalog.sample(paul) == path
    assert len(mistral_server.requests_to("voices.sample")) == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault.empty_reply(), "sent no audio"),
        (Fault.http(503), "server error (503)"),
        (Fault.oversized(9 * 1024 * 1024), "Fetching the voice's sample failed"),
        (Fault.cut(), "Fetching the voice's sample failed"),
    ],
)
def test_a_sample_that_cannot_be_had_is_one_sentence_and_leaves_nothing(
    catalog: VoiceCatalog, mistral_server: MistralStandIn, fault: Fault, words: str
) -> None:
    jane = catalog.list().voices[0]
    mistral_server.fail("voices.sample", fault)
    with pytest.raises(VoxroomError) as failed:
        catalog.sample(jane)
    said = str(failed.value)
    assert words in said and "turn" not in said and "\n" not in said
    assert not list(catalog.cache_dir.glob("*.wav")) if catalog.cache_dir.exists() else True


def test_a_voice_made_from_a_recording_states_its_speaker_s_consent(
    catalog: VoiceCatalog, mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    made = catalog.create("Ann's voice", recording(tmp_path / "ann.flac", 4.0), "Ann")
    assert made.custom and made.consented and made.name == "Ann's voice"
    assert made.description == consent_statement("Ann")
    assert made.description.startswith("Made from a recording of Ann, who agreed to it in Voxroom on ")
    (request,) = mistral_server.requests_to("voices.create")
    assert request.json["tags"] == [CONSENT_TAG] and request.json["sample_filename"] == "ann.flac"
    stored = mistral_server.voices[made.id]
    assert stored["description"] == made.description and stored["tags"] == [CONSENT_TAG]
    assert any(v.id == made.id and v.consented for v in catalog.list().voices)
    path = catalog.sample(made)
    sample, rate = sf.read(path, dtype="float32")
    assert rate == 16_000 and len(sample) == 4 * 16_000  # the recording it was made from
    catalog.delete(made)
    assert made.id not in mistral_server.voices and not path.exists()


def test_a_recording_that_cannot_make_a_voice_is_refused_before_anything_is_sent(
    catalog: VoiceCatalog, mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    with pytest.raises(AudioInputError, match=r"lasts 1\.0 s; a voice needs 3 s or more"):
        catalog.create("Short", recording(tmp_path / "short.flac", 1.0), "Ann")
    with pytest.raises(AudioInputError, match="There is no recording at"):
        catalog.create("Gone", tmp_path / "gone.wav", "Ann")
    with pytest.raises(VoxroomError, match="say whose voice it is"):
        catalog.create("Nobody's", recording(tmp_path / "ok.flac", 4.0), "  \x1b[0m ")
    assert mistral_server.requests_to("voices.create") == []


def test_a_preset_cannot_be_deleted_and_says_so(catalog: VoiceCatalog) -> None:
    jane = catalog.list().voices[0]
    with pytest.raises(VoxroomError) as refused:
        catalog.delete(jane)
    assert str(refused.value).startswith("Deleting the voice was refused by Mistral (403): Preset voices")
    with pytest.raises(VoxroomError, match="not found"):
        catalog.delete(SpeechVoice(id="no-such-voice", name="Nobody", custom=True))


def test_the_voice_chosen_is_remembered_like_the_theme(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"VOXROOM_DATA_DIR": str(data), "VOXROOM_CONFIG": str(tmp_path / "none.toml")}
    assert load_settings(env=env).speech.voice == "gb_jane_neutral"
    remember_voice(data, "us_paul_warm")
    assert read_state(data)["voice"] == "us_paul_warm"
    assert load_settings(env=env).speech.voice == "us_paul_warm"
    assert (
        load_settings(env=env, overrides={"speech.voice": "fr_marie_bright"}).speech.voice
        == "fr_marie_bright"
    )
    config = tmp_path / "voxroom.toml"
    config.write_text(f'data_dir = "{data}"\n[speech]\nvoice = "de_alex_even"\n')
    assert load_settings(config, env={}).speech.voice == "de_alex_even"  # the config file wins
    remember_voice(data, "bad voice; rm -rf")  # never stored, never used
    assert read_state(data)["voice"] == "us_paul_warm"
    (data / "state.json").write_text('{"voice": "\\u001b[31mred"}')
    assert load_settings(env=env).speech.voice == "gb_jane_neutral"


def test_the_cli_lists_the_speech_voices_and_remembers_the_one_chosen(
    mistral_server: MistralStandIn,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import run_cli

    data = tmp_path / "cli-data"
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    monkeypatch.setenv("VOXROOM_CONFIG", str(tmp_path / "none.toml"))
    common = ("--server-url", mistral_server.url, "--data-dir", str(data))
    code, out, _ = run_cli(capsys, "speech-voices", *common)
    assert code == 0
    assert out.splitlines()[0] == "* gb_jane_neutral  Jane · en · female · preset — A calm British voice."
    assert out.splitlines()[1].startswith("  us_paul_warm  Paul")
    code, out, _ = run_cli(capsys, "speech-voices", "use", "us_paul_warm", *common)
    assert (code, out) == (0, "Replies are spoken by Paul (us_paul_warm) from now on.\n")
    assert read_state(data)["voice"] == "us_paul_warm"
    code, out, _ = run_cli(capsys, "speech-voices", "list", *common)
    assert out.splitlines()[1].startswith("* us_paul_warm")
    code, _, err = run_cli(capsys, "speech-voices", "use", "nobody\x1b[2J", *common)
    assert code == 2 and err == (
        "voxroom: The service has no voice 'nobody'. Run 'voxroom speech-voices list' to see them.\n"
    )
    code, _, err = run_cli(capsys, "speech-voices", "--offline", "--data-dir", str(data))
    assert code == 2 and "needs MISTRAL_API_KEY" in err and err.count("\n") == 1
    code, out, _ = run_cli(capsys, "voices", "list", "--data-dir", str(data))  # the people's profiles
    assert code == 0 and "voice" in out.lower()
