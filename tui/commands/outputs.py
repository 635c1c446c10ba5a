"""The commands' output writers live in :mod:`tui.outputs` (shared with the app's export); importable
from here too."""

from tui.outputs import *  # noqa: F403
from tui.outputs import __all__ as __all__
