"""Plain ``voxroom``: open the full-screen app."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from tui.commands import settings_from_args
    from tui.errors import ConfigError

    problem: ConfigError | None = None
    try:
        settings = settings_from_args(args)
    except ConfigError as err:
        if "API key" not in err.message:
            raise
        # No key: open anyway (sessions, help and themes still work) and say what to do.
        problem = err
        args.backend = "offline"
        settings = settings_from_args(args)
    from tui.app import VoxroomApp
    from tui.log import start_file_log

    start_file_log(settings.data_dir)

    core = None
    if problem is not None:

        def core(_app: VoxroomApp) -> None:  # type: ignore[misc]
            raise problem

    from tui.native_stderr import logged_stderr

    # --theme beats the theme remembered from the palette, which beats the config file's.
    # Native libraries' messages (ALSA underruns...) go to the log, never over the screen.
    with logged_stderr():
        VoxroomApp(settings, theme=getattr(args, "theme", None), core=core).run()
    return 0
