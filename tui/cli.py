"""The ``voxroom`` command: no subcommand opens the full-screen TUI; subcommands work headless.

Each subcommand lives in ``tui/commands/<name>.py`` and exposes ``register(subparsers)``, which adds
its parser and sets ``func(args) -> int``. Command modules import heavy libraries lazily.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tui import __version__
from tui.commands import add_common_options
from tui.errors import VoxroomError

COMMANDS = (
    "transcribe",
    "ask",
    "retry",
    "say",
    "devices",
    "doctor",
    "replay",
    "sessions",
    "minutes",
    "notes",
    "voices",
    "speech_voices",
)


class Parser(argparse.ArgumentParser):
    """Argument errors are one line naming the command and what to do (subcommands inherit this)."""

    def error(self, message: str) -> NoReturn:
        message = message.strip().rstrip(".")
        self.exit(2, f"{self.prog}: {message}. Run '{self.prog} --help' for the options.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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


def _stdout_gone() -> int:
    """The reader of our output left (``voxroom replay | head``): stop quietly, no traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail again
    except (OSError, ValueError):
        pass
    return 1


def _not_text(argv: Sequence[str]) -> int | None:
    """The position (1-based) of the first argument that is not valid text (bytes that are not
    UTF-8 arrive as lone surrogates), or ``None``."""
    for n, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return n
    return None


def _printable_streams() -> None:
    """Text that cannot be encoded (a lone surrogate from a service) is printed replaced, never a
    crash in the middle of an answer."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a stream replaced by the caller
                reconfigure(errors="replace" if stream is sys.stdout else "backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _printable_streams()
    bad = _not_text(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        print(
            f"voxroom: argument {bad} is not valid UTF-8 text, so it was not used. "
            "Give it in UTF-8 (rename a file whose name is not).",
            file=sys.stderr,
        )
        return 2
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help, --version, or an argument error already printed
            return done.code if isinstance(done.code, int) else 2
        func = getattr(args, "func", None)
        if func is None:
            from tui.commands.run import run_app

            return run_app(args)
        code = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the guard, not at interpreter exit
        return code
    except VoxroomError as err:
        print(f"voxroom: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("voxroom: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_gone()
    except MemoryError:
        print("voxroom: out of memory.", "Try a shorter file.", file=sys.stderr)
        return 1
    except Exception as err:  # the last guard: one line, never a traceback
        if os.environ.get("VOXROOM_DEBUG"):
            raise
        detail = " ".join(str(err).split())[:200]
        print(
            f"voxroom: unexpected error ({type(err).__name__}{': ' + detail if detail else ''}).",
            "Please report it; VOXROOM_DEBUG=1 shows the details.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
