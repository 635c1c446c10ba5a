"""What ``voxroom ask`` and ``voxroom retry`` share: open the session, run the turn, report it.

The turn is run and saved by :func:`tui.complete.complete_turn`, exactly as in the app's room, and
printed from its events (:class:`tui.commands.printing.TurnPrinter`).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.backends import Backends
    from tui.config import Settings
    from tui.lifecycle import SessionLog
    from tui.model import Transcript
    from tui.sessions.store import SessionStore
    from tui.turn import TurnResult, TurnRunner
    from tui.turnlog import Completed, TurnRef


def add_turn_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that runs a turn."""
    parser.add_argument("--no-play", action="store_true", help="do not play the reply")
    parser.add_argument("--json", action="store_true", help="print the turn as one JSON object at the end")


def open_log(
    settings: Settings, store: SessionStore, backends: Backends, ref: str | None, *, must_exist: bool = False
) -> SessionLog:
    """The session to save into: ``ref`` (a sample is continued as a copy), or a new one."""
    from tui.lifecycle import SessionLog
    from tui.voices import Speakers

    speakers = Speakers.from_settings(settings)
    if ref:
        return SessionLog.open(store, ref, backends, speakers)
    assert not must_exist, "a session reference is required"
    return SessionLog.new(store, backends, speakers)


def run_turn(
    settings: Settings,
    backends: Backends,
    log: SessionLog,
    ref: TurnRef,
    clip: Clip,
    *,
    transcript: Transcript | None = None,
    play: bool = True,
    quiet: bool = False,
    ended_at: float | None = None,
    retry: bool = False,
) -> tuple[TurnResult, Completed, int | None]:
    """Run the turn ``ref`` (already saved as pending) and complete it in place, printing it.

    SIGINT or SIGTERM while it runs stops it: it is saved ``interrupted`` with what was received, and
    the signal's number is the third value (``None`` without one)."""
    from tui.commands.playback import open_output
    from tui.commands.printing import TurnPrinter
    from tui.complete import complete_turn

    runner = backends.runner(settings)
    sink = open_output(settings) if play else None
    with stop_on_signals(runner) as caught:
        try:
            result, completed = complete_turn(
                runner,
                log,
                ref,
                clip,
                emit=TurnPrinter(sys.stdout, quiet=quiet),
                sink=sink,
                ended_at=ended_at,
                saved=transcript,
                retry=retry,
            )
        finally:
            if sink is not None:
                sink.close()
    return result, completed, caught[0] if caught else None


@contextlib.contextmanager
def stop_on_signals(runner: TurnRunner) -> Iterator[list[int]]:
    """While the block runs, SIGINT and SIGTERM stop the turn (:meth:`TurnRunner.stop`) instead of
    killing the process; the list holds the first signal caught. A signal while the turn is saved
    only marks it stopped: the save finishes."""
    from tui.turn import TurnStopped

    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if runner.stop(f"Stopped by {name}"):
            caught.append(signum)
            if runner.running:
                raise TurnStopped(f"Stopped by {name}")

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def turn_json(
    result: TurnResult, completed: Completed, ref: TurnRef, log: SessionLog, backends: Backends
) -> Any:
    """The one ``--json`` shape of ``ask`` and ``retry``: the turn as saved in the session (the
    session file's turn object) plus ``session_id``, ``conversation_id`` and ``backend``."""
    from tui.sessions.model import TurnRecord

    record = completed.record
    if record is None:  # not saved: the same shape, from what the turn received
        record = TurnRecord.from_result(result, None, 0.0)
        record.index = ref.index
        record.models = dict(backends.models)
    payload = record.to_dict()
    payload["session_id"] = log.session_id
    payload["conversation_id"] = log.conversation_id
    payload["backend"] = backends.label
    return payload


def report_turn(
    result: TurnResult,
    completed: Completed,
    ref: TurnRef,
    log: SessionLog,
    backends: Backends,
    *,
    as_json: bool,
    out: TextIO,
    signalled: int | None = None,
) -> int:
    """Print the outcome (JSON or the closing lines); the exit code: 1 when the turn failed or could
    not be saved (failures were already printed from the turn's events), 128 + the signal's number
    when a signal stopped it."""
    from tui.model import STATUS_NOTES, TurnStatus
    from tui.text import dump_json

    if as_json:
        out.write(dump_json(turn_json(result, completed, ref, log, backends)) + "\n")
    elif result.status in STATUS_NOTES:
        out.write(f"({STATUS_NOTES[TurnStatus(result.status)]}.)\n")
        if result.status == TurnStatus.NO_AGENT:
            from tui.agent.base import NoAgent

            print(f"voxroom: {NoAgent.MESSAGE}", file=sys.stderr)
    if not as_json and completed.saved:
        print(f"Saved in session {log.session_id}.", file=sys.stderr)
    if signalled is not None:
        print(
            f"voxroom: stopped by {signal.Signals(signalled).name}; what was received is saved: "
            f"run 'voxroom retry {log.session_id}' to finish the turn.",
            file=sys.stderr,
        )
        return 128 + signalled
    return 1 if result.status == TurnStatus.FAILED or not completed.saved else 0
