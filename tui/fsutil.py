"""The one reader and the one writer for every file Voxroom keeps (sessions, index, caches, state,
voice profiles, clips, recordings, exports).

Reading (:func:`open_regular`, :func:`read_bytes`, :func:`read_json`): regular files only (a FIFO or
a device is refused without blocking: the file is opened ``O_NONBLOCK`` and checked with ``fstat``),
never through a symbolic link (``O_NOFOLLOW`` on the file, and no linked folder between it and the
data dir it lives in), bounded in size; JSON is bounded in the number of objects and arrays (checked
before parsing, so a huge file of empty records costs milliseconds, not minutes and gigabytes) and
in depth, and lone surrogate escapes (``"\\ud800"``) are replaced by U+FFFD. Every refusal is an
:class:`UnreadableFile` whose ``reason`` completes the sentence "... cannot be read: <reason>".

Writing (:func:`atomic_write`, :func:`write_new`): 0600 files, 0700 folders, never through a link,
atomic replace (a crash leaves the old or the new file, never a torn one), and an existing file
is only replaced when the caller says so.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700
MAX_JSON_BYTES = 4 * 1024 * 1024
"""Default size bound for a small JSON file (a cache, the state, the index of a huge store)."""
MAX_JSON_CONTAINERS = 1_000_000
"""At most this many objects and arrays in one JSON file (a 3-hour meeting holds about 20,000)."""
MAX_JSON_DEPTH = 64
"""At most this deep: no file Voxroom writes nests more than about 8 levels."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableFile(Exception):
    """A file Voxroom refuses or fails to read; ``reason`` is a clause (``it is a link, ...``)."""

    def __init__(self, path: Path, reason: str, *, missing: bool = False, damaged: bool = False) -> None:
        super().__init__(f"{path} cannot be read: {reason}")
        self.path = path
        self.reason = reason
        self.missing = missing
        """There is no file at ``path``."""
        self.damaged = damaged
        """The file's content is unusable (not JSON, too deep, too many records): set it aside."""


def _linked_parent(path: Path, within: Path | None) -> Path | None:
    """The first folder between ``within`` (exclusive) and ``path`` (exclusive) that is a link."""
    if within is None:
        return None
    try:
        rel = path.parent.relative_to(within)
    except ValueError:
        return None
    at = within
    for part in rel.parts:
        at = at / part
        with contextlib.suppress(OSError):
            if stat.S_ISLNK(os.lstat(at).st_mode):
                return at
    return None


def open_regular(path: Path, *, within: Path | None = None) -> BinaryIO:
    """``path`` opened for reading in binary: a regular file, never through a link.

    ``within`` is the folder the file must stay inside (the data dir or a session folder): a
    linked folder below it is refused too. Raises :class:`UnreadableFile`.
    """
    path = Path(path)
    linked = _linked_parent(path, within)
    if linked is not None:
        raise UnreadableFile(path, f"its folder {linked.name} is a link, which Voxroom never follows")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UnreadableFile(path, "there is no such file", missing=True) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnreadableFile(path, "it is a link, which Voxroom never follows") from None
        raise UnreadableFile(path, f"{err.strerror or err}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile(path, "it is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_bytes(path: Path, max_bytes: int, *, within: Path | None = None) -> bytes:
    """The content of a regular file of at most ``max_bytes`` (see :func:`open_regular`)."""
    with open_regular(path, within=within) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise UnreadableFile(path, f"it is too large ({_mb(size)}; at most {_mb(max_bytes)})")
            data = f.read(max_bytes + 1)
        except OSError as err:
            raise UnreadableFile(path, f"{err.strerror or err}") from None
    if len(data) > max_bytes:
        raise UnreadableFile(path, f"it is too large (over {_mb(max_bytes)})")
    return data


def read_json(
    path: Path,
    max_bytes: int = MAX_JSON_BYTES,
    *,
    within: Path | None = None,
    max_containers: int = MAX_JSON_CONTAINERS,
) -> Any:
    """A JSON file read with every bound of :func:`read_bytes` and :func:`loads`."""
    raw = read_bytes(path, max_bytes, within=within)
    try:
        return loads(raw, max_containers=max_containers)
    except ValueError as err:
        raise UnreadableFile(path, str(err), damaged=True) from None


def loads(raw: bytes, *, max_containers: int = MAX_JSON_CONTAINERS, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON from outside: ``ValueError`` with a reason clause when it is not JSON, holds more
    than ``max_containers`` objects and arrays, or nests deeper than ``max_depth``; invalid UTF-8 and
    lone surrogates become U+FFFD."""
    containers = raw.count(b"{") + raw.count(b"[")  # an upper bound (brackets in strings count too)
    if containers > max_containers:
        raise ValueError(f"it holds too many records (over {max_containers:,})")
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except (ValueError, MemoryError):
        raise ValueError("it is not valid JSON") from None
    if containers > max_depth or _SURROGATE_ESCAPE.search(raw):
        data = _checked(data, max_depth)
    return data


def _checked(data: Any, max_depth: int) -> Any:
    """``data`` with lone surrogates replaced, walked without recursion; too deep is a ValueError."""
    root = [data]
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        container, depth = stack.pop()
        if depth > max_depth:
            raise ValueError("it is nested too deeply")
        items = container.items() if isinstance(container, dict) else enumerate(container)
        fixed: list[tuple[Any, Any]] = []
        for key, value in items:
            if isinstance(value, str):
                clean = valid_text(value)
                if clean is not value:
                    fixed.append((key, clean))
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
            if isinstance(key, str) and valid_text(key) is not key:
                fixed.append((("rekey", key), value))
        for key, value in fixed:
            if isinstance(key, tuple):
                container[valid_text(key[1])] = container.pop(key[1])
            else:
                container[key] = value
    return root[0]


def valid_text(text: str) -> str:
    """``text`` with lone surrogates (not valid Unicode, unprintable, unencodable) replaced by U+FFFD;
    the same object when there are none."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


# -- writing -----------------------------------------------------------------------------------------


class UnsafeTarget(OSError):
    """A write Voxroom refuses: the target (or its folder) is a link, or an existing file the caller
    did not ask to replace. ``str()`` is one sentence."""


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with the last part 0700; an existing folder is left as it is.

    A link in place of the folder is refused (:class:`UnsafeTarget`)."""
    path = Path(path)
    if os.path.islink(path):
        raise UnsafeTarget(errno.ELOOP, f"{path} is a link, which Voxroom never writes through")
    if path.is_dir():
        return path
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with contextlib.suppress(OSError):
        os.chmod(path, DIR_MODE)
    return path


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_target(path: Path, replace: bool) -> None:
    """Refuse an existing file (or link, or anything else) at ``path`` unless ``replace``; a link
    that is replaced is replaced itself, never written through."""
    if not replace and os.path.lexists(path):
        raise UnsafeTarget(errno.EEXIST, f"{path} already exists")


def atomic_write(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old or the new file.

    A temporary file in the same folder (mode 0600) is written and fsynced, then renamed over
    ``path`` with :func:`os.replace`, and the folder is fsynced so the rename itself is durable. A
    link at ``path`` is replaced itself, never written through; an existing file (or link) is only
    replaced with ``replace`` (else :class:`UnsafeTarget`).
    """
    path = Path(path)
    folder = path.parent
    _check_target(path, replace)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if anything appeared at path meanwhile: never overwrites
            os.unlink(tmp)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UnsafeTarget(errno.EEXIST, f"{path} already exists") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)


def write_output(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write a file the user asked for (an export): 0600, its missing folders 0700, never through a
    link, and an existing file only replaced with ``force``."""
    path = Path(path)
    make_private_dir(path.parent)
    atomic_write(path, data, replace=force)


@contextlib.contextmanager
def create_new(path: Path) -> Iterator[BinaryIO]:
    """A new file opened for writing (0600, ``O_EXCL``: never an existing file, never a link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        yield f


def make_private(path: Path) -> None:
    with contextlib.suppress(OSError):
        if not os.path.islink(path):
            os.chmod(path, FILE_MODE)
