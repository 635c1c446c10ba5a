"""The session list: every session's summary from ``.index.json`` (a cache) or its folder, and the
explicit clean-up of sessions nobody spoke in.

:func:`list_sessions` only reads (it writes the cache, never removes a session); :func:`clean_up`
removes turnless sessions untouched for a day; :func:`forget` drops a deleted session's entry (its
title, first line and names) from the cache.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.fsutil import MAX_JSON_BYTES, UnreadableFile, atomic_write, read_json
from tui.sessions.files import INDEX_FILE, LOCK_FILE, SESSION_FILE, SessionError, moved_aside, valid_id
from tui.sessions.summary import BrokenSession, SessionSummary

if TYPE_CHECKING:
    from tui.sessions.store import SessionStore

INDEX_VERSION = 2
EMPTY_MAX_AGE_S = 24 * 3600.0
"""A session without turns untouched this long is not listed, and :func:`clean_up` removes it."""
MAX_INDEX_BYTES = 16 * MAX_JSON_BYTES


@dataclass
class SessionList:
    """What :meth:`SessionStore.list` returns: the readable sessions (newest first) and the broken ones."""

    sessions: list[SessionSummary] = field(default_factory=list)
    broken: list[BrokenSession] = field(default_factory=list)

    def filter(self, text: str) -> list[SessionSummary]:
        """Filter-as-you-type for the browser (every word must match id, title, first line or names)."""
        return [s for s in self.sessions if s.matches(text)] if text.strip() else list(self.sessions)


def list_sessions(store: SessionStore) -> SessionList:
    """Every session's summary, newest first, plus the broken ones with the reason.

    Fast for thousands of sessions: summaries come from ``.index.json`` when the session file's size
    and modification time still match, and only changed sessions are read. A lost or damaged index
    is rebuilt. Sessions without a turn last changed over a day ago (holding no audio) are not
    listed; nothing is removed (that is :func:`clean_up`).
    """
    result = SessionList()
    index = read_index(store.root)
    fresh: dict[str, Any] = {}
    changed = False
    now = time.time()
    try:
        it = os.scandir(store.root)
    except OSError:
        return result
    with it:
        for entry in it:
            name = entry.name
            if name.startswith(".") or not valid_id(name):
                continue
            folder = Path(entry.path)
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                st = os.stat(folder / SESSION_FILE, follow_symlinks=False)
            except FileNotFoundError:
                broken = moved_aside(folder)
                if broken is not None:
                    result.broken.append(broken)
                continue  # else created but never written (no turn yet)
            except OSError as err:
                result.broken.append(BrokenSession(name, folder, f"cannot be read: {err.strerror}"))
                continue
            cached = index.get(name)
            if (
                isinstance(cached, dict)
                and cached.get("m") == st.st_mtime_ns
                and cached.get("s") == st.st_size
                and ("error" in cached or isinstance(cached.get("summary"), dict))
            ):
                if "error" in cached:
                    result.broken.append(BrokenSession(name, folder, str(cached["error"])))
                else:
                    summary = SessionSummary.from_dict(cached["summary"])
                    if _shown(summary, st, folder, now):
                        result.sessions.append(summary)
                fresh[name] = cached
                continue
            changed = True
            try:
                data = store.read_data(folder)
            except SessionError as err:
                if os.path.lexists(folder / SESSION_FILE):  # refused but left alone (newer, too large)
                    result.broken.append(BrokenSession(name, folder, str(err)))
                    fresh[name] = {"m": st.st_mtime_ns, "s": st.st_size, "error": str(err)}
                else:  # moved aside just now
                    moved = moved_aside(folder)
                    result.broken.append(
                        BrokenSession(name, folder, str(err), moved.moved_to if moved else None)
                    )
                continue
            summary = SessionSummary.from_data(data, name)
            fresh[name] = {"m": st.st_mtime_ns, "s": st.st_size, "summary": summary.to_dict()}
            if _shown(summary, st, folder, now):
                result.sessions.append(summary)
    if changed or fresh.keys() != index.keys():
        write_index(store.root, fresh)
    result.sessions.sort(key=lambda s: (s.created, s.id), reverse=True)
    result.broken.sort(key=lambda b: b.id)
    return result


def _shown(summary: SessionSummary, st: os.stat_result, folder: Path, now: float) -> bool:
    """False for a session without turns last changed over a day ago that holds nothing else."""
    return bool(summary.turns) or now - st.st_mtime < EMPTY_MAX_AGE_S or not disposable(folder)


def clean_up(store: SessionStore) -> list[str]:
    """Remove every session folder that holds nothing but a turnless ``session.json`` (and its lock
    and temp files), or nothing at all, untouched for a day. Checked again under the session's lock;
    never follows links. Returns the ids removed."""
    removed: list[str] = []
    now = time.time()
    try:
        names = [n for n in os.listdir(store.root) if valid_id(n) and not n.startswith(".")]
    except OSError:
        return removed
    for name in names:
        folder = store.root / name
        with contextlib.suppress(OSError, SessionError):
            if os.path.islink(folder) or not folder.is_dir():
                continue
            if now - os.lstat(folder).st_mtime < EMPTY_MAX_AGE_S or not disposable(folder):
                continue
            with store.locked(folder, name):
                if not disposable(folder):
                    continue
                if os.path.lexists(folder / SESSION_FILE):
                    if now - os.lstat(folder / SESSION_FILE).st_mtime < EMPTY_MAX_AGE_S:
                        continue
                    if store.load_folder(folder, move_aside=False).turns:
                        continue
                for entry in os.listdir(folder):
                    os.unlink(folder / entry)
            os.rmdir(folder)
            removed.append(name)
    if removed:
        forget(store.root, *removed)
    return removed


def disposable(folder: Path) -> bool:
    """The folder holds nothing but ``session.json``, its lock and temp files (no audio, no link)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(
        n in (SESSION_FILE, LOCK_FILE) or (n.startswith(f".{SESSION_FILE}.") and n.endswith(".tmp"))
        for n in names
    )


def read_index(root: Path) -> dict[str, Any]:
    try:
        data = read_json(root / INDEX_FILE, MAX_INDEX_BYTES, within=root)
    except UnreadableFile:
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_index(root: Path, entries: dict[str, Any]) -> None:
    import json

    if not root.is_dir():
        return
    body = json.dumps(
        {"version": INDEX_VERSION, "entries": entries}, ensure_ascii=False, separators=(",", ":")
    )
    with contextlib.suppress(OSError):  # the index is a cache: failing to write it loses nothing
        atomic_write(root / INDEX_FILE, body.encode("utf-8", errors="replace"))


def forget(root: Path, *session_ids: str) -> None:
    """Drop sessions' entries (title, first line, names) from the index."""
    entries = read_index(root)
    if any(sid in entries for sid in session_ids):
        for sid in session_ids:
            entries.pop(sid, None)
        write_index(root, entries)
