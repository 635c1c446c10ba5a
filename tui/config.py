"""Settings: defaults, then the TOML config file, then the environment, then command-line flags.

The API key is held in a :class:`Secret` that never shows itself in ``str``/``repr``/``to_dict``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tui.errors import ConfigError
from tui.redact import display_url, register_secret, url_credentials

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
        register_secret(self._value)

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
    """Longest audio sent in one transcription request; longer recordings are split at silences.
    Left at 900, a model with a documented longer limit (:data:`MODEL_MAX_SECONDS`) uses that."""
    model_max_seconds: dict[str, float] = field(default_factory=dict)
    """Per-model limits that override :data:`MODEL_MAX_SECONDS` (``{"voxtral-mini-latest" = 10500}``)."""
    chunk_concurrency: int = 3
    realtime: bool = True
    """Mistral: transcribe over a realtime WebSocket while the room speaks (batch is the fallback)."""
    realtime_model: str = "voxtral-mini-transcribe-realtime-3"
    """The realtime model: the name the mistralai 3.7 SDK's tests and examples use. ``diarize`` and
    ``language`` are Voxtral 3 session fields (the SDK's docs: other realtime models answer 422)."""
    realtime_delay_ms: int = 240
    """``target_streaming_delay_ms``: how far the live text trails the audio (80 to 1200)."""
    realtime_turn_detection: bool = True
    """Ask the realtime service for turn events; when it has said the speaker finished and nothing
    was said since, the reply starts from the live text without waiting for the transcript's end."""


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
    offline_engine: str = "hibari"
    """``hibari`` (bundled af_heart voice, the default) or ``piper``."""
    offline_voice: str = ""
    """hibari: empty or ``heart`` (the only bundled voice). piper: a ``.onnx`` voice; empty uses the
    bundled en_US-joe-medium."""


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
class DiarizationSettings:
    """Offline speaker labels (the Mistral backend diarizes on the server)."""

    enabled: bool = True
    threshold: float = 0.40
    """Cosine distance at which voices count as different people (0.05 to 0.95; lower splits more)."""
    num_speakers: int = 0
    """How many people speak, when known (0 = unknown, at most 32)."""
    voice_profiles: bool = False
    """Remember voices across meetings (needs the consent of the people recorded)."""


@dataclass
class Settings:
    backend: str = "auto"
    """``auto`` (Mistral when a key is set, else offline), ``mistral`` or ``offline``."""
    theme: str = ""
    """Set only by the config file or a flag; empty lets the palette's remembered choice decide."""
    api_key: Secret = field(default_factory=Secret)
    server_url: str = ""
    """Send every Mistral call here instead of the public API (gateways, proxies, tests). It may hold
    credentials (``http://user:pass@proxy``): only the HTTP client reads it; show :attr:`server_display`."""
    timeout_s: float = 60.0
    """Longest wait for the server between two reads (connecting has its own few seconds)."""
    deadline_s: float = 300.0
    """Longest one call to a service may take in all, however steadily the server trickles."""
    retry_max_s: float = 8.0
    """How long transient errors (429, 5xx, refused connections) are retried before giving up."""
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    config_path: Path | None = None
    explicit: set[str] = field(default_factory=set, repr=False, compare=False)
    """The ``section.key`` settings the config file sets (where a default means "the model's own")."""
    transcription: TranscriptionSettings = field(default_factory=TranscriptionSettings)
    agent: AgentSettings = field(default_factory=AgentSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    hotkey: HotkeySettings = field(default_factory=HotkeySettings)
    diarization: DiarizationSettings = field(default_factory=DiarizationSettings)

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
    def server_display(self) -> str:
        """The Mistral server as it may be shown or saved: no credentials (see :func:`display_url`)."""

        return display_url(self.server_url or PUBLIC_SERVER)

    def transport_warning(self) -> str:
        """One sentence when a service URL in use is plain ``http://`` to another machine, else ``""``."""
        from tui.net import cleartext_hosts

        urls = []
        if "mistral" in {self.transcription_backend, self.agent_backend, self.speech_backend}:
            urls.append(("MISTRAL_SERVER_URL", self.server_url))
        if self.agent_backend == "openai":
            urls.append(("agent.openai_url", self.agent.openai_url))
        hosts = cleartext_hosts(urls)
        if not hosts:
            return ""
        names = " and ".join(f"{name} ({display_url(url)})" for name, url in hosts)
        verb = "is" if len(hosts) == 1 else "are"
        return (
            f"{names} {verb} plain http:// to another machine: the key and what the room says travel "
            "unencrypted; use https:// unless this network is trusted."
        )

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
            elif f.name == "server_url":
                out[f.name] = display_url(value)
            elif dataclasses.is_dataclass(value):
                out[f.name] = dataclasses.asdict(value)  # type: ignore[arg-type]
            elif isinstance(value, Path):
                out[f.name] = str(value)
            elif isinstance(value, set):
                out[f.name] = sorted(value)
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
    "diarization": DiarizationSettings,
}
_BACKENDS = {"auto", "mistral", "offline"}
PUBLIC_SERVER = "https://api.mistral.ai"
"""Where Mistral calls go without ``server_url``."""
DEFAULT_CHUNK_SECONDS = 900.0
MODEL_MAX_SECONDS: dict[str, float] = {
    "voxtral-mini-latest": 10_500.0,
    "voxtral-mini-2602": 10_500.0,
}
"""Documented length limits per transcription model: about 3 hours per file for Transcribe 2
(``voxtral-mini-latest``), a margin kept; about 15 minutes for the 2507 models, which
``max_chunk_seconds`` (900) already covers."""


def chunk_seconds(settings: Settings) -> float:
    """The longest recording sent in one request with these settings (longer ones are split)."""
    fallback = settings.transcription.max_chunk_seconds
    explicit = "transcription.max_chunk_seconds" in settings.explicit or fallback != DEFAULT_CHUNK_SECONDS
    if settings.transcription_backend != "mistral" or explicit:
        return fallback  # offline, or set by the user: it applies to every model
    limits = {**MODEL_MAX_SECONDS, **settings.transcription.model_max_seconds}
    limit = limits.get(settings.transcription.model, fallback)
    try:
        return min(max(float(limit), 5.0), 3 * 3600.0)
    except (TypeError, ValueError):
        return fallback


REALTIME_DELAY_MS = (80, 1200)
"""The range Mistral documents for ``target_streaming_delay_ms``."""
OFFLINE_ENGINES = ("hibari", "piper")

MAX_CONFIG_BYTES = 1_000_000
MODERATION_CATEGORIES = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous",
    "criminal",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
    "jailbreaking",
)
"""The ``moderation_llm_v2`` categories of the mistralai SDK (``ModerationLlmv2CategoryThresholds``)."""

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
_URL = r"^https?://[^\s/?#]+[^\s]*$"


@dataclass(frozen=True)
class Spec:
    """What one setting accepts: its type and its range (numbers), choices, or pattern and length (text)."""

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""
    max_len: int = 200
    optional: bool = False
    """``None`` (a missing value) is allowed."""

    def allowed(self) -> str:
        if self.kind is bool:
            text = "true or false"
        elif self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind in (int, float):
            kind = "a whole number" if self.kind is int else "a number"
            text = f"{kind} from {_number(self.low)} to {_number(self.high)}"
        elif self.kind is dict:
            text = "a table of category = threshold from 0 to 1; categories: " + ", ".join(
                MODERATION_CATEGORIES
            )
        elif self.pattern == _URL:
            text = f"an http:// or https:// URL (at most {self.max_len} characters), or empty"
        elif self.pattern:
            text = f"a name of letters, digits, '_', '.', ':' or '-' (at most {self.max_len} characters)"
        else:
            text = f"text of at most {self.max_len} characters"
        return text + (", or unset" if self.optional else "")

    def check(self, value: Any) -> tuple[Any, str]:
        """``(cleaned value, "")``, or ``(None, why it is refused)``."""
        if value is None:
            return (None, "") if self.optional else (None, "is missing")
        if self.kind is bool:
            return (value, "") if isinstance(value, bool) else (None, "is not true or false")
        if self.kind in (int, float):
            return self._check_number(value)
        if self.kind is dict:
            return self._check_thresholds(value)
        if not isinstance(value, str):
            return None, f"is {_type_name(value)}, not text"
        value = value.strip()
        if len(value) > self.max_len:
            return None, f"is {len(value)} characters long"
        if _CONTROL_CHARS.search(value):
            return None, "holds control characters"
        if self.choices:
            return (value, "") if value in self.choices else (None, "is not allowed")
        if self.pattern and value and not re.match(self.pattern, value):
            return None, "is not allowed"
        return value, ""

    def _check_number(self, value: Any) -> tuple[Any, str]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"is {_type_name(value)}, not a number"
        if self.kind is int and not isinstance(value, int):
            return None, "is not a whole number"
        if not math.isfinite(value) or not (self.low or 0) <= value <= (self.high or 0):
            return None, "is out of range"
        return self.kind(value), ""

    def _check_thresholds(self, value: Any) -> tuple[Any, str]:
        if not isinstance(value, dict):
            return None, f"is {_type_name(value)}, not a table"
        unknown = sorted(str(k) for k in value if k not in MODERATION_CATEGORIES)
        bad = sorted(
            str(k)
            for k, v in value.items()
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0
        )
        why = []
        if unknown:
            why.append("names unknown categor" + ("ies " if len(unknown) > 1 else "y ") + ", ".join(unknown))
        if bad:
            why.append("has thresholds outside 0 to 1 for " + ", ".join(bad))
        if why:
            return None, " and ".join(why)
        return {str(k): float(v) for k, v in value.items()}, ""


def _number(value: float | None) -> str:
    value = value or 0
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _type_name(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        dict: "a table",
        list: "a list",
    }
    return names.get(type(value), type(value).__name__)


_BACKEND_CHOICES = ("", "mistral", "offline")
SPECS: dict[str, Spec] = {
    # One line per setting: its type and range. Flags and environment variables are checked here too.
    "backend": Spec(str, choices=tuple(sorted(_BACKENDS))),
    "theme": Spec(str, pattern=_NAME, max_len=64),
    "api_key": Spec(str, max_len=500),
    "server_url": Spec(str, pattern=_URL, max_len=500),
    "timeout_s": Spec(float, 1, 3600),
    "retry_max_s": Spec(float, 0, 600),
    "deadline_s": Spec(float, 1, 3600),
    "data_dir": Spec(str, max_len=1000),
    "transcription.backend": Spec(str, choices=_BACKEND_CHOICES),
    "transcription.model": Spec(str, pattern=_NAME, max_len=100),
    "transcription.language": Spec(str, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_len=10),
    "transcription.diarize": Spec(bool),
    "transcription.offline_model": Spec(str, max_len=1000),
    "transcription.offline_compute_type": Spec(
        str,
        choices=("int8", "int8_float32", "int8_float16", "int16", "float16", "float32", "auto", "default"),
    ),
    "transcription.max_chunk_seconds": Spec(float, 5, 3 * 3600),
    "transcription.chunk_concurrency": Spec(int, 1, 16),
    "transcription.model_max_seconds": Spec(dict),
    "agent.backend": Spec(str, choices=("", "mistral", "openai", "none")),
    "agent.model": Spec(str, pattern=_NAME, max_len=100),
    "agent.name": Spec(str, max_len=100),
    "agent.description": Spec(str, max_len=1000),
    "agent.instructions": Spec(str, max_len=20_000),
    "agent.web_search": Spec(bool),
    "agent.temperature": Spec(float, 0, 2),
    "agent.top_p": Spec(float, 0, 1),
    "agent.max_tokens": Spec(int, 1, 1_000_000, optional=True),
    "agent.moderation": Spec(bool),
    "agent.moderation_thresholds": Spec(dict),
    "agent.openai_url": Spec(str, pattern=_URL, max_len=500),
    "agent.openai_model": Spec(str, max_len=200),
    "agent.openai_api_key_env": Spec(str, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_len=100),
    "speech.backend": Spec(str, choices=("", "mistral", "offline", "none")),
    "speech.model": Spec(str, pattern=_NAME, max_len=100),
    "speech.voice": Spec(str, pattern=_NAME, max_len=100),
    "speech.offline_voice": Spec(str, max_len=1000),
    "audio.input_device": Spec(str, max_len=200),
    "audio.output_device": Spec(str, max_len=200),
    "audio.half_duplex": Spec(bool),
    "audio.auto_stop_silence_s": Spec(float, 1, 24 * 3600),
    "audio.max_recording_s": Spec(float, 1, 24 * 3600),
    "audio.min_recording_s": Spec(float, 0, 60),
    "hotkey.key": Spec(str, pattern=r"^[a-z][a-z0-9_]*$", max_len=20),
    "hotkey.fallback_key": Spec(str, pattern=r"^[a-z][a-z0-9_+]*$", max_len=20),
    "hotkey.global_listener": Spec(bool),
    "hotkey.debounce_ms": Spec(int, 0, 5000),
    "transcription.realtime": Spec(bool),
    "transcription.realtime_model": Spec(str, pattern=_NAME, max_len=100),
    "transcription.realtime_delay_ms": Spec(int, *REALTIME_DELAY_MS),
    "transcription.realtime_turn_detection": Spec(bool),
    "speech.offline_engine": Spec(str, choices=OFFLINE_ENGINES),
    "diarization.enabled": Spec(bool),
    "diarization.threshold": Spec(float, 0.05, 0.95),
    "diarization.num_speakers": Spec(int, 0, 32),
    "diarization.voice_profiles": Spec(bool),
}


def spec_for(key: str, default: Any) -> Spec:
    """The declared spec, or one derived from the default for a key nobody declared yet."""
    if key in SPECS:
        return SPECS[key]
    if isinstance(default, bool):
        return Spec(bool)
    if isinstance(default, int | float):
        return Spec(type(default), 0, 1_000_000)
    if isinstance(default, dict):
        return Spec(dict)
    return Spec(str, max_len=1000, optional=default is None)


class _Problems:
    """Collects every refused value, so one error can name them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, label: str, value: Any, why: str, spec: Spec | None, *, secret: bool = False) -> None:
        shown = "(hidden)" if secret else _show(value)
        allowed = f" (allowed: {spec.allowed()})" if spec is not None else ""
        self.items.append(f"{label} = {shown} {why}{allowed}")

    def raise_if_any(self, source: str) -> None:
        if not self.items:
            return
        count = "1 problem" if len(self.items) == 1 else f"{len(self.items)} problems"
        raise ConfigError(
            f"{count} in {source}: " + "; ".join(self.items) + ".", hint="Fix it and run again."
        )


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict) else "{...}"
    return _CONTROL_CHARS.sub("?", text if len(text) <= 40 else text[:37] + "...")


def _set(target: Any, name: str, key: str, value: Any, problems: _Problems, label: str = "") -> None:
    """Check ``value`` against the spec of ``key`` and set it, or note the problem under ``label``."""
    spec = spec_for(key, getattr(target, name))
    cleaned, why = spec.check(str(value) if isinstance(value, Path) else value)
    if why:
        problems.add(label or key, value, why, spec, secret=key == "api_key")
    elif key == "data_dir":
        target.data_dir = Path(cleaned).expanduser() if cleaned else target.data_dir
    elif key == "api_key":
        target.api_key = Secret(cleaned)
    else:
        setattr(target, name, cleaned)


def _check_together(settings: Settings, problems: _Problems) -> None:
    """Rules that involve two settings."""
    audio = settings.audio
    if audio.min_recording_s > audio.max_recording_s:
        problems.add(
            "audio.min_recording_s",
            audio.min_recording_s,
            f"is longer than audio.max_recording_s ({audio.max_recording_s:g})",
            None,
        )


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{path} holds an API key but other users can change it.",
            hint=f"Run: chmod 600 {path}",
        )
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        raise ConfigError(
            f"{path} holds an API key but other users can read it.",
            hint=f"Run: chmod 600 {path}",
        )


def _read_file(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"Config file {path} is a folder.", hint="Point --config at a TOML file.")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror}.", hint="Check its permissions.") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1000} kB; it is not a config file.")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.", hint="Save it as UTF-8 TOML.") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}.", hint="Fix that line.") from None


def _apply_file(settings: Settings, path: Path) -> None:
    data = _read_file(path)
    problems = _Problems()
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                problems.add(f"[{key}]", value, "should be a table", None)
                continue
            section = getattr(settings, key)
            names = {f.name for f in dataclasses.fields(section)}
            for name, item in value.items():
                if name not in names:
                    known = ", ".join(sorted(names))
                    problems.add(f"{key}.{name}", item, f"is not a setting (known in [{key}]: {known})", None)
                else:
                    _set(section, name, f"{key}.{name}", item, problems)
                    settings.explicit.add(f"{key}.{name}")
        elif key in _TOP_LEVEL:
            if key == "api_key" and value:
                _check_private(path)
            _set(settings, key, key, value, problems)
        else:
            known = ", ".join([*_TOP_LEVEL, *(f"[{name}]" for name in _SECTIONS)])
            problems.add(str(key), value, f"is not a setting (known: {known})", None)
    _check_together(settings, problems)
    problems.raise_if_any(f"config file {path}")


_TOP_LEVEL = (
    "backend",
    "theme",
    "api_key",
    "server_url",
    "timeout_s",
    "deadline_s",
    "retry_max_s",
    "data_dir",
)
ENV_VARS = {
    "MISTRAL_API_KEY": "api_key",
    "MISTRAL_SERVER_URL": "server_url",
    "VOXROOM_BACKEND": "backend",
    "VOXROOM_DATA_DIR": "data_dir",
}
"""Environment variables and the setting each one sets (an empty variable is ignored)."""


def flag_name(key: str) -> str:
    """The command-line flag for an override key: ``audio.input_device`` -> ``--input-device``."""
    return "--" + key.rsplit(".", 1)[-1].replace("_", "-")


def config_file_path(config_path: Path | str | None = None, env: dict[str, str] | None = None) -> Path:
    """Where the config is read from: ``--config``, else ``$VOXROOM_CONFIG``, else the user config dir."""
    env = os.environ if env is None else env
    return Path(config_path or env.get("VOXROOM_CONFIG") or default_config_path()).expanduser()


def _check_network(settings: Settings) -> None:
    """Service URLs usable (ranges are checked with every setting, in SPECS); the server URL's
    password joins the scrubbed secrets."""
    url = settings.server_url
    if url and (not url.lower().startswith(("http://", "https://")) or "://" not in display_url(url)):
        raise ConfigError(
            f"MISTRAL_SERVER_URL '{display_url(url)}' is not an http(s) URL.",
            hint="Set it to an http:// or https:// address, e.g. https://api.mistral.ai.",
        )
    for address in (url, settings.agent.openai_url):
        for part in url_credentials(address):
            register_secret(part)


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
    path = config_file_path(config_path, env)
    if path.exists():
        _apply_file(settings, path)
        settings.config_path = path
    elif config_path is not None:
        raise ConfigError(f"Config file {path} does not exist.", hint="Check the --config path.")

    problems = _Problems()
    for var, key in ENV_VARS.items():
        if env.get(var, "").strip():
            _set(settings, key, key, env[var], problems, label=f"environment variable {var}")
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        target, name = settings, key
        if "." in key:
            section, name = key.split(".", 1)
            target = getattr(settings, section)
        _set(target, name, key, value, problems, label=f"flag {flag_name(key)}")
    _check_together(settings, problems)
    problems.raise_if_any("the environment and flags")

    _check_network(settings)
    if settings.resolved_backend == "mistral" and not settings.api_key and not settings.server_url:
        raise ConfigError(
            "The Mistral backend needs an API key.",
            hint="Set MISTRAL_API_KEY, or use --offline.",
        )
    return settings
