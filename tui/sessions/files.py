"""A session folder's files and names: ids, the ``session.json`` reader, audio paths, write errors.

Everything here reads through :mod:`tui.fsutil` (regular files only, never through a link, bounded
in size, records and depth). A ``session.json`` that cannot be used is moved aside as
``session.json.corrupt-<time>`` (never deleted) and reported in one sentence.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tui.errors import VoxroomError
from tui.fsutil import (
    UnreadableFile,
    UnsafeTarget,
    create_new,
    loads,
    open_regular,
    read_bytes,
)
from tui.sessions.fields import SCHEMA_VERSION, safe_file_name, single_line
from tui.sessions.migrate import NewerSchemaError, SchemaError, migrate
from tui.sessions.summary import BrokenSession

SESSION_FILE = "session.json"
INDEX_FILE = ".index.json"
LOCK_FILE = ".lock"
CORRUPT_MARK = ".corrupt-"
DELETED_MARK = ".deleted-"
"""A session folder being deleted is first renamed to ``.deleted-<id>-<random>`` (atomically)."""
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A ``session.json`` larger than this is refused (a 3-hour meeting is well under 1 MB); a save that
would make it larger is refused too, so a session is never written unreadable."""
MAX_RECORDS = 1_000_000
"""At most this many JSON objects and arrays in a ``session.json``, counted as ``{`` and ``[`` in the
file (text holding brackets counts too), when read and when written: the same count both ways, so a
session is never written unreadable, and a file of millions of empty records is refused in
milliseconds (a 3-hour meeting holds about 20,000)."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TURN_FILE = re.compile(r"^turn-(\d{1,6})\D")


class SessionError(VoxroomError):
    """A session that cannot be found, read or written; the message names it."""

    step = "sessions"


def valid_id(value: str) -> bool:
    return bool(_ID.match(value)) and ".." not in value


def new_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


# -- session.json --------------------------------------------------------------------------------------


def read_session_json(
    path: Path, name: str, *, max_bytes: int, move_aside: bool, within: Path | None = None
) -> dict[str, Any]:
    """The migrated content of a ``session.json``; a :class:`SessionError` naming the session when it
    cannot be used (moved aside first when damaged and ``move_aside``; a newer schema, a file too
    large or not a file is refused and left alone). ``within``: the store's folder, below which no
    folder may be a link."""
    try:
        raw = read_bytes(path, max_bytes, within=within)
    except UnreadableFile as err:
        if err.missing:
            moved = sorted(path.parent.glob(SESSION_FILE + CORRUPT_MARK + "*"))
            if moved:
                raise SessionError(
                    f"Session {name} cannot be opened: its file was unreadable and was moved aside "
                    f"as {moved[-1].name}."
                ) from None
            raise SessionError(f"Session {name} has no {SESSION_FILE}.") from None
        if "its folder" in err.reason:
            raise SessionError(f"Session {name} cannot be read: {err.reason}.") from None
        if "link" in err.reason:
            reason = err.reason.replace("it is", "its file is", 1)
            raise broken(path, name, reason, move_aside) from None
        if "too large" in err.reason:
            raise SessionError(f"Session {name} is too large to open: {err.reason}.") from None
        raise SessionError(f"Session {name} cannot be read: {err.reason}.") from None
    try:
        data, _version = migrate(loads(raw, max_containers=MAX_RECORDS))
    except NewerSchemaError as err:
        raise SessionError(
            f"Session {name} was written by a newer Voxroom (schema version {err.version}; "
            f"this one reads up to {SCHEMA_VERSION}).",
            hint="Update Voxroom to open it.",
        ) from None
    except SchemaError as err:
        raise broken(path, name, f"it is not a Voxroom session ({err})", move_aside) from None
    except ValueError as err:
        raise broken(path, name, str(err), move_aside) from None
    return data


def broken(path: Path, name: str, reason: str, move_aside: bool) -> SessionError:
    moved = _move_aside(path) if move_aside else None
    where = f"; it was moved aside as {moved.name}" if moved else ""
    return SessionError(f"Session {name} cannot be read: {reason}{where}.")


def _move_aside(path: Path) -> Path | None:
    target = path.with_name(f"{path.name}{CORRUPT_MARK}{_timestamp()}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target


def moved_aside(folder: Path) -> BrokenSession | None:
    """The session in ``folder`` whose file was moved aside earlier, if it was."""
    moved = sorted(folder.glob(SESSION_FILE + CORRUPT_MARK + "*"))
    if not moved:
        return None
    return BrokenSession(
        folder.name,
        folder,
        f"Session {folder.name} cannot be read; its file was moved aside as {moved[-1].name}.",
        moved[-1],
    )


def remove_stale_temp_files(folder: Path, older_than_s: float = 600.0) -> None:
    """Temp files of saves interrupted by a crash (the session file itself is always whole)."""
    now = time.time()
    for tmp in folder.glob(f".{SESSION_FILE}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.lstat().st_mtime > older_than_s:
                tmp.unlink()


def check_readable(body: bytes, name: str, max_bytes: int, kept: str = "") -> None:
    """Refuse (one sentence) a ``session.json`` body that could not be read back: the session stays
    as it was on disk, and what was recorded is kept (``kept`` names it)."""
    records = body.count(b"{") + body.count(b"[")
    if len(body) <= max_bytes and records <= MAX_RECORDS:
        return
    size = f"{len(body) / 1e6:.1f} MB" if len(body) > max_bytes else f"{records:,} records"
    limit = f"{max_bytes / 1e6:.1f} MB" if len(body) > max_bytes else f"{MAX_RECORDS:,} records"
    raise SessionError(
        f"Session {name} is full: this change would make it {size}, more than Voxroom can open again "
        f"({limit}), so it was not saved{kept}.",
        hint="Start a new session (`voxroom ask --new-session`, or n in the app).",
    )


# -- audio -----------------------------------------------------------------------------------------------


def audio_path(folder: Path, session_id: str, name: str) -> Path:
    """The full path of an audio file named in a session; refuses names that leave its folder and
    links (even to a file inside it)."""
    refused = SessionError(
        f"Refused the file name {single_line(name)[:80]!r}: it is a link or points outside "
        f"session {session_id}."
    )
    if not safe_file_name(name):
        raise refused
    path = folder / name
    if path.is_symlink():
        raise refused
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise refused from None
    return path


def open_audio(folder: Path, session_id: str, name: str) -> BinaryIO:
    """An audio file of a session opened for reading: a regular file, never through a link."""
    path = audio_path(folder, session_id, name)
    try:
        return open_regular(path, within=folder)
    except UnreadableFile as err:
        if "link" in err.reason:
            raise SessionError(f"Refused {name}: it is a link in session {session_id}.") from None
        if "regular" in err.reason:
            raise SessionError(f"Refused {name}: it is not a regular file in session {session_id}.") from None
        raise SessionError(f"Cannot read {name} of session {session_id}: {err.reason}.") from None


def copy_audio(source: Path, target: Path, session_id: str, problems: list[str]) -> bool:
    """Copy one audio file into a session folder, never through a link; False when not copied (the
    reason lands in ``problems``)."""
    try:
        src = open_regular(source)
    except UnreadableFile as err:
        if not err.missing:
            problems.append(f"Did not copy {source.name}: {err.reason} (links are never followed).")
        return False
    with src:
        try:
            with create_new(target) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as err:
            raise write_error(err, target.parent, f"Session {session_id} could not be saved") from None
    return True


def write_error(err: OSError, folder: Path, what: str) -> SessionError:
    """One sentence for a failed write, naming the folder and the fix (full disk, read-only...)."""
    if isinstance(err, UnsafeTarget):
        return SessionError(f"{what}: {err.strerror or err}.")
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return SessionError(
            f"{what}: the disk holding {folder} is full.",
            hint="Free some space there (or set VOXROOM_DATA_DIR to a folder on another disk) and try again.",
        )
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return SessionError(
            f"{what}: {folder} is read-only for Voxroom.",
            hint="Make it writable (or set VOXROOM_DATA_DIR to a writable folder) and try again.",
        )
    return SessionError(
        f"{what}: {err.strerror or err} in {folder}.", hint="Check that folder and try again."
    )
