"""Merging two people of a session through two turns: the real voice encoder on the two-reader
dialogue, the session saved and reopened in a real store between the turns."""

from __future__ import annotations

from pathlib import Path

from tests.diarize.conftest import ENDGAME_LINES, clip16k
from tui.audio.clip import TRANSCRIBE_RATE
from tui.diarize.identity import identify
from tui.model import Segment, Transcript
from tui.sessions import SessionStore, TurnRecord

HALF = 14.4


def _turn(samples: object, lines: list[tuple[float, float, str]], labels: dict[str, str]) -> Transcript:
    return Transcript(
        segments=[Segment(a, b, labels[who], f"line {i}") for i, (a, b, who) in enumerate(lines)], text="x"
    )


def test_a_merged_person_never_comes_back_under_another_label(tmp_path: Path) -> None:
    dialogue = clip16k("endgame_nagg_nell.wav")
    cut = int(HALF * TRANSCRIBE_RATE)
    store = SessionStore(tmp_path / "sessions")
    session = store.create(title="Endgame")

    # Turn 1: Nagg and Nell, two people.
    first = [line for line in ENDGAME_LINES if line[1] <= HALF]
    found = identify([], dialogue[:cut], _turn(dialogue, first, {"A": "speaker_1", "B": "speaker_2"}))
    assert sorted(p.label for p in found.people) == ["speaker_1", "speaker_2"]
    store.add_turn(session, TurnRecord(duration=HALF, segments=found.transcript.segments))
    store.update(session, lambda latest: setattr(latest, "people", found.people))
    store.rename_speaker(session, "speaker_1", "Nagg")

    # The person says the two are one: speaker_2 is merged into Nagg.
    assert store.merge_speakers(session, "speaker_2", "Nagg") > 0
    reopened = store.open(session.id)
    assert [p.label for p in reopened.people] == ["speaker_1"]
    merged = reopened.people[0]
    assert merged.name is None or merged.name == "Nagg"
    assert len(merged.also) == 1 and merged.seconds > 0

    # Turn 2: only the merged voice (Nell's lines), labelled speaker_1 by a service that restarts.
    second = [(a - HALF, b - HALF, who) for a, b, who in ENDGAME_LINES if a > HALF and who == "B"]
    again = identify(reopened.people, dialogue[cut:], _turn(dialogue, second, {"B": "speaker_1"}))
    assert again.new == []
    assert {s.speaker for s in again.transcript.segments} == {"speaker_1"}
    assert [p.label for p in again.people] == ["speaker_1"]
    assert reopened.name("speaker_1") == "Nagg"
