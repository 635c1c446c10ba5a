"""Live captions in the transcript pane: while a recording streams to the stand-in's realtime socket
(online), or while Whisper hears the virtual microphone through PortAudio (offline), the words so far
show as a provisional caption (no speaker, no times) before the recording stops, and the turn's
diarized transcript lines take its place. No sleeps: every wait is on what the pane shows."""

from __future__ import annotations

import re
import threading
import time

import pytest

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tests.helpers import wait_until
from tests.standin import MistralStandIn
from tui.app import VoxroomApp
from tui.room import IDLE, RECORDING
from tui.room.events import CaptionChanged, TurnStarted
from tui.room.live import CAPTION_CHARS, caption
from tui.screens.main import RoomUpdate

ensure_audio()

SIZE = (120, 34)
LINES = [
    "speaker_1 : Good morning everyone, shall we start?",
    "speaker_2 : Yes. What is the weather in Paris today?",
]
SECONDS_PER_WORD = 0.4
"""The stand-in's pace: a word goes out each time this much more audio has arrived."""


async def test_a_recording_s_words_show_as_a_caption_until_its_transcript_replaces_it(
    tui_settings, make_room, mistral_server: MistralStandIn
) -> None:
    from tests.conftest import spoken
    from tui.audio.clip import Clip
    from tui.testing import FileRecorder

    question = Clip(spoken((4.0, 0.3), (1.0, 0.0)), 16_000)
    held = mistral_server.hold_realtime_done()
    room = make_room(live=True, recorder=FileRecorder(question, realtime=True))
    app = VoxroomApp(tui_settings, room=room, hotkey=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.main.transcript_pane
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        started = time.perf_counter()
        await wait_until(pilot, lambda: pane.captions != [])
        first_caption_s = time.perf_counter() - started
        await wait_until(pilot, lambda: len((pane.captions or [""])[0].split()) >= 3)
        # Still recording: the words so far, under "Listening", with no speaker and no line yet.
        assert app.main.recording_pane.state == RECORDING
        assert pane.captions[0].startswith("Good morning everyone")
        assert pane.lines == []
        shown = str(pane.query_one("CaptionLine").render())
        assert shown.startswith("Listening\n… Good morning everyone") and "speaker" not in shown
        assert "live" not in shown
        await wait_until(pilot, lambda: not pane.query(".placeholder"))  # the caption is the content now
        print(
            f"\nfirst caption {first_caption_s * 1000:.0f} ms after recording started "
            f"(its word was sent after {SECONDS_PER_WORD * 1000:.0f} ms of audio)"
        )

        await pilot.press("space")
        done = app.main
        await wait_until(pilot, lambda: done.turns_finished >= 1 and done.recording_pane.state == IDLE)
        # The service sent its diarized segments with the turn's end: they took the caption's place.
        assert pane.captions == []
        assert " ".join(pane.lines).count("Good morning everyone") == 1
        held.set()
        await wait_until(pilot, lambda: [line.split("] ", 1)[1] for line in pane.lines] == LINES)
        assert pane.captions == [] and len(pane.query("SegmentLine")) == len(LINES)
        assert not any(line.live for line in pane.query("SegmentLine"))


async def test_a_late_caption_never_comes_back_after_its_turn(tui_settings, make_room) -> None:
    """Captions of one turn coalesce (the later holds the whole caption), and one that arrives after
    the turn's transcript or its end changes nothing."""
    app = VoxroomApp(tui_settings, room=make_room(), hotkey=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        await wait_until(pilot, lambda: screen.transcript_pane.is_mounted)
        listener = screen._listener
        listener(TurnStarted(3))
        listener(CaptionChanged(3, "one"))
        listener(CaptionChanged(3, "one two"))
        await wait_until(pilot, lambda: screen.transcript_pane.captions == ["one two"])
        from tui.room.events import TurnFinished

        await wait_until(pilot, lambda: not screen.transcript_pane.query(".placeholder"))
        listener(TurnFinished(3))
        await wait_until(pilot, lambda: screen.turns_finished == 1)
        assert screen.transcript_pane.captions == []
        # The recording gave no transcript: the empty pane says what it is for again.
        await wait_until(pilot, lambda: bool(screen.transcript_pane.query(".placeholder")))
        listener(CaptionChanged(3, "one two three"))
        listener(CaptionChanged(4, "four"))
        await wait_until(pilot, lambda: screen.transcript_pane.captions == ["four"])


async def test_a_caption_is_shown_as_text_never_as_markup_or_terminal_codes(tui_settings, make_room) -> None:
    """What a service recognised is data: markup shows as its characters, escape sequences and
    control characters are dropped, and the caption keeps its newest words within its bound."""
    app = VoxroomApp(tui_settings, room=make_room(), hotkey=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        await wait_until(pilot, lambda: screen.transcript_pane.is_mounted)
        hostile = "[b red]loud[/] $said \x1b[31mred\x1b[0m \x07bell [@click=app.quit]x[/]"
        screen._listener(TurnStarted(7))
        screen._listener(CaptionChanged(7, caption("word " * 400 + hostile)))
        pane = screen.transcript_pane
        await wait_until(pilot, lambda: pane.captions != [])
        shown = pane.query_one("CaptionLine").render()
        assert "[b red]loud[/] $said" in shown.plain and "[@click=app.quit]x[/]" in shown.plain
        assert "\x1b" not in shown.plain and "\x07" not in shown.plain and "[31m" not in shown.plain
        assert all(span.style == "dim i" or span.style == "b dim" for span in shown.spans)
        assert len(pane.captions[0]) <= CAPTION_CHARS + 1 and shown.plain.startswith("Listening\n…word")


def test_only_a_later_caption_of_the_same_turn_replaces_an_update() -> None:
    first = RoomUpdate(CaptionChanged(1, "a"))
    assert first.can_replace(RoomUpdate(CaptionChanged(1, "a b")))
    assert not first.can_replace(RoomUpdate(CaptionChanged(2, "b")))
    assert not first.can_replace(RoomUpdate(TurnStarted(1)))
    assert not RoomUpdate(TurnStarted(1)).can_replace(first)


def test_a_long_caption_keeps_its_newest_words_from_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(1000))
    text = caption(words + "\n\tend")
    assert len(text) <= CAPTION_CHARS + 1 and text.startswith("…word") and text.endswith("word999 end")
    assert caption("  short\n caption ") == "short caption"


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z ]", " ", text.lower()).split()


@pytest.mark.offline_models
@pytest.mark.audio
async def test_offline_the_microphone_s_words_show_as_a_caption_until_the_diarized_lines_replace_it(
    make_room, tmp_path
) -> None:
    """Offline: beckett.wav played into the virtual microphone, recorded through PortAudio, heard by
    Whisper's caption passes while the recording runs; at the stop its diarized lines replace the
    caption."""
    from tui.audio.capture import Recorder
    from tui.audio.clip import load_clip
    from tui.audio.player import Player
    from tui.config import Settings

    settings = Settings(backend="offline", data_dir=tmp_path / "offline")
    settings.hotkey.debounce_ms = 0
    recorder = Recorder("virtual_mic")
    room = make_room(settings, recorder=recorder, live=True)
    app = VoxroomApp(settings, room=room, hotkey=False, warm_up=False)
    speech = load_clip(clip_path("beckett.wav"))
    feed = Player("virtual_mic_feed")
    played = threading.Event()
    feed.on_finished = lambda interrupted: played.set()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.main.transcript_pane
        await pilot.press("space")
        await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
        try:
            feed.open(speech.rate)
            feed.write(speech.samples)
            started = time.perf_counter()
            await wait_until(pilot, lambda: _words(" ".join(pane.captions))[:2] == ["ever", "tried"], 60)
            first_caption_s = time.perf_counter() - started
            assert app.main.recording_pane.state == RECORDING and pane.lines == []
            shown = str(pane.query_one("CaptionLine").render())
            assert (
                shown.lower().startswith("listening\n… ever")
                and "speaker" not in shown
                and "live" not in shown
            )
            feed.drain()
            await wait_until(pilot, played.is_set, 30)
            await wait_until(pilot, lambda: "fail" in _words(" ".join(pane.captions)), 30)
        finally:
            feed.close()
        print(f"\n'ever tried' captioned {first_caption_s * 1000:.0f} ms after the clip began playing")
        assert recorder.overflows == 0  # Whisper's caption passes never made the capture drop audio
        await pilot.press("space")
        await wait_until(
            pilot, lambda: app.main.turns_finished >= 1 and app.main.recording_pane.state == IDLE, 60
        )
        assert pane.captions == []
        lines = list(pane.query("SegmentLine"))
        assert lines and not any(line.live for line in lines)
        assert all(re.match(r"\[\d+:\d\d -> \d+:\d\d\] speaker_\d : ", line) for line in pane.lines)
        said = _words(" ".join(line.split(" : ", 1)[1] for line in pane.lines))
        assert said[:4] == ["ever", "tried", "ever", "failed"] and said[-2:] == ["fail", "better"]
