"""The early answer is asked with the meeting so far, as the answer at the press would be: the
room's session has notes before the question, the stand-in's realtime socket says the turn ended,
and the agent's early input (through the real SDK) holds the notes by the person's name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audio.env import ensure_audio

ensure_audio()  # before anything imports sounddevice

from tests.standin import MistralStandIn, Reply, ScriptedTurn  # noqa: E402
from tests.tui.test_early_answer import QUESTION, _clip, _press, _quiet, _room, _said, _speech, _stored  # noqa: E402
from tests.tui.test_room import finished  # noqa: E402
from tui.context import NOTES_HEADER  # noqa: E402
from tui.model import Segment, Transcript, TurnKind, TurnStatus  # noqa: E402
from tui.sessions.clock import clock_of  # noqa: E402
from tui.turn import TurnResult  # noqa: E402

pytestmark = pytest.mark.audio

FACT = "The offsite is in Lyon this year."


def test_the_early_answer_carries_the_notes_since_the_last_question(
    make_room: Any, mistral_server: MistralStandIn
) -> None:
    clip = _clip(_speech(), _quiet(2.5))
    mistral_server.script(_said(turns=(ScriptedTurn(4.3),)))
    mistral_server.script(Reply("In Lyon. Bring a coat."))
    room, events, _ = _room(make_room, clip)
    log = room.log
    path = log.recording_path()
    path.write_bytes(b"")
    ref = log.begin(path, kind=TurnKind.NOTES)
    notes = Transcript([Segment(0.5, 3.0, "speaker_4", FACT)], FACT, "en")
    log.complete(ref, TurnResult(transcript=notes, status=TurnStatus.DONE))
    log.store.rename_speaker(log.session, "speaker_4", "Nora")

    room.press("fallback")
    mistral_server.wait_for_requests(1, "speech", timeout=20)  # the early answer's first sentence
    _press(room)
    done = events.wait(finished(ref.index + 1), timeout=30)
    assert done.status == "done" and done.early_used

    (asked,) = mistral_server.requests_to("conversations")
    sent = asked.json["inputs"]
    assert sent.startswith(NOTES_HEADER)
    assert f"[{clock_of(log.session.turn(ref.index).created, 0.5)}] Nora: {FACT}" in sent.splitlines()
    assert sent.endswith(f"Question from speaker_1:\nspeaker_1: {QUESTION}")
    question = _stored(room).turn(ref.index + 1)
    assert question.context is not None and question.context.lines == 1
    assert question.context.input_chars == len(sent)
