"""Plain ``voxroom``: open the full-screen app."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from tui.commands import settings_from_args

    settings = settings_from_args(args)
    from tui.app import VoxroomApp

    # --theme beats the theme remembered from the palette, which beats the config file's.
    VoxroomApp(settings, theme=getattr(args, "theme", None)).run()
    return 0
