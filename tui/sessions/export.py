"""Exports of a session: plain text, Markdown, SRT, WebVTT and JSON.

Speaker names replace ``speaker_N`` everywhere. Every one-line field (titles, names, segments,
references) goes through :func:`tui.sessions.model.single_line` again and is escaped for its format
(Markdown specials and line-start markers; SRT/WebVTT arrows and tags); multi-line replies keep their
lines but every continuation line is indented (txt) or escaped (md), so no text from a session can
forge a line of the export's own structure. Any secret handed in (the API key) becomes ``[redacted]``.

Times: subtitles (SRT, WebVTT) and the transcript lines use one timeline for the whole session,
the turns' recordings laid end to end. A turn starts where the previous one ended: its offset is
the sum of the previous turns' spans (a span is the recording's duration, or its last segment's
end if that is later). Replies are not on that timeline (they were never recorded), so they appear
in the text, Markdown and JSON exports but not in subtitles. Transcript line times and turn headers
are written by :mod:`tui.sessions.clock` (``[0:07 -> 0:12]``; ``Turn 2 · 10:32 · question``), as everywhere.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.model import STATUS_NOTES
from tui.moderation import blocked_text
from tui.sessions.clock import clock_time, line_span, line_time, turn_header
from tui.sessions.minutes import UNASSIGNED, ActionItem, Minutes, load_minutes
from tui.sessions.model import Session, format_created, format_duration, parse_time, single_line
from tui.text import clean, dump_json

FORMATS = ("txt", "md", "srt", "vtt", "json")
EXTENSIONS = {"txt": ".txt", "md": ".md", "srt": ".srt", "vtt": ".vtt", "json": ".json"}
REDACTED = "[redacted]"
_SECRET_KEYS = re.compile(r"(api[_-]?key|secret|token|password|authorization)", re.I)


@dataclass(frozen=True)
class Cue:
    """One subtitle: absolute seconds on the session timeline, the speaker's display name, the text."""

    start: float
    end: float
    speaker: str
    text: str
    turn: int


def default_export_folder(start_dir: Path, home: Path) -> Path:
    """Where the app's export dialog proposes to write: the folder Voxroom was started in, unless that is
    the home folder or the root (started from a launcher), then ``~/Documents`` if it exists."""
    documents = home / "Documents"
    if start_dir in (home, Path(start_dir.anchor)) and documents.is_dir():
        return documents
    return start_dir


_one_line = single_line


def _lines(text: str) -> list[str]:
    """A multi-line text (a reply) as cleaned, non-empty single lines."""
    return [line for line in map(single_line, clean(text).splitlines()) if line]


def cues(session: Session) -> list[Cue]:
    """Every non-empty transcript segment as a cue, in time order, on the session timeline."""
    out: list[Cue] = []
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        for seg in sorted(turn.segments, key=lambda s: (s.start, s.end)):
            text = _one_line(seg.text)
            if not text:
                continue
            start = offset + max(0.0, seg.start)
            end = max(start, offset + max(0.0, seg.end))
            out.append(Cue(start, end, _one_line(session.name(seg.speaker)) or seg.speaker, text, turn.index))
    out.sort(key=lambda c: (c.start, c.turn))
    return out


def timestamp(seconds: float, sep: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT) or with ``sep='.'`` ``HH:MM:SS.mmm`` (WebVTT)."""
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _srt_text(text: str) -> str:
    # SRT has no escapes: keep the cue on one line, never let it hold the timing arrow, and keep
    # players from reading angle brackets as formatting tags.
    return text.replace("-->", "→").replace("<", "‹").replace(">", "›")


def _vtt_text(text: str) -> str:
    # WebVTT cue text: & and < must be escaped; escaping > also removes any "-->".
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_srt(session: Session) -> str:
    blocks = []
    for n, cue in enumerate(cues(session), start=1):
        line = _srt_text(f"{cue.speaker}: {cue.text}")
        blocks.append(f"{n}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{line}\n")
    return "\n".join(blocks)


def to_vtt(session: Session) -> str:
    title = _vtt_text(_one_line(session.title))
    parts = ["WEBVTT" + (f" - {title}" if title else "") + "\n"]
    for n, cue in enumerate(cues(session), start=1):
        line = _vtt_text(f"{cue.speaker}: {cue.text}")
        parts.append(f"{n}\n{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}\n{line}\n")
    return "\n".join(parts)


def to_txt(session: Session) -> str:
    lines = [_one_line(session.title) or session.id]
    lines.append(f"Date: {format_created(session.created)}   Duration: {format_duration(session.duration)}")
    if session.participants:
        lines.append("Participants: " + ", ".join(_one_line(p) for p in session.participants))
    minutes = load_minutes(session.folder)
    if minutes is not None:
        lines += ["", *minutes_txt(session, minutes)]
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        lines.append("")
        lines.append(turn_header(turn))
        if turn.context is not None and turn.context.has_notes:
            lines.append(f"({_one_line(turn.context.summary())})")
        for seg in turn.segments:
            when = line_span(offset + seg.start, offset + seg.end)
            lines.append(f"{when} {_one_line(session.name(seg.speaker))} : {_one_line(seg.text)}")
        if not turn.segments and turn.transcript_text.strip():
            lines.append(_one_line(turn.transcript_text))
        lines.extend(_outcome(turn.status, turn.failed_step, turn.error, turn.blocked, turn.moderation))
        reply = _lines(turn.reply)
        if reply:
            lines.append("Voxroom: " + reply[0])
            lines.extend("  " + line for line in reply[1:])  # indented: never a line of its own
        for ref in turn.references:
            lines.append(f"  - {_one_line(ref.title)} <{_one_line(ref.url)}>")
    return "\n".join(lines) + "\n"


def _outcome(
    status: str, step: str | None, error: str | None, blocked: bool, moderation: str | None
) -> list[str]:
    out = []
    if blocked:
        out.append(f"({_one_line(blocked_text(moderation))})")
    if status == "failed":
        out.append(
            f"(Failed at {_one_line(step or 'a step')}" + (f": {_one_line(error)}" if error else "") + ")"
        )
    elif status in STATUS_NOTES:
        out.append(f"({STATUS_NOTES[status]})")
    return out


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&])")
_MD_LINE_START = re.compile(r"^(\d*)([-+=~:.)])")
"""What would start a list, a heading underline, a rule, a fence or a definition at a line's start."""


def md(text: str) -> str:
    """Markdown-escape one line of text taken from a session."""
    escaped = _MD_SPECIAL.sub(r"\\\1", _one_line(text))
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] or m[2] in "-+=~:" else m[0], escaped)


def _md_link(title: str, url: str) -> str:
    url = _one_line(url)
    if re.match(r"^https?://[^\s<>]+$", url):
        return f"[{md(title) or md(url)}](<{url}>)"
    return md(title) + (f" ({md(url)})" if url else "")


def to_markdown(session: Session) -> str:
    out = [*front_matter(session), f"# {md(session.title) or md(session.id)}", ""]
    out.append(f"- **Date:** {format_created(session.created)}")
    out.append(f"- **Duration:** {format_duration(session.duration)}")
    out.append(f"- **Participants:** {', '.join(md(p) for p in session.participants) or '-'}")
    if session.backend:
        models = ", ".join(md(v) for v in session.models.values() if v)
        out.append(f"- **Backend:** {md(session.backend)}" + (f" ({models})" if models else ""))
    minutes = load_minutes(session.folder)
    if minutes is not None:
        out += ["", *minutes_markdown(session, minutes)]
    out += ["", "## Transcript", ""]
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        for seg in turn.segments:
            if seg.text.strip():
                out.append(
                    f"**[{line_time(offset + seg.start)}] {md(session.name(seg.speaker))}:** {md(seg.text)}  "
                )
    out += ["", "## Questions and answers", ""]
    for turn in session.turns:
        out.append(f"### {md(turn_header(turn))}")
        out.append("")
        question = [
            f"> **{md(session.name(s.speaker))}:** {md(s.text)}  " for s in turn.segments if s.text.strip()
        ]
        if not question and turn.transcript_text.strip():
            question = [f"> {md(turn.transcript_text)}"]
        out += [*question, ""] if question else []
        for note in _outcome(turn.status, turn.failed_step, turn.error, turn.blocked, turn.moderation):
            out += [f"*{md(note)}*", ""]
        if turn.reply.strip():
            paragraphs = [md(p) for p in clean(turn.reply).split("\n\n") if _one_line(p)]
            out.append("**Voxroom:** " + "\n\n".join(paragraphs))
            out.append("")
        if turn.references:
            out.append("References:")
            out.append("")
            for n, ref in enumerate(turn.references, start=1):
                source = f" ({md(ref.source)})" if ref.source and ref.source not in ref.title else ""
                out.append(f"{n}. {_md_link(ref.title, ref.url)}{source}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (None if _SECRET_KEYS.search(str(k)) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return clean(value)
    return value


def to_json(session: Session, *, voiceprints: bool = False) -> str:
    """The session as stored (schema version 2), with its minutes when it has them, minus anything
    that looks like a secret. People's voiceprints (private data) are left out unless
    ``voiceprints``: each person keeps their label, name, reference clip's name and seconds."""
    data = session.to_dict()
    if not voiceprints:
        for person in data.get("people", []):
            person.pop("also", None)
            person["voiceprint"] = None
    minutes = load_minutes(session.folder)
    if minutes is not None:
        data["minutes"] = minutes_json(session, minutes)
    return dump_json(_scrub(data)) + "\n"


# -- minutes and front matter --------------------------------------------------------------------
def yaml_text(text: str) -> str:
    """One line of text as a YAML double-quoted scalar (JSON's string syntax is valid YAML): a colon,
    a quote, a ``#`` or a newline in it never changes the document's structure."""
    return json.dumps(_one_line(text), ensure_ascii=False)


def front_matter(session: Session) -> list[str]:
    """YAML front matter for Markdown (Obsidian and static site tools read it): title, date,
    attendees (the people's names, or labels), tags."""
    out = ["---", f"title: {yaml_text(session.title or session.id)}"]
    created = parse_time(session.created)
    with contextlib.suppress(OverflowError, ValueError, OSError):  # a year at the calendar's edge
        if created is not None:
            local = created.astimezone()
            out.append(f"date: {local.year:04d}-{local.month:02d}-{local.day:02d}")
    people = [p for p in map(_one_line, session.participants) if p]
    out.append("attendees:" + ("" if people else " []"))
    out += [f"  - {yaml_text(p)}" for p in people]
    out += ["tags: [meeting, voxroom]", "---", ""]
    return out


def owner_name(session: Session, item: ActionItem) -> str:
    """Who owns an action item, as shown: the person's name (or label), or ``Unassigned``."""
    if item.owner == UNASSIGNED:
        return "Unassigned"
    return _one_line(session.name(item.owner)) or item.owner


def action_clock(session: Session, item: ActionItem) -> str:
    """The local clock time an action item was said (``10:32``), else its time on the timeline."""
    return clock_time(session, item.at) or line_time(item.at)


def minutes_markdown(session: Session, minutes: Minutes) -> list[str]:
    """The Minutes section: summary, decisions, action items as ``- [ ] Owner: task (10:32)``
    task boxes (each with the words it came from), open questions."""
    tasks: list[str] = []
    for item in minutes.actions:
        tasks.append(
            f"- [ ] {md(owner_name(session, item))}: {md(item.task)} ({action_clock(session, item)})"
        )
        if item.quote:
            tasks.append(f"  *“{md(item.quote)}”*")
    out = ["## Minutes", "", "### Summary", "", md(minutes.summary) or "None.", ""]
    out += ["### Decisions", "", *([f"- {md(d)}" for d in minutes.decisions] or ["None."]), ""]
    out += ["### Action items", "", *(tasks or ["None."]), ""]
    out += ["### Open questions", "", *([f"- {md(q)}" for q in minutes.questions] or ["None."])]
    return out


def minutes_txt(session: Session, minutes: Minutes) -> list[str]:
    out = ["Minutes", "Summary: " + (_one_line(minutes.summary) or "-")]
    out += [f"Decision: {_one_line(d)}" for d in minutes.decisions]
    for item in minutes.actions:
        out.append(f"[ ] {owner_name(session, item)}: {_one_line(item.task)} ({action_clock(session, item)})")
        if item.quote:
            out.append(f"    “{_one_line(item.quote)}”")
    out += [f"Open question: {_one_line(q)}" for q in minutes.questions]
    return out


def minutes_json(session: Session, minutes: Minutes) -> dict[str, Any]:
    data = minutes.to_dict()
    for item, saved in zip(minutes.actions, data["action_items"], strict=True):
        saved["owner_name"] = owner_name(session, item)
        saved["time"] = line_time(item.at)
        saved["clock"] = clock_time(session, item.at)
    return data


def minutes_document(session: Session, minutes: Minutes, fmt: str) -> str:
    """The minutes on their own (``voxroom minutes``): Markdown with front matter, or JSON."""
    if fmt == "json":
        return dump_json(_scrub(minutes_json(session, minutes))) + "\n"
    title = md(session.title) or md(session.id)
    return "\n".join([*front_matter(session), f"# {title}", "", *minutes_markdown(session, minutes)]) + "\n"


_WRITERS = {"txt": to_txt, "md": to_markdown, "srt": to_srt, "vtt": to_vtt, "json": to_json}


def export_session(
    session: Session, fmt: str, *, secrets: Iterable[str] = (), voiceprints: bool = False
) -> str:
    """The session in ``fmt`` (one of :data:`FORMATS`), with every given secret redacted. Only the
    JSON format can hold voiceprints, and only with ``voiceprints`` (asked for explicitly)."""
    try:
        writer = _WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    text = to_json(session, voiceprints=voiceprints) if fmt == "json" else writer(session)
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return text
