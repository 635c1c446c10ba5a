"""Through the room: notes taken with the notes command (real PortAudio, the virtual microphone),
then a question; the agent's input (the stand-in's ledger, through the real SDK) holds what was said
in the notes, by the person's name, and who asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.audio.env import ensure_audio

ensure_audio()  # before anything imports sounddevice

from tests.standin import MistralStandIn, ScriptedSegment, TranscriptionScript  # noqa: E402
from tests.tui.test_notes import Feed, finished, mic_room, started, take_notes  # noqa: E402
from tui.context import NOTES_HEADER  # noqa: E402
from tui.model import TurnKind  # noqa: E402
from tui.sessions.clock import clock_of  # noqa: E402

pytestmark = pytest.mark.audio

FACT = "The budget review moved to Thursday the ninth."
QUESTION = "When is the budget review?"


@pytest.fixture
def mic() -> Iterator[Feed]:
    made = Feed()
    yield made
    made.close()


def test_a_question_after_notes_is_asked_with_them(
    make_room, mistral_server: MistralStandIn, mic: Feed
) -> None:
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment(FACT, "speaker_1", 0.2, 2.8),)),
        TranscriptionScript(segments=(ScriptedSegment(QUESTION, "speaker_1", 0.2, 2.8),)),
    )
    room, events = mic_room(make_room)
    take_notes(room, events, mic, 3.0)
    log = room.log
    notes = log.session.turns[0]  # type: ignore[attr-defined]
    assert notes.kind == TurnKind.NOTES and notes.segments
    label = notes.segments[0].speaker
    log.store.rename_speaker(log.session, label, "Alice")  # type: ignore[attr-defined]

    room.press("fallback")
    events.wait(started(TurnKind.QUESTION, 2))
    mic.play(3.0)
    room.press("fallback")
    assert events.wait(finished(2), 60).status == "done"

    (asked,) = mistral_server.requests_to("conversations")
    sent = asked.json["inputs"]
    assert sent.startswith(NOTES_HEADER)
    at = notes.segments[0].start
    assert f"[{clock_of(notes.created, at)}] Alice: {FACT}" in sent.splitlines()
    question = log.session.turns[1]  # type: ignore[attr-defined]
    who = log.session.name(question.segments[0].speaker)  # type: ignore[attr-defined]
    assert sent.endswith(f"Question from {who}:\n{who}: {QUESTION}")
    assert question.context is not None and question.context.lines == 1
