"""The main screen's keys and dialogs: the bindings of :data:`tui.actions.COMMANDS` (each with an id,
so a keymap can move it), each key a :class:`tui.meeting.Meeting` call in a worker, and the dialogs a
key or a meeting's event opens, each answer a meeting call too. :class:`MainActions` is mixed into
:class:`tui.screens.main.MainScreen`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.actions import SkipAction
from textual.binding import Binding, BindingType

from tui.actions import COMMANDS
from tui.meeting import events as meeting_events
from tui.meeting.values import (
    DevicesChoice,
    ExportChoice,
    Naming,
    PersonAction,
    PersonChoice,
    SessionChoice,
)

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.app import VoxroomApp
    from tui.meeting import Meeting
    from tui.widgets import RepliesPane, TranscriptPane

    _Screen = Screen[None]
else:
    _Screen = object

RECORD_KEY = "space"
"""The record key's default; ``[hotkey] fallback_key`` moves it (the binding's id is ``record``)."""


def key_bindings() -> list[BindingType]:
    """The record key first, then quit: the keys a narrow terminal's footer must still show."""
    bindings: list[BindingType] = [
        Binding(RECORD_KEY, "trigger('fallback')", "Record / stop", priority=True, id="record"),
        Binding("right_shift", "terminal_tap", "Record", show=False, priority=True, id="record-tap"),
    ]
    for command in sorted(COMMANDS, key=lambda c: c.action != "quit"):
        if command.keys:
            bindings.append(
                Binding(
                    command.keys,
                    command.action,
                    command.footer or command.title,
                    show=bool(command.footer),
                    priority=command.priority,
                    tooltip=command.help,
                    id=command.action,
                )
            )
    return bindings


class MainActions(_Screen):
    """The key actions and the dialogs; the screen provides the meeting, the panes and the workers."""

    meeting: Meeting
    replies_pane: RepliesPane
    transcript_pane: TranscriptPane
    _suggestion: tuple[str, str] | None

    if TYPE_CHECKING:

        @property
        def voxroom(self) -> VoxroomApp: ...

        def in_worker(self, doing: str, call: Callable[..., object], *args: Any, **kwargs: Any) -> None: ...

        def _show_people(self) -> None: ...

    def _on_sessions_listed(self, event: meeting_events.SessionsListed) -> None:
        from tui.screens.sessions import SessionBrowser

        self.app.push_screen(SessionBrowser(event.summaries), self._session_chosen)

    def _session_chosen(self, choice: SessionChoice | None) -> None:
        if choice is not None:
            self.in_worker("open that session", self.meeting.open, choice.ref, choice.mode)

    def _on_people_listed(self, event: meeting_events.PeopleListed) -> None:
        from tui.screens.people import PeopleDialog

        self.app.push_screen(PeopleDialog(event.people), self._person_chosen)

    def _person_chosen(self, choice: PersonChoice | None) -> None:
        if choice is None:
            return
        if choice.action == PersonAction.RENAME:
            self.action_rename_speaker(choice.label)
        else:
            self.in_worker("play the sample", self.meeting.play_sample, choice.label)

    def _on_consent_asked(self, event: meeting_events.ConsentAsked) -> None:
        from tui.screens.people import RememberVoicesDialog

        def answered(remember: bool | None) -> None:
            decide = self.meeting.decide_consent
            self.in_worker("save that name", decide, bool(remember), event.label, event.name)

        self.app.push_screen(RememberVoicesDialog(), answered)

    def _on_export_exists(self, event: meeting_events.ExportExists) -> None:
        from tui.screens.confirm import ConfirmDialog

        def answered(replace: bool | None) -> None:
            if replace:
                self._export(ExportChoice(event.fmt, event.path), replace=True)

        question = f"{event.path} already exists. Replace it with this export?"
        self.app.push_screen(ConfirmDialog(question, "Replace"), answered)

    def _on_devices_listed(self, event: meeting_events.DevicesListed) -> None:
        from tui.audio.preview import LevelPreview
        from tui.screens.devices import DevicesDialog

        def chosen(choice: DevicesChoice | None) -> None:
            self.in_worker("open those devices", self.meeting.choose_devices, choice, reopen=event.released)

        # The room's microphone is closed while the dialog is open (released): the dialog listens to
        # the one chosen in it instead. While a turn runs the room keeps its devices and no preview runs.
        preview = LevelPreview() if event.released else None
        dialog = DevicesDialog(list(event.inputs), list(event.outputs), event.current, preview)
        self.app.push_screen(dialog, chosen)

    def action_terminal_tap(self) -> None:
        self.voxroom.trigger_keys.right_shift()

    def action_trigger(self, source: str) -> None:
        if self.app.screen is not self:
            raise SkipAction()  # a dialog is open: let the key type into it
        self.toggle(source)

    def toggle(self, source: str) -> None:
        self.in_worker("record", self.meeting.press, source)

    def action_notes(self) -> None:
        """n: start taking notes of the meeting, or stop them."""
        self.in_worker("take notes", self.meeting.toggle_notes, group="notes")

    def action_retry(self) -> None:
        self.in_worker("retry the last turn", self.meeting.retry)

    def action_stop(self) -> None:
        """Escape: stop a replay or a sample, or the reply being spoken."""
        self.in_worker("stop", self.meeting.stop)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.app.screen, HelpScreen):
            settings = self.meeting.settings
            self.app.push_screen(HelpScreen(settings.hotkey.fallback_key or RECORD_KEY))

    async def action_quit(self) -> None:
        await self.voxroom.action_quit()

    def action_new_session(self) -> None:
        self.in_worker("start a new session", self.meeting.new_session, group="session", exclusive=True)

    def action_open_session(self) -> None:
        self.in_worker("list the sessions", self.meeting.list_sessions, group="session", exclusive=True)

    def action_continue_session(self) -> None:
        self.in_worker("continue that session", self.meeting.continue_shown, group="session", exclusive=True)

    def action_replay(self) -> None:
        self.in_worker("replay the session", self.meeting.replay, group="replay", exclusive=True)

    def action_rename_speaker(self, first: str = "") -> None:
        from tui.screens.rename import RenameSpeakerDialog

        speakers = list(self.transcript_pane.speakers)
        if not speakers:
            self.app.notify("Nobody has spoken yet, so there is no speaker to rename.")
            return
        if first in speakers:
            speakers.remove(first)
            speakers.insert(0, first)
        self.app.push_screen(RenameSpeakerDialog(speakers, self.transcript_pane.names), self._renamed)

    def _renamed(self, choice: Naming | None) -> None:
        if choice is None:
            return
        self.transcript_pane.set_names({**self.transcript_pane.names, choice.label: choice.name})
        self._show_people()
        self.in_worker("save that name", self.meeting.rename, choice.label, choice.name)

    def action_rename_session(self) -> None:
        """A title for the session on show (a small dialog; saved by the store, cleaned and bounded)."""
        from tui.screens.rename import RenameSessionDialog

        meeting = self.meeting
        if not meeting.can_title:
            self.app.notify("Record a turn first: a session is given a title once something is in it.")
            return
        named = meeting.shown.name if meeting.shown is not None else ""
        self.app.push_screen(RenameSessionDialog(meeting.title, named), self._session_renamed)

    def _session_renamed(self, title: str | None) -> None:
        if title is not None:
            self.in_worker("rename the session", self.meeting.rename_session, title)

    def action_accept_suggestion(self) -> None:
        """ctrl+y: the voice suggested last is who it sounded like."""
        suggestion, self._suggestion = self._suggestion, None
        if suggestion is None:
            self.app.notify("There is no name to accept.")
            return
        self._renamed(Naming(*suggestion))

    def action_people(self) -> None:
        names = dict(self.transcript_pane.names)
        self.in_worker("list the people", self.meeting.list_people, names)

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog

        self.app.push_screen(ExportDialog(self.meeting.export_stem()), self._export)

    def _export(self, choice: ExportChoice | None, *, replace: bool = False) -> None:
        if choice is None:
            return
        self.in_worker(
            "export the session",
            self.meeting.export,
            choice.fmt,
            choice.path,
            replace=replace,
            lines=self.transcript_pane.lines,
            replies=self.replies_pane.texts,
        )

    def action_minutes(self) -> None:
        """The Minutes screen of the session on show (it says why when it cannot ask the agent)."""
        from tui.screens.minutes import MinutesScreen

        if not any(isinstance(screen, MinutesScreen) for screen in self.app.screen_stack):
            self.app.push_screen(MinutesScreen())

    def action_voices(self) -> None:
        """The Voices screen (Mistral's speech voices); without Mistral, the one sentence saying what
        is needed."""
        from tui.screens.voices import VoicesScreen
        from tui.speech.catalog import NOT_ONLINE, VoiceCatalog

        settings = self.voxroom.settings
        if settings.resolved_backend != "mistral":
            self.app.notify(NOT_ONLINE, title="Voices", severity="warning")
            return
        if any(isinstance(screen, VoicesScreen) for screen in self.app.screen_stack):
            return
        from tui.mistral import MistralConnection

        catalog = VoiceCatalog(MistralConnection.shared(settings), settings.data_dir / "voice-samples")
        self.app.push_screen(VoicesScreen(catalog))

    def _on_minutes(
        self, event: meeting_events.MinutesShown | meeting_events.MinutesAsking | meeting_events.MinutesFailed
    ) -> None:
        """The Minutes screen's events go to it while it is open (a closed one cancelled its request)."""
        from tui.screens.minutes import MinutesScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, MinutesScreen):
                screen.apply(event)

    def action_choose_devices(self) -> None:
        self.in_worker("list the sound devices", self.meeting.list_devices, group="devices", exclusive=True)
