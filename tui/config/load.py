"""Load the settings: defaults, then the TOML config file, then the environment, then command-line flags.

Every value from outside is checked against its declared :class:`~tui.config.spec.Spec`; a config
with problems is refused with every problem named at once (the source, the key, the value and what
is allowed). A key nobody declared is a problem, never a guess.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import platformdirs

from tui.config.settings import APP_NAME, ENV_VARS, SECTIONS, SPECS, TOP_LEVEL, Settings
from tui.config.spec import CONTROL_CHARS, Spec
from tui.errors import ConfigError
from tui.redact import display_url, register_secret, url_credentials
from tui.text import plural

MAX_CONFIG_BYTES = 1_000_000


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def config_file_path(config_path: Path | str | None = None, env: dict[str, str] | None = None) -> Path:
    """Where the config is read from: ``--config``, else ``$VOXROOM_CONFIG``, else the user config dir."""
    env = os.environ if env is None else env
    return Path(config_path or env.get("VOXROOM_CONFIG") or default_config_path()).expanduser()


def flag_name(key: str) -> str:
    """The command-line flag for an override key: ``audio.input_device`` -> ``--input-device``."""
    return "--" + key.rsplit(".", 1)[-1].replace("_", "-")


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
        raise ConfigError(
            f"{plural(len(self.items), 'problem')} in {source}: " + "; ".join(self.items) + ".",
            hint="Fix it and run again.",
        )


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict) else "{...}"
    return CONTROL_CHARS.sub("?", text if len(text) <= 40 else text[:37] + "...")


def _set(settings: Settings, key: str, value: Any, problems: _Problems, label: str = "") -> bool:
    """Check ``value`` against the declared spec of ``key`` and set it, or note the problem under
    ``label``. ``False`` when it was refused."""
    spec = SPECS.get(key)
    if spec is None:
        problems.add(label or key, value, "is not a setting", None)
        return False
    cleaned, why = spec.check(str(value) if isinstance(value, Path) else value)
    if why:
        problems.add(label or key, value, why, spec, secret=spec.secret)
        return False
    section, _, name = key.rpartition(".")
    target = getattr(settings, section) if section else settings
    if spec.convert is not None:
        cleaned = spec.convert(cleaned)
        if cleaned is None:
            return True
    setattr(target, name, cleaned)
    return True


def _apply_remembered(settings: Settings, env: dict[str, str], overrides: dict[str, Any]) -> None:
    """The assistant's voice last chosen in the app (``state.json`` in the data dir), unless the config
    file, the environment or a flag sets ``speech.voice``. A damaged value is no choice."""
    from tui.themes import remembered_voice

    key = "speech.voice"
    env_var = SPECS[key].env
    in_env = bool(env_var and env.get(env_var, "").strip())
    if key in settings.explicit or overrides.get(key) is not None or in_env:
        return
    voice = remembered_voice(settings.data_dir)
    if voice:
        _set(settings, key, voice, _Problems())


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
        if key in SECTIONS:
            if not isinstance(value, dict):
                problems.add(f"[{key}]", value, "should be a table", None)
                continue
            for name, item in value.items():
                dotted = f"{key}.{name}"
                if dotted not in SPECS:
                    known = ", ".join(sorted(k.split(".", 1)[1] for k in SPECS if k.startswith(f"{key}.")))
                    problems.add(dotted, item, f"is not a setting (known in [{key}]: {known})", None)
                elif _set(settings, dotted, item, problems):
                    settings.explicit.add(dotted)
        elif key in TOP_LEVEL:
            if key == "api_key" and value:
                _check_private(path)
            if _set(settings, key, value, problems):
                settings.explicit.add(key)
        else:
            known = ", ".join([*TOP_LEVEL, *(f"[{name}]" for name in SECTIONS)])
            problems.add(str(key), value, f"is not a setting (known: {known})", None)
    _check_together(settings, problems)
    problems.raise_if_any(f"config file {path}")


def _check_network(settings: Settings) -> None:
    """Service URLs usable (their form is checked with every setting); the URLs' passwords join the
    scrubbed secrets."""
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
            _set(settings, key, env[var], problems, label=f"environment variable {var}")
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(settings, key, value, problems, label=f"flag {flag_name(key)}")
    _apply_remembered(settings, env, overrides or {})
    _check_together(settings, problems)
    problems.raise_if_any("the environment and flags")

    _check_network(settings)
    if settings.resolved_backend == "mistral" and not settings.api_key and not settings.server_url:
        raise ConfigError(
            "The Mistral backend needs an API key.",
            hint="Set MISTRAL_API_KEY, or use --offline.",
        )
    return settings
