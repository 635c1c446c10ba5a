"""Helpers shared by the tests: a collector of room events that a test can wait on, and the Pilot
steps every app test takes (wait for a condition, type a text, record one turn)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.room import IDLE, RECORDING, RoomEvent, StateChanged, TranscriptReady, TurnFinished

if TYPE_CHECKING:
    from tui.app import VoxroomApp


class RoomEvents:
    """A room's listener (``Room(listener=events)`` or ``room.subscribe(events)``) that keeps every
    event, in order, and lets a test on any thread wait for one."""

    def __init__(self) -> None:
        self.items: list[RoomEvent] = []
        self.finished: list[TurnFinished] = []
        """The finished turns, oldest first (the same list all along: a test may hold it)."""
        self.transcripts: dict[int, Any] = {}
        """Turn number -> the transcript its :class:`TranscriptReady` carried."""
        self._cond = threading.Condition()

    def __call__(self, event: RoomEvent) -> None:
        with self._cond:
            self.items.append(event)
            if isinstance(event, TurnFinished):
                self.finished.append(event)
            elif isinstance(event, TranscriptReady):
                self.transcripts[event.turn] = event.transcript
            self._cond.notify_all()

    def wait(self, match: Callable[[RoomEvent], bool], timeout: float = 15.0) -> RoomEvent:
        """The first event that ``match`` accepts, waiting up to ``timeout`` s for it (or fail)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: any(match(e) for e in self.items), timeout)
            assert ok, f"no matching event within {timeout} s; got {[type(e).__name__ for e in self.items]}"
            return next(e for e in self.items if match(e))

    def wait_finished(self, count: int, timeout: float = 120.0) -> TurnFinished:
        """The ``count``-th finished turn (1-based), waiting up to ``timeout`` s for it (or fail)."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.finished) >= count, timeout)
            assert ok, f"turn {count} did not finish within {timeout} s ({len(self.finished)} did)"
            return self.finished[count - 1]

    def of(self, kind: type) -> list[Any]:
        with self._cond:
            return [e for e in self.items if isinstance(e, kind)]

    @property
    def states(self) -> list[str]:
        """The states the room went through (a change of the queue length alone is not a new state)."""
        out: list[str] = []
        for e in self.of(StateChanged):
            if not out or out[-1] != e.state:
                out.append(e.state)
        return out


async def wait_until(pilot: object, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``predicate()`` holds (checked between frames), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.02)  # type: ignore[attr-defined]


async def type_text(pilot: object, text: str) -> None:
    """Type ``text`` as a quick typist would: each character's key event, in order, into the app's
    queue (Pilot's ``press`` waits for the app to go idle after every key, about 0.1 s each), the last
    one through ``press`` so that it returns, as ``press(*text)`` does, once the app is idle after it."""
    from textual import events
    from textual.keys import _character_to_key

    assert text, "nothing to type"
    app = pilot.app  # type: ignore[attr-defined]
    for char in text[:-1]:
        app.post_message(events.Key(char if char.isalnum() else _character_to_key(char), char))
    await pilot.press(text[-1])  # type: ignore[attr-defined]


async def record_one_turn(pilot: object, app: VoxroomApp, *, expect: int | None = None) -> None:
    """Press the fallback key, let the file "play", press again, and wait until the app has handled
    the turn's events (``expect`` finished turns in all, by default one more) and the room is idle."""
    target = app.main.turns_finished + 1 if expect is None else expect
    await pilot.press("space")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: app.main.recording_pane.state == RECORDING)
    await pilot.press("space")  # type: ignore[attr-defined]
    await wait_until(
        pilot, lambda: app.main.turns_finished >= target and app.main.recording_pane.state == IDLE
    )
