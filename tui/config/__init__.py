"""Settings: each declared once (:mod:`tui.config.settings`, with :mod:`tui.config.spec`), loaded and
checked from the config file, the environment and flags (:mod:`tui.config.load`), and listed for the
README (:mod:`tui.config.reference`)."""

from tui.config.load import (
    MAX_CONFIG_BYTES,
    config_file_path,
    default_config_path,
    flag_name,
    load_settings,
)
from tui.config.settings import (
    APP_NAME,
    DEFAULT_CHUNK_SECONDS,
    DEFAULT_INSTRUCTIONS,
    ENV_VARS,
    MODEL_MAX_SECONDS,
    MODERATION_CATEGORIES,
    OFFLINE_ENGINES,
    PUBLIC_SERVER,
    REALTIME_DELAY_MS,
    SPECS,
    AgentSettings,
    AudioSettings,
    DiarizationSettings,
    HotkeySettings,
    Secret,
    Settings,
    SpeechSettings,
    TranscriptionSettings,
    spec_for,
)
from tui.config.spec import Spec

__all__ = [
    "APP_NAME",
    "DEFAULT_CHUNK_SECONDS",
    "DEFAULT_INSTRUCTIONS",
    "ENV_VARS",
    "MAX_CONFIG_BYTES",
    "MODEL_MAX_SECONDS",
    "MODERATION_CATEGORIES",
    "OFFLINE_ENGINES",
    "PUBLIC_SERVER",
    "REALTIME_DELAY_MS",
    "SPECS",
    "AgentSettings",
    "AudioSettings",
    "DiarizationSettings",
    "HotkeySettings",
    "Secret",
    "Settings",
    "Spec",
    "SpeechSettings",
    "TranscriptionSettings",
    "config_file_path",
    "default_config_path",
    "flag_name",
    "load_settings",
    "spec_for",
]
