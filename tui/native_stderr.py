"""Native library messages (C-level writes to file descriptor 2) go to the log while the app runs.

ALSA, PortAudio and other C libraries print to fd 2 directly (``snd_pcm_recover) underrun
occurred``); over a full-screen app those lines land on top of the screen. :func:`logged_stderr`
points fd 2 at a pipe for the duration of a ``with`` block (Python's ``sys.stderr``, where Textual
draws, is moved to a copy of the terminal's descriptor meanwhile); a reader thread writes each line it
receives to the ``voxroom`` logger (the log file), cleaned and cut to :data:`MAX_LINE` characters,
so the log's own size limit holds. Leaving the block puts the terminal back on fd 2 first, so a
traceback at exit is shown as usual.

A fatal error (a segmentation fault in a native library) leaves its Python traceback: in the log
file, through :mod:`faulthandler` on a descriptor of its own (the pipe's reader dies with the
process), or on the terminal when faulthandler was already turned on (``python -X faulthandler``).
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import IO

from tui.text import clean

MAX_LINE = 500
JOIN_TIMEOUT_S = 1.0


@contextlib.contextmanager
def logged_stderr(logger: logging.Logger | None = None) -> Iterator[None]:
    """While inside, whatever is written to fd 2 (by C code or Python) is logged, not shown."""
    log = logger or logging.getLogger("voxroom")
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no fd 2 to take over: nothing to hide
        yield
        return
    # Python's own stderr (where Textual draws the screen) stays on the terminal: a stream on a copy
    # of the terminal's descriptor takes its place while fd 2 itself is the pipe.
    original, current = sys.__stderr__, sys.stderr
    encoding = getattr(original, "encoding", None) or "utf-8"
    terminal = os.fdopen(os.dup(saved), "w", encoding=encoding, errors="backslashreplace", buffering=1)
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.__stderr__ = sys.stderr = terminal  # type: ignore[misc]
    crash_report = faulthandler.is_enabled()
    crash_log = None if crash_report else _crash_log(log)
    if crash_report:  # a fatal error's traceback still reaches the terminal, not the dead pipe
        faulthandler.enable(file=terminal)
    elif crash_log is not None:
        faulthandler.enable(file=crash_log)
    reader = threading.Thread(target=_pump, args=(read_end, log), name="voxroom-native-stderr", daemon=True)
    reader.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            terminal.flush()
        sys.__stderr__, sys.stderr = original, current  # type: ignore[misc]
        os.dup2(saved, 2)  # the pipe's last writer goes: the reader sees the end
        os.close(saved)
        if crash_report:
            faulthandler.enable()
        elif crash_log is not None:
            faulthandler.disable()
            with contextlib.suppress(OSError):
                crash_log.close()
        with contextlib.suppress(OSError):
            terminal.close()
        reader.join(JOIN_TIMEOUT_S)


def _crash_log(log: logging.Logger) -> IO[str] | None:
    """The log file opened again for faulthandler (appending, 0600, never through a link): a
    descriptor of its own, so the log's rotation never closes it under faulthandler."""
    for handler in log.handlers:
        path = getattr(handler, "baseFilename", None)
        if isinstance(handler, logging.FileHandler) and path:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            except OSError:
                return None
            return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
    return None


def _pump(fd: int, log: logging.Logger) -> None:
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        pending = b""
        while True:
            try:
                chunk = pipe.read(4096)
            except OSError:
                return
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                _log(log, line)
            if len(pending) > MAX_LINE * 4:
                _log(log, pending)
                pending = b""
        if pending:
            _log(log, pending)


def _log(log: logging.Logger, raw: bytes) -> None:
    text = clean(raw.decode("utf-8", "replace")).strip()[:MAX_LINE]
    if text:
        with contextlib.suppress(Exception):
            log.warning("native: %s", text)
