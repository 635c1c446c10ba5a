"""Errors Voxroom shows to people: one short sentence, plus what to do about it."""

from __future__ import annotations

from tui.redact import scrub


class VoxroomError(Exception):
    """Base error. ``str(err)`` is one sentence fit for the screen; ``hint`` says what to do.

    Message and hint are scrubbed of secrets here (:func:`tui.redact.scrub`), once for every error.
    """

    step: str = "voxroom"

    def __init__(self, message: str, *, hint: str = "", step: str | None = None) -> None:
        message, hint = scrub(message), scrub(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint
        if step is not None:
            self.step = step

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class ConfigError(VoxroomError):
    step = "config"


class AudioInputError(VoxroomError):
    """A file or recording that cannot be used (missing, empty, silent, too short, not audio)."""

    step = "audio"


class AudioDeviceError(VoxroomError):
    step = "audio-device"


class BackendError(VoxroomError):
    """A service or local model failed. ``retryable`` tells whether trying again may help."""

    step = "backend"

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        step: str | None = None,
        status: int | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message, hint=hint, step=step)
        self.status = status
        self.retryable = retryable


class TranscriptionError(BackendError):
    step = "transcription"


class AgentError(BackendError):
    step = "agent"


class SpeechError(BackendError):
    """``refused``: the service's moderation refused this text (HTTP 403); the rest can still be spoken."""

    step = "speech"
    refused: bool = False


class ModelLoadError(BackendError):
    step = "model"
