"""People across turns and the consented voice-profile store (real files, no audio)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from tests.diarize.test_cluster import noisy, voices
from tui.diarize.people import (
    Person,
    VoiceProfileError,
    VoiceProfiles,
    match_people,
    next_label,
    similarity,
    update_people,
)


def as_list(v: np.ndarray) -> list[float]:
    return [float(x) for x in v]


def test_match_keeps_known_voices_and_numbers_new_ones_after_the_highest_label() -> None:
    a, b, c = voices(3)
    people = [
        Person("speaker_1", "Ann", as_list(a), seconds=10),
        Person("speaker_4", None, as_list(b), seconds=5),
    ]
    turn = {
        "speaker_1": as_list(noisy(b, 0.1, 1)),
        "speaker_2": as_list(c),
        "speaker_3": as_list(noisy(a, 0.1, 2)),
    }
    assert match_people(people, turn) == {
        "speaker_1": "speaker_4",
        "speaker_2": "speaker_5",
        "speaker_3": "speaker_1",
    }
    # Two voices close to the same person: only the closer one is that person (one-to-one).
    both = {"speaker_1": as_list(noisy(a, 0.15, 3)), "speaker_2": as_list(noisy(a, 0.05, 4))}
    assert match_people(people[:1], both) == {"speaker_1": "speaker_2", "speaker_2": "speaker_1"}
    assert match_people([], {"speaker_1": as_list(a)}) == {"speaker_1": "speaker_1"}


def test_update_folds_voices_into_a_running_weighted_mean() -> None:
    a, b = voices(2)
    start = [Person("speaker_1", "Ann", as_list(a), seconds=30.0)]
    drifted = noisy(a, 0.2, 5)
    people, mapping = update_people(
        start, {"speaker_1": as_list(drifted), "speaker_2": as_list(b)}, {"speaker_1": 10.0}
    )
    assert mapping == {"speaker_1": "speaker_1", "speaker_2": "speaker_2"}
    ann = people[0]
    expected = 0.75 * a + 0.25 * drifted
    assert similarity(ann.voiceprint or [], as_list(expected)) > 0.99999
    assert ann.seconds == 40.0 and ann.name == "Ann"
    assert start[0].seconds == 30.0  # the input list is not changed
    assert people[1].label == "speaker_2" and people[1].seconds == 1.0  # unknown seconds count as 1


def test_person_round_trips_through_json_and_rejects_bad_input() -> None:
    a = voices(1)[0]
    person = Person("speaker_2", "  Bob \\x00 Smith ", as_list(a * 3), "speaker_2.flac", 12.5)
    data = json.loads(json.dumps(person.to_dict()))
    back = Person.from_dict({**data, "name": "  Bob   Smith "})
    assert back.name == "Bob Smith" and back.reference == "speaker_2.flac"
    assert similarity(back.voiceprint or [], as_list(a)) > 0.99999
    for bad in (
        {**data, "voiceprint": [1.0] * 10},
        {**data, "voiceprint": [float("nan")] * 256},
        {**data, "reference": "../../etc/passwd"},
        {**data, "label": ""},
    ):
        with pytest.raises(ValueError):
            Person.from_dict(bad)
    assert next_label([Person("Ann"), Person("speaker_9"), Person("speaker_10")]) == "speaker_11"


def test_profiles_add_identify_and_forget_with_private_files(tmp_path: Path) -> None:
    a, b, c = voices(3)
    store = VoiceProfiles(tmp_path / "voices")
    assert store.list() == [] and store.identify(as_list(a)) == (None, "none")
    clip = tmp_path / "ann.flac"
    clip.write_bytes(b"fLaC fake clip")
    ann = store.add("Ann", as_list(a), seconds=20.0, reference=clip)
    bob = store.add("Bob", as_list(b), seconds=15.0)
    assert (ann.label, ann.reference, bob.label, bob.reference) == (
        "speaker_1",
        "speaker_1.flac",
        "speaker_2",
        None,
    )
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((store.folder / "speaker_1.flac").stat().st_mode) == 0o600
    assert [p.name for p in VoiceProfiles(store.folder).list()] == ["Ann", "Bob"]  # read back from disk

    assert store.identify(as_list(noisy(a, 0.05, 1))) == (store.list()[0], "confident")
    person, tier = store.identify(as_list(noisy(b, 0.20, 2)))
    assert (person.name if person else None, tier) == ("Bob", "borderline")
    assert store.identify(as_list(c)) == (None, "none")

    assert store.forget("speaker_1") is True
    assert not (store.folder / "speaker_1.flac").exists()
    assert [p.name for p in store.list()] == ["Bob"]
    assert "Ann" not in store.path.read_text()
    assert store.forget("speaker_1") is False


def test_a_damaged_profiles_file_is_one_clear_error(tmp_path: Path) -> None:
    store = VoiceProfiles(tmp_path)
    store.path.write_text('{"profiles": [{"label": "speaker_1", "voiceprint": [1, 2]}]}')
    with pytest.raises(VoiceProfileError, match="cannot be read") as err:
        store.list()
    assert "Delete it" in err.value.hint
    store.path.write_text("{not json")
    with pytest.raises(VoiceProfileError):
        store.identify(as_list(voices(1)[0]))
    with pytest.raises(VoiceProfileError, match="Cannot keep"):
        VoiceProfiles(tmp_path / "other").add("   ", as_list(voices(1)[0]), seconds=1.0)


def test_speech_seconds_sums_each_label() -> None:
    from tui.diarize.people import speech_seconds
    from tui.model import Segment

    segments = [
        Segment(0.0, 1.5, "speaker_1", "a"),
        Segment(2.0, 2.5, "speaker_2", "b"),
        Segment(3.0, 4.0, "speaker_1", "c"),
    ]
    assert speech_seconds(segments) == {"speaker_1": 2.5, "speaker_2": 0.5}


def test_voiceprints_and_words_never_reach_a_saved_transcript() -> None:
    from tui.model import Segment, Transcript, Word

    transcript = Transcript(
        segments=[Segment(0.0, 1.0, "speaker_1", "Hi.")],
        text="Hi.",
        words=[Word(0.0, 1.0, " Hi.")],
        voiceprints={"speaker_1": as_list(voices(1)[0])},
    )
    saved = transcript.to_dict()
    assert set(saved) == {"segments", "text", "language", "model"}
    assert Transcript.from_dict(json.loads(json.dumps(saved))).voiceprints == {}
