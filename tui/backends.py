"""Which service serves each step of a turn, decided once (:func:`plan_for`), and the transcriber,
agent and speaker built from that decision.

Everything that names or warns about the backends (the status bar, the transport warning, ``doctor``,
the session's saved label, the room's live transcription) asks :func:`plan_for`. Construction is
cheap: nothing heavy is imported or loaded until ``warm_up()`` or first use.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from enum import StrEnum

from tui.agent.base import Agent, NoAgent
from tui.config import DEFAULT_CHUNK_SECONDS, MODEL_MAX_SECONDS, Settings
from tui.errors import ConfigError, VoxroomError
from tui.speech.base import Speaker
from tui.stt.base import Transcriber
from tui.turn import TurnRunner


class Service(StrEnum):
    """Who serves a step."""

    MISTRAL = "mistral"
    OFFLINE = "offline"
    OPENAI = "openai"
    """An OpenAI-compatible server (``agent.openai_url``): the agent only."""
    NONE = "none"


_ALLOWED = {
    "transcription": (Service.MISTRAL, Service.OFFLINE),
    "agent": (Service.MISTRAL, Service.OPENAI, Service.NONE),
    "speech": (Service.MISTRAL, Service.OFFLINE, Service.NONE),
}


@dataclass(frozen=True)
class Plan:
    """Which service serves each step, as decided from the settings by :func:`plan_for`."""

    transcription: Service
    realtime: bool
    """Mistral transcription streams over the realtime WebSocket while the room speaks (a batch
    request of the recording is the fallback); offline, Whisper transcribes in windows."""
    agent: Service
    speech: Service

    @property
    def uses_mistral(self) -> bool:
        return Service.MISTRAL in (self.transcription, self.agent, self.speech)

    @property
    def label(self) -> str:
        """For the status bar and the session: ``Mistral`` or ``offline`` when that serves
        transcription and speech (and the agent, if any), else ``mixed``; `` + openai agent`` when an
        OpenAI-compatible server answers."""
        parts = {self.transcription, self.speech}
        if self.agent is Service.MISTRAL:
            parts.add(Service.MISTRAL)
        base = (
            "Mistral" if parts == {Service.MISTRAL} else "offline" if parts == {Service.OFFLINE} else "mixed"
        )
        return f"{base} + openai agent" if self.agent is Service.OPENAI else base

    def describe(self) -> str:
        """Each step and its service, for ``doctor``."""
        mode = " (realtime)" if self.realtime else ""
        return (
            f"{self.label}: transcription {self.transcription}{mode}, agent {self.agent}, "
            f"speech {self.speech}"
        )


def _service(step: str, value: str) -> Service:
    try:
        service = Service(value)
    except ValueError:
        service = None
    if service not in _ALLOWED[step]:
        allowed = ", ".join(_ALLOWED[step])
        raise ConfigError(f"Unknown {step} backend '{value}'.", hint=f"Use {allowed}.")
    return service


def plan_for(settings: Settings) -> Plan:
    """Which service serves each step with these settings.

    Each step's own ``backend`` wins; empty follows the top-level backend (``auto``: Mistral when a
    key is set). The agent, when not set: Mistral's with the Mistral backend, else the
    OpenAI-compatible server when ``agent.openai_url`` is set, else none.
    """
    top = settings.resolved_backend
    transcription = _service("transcription", settings.transcription.backend or top)
    if settings.agent.backend:
        agent = _service("agent", settings.agent.backend)
    elif top == Service.MISTRAL:
        agent = Service.MISTRAL
    else:
        agent = Service.OPENAI if settings.agent.openai_url.strip() else Service.NONE
    return Plan(
        transcription=transcription,
        realtime=transcription is Service.MISTRAL and settings.transcription.realtime,
        agent=agent,
        speech=_service("speech", settings.speech.backend or top),
    )


def transport_warning(settings: Settings) -> str:
    """One sentence when a service URL in use is plain ``http://`` to another machine, else ``""``."""
    from tui.net import cleartext_hosts
    from tui.redact import display_url

    plan = plan_for(settings)
    urls = []
    if plan.uses_mistral:
        urls.append(("MISTRAL_SERVER_URL", settings.server_url))
    if plan.agent is Service.OPENAI:
        urls.append(("agent.openai_url", settings.agent.openai_url))
    hosts = cleartext_hosts(urls)
    if not hosts:
        return ""
    names = " and ".join(f"{name} ({display_url(url)})" for name, url in hosts)
    verb = "is" if len(hosts) == 1 else "are"
    return (
        f"{names} {verb} plain http:// to another machine: the key and what the room says travel "
        "unencrypted; use https:// unless this network is trusted."
    )


def chunk_seconds(settings: Settings) -> float:
    """The longest recording sent in one request with these settings (longer ones are split)."""
    fallback = settings.transcription.max_chunk_seconds
    explicit = "transcription.max_chunk_seconds" in settings.explicit or fallback != DEFAULT_CHUNK_SECONDS
    if plan_for(settings).transcription is not Service.MISTRAL or explicit:
        return fallback  # offline, or set by the user: it applies to every model
    limits = {**MODEL_MAX_SECONDS, **settings.transcription.model_max_seconds}
    limit = limits.get(settings.transcription.model, fallback)
    return min(max(float(limit), 5.0), 3 * 3600.0)


@dataclass
class Backends:
    transcriber: Transcriber
    agent: Agent
    speaker: Speaker | None
    label: str
    """:attr:`Plan.label`, saved with the session."""
    models: dict[str, str]
    """What each step really runs (``transcription``, ``agent``, ``speech``), as saved with every turn."""
    voices: bool = False
    """Turns are matched to the session's people by voice: the voice encoder is loaded at warm-up."""
    realtime: bool = False
    """Recordings stream to the realtime service: its client code is imported at warm-up."""

    def runner(self, settings: Settings) -> TurnRunner:
        return TurnRunner(
            self.transcriber,
            self.agent,
            self.speaker,
            min_seconds=settings.audio.min_recording_s,
            max_chunk_seconds=chunk_seconds(settings),
            chunk_concurrency=settings.transcription.chunk_concurrency,
            early_answer=settings.transcription.realtime_early_answer,
            early_answer_calls=settings.transcription.realtime_early_answer_calls,
            context_chars=settings.agent.context_chars,
        )

    def warm_up(self) -> list[VoxroomError]:
        """Load models and open connections (agent ensured) in parallel; returns what failed."""
        errors: list[VoxroomError] = []
        parts: list[Transcriber | Agent | Speaker] = [self.transcriber, self.agent]
        if self.speaker is not None:
            parts.append(self.speaker)

        def warm(part: Transcriber | Agent | Speaker) -> None:
            try:
                part.warm_up()
            except VoxroomError as err:
                errors.append(err)

        threads = [threading.Thread(target=warm, args=(p,), daemon=True) for p in parts]
        if self.realtime:  # the live transcription's code, imported before the first press
            threads.append(threading.Thread(target=_import_realtime, daemon=True))
        if self.voices:  # so a turn's identification (before its reply) never pays the load
            threads.append(threading.Thread(target=_warm_voice_encoder, daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Everything built so far (modules, the SDK and its models, the UI) lives as long as the
        # process: keep it out of later full collections, which otherwise scan it all and stop every
        # thread, the UI's meter included, for 150-200 ms during a turn (bench/startup.py).
        gc.freeze()
        return errors


def _import_realtime() -> None:
    import tui.stt.realtime  # noqa: F401


def _warm_voice_encoder() -> None:
    from tui.diarize.diarizer import shared_encoder

    try:
        shared_encoder().load()
    except Exception as err:  # never fatal here: identification says so on the turn that needs it
        import logging

        logging.getLogger("voxroom").warning("the voice encoder did not load: %s", err)


def _mistral_client_factory(settings: Settings):  # type: ignore[no-untyped-def]
    from tui.mistral import MistralConnection

    return MistralConnection.shared(settings)


def make_transcriber(settings: Settings) -> Transcriber:
    if plan_for(settings).transcription is Service.MISTRAL:
        from tui.stt.mistral import MistralTranscriber

        return MistralTranscriber(settings, _mistral_client_factory(settings))
    from tui.stt.offline import WhisperTranscriber

    return WhisperTranscriber(settings)


def make_agent(settings: Settings) -> Agent:
    kind = plan_for(settings).agent
    if kind is Service.MISTRAL:
        from tui.agent.mistral import MistralAgent

        return MistralAgent(settings, _mistral_client_factory(settings))
    if kind is Service.OPENAI:
        from tui.agent.openai import OpenAICompatAgent

        return OpenAICompatAgent(settings)
    return NoAgent()


def make_speaker(settings: Settings) -> Speaker | None:
    kind = plan_for(settings).speech
    if kind is Service.MISTRAL:
        if settings.speech.transport == "socket":
            from tui.speech.mistral_socket import MistralSocketSpeaker

            return MistralSocketSpeaker(settings, _mistral_client_factory(settings))
        from tui.speech.mistral import MistralSpeaker

        return MistralSpeaker(settings, _mistral_client_factory(settings))
    if kind is Service.NONE:
        return None
    if settings.speech.offline_engine == "piper":
        from tui.speech.piper import PiperSpeaker

        return PiperSpeaker(settings)
    from tui.speech.hibari import HibariSpeaker

    return HibariSpeaker(settings)


def used_models(settings: Settings) -> dict[str, str]:
    """The model behind each step, as the backends below are built from ``settings``."""

    def pick(kind: Service, mistral: str, offline: str) -> str:
        return mistral if kind is Service.MISTRAL else (offline if kind is Service.OFFLINE else str(kind))

    plan = plan_for(settings)
    if plan.agent is Service.MISTRAL:
        agent_model = settings.agent.model
    elif plan.agent is Service.OPENAI:
        agent_model = f"openai:{settings.agent.openai_model.strip() or 'default'}"
    else:
        agent_model = "none"
    return {
        "transcription": pick(
            plan.transcription,
            settings.transcription.model,
            settings.transcription.offline_model or "whisper-tiny.en",
        ),
        "agent": agent_model,
        "speech": pick(
            plan.speech,
            f"{settings.speech.model}/{settings.speech.voice}",
            offline_voice_label(settings),
        ),
    }


def offline_voice_label(settings: Settings) -> str:
    if settings.speech.offline_engine == "hibari":
        from tui.speech.hibari import MODEL_LABEL

        return MODEL_LABEL
    return settings.speech.offline_voice or "piper-en_US-joe-medium"


def make_backends(settings: Settings) -> Backends:
    return Backends(
        transcriber=make_transcriber(settings),
        agent=make_agent(settings),
        speaker=make_speaker(settings),
        label=plan_for(settings).label,
        models=used_models(settings),
        voices=settings.diarization.enabled,
        realtime=plan_for(settings).realtime,
    )
