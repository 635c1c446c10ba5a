"""Deliberate taps: DeliberateTap (key down/up, the global listener) and TerminalTap (key down only, a
window), driven by an injected clock and scheduler so nothing waits on real time."""

from __future__ import annotations

from collections.abc import Callable

from tui.trigger import DeliberateTap, TerminalTap, Trigger


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Scheduler:
    """Holds the scheduled callbacks; ``advance()`` moves the clock and runs the ones due."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.pending: list[tuple[float, Callable[[], None], list[bool]]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        cancelled = [False]
        self.pending.append((self.clock.t + delay, callback, cancelled))
        return lambda: cancelled.__setitem__(0, True)

    @property
    def live(self) -> int:
        return sum(1 for _, _, c in self.pending if not c[0])

    def advance(self, seconds: float) -> None:
        self.clock.t += seconds
        due = [p for p in self.pending if p[0] <= self.clock.t]
        self.pending = [p for p in self.pending if p[0] > self.clock.t]
        for _, callback, cancelled in due:
            if not cancelled[0]:
                callback()


def deliberate(clock: Clock) -> tuple[DeliberateTap, list[str]]:
    taps: list[str] = []
    return DeliberateTap(lambda: taps.append("tap"), "shift_r", hold_limit_s=0.6, clock=clock), taps


def test_a_lone_tap_counts_once_on_release() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("shift_r")
    assert taps == [] and tap.down
    clock.t += 0.09
    assert tap.release("shift_r")
    assert taps == ["tap"] and tap.taps == 1 and not tap.down
    assert tap.last_hold_s is not None and abs(tap.last_hold_s - 0.09) < 1e-9


def test_another_key_while_down_cancels() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("shift_r")
    tap.press("a")  # typing a capital
    tap.release("a")
    assert not tap.release("shift_r")
    assert taps == [] and tap.cancelled == 1
    tap.press("shift_r")  # the next lone tap is clean again
    assert tap.release("shift_r") and taps == ["tap"]


def test_a_key_released_while_down_cancels() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("a")
    tap.press("shift_r")
    tap.release("a")
    assert not tap.release("shift_r") and taps == []


def test_a_key_still_held_when_the_trigger_goes_down_cancels() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("ctrl_l")  # held through the whole tap: a chord, not a tap
    tap.press("shift_r")
    assert not tap.release("shift_r") and taps == []
    tap.release("ctrl_l")
    tap.press("shift_r")
    assert tap.release("shift_r") and taps == ["tap"]


def test_a_missed_release_does_not_disable_the_trigger_forever() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("a")  # its release never reaches us
    clock.t += 1.0
    tap.press("shift_r")
    assert not tap.release("shift_r")  # "a" may still be held: a chord
    clock.t += 1.5
    tap.press("shift_r")
    assert tap.release("shift_r") and taps == ["tap"]


def test_a_key_released_under_another_name_is_still_released() -> None:
    clock = Clock()
    taps: list[str] = []
    tap = DeliberateTap(lambda: taps.append("tap"), "shift_r", clock=clock, normalise=str.lower)
    tap.press("shift_r")
    tap.press("H")  # typed with Right Shift...
    tap.release("shift_r")
    tap.release("h")  # ...which was let go first, so the release is reported as "h"
    assert taps == [] and tap.cancelled == 1
    tap.press("shift_r")  # nothing is held now: the next lone tap counts at once
    assert tap.release("shift_r") and taps == ["tap"]


def test_held_past_the_limit_never_counts() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("shift_r")
    clock.t += 0.61
    assert not tap.release("shift_r")
    tap.press("shift_r")
    clock.t += 0.55
    assert tap.release("shift_r")
    assert taps == ["tap"] and tap.cancelled == 1


def test_auto_repeat_downs_keep_the_first_down_time() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    tap.press("shift_r")
    for _ in range(20):
        clock.t += 0.05
        tap.press("shift_r")
    assert not tap.release("shift_r") and taps == []  # held 1 s in all


def test_a_release_without_a_down_is_ignored() -> None:
    clock = Clock()
    tap, taps = deliberate(clock)
    assert not tap.release("shift_r") and taps == [] and tap.cancelled == 0


def terminal(clock: Clock, **kwargs: object) -> tuple[TerminalTap, Scheduler, list[str]]:
    scheduler = Scheduler(clock)
    taps: list[str] = []
    tap = TerminalTap(lambda: taps.append("tap"), window_s=0.25, schedule=scheduler, clock=clock, **kwargs)  # type: ignore[arg-type]
    return tap, scheduler, taps


def test_terminal_right_shift_alone_counts_when_the_window_expires() -> None:
    clock = Clock()
    tap, scheduler, taps = terminal(clock)
    tap.key("right_shift")
    assert tap.pending
    scheduler.advance(0.249)
    assert taps == [] and tap.pending
    scheduler.advance(0.001)
    assert taps == ["tap"] and not tap.pending and tap.taps == 1
    assert tap.last_latency_s is not None and abs(tap.last_latency_s - 0.25) < 1e-9


def test_terminal_another_key_in_the_window_cancels() -> None:
    clock = Clock()
    tap, scheduler, taps = terminal(clock)
    tap.key("right_shift")
    scheduler.advance(0.004)  # kitty: ESC[57447u, then ESC[97;2;65u in the same write
    tap.key("A")
    assert not tap.pending and tap.cancelled == 1 and scheduler.live == 0
    scheduler.advance(1.0)
    assert taps == []
    tap.key("question_mark")  # no window open: nothing to cancel
    assert tap.cancelled == 1


def test_terminal_right_shift_right_after_another_key_is_a_chord() -> None:
    clock = Clock()
    tap, scheduler, taps = terminal(clock)
    tap.key("left_control")  # Ctrl+Shift (a layout switch), Ctrl first
    scheduler.advance(0.1)
    assert not tap.quiet()
    tap.key("right_shift")
    assert not tap.pending and tap.cancelled == 1 and scheduler.live == 0
    scheduler.advance(0.15)
    assert tap.quiet()
    tap.key("right_shift")  # a quarter of a second of quiet before it: a tap
    scheduler.advance(0.25)
    assert taps == ["tap"]


def test_terminal_a_key_after_the_window_is_too_late() -> None:
    clock = Clock()
    tap, scheduler, taps = terminal(clock)
    tap.key("right_shift")
    scheduler.advance(0.3)
    tap.key("A")
    assert taps == ["tap"] and tap.cancelled == 0


def test_terminal_a_second_right_shift_rearms_the_window() -> None:
    clock = Clock()
    tap, scheduler, taps = terminal(clock)
    tap.key("right_shift")
    scheduler.advance(0.2)
    tap.key("right_shift")
    scheduler.advance(0.2)  # the first window's time has passed: it was replaced
    assert taps == [] and scheduler.live == 1
    scheduler.advance(0.05)
    assert taps == ["tap"]


def test_terminal_expiry_while_suspended_is_dropped() -> None:
    clock = Clock()
    suspended = [True]
    tap, scheduler, taps = terminal(clock, suspended=lambda: suspended[0])
    tap.key("right_shift")
    scheduler.advance(0.25)
    assert taps == [] and tap.dropped == 1
    suspended[0] = False
    tap.key("right_shift")
    scheduler.advance(0.25)
    assert taps == ["tap"]


def test_terminal_defers_to_a_source_that_saw_the_same_press() -> None:
    clock = Clock()
    seen: list[float] = []
    tap, scheduler, taps = terminal(clock, superseded=lambda at: seen.append(at) or True)
    tap.key("right_shift")
    armed = clock.t
    scheduler.advance(0.25)
    assert taps == [] and seen == [armed] and tap.dropped == 1


def test_terminal_cancel_without_a_window_is_a_no_op() -> None:
    clock = Clock()
    tap, _scheduler, _taps = terminal(clock)
    assert not tap.cancel() and tap.cancelled == 0


def test_terminal_tap_with_real_timers_feeds_the_trigger() -> None:
    import threading

    toggled = threading.Event()
    trigger = Trigger(lambda source: toggled.set(), debounce_s=0)
    tap = TerminalTap(lambda: trigger.press("terminal"), window_s=0.01)
    tap.key("right_shift")
    assert toggled.wait(5)
    assert [p.source for p in trigger.history] == ["terminal"]


def test_a_suspended_trigger_refuses_every_source() -> None:
    sources: list[str] = []
    trigger = Trigger(sources.append, debounce_s=0)
    trigger.suspended = True
    assert trigger.suspended
    assert not trigger.press("global") and not trigger.press("terminal")
    assert sources == [] and trigger.refused == 2 and trigger.presses == 0
    trigger.suspended = False
    assert trigger.press("global") and sources == ["global"]
