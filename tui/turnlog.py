"""Where a turn goes between ``begin`` and ``complete``: :class:`TurnRef` names it, :class:`TurnLog`
is what a room or a command writes it into (:class:`tui.lifecycle.SessionLog` for a session of the
store, :class:`ScratchLog` when nothing can be saved), :class:`Completed` says what was saved, and a
failed or interrupted turn gives a :class:`RetryJob` (its recording as a lazy clip, and its
transcript when only a later step failed or was stopped)."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui.errors import VoxroomError
from tui.model import RETRYABLE, Transcript, TurnKind, TurnStatus

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.context import MeetingNotes
    from tui.sessions.model import TurnRecord
    from tui.turn import TurnResult

# Steps after which the saved transcript is still good and is reused instead of sent again.
_AFTER_TRANSCRIPTION = ("agent", "speech")


@dataclass(frozen=True, slots=True)
class TurnRef:
    """Which turn: carried from ``begin`` to ``complete`` (and by a retry)."""

    session_id: str
    index: int
    kind: TurnKind = TurnKind.QUESTION
    """A question is answered by the agent; notes are transcribed only."""


@dataclass
class RetryJob:
    """A saved turn to run again: into ``ref``, from ``clip``, reusing ``transcript`` if it is good."""

    ref: TurnRef
    clip: Clip
    transcript: Transcript | None = None


@dataclass
class Completed:
    """What ``complete`` saved, and what it could not (the turn itself is saved either way)."""

    record: TurnRecord | None
    problem: VoxroomError | None = None
    saved: bool = True
    """False when the turn itself could not be saved (``problem`` says why)."""


class TurnLog(Protocol):
    """Where a room's turns go: one open session (or a scratch folder when nothing can be saved)."""

    @property
    def name(self) -> str: ...

    @property
    def session_id(self) -> str: ...

    @property
    def conversation_id(self) -> str | None: ...

    @property
    def saved(self) -> bool:
        """False for a scratch log (nothing outlives the app)."""

    def recording_path(self) -> Path: ...

    def begin(
        self, recording: Path, duration: float = 0.0, kind: TurnKind = TurnKind.QUESTION
    ) -> TurnRef: ...

    def recorded(self, ref: TurnRef, duration: float) -> None: ...

    def complete(self, ref: TurnRef, result: TurnResult) -> Completed: ...

    def revise_transcript(self, ref: TurnRef, transcript: Transcript) -> None: ...

    def identify_speakers(self, clip: Clip, transcript: Transcript) -> tuple[Transcript, dict[str, str]]: ...

    def names(self) -> dict[str, str]: ...

    def references(self) -> dict[str, Path]: ...

    def notes_before(self, ref: TurnRef) -> MeetingNotes | None:
        """The meeting's notes since the last question the agent was sent before turn ``ref``
        (:func:`tui.context.notes_before`); None when there are none to send."""

    def suggestions(self) -> dict[str, str]: ...

    def retry_job(self, index: int | None = None) -> RetryJob | None: ...


# ---------------------------------------------------------------------------------------------
# Unsaved turns: when the data dir cannot be written, the room still works
# ---------------------------------------------------------------------------------------------
@dataclass
class ScratchLog:
    """Recordings in a temporary folder, turns in memory only. Implements :class:`TurnLog`."""

    label: str = "unsaved"
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="voxroom-")))
    conversation: str | None = None
    turns: dict[int, tuple[Path, TurnResult | None]] = field(default_factory=dict)
    kinds: dict[int, TurnKind] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    saved = False

    @property
    def name(self) -> str:
        return self.label

    @property
    def session_id(self) -> str:
        return "scratch"

    @property
    def conversation_id(self) -> str | None:
        return self.conversation

    def recording_path(self) -> Path:
        return self.folder / f"turn-{len(self.turns) + 1:03d}-{next(self._ids)}.flac"

    def begin(self, recording: Path, duration: float = 0.0, kind: TurnKind = TurnKind.QUESTION) -> TurnRef:
        index = len(self.turns) + 1
        self.turns[index] = (recording, None)
        self.kinds[index] = kind
        return TurnRef(self.session_id, index, kind)

    def recorded(self, ref: TurnRef, duration: float) -> None:
        return None

    def complete(self, ref: TurnRef, result: TurnResult) -> Completed:
        path, _ = self.turns[ref.index]
        self.turns[ref.index] = (path, result)
        if result.reply is not None and result.reply.conversation_id:
            self.conversation = result.reply.conversation_id
        return Completed(None)

    def identify_speakers(self, clip: Clip, transcript: Transcript) -> tuple[Transcript, dict[str, str]]:
        return transcript, {}  # nothing outlives an unsaved session, voices included

    def names(self) -> dict[str, str]:
        return {}

    def references(self) -> dict[str, Path]:
        return {}

    def notes_before(self, ref: TurnRef) -> MeetingNotes | None:
        return None  # an unsaved session keeps no notes

    def suggestions(self) -> dict[str, str]:
        return {}

    def revise_transcript(self, ref: TurnRef, transcript: Transcript) -> None:
        _, result = self.turns[ref.index]
        if result is not None:
            result.transcript = transcript

    def retry_job(self, index: int | None = None) -> RetryJob | None:
        for i in sorted(self.turns, reverse=True) if index is None else [index]:
            path, result = self.turns.get(i, (None, None))
            if path is None or (result is not None and result.status not in RETRYABLE):
                continue
            if not path.is_file():
                return None
            transcript = (
                result.transcript
                if result is not None and result.failed_step in _AFTER_TRANSCRIPTION
                else None
            )
            ref = TurnRef(self.session_id, i, self.kinds.get(i, TurnKind.QUESTION))
            return RetryJob(ref, saved_clip(path), transcript)
        return None


# ---------------------------------------------------------------------------------------------
# Recordings and transcripts kept from a saved turn
# ---------------------------------------------------------------------------------------------
def saved_clip(path: Path) -> Clip:
    """A saved recording as a lazy clip (a 3-hour file is not decoded unless a backend needs it)."""
    import soundfile as sf

    from tui.audio.clip import Clip, load_clip

    try:
        return Clip(None, int(sf.info(str(path)).samplerate), path)
    except (RuntimeError, sf.LibsndfileError):
        return load_clip(path)  # formats only PyAV reads; also gives the clear error for bad files


def saved_transcript(turn: TurnRecord) -> Transcript | None:
    """The transcript to reuse when running ``turn`` again: kept if only a later step failed or was
    stopped (a signal, Voxroom closed)."""
    stopped = turn.status in (TurnStatus.FAILED, TurnStatus.INTERRUPTED)
    if stopped and turn.failed_step in _AFTER_TRANSCRIPTION and turn.segments:
        return turn.transcript()
    return None
