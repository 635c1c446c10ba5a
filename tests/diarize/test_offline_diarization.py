"""Offline transcripts get real speaker labels: real Whisper, real voice encoder, real clips."""

from __future__ import annotations

import numpy as np
import pytest

from tests.diarize.conftest import ENDGAME_LINES, clip16k, lines_right, reader_labels
from tests.offline.conftest import offline_settings
from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.diarize.people import speech_seconds, update_people
from tui.model import Transcript
from tui.stt.offline import WhisperTranscriber
from tui.stt.streaming import StreamingTranscription

pytestmark = pytest.mark.offline_models

HALF = 14.4
"""Between line 8 (ends 14.18 s) and line 9 (starts 14.66 s) of the dialogue."""


def labels_in_order(transcript: Transcript) -> list[str]:
    seen: list[str] = []
    for seg in transcript.segments:
        if seg.speaker not in seen:
            seen.append(seg.speaker)
    return seen


def check_voiceprints(transcript: Transcript) -> None:
    assert set(transcript.voiceprints) == {s.speaker for s in transcript.segments}
    for vector in transcript.voiceprints.values():
        assert len(vector) == 256
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_two_readers_get_one_label_each(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(Clip(clip16k("endgame_nagg_nell.wav"), TRANSCRIBE_RATE))
    assert labels_in_order(transcript) == ["speaker_1", "speaker_2"]
    assert lines_right(transcript.segments, ENDGAME_LINES) >= 14
    assert transcript.segments[0].speaker == "speaker_1"  # Nagg speaks first
    check_voiceprints(transcript)


def test_one_reader_gets_one_label(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(Clip(clip16k("beckett.wav"), TRANSCRIBE_RATE))
    assert len(transcript.segments) >= 3
    assert {s.speaker for s in transcript.segments} == {"speaker_1"}
    check_voiceprints(transcript)


def test_three_readers_mixed_are_separated(whisper: WhisperTranscriber) -> None:
    dialogue = clip16k("endgame_nagg_nell.wav")
    beckett = clip16k("beckett.wav")
    cut = int(HALF * TRANSCRIBE_RATE)
    gap = np.zeros(TRANSCRIBE_RATE // 2, np.float32)
    mix = np.concatenate([dialogue[:cut], gap, beckett, gap, dialogue[cut:]])
    shift = (cut + 2 * gap.size + beckett.size) / TRANSCRIBE_RATE - HALF
    beckett_at = (cut + gap.size) / TRANSCRIBE_RATE
    lines = [line for line in ENDGAME_LINES if line[1] < HALF]
    lines.append((beckett_at + 0.1, beckett_at + beckett.size / TRANSCRIBE_RATE - 0.1, "C"))
    lines += [(a + shift, b + shift, who) for a, b, who in ENDGAME_LINES if a > HALF]

    transcript = whisper.transcribe(Clip(mix, TRANSCRIBE_RATE))

    assert labels_in_order(transcript) == ["speaker_1", "speaker_2", "speaker_3"]
    found = reader_labels(transcript.segments, lines)
    beckett_labels = found[sum(1 for line in ENDGAME_LINES if line[1] < HALF)]
    assert beckett_labels == {"speaker_3"}  # all of Beckett, and no one else in his lines
    assert all("speaker_3" not in have for have, line in zip(found, lines, strict=True) if line[2] != "C")
    assert lines_right(transcript.segments, lines) >= len(lines) - 2


def test_people_keep_their_labels_across_two_turns(whisper: WhisperTranscriber) -> None:
    dialogue = clip16k("endgame_nagg_nell.wav")
    cut = int(HALF * TRANSCRIBE_RATE)
    first = whisper.transcribe(Clip(dialogue[:cut], TRANSCRIBE_RATE))
    second = whisper.transcribe(Clip(dialogue[cut:], TRANSCRIBE_RATE))
    people, first_map = update_people([], first.voiceprints, speech_seconds(first.segments))
    people, second_map = update_people(people, second.voiceprints, speech_seconds(second.segments))

    def person_of(
        transcript: Transcript, mapping: dict[str, str], lines: list[tuple[float, float, str]]
    ) -> dict:
        out: dict[str, set[str]] = {"A": set(), "B": set()}
        for have, (_, _, reader) in zip(reader_labels(transcript.segments, lines), lines, strict=True):
            out[reader] |= {mapping[label] for label in have}
        return out

    first_lines = [line for line in ENDGAME_LINES if line[1] < HALF]
    second_lines = [(a - HALF, b - HALF, who) for a, b, who in ENDGAME_LINES if a > HALF]
    one = person_of(first, first_map, first_lines)
    two = person_of(second, second_map, second_lines)
    # In the second half Nell speaks first: its own labels are the other way round...
    assert labels_in_order(second) == ["speaker_1", "speaker_2"]
    assert second.segments[0].speaker == "speaker_1"
    # ...but each reader is the same person in both turns, and no third person appeared.
    assert one["A"] == two["A"] == {"speaker_1"}
    assert one["B"] == two["B"] == {"speaker_2"}
    assert sorted(p.label for p in people) == ["speaker_1", "speaker_2"]
    assert all(p.seconds > 3.0 for p in people)


def test_streaming_transcription_diarizes_the_whole_recording(whisper: WhisperTranscriber) -> None:
    dialogue = clip16k("endgame_nagg_nell.wav")
    stream = StreamingTranscription(whisper, TRANSCRIBE_RATE, window_s=8.0, settle_s=2.0)
    block = TRANSCRIBE_RATE // 10
    for start in range(0, dialogue.size, block):
        stream.feed(dialogue[start : start + block])
        if (start // block) % 50 == 49:
            assert stream.wait_idle(60.0)
    assert stream.wait_idle(60.0)
    assert stream.passes >= 2  # pieces were embedded while the recording went on
    transcript = stream.finish()
    assert labels_in_order(transcript) == ["speaker_1", "speaker_2"]
    assert lines_right(transcript.segments, ENDGAME_LINES) >= 14
    check_voiceprints(transcript)


def test_diarization_off_keeps_one_label() -> None:
    settings = offline_settings()
    settings.diarization.enabled = False
    plain = WhisperTranscriber(settings)
    transcript = plain.transcribe(
        Clip(clip16k("endgame_nagg_nell.wav")[: 5 * TRANSCRIBE_RATE], TRANSCRIBE_RATE)
    )
    assert [s.text for s in transcript.segments][:2] == ["Do you hear me?", "Yes."]
    assert {s.speaker for s in transcript.segments} == {"speaker_1"}
    assert transcript.voiceprints == {}
