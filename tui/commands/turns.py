"""What ``voxroom ask`` and ``voxroom retry`` share: open the session, run the turn, report it.

The saving itself is :mod:`tui.lifecycle`'s, exactly as in the app.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.backends import Backends
    from tui.config import Settings
    from tui.lifecycle import Completed, SessionLog, TurnRef
    from tui.model import Transcript
    from tui.sessions.store import SessionStore
    from tui.turn import TurnResult


def add_turn_options(parser: argparse.ArgumentParser) -> None:
    """The options of every command that runs a turn."""
    parser.add_argument("--no-play", action="store_true", help="do not play the reply")
    parser.add_argument("--json", action="store_true", help="print the turn as one JSON object at the end")


def open_log(
    settings: Settings, store: SessionStore, backends: Backends, ref: str | None, *, must_exist: bool = False
) -> SessionLog:
    """The session to save into: ``ref`` (a sample is continued as a copy), or a new one."""
    from tui.lifecycle import SessionLog, Speakers

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
) -> tuple[TurnResult, Completed]:
    """Run the turn ``ref`` (already saved as pending) and complete it in place."""
    from tui.commands.playback import open_output
    from tui.commands.printing import PrintObserver
    from tui.turn import TurnObserver

    sink = open_output(settings) if play else None
    observer = TurnObserver() if quiet else PrintObserver(sys.stdout)
    try:
        result = backends.runner(settings).run(
            clip,
            conversation_id=log.conversation_id,
            transcript=transcript,
            sink=sink,
            observer=observer,
            ended_at=ended_at,
            speakers=None if transcript is not None else log.identify_speakers,
        )
    finally:
        if sink is not None:
            sink.close()
    return result, log.complete(ref, result)


def report_turn(
    result: TurnResult,
    completed: Completed,
    log: SessionLog,
    backends: Backends,
    *,
    as_json: bool,
    out: TextIO,
    retried: int | None = None,
) -> int:
    """Print the outcome (JSON or the closing lines); the exit code: 1 when the turn failed."""
    from tui.model import STATUS_NOTES
    from tui.text import dump_json

    record = completed.record
    if as_json:
        if retried is not None and record is not None:
            payload = record.to_dict()
        else:
            payload = result.to_dict()
            payload["turn"] = record.index if record is not None else None
        payload["session_id"] = log.session_id
        payload["backend"] = backends.label
        payload["models"] = dict(backends.models)
        out.write(dump_json(payload) + "\n")
    elif result.status in STATUS_NOTES:
        out.write(f"({STATUS_NOTES[result.status]}.)\n")
        if result.status == "no-agent":
            from tui.agent.base import NoAgent

            print(f"voxroom: {NoAgent.MESSAGE}", file=sys.stderr)
    if completed.problem is not None:
        print(f"voxroom: {completed.problem}", file=sys.stderr)
    if not as_json and completed.record is not None:
        print(f"Saved in session {log.session_id}.", file=sys.stderr)
    if result.status == "failed":
        if retried is not None:
            print(f"voxroom: turn {retried} failed again: {result.error}", file=sys.stderr)
        elif as_json:
            print(f"voxroom: {result.error}", file=sys.stderr)
        return 1
    return 0
