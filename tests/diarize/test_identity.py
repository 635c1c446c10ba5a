"""One identity per person through a session, through the real room: offline Whisper and voice
encoder, the agent on the stand-in server (so the prompt it is sent can be read), the session on disk.

Turn 1 is the first half of the two-reader dialogue (Nagg speaks first), turn 2 the second half
(Nell speaks first: Whisper's own labels are the other way round there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.diarize.conftest import ENDGAME_LINES, clip16k, reader_labels
from tests.helpers import RoomEvents
from tests.standin import MistralStandIn
from tui.audio.clip import TRANSCRIBE_RATE, Clip
from tui.backends import make_backends
from tui.config import Secret, Settings
from tui.meeting.shown import rename_speaker
from tui.room import Room
from tui.room.wiring import new_log, open_log
from tui.sessions import SessionStore
from tui.testing import FileRecorder
from tui.voices import Speakers

pytestmark = pytest.mark.offline_models
HALF = 14.4
SECOND_HALF_LINES = [(a - HALF, b - HALF, who) for a, b, who in ENDGAME_LINES if a > HALF]
"""The lines of the second half, timed from its start."""


def settings_for(server: MistralStandIn, data: Path, *, profiles: bool = False) -> Settings:
    settings = Settings(backend="mistral", api_key=Secret("test-key"), server_url=server.url, data_dir=data)
    settings.transcription.backend = "offline"
    settings.speech.backend = "none"
    settings.diarization.voice_profiles = profiles
    return settings


def half(which: int) -> Clip:
    dialogue = clip16k("endgame_nagg_nell.wav")
    cut = int(HALF * TRANSCRIBE_RATE)
    return Clip(dialogue[:cut] if which == 1 else dialogue[cut:], TRANSCRIBE_RATE)


def take_turn(room: Room, turns: RoomEvents, clip: Clip) -> None:
    room.recorder = FileRecorder(clip)
    count = len(turns.finished)
    room.press("fallback")
    room.press("fallback")
    turns.wait_finished(count + 1)
    assert turns.finished[-1].status == "done", turns.finished[-1].error


def people_of(transcript: object, lines: list[tuple[float, float, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"A": set(), "B": set()}
    for have, (_, _, reader) in zip(reader_labels(transcript.segments, lines), lines, strict=True):  # type: ignore[attr-defined]
        out[reader] |= have
    return out


def build(settings: Settings, turns: RoomEvents, log: object = None) -> Room:
    backends = make_backends(settings)
    return Room(
        recorder=None,
        runner=backends.runner(settings),
        log=log or new_log(settings, backends),  # type: ignore[arg-type]
        backends=backends,
        listener=turns,
        debounce_s=0.0,
    )


def meeting(
    settings: Settings, part: Clip, *, name_first: str | None = None, log: object = None
) -> tuple[Room, RoomEvents]:
    """A room (a new session, or ``log``) that hears ``part`` as one turn, names ``speaker_1``
    ``name_first`` if given, and is closed again."""
    turns = RoomEvents()
    room = build(settings, turns, log)
    try:
        take_turn(room, turns, part)
        if name_first is not None:
            rename_speaker(room.log, "speaker_1", name_first)
    finally:
        room.close()
    return room, turns


def test_each_person_keeps_their_label_and_name_across_turns(
    mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    settings = settings_for(mistral_server, tmp_path / "data")
    turns = RoomEvents()
    room = build(settings, turns)
    try:
        take_turn(room, turns, half(1))
        first = people_of(turns.transcripts[1], [x for x in ENDGAME_LINES if x[1] < HALF])
        assert first == {"A": {"speaker_1"}, "B": {"speaker_2"}}
        rename_speaker(room.log, "speaker_1", "Nagg")

        take_turn(room, turns, half(2))
        second = people_of(turns.transcripts[2], SECOND_HALF_LINES)
        assert second == {"A": {"speaker_1"}, "B": {"speaker_2"}}  # Nell spoke first, still speaker_2
    finally:
        room.close()

    session = SessionStore(settings.sessions_dir).open(room.log.session_id)
    assert [p.label for p in session.people] == ["speaker_1", "speaker_2"]
    assert session.speaker_names == {"speaker_1": "Nagg"}
    for person in session.people:  # a short clip of each voice, private, in the session folder
        clip = session.folder / (person.reference or "")  # type: ignore[operator]
        assert clip.is_file() and (clip.stat().st_mode & 0o777) == 0o600
    # The assistant is told who spoke, by name once they have one.
    asks = mistral_server.requests_to("conversations")
    assert "Nagg:" not in str(asks[0].json) and "speaker_1:" in str(asks[0].json)
    assert "Nagg:" in str(asks[1].json) and "speaker_2:" in str(asks[1].json)


def test_voice_profiles_name_a_person_in_a_later_meeting_only_when_on(
    mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    # Meeting 1, profiles off: a name is given, and nothing about a voice outlives the session.
    settings = settings_for(mistral_server, data)
    room, _ = meeting(settings, half(1), name_first="Nagg")
    assert not (data / "voices").exists()
    SessionStore(settings.sessions_dir).delete(room.log.session_id)
    assert not list(data.rglob("person-*")) and not list(data.rglob("*voice*"))

    # Profiles on, but the question "remember voices?" was answered no: still nothing is kept.
    settings = settings_for(mistral_server, data, profiles=True)
    speakers = Speakers.from_settings(settings)
    assert speakers is not None and speakers.consent is None
    speakers.set_consent(False)
    room, _ = meeting(settings, half(1), name_first="Nagg")
    assert not (data / "voices" / "voice_profiles.json").exists()

    # Meeting 2, profiles on and consented: naming Nagg keeps his voice (private)...
    speakers.set_consent(True)
    room, _ = meeting(settings, half(1), name_first="Nagg")
    profiles = data / "voices" / "voice_profiles.json"
    assert profiles.is_file() and (profiles.stat().st_mode & 0o777) == 0o600

    # ...and meeting 3 names him as soon as he speaks, in the transcript the agent gets.
    room, turns = meeting(settings, half(2))
    session = SessionStore(settings.sessions_dir).open(room.log.session_id)
    nagg = [label for label, name in session.speaker_names.items() if name == "Nagg"]
    assert len(nagg) == 1
    assert people_of(turns.transcripts[1], SECOND_HALF_LINES)["A"] == set(nagg)
    assert "Nagg:" in str(mistral_server.requests_to("conversations")[-1].json)


def test_continuing_a_session_keeps_its_people(mistral_server: MistralStandIn, tmp_path: Path) -> None:
    settings = settings_for(mistral_server, tmp_path / "data")
    room, _ = meeting(settings, half(1))
    log = open_log(settings, room.log.session_id, make_backends(settings))
    room, turns = meeting(settings, half(2), log=log)
    assert people_of(turns.transcripts[2], SECOND_HALF_LINES) == {"A": {"speaker_1"}, "B": {"speaker_2"}}
    assert np.isfinite(log.session.people[0].seconds)


def test_voices_command_lists_and_forgets_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main
    from tui.diarize.people import VoiceProfiles

    data = tmp_path / "data"
    clip = tmp_path / "ref.flac"
    clip.write_bytes(b"fLaC")
    VoiceProfiles(data / "voices").add("Nagg", [1.0] + [0.0] * 255, seconds=5.0, reference=clip)
    assert main(["voices", "list", "--data-dir", str(data), "--offline"]) == 0
    assert "Nagg" in capsys.readouterr().out
    assert main(["voices", "forget", "Nagg", "--data-dir", str(data), "--offline"]) == 0
    assert VoiceProfiles(data / "voices").list() == []
    assert [p.name for p in (data / "voices").iterdir()] == ["voice_profiles.json"]  # the clip is gone
    assert main(["voices", "forget", "Nell", "--data-dir", str(data), "--offline"]) == 2
    assert "no voice profile called 'Nell'" in capsys.readouterr().err


def test_online_people_keep_their_labels_and_names_across_turns(
    mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    """Through the stand-in, which labels synthesized voices per request (speaker_1 is whoever
    speaks first): Voxroom keeps each person, sends the named one as a speaker reference, and
    keeps the new voice apart."""
    from tests.standin import TranscriptionScript
    from tests.standin.voices import HIGH, LOW, MID, write_voices
    from tui.audio.clip import load_clip
    from tui.stt.references import forget_refusal

    forget_refusal()
    mistral_server.script(TranscriptionScript(by_voice=True), repeat=True)
    settings = Settings(
        backend="mistral", api_key=Secret("test-key"), server_url=mistral_server.url, data_dir=tmp_path / "d"
    )
    settings.speech.backend = "none"
    turns = RoomEvents()
    room = build(settings, turns)

    def by_pitch(turn: int) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for seg in turns.transcripts[turn].segments:  # type: ignore[attr-defined]
            pitch = int(seg.text.split("Voice at ")[1].split(" ")[0])
            out.setdefault(pitch, set()).add(seg.speaker)
        return out

    try:
        take_turn(
            room, turns, load_clip(write_voices(tmp_path / "t1.flac", [(LOW, 1.2), (MID, 1.0), (LOW, 0.8)]))
        )
        assert by_pitch(1) == {110: {"speaker_1"}, 180: {"speaker_2"}}
        rename_speaker(room.log, "speaker_2", "Ann")
        # Turn 2: the service now calls MID speaker_1 (first heard), but she is Ann, speaker_2.
        take_turn(
            room, turns, load_clip(write_voices(tmp_path / "t2.flac", [(MID, 1.0), (HIGH, 0.8), (LOW, 1.0)]))
        )
    finally:
        room.close()
        forget_refusal()
    assert by_pitch(2) == {180: {"speaker_2"}, 110: {"speaker_1"}, 260: {"speaker_3"}}
    uploads = mistral_server.requests_to("transcriptions")
    assert "speaker_references" not in uploads[0].form and "Ann" in uploads[-1].form["speaker_references"][0]
    session = SessionStore(settings.sessions_dir).open(room.log.session_id)
    assert session.speaker_names == {"speaker_2": "Ann"}
    assert [p.label for p in session.people] == ["speaker_1", "speaker_2", "speaker_3"]
    assert "Ann:" in str(mistral_server.requests_to("conversations")[-1].json)
