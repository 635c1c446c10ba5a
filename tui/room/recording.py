"""Starting and stopping the room's recording: the turn is saved as ``pending`` when the recording
starts (naming its file), the live transcription is fed while it runs, and the stopped turn is queued.
A part of :class:`tui.room.controller.Room`, which holds the state these methods use. No Textual here.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from tui.errors import AudioDeviceError, VoxroomError
from tui.events import RecordingStarted, RecordingStopped, RoomFailed, RoomNotice, SessionChanged
from tui.model import TurnKind, TurnStatus
from tui.room.live import caption_on, stop_live
from tui.room.turns import PendingTurn
from tui.turnlog import ScratchLog

if TYPE_CHECKING:
    from tui.speculate import Speculator
    from tui.stt.base import LiveTranscription
    from tui.turnlog import TurnRef

CLOSED_WHILE_RECORDING = "Voxroom was closed while this turn was being recorded; retry it to get an answer."
CLOSED_WHILE_TAKING_NOTES = (
    "Voxroom was closed while these notes were being recorded; retry them to transcribe them."
)


class Recording:
    """Starts and stops the recording on the room's thread."""

    def _start_recording(self, kind: TurnKind = TurnKind.QUESTION) -> None:
        if self.recorder is None:
            self._emit(
                RoomFailed(
                    AudioDeviceError(
                        "No microphone is available, so Voxroom cannot record.",
                        hint="Connect one and choose it with 'Choose devices' (ctrl+p).",
                    )
                )
            )
            return
        try:
            path = self.log.recording_path()
        except VoxroomError as err:
            self._fall_back_to_scratch(err)
            path = self.log.recording_path()
        live = self._start_live()
        try:
            self.recorder.start(path)
        except Exception as err:  # PortAudio raises its own types too
            stop_live(live)
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:  # the reserved name: nothing was recorded into it
                    path.unlink()
            error = (
                err
                if isinstance(err, VoxroomError)
                else AudioDeviceError(f"Recording could not start: {err}.")
            )
            self._emit(RoomFailed(error))
            return
        try:
            ref = self.log.begin(path, kind=kind)
        except VoxroomError as err:  # the data dir went away: keep recording, keep turns in memory
            self._fall_back_to_scratch(err)
            ref = self.log.begin(path, kind=kind)
        self._recording = ref
        self._recording_since = self.clock()
        self._live = live
        if live is not None:
            caption_on(live, ref.index, self._emit)
        self._early = self._start_early(live, ref) if kind == TurnKind.QUESTION else None
        self._emit(RecordingStarted(ref.index, self.recorder.device_name, kind))
        self._update_state()

    def _stop_recording(self) -> None:
        assert self.recorder is not None and self._recording is not None
        ref = self._recording
        seconds = self.elapsed()
        ended_at = time.perf_counter()
        self._recording, self._recording_since = None, None
        live, self._live = self._live, None
        early, self._early = self._early, None
        if early is not None and live is not None:
            # The press: ask early on the live text so far unless that is what is held already.
            so_far = live.so_far()  # type: ignore[attr-defined]
            if so_far is not None:
                early.ask(so_far)
        try:
            # A lazy clip: on disk as 16 kHz FLAC, never loaded whole. The live transcription is fed
            # until the recorder has written its last block (the end of what was said).
            clip = self.recorder.stop(load=False)
        except VoxroomError as err:
            stop_live(live)
            if early is not None:
                early.close()
            self._emit(RoomFailed(err, ref.index))
            self._update_state()
            return
        finally:
            self.recorder.on_audio = None
        duration = clip.duration or seconds
        try:
            self.log.recorded(ref, duration)
        except VoxroomError as err:
            self._emit(RoomFailed(err, ref.index))
        self._emit(RecordingStopped(ref.index, duration))
        self._enqueue(PendingTurn(ref, clip, ended_at, live=live, early=early, log=self.log))

    def _keep_unfinished_recording(self) -> None:
        """At close: finish the file and save the turn as interrupted (retry it later)."""
        assert self.recorder is not None and self._recording is not None
        ref = self._recording
        self._recording, self._recording_since = None, None
        stop_live(self._live)
        self._live = None
        if self._early is not None:
            self._early.close()
            self._early = None
        self.recorder.on_audio = None
        try:
            clip = self.recorder.stop(load=False)
        except VoxroomError:
            return  # the .partial file stays for start-up recovery
        from tui.turn import TurnResult

        with contextlib.suppress(VoxroomError):
            self.log.recorded(ref, clip.duration)
            why = CLOSED_WHILE_TAKING_NOTES if ref.kind == TurnKind.NOTES else CLOSED_WHILE_RECORDING
            self.log.complete(ref, TurnResult(status=TurnStatus.INTERRUPTED, error=why))

    def _start_live(self) -> LiveTranscription | None:
        if self.live is None or self.recorder is None:
            return None
        try:
            live = self.live(self.log.references())
        except VoxroomError as err:
            self._emit(RoomNotice(f"{err.message} The recording will be transcribed when it stops."))
            return None
        if live is not None:
            self.recorder.on_audio = live.feed
        return live

    def _start_early(self, live: LiveTranscription | None, ref: TurnRef) -> Speculator | None:
        """The recording's early answers, when its live transcription says when the turn ends
        (realtime turn detection) and the runner answers early (see :mod:`tui.speculate`)."""
        if live is None or not getattr(live, "turn_detection", False) or not hasattr(live, "so_far"):
            return None
        early = self.runner.speculator(
            lambda: self.log.conversation_id, self._free_for_early, lambda: self.log.notes_before(ref)
        )
        if early is not None:
            live.on_turn = early.on_turn  # type: ignore[attr-defined]
        return early

    def _free_for_early(self) -> bool:
        """No other turn is being answered or waits: the conversation is as the next turn finds it.
        Read without the room's lock: the recorder's thread asks, and the room holds that lock while
        it stops the recorder (which waits for that thread)."""
        return self._active is None and self._pending == 0 and not self._closed

    def _fall_back_to_scratch(self, err: VoxroomError) -> None:
        self._emit(
            RoomFailed(
                VoxroomError(
                    f"{err.message.rstrip('.')}; turns are kept only until Voxroom closes.",
                    hint="Free some disk space or fix the data folder, then start a new session (ctrl+n).",
                )
            )
        )
        self.log = ScratchLog()
        self._emit(SessionChanged(self.log.name, saved=False))
