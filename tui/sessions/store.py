"""The session store: one private folder per session under ``<data dir>/sessions/``.

Layout::

    sessions/
      .index.json                 # list cache (rebuilt from the folders whenever it is lost or stale)
      20261125-130930-a1b2/       # 0700
        session.json              # 0600, rewritten atomically after every change
        turn-001.flac             # the recording, written while it is captured
        turn-001-reply.flac       # the spoken reply

A ``session.json`` that cannot be read is moved aside as ``session.json.corrupt-<time>`` (never
deleted) and reported by name; every other session still opens. A file written by a newer Voxroom
is refused and left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.errors import VoxroomError
from tui.sessions.fsutil import atomic_write, make_private, make_private_dir
from tui.sessions.migrate import NewerSchemaError, SchemaError, migrate
from tui.sessions.model import (
    MAX_SHORT,
    MAX_TITLE,
    SCHEMA_VERSION,
    BrokenSession,
    Session,
    SessionSummary,
    TurnRecord,
    now_iso,
    safe_file_name,
)
from tui.sessions.samples import SAMPLE_PREFIX, sample_sessions_dir
from tui.text import clean

if TYPE_CHECKING:
    from tui.sessions.search import SearchHit

SESSION_FILE = "session.json"
INDEX_FILE = ".index.json"
INDEX_VERSION = 1
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
    """Sessions on disk. ``root`` is ``settings.sessions_dir``; it is created (0700) on first write."""

    def __init__(self, root: Path, known_speakers_path: Path | None = None) -> None:
        self.root = Path(root)
        self.known_speakers_path = known_speakers_path or self.root.parent / "known_speakers.json"
        self.max_file_bytes = MAX_FILE_BYTES

    # -- finding ---------------------------------------------------------------------------------
    def folder(self, session: Session) -> Path:
        if session.folder is not None:
            return session.folder
        if not valid_id(session.id):
            raise SessionError(f"'{clean(session.id)[:80]}' is not a usable session id.")
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
                    f"There is no sample session '{clean(name)[:80]}'.", hint=f"Samples: {names}."
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
            f"There is no session '{clean(text)[:120]}'.",
            hint="`voxroom sessions list` shows the sessions; a path must be a session folder.",
        )

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
            size = path.stat().st_size
        except FileNotFoundError:
            moved = sorted(path.parent.glob(SESSION_FILE + CORRUPT_MARK + "*"))
            if moved:
                raise SessionError(
                    f"Session {name} cannot be opened: its file was unreadable and was moved aside "
                    f"as {moved[-1].name}."
                ) from None
            raise SessionError(f"Session {name} has no {SESSION_FILE}.") from None
        except OSError as err:
            raise SessionError(f"Session {name} cannot be read: {err.strerror}.") from None
        if size > self.max_file_bytes:
            raise SessionError(
                f"Session {name} is too large to open ({size / 1e6:.1f} MB; at most "
                f"{self.max_file_bytes / 1e6:.1f} MB)."
            )
        try:
            raw = path.read_bytes()
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
        damaged index is simply rebuilt.
        """
        result = SessionList()
        index = self._read_index()
        fresh: dict[str, Any] = {}
        changed = False
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
                ):
                    if "error" in cached:
                        result.broken.append(BrokenSession(name, Path(entry.path), str(cached["error"])))
                    elif isinstance(cached.get("summary"), dict):
                        result.sessions.append(SessionSummary.from_dict(cached["summary"]))
                    fresh[name] = cached
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
                result.sessions.append(summary)
                fresh[name] = {"m": st.st_mtime_ns, "s": st.st_size, "summary": summary.to_dict()}
        if changed or fresh.keys() != index.keys():
            self._write_index(fresh)
        result.sessions.sort(key=lambda s: (s.created, s.id), reverse=True)
        result.broken.sort(key=lambda b: b.id)
        return result

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

    # -- writing ---------------------------------------------------------------------------------
    def create(
        self,
        title: str | None = None,
        backend: str = "",
        models: dict[str, str] | None = None,
        *,
        conversation_id: str | None = None,
        agent_id: str | None = None,
    ) -> Session:
        """A new, saved, empty session in its own private folder."""
        make_private_dir(self.root)
        for _ in range(100):
            sid = new_id()
            folder = self.root / sid
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            os.chmod(folder, 0o700)
            break
        else:  # pragma: no cover - 100 collisions of a random suffix within one second
            raise SessionError("Could not create a new session folder.")
        created = now_iso()
        if title is None:
            title = "Meeting " + datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        session = Session(
            id=sid,
            title=clean(title)[:MAX_TITLE],
            created=created,
            updated=created,
            backend=clean(backend)[:MAX_SHORT],
            models=dict(models or {}),
            conversation_id=conversation_id,
            agent_id=agent_id,
            folder=folder,
        )
        self.save(session)
        return session

    def save(self, session: Session) -> None:
        """Write ``session.json`` atomically (temp file, fsync, rename, fsync folder)."""
        if session.read_only:
            raise SessionError(
                f"Session {session.id} is read-only (a sample or a folder Voxroom cannot write).",
                hint="Continue it as a copy: SessionStore.copy_in().",
            )
        folder = self.folder(session)
        make_private_dir(folder)
        session.updated = now_iso()
        body = json.dumps(session.to_dict(), ensure_ascii=False, indent=1)
        try:
            atomic_write(folder / SESSION_FILE, body.encode("utf-8"))
        except OSError as err:
            raise SessionError(f"Session {session.id} could not be saved: {err.strerror}.") from None

    def delete(self, ref: str) -> Path:
        """Remove a session's folder and everything in it. Only ids inside the store are accepted."""
        if not valid_id(ref) or not (self.root / ref).is_dir():
            raise SessionError(f"There is no session '{clean(ref)[:80]}' to delete.")
        folder = self.root / ref
        shutil.rmtree(folder)
        return folder

    def copy_in(self, session: Session, title: str | None = None) -> Session:
        """A writable copy of ``session`` (e.g. a sample) in this store, to continue it."""
        source = session.folder
        copy = self.create(title=session.title if title is None else title, backend=session.backend)
        copy.models = dict(session.models)
        copy.conversation_id = session.conversation_id
        copy.agent_id = session.agent_id
        copy.speaker_names = dict(session.speaker_names)
        copy.turns = [TurnRecord.from_dict(t.to_dict()) for t in session.turns]
        if source is not None:
            for turn in copy.turns:
                for name in (turn.recording, turn.reply_audio):
                    if name and (source / name).is_file():
                        shutil.copyfile(source / name, self.folder(copy) / name)
                        make_private(self.folder(copy) / name)
        self.save(copy)
        return copy

    # -- audio files -----------------------------------------------------------------------------
    def audio_path(self, session: Session, name: str) -> Path:
        """The full path of an audio file named in the session; refuses names that leave its folder."""
        folder = self.folder(session)
        if not safe_file_name(name):
            raise SessionError(
                f"Refused the file name {clean(name)[:80]!r}: it points outside session {session.id}."
            )
        path = folder / name
        try:
            path.resolve().relative_to(folder.resolve())
        except ValueError:
            raise SessionError(
                f"Refused the file name {clean(name)[:80]!r}: it points outside session {session.id}."
            ) from None
        return path

    def recording_path(self, session: Session, turn_index: int, suffix: str = ".flac") -> Path:
        """Where turn ``turn_index`` (1-based) records to; the recorder writes it while capturing."""
        return self.audio_path(session, f"turn-{turn_index:03d}{suffix}")

    def reply_audio_path(self, session: Session, turn_index: int, suffix: str = ".flac") -> Path:
        return self.audio_path(session, f"turn-{turn_index:03d}-reply{suffix}")

    def orphan_recordings(self, session: Session) -> list[Path]:
        """Recordings in the folder that no turn names (e.g. captured just before a crash)."""
        folder = self.folder(session)
        named = {n for t in session.turns for n in (t.recording, t.reply_audio) if n}
        return sorted(
            p for p in folder.glob("turn-*") if p.is_file() and p.name not in named and "-reply" not in p.name
        )

    # -- turns -----------------------------------------------------------------------------------
    def add_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        session.add_turn(turn)
        self.save(session)
        return turn

    def update_turn(self, session: Session, turn: TurnRecord) -> TurnRecord:
        for i, existing in enumerate(session.turns):
            if existing.index == turn.index:
                session.turns[i] = turn
                break
        else:
            raise SessionError(f"Session {session.id} has no turn {turn.index}.")
        self.save(session)
        return turn

    # -- speakers --------------------------------------------------------------------------------
    def rename_speaker(self, session: Session, label: str, name: str) -> str:
        """Name a speaker (by label or current name); saved, and remembered for later sessions."""
        resolved = session.resolve_speaker(label)
        if resolved is None:
            raise SessionError(
                f"Session {session.id} has no speaker '{clean(label)[:80]}'.",
                hint="Speakers: " + ", ".join(session.speakers) + "." if session.speakers else "",
            )
        session.rename_speaker(resolved, name)
        self.save(session)
        if session.speaker_names.get(resolved):
            self.known_speakers().remember(session.speaker_names[resolved])
        return resolved

    def merge_speakers(self, session: Session, source: str, into: str) -> int:
        a, b = session.resolve_speaker(source), session.resolve_speaker(into)
        for given, found in ((source, a), (into, b)):
            if found is None:
                raise SessionError(f"Session {session.id} has no speaker '{clean(given)[:80]}'.")
        assert a is not None and b is not None
        if a == b:
            raise SessionError(f"'{source}' and '{into}' are the same speaker.")
        changed = session.merge_speakers(a, b)
        self.save(session)
        return changed

    def known_speakers(self) -> KnownSpeakers:
        from tui.sessions.speakers import KnownSpeakers

        return KnownSpeakers(self.known_speakers_path)

    # -- search ----------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 200) -> list[SearchHit]:
        from tui.sessions.search import search_store

        return search_store(self, text, limit=limit)


if TYPE_CHECKING:
    from tui.sessions.speakers import KnownSpeakers
