"""What the agent is sent to write minutes: instructions, and the session's transcript by person name.

The transcript is every turn's lines in order, each ``[M:SS] Name: words`` with its time on the
session timeline (the times the answer must use). It is bounded: past :data:`MAX_TRANSCRIPT_CHARS`
the oldest lines are left out and a note at the top says how many and up to when.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.sessions.clock import line_time
from tui.sessions.minutes import UNASSIGNED
from tui.sessions.model import Session, format_created, single_line

MAX_TRANSCRIPT_CHARS = 60_000
"""About 15,000 tokens: an hour of conversation, well inside the models' context."""

INSTRUCTIONS = (
    "You write the minutes of a meeting from its transcript. Answer with JSON only, following the "
    "schema you are given. summary: what the meeting was about and what came of it, in a few "
    "sentences. decisions: what was decided. action_items: what someone will do; owner is the "
    "person who will do it, by their name exactly as in the list of people, or "
    f'"{UNASSIGNED}" when nobody took it; time is the [M:SS] time of the transcript line where it '
    "was said, copied as it is written there (e.g. 1:05); quote is the words of that line it came "
    "from. open_questions: what was asked or left open and not answered. Use only what the "
    "transcript says; an empty list is fine."
)


@dataclass(frozen=True)
class Prompt:
    text: str
    lines: int
    """Transcript lines in the text."""
    left_out: int
    """The oldest lines left out to fit :data:`MAX_TRANSCRIPT_CHARS`."""


def transcript_lines(session: Session) -> list[tuple[float, str]]:
    """``(time, "[M:SS] Name: words")`` for every line said in the session, in order."""
    out: list[tuple[float, str]] = []
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        said = [s for s in sorted(turn.segments, key=lambda s: s.start) if single_line(s.text)]
        for seg in said:
            at = offset + max(0.0, seg.start)
            who = single_line(session.name(seg.speaker)) or seg.speaker
            out.append((at, f"[{line_time(at)}] {who}: {single_line(seg.text)}"))
        if not said and single_line(turn.transcript_text):
            out.append((offset, f"[{line_time(offset)}] (unknown): {single_line(turn.transcript_text)}"))
    return out


def build_prompt(session: Session, limit: int = MAX_TRANSCRIPT_CHARS) -> Prompt:
    """The user message: the meeting, its people, a note on anything left out, then the transcript."""
    lines = transcript_lines(session)
    kept: list[str] = []
    size = 0
    for _, line in reversed(lines):  # the newest first, so the oldest are the ones left out
        if size + len(line) + 1 > limit and kept:
            break
        kept.append(line[:limit])
        size += len(kept[-1]) + 1
    kept.reverse()
    left_out = len(lines) - len(kept)
    people = [
        f"{session.speaker_names[label]} ({label})" if session.speaker_names.get(label) else label
        for label in session.speakers
    ]
    head = [
        f"Meeting: {single_line(session.title) or session.id}",
        f"Started: {format_created(session.created)}; it lasted {line_time(session.duration)}.",
        "People: " + (", ".join(single_line(p) for p in people) or "none named"),
    ]
    if left_out:
        head.append(
            f"Note: the transcript is too long to send whole: its first {left_out} lines (up to "
            f"{line_time(lines[left_out - 1][0])}) are left out, and it starts at "
            f"{line_time(lines[left_out][0])}."
        )
    text = "\n".join([*head, "", "Transcript:", *kept])
    return Prompt(text=text, lines=len(kept), left_out=left_out)
