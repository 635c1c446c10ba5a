"""A session's minutes: the record, its limits and cleaning, and ``minutes.json`` in the session folder.

Minutes are a summary, decisions, action items (an owner: a person's label or ``unassigned``; the
task; the moment it was said on the session timeline; the words it came from) and open questions.
They are written by :mod:`tui.minutes` from the agent's answer and kept beside ``session.json`` as
``minutes.json`` (0600, replaced atomically, never written or read through a link); asking again
replaces them. Every text is one line, without control characters, terminal escapes or markup
(Rich/Textual style tags, HTML tags), and within :data:`MINUTES_LIMITS`, both when the agent's
answer is checked and when the file is read back. No Textual, no SDK.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.errors import VoxroomError
from tui.fsutil import atomic_write
from tui.model import MAX_SECONDS, bounded_seconds
from tui.redact import scrub
from tui.sessions.model import fit, now_iso, single_line

MINUTES_FILE = "minutes.json"
MINUTES_VERSION = 1
UNASSIGNED = "unassigned"
MINUTES_LIMITS: dict[str, int] = {
    "summary": 4_000,  # characters
    "item": 500,  # a decision, an open question, a task
    "quote": 500,  # the words an action item came from
    "items": 50,  # per list
    "file": 1_000_000,  # bytes of minutes.json read back
}
_MARKUP = re.compile(
    r"\[/[^\[\]\n]{0,100}\]"  # a closing style tag: [/], [/b], [/link]
    r"|\[(?:[@#$]|link=|on |(?:b|i|u|s|bold|italic|underline|strike|dim|reverse|blink|red|green|blue"
    r"|yellow|magenta|cyan|white|black)(?=[\] ]))[^\[\]\n]{0,100}\]"  # an opening style tag
    r"|<[A-Za-z/!?][^<>\n]{0,200}>"  # an HTML/XML tag or comment
)


class MinutesError(VoxroomError):
    """Minutes that cannot be written, read or saved; the message says why in one sentence."""

    step = "minutes"


def clean_line(value: str) -> str:
    """Outside text as one clean line: no secrets, escapes, controls, bidi tricks or markup."""
    text = single_line(scrub(value))
    while True:
        stripped = _MARKUP.sub("", text)
        if stripped == text:
            return single_line(text)
        text = stripped


@dataclass(frozen=True)
class ActionItem:
    owner: str
    """A person's label (``speaker_2``) or :data:`UNASSIGNED`; shown by the person's name."""
    task: str
    at: float
    """When it was said, in seconds on the session timeline."""
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "task": self.task, "at": round(self.at, 3), "quote": self.quote}


@dataclass(frozen=True)
class Minutes:
    summary: str
    decisions: tuple[str, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    questions: tuple[str, ...] = ()
    created: str = field(default_factory=now_iso)
    model: str = ""
    """The agent's model that wrote them (``mistral-small-latest``, ``openai:llama3``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": MINUTES_VERSION,
            "created": self.created,
            "model": self.model,
            "summary": self.summary,
            "decisions": list(self.decisions),
            "action_items": [a.to_dict() for a in self.actions],
            "open_questions": list(self.questions),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Minutes | None:
        """Minutes read back from a file, cleaned and within the limits; ``None`` if not minutes."""
        if not isinstance(data, dict) or data.get("version") != MINUTES_VERSION:
            return None
        cap = MINUTES_LIMITS["items"]

        def texts(value: Any, limit: int) -> tuple[str, ...]:
            items = value if isinstance(value, list) else []
            out = (fit(clean_line(v), limit) for v in items[:cap] if isinstance(v, str))
            return tuple(t for t in out if t)

        actions = []
        raw = data.get("action_items")
        for item in (raw if isinstance(raw, list) else [])[:cap]:
            if not isinstance(item, dict) or not isinstance(item.get("task"), str):
                continue
            owner = item.get("owner")
            task = fit(clean_line(item["task"]), MINUTES_LIMITS["item"])
            quote = item.get("quote") if isinstance(item.get("quote"), str) else ""
            if task:
                actions.append(
                    ActionItem(
                        owner=fit(clean_line(owner), 200) if isinstance(owner, str) and owner else UNASSIGNED,
                        task=task,
                        at=bounded_seconds(item.get("at"), MAX_SECONDS),
                        quote=fit(clean_line(quote), MINUTES_LIMITS["quote"]),
                    )
                )
        summary = data.get("summary")
        created, model = data.get("created"), data.get("model")
        return cls(
            summary=fit(clean_line(summary), MINUTES_LIMITS["summary"]) if isinstance(summary, str) else "",
            decisions=texts(data.get("decisions"), MINUTES_LIMITS["item"]),
            actions=tuple(actions),
            questions=texts(data.get("open_questions"), MINUTES_LIMITS["item"]),
            created=fit(clean_line(created), 64) if isinstance(created, str) else now_iso(),
            model=fit(clean_line(model), 200) if isinstance(model, str) else "",
        )


def save_minutes(folder: Path, minutes: Minutes) -> Path:
    """Write ``minutes.json`` in the session ``folder`` (0600, atomically, replacing any before)."""
    if folder.is_symlink() or not folder.is_dir():
        raise MinutesError(
            f"The minutes were not saved: {folder} is not a session folder Voxroom may write "
            "(it is missing or a link).",
            hint="Check the session folder.",
        )
    body = json.dumps(minutes.to_dict(), ensure_ascii=False, indent=1) + "\n"
    try:
        atomic_write(folder / MINUTES_FILE, body.encode("utf-8"))
    except OSError as err:
        full = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        raise MinutesError(
            f"The minutes were not saved in {folder}: "
            + ("the disk is full." if full else f"{err.strerror or err}."),
            hint="Free some space and try again." if full else "Check that folder and try again.",
        ) from None
    return folder / MINUTES_FILE


def load_minutes(folder: Path | None) -> Minutes | None:
    """The minutes saved in a session folder, or ``None`` (none, a link, unreadable, too large)."""
    if folder is None:
        return None
    try:
        fd = os.open(folder / MINUTES_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > MINUTES_LIMITS["file"]:
            return None
        raw = f.read(MINUTES_LIMITS["file"] + 1)
    try:
        return Minutes.from_dict(json.loads(raw.decode("utf-8")))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
