"""Settings: defaults, then the TOML config file, then the environment, then command-line flags.

The API key is held in a :class:`Secret` that never shows itself in ``str``/``repr``/``to_dict``.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tui.errors import ConfigError

APP_NAME = "voxroom"

DEFAULT_INSTRUCTIONS = (
    "You are Voxroom, a voice assistant listening to a meeting room. You receive a diarized "
    "transcript where each line starts with a speaker label. Answer the question or request the "
    "people in the room put to you, in plain spoken English: short sentences, no markdown, no lists, "
    "no emoji, no URLs read aloud. Search the web when the answer depends on recent facts. Keep "
    "answers under about eighty words unless asked for more."
)


class Secret:
    """A string that never prints itself. ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass
class TranscriptionSettings:
    backend: str = ""
    """``mistral`` or ``offline``; empty follows the top-level ``backend``."""
    model: str = "voxtral-mini-latest"
    language: str = ""
    diarize: bool = True
    offline_model: str = ""
    """A local faster-whisper model directory; empty uses the bundled Whisper tiny.en."""
    offline_compute_type: str = "int8"
    max_chunk_seconds: float = 900.0
    """Longest audio sent in one transcription request; longer recordings are split at silences."""
    chunk_concurrency: int = 3
    realtime: bool = True
    """Mistral: transcribe over a realtime WebSocket while the room speaks (batch is the fallback)."""
    realtime_model: str = "voxtral-mini-transcribe-realtime-3"
    """The realtime model: the name the mistralai 3.7 SDK's tests and examples use. ``diarize`` and
    ``language`` are Voxtral 3 session fields (the SDK's docs: other realtime models answer 422)."""
    realtime_delay_ms: int = 240
    """``target_streaming_delay_ms``: how far the live text trails the audio (80 to 1200)."""


@dataclass
class AgentSettings:
    backend: str = ""
    """``mistral``, ``openai`` (an OpenAI-compatible server) or ``none``; empty follows ``backend``."""
    model: str = "mistral-small-latest"
    name: str = "Voxroom"
    description: str = "Meeting-room voice assistant that answers spoken questions, with web search."
    instructions: str = DEFAULT_INSTRUCTIONS
    web_search: bool = True
    temperature: float = 0.3
    top_p: float = 0.95
    max_tokens: int | None = None
    moderation: bool = False
    moderation_thresholds: dict[str, float] = field(default_factory=dict)
    """Per-category thresholds for ``moderation_llm_v2`` (e.g. ``{"hate_and_discrimination": 0.2}``)."""
    openai_url: str = ""
    """Base URL of an OpenAI-compatible server, e.g. ``http://127.0.0.1:11434/v1`` for Ollama."""
    openai_model: str = ""
    openai_api_key_env: str = ""
    """Name of the environment variable holding that server's key, if it needs one."""


@dataclass
class SpeechSettings:
    backend: str = ""
    """``mistral``, ``offline`` or ``none``; empty follows the top-level ``backend``."""
    model: str = "voxtral-mini-tts-2603"
    voice: str = "gb_jane_neutral"
    offline_voice: str = ""
    """A Piper ``.onnx`` voice; empty uses the bundled en_US-joe-medium."""


@dataclass
class AudioSettings:
    input_device: str = ""
    output_device: str = ""
    half_duplex: bool = True
    auto_stop_silence_s: float = 600.0
    max_recording_s: float = 4 * 3600.0
    min_recording_s: float = 0.3


@dataclass
class HotkeySettings:
    key: str = "shift_r"
    fallback_key: str = "space"
    global_listener: bool = True
    debounce_ms: int = 250


@dataclass
class Settings:
    backend: str = "auto"
    """``auto`` (Mistral when a key is set, else offline), ``mistral`` or ``offline``."""
    theme: str = "voxroom-dark"
    api_key: Secret = field(default_factory=Secret)
    server_url: str = ""
    """Send every Mistral call here instead of the public API (gateways, proxies, tests)."""
    timeout_s: float = 60.0
    retry_max_s: float = 8.0
    """How long transient errors (429, 5xx, refused connections) are retried before giving up."""
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    config_path: Path | None = None
    transcription: TranscriptionSettings = field(default_factory=TranscriptionSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    hotkey: HotkeySettings = field(default_factory=HotkeySettings)

    # -- derived -------------------------------------------------------------------------------
    @property
    def resolved_backend(self) -> str:
        if self.backend == "auto":
            return "mistral" if self.api_key else "offline"
        return self.backend

    @property
    def transcription_backend(self) -> str:
        return self.transcription.backend or self.resolved_backend

    @property
    def agent_backend(self) -> str:
        if self.agent.backend:
            return self.agent.backend
        return "mistral" if self.resolved_backend == "mistral" else "none"

    @property
    def speech_backend(self) -> str:
        return self.speech.backend or self.resolved_backend

    @property
    def backend_label(self) -> str:
        """``Mistral``, ``offline`` or ``mixed`` for the status bar."""
        parts = {self.transcription_backend, self.speech_backend}
        if self.agent_backend != "none":
            parts.add(self.agent_backend)
        if parts == {"mistral"}:
            return "Mistral"
        if parts == {"offline"}:
            return "offline"
        return "mixed"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    def to_dict(self) -> dict[str, Any]:
        """Everything but the key (which shows only as present or not)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "api_key":
                out["api_key_set"] = bool(value)
            elif dataclasses.is_dataclass(value):
                out[f.name] = dataclasses.asdict(value)  # type: ignore[arg-type]
            elif isinstance(value, Path):
                out[f.name] = str(value)
            else:
                out[f.name] = value
        return out


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


_SECTIONS = {
    "transcription": TranscriptionSettings,
    "agent": AgentSettings,
    "speech": SpeechSettings,
    "audio": AudioSettings,
    "hotkey": HotkeySettings,
}
_BACKENDS = {"auto", "mistral", "offline"}
REALTIME_DELAY_MS = (80, 1200)
"""The range Mistral documents for ``target_streaming_delay_ms``."""


def _coerce(name: str, value: Any, default: Any) -> Any:
    if default is None or isinstance(value, type(default)):
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ConfigError(f"Config key '{name}' should be {type(default).__name__}, not {type(value).__name__}.")


def _apply_section(target: Any, data: dict[str, Any], prefix: str) -> None:
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"Unknown config key '{prefix}{key}'.", hint="Check its spelling.")
        setattr(target, key, _coerce(prefix + key, value, getattr(target, key)))


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        raise ConfigError(
            f"{path} holds an API key but other users can read it.",
            hint=f"Run: chmod 600 {path}",
        )


def _apply_file(settings: Settings, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}.") from None
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror}.") from None
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"Config section [{key}] should be a table.")
            _apply_section(getattr(settings, key), value, f"{key}.")
        elif key == "api_key":
            if value:
                _check_private(path)
            settings.api_key = Secret(str(value))
        elif key == "data_dir":
            settings.data_dir = Path(str(value)).expanduser()
        elif key in {"backend", "theme", "server_url", "timeout_s", "retry_max_s"}:
            setattr(settings, key, _coerce(key, value, getattr(settings, key)))
        else:
            raise ConfigError(f"Unknown config key '{key}'.", hint="Check its spelling.")


def load_settings(
    config_path: Path | str | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build settings: defaults < config file < environment < ``overrides`` (from flags).

    ``overrides`` keys are top-level names or dotted ``section.key`` names; ``None`` values are
    ignored so argparse defaults can be passed straight through.
    """
    env = dict(os.environ if env is None else env)
    settings = Settings()
    path = Path(config_path or env.get("VOXROOM_CONFIG") or default_config_path()).expanduser()
    if path.exists():
        _apply_file(settings, path)
        settings.config_path = path
    elif config_path is not None:
        raise ConfigError(f"Config file {path} does not exist.")

    if env.get("MISTRAL_API_KEY"):
        settings.api_key = Secret(env["MISTRAL_API_KEY"])
    if env.get("MISTRAL_SERVER_URL"):
        settings.server_url = env["MISTRAL_SERVER_URL"].strip()
    if env.get("VOXROOM_BACKEND"):
        settings.backend = env["VOXROOM_BACKEND"].strip()
    if env.get("VOXROOM_DATA_DIR"):
        settings.data_dir = Path(env["VOXROOM_DATA_DIR"]).expanduser()

    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if "." in key:
            section, name = key.split(".", 1)
            target = getattr(settings, section)
            setattr(target, name, _coerce(key, value, getattr(target, name)))
        elif key == "data_dir":
            settings.data_dir = Path(value).expanduser()
        else:
            setattr(settings, key, value)

    delay = settings.transcription.realtime_delay_ms
    if not REALTIME_DELAY_MS[0] <= delay <= REALTIME_DELAY_MS[1]:
        raise ConfigError(
            f"Config key 'transcription.realtime_delay_ms' is {delay}, outside "
            f"{REALTIME_DELAY_MS[0]} to {REALTIME_DELAY_MS[1]}.",
            hint="Set it between 80 and 1200 (240 is the service's default).",
        )
    if settings.backend not in _BACKENDS:
        raise ConfigError(f"Unknown backend '{settings.backend}'.", hint="Use auto, mistral or offline.")
    if settings.resolved_backend == "mistral" and not settings.api_key and not settings.server_url:
        raise ConfigError(
            "The Mistral backend needs an API key.",
            hint="Set MISTRAL_API_KEY, or use --offline.",
        )
    return settings
