"""The session store: one private folder per session under ``<data dir>/sessions/``.

Layout::

    sessions/
      .index.json                 # list cache (rebuilt from the folders whenever it is lost or stale)
      20261125-130930-a1b2/       # 0700
        session.json              # 0600, rewritten atomically after every change
        .lock                     # flock'd while a change is applied (read latest, change, write)
        turn-001.flac             # the recording, written while it is captured
        turn-001-reply.flac       # the spoken reply

This module holds the store's use cases (create, open, change, delete, copy); the list and its cache
are :mod:`tui.sessions.index`, the lock :mod:`tui.sessions.locking`, file names, the reader and the
write errors :mod:`tui.sessions.files`. A ``session.json`` that cannot be read is moved aside as
``session.json.corrupt-<time>`` (never deleted) and reported by name; every other session still
opens. A file written by a newer Voxroom is refused and left alone. A deleted session stays deleted:
a change that finds its folder gone writes nothing and says so.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui.fsutil import atomic_write, make_private_dir
from tui.sessions import index as _index
from tui.sessions.changes import SessionChanges
from tui.sessions.files import (
    CORRUPT_MARK,
    DELETED_MARK,
    INDEX_FILE,
    LOCK_FILE,
    MAX_FILE_BYTES,
    SESSION_FILE,
    SessionError,
    broken,
    check_readable,
    copy_audio,
    new_id,
    read_session_json,
    remove_stale_temp_files,
    valid_id,
    write_error,
)
from tui.sessions.index import EMPTY_MAX_AGE_S, INDEX_VERSION, SessionList
from tui.sessions.locking import LOCK_TIMEOUT_S, SessionGone, gone, session_lock
from tui.sessions.model import (
    HEADER_FIELDS,
    Session,
    TurnRecord,
    default_title,
    follow,
    now_iso,
    remember_header,
    single_line,
)
from tui.sessions.recordings import SessionAudio
from tui.sessions.samples import SAMPLE_PREFIX, sample_sessions_dir

if TYPE_CHECKING:
    from tui.sessions.search import SearchHit

__all__ = [
    "CORRUPT_MARK",
    "EMPTY_MAX_AGE_S",
    "INDEX_FILE",
    "INDEX_VERSION",
    "LOCK_FILE",
    "LOCK_TIMEOUT_S",
    "MAX_FILE_BYTES",
    "SESSION_FILE",
    "SessionError",
    "SessionGone",
    "SessionList",
    "SessionStore",
    "new_id",
    "valid_id",
]

T = TypeVar("T")


class SessionStore(SessionChanges, SessionAudio):
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

    def read_data(self, folder: Path, *, move_aside: bool = True) -> dict[str, Any]:
        """The migrated content of a session folder's ``session.json`` (see :func:`read_session_json`)."""
        inside = Path(os.path.abspath(folder)).parent == Path(os.path.abspath(self.root))
        return read_session_json(
            folder / SESSION_FILE,
            folder.name,
            max_bytes=self.max_file_bytes,
            move_aside=move_aside,
            within=self.root if inside else None,
        )

    def load_folder(self, folder: Path, *, move_aside: bool = True) -> Session:
        name = folder.name
        data = self.read_data(folder, move_aside=move_aside)
        try:
            session = Session.from_dict(data, fallback_id=name)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as err:
            raise broken(
                folder / SESSION_FILE, name, f"it does not hold a session ({type(err).__name__})", move_aside
            ) from None
        session.id = name
        session.folder = folder
        remember_header(session)
        if move_aside:
            remove_stale_temp_files(folder)
        return session

    # -- listing ---------------------------------------------------------------------------------
    def list(self) -> SessionList:
        """Every session's summary, newest first, plus the broken ones (see :func:`list_sessions`);
        reads only, never removes a session."""
        return _index.list_sessions(self)

    def clean_up(self) -> list[str]:
        """Remove sessions nobody spoke in, untouched for a day (see :func:`tui.sessions.index.clean_up`)."""
        return _index.clean_up(self)

    # -- locking ---------------------------------------------------------------------------------
    def locked(self, folder: Path, name: str) -> contextlib.AbstractContextManager[None]:
        """The session's exclusive lock (:func:`session_lock`) with this store's timeout."""
        return session_lock(folder, name, self.lock_timeout_s)

    _locked = locked

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
            raise write_error(err, self.root, "A new session could not be created") from None
        for _ in range(100):
            sid = new_id()
            folder = self.root / sid
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            except OSError as err:
                raise write_error(err, self.root, "A new session could not be created") from None
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
        remember_header(session)
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
        with self.locked(folder, session.id):
            self._write(session, folder)
        remember_header(session)

    def update(self, session: Session, change: Callable[[Session], T]) -> T:
        """Apply ``change`` to the latest saved copy of ``session`` under its lock and save it.

        Fields in :data:`HEADER_FIELDS` assigned on ``session`` since it was read are carried over
        first. Afterwards ``session`` holds what was saved. Returns what ``change`` returned; if it
        raises, nothing is written.
        """
        self._check_writable(session)
        folder = self._ensure_folder(session)
        with self.locked(folder, session.id):
            latest = self._latest(session, folder)
            result = change(latest)
            self._write(latest, folder)
        follow(session, latest)
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
        """Write ``session`` (the caller holds the lock); refused when it could not be read back."""
        session.updated = now_iso()
        body = json.dumps(session.to_dict(), ensure_ascii=False, indent=1).encode("utf-8", errors="replace")
        recordings = [t.recording for t in session.turns[-1:] if t.recording]
        kept = f" (the recording is kept as {recordings[0]})" if recordings else ""
        check_readable(body, session.id, self.max_file_bytes, kept)
        try:
            atomic_write(folder / SESSION_FILE, body)
        except OSError as err:
            raise write_error(err, folder, f"Session {session.id} could not be saved") from None

    def _check_writable(self, session: Session) -> None:
        if session.read_only:
            raise SessionError(
                f"Session {session.id} is read-only (a sample or a folder Voxroom cannot write).",
                hint="Continue it as a copy: SessionStore.copy_in().",
            )

    def _ensure_folder(self, session: Session) -> Path:
        """The session's folder; made for a session not created by a store, never re-made for one
        whose folder was deleted (:class:`SessionGone`: deleted stays deleted)."""
        folder = self.folder(session)
        if session.folder is not None:
            # Only checked, never made: a delete between this check and the lock renames the folder
            # away, and the lock then says so; making it here would bring a deleted session back.
            if not os.path.isdir(folder) or os.path.islink(folder):
                raise gone(session.id)
            return folder
        try:
            make_private_dir(folder)
        except OSError as err:
            raise write_error(err, folder.parent, f"Session {session.id} could not be saved") from None
        return folder

    def delete(self, ref: str) -> Path:
        """Remove a session's folder and everything in it, and its entry in the index. Only ids
        inside the store are accepted; a session folder that is a link is refused (never followed).

        Under the session's lock the folder is renamed away first (atomically), so a change waiting
        for the lock finds it gone and writes nothing (:class:`SessionGone`)."""
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
        doomed = self.root / f"{DELETED_MARK}{ref}-{secrets.token_hex(4)}"
        try:
            with self.locked(folder, ref):
                os.rename(folder, doomed)
            shutil.rmtree(doomed)  # does not follow links inside the folder
        except SessionGone:
            raise SessionError(f"There is no session '{single_line(ref)[:80]}' to delete.") from None
        except OSError as err:
            raise write_error(err, folder, f"Session {ref} could not be deleted") from None
        finally:
            _index.forget(self.root, ref)
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
                    if name and not copy_audio(source / name, target / name, copy_.id, copy_.problems):
                        setattr(turn, attr, None)
        self.save(copy_)
        return copy_

    # -- search ----------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 200) -> list[SearchHit]:
        from tui.sessions.search import search_store

        return search_store(self, text, limit=limit)
