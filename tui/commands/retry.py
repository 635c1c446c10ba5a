"""``voxroom retry SESSION``: run a failed turn again from its saved recording."""

from __future__ import annotations

import argparse
import json
import sys

from tui.commands import add_common, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retry", help="run a session's failed turn again from its recording")
    p.add_argument("session", help="session id or folder")
    p.add_argument("--turn", type=int, help="turn number (default: the last failed one)")
    p.add_argument("--no-play", action="store_true", help="do not play the reply")
    p.add_argument("--json", action="store_true", help="print the turn as JSON")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.backends import make_backends
    from tui.commands.playback import open_output
    from tui.commands.printing import PrintObserver
    from tui.retry import last_failed_turn, retry_turn
    from tui.sessions.store import SessionStore
    from tui.turn import TurnObserver

    settings = settings_from_args(args)
    store = SessionStore(settings.sessions_dir)
    session = store.open(args.session)
    turn = session.turn(args.turn) if args.turn else last_failed_turn(session)
    backends = make_backends(settings)
    sink = None if args.no_play else open_output(settings)
    observer = TurnObserver() if args.json else PrintObserver(sys.stdout)
    try:
        record = retry_turn(store, session, turn, backends.runner(settings), sink=sink, observer=observer)
    finally:
        if sink is not None:
            sink.close()
    if args.json:
        print(json.dumps(record.to_dict(), indent=2, ensure_ascii=False))
    if record.status == "failed":
        print(f"voxroom: turn {record.index} failed again: {record.error}", file=sys.stderr)
        return 1
    return 0
