"""Who speaks: how a session recognises voices (the match threshold), and the voice profiles kept
across meetings, with the user's consent, when they are turned on (``diarization.voice_profiles``;
off by default). The matching itself is :mod:`tui.diarize.identity`; the profiles'
store :mod:`tui.diarize.people`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.model import MatchTier

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.config import Settings
    from tui.diarize.people import VoiceProfiles
    from tui.model import Transcript
    from tui.sessions.model import Session


@dataclass
class Speakers:
    """How a session recognises voices: the match threshold, and the voice profiles kept across
    meetings when the user turned them on (``diarization.voice_profiles``; off by default)."""

    threshold: float = 0.25
    profiles: VoiceProfiles | None = None
    data_dir: Path | None = None
    suggestions: dict[str, str] = field(default_factory=dict)
    """Person label -> a profile's name that sounds close but not certain (say it, never apply it)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Speakers | None:
        from tui.diarize.people import MATCH_THRESHOLD, VoiceProfiles

        if not settings.diarization.enabled:
            return None
        profiles = (
            VoiceProfiles(settings.data_dir / "voices") if settings.diarization.voice_profiles else None
        )
        return cls(MATCH_THRESHOLD, profiles, settings.data_dir)

    CONSENT = "voice_profiles_consent"

    @property
    def consent(self) -> bool | None:
        """The user's answer to "remember voices across meetings?" (``None``: not asked yet)."""
        from tui.themes import read_state

        if self.data_dir is None:
            return None
        answer = read_state(self.data_dir).get(self.CONSENT)
        return answer if isinstance(answer, bool) else None

    def set_consent(self, answer: bool) -> None:
        from tui.themes import write_state

        if self.data_dir is not None:
            write_state(self.data_dir, **{self.CONSENT: bool(answer)})

    def recognise(self, session: Session, label: str) -> None:
        """A new person: named at once when their voice is confidently a profile's."""
        person = next((p for p in session.people if p.label == label), None)
        if self.profiles is None or person is None or person.voiceprint is None:
            return
        try:
            profile, tier = self.profiles.identify(person.voiceprint)
        except VoxroomError:
            return
        if profile is None or not profile.name:
            return
        if tier == MatchTier.CONFIDENT and profile.name not in session.speaker_names.values():
            session.speaker_names[label] = profile.name
        elif tier == MatchTier.BORDERLINE:
            self.suggestions[label] = profile.name

    def remember(self, session: Session, label: str, name: str) -> None:
        """Keep ``label``'s voice as a profile named ``name`` (only with profiles on)."""
        person = next((p for p in session.people if p.label == label), None)
        if self.profiles is None or person is None or person.voiceprint is None or self.consent is not True:
            return
        reference = session.folder / person.reference if session.folder and person.reference else None
        for old in self.profiles.list():  # one profile per name: the newest voice wins
            if old.name == name:
                self.profiles.forget(old.label)
        self.profiles.add(name, person.voiceprint, seconds=person.seconds, reference=reference)


@dataclass(frozen=True)
class VoiceMatcher:
    """Matches a turn's speaker labels to the session's people (call it with the clip and its
    transcript). ``prepare(clip)``, called when the recording is ready and before it is transcribed,
    starts embedding its voice in the background, so the match only averages and compares."""

    match: Callable[[Clip, Transcript], tuple[Transcript, dict[str, str]]]
    prepare: Callable[[Clip], object]

    def __call__(self, clip: Clip, transcript: Transcript) -> tuple[Transcript, dict[str, str]]:
        return self.match(clip, transcript)
