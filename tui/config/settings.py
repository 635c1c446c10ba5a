"""Every setting, declared once: its default, type, range and meaning (see :mod:`tui.config.spec`).

The API key is held in a :class:`Secret` that never shows itself in ``str``/``repr``/``to_dict``.
Which service serves each step is decided from these settings in :mod:`tui.backends`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from tui.config.spec import (
    NAME,
    Spec,
    choice,
    declare,
    flag,
    is_section,
    named,
    number,
    section,
    spec_of,
    table,
    text,
    url,
    whole,
)
from tui.redact import display_url, register_secret

APP_NAME = "voxroom"
PUBLIC_SERVER = "https://api.mistral.ai"
"""Where Mistral calls go without ``server_url``."""

DEFAULT_INSTRUCTIONS = (
    "You are Voxroom, a voice assistant listening to a meeting room. You receive a diarized "
    "transcript where each line starts with a speaker label. Answer the question or request the "
    "people in the room put to you, in plain spoken English: short sentences, no markdown, no lists, "
    "no emoji, no URLs read aloud. Search the web when the answer depends on recent facts. Keep "
    "answers under about eighty words unless asked for more."
)
DEFAULT_CHUNK_SECONDS = 900.0
MODEL_MAX_SECONDS: dict[str, float] = {
    "voxtral-mini-latest": 10_500.0,
    "voxtral-mini-2602": 10_500.0,
}
"""Documented length limits per transcription model: about 3 hours per file for Transcribe 2
(``voxtral-mini-latest``), a margin kept; about 15 minutes for the 2507 models, which
``max_chunk_seconds`` (900) already covers."""
REALTIME_DELAY_MS = (80, 1200)
"""The range Mistral documents for ``target_streaming_delay_ms``."""
OFFLINE_ENGINES = ("hibari", "piper")
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
COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int16", "float16", "float32", "auto", "default")


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


def _data_dir(value: str) -> Path | None:
    return Path(value).expanduser() if value else None


@dataclass
class TranscriptionSettings:
    backend: str = choice(
        "", ("", "mistral", "offline"), "`mistral` or `offline`; empty follows the top-level `backend`."
    )
    model: str = named("voxtral-mini-latest", "The Mistral transcription model.")
    language: str = text(
        "",
        "The language spoken (`en`, `fr`, ...); empty lets the model tell.",
        max_len=10,
        pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
        shape="a language code such as en or pt-BR, or empty",
    )
    diarize: bool = flag(True, "Label who speaks (Mistral).")
    offline_model: str = text(
        "", "A local faster-whisper model folder; empty uses the bundled Whisper tiny.en.", max_len=1000
    )
    offline_compute_type: str = choice("int8", COMPUTE_TYPES, "How Whisper computes offline.")
    max_chunk_seconds: float = number(
        DEFAULT_CHUNK_SECONDS,
        5,
        3 * 3600,
        "Longest audio sent in one request; longer recordings are split at silences. Left at 900, a "
        "model with a documented longer limit uses that.",
    )
    model_max_seconds: dict[str, float] = table(
        "Per-model limits that override the documented ones (`{ voxtral-mini-latest = 10500 }`).",
        5,
        3 * 3600,
        pattern=NAME,
        item=("model", "models"),
        value_word="limit",
    )
    chunk_concurrency: int = whole(3, 1, 16, "How many pieces of a long recording are sent at once.")
    realtime: bool = flag(
        True, "Mistral: transcribe over a realtime WebSocket while the room speaks (batch is the fallback)."
    )
    realtime_model: str = named(
        "voxtral-mini-transcribe-realtime-3",
        "The realtime model (`diarize` and `language` are Voxtral 3 session fields).",
    )
    realtime_delay_ms: int = whole(
        240, *REALTIME_DELAY_MS, "`target_streaming_delay_ms`: how far the live text trails the audio."
    )
    realtime_turn_detection: bool = flag(
        True,
        "Ask the realtime service for turn events: when the speaker has finished, the reply starts from "
        "the live text without waiting for the transcript's end.",
    )
    realtime_early_answer: bool = flag(
        True,
        "With turn detection: when the service says the turn ended (and at the key press, on the live "
        "text), ask the agent early, in a branch of the conversation, and synthesise the first sentence; "
        "played at the press when the final text has the same words, discarded (branch deleted) otherwise.",
    )
    realtime_early_answer_calls: int = whole(
        3,
        1,
        10,
        "The most early (speculative) agent calls one recorded turn may make; the last is kept for the "
        "key press.",
    )


@dataclass
class AgentSettings:
    backend: str = choice(
        "",
        ("", "mistral", "openai", "none"),
        "`mistral`, `openai` (an OpenAI-compatible server) or `none`; empty follows `backend` (offline: "
        "`openai` when `openai_url` is set).",
    )
    model: str = named("mistral-small-latest", "The Mistral model behind the agent.")
    name: str = text("Voxroom", "The agent's name.", max_len=100)
    description: str = text(
        "Meeting-room voice assistant that answers spoken questions, with web search.",
        "The agent's description.",
        max_len=1000,
    )
    instructions: str = text(DEFAULT_INSTRUCTIONS, "The agent's instructions.", max_len=20_000)
    web_search: bool = flag(True, "Let the agent search the web.")
    temperature: float = number(0.3, 0, 2, "Sampling temperature.")
    top_p: float = number(0.95, 0, 1, "Nucleus sampling.")
    max_tokens: int | None = whole(
        None, 1, 1_000_000, "Longest reply in tokens; unset lets the model decide.", optional=True
    )
    context_chars: int = whole(
        16_000,
        0,
        200_000,
        "Most characters of meeting notes sent with a question (the notes since the last one, newest "
        "kept; a marker says what was left out); 0 sends none.",
    )
    moderation: bool = flag(False, "`moderation_llm_v2` guardrails.")
    moderation_thresholds: dict[str, float] = table(
        "Per-category guardrail thresholds (`{ hate_and_discrimination = 0.2 }`).",
        0,
        1,
        choices=MODERATION_CATEGORIES,
    )
    openai_url: str = url(
        "Base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:11434/v1` (Ollama)."
    )
    openai_model: str = text("", "The model that server runs (`llama3.2`); empty: `default`.")
    openai_api_key_env: str = text(
        "",
        "Name of the environment variable holding that server's key, if it needs one.",
        max_len=100,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        shape="an environment variable name, or empty",
    )


@dataclass
class SpeechSettings:
    backend: str = choice(
        "", ("", "mistral", "offline", "none"), "`mistral`, `offline` or `none`; empty follows `backend`."
    )
    model: str = named("voxtral-mini-tts-2603", "The Mistral speech model.")
    voice: str = named("gb_jane_neutral", "The Mistral voice.")
    transport: str = choice(
        "socket",
        ("socket", "http"),
        "Mistral: `socket` speaks each sentence from its first words over the realtime speech "
        "WebSocket; `http` sends each whole sentence in one streamed request.",
    )
    offline_engine: str = choice("hibari", OFFLINE_ENGINES, "`hibari` (bundled af_heart voice) or `piper`.")
    offline_voice: str = text(
        "",
        "hibari: empty or `heart` (the only bundled voice). piper: a `.onnx` voice; empty uses the bundled "
        "en_US-joe-medium.",
        max_len=1000,
    )


@dataclass
class AudioSettings:
    input_device: str = text("", "Recording device: a name (substring) or index; see `voxroom devices`.")
    output_device: str = text("", "Playback device, the same way.")
    half_duplex: bool = flag(True, "Never record Voxroom's own voice.")
    auto_stop_silence_s: float = number(600.0, 1, 24 * 3600, "A recording stops after this much silence.")
    max_recording_s: float = number(
        4 * 3600.0, 1, 24 * 3600, "Longest recording (also the longest file `transcribe`/`ask` read)."
    )
    min_recording_s: float = number(
        0.3, 0, 60, "Shorter recordings are dropped; not more than `max_recording_s`."
    )


@dataclass
class HotkeySettings:
    key: str = text(
        "shift_r",
        "The global push-to-talk key (pynput's name).",
        max_len=20,
        pattern=r"^[a-z][a-z0-9_]*$",
        shape="a key name of lowercase letters, digits and '_' such as shift_r",
    )
    fallback_key: str = text(
        "space",
        "The key inside the terminal.",
        max_len=20,
        pattern=r"^[a-z][a-z0-9_+]*$",
        shape="a key name such as space or ctrl+t",
    )
    global_listener: bool = flag(True, "Listen for the key outside the terminal (X11/macOS/Windows).")
    debounce_ms: int = whole(250, 0, 5000, "Presses closer together count once.")


@dataclass
class DiarizationSettings:
    """Offline speaker labels (the Mistral backend diarizes on the server)."""

    enabled: bool = flag(True, "Label speakers offline, and match people by voice across turns.")
    threshold: float = number(
        0.40, 0.05, 0.95, "Cosine distance at which voices count as different people (lower splits more)."
    )
    num_speakers: int = whole(0, 0, 32, "How many people speak, when known (0 = unknown).")
    voice_profiles: bool = flag(False, "Remember voices across meetings (ask the people recorded first).")


@dataclass
class Settings:
    backend: str = choice(
        "auto",
        ("auto", "mistral", "offline"),
        "`auto` (Mistral when a key is set, else offline), `mistral` or `offline`.",
        env="VOXROOM_BACKEND",
    )
    theme: str = named("", "When set, it wins over the theme last chosen in the palette.", max_len=64)
    api_key: Secret = declare(
        None,
        Spec(
            str,
            max_len=500,
            doc="The Mistral key; a config file holding it must be private (chmod 600).",
            env="MISTRAL_API_KEY",
            secret=True,
            convert=Secret,
        ),
        factory=Secret,
    )
    server_url: str = url(
        "Send every Mistral call here instead of the public API (gateways, proxies, tests).",
        env="MISTRAL_SERVER_URL",
    )
    """It may hold credentials (``http://user:pass@proxy``): only the HTTP client reads it; show
    :attr:`server_display`."""
    timeout_s: float = number(60.0, 1, 3600, "Longest wait for the server between two reads.")
    deadline_s: float = number(
        300.0, 1, 3600, "Longest one call to a service may take in all, streamed answers included."
    )
    retry_max_s: float = number(
        8.0, 0, 600, "How long transient errors (429, 5xx, refused connections) are retried."
    )
    data_dir: Path = declare(
        None,
        Spec(
            str,
            max_len=1000,
            doc="Where sessions and caches live (default: the user data dir).",
            env="VOXROOM_DATA_DIR",
            convert=_data_dir,
        ),
        factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)),
    )
    config_path: Path | None = None
    explicit: set[str] = field(default_factory=set, repr=False, compare=False)
    """The settings the config file sets (where a default means "the model's own")."""
    transcription: TranscriptionSettings = section(TranscriptionSettings)
    agent: AgentSettings = section(AgentSettings)
    speech: SpeechSettings = section(SpeechSettings)
    audio: AudioSettings = section(AudioSettings)
    hotkey: HotkeySettings = section(HotkeySettings)
    diarization: DiarizationSettings = section(DiarizationSettings)

    @property
    def resolved_backend(self) -> str:
        """The top-level ``backend`` with ``auto`` decided: Mistral when a key is set, else offline."""
        if self.backend == "auto":
            return "mistral" if self.api_key else "offline"
        return self.backend

    @property
    def server_display(self) -> str:
        """The Mistral server as it may be shown or saved: no credentials (see :func:`display_url`)."""

        return display_url(self.server_url or PUBLIC_SERVER)

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


def _declared() -> dict[str, Spec]:
    out: dict[str, Spec] = {}
    for f in dataclasses.fields(Settings):
        spec = spec_of(f)
        if spec is not None:
            out[f.name] = spec
        elif is_section(f):
            for g in dataclasses.fields(f.default_factory()):  # type: ignore[misc]
                inner = spec_of(g)
                if inner is None:
                    raise TypeError(f"{f.name}.{g.name} is not declared with its range")
                out[f"{f.name}.{g.name}"] = inner
    return out


SPECS: dict[str, Spec] = _declared()
"""Every setting by its ``key`` or ``section.key``, read from the declarations above."""
SECTIONS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings) if is_section(f))
TOP_LEVEL: tuple[str, ...] = tuple(key for key in SPECS if "." not in key)
ENV_VARS: dict[str, str] = {spec.env: key for key, spec in SPECS.items() if spec.env}
"""Environment variables and the setting each one sets (an empty variable is ignored)."""


def spec_for(key: str) -> Spec:
    """The declared spec of ``key``; a key nobody declared is a ``KeyError``."""
    return SPECS[key]


def default_of(key: str) -> Any:
    """The default value of a declared setting."""
    spec_for(key)
    fresh = Settings()
    target, attr = (getattr(fresh, key.split(".")[0]), key.split(".")[1]) if "." in key else (fresh, key)
    return getattr(target, attr)
