"""``voxroom doctor``: check and explain the set-up (never showing the key)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from tui.commands import add_common
from tui.config import Settings, load_settings
from tui.errors import VoxroomError
from tui.text import plural


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.essential else "warn")
        return f"[{mark}] {self.name}: {self.detail}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check config, key, server, audio, hotkey, data dir, models")
    p.add_argument("--no-audio", action="store_true", help="skip opening the audio devices")
    add_common(p)
    p.set_defaults(func=run)


def check_config(args: argparse.Namespace) -> tuple[Settings | None, Check]:
    from tui.commands import settings_from_args
    from tui.config import config_file_path

    path = config_file_path(getattr(args, "config", None))
    try:
        settings = settings_from_args(args)
    except VoxroomError as err:
        return None, Check("config", False, str(err))
    if settings.config_path is None:
        return settings, Check("config", True, f"{path} does not exist: using the defaults")
    return settings, Check("config", True, f"{path} (read)")


def check_backends(settings: Settings) -> list[Check]:
    from tui.backends import Service, plan_for
    from tui.model import NO_AGENT_NEXT_STEP

    plan = plan_for(settings)
    out = [Check("backend", True, plan.describe())]
    uses_mistral = plan.uses_mistral
    if settings.api_key:
        source = "environment" if os.environ.get("MISTRAL_API_KEY") else "config file"
        out.append(Check("api key", True, f"MISTRAL_API_KEY is set (from the {source})"))
    else:
        out.append(
            Check(
                "api key",
                not uses_mistral,
                "not set: running on the offline default. Set MISTRAL_API_KEY to use Mistral.",
                essential=uses_mistral,
            )
        )
    transport = check_transport(settings)
    if transport is not None:
        out.append(transport)
    if uses_mistral:
        out.append(check_server(settings))
    if plan.agent is Service.NONE:
        out.append(
            Check(
                "agent",
                False,
                f"none configured: turns are transcribed only. {NO_AGENT_NEXT_STEP}",
                essential=False,
            )
        )
    return out


def check_server(settings: Settings) -> Check:
    """One cheap authenticated SDK call (the models the key may use, ``GET /v1/models``, which sends
    no optional field): is the server there, is the key good?"""
    from mistralai.client.utils import BackoffStrategy, RetryConfig

    from tui.mistral import MistralConnection, translate_error

    conn = MistralConnection(settings)
    url = settings.server_display.rstrip("/")
    try:
        conn.client.models.list(
            timeout_ms=5000,
            retries=RetryConfig("none", BackoffStrategy(100, 100, 1.0, 100), False),
        )
    except Exception as err:  # every SDK / transport error becomes one sentence with its fix
        if getattr(err, "status_code", None) == 401:
            return Check(
                "server", False, f"{url}: the key was refused (401): set MISTRAL_API_KEY to a valid key."
            )
        return Check("server", False, str(translate_error(err, "doctor", "Checking the key", url)))
    return Check("server", True, f"{url} accepted the key")


def check_transport(settings: Settings) -> Check | None:
    """A warning when the key would travel in clear text to another machine."""
    from tui.backends import transport_warning

    warning = transport_warning(settings)
    return Check("transport", False, warning, essential=False) if warning else None


def check_data_dir(settings: Settings) -> Check:
    """Whether Voxroom can keep its sessions at the data dir; creates and writes nothing."""
    path = settings.data_dir
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            return Check("data dir", False, f"{path} is not writable: fix its permissions or set --data-dir.")
        return Check("data dir", True, str(path))
    if path.exists() or path.is_symlink():
        return Check("data dir", False, f"{path} is not a folder: move it away or set --data-dir.")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return Check("data dir", False, f"{path} cannot be created ({parent} is read-only): set --data-dir.")
    return Check("data dir", True, f"{path} (not created yet: Voxroom makes it, private, on first use)")


def fallback_settings(args: argparse.Namespace) -> Settings:
    """Settings to check the rest with when the real ones are refused: the same config, environment
    and flags on the offline backend (a missing key), else the defaults with the data dir asked for."""
    from tui.commands import settings_from_args

    offline = argparse.Namespace(**{**vars(args), "backend": "offline"})
    try:
        return settings_from_args(offline)
    except VoxroomError:
        pass
    env = {"VOXROOM_CONFIG": os.devnull + ".none"}
    if os.environ.get("VOXROOM_DATA_DIR", "").strip():
        env["VOXROOM_DATA_DIR"] = os.environ["VOXROOM_DATA_DIR"]
    overrides = {"backend": "offline", "data_dir": getattr(args, "data_dir", None)}
    try:
        return load_settings(env=env, overrides=overrides)
    except VoxroomError:
        return load_settings(env={"VOXROOM_CONFIG": env["VOXROOM_CONFIG"]}, overrides={"backend": "offline"})


def check_offline_models(settings: Settings) -> list[Check]:
    """The local models exist and hold every file they need (a missing tokenizer would be fetched)."""
    from tui.backends import Service, plan_for

    out = []
    plan = plan_for(settings)
    if plan.transcription is Service.OFFLINE:
        from tui.stt.whisper_model import check_model_dir, model_path_for

        model = model_path_for(settings)
        try:
            check_model_dir(model)
            out.append(Check("whisper model", True, str(model)))
        except VoxroomError as err:
            out.append(Check("whisper model", False, str(err)))
    if plan.speech is Service.OFFLINE and settings.speech.offline_engine == "hibari":
        from tui.speech.hibari import bundled_model_path, check_voice_name

        try:
            check_voice_name(settings)
            out.append(Check("hibari voice", True, f"af_heart (bundled) {bundled_model_path()}"))
        except VoxroomError as err:
            out.append(Check("hibari voice", False, str(err)))
    elif plan.speech is Service.OFFLINE:
        from tui.speech.piper import check_voice, voice_paths_for

        voice, config = voice_paths_for(settings)
        try:
            check_voice(voice, config)
            out.append(Check("piper voice", True, str(voice)))
        except VoxroomError as err:
            out.append(Check("piper voice", False, str(err)))
    return out


def check_audio(settings: Settings) -> list[Check]:
    try:
        from tui.audio.devices import check_audio as probe
    except ImportError:
        return [Check("audio", False, "audio checks are not available in this build", essential=False)]
    # A quiet room is not a broken set-up: no signal is a warning, not a failure.
    return [
        Check(name, ok, detail, essential=not name.lower().endswith("signal"))
        for name, ok, detail in probe(settings)
    ]


def check_hotkey() -> Check:
    try:
        from tui.trigger import probe_global_hotkey
    except ImportError:
        return Check("hotkey", False, "global hotkey check unavailable", essential=False)
    reason = probe_global_hotkey()
    if reason:
        return Check("hotkey", False, reason, essential=False)
    return Check("hotkey", True, "global Right Shift works (pynput)")


def run(args: argparse.Namespace) -> int:
    settings, config = check_config(args)
    checks = [config]
    if settings is None:
        settings = fallback_settings(args)  # still say what we can about the rest
    else:
        checks += check_backends(settings)
    checks.append(check_data_dir(settings))
    checks += check_offline_models(settings)
    if not args.no_audio:
        checks += check_audio(settings)
    checks.append(check_hotkey())
    for c in checks:
        print(c.line())
    failed = [c for c in checks if not c.ok and c.essential]
    warned = [c for c in checks if not c.ok and not c.essential]
    print(f"\n{plural(len(checks), 'check')}: {len(failed)} failed, {plural(len(warned), 'warning')}.")
    return 1 if failed else 0
