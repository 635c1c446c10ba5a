"""People behind the speaker labels: matching voices across turns, and consented voice profiles.

A :class:`Person` is what a session may remember about one voice: its label (``speaker_3``), an
optional name, a voiceprint (the unit 256-d mean voice embedding, a running weighted mean over
the seconds heard), an optional reference clip file name and those seconds. Every type here turns
into plain JSON.

:class:`VoiceProfiles` keeps named voiceprints across meetings in one private JSON file. It is
off by default (``diarization.voice_profiles``); the caller asks the people concerned first.

Thresholds (cosine similarity of voiceprints) were measured on the clips in tests/data/audio, see
bench/README.md "Diarization": the same reader's voiceprints from two halves of a dialogue scored
0.895 and 0.919, different readers 0.43 to 0.67. Few voices, clean recordings: a real room is
noisier, so a borderline match is only ever suggested.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.errors import VoxroomError
from tui.model import MatchTier

VOICEPRINT_SIZE = 256
MATCH_THRESHOLD = 0.25
"""Largest cosine distance (1 - similarity) at which a turn's voice is the same person."""
CONFIDENT = 0.85
"""Similarity from which a voice profile names a speaker without asking."""
BORDERLINE = 0.75
"""Similarity from which a voice profile is suggested for confirmation."""
MAX_PROFILES = 500
MAX_NAME = 80
MAX_ALSO = 8
"""At most this many merged-in voiceprints per person."""
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_CLIP_BYTES = 64 * 1024 * 1024
"""A reference clip larger than this is not read (a few seconds of speech is well under 1 MB)."""
PROFILES_FILE = "voice_profiles.json"
_LABEL = re.compile(r"^speaker_(\d{1,6})$")


class VoiceProfileError(VoxroomError):
    step = "voice profiles"


def _unit(vector: Sequence[float]) -> list[float]:
    """``vector`` as 256 finite floats of norm 1; raises ValueError otherwise."""
    values = [float(x) for x in vector]
    if len(values) != VOICEPRINT_SIZE or not all(math.isfinite(x) for x in values):
        raise ValueError(f"a voiceprint is {VOICEPRINT_SIZE} finite numbers")
    norm = math.sqrt(sum(x * x for x in values))
    if norm <= 1e-9:
        raise ValueError("a voiceprint cannot be all zeros")
    return [x / norm for x in values]


def similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two voiceprints."""
    ua, ub = _unit(a), _unit(b)
    return sum(x * y for x, y in zip(ua, ub, strict=True))


@dataclass(slots=True)
class Person:
    label: str
    name: str | None = None
    voiceprint: list[float] | None = None
    reference: str | None = None
    """File name of a reference clip (inside the profiles folder), if one was kept."""
    seconds: float = 0.0
    also: list[list[float]] = field(default_factory=list)
    """Voiceprints of people merged into this one (a person split in two by the diarizer): a voice
    close to any of them is this person, so a merged voice never comes back under another label."""

    def __post_init__(self) -> None:
        if self.voiceprint is not None:
            self.voiceprint = _unit(self.voiceprint)
        self.seconds = max(0.0, float(self.seconds)) if math.isfinite(float(self.seconds)) else 0.0
        self.also = [_unit(v) for v in self.also[:MAX_ALSO]]

    def copy(self) -> Person:
        return Person(self.label, self.name, self.voiceprint, self.reference, self.seconds, list(self.also))

    def voiceprints(self) -> list[list[float]]:
        """Every voiceprint that identifies this person (their own first)."""
        return ([self.voiceprint] if self.voiceprint is not None else []) + self.also

    def merge(self, other: Person) -> None:
        """Take ``other`` in: the voiceprints' weighted mean by seconds heard, ``other``'s voiceprints
        kept as :attr:`also`, their seconds added; the name and reference clip are this person's,
        or ``other``'s when this one has none."""
        if other.voiceprint is not None:
            if self.voiceprint is None:
                self.voiceprint = list(other.voiceprint)
            else:
                total = self.seconds + other.seconds
                w = self.seconds / total if total > 0 else 0.5
                self.voiceprint = _unit(
                    [a * w + b * (1.0 - w) for a, b in zip(self.voiceprint, other.voiceprint, strict=True)]
                )
        self.also = [*self.also, *other.voiceprints()][:MAX_ALSO]
        self.seconds += other.seconds
        self.name = self.name or other.name
        self.reference = self.reference or other.reference

    def heard(self, voiceprint: Sequence[float], seconds: float) -> None:
        """Fold ``seconds`` more of this voice into the voiceprint (running weighted mean)."""
        new = _unit(voiceprint)
        seconds = max(float(seconds), 0.0)
        if self.voiceprint is None or self.seconds <= 0.0:
            self.voiceprint = new
        else:
            total = self.seconds + seconds
            old_w, new_w = self.seconds / total, seconds / total
            self.voiceprint = _unit(
                [o * old_w + n * new_w for o, n in zip(self.voiceprint, new, strict=True)]
            )
        self.seconds += seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "voiceprint": None if self.voiceprint is None else [round(x, 6) for x in self.voiceprint],
            "reference": self.reference,
            "seconds": round(self.seconds, 2),
            **({"also": [[round(x, 6) for x in v] for v in self.also]} if self.also else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        """Raises ValueError on anything malformed."""
        label = str(data.get("label") or "").strip()
        if not label or len(label) > MAX_NAME:
            raise ValueError("a person needs a label")
        name = data.get("name")
        reference = data.get("reference")
        voiceprint = data.get("voiceprint")
        also = data.get("also")
        return cls(
            label=label,
            name=_clean_name(name) if name else None,
            voiceprint=None if voiceprint is None else list(voiceprint),
            reference=_safe_file_name(reference) if reference else None,
            seconds=float(data.get("seconds") or 0.0),
            also=[list(v) for v in also[:MAX_ALSO] if isinstance(v, list)] if isinstance(also, list) else [],
        )


def _clean_name(name: Any) -> str:
    text = " ".join(str(name).split())
    text = "".join(ch for ch in text if ch.isprintable())[:MAX_NAME].strip()
    if not text:
        raise ValueError("a name cannot be empty")
    return text


def _safe_file_name(name: Any) -> str:
    text = str(name)
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", text) or text.startswith("."):
        raise ValueError("a reference is a plain file name")
    return text


def next_label(people: Sequence[Person]) -> str:
    """``speaker_{n+1}`` where ``n`` is the highest number among the ``speaker_N`` labels."""
    numbers = [int(m.group(1)) for p in people if (m := _LABEL.match(p.label))]
    return f"speaker_{max(numbers, default=0) + 1}"


def speech_seconds(segments: Sequence[Any]) -> dict[str, float]:
    """Seconds spoken per speaker label in a turn's segments (the weights for :func:`update_people`)."""
    out: dict[str, float] = {}
    for seg in segments:
        out[seg.speaker] = out.get(seg.speaker, 0.0) + max(0.0, float(seg.end) - float(seg.start))
    return out


def match_people(
    people: Sequence[Person],
    centroids: Mapping[str, Sequence[float]],
    threshold: float = MATCH_THRESHOLD,
) -> dict[str, str]:
    """Map each label of a turn's ``centroids`` to a person's label.

    Pairs are chosen to maximise total similarity (Hungarian assignment); a pair counts only when
    its cosine distance is at most ``threshold``. Unmatched voices get new labels ``speaker_{n+1}``,
    ``speaker_{n+2}``... in the order of ``centroids``. People without a voiceprint match nothing.
    """
    labels = list(centroids)
    known = [(p, v) for p in people for v in p.voiceprints()]  # a merged person has several
    mapping: dict[str, str] = {}
    if labels and known:
        import numpy as np
        from scipy.optimize import linear_sum_assignment

        a = np.array([_unit(centroids[label]) for label in labels])
        b = np.array([v for _, v in known])
        sims = a @ b.T
        rows, cols = linear_sum_assignment(-sims)
        for r, c in zip(rows, cols, strict=True):
            if 1.0 - float(sims[r, c]) <= threshold:
                mapping[labels[r]] = known[c][0].label
    taken = list(people)
    for label in labels:
        if label not in mapping:
            new = next_label(taken)
            mapping[label] = new
            taken.append(Person(new))
    return mapping


def update_people(
    people: Sequence[Person],
    centroids: Mapping[str, Sequence[float]],
    seconds: Mapping[str, float],
    threshold: float = MATCH_THRESHOLD,
) -> tuple[list[Person], dict[str, str]]:
    """Match a turn's voices (:func:`match_people`), fold them into the people's voiceprints, and
    add the new people. Returns the updated list (the input is not changed) and the mapping."""
    mapping = match_people(people, centroids, threshold)
    out = {p.label: p.copy() for p in people}
    for turn_label, person_label in mapping.items():
        person = out.setdefault(person_label, Person(person_label))
        person.heard(centroids[turn_label], float(seconds.get(turn_label, 1.0)))
    return list(out.values()), mapping


class VoiceProfiles:
    """Named voiceprints kept across meetings: ``voice_profiles.json`` (0600) and reference clips in
    one private folder. Only use it with the consent of the people whose voices it keeps."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / PROFILES_FILE

    def list(self) -> list[Person]:
        from tui.fsutil import UnreadableFile, read_json

        try:
            data = read_json(self.path, MAX_FILE_BYTES, within=self.folder.parent)
        except UnreadableFile as err:
            if err.missing:
                return []
            raise VoiceProfileError(
                f"The voice profiles file {self.path} cannot be read: {err.reason}.",
                hint="Delete it to start again; it only holds voice profiles.",
            ) from None
        try:
            items = data["profiles"] if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ValueError("no profile list")
            return [Person.from_dict(item) for item in items[:MAX_PROFILES]]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise VoiceProfileError(
                f"The voice profiles file {self.path} cannot be read ({err}).",
                hint="Delete it to start again; it only holds voice profiles.",
            ) from None

    def add(
        self, name: str, voiceprint: Sequence[float], *, seconds: float, reference: Path | None = None
    ) -> Person:
        """A new profile; ``reference`` (a clip file) is copied into the profiles folder."""
        from tui.fsutil import UnreadableFile, atomic_write, make_private, make_private_dir, read_bytes

        try:
            person = Person(next_label(self.list()), _clean_name(name), list(voiceprint), None, seconds)
        except ValueError as err:
            raise VoiceProfileError(f"Cannot keep that voice profile: {err}.", hint="Record again.") from None
        profiles = self.list()
        if len(profiles) >= MAX_PROFILES:
            raise VoiceProfileError(
                f"There are already {MAX_PROFILES} voice profiles.", hint="Forget some first."
            )
        make_private_dir(self.folder)
        if reference is not None:
            suffix = (
                reference.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", reference.suffix.lower()) else ""
            )
            person.reference = f"{person.label}{suffix}"
            try:  # never through a link: a linked clip is not this person's voice
                clip = read_bytes(reference, MAX_CLIP_BYTES)
                atomic_write(self.folder / person.reference, clip)
            except UnreadableFile as err:
                raise VoiceProfileError(
                    f"Cannot copy the reference clip {reference.name}: {err.reason}.", hint="Record again."
                ) from None
            except OSError as err:
                raise VoiceProfileError(
                    f"Cannot copy the reference clip {reference}: {err.strerror}.", hint="Check the file."
                ) from None
            make_private(self.folder / person.reference)
        self._save([*profiles, person])
        return person

    def forget(self, label: str) -> bool:
        """Delete a profile, its voiceprint and its reference clip; False when there is none."""
        profiles = self.list()
        keep = [p for p in profiles if p.label != label]
        if len(keep) == len(profiles):
            return False
        for gone in (p for p in profiles if p.label == label):
            if gone.reference:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / gone.reference).unlink()
        self._save(keep)
        return True

    def identify(
        self, voiceprint: Sequence[float], *, confident: float = CONFIDENT, borderline: float = BORDERLINE
    ) -> tuple[Person | None, MatchTier]:
        """The closest profile and a tier: ``confident`` (name it), ``borderline`` (suggest it) or
        ``none`` (then the profile is None)."""
        best: Person | None = None
        best_sim = -1.0
        for person in self.list():
            if person.voiceprint is None:
                continue
            sim = similarity(voiceprint, person.voiceprint)
            if sim > best_sim:
                best, best_sim = person, sim
        if best is not None and best_sim >= confident:
            return best, MatchTier.CONFIDENT
        if best is not None and best_sim >= borderline:
            return best, MatchTier.BORDERLINE
        return None, MatchTier.NONE

    def _save(self, profiles: Sequence[Person]) -> None:
        from tui.fsutil import atomic_write, make_private_dir

        make_private_dir(self.folder)
        data = {"version": 1, "profiles": [p.to_dict() for p in profiles]}
        atomic_write(self.path, json.dumps(data, indent=1).encode("utf-8"))
