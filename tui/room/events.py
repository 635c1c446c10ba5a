"""The room's events: the one vocabulary of :mod:`tui.events`, under the room's name."""

from tui.events import *  # noqa: F403
from tui.events import __all__ as __all__
