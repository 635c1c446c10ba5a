from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import Secret, load_settings
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
    assert with_key.backend_label == "Mistral"
    mixed = load_settings(
        env={"VOXROOM_CONFIG": str(missing), "MISTRAL_API_KEY": "x"},
        overrides={"transcription.backend": "offline"},
    )
    assert mixed.backend_label == "mixed"


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
        ("backend = 'cloud'\n", "Unknown backend"),
        ("nonsense = 1\n", "Unknown config key 'nonsense'"),
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
        ("threshold = 1.5", "between 0.05 and 0.95"),
        ("threshold = nan", "between 0.05 and 0.95"),
        ("num_speakers = -1", "between 0 and 32"),
        ("enabled = 'yes'", "should be bool"),
    ):
        cfg.write_text(f"[diarization]\n{text}\n")
        with pytest.raises(ConfigError, match=match):
            load_settings(cfg, env={})
