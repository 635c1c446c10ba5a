"""Fixtures for the session tests: a private store under ``tmp_path`` and ready-made sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tui.model import Reference, Reply, Segment, Timings, Transcript
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionStore
from tui.turn import TurnResult

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def store(isolated_env: Path) -> SessionStore:
    return SessionStore(isolated_env / "sessions")


def write_tone(path: Path, seconds: float = 1.0, rate: int = 16_000) -> Path:
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    sf.write(str(path), 0.2 * np.sin(2 * np.pi * 440 * t), rate, format="FLAC", subtype="PCM_16")
    return path


def turn_result(
    lines: list[tuple[float, float, str, str]],
    reply: str = "The freeze starts on Thursday.",
    *,
    speech_seconds: float = 0.0,
    conversation_id: str | None = "conv_1",
) -> TurnResult:
    transcript = Transcript([Segment(*line) for line in lines], " ".join(x[3] for x in lines), "en", "m")
    result = TurnResult(
        transcript=transcript,
        reply=Reply(
            reply, [Reference("Calendar", "https://example.com/cal", "example.com")], conversation_id
        ),
        timings=Timings(transcription_ms=120.0, total_ms=900.0),
        status="done",
    )
    if speech_seconds:
        result.speech.open(24_000)
        result.speech.write(np.full(int(speech_seconds * 24_000), 0.1, np.float32))
    return result


def make_session(store: SessionStore, turns: int = 2, title: str = "Planning") -> Session:
    session = store.create(title=title, backend="offline", models={"transcription": "tiny.en"})
    for i in range(turns):
        record = TurnRecord(
            duration=5.0,
            segments=[
                Segment(0.5, 2.0, "speaker_1", f"Question number {i} about the budget?"),
                Segment(2.5, 4.5, "speaker_2", f"Answer {i}: we ship in March."),
            ],
            reply=f"Reply {i}: the budget is fine.",
            references=[Reference("Budget", "https://example.com/budget")],
        )
        store.add_turn(session, record)
    return session
