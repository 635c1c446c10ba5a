"""``voxroom retry SESSION``: run a failed or interrupted turn again from its saved recording."""

from __future__ import annotations

import argparse
import sys

from tui.commands import add_common, settings_from_args
from tui.commands.turns import add_turn_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retry", help="run a session's failed turn again from its recording")
    p.add_argument("session", help="session id or folder, or sample:NAME (continued as a copy)")
    p.add_argument("--turn", type=int, help="turn number (default: the last failed or interrupted one)")
    add_turn_options(p)
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.backends import make_backends
    from tui.commands.turns import open_log, report_turn, run_turn
    from tui.sessions.store import SessionError, SessionStore

    settings = settings_from_args(args)
    store = SessionStore(settings.sessions_dir)
    backends = make_backends(settings)
    log = open_log(settings, store, backends, args.session, must_exist=True)
    job = log.retry_job(args.turn)
    if job is None:
        raise SessionError(
            f"Session {log.session_id} has no failed or interrupted turn to retry.",
            hint="Name one with --turn N to run a finished turn again.",
        )
    result, completed, signalled = run_turn(
        settings,
        backends,
        log,
        job.ref,
        job.clip,
        transcript=job.transcript,
        play=not args.no_play,
        quiet=args.json,
        retry=True,
    )
    return report_turn(
        result, completed, job.ref, log, backends, as_json=args.json, out=sys.stdout, signalled=signalled
    )
