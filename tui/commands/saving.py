"""Saving headless turns (``voxroom ask``) into sessions, exactly as the TUI does."""

from __future__ import annotations

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.backends import Backends
from tui.config import Settings
from tui.retry import begin_turn, complete_turn
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionStore, start_turn_recording
from tui.turn import TurnResult


def session_models(settings: Settings) -> dict[str, str]:
    def pick(kind: str, mistral: str, offline: str) -> str:
        return mistral if kind == "mistral" else (offline if kind == "offline" else kind)

    return {
        "transcription": pick(
            settings.transcription_backend,
            settings.transcription.model,
            settings.transcription.offline_model or "whisper-tiny.en",
        ),
        "agent": settings.agent.model if settings.agent_backend == "mistral" else settings.agent_backend,
        "speech": pick(
            settings.speech_backend,
            f"{settings.speech.model}/{settings.speech.voice}",
            settings.speech.offline_voice or "piper-en_US-joe-medium",
        ),
    }


class TurnSaver:
    """One session for a headless command: a new one, or ``--session ID`` to continue it."""

    def __init__(self, store: SessionStore, session: Session, backends: Backends) -> None:
        self.store = store
        self.session = session
        self.backends = backends
        self.turn: TurnRecord | None = None

    @classmethod
    def for_command(cls, settings: Settings, backends: Backends, session_id: str | None) -> TurnSaver:
        store = SessionStore(settings.sessions_dir)
        if session_id:
            session = store.open(session_id)
            if session.read_only:
                session = store.copy_in(session)
        else:
            session = store.create(backend=backends.label, models=session_models(settings))
        return cls(store, session, backends)

    @property
    def conversation_id(self) -> str | None:
        return self.session.conversation_id

    def keep_recording(self, clip: Clip) -> Clip:
        """Store the input in the session (16 kHz mono FLAC) before anything is sent anywhere."""
        import soundfile as sf

        path = start_turn_recording(self.store, self.session)
        at16k = clip.at_rate(TRANSCRIBE_RATE)
        sf.write(
            str(path), np.clip(at16k.samples, -1.0, 1.0), TRANSCRIBE_RATE, format="FLAC", subtype="PCM_16"
        )
        path.chmod(0o600)
        self.turn = begin_turn(self.store, self.session, path.name, at16k.duration)
        return Clip(at16k.samples, TRANSCRIBE_RATE, path)

    def save(self, recording: Clip, result: TurnResult) -> str:
        assert self.turn is not None, "keep_recording() first"
        agent_id = getattr(self.backends.agent, "agent_id", None)
        if agent_id:
            self.session.agent_id = agent_id
        complete_turn(self.store, self.session, self.turn, result)
        return self.session.id
