"""Voxroom's commands in Textual's command palette (ctrl+p): only those that can run now, each with its
key (its help shown as written, never read as markup); a search ranks a title that is the query, then
one that starts with it, above fuzzy matches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from tui.actions import Need

if TYPE_CHECKING:
    from tui.app import VoxroomApp


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    help: str
    key: str
    """The key as a person reads it (``Ctrl+E``), ``""`` for a palette-only command."""
    run: Callable[[], object]

    def display(self, title: Content | str) -> Content:
        shown = Content(title) if isinstance(title, str) else title
        if not self.key:
            return shown
        return Content.assemble(shown, "  ", (self.key, "$text-muted"))


class VoxroomCommands(Provider):
    def _entries(self) -> list[Entry]:
        from tui.actions import COMMANDS, key_label
        from tui.themes import THEME_NAMES

        app = cast("VoxroomApp", self.app)
        entries = [
            Entry(c.title, why_not(app, c.needs) or c.help, key_label(c.keys), _action(app, c.action))
            for c in COMMANDS
            if available(app, c.needs)
        ]
        for name in THEME_NAMES:
            entries.append(
                Entry(f"Switch theme: {name}", f"Use the {name} theme (remembered)", "", _theme(app, name))
            )
        return entries

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(
                entry.display(entry.title), entry.run, text=entry.title, help=escape(entry.help)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            fuzzy = matcher.match(entry.title)
            if fuzzy > 0:
                display = entry.display(matcher.highlight(entry.title))
                score = rank(query, entry.title, fuzzy)
                yield Hit(score, display, entry.run, text=entry.title, help=escape(entry.help))


def rank(query: str, title: str, fuzzy: float) -> float:
    """A score in 0..1: the title is the query, then starts with it, then has a word that does, each
    tier above the next whatever the fuzzy score (which orders within a tier)."""
    wanted = " ".join(query.lower().split())
    name = title.lower()
    if name == wanted:
        tier = 3
    elif name.startswith(wanted):
        tier = 2
    elif any(word.startswith(wanted) for word in name.split()):
        tier = 1
    else:
        tier = 0
    return (tier + fuzzy / (1.0 + fuzzy)) / 4.0


def available(app: VoxroomApp, need: Need) -> bool:
    """Whether a command needing ``need`` can do anything now."""
    meeting = app.meeting
    room = meeting.room
    if need == Need.NOTHING:
        return True
    if need == Need.TO_CONTINUE:
        return meeting.can_continue
    if need == Need.SPEAKERS:
        return bool(app.main.transcript_pane.speakers)
    if need == Need.SUGGESTION:
        return app.main._suggestion is not None
    if need == Need.TRANSCRIPT:
        return meeting.minutes.has_transcript
    if need == Need.MISTRAL:
        return True
    if need == Need.TITLED:
        return meeting.can_title
    if room is None:
        return False
    if need == Need.FAILED_TURN:
        return room.can_retry
    if need == Need.SOUND:
        from tui.room.events import SPEAKING

        return room.replaying or room.state == SPEAKING
    if need == Need.TURNS:
        from tui.meeting.shown import turn_count

        count = turn_count(meeting.shown)  # None: a session kept in memory only
        return not meeting.busy and (count is None or count > 0)
    return True


def why_not(app: VoxroomApp, need: Need) -> str:
    """What an offered command says instead of its help when it cannot do all it says (the minutes
    without an agent: how to configure one; the voices without Mistral: the key they need)."""
    if need == Need.TRANSCRIPT:
        from tui.backends import Service, plan_for
        from tui.model import NO_AGENT_NEXT_STEP

        return NO_AGENT_NEXT_STEP if plan_for(app.settings).agent is Service.NONE else ""
    if need == Need.MISTRAL:
        from tui.speech.catalog import NOT_ONLINE

        return "" if app.settings.resolved_backend == "mistral" else NOT_ONLINE
    return ""


def _action(app: VoxroomApp, action: str) -> Callable[[], object]:
    async def run() -> None:
        await app.run_action(action, app.main)  # the main screen's keys, whatever screen is on top

    return run


def _theme(app: VoxroomApp, name: str) -> Callable[[], None]:
    def switch() -> None:
        app.switch_theme(name)

    return switch
