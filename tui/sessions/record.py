"""One turn of a session: what was recorded, what was heard, what was answered (``TurnRecord``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.model import Reference, Segment, SentContext, Timings, Transcript, TurnKind
from tui.sessions.fields import (
    LIMITS,
    MAX_ERROR,
    MAX_REFERENCES,
    MAX_REPLY,
    MAX_SEGMENT_TEXT,
    MAX_SEGMENTS_PER_TURN,
    MAX_SHORT,
    MAX_TURN_TEXT,
    TURN_STATUSES,
    _dict,
    _file_name,
    _fit_models,
    _fit_reference,
    _indexes,
    _list,
    _models,
    _opt_fit,
    _opt_text,
    _reference,
    _seconds,
    _segment,
    _text,
    _timings,
    fit,
    fit_line,
    now_iso,
)
from tui.text import clean

if TYPE_CHECKING:
    from tui.turn import TurnResult


@dataclass
class TurnRecord:
    """One question to the room's assistant: what was recorded, what was heard, what was answered."""

    index: int = 0
    """1-based position in the session; set by :meth:`Session.add_turn`."""
    recording: str | None = None
    """File name of the recording, relative to the session folder."""
    duration: float = 0.0
    """Length of the recording in seconds."""
    segments: list[Segment] = field(default_factory=list)
    transcript_text: str = ""
    language: str | None = None
    reply: str = ""
    references: list[Reference] = field(default_factory=list)
    blocked: bool = False
    """A moderation guardrail blocked the request or the reply."""
    moderation: str | None = None
    """The service's words about the block, if any."""
    reply_audio: str | None = None
    """File name of the spoken reply, relative to the session folder."""
    refused_sentences: list[int] = field(default_factory=list)
    """Indexes of reply sentences the speech service refused to say (moderation): not in the audio."""
    timings: Timings = field(default_factory=Timings)
    status: str = "done"
    failed_step: str | None = None
    error: str | None = None
    created: str = field(default_factory=now_iso)
    models: dict[str, str] = field(default_factory=dict)
    """The ``transcription``, ``agent`` and ``speech`` models that really served this turn."""
    agent_id: str | None = None
    """The remote agent that answered (Mistral's Agents API), if any."""
    truncated: list[str] = field(default_factory=list)
    """What was cut to fit :data:`LIMITS` (the text itself ends with :func:`cut_mark`)."""
    kind: TurnKind = TurnKind.QUESTION
    """A question (answered by the agent) or notes (transcribed only)."""
    context: SentContext | None = None
    """What the agent was sent with the question besides its transcript (the meeting's notes, who
    asked); ``None`` when the question was not sent (or the turn is older than that record)."""

    def __post_init__(self) -> None:
        self.fit_limits()

    def fit_limits(self) -> None:
        """Apply :data:`LIMITS` (and one-line cleaning of labels and references) in place; cuts are
        visible and noted in :attr:`truncated`. Runs when built and before every save."""
        notes = self.truncated
        if len(self.segments) > MAX_SEGMENTS_PER_TURN:
            if len(notes) < LIMITS["notes"]:
                notes.append(f"kept the first {MAX_SEGMENTS_PER_TURN} of {len(self.segments)} segments")
            self.segments = self.segments[:MAX_SEGMENTS_PER_TURN]
        if len(self.references) > MAX_REFERENCES:
            if len(notes) < LIMITS["notes"]:
                notes.append(f"kept the first {MAX_REFERENCES} of {len(self.references)} references")
            self.references = self.references[:MAX_REFERENCES]
        labels: dict[str, str] = {}
        budget = MAX_TURN_TEXT  # what one turn's segments may hold together
        for n, seg in enumerate(self.segments, start=1):
            if len(seg.text) > MAX_SEGMENT_TEXT:
                seg.text = fit(seg.text, MAX_SEGMENT_TEXT, f"segment {n}", notes)
            if len(seg.text) > budget:
                if len(notes) < LIMITS["notes"]:
                    notes.append(
                        f"kept the first {n - 1} of {len(self.segments)} segments"
                        f" ({MAX_TURN_TEXT} characters)"
                    )
                self.segments = self.segments[: n - 1]
                break
            budget -= len(seg.text)
            label = labels.get(seg.speaker)
            if label is None:
                label = labels[seg.speaker] = fit_line(seg.speaker) or "speaker_1"
            seg.speaker = label
        # A reference with neither a title nor an address says nothing: the reader drops it too.
        fitted = (_fit_reference(r, notes) for r in self.references)
        self.references = [r for r in fitted if r.title.strip() or r.url.strip()]
        self.transcript_text = fit(self.transcript_text, MAX_REPLY, "the transcript", notes)
        self.reply = fit(self.reply, MAX_REPLY, "the reply", notes)
        self.moderation = _opt_fit(self.moderation, MAX_ERROR, "the moderation note", notes)
        self.error = _opt_fit(self.error, MAX_ERROR, "the error", notes)
        self.language = _opt_fit(self.language, MAX_SHORT, "the language", notes, line=True)
        self.failed_step = _opt_fit(self.failed_step, MAX_SHORT, "the failed step", notes, line=True)
        self.created = fit_line(self.created, MAX_SHORT) or now_iso()
        self.agent_id = _opt_fit(self.agent_id, MAX_SHORT, "the agent id", notes, line=True)
        self.models = _fit_models(self.models, notes)
        if self.status not in TURN_STATUSES:
            self.status = "done"
        self.kind = _kind(self.kind)
        self.context = _context(self.context)
        del notes[LIMITS["notes"] :]
        self.truncated = [fit_line(n, MAX_SHORT) for n in notes]

    def transcript(self) -> Transcript:
        """The saved transcript, as the pipeline's type (for a retry, the panes, exports)."""
        return Transcript(segments=list(self.segments), text=self.transcript_text, language=self.language)

    @property
    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for seg in self.segments:
            seen.setdefault(seg.speaker, None)
        return list(seen)

    @property
    def span(self) -> float:
        """The turn's length on the session timeline: its recording, or its last segment's end."""
        last = max((s.end for s in self.segments), default=0.0)
        return max(self.duration, last)

    def to_dict(self) -> dict[str, Any]:
        self.fit_limits()
        out = {
            "index": self.index,
            "kind": self.kind.value,
            "recording": self.recording,
            "duration": round(self.duration, 3),
            "transcript": {
                "segments": [s.to_dict() for s in self.segments],
                "text": self.transcript_text,
                "language": self.language,
            },
            "reply": {
                "text": self.reply,
                "references": [r.to_dict() for r in self.references],
                "blocked": self.blocked,
                "moderation": self.moderation,
                "audio": self.reply_audio,
                "refused_sentences": self.refused_sentences,
            },
            "timings": self.timings.to_dict(),
            "status": self.status,
            "failed_step": self.failed_step,
            "error": self.error,
            "created": self.created,
            "models": dict(self.models),
            "agent_id": self.agent_id,
        }
        if self.context is not None:  # written only when set, so older readers see the same keys
            out["context"] = self.context.to_dict()
        if self.truncated:
            out["truncated"] = list(self.truncated)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], problems: list[str] | None = None) -> TurnRecord:
        problems = problems if problems is not None else []
        transcript = _dict(data.get("transcript"))
        reply = _dict(data.get("reply"))
        raw_segments = _list(transcript.get("segments"))
        raw_refs = _list(reply.get("references"))
        notes = [_text(n) for n in _list(data.get("truncated"))[: LIMITS["notes"]] if isinstance(n, str)]
        for items, cap, what in (
            (raw_segments, MAX_SEGMENTS_PER_TURN, "segments"),
            (raw_refs, MAX_REFERENCES, "references"),
        ):
            if len(items) > cap:
                notes.append(f"kept the first {cap} of {len(items)} {what}")
        segments = [s for s in map(_segment, raw_segments[:MAX_SEGMENTS_PER_TURN]) if s]
        refs = [r for r in map(_reference, raw_refs[:MAX_REFERENCES]) if r]
        index = data.get("index")
        return cls(
            index=index if isinstance(index, int) and not isinstance(index, bool) and index >= 0 else 0,
            recording=_file_name(data.get("recording"), "recording", problems),
            duration=_seconds(data.get("duration")),
            segments=segments,
            transcript_text=_text(transcript.get("text")),
            language=_opt_text(transcript.get("language")),
            reply=_text(reply.get("text")),
            references=refs,
            blocked=reply.get("blocked") is True,
            moderation=_opt_text(reply.get("moderation")),
            reply_audio=_file_name(reply.get("audio"), "reply audio", problems),
            refused_sentences=_indexes(reply.get("refused_sentences")),
            timings=_timings(data.get("timings")),
            status=_text(data.get("status")) or "done",
            failed_step=_opt_text(data.get("failed_step")),
            error=_opt_text(data.get("error")),
            created=_text(data.get("created")) or now_iso(),
            truncated=notes,
            models=_models(data.get("models")),
            agent_id=_opt_text(data.get("agent_id")),
            kind=_kind(data.get("kind"), problems),
            context=_context(data.get("context")),
        )

    @classmethod
    def from_result(
        cls,
        result: TurnResult,
        recording: str | None,
        duration: float,
        reply_audio: str | None = None,
    ) -> TurnRecord:
        """A record of a finished turn (``index`` is set when it is added to a session)."""
        transcript = result.transcript
        reply = result.reply
        return cls(
            recording=recording,
            duration=_seconds(duration),
            segments=[
                Segment(s.start, max(s.start, s.end), clean(s.speaker), clean(s.text))
                for s in (transcript.segments if transcript else [])
            ],
            transcript_text=clean(transcript.text) if transcript else "",
            language=transcript.language if transcript else None,
            reply=clean(reply.text) if reply else "",
            references=[
                Reference(clean(r.title), clean(r.url), clean(r.source))
                for r in (reply.references if reply else [])
            ],
            blocked=bool(reply and reply.blocked),
            moderation=clean(reply.moderation) if reply and reply.moderation else None,
            reply_audio=reply_audio,
            refused_sentences=_indexes(result.refused),
            timings=result.timings,
            status=result.status if result.status in TURN_STATUSES else "done",
            failed_step=result.failed_step,
            error=clean(result.error) if result.error else None,
            context=result.context,
        )


def _kind(value: object, problems: list[str] | None = None) -> TurnKind:
    """A turn's kind from a file: absent (older files) is a question; anything unknown is a question,
    with a note."""
    if isinstance(value, TurnKind):
        return value
    if value is None:
        return TurnKind.QUESTION
    try:
        return TurnKind(value)
    except ValueError:
        if problems is not None:
            problems.append(f"Read the unknown turn kind {clean(str(value))[:40]!r} as a question.")
        return TurnKind.QUESTION


_MAX_COUNT = 10_000_000


def _count(value: object) -> int:
    """A count from a file: a whole number from 0 to :data:`_MAX_COUNT`; anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return min(max(0, value), _MAX_COUNT)


def _context(value: object) -> SentContext | None:
    """What was sent with a question, from a file or a result: counts bounded, turn numbers real,
    texts one clean line within :data:`MAX_SHORT`; anything that is not a record is none."""
    if value is None:
        return None
    data = value.to_dict() if isinstance(value, SentContext) else value
    if not isinstance(data, dict):
        return None

    def line(key: str) -> str:
        return fit_line(_text(data.get(key)), MAX_SHORT)

    turns = {
        v
        for v in _list(data.get("notes_turns"))[: LIMITS["turns"]]
        if isinstance(v, int) and not isinstance(v, bool) and 0 < v <= LIMITS["turns"]
    }
    return SentContext(
        asked_by=line("asked_by"),
        notes_turns=sorted(turns),
        lines=_count(data.get("lines")),
        chars=_count(data.get("chars")),
        left_out_lines=_count(data.get("left_out_lines")),
        left_out=line("left_out"),
        first=line("first"),
        last=line("last"),
        input_chars=_count(data.get("input_chars")),
    )
