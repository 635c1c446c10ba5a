"""Voxroom's commands in Textual's command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import VoxroomApp


class VoxroomCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tui.themes import THEME_NAMES

        app = cast("VoxroomApp", self.app)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Retry last turn", "Run the last failed turn again with its recording", app.action_retry),
            ("New session", "Start a new, empty session", app.action_new_session),
            (
                "Open session",
                "Browse past sessions, open one read-only or continue it",
                app.action_open_session,
            ),
            ("Export session", "Write this session as Markdown, text, JSON or subtitles", app.action_export),
            ("Rename speaker", "Show a name instead of a speaker label", app.action_rename_speaker),
            ("Choose devices", "Pick the microphone and the speaker", app.action_choose_devices),
            ("Stop speaking", "Interrupt the reply being spoken", app.action_stop_speaking),
            (
                "Replay session",
                "Play the session's recordings and replies, following the text",
                app.action_replay,
            ),
            ("Stop replay", "Stop the replay", app.action_stop_replay),
            ("Help", "Keys and how Voxroom works", app.action_help),
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


def _theme(app: VoxroomApp, name: str) -> Callable[[], None]:
    def switch() -> None:
        app.theme = name

    return switch
