"""A level preview: the live level of one input device, to test a microphone before a meeting.

It is the room's capture (:meth:`tui.audio.capture.Recorder.listen`) on the device being looked at:
the same PortAudio stream and :class:`~tui.audio.meter.LevelMeter`, but every block is measured and
dropped, so nothing is recorded and nothing reaches the disk. It runs only while someone asked for
it (the devices dialog is open) and on one device at a time: choosing another closes the first.
"""

from __future__ import annotations

import contextlib
import threading

from tui.audio.capture import Recorder
from tui.audio.meter import LevelSnapshot
from tui.errors import VoxroomError

SILENCE = LevelSnapshot()
CANNOT_OPEN = "This microphone could not be opened."


class LevelPreview:
    """One input device's live level at a time. :meth:`listen` may block (it opens the device): call
    it from a worker thread; :attr:`level` never blocks. Once :meth:`close` ran, nothing opens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorder: Recorder | None = None
        self._closed = False
        self.device: str | None = None
        """The device listened to (``""`` = the system default), ``None`` when none is open."""

    @property
    def level(self) -> LevelSnapshot:
        recorder = self._recorder
        return recorder.meter.snapshot() if recorder is not None else SILENCE

    @property
    def listening(self) -> bool:
        recorder = self._recorder
        return recorder is not None and recorder.listening

    def listen(self, device: str) -> str:
        """Listen to ``device`` (a name, ``""`` for the system default) instead of the one before.
        Returns ``""``, or one sentence saying why it could not be opened."""
        with self._lock:
            self._stop()
            if self._closed:
                return ""
            recorder = Recorder(device or None)
            try:
                recorder.listen()
            except VoxroomError as err:
                return err.message
            except Exception:  # PortAudio missing or broken: said plainly, never as a traceback
                return CANNOT_OPEN
            self._recorder, self.device = recorder, device
            return ""

    def stop(self) -> None:
        """Close the device listened to (a later :meth:`listen` opens one again)."""
        with self._lock:
            self._stop()

    def close(self) -> None:
        """Close the device for good: the asker (the dialog) has gone."""
        with self._lock:
            self._closed = True
            self._stop()

    def _stop(self) -> None:
        recorder, self._recorder, self.device = self._recorder, None, None
        if recorder is not None:
            with contextlib.suppress(Exception):  # a device gone away: it is closed all the same
                recorder.stop_listening()
