"""Build the transcriber, agent and speaker that the settings ask for (Mistral, offline or mixed).

Construction is cheap: nothing heavy is imported or loaded until ``warm_up()`` or first use.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

from tui.agent.base import Agent, NoAgent
from tui.config import Settings, chunk_seconds
from tui.errors import ConfigError, VoxroomError
from tui.speech.base import Speaker
from tui.stt.base import Transcriber
from tui.turn import TurnRunner


@dataclass
class Backends:
    transcriber: Transcriber
    agent: Agent
    speaker: Speaker | None
    label: str
    models: dict[str, str]
    """What each step really runs (``transcription``, ``agent``, ``speech``), as saved with every turn."""
    voices: bool = False
    """Turns are matched to the session's people by voice: the voice encoder is loaded at warm-up."""

    def runner(self, settings: Settings) -> TurnRunner:
        return TurnRunner(
            self.transcriber,
            self.agent,
            self.speaker,
            min_seconds=settings.audio.min_recording_s,
            max_chunk_seconds=chunk_seconds(settings),
            chunk_concurrency=settings.transcription.chunk_concurrency,
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
    kind = settings.transcription_backend
    if kind == "mistral":
        from tui.stt.mistral import MistralTranscriber

        return MistralTranscriber(settings, _mistral_client_factory(settings))
    if kind == "offline":
        from tui.stt.offline import WhisperTranscriber

        return WhisperTranscriber(settings)
    raise ConfigError(f"Unknown transcription backend '{kind}'.", hint="Use mistral or offline.")


def make_agent(settings: Settings) -> Agent:
    kind = settings.agent_backend
    if kind == "mistral":
        from tui.agent.mistral import MistralAgent

        return MistralAgent(settings, _mistral_client_factory(settings))
    if kind == "openai" or (kind == "none" and settings.agent.openai_url):
        from tui.agent.openai import OpenAICompatAgent

        return OpenAICompatAgent(settings)
    if kind == "none":
        return NoAgent()
    raise ConfigError(f"Unknown agent backend '{kind}'.", hint="Use mistral, openai or none.")


def make_speaker(settings: Settings) -> Speaker | None:
    kind = settings.speech_backend
    if kind == "mistral":
        from tui.speech.mistral import MistralSpeaker

        return MistralSpeaker(settings, _mistral_client_factory(settings))
    if kind == "offline":
        if settings.speech.offline_engine == "piper":
            from tui.speech.piper import PiperSpeaker

            return PiperSpeaker(settings)
        from tui.speech.hibari import HibariSpeaker

        return HibariSpeaker(settings)
    if kind == "none":
        return None
    raise ConfigError(f"Unknown speech backend '{kind}'.", hint="Use mistral, offline or none.")


def used_models(settings: Settings) -> dict[str, str]:
    """The model behind each step, as the backends below are built from ``settings``."""

    def pick(kind: str, mistral: str, offline: str) -> str:
        return mistral if kind == "mistral" else (offline if kind == "offline" else kind)

    agent = settings.agent_backend
    if agent == "mistral":
        agent_model = settings.agent.model
    elif agent == "openai" or (agent == "none" and settings.agent.openai_url):
        agent_model = f"openai:{settings.agent.openai_model.strip() or 'default'}"
    else:
        agent_model = "none"
    return {
        "transcription": pick(
            settings.transcription_backend,
            settings.transcription.model,
            settings.transcription.offline_model or "whisper-tiny.en",
        ),
        "agent": agent_model,
        "speech": pick(
            settings.speech_backend,
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
        label=settings.backend_label,
        models=used_models(settings),
        voices=settings.diarization.enabled,
    )
