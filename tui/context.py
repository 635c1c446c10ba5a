"""What the agent is asked for a question: the meeting's notes since the last question, who asked,
and the question itself. :func:`agent_input` is the one place that builds it, for every agent
(Mistral's Conversations API and an OpenAI-compatible server get the same text), for the early
answer as for the answer at the press, and for a retry.

The notes are the lines of the session's notes turns recorded after the last question the agent
was sent and before this one (:func:`notes_before`), each as ``[10:32] Alice: words``: the local
clock time it was said, the person's name (else their label), the words. They are bounded by
``agent.context_chars``: the newest lines are kept, and a marker line in their place says what was
left out (``[12 min of earlier notes left out: 85 lines, 09:40 to 09:52]``). Every text from the
session is data: one clean line, without control characters, terminal escapes, markup tags or
secrets. What was sent is described by :class:`tui.model.SentContext`, saved with the turn.
No Textual, no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.model import SentContext, Transcript, TurnKind, TurnStatus
from tui.redact import scrub
from tui.sessions.fields import parse_time, single_line
from tui.sessions.minutes import clean_line

if TYPE_CHECKING:
    from tui.sessions.model import Session, TurnRecord

NOTES_HEADER = "Meeting notes since the last question (local time, who spoke, what they said):"
UNKNOWN_WHO = "(unknown)"
"""Who said a notes line when the turn kept only its text (no speakers)."""
_MARKER_ROOM = 120
"""Characters of the budget kept for the marker line."""


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One line said during notes (as saved: cleaned when the input is built)."""

    at: float
    """Seconds on the session timeline (the turns' recordings laid end to end)."""
    turn: int
    created: str
    """The start of its turn (UTC, as saved), for the clock time."""
    start: float
    """Seconds into its turn."""
    who: str
    text: str


@dataclass(frozen=True, slots=True)
class MeetingNotes:
    """The notes since the last question sent to the agent, oldest first (not yet bounded)."""

    lines: tuple[NoteLine, ...] = ()
    turns: tuple[int, ...] = ()
    """The notes turns they come from."""


@dataclass(frozen=True, slots=True)
class AgentInput:
    """The text the agent is sent for a question, and what it carried besides the question."""

    text: str
    sent: SentContext = field(default_factory=SentContext)


def _reached_agent(turn: TurnRecord) -> bool:
    """A question the agent was sent (answered, blocked, or stopped with part of its reply)."""
    if turn.kind != TurnKind.QUESTION:
        return False
    if turn.status in (TurnStatus.DONE, TurnStatus.BLOCKED):
        return True
    return turn.status == TurnStatus.INTERRUPTED and bool(turn.reply.strip())


def notes_before(session: Session, index: int) -> MeetingNotes:
    """The lines of the notes turns between the last question the agent was sent before turn
    ``index`` and turn ``index`` (every notes turn before it when there was none)."""
    after = 0
    for turn in session.turns:
        if turn.index >= index:
            break
        if _reached_agent(turn):
            after = turn.index
    lines: list[NoteLine] = []
    turns: list[int] = []
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        if turn.kind != TurnKind.NOTES or not after < turn.index < index:
            continue
        said = [s for s in sorted(turn.segments, key=lambda s: s.start) if s.text.strip()]
        for seg in said:
            start = max(0.0, seg.start)
            who = session.name(seg.speaker) or seg.speaker
            lines.append(NoteLine(offset + start, turn.index, turn.created, start, who, seg.text))
        if not said and turn.transcript_text.strip():
            lines.append(NoteLine(offset, turn.index, turn.created, 0.0, UNKNOWN_WHO, turn.transcript_text))
        if said or turn.transcript_text.strip():
            turns.append(turn.index)
    return MeetingNotes(tuple(lines), tuple(turns))


def asker(transcript: Transcript, names: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """Who asked: the person who said the most of the question, by name when known (``True``) else
    by label (``False``); ``("", False)`` when its speakers are not known (a live transcript)."""
    if not transcript.segments or (transcript.provisional and not transcript.speakers_known):
        return "", False
    said: dict[str, int] = {}
    for seg in transcript.segments:
        said[seg.speaker] = said.get(seg.speaker, 0) + len(seg.text.strip())
    label = max(said, key=lambda k: said[k])
    if not said[label]:
        return "", False
    name = _clean((names or {}).get(label) or "")
    return (name, True) if name else (_clean(label), False)


def _clean(text: str) -> str:
    """One line of session text as it is sent: :func:`single_line`, and markup tags out when it
    could hold any (the whole input loses secrets at the end)."""
    line = single_line(text)
    return clean_line(line) if "[" in line or "<" in line else line


class _Clock:
    """Local ``HH:MM`` of notes lines: each turn's start is read and put in local time once, and a
    line's time is that start plus its seconds into the turn (as :func:`tui.sessions.clock.clock_of`
    gives it, but for the turn's one UTC offset)."""

    def __init__(self) -> None:
        self._starts: dict[str, float | None] = {}

    def __call__(self, note: NoteLine) -> str:
        base = self._starts.get(note.created, -1.0)
        if base is not None and base < 0:
            base = self._starts[note.created] = self._local_seconds(note.created)
        if base is None:
            return ""
        at = int(base + note.start)
        return f"{at // 3600 % 24:02d}:{at // 60 % 60:02d}"

    @staticmethod
    def _local_seconds(created: str) -> float | None:
        """Seconds since local midnight at ``created``; None when it is unreadable."""
        start = parse_time(created)
        if start is None:
            return None
        try:
            local = start.astimezone()
        except (OverflowError, ValueError, OSError):
            return None
        return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _question(transcript: Transcript, names: Mapping[str, str] | None) -> str:
    plain = transcript.plain(dict(names or {}))
    return "\n".join(line for line in (_clean(p) for p in plain.splitlines()) if line)


def _marker(left: list[NoteLine], first_kept: NoteLine | None, clock: _Clock) -> str:
    """``[12 min of earlier notes left out: 85 lines, 09:40 to 09:52]``."""
    end = first_kept.at if first_kept is not None else left[-1].at
    span = max(0.0, end - left[0].at)
    amount = f"{round(span / 60)} min" if span >= 90 else "less than 2 min"
    count = f"{len(left)} line{'s' if len(left) != 1 else ''}"
    since, until = clock(left[0]), clock(left[-1])
    times = f", {since} to {until}" if since and until and since != until else (f", {since}" if since else "")
    return f"[{amount} of earlier notes left out: {count}{times}]"


def agent_input(
    transcript: Transcript,
    names: Mapping[str, str] | None = None,
    notes: MeetingNotes | None = None,
    budget: int = 16_000,
) -> AgentInput:
    """The agent's input for the question ``transcript`` (speakers by ``names``): the notes lines
    (newest kept, at most ``budget`` characters with the marker; none when ``budget`` is 0), who
    asked, then the question. With no notes and no name for the asker it is the question's lines
    alone."""
    question = _question(transcript, names)
    who, named = asker(transcript, names)
    lines = notes.lines if notes is not None and budget > 0 else ()
    room = max(0, budget - _MARKER_ROOM)
    kept: list[str] = []
    size = 0
    first = len(lines)  # the index of the oldest line kept
    clock = _Clock()
    people: dict[str, str] = {}
    for i in range(len(lines) - 1, -1, -1):  # the newest first, so the oldest are the ones left out
        note = lines[i]
        text = _clean(note.text)
        if not text:
            continue
        if note.who not in people:
            people[note.who] = _clean(note.who) or UNKNOWN_WHO
        line = f"[{clock(note)}] {people[note.who]}: {text}"
        if size + len(line) + 1 > room:
            if not kept and room > 1:  # the newest line alone is too long: its start is kept
                kept.append(line[: room - 1] + "…")
                first = i
            break
        kept.append(line)
        first = i
        size += len(line) + 1
    kept.reverse()
    left = [n for n in lines[:first] if n.text.strip()]
    marker = _marker(left, lines[first] if first < len(lines) else None, clock) if left else ""
    sent = SentContext(
        asked_by=who,
        notes_turns=sorted({n.turn for n in lines[first:]}),
        lines=len(kept),
        chars=sum(len(k) + 1 for k in kept),
        left_out_lines=len(left),
        left_out=marker,
        first=clock(lines[first]) if kept else "",
        last=clock(lines[-1]) if kept else "",
    )
    if not kept and not marker and not named:
        text = question  # nothing to add: the question's lines say who spoke
    else:
        parts: list[str] = []
        if kept or marker:
            parts += [NOTES_HEADER, *([marker] if marker else []), *kept, ""]
        parts += [f"Question from {who}:" if who else "Question:", question]
        text = "\n".join(parts)
    text = scrub(text)  # no key or credential of this machine leaves in it
    sent.input_chars = len(text)
    return AgentInput(text, sent)
