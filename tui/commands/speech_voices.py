"""``voxroom speech-voices [list] | use VOICE``: the assistant's speech voices on Mistral's service
(the Voices screen's list), and the one to speak with, remembered like the screen's choice. Not
``voxroom voices``, which is about the people's voice profiles."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands import add_common, settings_from_args

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.speech.catalog import SpeechVoice


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("speech-voices", help="list the assistant's speech voices, or choose one")
    verbs = p.add_subparsers(dest="verb", metavar="list|use")
    listing = verbs.add_parser("list", help="the service's voices; * marks the one replies are spoken with")
    use = verbs.add_parser("use", help="speak replies with this voice from now on (remembered)")
    use.add_argument(
        "voice_id", metavar="VOICE", help="a voice's id, or a preset's name as listed (e.g. gb_jane_neutral)"
    )
    for parser in (p, listing, use):
        add_common(parser)
    p.set_defaults(func=run, verb="list")


def run(args: argparse.Namespace) -> int:
    from tui.errors import ConfigError
    from tui.mistral import MistralConnection
    from tui.speech.catalog import NOT_ONLINE, VoiceCatalog

    settings = settings_from_args(args)
    if settings.resolved_backend != "mistral":
        raise ConfigError(NOT_ONLINE, hint="Set it, then run this again.")
    catalog = VoiceCatalog(MistralConnection.shared(settings), settings.data_dir / "voice-samples")
    listed = catalog.list()
    current = settings.speech.voice
    if args.verb == "use":
        return _use(settings, listed.voices, args.voice_id)
    for voice in listed.voices:
        mark = "*" if voice.matches(current) else " "
        print(f"{mark} {voice.voice_id}  {voice.line()}")
    if not listed.voices:
        print("The service lists no voices.")
    if listed.cut:
        print(f"(only the first {len(listed.voices)} are listed)")
    if not any(v.matches(current) for v in listed.voices):
        print(f"Replies are spoken with {current}, which the service does not list.")
    return 0


def _use(settings: Settings, voices: list[SpeechVoice], wanted: str) -> int:
    from tui.errors import ConfigError
    from tui.speech.catalog import bounded_line
    from tui.themes import remember_voice

    voice = next((v for v in voices if v.matches(wanted.strip())), None)
    if voice is None:
        raise ConfigError(
            f"The service has no voice '{bounded_line(wanted, 60)}'.",
            hint="Run 'voxroom speech-voices list' to see them.",
        )
    remember_voice(settings.data_dir, voice.voice_id)
    print(f"Replies are spoken by {voice.name} ({voice.voice_id}) from now on.")
    if "speech.voice" in settings.explicit:
        print("Note: speech.voice in the config file wins over this choice; remove it to use this one.")
    return 0
