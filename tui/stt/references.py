"""``speaker_references`` for Voxtral diarization: known people's reference clips sent with a turn.

Encoding (established from the mistralai 3.7 SDK, see ``tests/README.md``): a JSON object (one
multipart part, ``application/json``) mapping each name to the **plain base64 of a WAV file** (no
data-URL prefix); it is accepted only with ``diarize=true``. We send 16 kHz mono 16-bit WAV, at most
:data:`MAX_REFERENCE_SECONDS` per clip and :data:`MAX_REFERENCES` people.

When the service refuses them (a 4xx naming ``speaker_references``) the transcription is sent again
without them and they are not sent again for the rest of the process: people are then matched
locally by voice (:mod:`tui.diarize.people`).
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.audio.clip import TRANSCRIBE_RATE, load_clip
from tui.errors import VoxroomError
from tui.text import clean

log = logging.getLogger("voxroom.stt")

MAX_REFERENCES = 8
MAX_REFERENCE_SECONDS = 10.0
MIN_REFERENCE_SECONDS = 0.5
MAX_NAME_CHARS = 40
REFUSED_NOTE = "Mistral refused the speaker reference clips; people are matched by voice locally instead."

_refused = threading.Event()


def references_refused() -> bool:
    """True once the service refused ``speaker_references`` in this process."""
    return _refused.is_set()


def forget_refusal() -> None:
    """Send references again (tests; a new process starts with this state)."""
    _refused.clear()


def mark_refused() -> None:
    if not _refused.is_set():
        log.warning(REFUSED_NOTE)
    _refused.set()


def encode_reference(path: Path) -> str:
    """A reference clip file (any format :func:`load_clip` reads) as base64 of a 16 kHz mono
    16-bit WAV, cut to :data:`MAX_REFERENCE_SECONDS`. Raises :class:`VoxroomError` (one sentence).
    Kept in memory per (file, size, modification time): the same people are sent every turn."""
    try:
        stat = Path(path).stat()
    except OSError:
        return _encode(Path(path), 0, 0)  # load_clip says what is wrong
    return _encode(Path(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=2 * MAX_REFERENCES)
def _encode(path: Path, size: int, mtime_ns: int) -> str:
    import numpy as np
    import soundfile as sf

    clip = load_clip(path).at_rate(TRANSCRIBE_RATE)
    samples = clip.samples[: round(MAX_REFERENCE_SECONDS * TRANSCRIBE_RATE)]
    if len(samples) < MIN_REFERENCE_SECONDS * TRANSCRIBE_RATE:
        raise VoxroomError(f"{Path(path).name} is too short to be a speaker reference.")
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(samples, -1.0, 1.0), TRANSCRIBE_RATE, format="WAV", subtype="PCM_16")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def encode_references(references: Mapping[str, Path] | None) -> dict[str, str]:
    """Name -> encoded clip for the first :data:`MAX_REFERENCES` usable references. Names are
    cleaned and cut to :data:`MAX_NAME_CHARS`; a clip that cannot be read is left out (logged)."""
    out: dict[str, str] = {}
    for raw_name, path in (references or {}).items():
        if len(out) >= MAX_REFERENCES:
            log.info("Only the first %d speaker references are sent.", MAX_REFERENCES)
            break
        name = reference_name(raw_name)
        if not name or name in out:
            continue
        try:
            out[name] = encode_reference(Path(path))
        except (VoxroomError, OSError, ValueError) as err:
            log.warning("Speaker reference for %s left out: %s", name, err)
    return out


def reference_name(raw: object) -> str:
    """A person's name as sent (and so as the service labels them): cleaned, one line, bounded."""
    return " ".join(clean(str(raw)).split())[:MAX_NAME_CHARS].strip()


def refuses_references(err: BaseException) -> bool:
    """True when an SDK error is the service refusing ``speaker_references`` (a 4xx naming them)."""
    status = getattr(err, "status_code", None)
    if not isinstance(status, int) or not 400 <= status < 500 or status in (401, 408, 429):
        return False
    body: Any = getattr(err, "body", "") or ""
    text = f"{body if isinstance(body, str) else ''} {err}".lower()
    return "speaker_reference" in text or "speaker reference" in text
