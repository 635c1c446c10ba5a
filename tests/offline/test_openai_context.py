"""The OpenAI-compatible agent is asked with the meeting so far, the same input as Mistral's: a
session with notes and two questions through :func:`tui.complete.complete_turn`, against the
OpenAI-compatible stand-in on 127.0.0.1 (its ledger holds every message it received)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import clip_path
from tests.offline.openai_standin import OpenAIStandin, Stream
from tui.audio.clip import load_clip
from tui.backends import make_backends
from tui.complete import complete_turn
from tui.config import Settings
from tui.context import NOTES_HEADER
from tui.lifecycle import SessionLog
from tui.model import Segment, Transcript, TurnKind, TurnStatus
from tui.room.wiring import session_store
from tui.sessions.clock import clock_of
from tui.turn import TurnResult

FACT = "The supplier call is at four, Priya will run it."


def notes_turn(log: SessionLog, lines: list[tuple[float, float, str, str]]) -> int:
    path = log.recording_path()
    path.write_bytes(b"")
    ref = log.begin(path, kind=TurnKind.NOTES)
    transcript = Transcript([Segment(*line) for line in lines], " ".join(x[3] for x in lines), "en")
    log.complete(ref, TurnResult(transcript=transcript, status=TurnStatus.DONE))
    return ref.index


def question(log: SessionLog, settings: Settings, label: str, words: str) -> TurnResult:
    """A question whose transcript is already saved (as a retry runs it): straight to the agent."""
    ref, clip = log.keep_recording(load_clip(clip_path("endgame_nagg_nell.wav")))
    saved = Transcript([Segment(0.2, 2.0, label, words)], words, "en")
    result, _ = complete_turn(log.backends.runner(settings), log, ref, clip, saved=saved)  # type: ignore[union-attr]
    assert result.status == TurnStatus.DONE, result.error
    return result


def test_the_openai_agent_gets_the_notes_by_name_and_who_asked(
    openai_settings: Settings, openai_server: OpenAIStandin, tmp_path: Path
) -> None:
    openai_settings.data_dir = tmp_path / "voxroom"
    openai_settings.speech.backend = "none"
    openai_server.script(Stream(["At four."]), Stream(["Nothing else."]))
    log = SessionLog.new(session_store(openai_settings), make_backends(openai_settings))
    notes = notes_turn(log, [(1.0, 3.0, "speaker_1", FACT)])
    log.store.rename_speaker(log.session, "speaker_1", "Priya")

    first = question(log, openai_settings, "speaker_1", "When is the supplier call?")
    notes_turn(log, [(0.5, 2.0, "speaker_1", "Tom will send the slides.")])
    question(log, openai_settings, "speaker_1", "Who sends the slides?")

    one, two = (r.body["messages"] for r in openai_server.requests if r.path == "/v1/chat/completions")
    asked = one[-1]["content"]
    assert one[-1]["role"] == "user"
    assert asked.startswith(NOTES_HEADER)
    assert f"[{clock_of(log.session.turn(notes).created, 1.0)}] Priya: {FACT}" in asked.splitlines()
    assert asked.endswith("Question from Priya:\nPriya: When is the supplier call?")
    assert first.context is not None and first.context.lines == 1
    # The second question: the history holds the first exchange, its own input only the new notes.
    assert [m["role"] for m in two] == ["system", "user", "assistant", "user"]
    assert two[1]["content"] == asked
    again = two[-1]["content"]
    assert FACT not in again and "Priya: Tom will send the slides." in again
    assert again.endswith("Question from Priya:\nPriya: Who sends the slides?")
