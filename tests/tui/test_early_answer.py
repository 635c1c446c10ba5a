"""The early (speculative) answer through the real room: the realtime socket of the stand-in sends
turn events at chosen points of the audio (``ScriptedTurn``), the agent is asked early through the
real SDK, the reply is played through real PortAudio on the virtual speaker.

What must hold in every case: nothing is played before the key press, the words answered are the
final question's, and the stand-in's conversation store and the saved session hold exactly one
exchange per turn.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from tests.audio.env import SHARED_AUDIO, ensure_audio

ensure_audio()  # before anything imports sounddevice

from tests.helpers import RoomEvents  # noqa: E402
from tests.standin import (  # noqa: E402
    Fault,
    MistralStandIn,
    Reply,
    ScriptedSegment,
    ScriptedTurn,
    SpeechScript,
    TranscriptionScript,
)
from tests.tui.test_room import finished  # noqa: E402
from tui.audio.clip import Clip, load_clip  # noqa: E402
from tui.audio.player import Player  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.room import RecordingStopped, ReplyDelta, SentenceSpoken  # noqa: E402
from tui.sessions import SessionStore  # noqa: E402
from tui.testing import FileRecorder  # noqa: E402

pytestmark = pytest.mark.audio

RATE = 16_000
QUESTION = "What is the weather in Paris today?"
"""Seven words, said by one person."""
ASKED = f"speaker_1: {QUESTION}"
"""What the agent is asked once the live segments hold every word (they name the speaker)."""


def _speech(start: float = 0.0, end: float | None = None) -> np.ndarray:
    """clone-test.wav (speech from 0.48 s to 3.96 s), or a stretch of it."""
    samples = load_clip(SHARED_AUDIO / "clone-test.wav").at_rate(RATE).samples
    return samples[int(start * RATE) : None if end is None else int(end * RATE)]


def _quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def _clip(*parts: np.ndarray) -> Clip:
    return Clip(np.concatenate(parts).astype(np.float32), RATE)


def _said(**fields: Any) -> TranscriptionScript:
    return TranscriptionScript(segments=(ScriptedSegment(QUESTION, "speaker_1"),), **fields)


class _Played:
    """The real player on the virtual speaker, noting when its first sample reached the device."""

    def __init__(self) -> None:
        self.started_at: float | None = None
        self._started = threading.Event()
        self.player = Player("virtual_speaker", on_started=self._on_started)

    def _on_started(self) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()
        self._started.set()

    def wait(self, timeout: float = 15.0) -> float:
        assert self._started.wait(timeout), "nothing was played"
        assert self.started_at is not None
        return self.started_at


@pytest.fixture(autouse=True)
def http_speech(tui_settings: Settings, mistral_server: MistralStandIn) -> None:
    """These tests read the text of each speech request (HTTP's JSON); an early answer spoken through
    the realtime speech socket is in test_early_answer_socket.py. What they check of the played
    reply is when it starts and which sentences it holds: its audio is a third of the stand-in's
    default length (0.02 s a character), as it plays at its own pace on the virtual speaker."""
    tui_settings.speech.transport = "http"
    mistral_server.script(SpeechScript(seconds_per_char=0.02), repeat=True)


def _room(make_room: Any, clip: Clip, settings: Settings | None = None) -> tuple[Any, RoomEvents, _Played]:
    played = _Played()
    room = make_room(settings, live=True, recorder=FileRecorder(clip, realtime=True), player=played.player)
    events = RoomEvents()
    room.subscribe(events)
    return room, events, played


def _press(room: Any) -> float:
    at = time.monotonic()
    assert room.press("fallback")
    return at


def _nothing_played_before_the_stop(events: RoomEvents, played: _Played, pressed_at: float) -> None:
    stop = next(i for i, e in enumerate(events.items) if isinstance(e, RecordingStopped))
    before = events.items[:stop]
    assert not [e for e in before if isinstance(e, SentenceSpoken | ReplyDelta)]
    assert played.wait() > pressed_at


def _stored(room: Any) -> Any:
    return SessionStore(room.log.store.root).open(room.log.session_id)


def _user_and_reply(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for e in entries:
        content = e.get("content")
        text = content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
        out.append((e["type"], text))
    return out


def test_an_early_answer_that_is_used_plays_at_once_and_is_stored_once(
    make_room, mistral_server: MistralStandIn
) -> None:
    """The speaker finished; the service said so; the early answer and its first sentence's audio
    are ready before the press, and nothing is asked after it. The next turn's early answer is a
    branch of the first conversation (restart from its last entry), which then replaces it."""
    clip = _clip(_speech(), _quiet(2.5))
    mistral_server.script(_said(turns=(ScriptedTurn(4.3),)), _said(turns=(ScriptedTurn(4.3),)))
    mistral_server.script(Reply("It is sunny in Paris. Take a hat."), Reply("Still sunny. No rain."))
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    (early_speech,) = mistral_server.wait_for_requests(1, "speech", timeout=20)
    assert early_speech.json["input"] == "It is sunny in Paris."
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_used and done.early_calls == 1
    _nothing_played_before_the_stop(events, played, pressed_at)
    (asked,) = mistral_server.requests_to("conversations")
    assert asked.route == "conversations.start" and asked.received_at < pressed_at
    # The held audio was played: the first sentence was synthesised once, before the press.
    assert [r.json["input"] for r in mistral_server.requests_to("speech")] == [
        "It is sunny in Paris.",
        "Take a hat.",
    ]
    assert [e.text for e in events.of(SentenceSpoken)] == ["It is sunny in Paris.", "Take a hat."]
    ((first_id, entries),) = mistral_server.conversations.items()
    assert _user_and_reply(entries) == [
        ("message.input", ASKED),
        ("message.output", "It is sunny in Paris. Take a hat."),
    ]
    assert room.wait_idle(15)
    assert _stored(room).conversation_id == first_id

    room.press("fallback")
    held = mistral_server.wait_for_requests(3, "speech", timeout=20)[-1]
    assert held.json["input"] == "Still sunny."
    _press(room)
    second = events.wait(finished(2), timeout=30)
    assert second.status == "done" and second.early_used
    restart = mistral_server.requests_to("conversations.restart")
    assert [r.path for r in restart] == [f"/v1/conversations/{first_id}/restart"]
    assert restart[0].json["from_entry_id"] == entries[-1]["id"]
    assert room.wait_idle(15)
    # One conversation on the server, exactly one exchange per turn; the session goes on from it.
    ((second_id, history),) = mistral_server.conversations.items()
    assert second_id != first_id
    assert [t for t, _ in _user_and_reply(history)] == ["message.input", "message.output"] * 2
    assert _user_and_reply(history)[3] == ("message.output", "Still sunny. No rain.")
    stored = _stored(room)
    assert stored.conversation_id == second_id
    assert [t.reply for t in stored.turns] == [
        "It is sunny in Paris. Take a hat.",
        "Still sunny. No rain.",
    ]


def test_a_speaker_who_goes_on_after_the_early_answer_started_discards_it(
    make_room, mistral_server: MistralStandIn
) -> None:
    """turn.end after four words, the early answer streams (slowly), the speaker goes on (turn.resume,
    a fifth word): it is cut, its branch deleted, nothing of it shown, spoken or stored; the early
    answer on the whole question, once the turn really ended, is the one played."""
    clip = _clip(_speech(0.0, 2.2), _quiet(1.2), _speech(2.2), _quiet(2.0))
    turns = (ScriptedTurn(2.6, words=4), ScriptedTurn(3.5, "turn.resume", words=5), ScriptedTurn(5.6))
    mistral_server.script(_said(turns=turns))
    mistral_server.script(
        Reply("Alpha one. Alpha two.", deltas=4, delta_delay=1.0), Reply("Beta one. Beta two.")
    )
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    mistral_server.wait_for_requests(1, "conversations.delete", timeout=20)  # the first one, cut
    speech = mistral_server.wait_for_requests(1, "speech", timeout=20)
    assert [r.json["input"] for r in speech] == ["Beta one."]
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_used and done.early_calls == 2
    _nothing_played_before_the_stop(events, played, pressed_at)
    starts = mistral_server.requests_to("conversations.start")
    assert len(starts) == 2 and starts[0].json["inputs"] == "What is the weather"
    assert starts[1].json["inputs"] == ASKED
    assert all("Alpha" not in e.so_far for e in events.of(ReplyDelta))
    assert [e.text for e in events.of(SentenceSpoken)] == ["Beta one.", "Beta two."]
    assert room.wait_idle(15)
    ((conversation_id, entries),) = mistral_server.conversations.items()
    assert _user_and_reply(entries) == [
        ("message.input", ASKED),
        ("message.output", "Beta one. Beta two."),
    ]
    stored = _stored(room)
    assert stored.conversation_id == conversation_id
    assert [t.reply for t in stored.turns] == ["Beta one. Beta two."]


def test_a_final_text_one_word_longer_discards_the_early_answer_and_asks_again(
    make_room, mistral_server: MistralStandIn
) -> None:
    """The key comes with the last word: at the press the live text lacks it, so the early answer
    asked then is on six words; the final transcript has seven, so it is discarded (its branch
    deleted) and the final question is asked."""
    clip = _clip(_speech(), _quiet(0.2))
    mistral_server.script(_said(turns=(ScriptedTurn(1.0, "turn.start", words=6),), late_words=1))
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    events.wait(lambda e: getattr(e, "text", "") == "What is the weather in Paris", timeout=20)
    assert room.recorder.wait_heard(clip.duration, timeout=20)
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and not done.early_used and done.early_calls == 1
    _nothing_played_before_the_stop(events, played, pressed_at)
    early, final = mistral_server.requests_to("conversations.start")
    assert early.json["inputs"] == "What is the weather in Paris"
    assert final.json["inputs"] == ASKED  # the early one is no prefix of it
    answer = f"Stand-in reply to: {final.json['inputs']}"
    assert [e.text for e in events.of(SentenceSpoken)] == [answer]
    assert events.of(ReplyDelta)[-1].so_far == answer
    assert all(answer.startswith(e.so_far) for e in events.of(ReplyDelta))  # none of the early one
    assert room.wait_idle(15)
    mistral_server.wait_for_requests(1, "conversations.delete", timeout=10)
    ((conversation_id, entries),) = mistral_server.conversations.items()
    assert [t for t, _ in _user_and_reply(entries)] == ["message.input", "message.output"]
    assert _user_and_reply(entries)[0][1] == final.json["inputs"]
    assert _stored(room).conversation_id == conversation_id


def test_an_agent_failing_during_the_early_answer_is_asked_again_at_the_press(
    make_room, mistral_server: MistralStandIn
) -> None:
    """The early answer's stream is cut: it is not used; the press asks again (early, on the same
    words, when the failure was known by then; else at once when the held one fails), that answer
    is played, and only it is stored."""
    clip = _clip(_speech(), _quiet(2.5))
    mistral_server.script(_said(turns=(ScriptedTurn(4.3),)))
    mistral_server.script(Reply("Never heard. Not at all."), Reply("It is sunny in Paris. Take a hat."))
    mistral_server.fail("conversations.start", Fault.cut(after_events=2), times=1)
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    mistral_server.wait_for_requests(1, "conversations.delete", timeout=20)  # the cut one
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_calls in (1, 2)
    assert done.early_used == (done.early_calls == 2)
    assert mistral_server.call_count("conversations.start") == 2
    _nothing_played_before_the_stop(events, played, pressed_at)
    assert [e.text for e in events.of(SentenceSpoken)] == ["It is sunny in Paris.", "Take a hat."]
    assert room.wait_idle(15)
    ((conversation_id, entries),) = mistral_server.conversations.items()
    assert _user_and_reply(entries) == [
        ("message.input", ASKED),
        ("message.output", "It is sunny in Paris. Take a hat."),
    ]
    assert _stored(room).conversation_id == conversation_id


def test_with_the_switch_off_nothing_is_asked_before_the_press(
    make_room, mistral_server: MistralStandIn, tui_settings: Settings
) -> None:
    tui_settings.transcription.realtime_early_answer = False
    clip = _clip(_speech(), _quiet(2.5))
    mistral_server.script(_said(turns=(ScriptedTurn(4.3),)))
    room, events, played = _room(make_room, clip, tui_settings)

    room.press("fallback")
    assert room.recorder.wait_heard(clip.duration, timeout=20)
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and not done.early_used and done.early_calls == 0
    (asked,) = mistral_server.requests_to("conversations")
    assert asked.received_at > pressed_at
    assert played.wait() > pressed_at


def test_a_speaker_who_pauses_often_keeps_the_last_early_call_for_the_press(
    make_room, mistral_server: MistralStandIn
) -> None:
    """Three pauses taken as the end, each followed by more words: two early calls before the press
    (the bound, 3, less the one kept), none on the third pause, the press's call is used; the two
    discarded branches are deleted and one exchange is stored."""
    clip = _clip(
        *(part for a, b in ((0.4, 1.4), (1.4, 2.4), (2.4, 3.4)) for part in (_speech(a, b), _quiet(1.0))),
        _speech(3.4, 3.96),
        _quiet(0.1),
    )
    ends = tuple(ScriptedTurn(at, words=n) for at, n in ((1.5, 2), (3.5, 4), (5.5, 6)))
    resumes = tuple(ScriptedTurn(at, "turn.resume", words=n) for at, n in ((2.05, 3), (4.05, 5), (6.05, 7)))
    mistral_server.script(_said(turns=ends + resumes))
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    assert room.recorder.wait_heard(clip.duration, timeout=20)
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_used and done.early_calls == 3
    _nothing_played_before_the_stop(events, played, pressed_at)
    starts = mistral_server.requests_to("conversations.start")
    assert [r.json["inputs"] for r in starts if r.received_at < pressed_at] == [
        "What is",
        "What is the weather",
    ]
    assert len(starts) == 3 and starts[2].json["inputs"] == QUESTION  # no segments before the end
    assert room.wait_idle(15)
    mistral_server.wait_for_requests(2, "conversations.delete", timeout=10)
    ((conversation_id, entries),) = mistral_server.conversations.items()
    assert [t for t, _ in _user_and_reply(entries)] == ["message.input", "message.output"]
    assert _stored(room).conversation_id == conversation_id


def test_a_breath_after_turn_resume_keeps_the_early_answer(make_room, mistral_server: MistralStandIn) -> None:
    """The service ends the turn, the speaker makes a sound (turn.resume, no word), the turn ends
    again: the answer asked the first time is still the one held; no second call."""
    clip = _clip(_speech(), _quiet(1.0), _speech(0.5, 0.8), _quiet(1.5))
    turns = (ScriptedTurn(4.3), ScriptedTurn(5.1, "turn.resume"), ScriptedTurn(5.9))
    mistral_server.script(_said(turns=turns))
    room, events, played = _room(make_room, clip)

    room.press("fallback")
    assert room.recorder.wait_heard(clip.duration, timeout=20)
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_used and done.early_calls == 1
    _nothing_played_before_the_stop(events, played, pressed_at)
    assert mistral_server.call_count("conversations.delete") == 0
    assert room.wait_idle(15)
    assert len(mistral_server.conversations) == 1
