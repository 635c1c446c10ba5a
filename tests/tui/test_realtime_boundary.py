"""The room's realtime socket at the service boundary: a redirected upgrade is refused and the turn
is transcribed from the recording instead; nothing goes to (or comes from) the other origin."""

from __future__ import annotations

from typing import Any

from tests.helpers import RoomEvents
from tests.standin import Fault, MistralStandIn
from tests.tui.test_room import finished
from tui.config import Settings
from tui.room import RoomNotice
from tui.sessions import SessionStore


def _one_live_turn(make_room: Any) -> tuple[Any, RoomEvents]:
    """A room with the live transcription records one turn (the fallback key twice); it is done."""
    room = make_room(live=True)
    events = RoomEvents()
    room.subscribe(events)
    room.press("fallback")
    room.press("fallback")
    assert events.wait(finished(1)).status == "done"
    return room, events


def test_a_redirected_realtime_socket_falls_back_to_the_batch_request(
    make_room, mistral_server: MistralStandIn
) -> None:
    with MistralStandIn() as other:
        target = (
            other.url.replace("http://", "ws://") + "/v1/audio/transcriptions/realtime?model=m&sig=S3CR3T"
        )
        mistral_server.fail("realtime", Fault.redirect_to(target, 307))
        room, events = _one_live_turn(make_room)
        note = events.wait(lambda e: isinstance(e, RoomNotice))
        assert (
            "never follows redirects" in note.message and "Transcribing the recording instead" in note.message
        )
        assert "S3CR3T" not in note.message
        assert room.wait_idle(10)
        assert other.requests == []  # no audio, no reference clip, no transcript from there
    assert mistral_server.call_count("transcriptions") == 1  # the whole recording, from disk
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert [s.speaker for s in stored.turns[0].segments] == ["speaker_1", "speaker_2"]
    assert stored.models["transcription"] == "voxtral-mini-latest"  # the batch model served it


def test_a_turn_transcribed_live_records_the_realtime_model(
    make_room, mistral_server: MistralStandIn, tui_settings: Settings
) -> None:
    room, _events = _one_live_turn(make_room)
    assert room.wait_idle(10)
    assert mistral_server.call_count("transcriptions") == 0
    (socket,) = mistral_server.requests_to("realtime")
    model = socket.query.split("model=", 1)[1].split("&")[0]
    assert model == tui_settings.transcription.realtime_model != tui_settings.transcription.model
    stored = SessionStore(room.log.store.root).open(room.log.session_id)  # type: ignore[attr-defined]
    assert stored.turns[0].models["transcription"] == model
    assert stored.models["transcription"] == model
