"""A session's audio files: their paths (never outside the folder, never a link), the recording
reserved for the next turn, and recordings no turn names (the store mixes this class in)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from tui.fsutil import create_new
from tui.sessions.files import SESSION_FILE, TURN_FILE, SessionError, audio_path, open_audio, write_error
from tui.sessions.model import Session, follow, single_line


class SessionAudio:
    """Audio paths and recordings; :class:`~tui.sessions.store.SessionStore` provides the rest."""

    def folder(self, session: Session) -> Path:
        raise NotImplementedError

    def locked(self, folder: Path, name: str) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def _check_writable(self, session: Session) -> None:
        raise NotImplementedError

    def _ensure_folder(self, session: Session) -> Path:
        raise NotImplementedError

    def _latest(self, session: Session, folder: Path) -> Session:
        raise NotImplementedError

    def _write(self, session: Session, folder: Path) -> None:
        raise NotImplementedError

    # -- audio files -----------------------------------------------------------------------------
    def audio_path(self, session: Session, name: str) -> Path:
        """The full path of an audio file named in the session; refuses names that leave its folder
        and links (even to a file inside it)."""
        return audio_path(self.folder(session), session.id, name)

    def open_audio(self, session: Session, name: str) -> BinaryIO:
        """An audio file of the session opened for reading, never through a link (``O_NOFOLLOW``)."""
        return open_audio(self.folder(session), session.id, name)

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
        with self.locked(folder, session.id):
            latest = self._latest(session, folder)
            used = [t.index for t in latest.turns]
            with contextlib.suppress(OSError):
                used += [int(m.group(1)) for n in os.listdir(folder) if (m := TURN_FILE.match(n))]
            number = max(used, default=0) + 1
            while True:
                path = folder / f"turn-{number:03d}{suffix}"
                try:
                    with create_new(path):
                        pass
                except FileExistsError:
                    number += 1
                    continue
                except OSError as err:
                    raise write_error(err, folder, f"Session {session.id} could not record") from None
                break
            if not os.path.lexists(folder / SESSION_FILE):
                self._write(latest, folder)
        follow(session, latest)
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
