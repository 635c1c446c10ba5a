"""The Voices screen: the assistant's speech voices on Mistral's service. Enter uses the highlighted
voice (remembered across launches, like the theme), ``p`` plays its sample through the room's player
(as a person's sample: only while the room is idle, never into a recording; esc stops it), ``n`` makes
a voice from a reference recording with its speaker's consent, ``d`` deletes a voice made from a
recording (after a question). The service's calls run in worker threads
(:class:`tui.speech.catalog.VoiceCatalog`); everything it sends is shown as text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui.errors import VoxroomError
from tui.speech.catalog import SpeechVoice, VoiceCatalog, VoiceList

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app import VoxroomApp
    from tui.screens.new_voice import NewVoice

READING = "Reading the service's voices…"
NONE = "The service lists no voices."
IN_USE = "●"
NOT_IN_USE = "○"


class VoicesScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    VoicesScreen { align: center middle; }
    VoicesScreen > #voices-box {
        width: 100%; max-width: 110; height: 1fr; border: round $primary; background: $surface;
    }
    VoicesScreen OptionList { height: 1fr; border: none; }
    VoicesScreen #voices-state { height: auto; padding: 0 1; color: $text-muted; }
    VoicesScreen #voices-state.-error { color: $text-error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Close", key_display="esc"),
        Binding("enter", "use", "Use", show=False),
        Binding("p", "preview", "Hear"),
        Binding("n", "new", "New"),
        Binding("d", "delete", "Delete"),
    ]

    def __init__(self, catalog: VoiceCatalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.voices: list[SpeechVoice] = []
        self.state = READING
        self.failed = False
        self.listed = False
        """The service's list has arrived (at least once)."""
        self.busy = ""
        """What the screen is waiting for from the service ("" when nothing)."""
        self._playing = ""
        """The voice whose sample is playing."""
        self._watch: Timer | None = None

    @property
    def voxroom(self) -> VoxroomApp:
        return self.app  # type: ignore[return-value]

    @property
    def current(self) -> str:
        return self.voxroom.settings.speech.voice

    def compose(self) -> ComposeResult:
        with Vertical(id="voices-box") as box:
            box.border_title = "Voices · the assistant's voice"
            yield OptionList(id="voices")
            yield Static(id="voices-state")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._redraw()
        self._reload()

    @property
    def text(self) -> str:
        """Everything the screen says, as plain text (tests)."""
        return "\n".join([*(self._label(v).plain for v in self.voices), self.state])

    # -- the service, in workers ---------------------------------------------------------------------
    def _call(self, doing: str, call: Callable[[], object], done: Callable[[object], None]) -> None:
        """Run ``call`` in a thread; ``done`` gets its result, or the state line says what failed."""
        self.busy = doing

        def work() -> None:
            try:
                result: object = call()
            except VoxroomError as err:
                result = err
            except Exception as err:  # never a traceback: one sentence
                result = VoxroomError(f"Could not {doing}: {type(err).__name__}.")
            self.app.call_from_thread(self._finished, result, done)

        self.run_worker(work, thread=True, name=doing, group="voices", exit_on_error=False)

    def _finished(self, result: object, done: Callable[[object], None]) -> None:
        self.busy = ""
        if not self.is_attached:
            return
        if isinstance(result, VoxroomError):
            self.state, self.failed = str(result), True
            self._redraw()
            return
        done(result)

    def _reload(self, then: str = "") -> None:
        def listed(result: object) -> None:
            assert isinstance(result, VoiceList)
            self.voices, self.listed = result.voices, True
            said = then or self._in_use_sentence()
            if result.cut:
                said += f" Only the first {len(self.voices)} voices are listed."
            self.state, self.failed = said.strip(), False
            self._redraw()

        self._call("list the voices", self.catalog.list, listed)

    # -- what it shows -------------------------------------------------------------------------------
    def _label(self, voice: SpeechVoice) -> Content:
        mark = IN_USE if voice.matches(self.current) else NOT_IN_USE
        return Content(f"{mark} {voice.line()}")

    def _in_use_sentence(self) -> str:
        voice = next((v for v in self.voices if v.matches(self.current)), None)
        if voice is not None:
            return f"Replies are spoken by {voice.name} ({IN_USE}). Enter uses the highlighted voice."
        return f"Replies are spoken by {self.current}, which the service does not list."

    def _redraw(self) -> None:
        options = self.query_one("#voices", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(self._label(v), id=str(i)) for i, v in enumerate(self.voices)])
        if self.voices:
            chosen = next((i for i, v in enumerate(self.voices) if v.matches(self.current)), 0)
            last = len(self.voices) - 1
            options.highlighted = min(highlighted, last) if highlighted is not None else chosen
        state = self.state if self.voices or not self.listed or self.failed else f"{NONE} {self.state}"
        status = self.query_one("#voices-state", Static)
        status.update(Content(state))
        status.set_class(self.failed, "-error")

    def _highlighted(self) -> SpeechVoice | None:
        index = self.query_one("#voices", OptionList).highlighted
        return self.voices[index] if index is not None and 0 <= index < len(self.voices) else None

    def _say(self, text: str, *, failed: bool = False) -> None:
        self.state, self.failed = text, failed
        self._redraw()

    # -- keys ----------------------------------------------------------------------------------------
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_use()

    def action_use(self) -> None:
        voice = self._highlighted()
        if voice is None:
            return
        settings = self.voxroom.settings
        self.voxroom.call_in_thread("remember the voice", self.voxroom.meeting.choose_voice, voice.voice_id)
        settings.speech.voice = voice.voice_id  # at once: the next sentence spoken uses it
        said = f"Replies are spoken by {voice.name} from now on ({IN_USE}); remembered for the next start."
        if "speech.voice" in settings.explicit:
            said = (
                f"Replies are spoken by {voice.name} until Voxroom closes: speech.voice in the config "
                "file chooses the voice at the next start."
            )
        self._say(said)

    def action_preview(self) -> None:
        voice = self._highlighted()
        if voice is None or self.busy:
            return
        meeting = self.voxroom.meeting

        def played(started: object) -> None:
            if not started:
                self._say("The sample can play once no turn is recorded or answered.", failed=True)
                return
            self._say(f"Playing {voice.name}'s sample… (esc stops it)")
            self._playing = voice.name
            self._watch = self.set_interval(0.2, self._played)

        def fetched(path: object) -> None:
            self._call("play the voice's sample", lambda: meeting.play_voice_sample(path), played)

        self._say(f"Fetching {voice.name}'s sample…")
        self._call("fetch the voice's sample", lambda: self.catalog.sample(voice), fetched)

    def _played(self) -> None:
        """While a sample plays: once it has ended, say so (the list stays as it was)."""
        room = self.voxroom.meeting.room
        if room is not None and room.replaying:
            return
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        if self._playing and self.state.startswith("Playing"):
            self._say(f"That was {self._playing}. Enter uses the highlighted voice.")
        self._playing = ""

    def action_new(self) -> None:
        from tui.meeting.shown import last_recording
        from tui.screens.new_voice import NewVoiceDialog

        if self.busy:
            self._say(f"Wait: Voxroom is waiting for the service to {self.busy}.")
            return

        def answered(new: NewVoice | None) -> None:
            if new is None:
                return
            self._say(f"Making the voice {new.name} from {new.recording.name}…")

            def made(result: object) -> None:
                assert isinstance(result, SpeechVoice)
                self._reload(f"Made {result.name}, stating {new.speaker}'s consent. Enter uses it.")

            self._call(
                "make the voice", lambda: self.catalog.create(new.name, new.recording, new.speaker), made
            )

        self.app.push_screen(NewVoiceDialog(last_recording(self.voxroom.meeting.shown)), answered)

    def action_delete(self) -> None:
        from tui.screens.confirm import ConfirmDialog

        voice = self._highlighted()
        if voice is None:
            return
        if self.busy:
            self._say(f"Wait: Voxroom is waiting for the service to {self.busy}.")
            return
        if not voice.custom:
            self._say(f"{voice.name} is a preset voice: only voices made from a recording can be deleted.")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            was_used = voice.matches(self.current)

            def deleted(_: object) -> None:
                said = f"Deleted {voice.name}."
                if was_used:
                    from tui.config.settings import default_of

                    default = str(default_of("speech.voice"))
                    meeting = self.voxroom.meeting
                    self.voxroom.call_in_thread("remember the voice", meeting.choose_voice, default)
                    self.voxroom.settings.speech.voice = default
                    said += f" Replies are spoken by {default} again."
                self._reload(said)

            self._call("delete the voice", lambda: self.catalog.delete(voice), deleted)

        question = f"Delete the voice {voice.name}? It is removed from the service for good."
        self.app.push_screen(ConfirmDialog(question, "Delete"), answered)

    def action_back(self) -> None:
        """Escape: stop a sample playing, else close."""
        room = self.voxroom.meeting.room
        if room is not None and room.replaying:
            self.voxroom.call_in_thread("stop the sample", self.voxroom.meeting.stop)
            self._say("Stopped.")
            return
        self.dismiss(None)
