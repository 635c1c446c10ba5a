"""``voxroom minutes SESSION``: the agent writes the session's minutes; they are saved with it and printed."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui.commands import add_common, add_out_option, settings_from_args
from tui.text import plural

FORMATS = ("md", "json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "minutes",
        help="the agent writes a session's minutes (summary, decisions, action items, open questions)",
        description="Sends the session's transcript (by person name, with times) to the agent, saves the "
        "minutes it writes in the session (running it again replaces them) and prints them. SESSION is "
        "an id, a unique prefix of one, or a session folder path.",
    )
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--format", "-f", choices=FORMATS, default="md", help="output format (default md)")
    add_out_option(p, "write here (private, mode 0600) instead of standard output")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.minutes import ask_minutes
    from tui.outputs import check_output_path, write_private_output
    from tui.sessions.export import REDACTED, minutes_document

    out = Path(args.out) if args.out and args.out != "-" else None
    if out is not None:
        out = check_output_path(out, force=args.force)  # before any work
    settings = settings_from_args(args)
    session, minutes = ask_minutes(settings, args.session)
    text = minutes_document(session, minutes, args.format)
    for secret in (settings.api_key.reveal(), os.environ.get("MISTRAL_API_KEY", "")):
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    saved = f"Saved the minutes in session {session.id} ({plural(len(minutes.actions), 'action item')})"
    if out is not None:
        write_private_output(out, text, force=args.force)
        print(f"{saved}; wrote {out} ({args.format}).", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"{saved}.", file=sys.stderr)
    return 0
