"""``voxroom notes``: take notes of the meeting from the terminal, through the same meeting layer as
the app's ``n`` (:meth:`tui.meeting.Meeting.toggle_notes`): the room is recorded as notes turns,
transcribed and matched to the session's people, and nothing is asked of the agent. The notes' lines
are printed as each part is transcribed; Enter, Ctrl-C, SIGTERM or ``--seconds`` stops them."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from typing import TYPE_CHECKING

from tui.commands import add_common, settings_from_args, whole_number

if TYPE_CHECKING:
    from tui.room.events import RoomEvent

POLL_S = 0.5
"""How often the notes' length limit is checked (a long notes recording is cut into turns)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "notes",
        help="take notes of the meeting: record, transcribe with who spoke; nothing goes to the agent",
        description="Records the room as notes turns of a session (a new one, or SESSION with --session), "
        "transcribed and matched to the session's people; nothing is asked of the agent. The lines are "
        "printed as each part is transcribed. Enter (on a terminal), Ctrl-C or --seconds stops them.",
    )
    p.add_argument("--session", metavar="SESSION", help="continue this session (id, unique prefix or folder)")
    p.add_argument("--seconds", type=whole_number(1, 86_400), help="stop after this many seconds")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.errors import VoxroomError
    from tui.meeting import Meeting
    from tui.meeting.values import OpenMode

    settings = settings_from_args(args)
    meeting = Meeting(settings)
    printer = _Printer()
    meeting.subscribe(printer)
    stop = threading.Event()
    previous = _on_signals(stop)
    try:
        meeting.start()
        room = meeting.room
        if room is None or room.recorder is None:
            raise VoxroomError(
                "No microphone could be opened, so no notes can be taken.",
                hint="Check 'voxroom devices' and choose one with --input-device.",
            )
        if args.session:
            meeting.open(args.session, OpenMode.CONTINUE)
        meeting.toggle_notes()
        if not room.notes_on:
            raise VoxroomError("Notes could not start: see the message above.")
        session = room.log.session_id
        print(f"Taking notes in session {session}; press Enter or Ctrl-C to stop.", file=sys.stderr)
        if sys.stdin is not None and sys.stdin.isatty():
            threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
        waited = 0.0
        while not stop.wait(POLL_S):
            waited += POLL_S
            room.check_auto_stop()
            if args.seconds is not None and waited >= args.seconds:
                break
        meeting.toggle_notes()
        room.wait_idle(settings.deadline_s)
        print(f"Notes saved in session {session}.", file=sys.stderr)
        if printer.failed:
            print(
                f"Some notes were not transcribed; run 'voxroom retry {session}' to transcribe them.",
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        meeting.close()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)


class _Printer:
    """The meeting's events as lines: the notes' transcript on stdout, the rest on stderr."""

    def __init__(self) -> None:
        self.notes: set[int] = set()
        self.names: dict[str, str] = {}
        self.failed = False
        self._lock = threading.Lock()

    def __call__(self, event: RoomEvent) -> None:
        from tui.meeting.events import MeetingReady, Notice, Problem
        from tui.model import TurnKind
        from tui.room.events import (
            NotesChanged,
            PeopleChanged,
            RecordingStarted,
            RoomFailed,
            TranscriptReady,
            TranscriptRevised,
        )
        from tui.text import clean

        with self._lock:
            if isinstance(event, RecordingStarted) and event.kind == TurnKind.NOTES:
                self.notes.add(event.turn)
            elif isinstance(event, PeopleChanged):
                self.names = dict(event.names)
            elif isinstance(event, (TranscriptReady, TranscriptRevised)) and event.turn in self.notes:
                if not event.transcript.provisional:
                    for line in event.transcript.lines(self.names):
                        print(" ".join(clean(line).split()), flush=True)
            elif isinstance(event, NotesChanged) and event.people:
                heard = ", ".join(" ".join(clean(self.names.get(p, p)).split()) for p in event.people)
                print(f"heard: {heard}", file=sys.stderr, flush=True)
            elif isinstance(event, RoomFailed):
                self.failed = self.failed or event.retryable
                print(" ".join(clean(str(event.error)).split()), file=sys.stderr, flush=True)
            elif isinstance(event, MeetingReady):
                for problem in event.problems:
                    print(" ".join(clean(str(problem)).split()), file=sys.stderr, flush=True)
            elif isinstance(event, Problem):
                print(" ".join(clean(str(event.error)).split()), file=sys.stderr, flush=True)
            elif isinstance(event, Notice) and event.severity != "information":
                print(" ".join(clean(event.message).split()), file=sys.stderr, flush=True)


def _on_signals(stop: threading.Event) -> dict[int, object]:
    """Ctrl-C and SIGTERM stop the notes (the last part is still saved and transcribed)."""
    previous: dict[int, object] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, lambda _signum, _frame: stop.set())
    return previous
