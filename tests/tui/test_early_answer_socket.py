"""An early answer spoken through the realtime speech socket (``speech.transport = "socket"``): the
first sentence's audio is synthesised ahead through its own socket session and played at the press,
the rest of the reply through one session per sentence (see test_early_answer.py for the cases)."""

from __future__ import annotations

import pytest

from tests.audio.env import ensure_audio

ensure_audio()  # before anything imports sounddevice

from tests.standin import MistralStandIn, Reply, ScriptedTurn, SpeechScript  # noqa: E402
from tests.tui.test_early_answer import (  # noqa: E402
    _clip,
    _nothing_played_before_the_stop,
    _press,
    _quiet,
    _room,
    _said,
    _speech,
    _stored,
)
from tests.tui.test_room import finished  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.room import SentenceSpoken  # noqa: E402

pytestmark = pytest.mark.audio


def test_an_early_answer_through_the_socket_plays_at_once(
    make_room, mistral_server: MistralStandIn, tui_settings: Settings
) -> None:
    tui_settings.speech.transport = "socket"
    mistral_server.script(SpeechScript(seconds_per_char=0.02), repeat=True)  # short: it plays at its pace
    clip = _clip(_speech(), _quiet(2.5))
    mistral_server.script(_said(turns=(ScriptedTurn(4.3),)))
    mistral_server.script(Reply("It is sunny in Paris. Take a hat."))
    room, events, played = _room(make_room, clip, tui_settings)

    room.press("fallback")
    (early,) = mistral_server.wait_for_requests(1, "speech.realtime", timeout=20)
    assert early.finished.wait(20)  # the held first sentence, synthesised before the press
    pressed_at = _press(room)
    done = events.wait(finished(1), timeout=30)
    assert done.status == "done" and done.early_used and done.early_calls == 1
    _nothing_played_before_the_stop(events, played, pressed_at)
    sockets = mistral_server.requests_to("speech")
    assert all(r.route == "speech.realtime" for r in sockets)
    assert [" ".join(r.ws_spoken) for r in sockets] == ["It is sunny in Paris.", "Take a hat."]
    assert [e.text for e in events.of(SentenceSpoken)] == ["It is sunny in Paris.", "Take a hat."]
    assert [t.status for t in _stored(room).turns] == ["done"]
    assert room.wait_idle(10)
