from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tui.backends import chunk_seconds, plan_for
from tui.config import MODERATION_CATEGORIES, SPECS, Secret, Settings, load_settings, spec_for
from tui.config.reference import BEGIN, END, block
from tui.config.settings import default_of
from tui.errors import ConfigError


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml", 'backend = "offline"\ntheme = "voxroom-light"\n[speech]\nvoice = "v_file"\n'
    )
    s = load_settings(cfg, env={})
    assert (s.backend, s.theme, s.speech.voice) == ("offline", "voxroom-light", "v_file")
    s = load_settings(cfg, env={"MISTRAL_API_KEY": "k", "VOXROOM_BACKEND": "mistral"})
    assert s.backend == "mistral" and s.api_key.reveal() == "k"
    s = load_settings(
        cfg, env={"MISTRAL_API_KEY": "k"}, overrides={"backend": "auto", "speech.voice": "v_flag"}
    )
    assert s.resolved_backend == "mistral" and s.speech.voice == "v_flag"


def test_auto_backend_follows_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    assert load_settings(env={"VOXROOM_CONFIG": str(missing)}).resolved_backend == "offline"
    with_key = load_settings(env={"VOXROOM_CONFIG": str(missing), "MISTRAL_API_KEY": "x"})
    assert with_key.resolved_backend == "mistral"
    assert plan_for(with_key).label == "Mistral"
    mixed = load_settings(
        env={"VOXROOM_CONFIG": str(missing), "MISTRAL_API_KEY": "x"},
        overrides={"transcription.backend": "offline"},
    )
    assert plan_for(mixed).label == "mixed"


def test_key_never_shows(tmp_path: Path) -> None:
    s = load_settings(env={"VOXROOM_CONFIG": str(tmp_path / "x"), "MISTRAL_API_KEY": "sk-SECRET-123"})
    assert "sk-SECRET-123" not in repr(s) and "sk-SECRET-123" not in str(s.to_dict())
    assert s.to_dict()["api_key_set"] is True
    assert str(Secret("abc")) == "Secret('***')"


def test_config_with_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'api_key = "sk-abc"\n', mode=0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings(cfg, env={})
    cfg.chmod(0o600)
    assert load_settings(cfg, env={}).api_key.reveal() == "sk-abc"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("backend = 'cloud'\n", "backend = 'cloud' is not allowed"),
        ("nonsense = 1\n", "nonsense = 1 is not a setting"),
        ("[agent]\ntemperature = 'hot'\n", "agent.temperature"),
        ("[agent\n", "not valid TOML"),
    ],
)
def test_bad_config_gives_one_clear_error(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_settings(write(tmp_path / "c.toml", text), env={})


def test_mistral_without_key_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MISTRAL_API_KEY"):
        load_settings(env={"VOXROOM_CONFIG": str(tmp_path / "x")}, overrides={"backend": "mistral"})


def test_diarization_section_is_read_and_range_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[diarization]\nthreshold = 0.3\nnum_speakers = 3\nvoice_profiles = true\n")
    section = load_settings(cfg, env={}).diarization
    assert (section.enabled, section.threshold, section.num_speakers, section.voice_profiles) == (
        True,
        0.3,
        3,
        True,
    )
    assert load_settings(env={"VOXROOM_CONFIG": str(tmp_path / "none.toml")}).diarization.threshold == 0.40
    for text, match in (
        ("threshold = 1.5", "diarization.threshold = 1.5"),
        ("threshold = nan", "diarization.threshold"),
        ("num_speakers = -1", "diarization.num_speakers = -1"),
        ("enabled = 'yes'", "diarization.enabled"),
    ):
        cfg.write_text(f"[diarization]\n{text}\n")
        with pytest.raises(ConfigError, match=match):
            load_settings(cfg, env={})


def test_every_problem_is_named_at_once_with_file_key_and_range(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        "timeout_s = -1\n[transcription]\nmax_chunk_seconds = 0\nchunk_concurrency = 2.5\n"
        "[agent]\ntemperature = 'hot'\ntop_p = nan\nmoderation_thresholds = { hate = 0.3, pii = 2 }\n"
        "[hotkey]\ndebounce = 3\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    text = str(caught.value)
    assert text.startswith(f"7 problems in config file {cfg}: ")
    for part in (
        "timeout_s = -1 is out of range (allowed: a number from 1 to 3600)",
        "transcription.max_chunk_seconds = 0 is out of range (allowed: a number from 5 to 10800)",
        "transcription.chunk_concurrency = 2.5 is not a whole number",
        "agent.temperature = 'hot' is text, not a number",
        "agent.top_p = nan is out of range",
        "names unknown category hate and has thresholds outside 0 to 1 for pii",
        "hotkey.debounce = 3 is not a setting (known in [hotkey]: debounce_ms,",
    ):
        assert part in text
    assert "\n" not in text


def test_moderation_categories_match_the_sdk() -> None:
    from mistralai.client.models import ModerationLlmv2CategoryThresholds

    assert set(MODERATION_CATEGORIES) == set(ModerationLlmv2CategoryThresholds.model_fields)


def test_valid_thresholds_are_kept(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[agent]\nmoderation_thresholds = { pii = 0.5, selfharm = 1 }\n")
    assert load_settings(cfg, env={}).agent.moderation_thresholds == {"pii": 0.5, "selfharm": 1.0}


def test_environment_and_flags_go_through_the_same_checks(tmp_path: Path) -> None:
    env = {"VOXROOM_CONFIG": str(tmp_path / "none.toml"), "VOXROOM_BACKEND": "cloud"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env, overrides={"server_url": "ftp://x", "audio.input_device": "mic\x1b[2J"})
    text = str(caught.value)
    assert text.startswith("3 problems in the environment and flags: ")
    assert "environment variable VOXROOM_BACKEND = 'cloud' is not allowed" in text
    assert "flag --server-url = 'ftp://x' is not allowed" in text
    assert "flag --input-device = " in text and "holds control characters" in text
    assert "\x1b" not in text


def test_every_setting_is_declared_once_and_its_default_is_allowed() -> None:
    settings = Settings()
    for key, spec in SPECS.items():
        section, _, name = key.rpartition(".")
        assert hasattr(getattr(settings, section) if section else settings, name), key
        assert spec.doc, key
        default = default_of(key)
        if isinstance(default, Secret):
            default = default.reveal()
        assert spec.check(str(default) if isinstance(default, Path) else default)[1] == "", key
    assert len(SPECS) == 58


def test_an_undeclared_key_is_an_error_never_a_guess(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        spec_for("agent.mood")
    missing = {"VOXROOM_CONFIG": str(tmp_path / "none.toml")}
    with pytest.raises(ConfigError) as caught:
        load_settings(env=missing, overrides={"agent.mood": "calm", "volume": 3, "hotkey.key": "f9"})
    text = str(caught.value)
    assert text.startswith("2 problems in the environment and flags: ")
    assert "flag --mood = 'calm' is not a setting" in text and "flag --volume = 3 is not a setting" in text


def test_model_limits_are_a_table_of_model_names_and_seconds(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[transcription]\nmodel_max_seconds = { "voxtral-mini-2507" = 600 }\n')
    assert load_settings(cfg, env={}).transcription.model_max_seconds == {"voxtral-mini-2507": 600.0}
    write(cfg, '[transcription]\nmodel_max_seconds = { "a b" = 600, ok = 1 }\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    text = str(caught.value)
    assert "names unknown model a b and has limits outside 5 to 10800 for ok" in text
    assert "(allowed: a table of model = limit from 5 to 10800)" in text


def test_min_recording_longer_than_max_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[audio]\nmin_recording_s = 30\nmax_recording_s = 10\n")
    with pytest.raises(ConfigError, match=r"is longer than audio\.max_recording_s"):
        load_settings(cfg, env={})


def test_config_with_key_writable_by_others_is_refused(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'api_key = "sk-abc"\n', mode=0o622)
    with pytest.raises(ConfigError, match="other users can change it"):
        load_settings(cfg, env={})


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00junk"), "not UTF-8"),
        (lambda p: p.write_bytes(b"#" * 1_000_001), "larger than"),
    ],
)
def test_unreadable_config_files(tmp_path: Path, make: Any, match: str) -> None:
    path = tmp_path / "c.toml"
    make(path)
    with pytest.raises(ConfigError, match=match):
        load_settings(path, env={})


def test_readme_holds_the_table_the_declarations_write() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    written = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert written == block(), "run: python -m tui.config.reference --write README.md"
    assert "| `transcription.max_chunk_seconds` | `900` | a number from 5 to 10800 |" in written


def test_long_recordings_are_split_at_each_models_documented_limit() -> None:
    settings = Settings(backend="mistral", api_key=Secret("k"))
    assert chunk_seconds(settings) == 10_500  # Transcribe 2 takes about 3 hours per file
    settings.transcription.model = "voxtral-mini-2507"
    assert chunk_seconds(settings) == 900  # about 15 minutes for the 2507 models
    settings.transcription.model_max_seconds = {"voxtral-mini-2507": 600}
    assert chunk_seconds(settings) == 600
    settings.transcription.max_chunk_seconds = 12  # set by the user: every model
    assert chunk_seconds(settings) == 12
    assert chunk_seconds(Settings(backend="offline")) == 900
