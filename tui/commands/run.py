"""Plain ``voxroom``: open the full-screen app."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from tui.commands import settings_from_args

    settings = settings_from_args(args)
    from tui.app import VoxroomApp

    VoxroomApp(settings).run()
    return 0
