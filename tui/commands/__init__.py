"""Headless subcommands of ``voxroom``; one module each, registered by :mod:`tui.cli`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tui.config import Settings, load_settings, spec_for


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Flags every command takes; they override the config file and the environment."""
    g = parser.add_argument_group("settings (override config file and environment)")
    g.add_argument("--config", metavar="FILE", help="config file (default: user config dir)")
    g.add_argument("--data-dir", metavar="DIR", help="where sessions and caches live")
    g.add_argument("--backend", choices=spec_for("backend").choices, help="backend for all steps")
    g.add_argument(
        "--offline",
        action="store_const",
        const="offline",
        dest="backend",
        help="same as --backend offline",
    )
    g.add_argument("--server-url", metavar="URL", help="base URL for every Mistral call")
    g.add_argument("--theme", help="theme name")
    g.add_argument("--input-device", metavar="NAME|INDEX", help="recording device")
    g.add_argument("--output-device", metavar="NAME|INDEX", help="playback device")
    g.add_argument("--voice", help="speech voice id")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Let a subcommand take the common flags after its name too (``voxroom ask x.wav --offline``)."""
    before = len(parser._actions)
    add_common_options(parser)
    # Subparser defaults would overwrite values given before the command name: keep those. The
    # settings are listed once, in ``voxroom --help``; here they are accepted but not repeated.
    for action in parser._actions[before:]:
        action.default = argparse.SUPPRESS
        action.help = argparse.SUPPRESS
    note = (
        "Settings (--config, --backend, --offline, ...): see voxroom --help; they work after the command too."
    )
    parser.epilog = f"{parser.epilog}\n\n{note}" if parser.epilog else note


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``low`` to ``high`` (a one-line error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return value

    return parse


def add_out_option(parser: argparse.ArgumentParser, help: str) -> None:
    """The one spelling of an output file: ``-o/--out`` (``--output`` still works, unlisted)."""
    parser.add_argument("-o", "--out", metavar="FILE", help=help)
    parser.add_argument("--output", dest="out", help=argparse.SUPPRESS)


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "backend": getattr(args, "backend", None),
        "data_dir": getattr(args, "data_dir", None),
        "server_url": getattr(args, "server_url", None),
        "theme": getattr(args, "theme", None),
        "audio.input_device": getattr(args, "input_device", None),
        "audio.output_device": getattr(args, "output_device", None),
        "speech.voice": getattr(args, "voice", None),
    }
    return load_settings(getattr(args, "config", None), overrides=overrides)
