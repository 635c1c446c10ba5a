"""Through the room: a question, notes taken with the notes command (real PortAudio, the virtual
microphone), then a second question; the second question's agent input (the stand-in's ledger,
through the real SDK) holds what was said in the notes, by the person's name, and who asked. Then
`voxroom minutes` and the Markdown export of that same session."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.audio.env import ensure_audio

ensure_audio()  # before anything imports sounddevice

from tests.conftest import run_cli  # noqa: E402
from tests.helpers import RoomEvents  # noqa: E402
from tests.standin import MistralStandIn, ScriptedSegment, TranscriptionScript  # noqa: E402
from tests.tui.test_notes import Feed, finished, mic_room, started, take_notes  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.context import NOTES_HEADER  # noqa: E402
from tui.model import TurnKind  # noqa: E402
from tui.room import Room  # noqa: E402
from tui.sessions.clock import clock_of  # noqa: E402

pytestmark = pytest.mark.audio

FIRST = "Shall we start with the budget?"
FACT = "The budget review moved to Thursday the ninth."
QUESTION = "When is the budget review?"


@pytest.fixture
def mic() -> Iterator[Feed]:
    made = Feed()
    yield made
    made.close()


def test_a_question_after_notes_is_asked_with_them(
    make_room,
    tui_settings: Settings,
    mistral_server: MistralStandIn,
    mistral_env: MistralStandIn,
    mic: Feed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mistral_server.script(
        TranscriptionScript(segments=(ScriptedSegment(FIRST, "speaker_1", 0.2, 2.8),)),
        TranscriptionScript(segments=(ScriptedSegment(FACT, "speaker_1", 0.2, 2.8),)),
        TranscriptionScript(segments=(ScriptedSegment(QUESTION, "speaker_1", 0.2, 2.8),)),
    )
    room, events = mic_room(make_room)
    ask(room, events, mic, 1)
    take_notes(room, events, mic, 3.0)
    log = room.log
    notes = log.session.turns[1]  # type: ignore[attr-defined]
    assert notes.kind == TurnKind.NOTES and notes.segments
    label = notes.segments[0].speaker
    log.store.rename_speaker(log.session, label, "Alice")  # type: ignore[attr-defined]
    ask(room, events, mic, 3)

    first, second = (r.json["inputs"] for r in mistral_server.requests_to("conversations"))
    assert FACT not in first  # said after it
    assert second.startswith(NOTES_HEADER)
    at = notes.segments[0].start
    assert f"[{clock_of(notes.created, at)}] Alice: {FACT}" in second.splitlines()
    question = log.session.turns[2]  # type: ignore[attr-defined]
    who = log.session.name(question.segments[0].speaker)  # type: ignore[attr-defined]
    assert second.endswith(f"Question from {who}:\n{who}: {QUESTION}")
    assert question.context is not None and question.context.lines == 1

    # The same session's minutes and Markdown export, as a user would ask for them.
    session = log.session  # type: ignore[attr-defined]
    monkeypatch.setenv("VOXROOM_DATA_DIR", str(tui_settings.data_dir))  # mistral_env: key, URL, no config
    code, out, err = run_cli(capsys, "minutes", session.id, "-f", "json")
    assert code == 0, err
    items = json.loads(out)["action_items"]
    people = {s.speaker for t in session.turns for s in t.segments}
    assert items and {i["owner"] for i in items} <= people and "Alice" in {i["owner_name"] for i in items}
    assert all(0 <= i["at"] <= session.duration for i in items)
    code, out, err = run_cli(capsys, "sessions", "export", session.id, "-f", "md")
    assert code == 0, err
    assert re.match(r"---\ntitle: .*\ndate: \d{4}-\d\d-\d\d\nattendees:\n(  - .*\n)+tags: \[", out), out
    assert re.search(r"^- \[ \] Alice: .+ \(\d\d:\d\d\)$", out, re.M), out


def ask(room: Room, events: RoomEvents, mic: Feed, turn: int) -> None:
    room.press("fallback")
    events.wait(started(TurnKind.QUESTION, turn))
    mic.play(3.0)
    room.press("fallback")
    assert events.wait(finished(turn), 60).status == "done"
