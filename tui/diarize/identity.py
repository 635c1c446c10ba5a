"""One identity per person through a session: each turn's speaker labels (Whisper's after offline
diarization, or the service's, which restart at ``speaker_1`` with every request) are matched by voice
to the session's people, so a person keeps their label, and their name, in every turn and every part
of a long recording. A new voice becomes a new person, with a short reference clip of their speech.

The voiceprints come from the offline diarizer when it ran; otherwise the voice encoder embeds each
labelled segment of the recording here (online turns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.diarize.people import MATCH_THRESHOLD, Person, match_people, speech_seconds
from tui.model import Segment, Transcript

if TYPE_CHECKING:
    import numpy as np

    from tui.diarize.windows import TurnVoices

RATE = 16_000
REFERENCE_MAX_S = 6.0
"""A person's reference clip: their longest segment, cut to this length."""
REFERENCE_MIN_S = 0.5


@dataclass
class Identified:
    transcript: Transcript
    """The turn's transcript with people's labels."""
    people: list[Person]
    """The session's people, updated with this turn's voices (new people added)."""
    mapping: dict[str, str] = field(default_factory=dict)
    """The turn's label -> the person's label."""
    new: list[str] = field(default_factory=list)
    """People first heard in this turn."""


def label_voiceprints(samples16k: np.ndarray, segments: Sequence[Segment]) -> dict[str, np.ndarray]:
    """Each label's voiceprint: the seconds-weighted mean embedding of its segments (unit length)."""
    import numpy as np

    from tui.diarize.diarizer import embed_pieces, split_pieces

    pieces = split_pieces(segments)
    if not pieces:
        return {}
    embeddings = embed_pieces(np.asarray(samples16k, dtype=np.float32), pieces)
    sums: dict[str, np.ndarray] = {}
    for piece, vector in zip(pieces, embeddings, strict=True):
        label = segments[piece.segment].speaker
        weight = max(piece.seconds, 0.1)
        sums[label] = sums.get(label, np.zeros_like(vector)) + vector * weight
    return {label: v / max(float(np.linalg.norm(v)), 1e-12) for label, v in sums.items()}


def identify(
    people: Sequence[Person],
    samples16k: np.ndarray,
    transcript: Transcript,
    *,
    threshold: float = MATCH_THRESHOLD,
    fixed: Mapping[str, str] | None = None,
    voices: TurnVoices | None = None,
) -> Identified:
    """Match ``transcript``'s labels to ``people`` by voice and relabel it. ``fixed`` labels (the
    service named them from a reference clip) are those people already: their voices only refine
    the people's voiceprints. ``voices``: the recording's windows, embedded while it was transcribed
    (otherwise the labelled segments are embedded here)."""
    labelled = [s for s in transcript.segments if s.speaker != "unknown"]
    if not labelled:
        return Identified(transcript, list(people))
    voiceprints = {k: v for k, v in (transcript.voiceprints or {}).items() if v}
    if not voiceprints:
        found = label_voiceprints(samples16k, labelled) if voices is None else voices.voiceprints(labelled)
        voiceprints = {k: v.tolist() for k, v in found.items()}
    if not voiceprints:
        return Identified(transcript, list(people))
    known = {p.label for p in people}
    fixed = {k: v for k, v in (fixed or {}).items() if v in known}
    seconds = speech_seconds(labelled)
    matched = match_people(people, {k: v for k, v in voiceprints.items() if k not in fixed}, threshold)
    mapping = {**matched, **fixed}
    updated = {p.label: p.copy() for p in people}
    for turn_label, person_label in mapping.items():
        if turn_label in voiceprints:
            person = updated.setdefault(person_label, Person(person_label))
            person.heard(voiceprints[turn_label], float(seconds.get(turn_label, 1.0)))
    segments = [
        Segment(s.start, s.end, mapping.get(s.speaker, s.speaker), s.text) for s in transcript.segments
    ]
    relabelled = Transcript(
        segments=segments,
        text=transcript.text,
        language=transcript.language,
        model=transcript.model,
        provisional=transcript.provisional,
    )
    new = [label for label in dict.fromkeys(mapping.values()) if label not in known]
    return Identified(relabelled, list(updated.values()), mapping, new)


def reference_span(segments: Sequence[Segment], label: str) -> tuple[float, float] | None:
    """Where to cut ``label``'s reference clip: the middle of their longest segment, at most
    :data:`REFERENCE_MAX_S` long; ``None`` when they never spoke for :data:`REFERENCE_MIN_S`."""
    theirs = [s for s in segments if s.speaker == label and s.end - s.start >= REFERENCE_MIN_S]
    if not theirs:
        return None
    longest = max(theirs, key=lambda s: s.end - s.start)
    length = min(longest.end - longest.start, REFERENCE_MAX_S)
    middle = (longest.start + longest.end) / 2
    return max(0.0, middle - length / 2), middle + length / 2
