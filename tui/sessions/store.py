"""The session store: one private folder per session under ``<data dir>/sessions/``.

Layout::

    sessions/
      .index.json                 # list cache (rebuilt from the folders whenever it is lost or stale)
      20261125-130930-a1b2/       # 0700
        session.json              # 0600, rewritten atomically after every change
        .lock                     # flock'd while a change is applied (read latest, change, write)
        turn-001.flac             # the recording, written while it is captured
        turn-001-reply.flac       # the spoken reply

A ``session.json`` that cannot be read is moved aside as ``session.json.corrupt-<time>`` (never
deleted) and reported by name; every other session still opens. A file written by a newer Voxroom
is refused and left alone.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from tui.errors import VoxroomError
from tui.fsutil import FILE_MODE, atomic_write, make_private_dir
from tui.sessions.migrate import NewerSchemaError, SchemaError, migrate
from tui.sessions.model import (
    HEADER_FIELDS,
    MAX_TURNS,
    SCHEMA_VERSION,
    BrokenSession,
    Session,
    SessionSummary,
    TurnRecord,
    default_title,
    now_iso,
    safe_file_name,
    single_line,
)
from tui.sessions.samples import SAMPLE_PREFIX, sample_sessions_dir

if TYPE_CHECKING:
    from tui.sessions.search import SearchHit

SESSION_FILE = "session.json"
INDEX_FILE = ".index.json"
INDEX_VERSION = 2
LOCK_FILE = ".lock"
LOCK_TIMEOUT_S = 10.0
"""How long a change waits for another process's change to the same session."""
EMPTY_MAX_AGE_S = 24 * 3600.0
"""A session without turns untouched this long is not listed, and its folder is removed."""
T = TypeVar("T")
CORRUPT_MARK = ".corrupt-"
MAX_FILE_BYTES = 64 * 1024 * 1024
"""A ``session.json`` larger than this is refused (a 3-hour meeting is well under 1 MB)."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SessionError(VoxroomError):
    """A session that cannot be found, read or written; the message names it."""

    step = "sessions"


@dataclass
class SessionList:
    """What :meth:`SessionStore.list` returns: the readable sessions (newest first) and the broken ones."""

    sessions: list[SessionSummary] = field(default_factory=list)
    broken: list[BrokenSession] = field(default_factory=list)

    def filter(self, text: str) -> list[SessionSummary]:
        """Filter-as-you-type for the browser (every word must match id, title, first line or names)."""
        return [s for s in self.sessions if s.matches(text)] if text.strip() else list(self.sessions)


def valid_id(value: str) -> bool:
    return bool(_ID.match(value)) and ".." not in value


def new_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


class SessionStore:
    """Sessions on disk. ``root`` is ``settings.sessions_dir``; it is created (0700) on first write.

    Every change to a saved session (:meth:`add_turn`, :meth:`update_turn`, :meth:`update`,
    :meth:`rename_speaker`, :meth:`merge_speakers`, :meth:`set_title`, :meth:`set_conversation`)
    runs under an exclusive lock on the session folder's ``.lock`` file: the latest ``session.json``
    is read, the change applied, and the file written atomically, so two processes never lose each
    other's turns. The ``Session`` passed in then holds what was saved.
    """

    def __init__(self, root: Path, known_speakers_path: Path | None = None) -> None:
        self.root = Path(root)
        self.known_speakers_path = known_speakers_path or self.root.parent / "known_speakers.json"
        self.max_file_bytes = MAX_FILE_BYTES
        self.lock_timeout_s = LOCK_TIMEOUT_S

    # -- finding ---------------------------------------------------------------------------------
    def folder(self, session: Session) -> Path:
        if session.folder is not None:
            return session.folder
        if not valid_id(session.id):
            raise SessionError(f"'{single_line(session.id)[:80]}' is not a usable session id.")
        return self.root / session.id

    def resolve(self, ref: str | Path) -> tuple[Path, bool]:
        """The folder for an id (or unique id prefix), ``sample:<name>``, or a path; and read-only-ness."""
        text = str(ref)
        if text.startswith(SAMPLE_PREFIX):
            name = text[len(SAMPLE_PREFIX) :]
            samples = sample_sessions_dir()
            if samples is None:
                raise SessionError("This installation has no sample sessions.")
            if not valid_id(name) or not (samples / name / SESSION_FILE).is_file():
                names = ", ".join(sorted(p.name for p in samples.iterdir() if (p / SESSION_FILE).is_file()))
                raise SessionError(
                    f"There is no sample session '{single_line(name)[:80]}'.", hint=f"Samples: {names}."
                )
            return samples / name, True
        if valid_id(text) and isinstance(ref, str):
            if (self.root / text).is_dir():
                return self.root / text, False
            matches = self._ids_starting(text)
            if len(matches) == 1:
                return self.root / matches[0], False
            if len(matches) > 1:
                raise SessionError(
                    f"'{text}' matches {len(matches)} sessions.", hint="Give more of the session id."
                )
        path = Path(text).expanduser()
        if path.is_file() and path.name == SESSION_FILE:
            path = path.parent
        if path.is_dir() and (
            (path / SESSION_FILE).exists() or any(p.name.startswith(SESSION_FILE) for p in path.iterdir())
        ):
            samples = sample_sessions_dir()
            is_sample = samples is not None and path.resolve().parent == samples.resolve()
            return path, is_sample or not os.access(path, os.W_OK)
        raise SessionError(
            f"There is no session '{single_line(text)[:120]}'.",
            hint="`voxroom sessions list` shows the sessions; a path must be a session folder.",
        )

    def session_file(self, session_id: str) -> Path | None:
        """The ``session.json`` of a session of this store by id, or ``None`` for an unusable id."""
        return self.root / session_id / SESSION_FILE if valid_id(session_id) else None

    def _ids_starting(self, prefix: str) -> list[str]:
        try:
            with os.scandir(self.root) as it:
                return [e.name for e in it if e.name.startswith(prefix) and e.is_dir() and valid_id(e.name)]
        except OSError:
            return []

    # -- reading ---------------------------------------------------------------------------------
    def open(self, ref: str | Path) -> Session:
        """Open a session by id, unique id prefix, ``sample:<name>`` or folder path.

        Raises :class:`SessionError` naming the session when it cannot be read; an unreadable
        ``session.json`` is moved aside first (a newer schema version is refused and left alone).
        """
        folder, read_only = self.resolve(ref)
        session = self.load_folder(folder, move_aside=not read_only)
        session.read_only = read_only
        return session

    def load_folder(self, folder: Path, *, move_aside: bool = True) -> Session:
        path = folder / SESSION_FILE
        name = folder.name
        data = self._read_json(path, name, move_aside=move_aside)
        try:
            session = Session.from_dict(data, fallback_id=name)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as err:
            raise self._broken(
                path, name, f"it does not hold a session ({type(err).__name__})", move_aside
            ) from None
        session.id = name
        session.folder = folder
        _remember_header(session)
        if move_aside:
            self._remove_stale_temp_files(folder)
        return session

    @staticmethod
    def _remove_stale_temp_files(folder: Path, older_than_s: float = 600.0) -> None:
        """Temp files of saves interrupted by a crash (the session file itself is always whole)."""
        now = time.time()
        for tmp in folder.glob(f".{SESSION_FILE}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > older_than_s:
                    tmp.unlink()

    def _read_json(self, path: Path, name: str, *, move_aside: bool) -> dict[str, Any]:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            moved = sorted(path.parent.glob(SESSION_FILE + CORRUPT_MARK + "*"))
            if moved:
                raise SessionError(
                    f"Session {name} cannot be opened: its file was unreadable and was moved aside "
                    f"as {moved[-1].name}."
                ) from None
            raise SessionError(f"Session {name} has no {SESSION_FILE}.") from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise self._broken(
                    path, name, "its file is a link, which Voxroom never follows", move_aside
                ) from None
            raise SessionError(f"Session {name} cannot be read: {err.strerror}.") from None
        with os.fdopen(fd, "rb") as f:
            try:
                st = os.fstat(f.fileno())
                if not stat.S_ISREG(st.st_mode):
                    raise SessionError(f"Session {name} cannot be read: its {SESSION_FILE} is not a file.")
                if st.st_size > self.max_file_bytes:
                    raise SessionError(
                        f"Session {name} is too large to open ({st.st_size / 1e6:.1f} MB; at most "
                        f"{self.max_file_bytes / 1e6:.1f} MB)."
                    )
                raw = f.read(self.max_file_bytes + 1)
            except OSError as err:
                raise SessionError(f"Session {name} cannot be read: {err.strerror}.") from None
        try:
            decoded = json.loads(raw.decode("utf-8"))
            data, _version = migrate(decoded)
        except NewerSchemaError as err:
            raise SessionError(
                f"Session {name} was written by a newer Voxroom (schema version {err.version}; "
                f"this one reads up to {SCHEMA_VERSION}).",
                hint="Update Voxroom to open it.",
            ) from None
        except SchemaError as err:
            raise self._broken(path, name, f"it is not a Voxroom session ({err})", move_aside) from None
        except (ValueError, RecursionError, MemoryError) as err:
            reason = "it is not valid JSON" if isinstance(err, ValueError) else "it is nested too deeply"
            raise self._broken(path, name, reason, move_aside) from None
        return data

    def _broken(self, path: Path, name: str, reason: str, move_aside: bool) -> SessionError:
        moved = self._move_aside(path) if move_aside else None
        where = f"; it was moved aside as {moved.name}" if moved else ""
        return SessionError(f"Session {name} cannot be read: {reason}{where}.")

    @staticmethod
    def _move_aside(path: Path) -> Path | None:
        target = path.with_name(f"{path.name}{CORRUPT_MARK}{_timestamp()}")
        try:
            os.replace(path, target)
        except OSError:
            return None
        return target

    # -- listing ---------------------------------------------------------------------------------
    def list(self) -> SessionList:
        """Every session's summary, newest first, plus the broken ones with the reason.

        Fast for thousands of sessions: summaries come from ``.index.json`` when the session file's
        size and modification time still match, and only changed sessions are read. A lost or
        damaged index is simply rebuilt. Sessions without a turn that were last changed more than
        a day ago are not listed, and their folders are removed (unless they hold any audio).
        """
        result = SessionList()
        index = self._read_index()
        fresh: dict[str, Any] = {}
        changed = False
        now = time.time()
        try:
            it = os.scandir(self.root)
        except OSError:
            return result
        with it:
            for entry in it:
                name = entry.name
                if name.startswith(".") or not valid_id(name):
                    continue
                try:
                    if not entry.is_dir():
                        continue
                    st = os.stat(os.path.join(entry.path, SESSION_FILE))
                except FileNotFoundError:
                    broken = self._moved_aside(Path(entry.path))
                    if broken is not None:
                        result.broken.append(broken)
                    else:  # created but never written (no turn yet)
                        self._remove_if_empty(Path(entry.path), now)
                    continue
                except OSError as err:
                    result.broken.append(
                        BrokenSession(name, Path(entry.path), f"cannot be read: {err.strerror}")
                    )
                    continue
                cached = index.get(name)
                if (
                    isinstance(cached, dict)
                    and cached.get("m") == st.st_mtime_ns
                    and cached.get("s") == st.st_size
                    and ("error" in cached or isinstance(cached.get("summary"), dict))
                ):
                    if "error" in cached:
                        result.broken.append(BrokenSession(name, Path(entry.path), str(cached["error"])))
                        fresh[name] = cached
                    else:
                        summary = SessionSummary.from_dict(cached["summary"])
                        if self._shown(summary, st, Path(entry.path), now):
                            result.sessions.append(summary)
                            fresh[name] = cached
                        else:
                            changed = True
                    continue
                changed = True
                try:
                    data = self._read_json(Path(entry.path) / SESSION_FILE, name, move_aside=True)
                except SessionError as err:
                    folder = Path(entry.path)
                    if (folder / SESSION_FILE).exists():  # refused but left alone (newer, too large)
                        result.broken.append(BrokenSession(name, folder, str(err)))
                        fresh[name] = {"m": st.st_mtime_ns, "s": st.st_size, "error": str(err)}
                    else:  # moved aside just now
                        moved = self._moved_aside(folder)
                        result.broken.append(
                            BrokenSession(name, folder, str(err), moved.moved_to if moved else None)
                        )
                    continue
                summary = SessionSummary.from_data(data, name)
                if self._shown(summary, st, Path(entry.path), now):
                    result.sessions.append(summary)
                    fresh[name] = {"m": st.st_mtime_ns, "s": st.st_size, "summary": summary.to_dict()}
        if changed or fresh.keys() != index.keys():
            self._write_index(fresh)
        result.sessions.sort(key=lambda s: (s.created, s.id), reverse=True)
        result.broken.sort(key=lambda b: b.id)
        return result

    def _shown(self, summary: SessionSummary, st: os.stat_result, folder: Path, now: float) -> bool:
        """False for a session without turns last changed over a day ago that holds nothing else
        (no audio); its folder is removed."""
        if summary.turns or now - st.st_mtime < EMPTY_MAX_AGE_S or not _disposable(folder):
            return True
        self._remove_if_empty(folder, now)
        return False

    def _remove_if_empty(self, folder: Path, now: float) -> None:
        """Remove a session folder that holds nothing but a turnless ``session.json`` (and its lock
        and temp files), untouched for a day; checked again under the lock. Never follows links."""
        with contextlib.suppress(OSError, SessionError):
            if os.path.islink(folder) or now - os.lstat(folder).st_mtime < EMPTY_MAX_AGE_S:
                return
            with self._locked(folder, folder.name):
                if not _disposable(folder):
                    return
                if os.path.lexists(folder / SESSION_FILE):
                    if now - os.lstat(folder / SESSION_FILE).st_mtime < EMPTY_MAX_AGE_S:
                        return
                    if self.load_folder(folder, move_aside=False).turns:
                        return
                for name in os.listdir(folder):
                    os.unlink(folder / name)
            os.rmdir(folder)

    def _moved_aside(self, folder: Path) -> BrokenSession | None:
        moved = sorted(folder.glob(SESSION_FILE + CORRUPT_MARK + "*"))
        if not moved:
            return None
        return BrokenSession(
            folder.name,
            folder,
            f"Session {folder.name} cannot be read; its file was moved aside as {moved[-1].name}.",
            moved[-1],
        )

    def _read_index(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / INDEX_FILE).read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _write_index(self, entries: dict[str, Any]) -> None:
        if not self.root.is_dir():
            return
        body = json.dumps(
            {"version": INDEX_VERSION, "entries": entries}, ensure_ascii=False, separators=(",", ":")
        )
        with contextlib.suppress(OSError):  # the index is a cache: failing to write it loses nothing
            atomic_write(self.root / INDEX_FILE, body.encode("utf-8"))

    # -- locking ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, folder: Path, name: str) -> Iterator[None]:
        """Hold the session's exclusive lock (``flock`` on ``.lock``, never through a link).

        Re-entrant within a thread. Gives up after :attr:`lock_timeout_s` with a one-sentence error.
        """
        held: set[str] = _HELD.__dict__.setdefault("folders", set())
        key = os.path.abspath(folder)
        if key in held:
            yield
            return
        try:
            fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise SessionError(
                    f"Session {name} has a link where its lock file should be; nothing was changed.",
                    hint=f"Remove {folder / LOCK_FILE}.",
                ) from None
            raise _write_error(err, folder, f"Session {name} could not be changed") from None
        try:
            deadline = time.monotonic() + self.lock_timeout_s
            pause = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SessionError(
                            f"Session {name} is busy: another Voxroom has been changing it for over "
                            f"{self.lock_timeout_s:g} s.",
                            hint="Try again once the other Voxroom is done (or closed).",
                        ) from None
                    time.sleep(pause)  # flock has no timeout of its own: poll, backing off to 50 ms
                    pause = min(pause * 2, 0.05)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
        finally:
            os.close(fd)  # releases the lock

    # -- writing ---------------------------------------------------------------------------------
    def create(
        self,
        title: str | None = None,
        backend: str = "",
        models: dict[str, str] | None = None,
        *,
        conversation_id: str | None = None,
        agent_id: str | None = None,
        persist: bool = True,
    ) -> Session:
        """A new session in its own private folder.

        With ``persist=False`` only the (empty) folder is made: ``session.json`` is first written by
        the first change (:meth:`reserve_recording`, :meth:`add_turn`, ...), so a launch that never
        records leaves nothing to list. Without a ``title`` the session is called
        ``Meeting <date time>`` until its first words are known, then by them.
        """
        try:
            make_private_dir(self.root)
        except OSError as err:
            raise _write_error(err, self.root, "A new session could not be created") from None
        for _ in range(100):
            sid = new_id()
            folder = self.root / sid
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            except OSError as err:
                raise _write_error(err, self.root, "A new session could not be created") from None
            with contextlib.suppress(OSError):
                os.chmod(folder, 0o700)
            break
        else:  # pragma: no cover - 100 collisions of a random suffix within one second
            raise SessionError("Could not create a new session folder.")
        created = now_iso()
        session = Session(
            id=sid,
            title=default_title() if title is None else title,
            auto_title=title is None,
            created=created,
            updated=created,
            backend=backend,
            models=dict(models or {}),
            conversation_id=conversation_id,
            agent_id=agent_id,
            folder=folder,
        )
        _remember_header(session)
        if persist:
            self.save(session)
        return session

    def save(self, session: Session) -> None:
        """Write the in-memory ``session`` as it is (under the lock, atomically).

        This replaces what is on disk: prefer :meth:`add_turn`, :meth:`update_turn` and
        :meth:`update`, which apply a change to the latest saved copy and never lose another
        process's change.
        """
        self._check_writable(session)
        folder = self._ensure_folder(session)
        with self._locked(folder, session.id):
            self._write(session, folder)
        _remember_header(session)

    def update(self, session: Session, change: Callable[[Session], T]) -> T:
        """Apply ``change`` to the latest saved copy of ``session`` under its lock and save it.

        Fields in :data:`HEADER_FIELDS` assigned on ``session`` since it was read are carried over
        first. Afterwards ``session`` holds what was saved. Returns what ``change`` returned; if it
        raises, nothing is written.
        """
        self._check_writable(session)
        folder = self._ensure_folder(session)
        with self._locked(folder, session.id):
            latest = self._latest(session, folder)
            result = change(latest)
            self._write(latest, folder)
        _follow(session, latest)
        return result

    def _latest(self, session: Session, folder: Path) -> Session:
        latest = None
        if os.path.lexists(folder / SESSION_FILE):
            try:
                latest = self.load_folder(folder)
            except SessionError:
                if os.path.lexists(folder / SESSION_FILE):  # refused and left alone (newer, too large)
                    raise
                # it was unreadable and is now moved aside: what this process holds is the best left
        if latest is None:  # never written yet (persist=False), or moved aside just now
            latest = Session.from_dict(session.to_dict(), fallback_id=session.id)
        else:
            for key in HEADER_FIELDS:
                if key in session.saved_header and getattr(session, key) != session.saved_header[key]:
                    setattr(latest, key, copy.deepcopy(getattr(session, key)))
        latest.id, latest.folder = session.id, folder
        return latest

    def _write(self, session: Session, folder: Path) -> None:
        session.updated = now_iso()
        body = json.dumps(session.to_dict(), ensure_ascii=False, indent=1)
        try:
            atomic_write(folder / SESSION_FILE, body.encode("utf-8"))
        except OSError as err:
            raise _write_error(err, folder, f"Session {session.id} could not be saved") from None

    def _check_writable(self, session: Session) -> None:
        if session.read_only:
            raise SessionError(
                f"Session {session.id} is read-only (a sample or a folder Voxroom cannot write).",
                hint="Continue it as a copy: SessionStore.copy_in().",
            )

    def _ensure_folder(self, session: Session) -> Path:
        folder = self.folder(session)
        try:
            make_private_dir(folder)
        except OSError as err:
            raise _write_error(err, folder.parent, f"Session {session.id} could not be saved") from None
        return folder

    def delete(self, ref: str) -> Path:
        """Remove a session's folder and everything in it. Only ids inside the store are accepted;
        a session folder that is a link is refused (never followed)."""
        folder = self.root / ref
        try:
            st = os.lstat(folder) if valid_id(ref) else None
        except OSError:
            st = None
        if st is None or not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise SessionError(f"There is no session '{single_line(ref)[:80]}' to delete.")
        if stat.S_ISLNK(st.st_mode):
            raise SessionError(
                f"Session {ref} is a link to another folder, so it was not deleted (Voxroom never "
                "follows links out of the session store).",
                hint=f"Remove the link itself with `rm {folder}` if it should go.",
            )
        try:
            shutil.rmtree(folder)  # does not follow links inside the folder
        except OSError as err:
            raise _write_error(err, folder, f"Session {ref} could not be deleted") from None
        return folder

    def copy_in(self, session: Session, title: str | None = None) -> Session:
        """A writable copy of ``session`` (e.g. a sample) in this store, to continue it.

        Its audio files are copied without following links: a name in the source folder that is a
        link (or not a regular file) is not copied, and the copy's :attr:`Session.problems` says so.
        """
        source = session.folder
        copy_ = self.create(
            title=session.title if title is None else title, backend=session.backend, persist=False
        )
        copy_.auto_title = session.auto_title and title is None
        copy_.models = dict(session.models)
        copy_.conversation_id = session.conversation_id
        copy_.agent_id = session.agent_id
        copy_.speaker_names = dict(session.speaker_names)
        copy_.turns = [TurnRecord.from_dict(t.to_dict()) for t in session.turns]
        target = self.folder(copy_)
        if source is not None:
            for turn in copy_.turns:
                for attr in ("recording", "reply_audio"):
                    name = getattr(turn, attr)
                    if name and not self._copy_audio(source / name, target / name, copy_):
                        setattr(turn, attr, None)
        self.save(copy_)
        return copy_

    def _copy_audio(self, source: Path, target: Path, into: Session) -> bool:
        try:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError as err:
            reason = "it is a link" if err.errno == errno.ELOOP else err.strerror
            into.problems.append(f"Did not copy {source.name}: {reason} (links are never followed).")
            return False
        with os.fdopen(fd, "rb") as src:
            if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
                into.problems.append(f"Did not copy {source.name}: it is not a regular file.")
                return False
            try:
                out = os.open(
                    target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
                )
                with os.fdopen(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except OSError as err:
                raise _write_error(err, target.parent, f"Session {into.id} could not be saved") from None
        return True

    # -- audio files -----------------------------------------------------------------------------
    def audio_path(self, session: Session, name: str) -> Path:
        """The full path of an audio file named in the session; refuses names that leave its folder
        and links (even to a file inside it)."""
        folder = self.folder(session)
        refused = SessionError(
            f"Refused the file name {single_line(name)[:80]!r}: it is a link or points outside "
            f"session {session.id}."
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

    def open_audio(self, session: Session, name: str) -> BinaryIO:
        """An audio file of the session opened for reading, never through a link (``O_NOFOLLOW``)."""
        path = self.audio_path(session, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise SessionError(f"Refused {name}: it is a link in session {session.id}.") from None
            raise SessionError(f"Cannot read {name} of session {session.id}: {err.strerror}.") from None
        f = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            f.close()
            raise SessionError(f"Refused {name}: it is not a regular file in session {session.id}.")
        return f

    def recording_path(self, session: Session, turn_index: int, suffix: str = ".flac") -> Path:
        """Where turn ``turn_index`` (1-based) records to; the recorder writes it while capturing."""
        return self.audio_path(session, f"turn-{turn_index:03d}{suffix}")

    def reply_audio_path(self, session: Session, turn_index: int, suffix: str = ".flac") -> Path:
        return self.audio_path(session, f"turn-{turn_index:03d}-reply{suffix}")

    def reserve_recording(self, session: Session, suffix: str = ".flac") -> Path:
        """A new, empty recording file for the next turn, unique across processes.

        Under the session's lock the number is one past every turn index and every ``turn-NNN``
        file in the folder, and the file is created exclusively (0600, never through a link). The
        first recording also writes ``session.json`` if it was not written yet (``persist=False``).
        """
        if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
            raise SessionError(f"Refused the recording suffix {single_line(suffix)[:20]!r}.")
        self._check_writable(session)
        folder = self._ensure_folder(session)
        with self._locked(folder, session.id):
            latest = self._latest(session, folder)
            used = [t.index for t in latest.turns]
            with contextlib.suppress(OSError):
                used += [int(m.group(1)) for n in os.listdir(folder) if (m := _TURN_FILE.match(n))]
            number = max(used, default=0) + 1
            while True:
                path = folder / f"turn-{number:03d}{suffix}"
                try:
                    fd = os.open(
                        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
                    )
                except FileExistsError:
                    number += 1
                    continue
                except OSError as err:
                    raise _write_error(err, folder, f"Session {session.id} could not record") from None
                os.close(fd)
                break
            if not os.path.lexists(folder / SESSION_FILE):
                self._write(latest, folder)
        _follow(session, latest)
        return path

    def orphan_recordings(self, session: Session) -> list[Path]:
        """Recordings in the folder that no turn names (e.g. captured just before a crash).

        Links and empty files (a reserved name nothing was recorded into) are not recordings."""
        folder = self.folder(session)
        named = {n for t in session.turns for n in (t.recording, t.reply_audio) if n}
        out = []
        for p in folder.glob("turn-*"):
            if p.name in named or "-reply" in p.name:
                continue
            with contextlib.suppress(OSError):
                st = os.lstat(p)
                if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                    out.append(p)
        return sorted(out)

    # -- turns -----------------------------------------------------------------------------------
    def add_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        """Add ``turn`` with the next index, allocated under the lock (two processes never share
        one). Returns the saved record, which is in ``session.turns``."""

        def change(latest: Session) -> int:
            try:
                return latest.add_turn(turn).index
            except ValueError:
                raise SessionError(
                    f"Session {session.id} is full ({MAX_TURNS} turns).", hint="Start a new session."
                ) from None

        return session.turn(self.update(session, change))

    def update_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        """Replace the saved turn with ``turn.index`` by ``turn``."""

        def change(latest: Session) -> None:
            for i, existing in enumerate(latest.turns):
                if existing.index == turn.index:
                    latest.turns[i] = turn
                    latest.retitle()
                    return
            raise SessionError(f"Session {session.id} has no turn {turn.index}.")

        self.update(session, change)
        return session.turn(turn.index)

    def set_title(self, session: Session, title: str) -> str:
        """Give the session a title (an empty one goes back to its first words). Returns it."""
        return self.update(session, lambda latest: (latest.set_title(title), latest.title)[1])

    def set_conversation(
        self, session: Session, conversation_id: str | None = None, agent_id: str | None = None
    ) -> None:
        """Record the agent conversation (and agent) the session continues; ``None`` keeps each."""

        def change(latest: Session) -> None:
            if conversation_id:
                latest.conversation_id = conversation_id
            if agent_id:
                latest.agent_id = agent_id

        self.update(session, change)

    # -- speakers --------------------------------------------------------------------------------
    def rename_speaker(self, session: Session, label: str, name: str) -> str:
        """Name a speaker (by label or current name); saved, and remembered for later sessions."""

        def change(latest: Session) -> str:
            resolved = latest.resolve_speaker(label)
            if resolved is None:
                raise SessionError(
                    f"Session {session.id} has no speaker '{single_line(label)[:80]}'.",
                    hint="Speakers: " + ", ".join(latest.speakers) + "." if latest.speakers else "",
                )
            latest.rename_speaker(resolved, name)
            return resolved

        resolved = self.update(session, change)
        if session.speaker_names.get(resolved):
            with contextlib.suppress(OSError):  # only suggestions for later sessions
                self.known_speakers().remember(session.speaker_names[resolved])
        return resolved

    def merge_speakers(self, session: Session, source: str, into: str) -> int:
        def change(latest: Session) -> int:
            a, b = latest.resolve_speaker(source), latest.resolve_speaker(into)
            for given, found in ((source, a), (into, b)):
                if found is None:
                    raise SessionError(f"Session {session.id} has no speaker '{single_line(given)[:80]}'.")
            assert a is not None and b is not None
            if a == b:
                raise SessionError(f"'{single_line(source)}' and '{single_line(into)}' are the same speaker.")
            return latest.merge_speakers(a, b)

        return self.update(session, change)

    def known_speakers(self) -> KnownSpeakers:
        from tui.sessions.speakers import KnownSpeakers

        return KnownSpeakers(self.known_speakers_path)

    # -- search ----------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 200) -> list[SearchHit]:
        from tui.sessions.search import search_store

        return search_store(self, text, limit=limit)


_HELD = threading.local()
"""The session folders whose lock this thread holds (the lock is re-entrant within a thread)."""
_TURN_FILE = re.compile(r"^turn-(\d{1,6})\D")


def _disposable(folder: Path) -> bool:
    """The folder holds nothing but ``session.json``, its lock and temp files (no audio, no link)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(
        n in (SESSION_FILE, LOCK_FILE) or (n.startswith(f".{SESSION_FILE}.") and n.endswith(".tmp"))
        for n in names
    )


def _remember_header(session: Session) -> None:
    session.saved_header = {k: copy.deepcopy(getattr(session, k)) for k in HEADER_FIELDS}


def _follow(session: Session, latest: Session) -> None:
    """Make the caller's ``session`` hold the saved state ``latest``."""
    for f in fields(Session):
        if f.name not in ("folder", "read_only", "saved_header"):
            setattr(session, f.name, getattr(latest, f.name))
    _remember_header(session)


def _write_error(err: OSError, folder: Path, what: str) -> SessionError:
    """One sentence for a failed write, naming the folder and the fix (full disk, read-only...)."""
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


if TYPE_CHECKING:
    from tui.sessions.speakers import KnownSpeakers
