"""`voxroom sessions`: list, show, search, delete, export, rename (a title), and name or merge speakers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.commands import add_common, add_out_option, settings_from_args, whole_number
from tui.errors import VoxroomError
from tui.text import dump_json, plural

FORMAT_ALIASES = {"text": "txt"}
"""Other spellings of an export format (``transcribe --format`` says ``text``)."""

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.sessions.store import SessionStore


def _store(args: argparse.Namespace) -> tuple[SessionStore, Settings]:
    from tui.sessions.store import SessionStore

    settings = settings_from_args(args)
    return SessionStore(settings.sessions_dir), settings


def _secrets(settings: Settings) -> list[str]:
    from tui.outputs import export_secrets

    return export_secrets(settings)


def cmd_list(args: argparse.Namespace) -> int:
    from tui.sessions.model import format_created, format_duration, single_line

    store, _ = _store(args)
    store.clean_up()  # sessions nobody spoke in, untouched for a day: removed before listing
    listing = store.list()
    shown = listing.filter(args.filter or "")
    if args.json:
        print(dump_json([s.to_dict() for s in shown]))
    elif not shown:
        print("No sessions yet." if not listing.sessions else "No session matches.")
    else:
        for s in shown:  # one line per session, whatever its title, names or words hold
            title = single_line(s.title) or "(untitled)"
            first = single_line(s.first_line)
            mark = f"[{s.status}] " if s.status else ""
            print(
                f"{single_line(s.id)}  {format_created(s.created)}  {format_duration(s.duration):>8}  "
                f"{s.turns:>3} turn{'s' if s.turns != 1 else ' '}  {mark}{title}"
                + (f"  — {first[:60]}" if first else "")
            )
    for broken in listing.broken:
        print(f"voxroom: {single_line(broken.reason)}", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from tui.sessions.export import export_session

    store, settings = _store(args)
    session = store.open(args.session)
    for problem in session.problems:
        print(f"voxroom: {problem}", file=sys.stderr)
    sys.stdout.write(export_session(session, "txt", secrets=_secrets(settings)))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from tui.sessions.model import format_duration, single_line

    store, _ = _store(args)
    text = " ".join(args.text)
    hits = store.search(text, limit=args.limit)
    if args.json:
        print(dump_json([h.to_dict() for h in hits]))
        return 0 if hits else 1
    if not hits:
        print(f"Nothing found for {text!r}.")
        return 1
    for hit in hits:
        at = f" at {format_duration(hit.start)}" if hit.start is not None else ""
        print(
            f"{single_line(hit.session_id)} turn {hit.turn}{at}  "
            f"{single_line(hit.speaker)}: {single_line(hit.snippet)}"
        )
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from tui.sessions.store import SessionError

    store, _ = _store(args)
    folder, read_only = store.resolve(args.session)  # a prefix works; a broken session can go too
    if read_only or folder.parent.resolve() != store.root.resolve():
        raise VoxroomError(f"Session {folder.name} is not in the session store; it was not deleted.")
    try:
        title = store.open(folder.name).title
    except SessionError:
        title = "unreadable"
    if not args.yes:
        if not sys.stdin.isatty():
            raise VoxroomError(f"Deleting session {folder.name} needs confirmation.", hint="Add --yes.")
        answer = input(f"Delete session {folder.name} ({title}) and its audio? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept.")
            return 1
    store.delete(folder.name)
    print(f"Deleted session {folder.name}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tui.outputs import check_output_path, write_session_export
    from tui.sessions.export import export_session

    fmt = FORMAT_ALIASES.get(args.format, args.format)
    out = Path(args.out) if args.out and args.out != "-" else None
    if out is not None:
        out = check_output_path(out, force=args.force)  # before any work
    store, settings = _store(args)
    session = store.open(args.session)
    voiceprints = args.with_voiceprints
    if out is not None:
        secrets = _secrets(settings)
        write_session_export(out, session, fmt, secrets=secrets, force=args.force, voiceprints=voiceprints)
        print(f"Wrote {out} ({fmt}, {plural(len(session.turns), 'turn')}).", file=sys.stderr)
    else:
        sys.stdout.write(export_session(session, fmt, secrets=_secrets(settings), voiceprints=voiceprints))
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    store, _ = _store(args)
    session = store.open(args.session)
    label = store.rename_speaker(session, args.label, args.name)
    shown = session.speaker_names.get(label)
    print(f"{label} is now {shown!r}." if shown else f"{label} has no name now.")
    return 0


def cmd_title(args: argparse.Namespace) -> int:
    from tui.sessions.model import single_line

    store, _ = _store(args)
    session = store.open(args.session)
    title = store.set_title(session, args.title)
    if session.auto_title:
        print(f"Session {session.id} has no title of its own now; it is called {single_line(title)!r}.")
    else:
        print(f"Session {session.id} is now titled {single_line(title)!r}.")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    store, _ = _store(args)
    session = store.open(args.session)
    changed = store.merge_speakers(session, args.source, args.into)
    print(
        f"Merged {args.source} into {args.into}: {changed} segment{'s' if changed != 1 else ''} relabelled."
    )
    return 0


def cmd_speakers(args: argparse.Namespace) -> int:
    store, _ = _store(args)
    if args.session:
        session = store.open(args.session)
        for label in session.speakers:
            print(f"{label}\t{session.speaker_names.get(label, '')}")
        return 0
    for name in store.known_speakers().suggestions(args.prefix or ""):
        print(name)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from tui.sessions.export import FORMATS

    parser = sub.add_parser(
        "sessions",
        help="list, show, search, delete, export and rename saved sessions; name speakers",
        description="Saved sessions (one folder each under the data dir). SESSION is an id, a unique "
        "prefix of one, sample:<name>, or a session folder path.",
    )
    add_common(parser)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])
    cmds = parser.add_subparsers(dest="sessions_command", metavar="ACTION")

    p = cmds.add_parser("list", help="every session: date, duration, turns, title, first line")
    add_common(p)
    p.add_argument("filter", nargs="?", help="only sessions whose title, first line or speakers match")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = cmds.add_parser("show", help="print a session's transcript and replies")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser("search", help="find text in every session's transcripts and replies")
    add_common(p)
    p.add_argument("text", nargs="+", metavar="TEXT")
    p.add_argument(
        "--limit", type=whole_number(1, 100_000), default=200, help="most hits to show (default 200)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = cmds.add_parser("delete", help="delete a session and its audio")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)

    p = cmds.add_parser("export", help="write a session as txt, md, srt, vtt or json")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.add_argument(
        "--format",
        "-f",
        choices=(*FORMATS, *FORMAT_ALIASES),
        default="txt",
        help="output format (default txt; text = txt)",
    )
    add_out_option(p, "write here (private, mode 0600) instead of standard output")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    p.add_argument(
        "--with-voiceprints",
        action="store_true",
        help="json only: include the people's voiceprints (private data about their voices; "
        "left out by default)",
    )
    p.set_defaults(func=cmd_export)

    p = cmds.add_parser("rename-speaker", help="name a speaker: rename-speaker ID speaker_1 Alice")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.add_argument("label", metavar="LABEL", help="speaker label (speaker_1) or current name")
    p.add_argument("name", metavar="NAME", help="the new name ('' removes it)")
    p.set_defaults(func=cmd_rename)

    p = cmds.add_parser("rename", help="give a session a title: rename ID 'Budget review'")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.add_argument(
        "title", metavar="TITLE", help="the title (one line, at most 200 characters; '' = automatic)"
    )
    p.set_defaults(func=cmd_title)

    p = cmds.add_parser("merge-speakers", help="make two speaker labels one: merge-speakers ID FROM INTO")
    add_common(p)
    p.add_argument("session", metavar="SESSION")
    p.add_argument("source", metavar="FROM")
    p.add_argument("into", metavar="INTO")
    p.set_defaults(func=cmd_merge)

    p = cmds.add_parser(
        "speakers", help="a session's speakers, or the names remembered from earlier sessions"
    )
    add_common(p)
    p.add_argument("session", metavar="SESSION", nargs="?")
    p.add_argument("--prefix", help="only remembered names starting with this")
    p.set_defaults(func=cmd_speakers)
