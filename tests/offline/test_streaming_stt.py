"""Transcription that starts while the user is still speaking (offline backend)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.offline.conftest import shared_clip
from tui.audio.clip import load_clip
from tui.diarize.diarizer import SHORT_S
from tui.stt.offline import WhisperTranscriber
from tui.stt.streaming import StreamingTranscription

pytestmark = pytest.mark.offline_models


ENDGAME_TURNS = (
    (0.0, "first"),
    (1.5, "second"),
    (2.5, "first"),
    (3.9, "second"),
    (4.6, "first"),
    (8.6, "second"),
    (11.9, "first"),
    (14.5, "second"),
    (17.5, "first"),
    (22.4, "second"),
    (23.4, "first"),
    (27.9, "second"),
)
"""Who speaks from when in endgame_nagg_nell.wav (seconds), as a person hears it: two readers
taking turns."""


def turn_at(second: float) -> str:
    return [who for start, who in ENDGAME_TURNS if start <= second][-1]


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def test_dialogue_streamed_in_blocks_matches_the_recording(whisper: WhisperTranscriber) -> None:
    clip = load_clip(shared_clip("endgame_nagg_nell.wav"))  # 28.3 s at 24 kHz
    stream = StreamingTranscription(whisper, clip.rate, window_s=8.0, settle_s=2.0)
    settled: list[str] = []
    stream.on_text = settled.append  # what a live caption shows while the recording goes on
    block = clip.rate // 10
    most_buffered = 0.0
    for start in range(0, clip.samples.size, block):
        stream.feed(clip.samples[start : start + block])
        # The worker catches up after every block, so its windows (and so Whisper's sentences and the
        # pieces diarized) are the same on every run, whatever the machine's load.
        assert stream.wait_idle(60.0)
        most_buffered = max(most_buffered, stream.buffered_seconds)
    assert stream.wait_idle(60.0)
    assert stream.passes >= 2, "nothing was transcribed before the recording stopped"
    early = list(stream.segments)
    assert early and words(early[0].text) == "do you hear me"
    assert settled and words(settled[0]).startswith("do you hear me")
    assert words(" ".join(settled)) == words(stream.partial_text) == words(" ".join(s.text for s in early))
    assert most_buffered < 14.0  # settled audio is dropped: memory does not grow with the meeting

    transcript = stream.finish()
    text = words(transcript.text)
    assert text.startswith("do you hear me yes do you hear me yes")
    assert "do you remember the day i went and fetched you from that ditch" in text
    # Diarization (on by default) labels the speakers at the end; the settled text stays.
    assert [(s.start, s.text) for s in transcript.segments[: len(early)]] == [
        (s.start, s.text) for s in early
    ]
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    # Labels are numbered in order of first appearance, and the two readers are found.
    assert transcript.segments[0].speaker == "speaker_1"
    assert {s.speaker for s in transcript.segments} == {"speaker_1", "speaker_2"}
    # Every line long enough to found a speaker (SHORT_S, the pieces the diarizer clusters) carries
    # the dialogue's turns, up to a relabelling. Shorter lines take the nearest voice and are not
    # checked: a one-word "Yes." can get word times that miss its audio (streamed, the second
    # "Yes." came out at 4.40-4.40 s instead of about 4.0-4.2 s, so its padded 0.2 s held no voice).
    long = [s for s in transcript.segments if s.end - s.start >= SHORT_S]
    assert len(long) >= 10
    who = {(s.speaker, turn_at((s.start + s.end) / 2)) for s in long}
    assert len(who) == 2 and len({label for label, _ in who}) == len({turn for _, turn in who}) == 2, who
    assert 27.5 < transcript.segments[-1].end <= clip.duration + 0.05
    # "Do you remember the day ..." starts at about 23.7 s in the recording: absolute times kept.
    ditch = next(s for s in transcript.segments if "ditch" in s.text)
    assert 23.0 < ditch.start < 24.5


def test_short_utterance_is_transcribed_at_finish(whisper: WhisperTranscriber) -> None:
    clip = load_clip(shared_clip("beckett.wav"))
    stream = StreamingTranscription(whisper, clip.rate)  # 20 s window: nothing runs early
    stream.feed(clip.samples)
    assert stream.wait_idle(10.0) and stream.passes == 0
    transcript = stream.finish()
    assert words(transcript.text) == "ever tried ever failed no matter try again fail again fail better"
    with pytest.raises(RuntimeError):
        stream.feed(np.zeros(10, np.float32))


def test_silence_is_dropped_while_recording(whisper: WhisperTranscriber) -> None:
    stream = StreamingTranscription(whisper, 16_000, window_s=4.0, settle_s=1.0)
    for _ in range(10):
        stream.feed(np.zeros(16_000, np.float32))
        assert stream.wait_idle(30.0)
    assert stream.buffered_seconds < 4.0
    assert stream.finish().segments == []


def test_a_short_tail_is_transcribed_after_some_settled_audio(whisper: WhisperTranscriber) -> None:
    """The room's windows (6 s, settle 1.5 s) leave the end of beckett.wav as a short tail; Whisper
    hears it after the last 3 s that already settled (a window with that little speech would keep
    the full 30 s encoder), and only the tail's words are kept, at their own times."""
    clip = load_clip(shared_clip("beckett.wav")).at_rate(16_000)
    stream = StreamingTranscription(whisper, clip.rate, window_s=6.0, settle_s=1.5)
    for start in range(0, clip.samples.size, clip.rate // 10):
        stream.feed(clip.samples[start : start + clip.rate // 10])
        assert stream.wait_idle(60.0)
    full = "ever tried ever failed no matter try again fail again fail better"
    settled = [s.text for s in stream.segments]
    assert settled and full.startswith(words(" ".join(settled))) and stream.buffered_seconds < 6.0
    transcript = stream.finish()
    assert stream.context_tails == 1
    assert words(transcript.text) == full  # nothing twice, nothing lost
    assert [s.text for s in transcript.segments[: len(settled)]] == settled
    last = transcript.segments[-1]
    assert last.text == "Fail better." and 8.0 < last.start < last.end < 9.0  # at about 8.2-8.7 s


def test_captions_show_the_words_so_far_and_leave_the_transcript_as_it_was(
    whisper: WhisperTranscriber,
) -> None:
    """With captions on (the room's 1 s), the words heard so far are shown about each second, long
    before the first 6 s window settles anything; the finished transcript is the one the windows
    alone give (caption passes are never kept)."""
    clip = load_clip(shared_clip("beckett.wav")).at_rate(16_000)
    half = clip.rate // 2

    def run(caption_s: float | None) -> tuple[StreamingTranscription, list[tuple[int, str]], str]:
        stream = StreamingTranscription(whisper, clip.rate, window_s=6.0, settle_s=1.5, caption_s=caption_s)
        shown: list[tuple[int, str]] = []
        stream.on_text = lambda _text: shown.append((stream.passes, stream.partial_text))
        for start in range(0, clip.samples.size, half):
            stream.feed(clip.samples[start : start + half])
            assert stream.wait_idle(60.0)
        return stream, shown, stream.finish().text

    captioned, shown, text = run(1.0)
    plain, _, plain_text = run(None)
    assert text == plain_text and captioned.passes == plain.passes
    assert plain.caption_passes == 0 and captioned.caption_passes >= 3
    early = [words(said) for passes, said in shown if passes == 0 and said]
    assert early and early[0].startswith("ever tr"), shown
    assert len(early[-1].split()) > len(early[0].split())  # the caption grew before anything settled
    assert words(shown[-1][1]).startswith("ever tried ever failed")
