"""Voxroom's commands in Textual's command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import VoxroomApp


class VoxroomCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tui.actions import COMMANDS
        from tui.themes import THEME_NAMES

        app = cast("VoxroomApp", self.app)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (c.title, c.help, _action(app, c.action)) for c in COMMANDS
        ]
        for name in THEME_NAMES:
            commands.append(
                (f"Switch theme: {name}", f"Use the {name} theme (remembered)", _theme(app, name))
            )
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def _action(app: VoxroomApp, action: str) -> Callable[[], object]:
    async def run() -> None:
        await app.run_action(action, app.main)  # the main screen's keys, whatever screen is on top

    return run


def _theme(app: VoxroomApp, name: str) -> Callable[[], None]:
    def switch() -> None:
        app.switch_theme(name)

    return switch
