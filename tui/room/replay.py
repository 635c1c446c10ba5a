"""Replaying a session through the room's player on its own thread (``voxroom-replay``), reporting
:class:`tui.events.ReplayProgress`. A part of :class:`tui.room.controller.Room`, which holds the state
these methods use. No Textual here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.events import ReplayProgress, RoomFailed
from tui.model import ReplayKind

if TYPE_CHECKING:
    from tui.sessions.replay import ReplayStep


class Replaying:
    """Plays a session's steps while the room is idle."""

    @property
    def replaying(self) -> bool:
        thread = self._replay_thread
        return thread is not None and thread.is_alive()

    def replay(self, steps: list[ReplayStep], *, speed: float = 1.0) -> bool:
        """Play a session's steps through the player, reporting :class:`ReplayProgress` so the UI can
        highlight the line being heard. False when the room is busy or already replaying."""
        from tui.sessions.replay import Replayer

        with self._lock:
            if self._busy_locked() or self.replaying or self._closed:
                return False
            replayer = Replayer(self.player, speed=speed)
            self._replayer = replayer

            def run() -> None:
                try:
                    replayer.play(steps, self._emit)
                except Exception as err:  # a broken file or device must not kill the thread silently
                    self._emit(RoomFailed(VoxroomError(f"The replay stopped: {err}.")))
                finally:
                    self._emit(ReplayProgress(0, ReplayKind.DONE))

            self._replay_thread = threading.Thread(target=run, name="voxroom-replay", daemon=True)
            self._replay_thread.start()
        return True

    def stop_replay(self) -> None:
        from tui.sessions.replay import Replayer

        replayer = self._replayer
        if isinstance(replayer, Replayer):
            replayer.stop()
        thread = self._replay_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
