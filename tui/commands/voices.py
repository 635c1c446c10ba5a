"""``voxroom voices list|forget NAME``: the voice profiles kept across meetings (only with
``[diarization] voice_profiles = true``, which is off by default)."""

from __future__ import annotations

import argparse
import sys

from tui.commands import add_common, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voices", help="list or forget the voice profiles kept across meetings")
    verbs = p.add_subparsers(dest="verb", metavar="list|forget", required=True)
    listing = verbs.add_parser("list", help="the names whose voices are remembered")
    forget = verbs.add_parser("forget", help="delete a voice profile: its voiceprint and its reference clip")
    forget.add_argument("name", help="the name (or profile label) to forget")
    for verb in (listing, forget):
        add_common(verb)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.diarize.people import VoiceProfiles
    from tui.errors import VoxroomError

    settings = settings_from_args(args)
    profiles = VoiceProfiles(settings.data_dir / "voices")
    people = profiles.list()
    if args.verb == "list":
        if not people:
            state = "on" if settings.diarization.voice_profiles else "off ([diarization] voice_profiles)"
            print(f"No voice profiles are kept (voice profiles are {state}).")
            return 0
        for person in people:
            print(f"{person.name or '-'}\t{person.label}\t{person.seconds:.0f} s heard")
        return 0
    wanted = args.name.strip()
    matches = [p for p in people if wanted in (p.name, p.label)]
    if not matches:
        names = ", ".join(p.name or p.label for p in people) or "none"
        raise VoxroomError(f"There is no voice profile called '{wanted[:80]}'.", hint=f"Kept: {names}.")
    for person in matches:
        profiles.forget(person.label)
    print(f"Forgot {wanted[:80]}: voiceprint and reference clip deleted.", file=sys.stderr)
    return 0
