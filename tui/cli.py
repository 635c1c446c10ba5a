"""The ``voxroom`` command: no subcommand opens the full-screen TUI; subcommands work headless.

Each subcommand lives in ``tui/commands/<name>.py`` and exposes ``register(subparsers)``, which adds
its parser and sets ``func(args) -> int``. Command modules import heavy libraries lazily.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tui import __version__
from tui.errors import VoxroomError

COMMANDS = ("transcribe", "ask", "retry", "say", "devices", "doctor", "replay", "sessions")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Flags every command takes; they override the config file and the environment."""
    g = parser.add_argument_group("settings (override config file and environment)")
    g.add_argument("--config", metavar="FILE", help="config file (default: user config dir)")
    g.add_argument("--data-dir", metavar="DIR", help="where sessions and caches live")
    g.add_argument("--backend", choices=("auto", "mistral", "offline"), help="backend for all steps")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxroom",
        description="Voxroom: a terminal voice assistant for meeting rooms. "
        "Run with no command to open the full-screen app.",
    )
    parser.add_argument("--version", action="version", version=f"voxroom {__version__}")
    add_common_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"tui.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            from tui.commands.run import run_app

            return run_app(args)
        return int(func(args) or 0)
    except VoxroomError as err:
        print(f"voxroom: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("voxroom: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
