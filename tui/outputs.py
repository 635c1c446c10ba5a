"""Files the commands write for people (``export -o``, ``say -o``, ``ask -o``): private, whole, or absent.

Every such file goes through the one writer, :func:`tui.fsutil.atomic_write`: a hidden temporary file
in the target folder with mode 0600, moved into place only once complete (a failure never leaves a
partial or world-readable file), never through a link, and an existing file is only replaced with
``--force``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import VoxroomError

if TYPE_CHECKING:
    import numpy as np

    from tui.config import Settings
    from tui.sessions.model import Session

AUDIO_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
"""Extension -> (libsndfile format, subtype). ``.mp3`` only where libsndfile can write MP3."""


def audio_extensions() -> list[str]:
    """The extensions ``say -o`` / ``ask -o`` can write with this libsndfile."""
    import soundfile as sf

    formats = sf.available_formats()
    return [ext for ext, (fmt, _) in AUDIO_FORMATS.items() if fmt in formats]


def check_output_path(path: Path, *, force: bool = False, audio: bool = False) -> Path:
    """Refuse, before any work is done, an output path that cannot be written as asked.

    The folder must exist (it is never created silently), the path must not be a folder, an
    existing file needs ``force``, and audio paths need a supported extension.
    """
    path = path.expanduser()
    if audio:
        supported = audio_extensions()
        if path.suffix.lower() not in supported:
            what = (
                f"{path.name} has no extension, so the audio format is unknown"
                if not path.suffix
                else f"Voxroom cannot write {path.suffix} audio ({path.name})"
            )
            raise VoxroomError(
                f"{what}.",
                hint="Use a file name ending in " + ", ".join(supported[:-1]) + f" or {supported[-1]}.",
            )
    folder = path.parent
    if not folder.is_dir():
        raise VoxroomError(
            f"The folder {folder} does not exist.", hint="Create it first, or choose another path."
        )
    if path.is_symlink():
        raise VoxroomError(
            f"{path} is a symbolic link; Voxroom never writes through one.", hint="Choose another name."
        )
    if path.is_dir():
        raise VoxroomError(f"{path} is a folder.", hint="Give a file name inside it.")
    if path.exists() and not force:
        raise VoxroomError(
            f"{path} already exists.", hint="Add --force to replace it, or choose another name."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise VoxroomError(f"Cannot write in {folder}: permission denied.", hint="Choose another folder.")
    return path


def _write(path: Path, body: bytes, force: bool) -> None:
    """The one writer (:func:`tui.fsutil.atomic_write`): 0600, atomic, never through a link, and an
    existing file only replaced with ``force`` (checked again at the moment of writing)."""
    from tui.fsutil import UnsafeTarget, atomic_write

    try:
        atomic_write(path, body, replace=force)
    except UnsafeTarget:
        raise VoxroomError(
            f"{path} already exists.", hint="Add --force to replace it, or choose another name."
        ) from None
    except OSError as err:
        raise VoxroomError(
            f"Cannot write {path}: {err.strerror or err}.", hint="Choose another path."
        ) from None


def write_private_output(path: Path, data: bytes | str, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` (0600, atomically), after :func:`check_output_path`."""
    path = check_output_path(path, force=force)
    body = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
    _write(path, body, force)
    return path


def export_secrets(settings: Settings) -> list[str]:
    """What an export must never hold: the configured API key and the one in the environment."""
    values = [settings.api_key.reveal(), os.environ.get("MISTRAL_API_KEY", "")]
    return [v for v in values if v]


def write_session_export(
    path: Path,
    session: Session,
    fmt: str,
    *,
    secrets: list[str],
    force: bool = False,
    voiceprints: bool = False,
) -> Path:
    """``session`` in ``fmt`` written to ``path`` with every secret redacted (and voiceprints only when
    asked for): the one writer of ``voxroom sessions export -o`` and the app's export (ctrl+e)."""
    from tui.sessions.export import export_session

    path = check_output_path(path, force=force)
    try:
        text = export_session(session, fmt, secrets=secrets, voiceprints=voiceprints)
    except ValueError as err:
        raise VoxroomError(f"{err}.") from None
    return write_private_output(path, text, force=force)


def write_audio_output(path: Path, samples: np.ndarray, rate: int, *, force: bool = True) -> Path:
    """Write mono float samples as the format named by the extension (0600, atomically)."""
    import numpy as np
    import soundfile as sf

    path = check_output_path(path, force=force, audio=True)
    fmt, subtype = AUDIO_FORMATS[path.suffix.lower()]
    data = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    buf = io.BytesIO()
    try:
        sf.write(buf, data, rate or 24_000, format=fmt, subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise VoxroomError(
            f"Cannot encode {path.name} as {fmt}: {err}.", hint="Use a .wav or .flac name."
        ) from None
    _write(path, buf.getvalue(), force)
    return path


__all__ = [
    "AUDIO_FORMATS",
    "audio_extensions",
    "check_output_path",
    "export_secrets",
    "write_audio_output",
    "write_private_output",
    "write_session_export",
]
