"""Schema version 1 files (kept in tests/sessions/data/v1) still load, and are saved as version 2."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.sessions.conftest import DATA
from tui.sessions.migrate import SchemaError, migrate, parse_v1_line
from tui.sessions.model import SCHEMA_VERSION
from tui.sessions.store import SessionStore

V1 = DATA / "v1" / "session.json"


def test_the_committed_file_is_version_1() -> None:
    data = json.loads(V1.read_text())
    assert data["version"] == 1 and "schema_version" not in data
    migrated, original = migrate(data)
    assert original == 1 and migrated["schema_version"] == SCHEMA_VERSION


def test_version_1_session_opens(store: SessionStore) -> None:
    shutil.copytree(V1.parent, store.root / "standup-0412")
    session = store.open("standup-0412")
    assert session.title == "Tuesday stand-up"
    assert session.created == "2025-11-25T12:50:00Z"
    assert session.backend == "mistral"
    assert session.models["transcription"] == "voxtral-mini-latest"
    assert session.conversation_id == "conv_0412"
    assert session.speaker_names == {}
    first, second = session.turns
    assert first.recording == "turn1.wav" and first.duration == 6.5
    assert [(s.start, s.end, s.speaker) for s in first.segments] == [
        (0.1, 1.5, "speaker_1"),
        (1.8, 4.2, "speaker_2"),
        (4.5, 6.1, "speaker_1"),
    ]
    assert first.segments[1].text == "Voxroom, when is the release freeze?"
    assert first.reply == "The release freeze starts on Thursday at noon."
    assert first.references[0].url == "https://example.com/calendar"
    assert first.reply_audio == "turn1-answer.wav"
    assert first.status == "done"
    assert second.status == "failed" and second.error == "The agent did not answer."
    assert session.first_line == "speaker_1: Morning, everyone."


def test_version_1_is_saved_as_version_2_on_change(store: SessionStore) -> None:
    shutil.copytree(V1.parent, store.root / "standup-0412")
    session = store.open("standup-0412")
    store.rename_speaker(session, "speaker_2", "Priya")
    saved = json.loads((store.root / "standup-0412" / "session.json").read_text())
    assert saved["schema_version"] == 2 and "version" not in saved
    assert saved["speaker_names"] == {"speaker_2": "Priya"}
    again = store.open("standup-0412")
    assert again.to_dict() == session.to_dict()
    assert json.loads(V1.read_text())["version"] == 1  # the committed file is never touched


def test_v1_line_parsing() -> None:
    assert parse_v1_line("[0.1s -> 1.5s] speaker_1 : Hello : world") == {
        "start": 0.1,
        "end": 1.5,
        "speaker": "speaker_1",
        "text": "Hello : world",
    }
    assert parse_v1_line("no timing here")["text"] == "no timing here"


@pytest.mark.parametrize("data", [[], "x", {}, {"version": "one"}, {"schema_version": 0}, {"version": True}])
def test_not_a_session(data: object) -> None:
    with pytest.raises(SchemaError):
        migrate(data)
