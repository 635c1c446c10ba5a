"""One session folder's exclusive lock: ``flock`` on its ``.lock`` file, never through a link.

A change (read the latest ``session.json``, change it, write it) runs under the lock so two
processes never lose each other's turns. The lock also tells a writer that its session was deleted
meanwhile: :func:`session_lock` raises :class:`SessionGone` when the folder is no longer where the
writer found it, and nothing is written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tui.fsutil import FILE_MODE
from tui.sessions.files import LOCK_FILE, SessionError, write_error

LOCK_TIMEOUT_S = 10.0
"""How long a change waits for another process's change to the same session."""

_HELD = threading.local()
"""The session folders whose lock this thread holds (the lock is re-entrant within a thread)."""


class SessionGone(SessionError):
    """The session's folder was deleted (or moved) while a change waited: nothing was written."""


def gone(name: str) -> SessionGone:
    return SessionGone(
        f"Session {name} was deleted, so nothing more was saved to it.",
        hint="Start a new session to keep going.",
    )


@contextlib.contextmanager
def session_lock(folder: Path, name: str, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the session's exclusive lock. Re-entrant within a thread; gives up after ``timeout_s``
    with a one-sentence error; :class:`SessionGone` when the folder is gone."""
    held: set[str] = _HELD.__dict__.setdefault("folders", set())
    key = os.path.abspath(folder)
    if key in held:
        yield
        return
    if not os.path.isdir(folder) or os.path.islink(folder):
        raise gone(name)
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except FileNotFoundError:
        raise gone(name) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SessionError(
                f"Session {name} has a link where its lock file should be; nothing was changed.",
                hint=f"Remove {folder / LOCK_FILE}.",
            ) from None
        raise write_error(err, folder, f"Session {name} could not be changed") from None
    try:
        deadline = time.monotonic() + timeout_s
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SessionError(
                        f"Session {name} is busy: another Voxroom has been changing it for over "
                        f"{timeout_s:g} s.",
                        hint="Try again once the other Voxroom is done (or closed).",
                    ) from None
                time.sleep(pause)  # flock has no timeout of its own: poll, backing off to 50 ms
                pause = min(pause * 2, 0.05)
        if not _same_file(fd, folder / LOCK_FILE):  # deleted (renamed away) while this waited
            raise gone(name)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # releases the lock


def _same_file(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)
