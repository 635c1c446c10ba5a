"""The assistant's speech voices on Mistral's service (``client.audio.voices`` of the SDK): list them,
fetch one's sample to hear it, make one from a reference recording (with the speaker's consent,
stated in the voice's description and tags), delete one. The voice chosen is remembered across
launches in ``state.json`` like the theme (:func:`tui.themes.remember_voice`).

Not to be confused with :mod:`tui.voices` (the people's voice profiles for diarization). Everything
the service sends is data: names and descriptions are cleaned to one bounded line, a voice whose id
could not be a ``speech.voice`` setting is left out, the list stops at :data:`MAX_VOICES`, a sample
at :data:`MAX_SAMPLE_BYTES` and must decode as audio before it is played. No Textual here: the
Voices screen calls these from worker threads (each may block on the network).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.errors import AudioInputError, BackendError, VoxroomError
from tui.sessions.fields import single_line
from tui.themes import VOICE_ID

if TYPE_CHECKING:
    from tui.mistral import MistralConnection

PAGE_SIZE = 50
MAX_VOICES = 200
"""The most voices listed (four pages); a service with more is cut there, and the list says so."""
MAX_SAMPLE_BYTES = 8 * 1024 * 1024
"""A voice's sample is a few seconds of WAV; more than this is refused, not read on."""
MAX_SAMPLE_SECONDS = 120.0
MAX_REFERENCE_BYTES = 12 * 1024 * 1024
"""A reference recording sent to make a voice (base64 in JSON: a third more on the wire)."""
REFERENCE_SECONDS = (3.0, 120.0)
"""How long a reference recording may be, in seconds (one person speaking, clearly)."""
NAME_CHARS = 60
TEXT_CHARS = 200
CONSENT_TAG = "consent-given"
"""The tag a voice made by Voxroom carries: its speaker agreed (the description says who and when)."""
_VOICE_ID = re.compile(VOICE_ID)
NOT_ONLINE = "Choosing the assistant's voice needs MISTRAL_API_KEY: the voices are Mistral's."


@dataclass(frozen=True, slots=True)
class SpeechVoice:
    """One voice of the service, cleaned for the screen."""

    id: str
    name: str
    slug: str = ""
    custom: bool = False
    languages: tuple[str, ...] = ()
    gender: str = ""
    description: str = ""
    consented: bool = False
    """Made with the speaker's consent stated (:data:`CONSENT_TAG`)."""

    @property
    def voice_id(self) -> str:
        """What ``speech.voice`` is set to: a preset's slug, else the id."""
        return self.slug or self.id

    def matches(self, setting: str) -> bool:
        return setting in (self.id, self.slug) and bool(setting)

    def line(self) -> str:
        """One line for the list: name, languages, gender, kind, description."""
        parts = [self.name]
        if self.languages:
            parts.append(", ".join(self.languages))
        if self.gender:
            parts.append(self.gender)
        parts.append("made from a recording" if self.custom else "preset")
        text = " · ".join(parts)
        return f"{text} — {self.description}" if self.description else text


@dataclass(frozen=True, slots=True)
class VoiceList:
    voices: list[SpeechVoice]
    cut: bool = False
    """The service had more than :data:`MAX_VOICES`."""


def bounded_line(value: object, limit: int) -> str:
    """Outside text as one clean line of at most ``limit`` characters ("" for anything not text)."""
    if not isinstance(value, str):
        return ""
    line = single_line(value[: limit * 4])
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def voice_from(model: Any) -> SpeechVoice | None:
    """A service ``VoiceResponse`` as a :class:`SpeechVoice`; ``None`` when its id or slug could not
    be used as a setting (a voice Voxroom could not ask for)."""
    voice_id = getattr(model, "id", None)
    if not isinstance(voice_id, str) or not _VOICE_ID.match(voice_id):
        return None
    slug = getattr(model, "slug", None)
    slug = slug if isinstance(slug, str) and _VOICE_ID.match(slug) else ""
    languages = getattr(model, "languages", None) or []
    tags = getattr(model, "tags", None) or []
    return SpeechVoice(
        id=voice_id,
        name=bounded_line(getattr(model, "name", ""), NAME_CHARS) or voice_id[:NAME_CHARS],
        slug=slug,
        custom=getattr(model, "type", "") == "custom",
        languages=tuple(x for x in (bounded_line(x, 12) for x in list(languages)[:6]) if x),
        gender=bounded_line(getattr(model, "gender", ""), 12),
        description=bounded_line(getattr(model, "description", ""), TEXT_CHARS),
        consented=isinstance(tags, list) and CONSENT_TAG in tags[:20],
    )


def consent_statement(speaker: str, when: date | None = None) -> str:
    """What a voice made by Voxroom says of its speaker's consent (its description)."""
    day = (when or date.today()).isoformat()
    return f"Made from a recording of {speaker}, who agreed to it in Voxroom on {day}."


class VoiceCatalog:
    """The service's voices through one :class:`~tui.mistral.MistralConnection`; samples are kept in
    ``cache_dir`` (private), so a voice heard twice is fetched once."""

    def __init__(self, connection: MistralConnection, cache_dir: Path) -> None:
        self.connection = connection
        self.cache_dir = Path(cache_dir)

    @property
    def _voices(self) -> Any:
        return self.connection.client.audio.voices

    def list(self, *, limit: int = MAX_VOICES) -> VoiceList:
        """Every voice (presets and custom), page after page, at most ``limit``."""
        found: dict[str, SpeechVoice] = {}
        cut = False
        try:
            page = self._voices.search(page_size=min(PAGE_SIZE, limit))
            while page is not None:
                for model in page.result.data:
                    voice = voice_from(model)
                    if voice is not None and voice.id not in found:
                        if len(found) >= limit:
                            cut = True
                            break
                        found[voice.id] = voice
                if cut or len(found) >= limit:
                    cut = cut or bool(page.result.next_page_token)
                    break
                page = page.next()
        except Exception as err:
            raise self._failed(err, "Listing the voices") from None
        return VoiceList(list(found.values()), cut)

    def sample(self, voice: SpeechVoice) -> Path:
        """The voice's sample as a private WAV file in the cache (fetched when not there yet)."""
        from tui.fsutil import atomic_write, make_private_dir

        path = self.cache_dir / f"{_file_stem(voice.id)}.wav"
        if path.is_file() and not path.is_symlink():
            return path
        data = self._fetch_sample(voice)
        try:
            make_private_dir(self.cache_dir)
            atomic_write(path, data)
        except OSError as err:
            raise VoxroomError(f"Cannot keep the voice's sample in {self.cache_dir}: {err}.") from None
        try:
            _check_audio(path)
        except VoxroomError:
            path.unlink(missing_ok=True)
            raise
        return path

    def _fetch_sample(self, voice: SpeechVoice) -> bytes:
        try:
            response = self._voices.get_sample_audio(voice_id=voice.id)
        except Exception as err:
            raise self._failed(err, "Fetching the voice's sample") from None
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_SAMPLE_BYTES:
                    raise VoxroomError(
                        f"The voice's sample is larger than {MAX_SAMPLE_BYTES // (1024 * 1024)} MB; "
                        "Voxroom does not play it."
                    )
                chunks.append(chunk)
        except VoxroomError:
            raise
        except Exception as err:
            raise self._failed(err, "Fetching the voice's sample") from None
        finally:
            with contextlib.suppress(Exception):
                response.close()
        if not chunks:
            raise VoxroomError("The service sent no audio for that voice's sample.")
        return b"".join(chunks)

    def create(self, name: str, recording: Path, speaker: str) -> SpeechVoice:
        """A new voice from ``recording`` (one person speaking), made with ``speaker``'s consent: the
        caller has asked them; the voice's description states it and its tags carry
        :data:`CONSENT_TAG`."""
        name = bounded_line(name, NAME_CHARS)
        speaker = bounded_line(speaker, NAME_CHARS)
        if not name or not speaker:
            raise VoxroomError("Give the voice a name and say whose voice it is.")
        recording = Path(recording).expanduser()
        data = _reference_bytes(recording)
        try:
            made = self._voices.create(
                name=name,
                description=consent_statement(speaker),
                tags=[CONSENT_TAG],
                sample_audio=base64.b64encode(data).decode("ascii"),
                sample_filename=recording.name[-100:],
            )
        except Exception as err:
            raise self._failed(err, "Making the voice") from None
        voice = voice_from(made)
        if voice is None:
            raise BackendError("Making the voice failed: the service answered with an unusable voice id.")
        return voice

    def delete(self, voice: SpeechVoice) -> None:
        """Delete a voice made from a recording (its cached sample too)."""
        try:
            self._voices.delete(voice_id=voice.id)
        except Exception as err:
            raise self._failed(err, "Deleting the voice") from None
        (self.cache_dir / f"{_file_stem(voice.id)}.wav").unlink(missing_ok=True)

    def _failed(self, err: BaseException, what: str) -> VoxroomError:
        if isinstance(err, VoxroomError):
            return err
        error = self.connection.translate(err, "voices", what)
        if "the turn" in error.hint:  # there is no turn here
            error.hint = error.hint.replace("retry the turn", "try again").replace(
                "Retry the turn", "Try again"
            )
        return error


def _file_stem(voice_id: str) -> str:
    return hashlib.sha256(voice_id.encode("utf-8")).hexdigest()[:32]


def _check_audio(path: Path) -> None:
    from tui.audio.clip import load_clip

    try:
        clip = load_clip(path, max_seconds=MAX_SAMPLE_SECONDS)
    except VoxroomError:
        raise VoxroomError("The voice's sample is not audio Voxroom can play.") from None
    if clip.duration <= 0:
        raise VoxroomError("The voice's sample is empty.")


def _reference_bytes(path: Path) -> bytes:
    """The reference recording's bytes, checked: a readable audio file of one usable length."""
    from tui.audio.clip import load_clip

    if not path.is_file():
        raise AudioInputError(f"There is no recording at {path}.", hint="Give the path of an audio file.")
    if path.stat().st_size > MAX_REFERENCE_BYTES:
        raise AudioInputError(
            f"{path.name} is larger than {MAX_REFERENCE_BYTES // (1024 * 1024)} MB.",
            hint="Use a shorter recording (under two minutes).",
        )
    low, high = REFERENCE_SECONDS
    clip = load_clip(path, max_seconds=high)
    if clip.duration < low:
        raise AudioInputError(
            f"{path.name} lasts {clip.duration:.1f} s; a voice needs {low:g} s or more of one voice."
        )
    return path.read_bytes()
