"""The Minutes screen: the session's saved minutes (summary, decisions, action items as
``Owner: task (10:32)`` with the words they came from, open questions), or "asking…" while the agent
writes them; ``u`` asks again, ``esc`` cancels a request, then closes. With none saved it asks at
once. Every text is shown as written (never read as markup). The requests are
:class:`tui.meeting.minutes.MeetingMinutes` calls in the app's workers; their events reach the screen
through the main screen (:meth:`MinutesScreen.apply`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.meeting.events import MinutesAsking, MinutesFailed, MinutesShown
from tui.sessions.model import single_line

if TYPE_CHECKING:
    from tui.app import VoxroomApp
    from tui.meeting.values import MinutesView

ASKING = "Asking the agent for the minutes… (esc cancels)"
CANCELLED = "Cancelled: nothing was saved. Press u to ask again."
NONE_YET = "No minutes are saved for this session yet."
READING = "Reading the saved minutes…"
AGAIN = "Press u to ask again."
SAVED = "Saved with the session. Press u to ask again."
QUOTE_INDENT = "\u00a0" * 4
"""Under its action item (no-break spaces: a line's leading spaces are not kept)."""


def minutes_lines(view: MinutesView) -> list[tuple[str, str]]:
    """The minutes as ``(style, line)`` pairs: headings, then their lines (plain text)."""
    out: list[tuple[str, str]] = [("bold", "Summary"), ("", view.summary or "None."), ("", "")]
    out.append(("bold", "Decisions"))
    out += [("", f"• {d}") for d in view.decisions] or [("", "None.")]
    out += [("", ""), ("bold", "Action items")]
    for item in view.actions:
        out.append(("", f"[ ] {item.line}"))
        if item.quote:
            out.append(("italic", f"{QUOTE_INDENT}“{item.quote}”"))
    if not view.actions:
        out.append(("", "None."))
    out += [("", ""), ("bold", "Open questions")]
    out += [("", f"• {q}") for q in view.questions] or [("", "None.")]
    out += [("", ""), ("dim", view.written)]
    return out


def failure_text(error: object) -> str:
    """A failed request in one line: what went wrong, what helps (not the CLI's own command), and u."""
    from tui.errors import VoxroomError

    if isinstance(error, VoxroomError):
        hint = "" if "voxroom minutes" in error.hint else error.hint
        said = f"{error.message} {hint}".strip()
    else:
        said = str(error)
    return single_line(f"{said} {AGAIN}")


class MinutesScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    MinutesScreen { align: center middle; }
    MinutesScreen > #minutes-box {
        width: 100%; max-width: 110; height: 1fr; border: round $primary; background: $surface;
    }
    MinutesScreen VerticalScroll { height: 1fr; padding: 0 1; }
    MinutesScreen #minutes-state { height: auto; padding: 0 1; color: $text-muted; }
    MinutesScreen #minutes-state.-error { color: $text-error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Close / cancel", key_display="esc"),
        Binding("u", "update", "Update"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: MinutesView | None = None
        self.asking = 0
        """The request being waited for (0: none)."""
        self.state = READING
        """What the line under the minutes says (asking…, a failure, why the agent cannot be asked)."""
        self.failed = False
        self.read = False
        """The saved minutes have been read (the first :class:`MinutesShown` arrived)."""
        self.can_ask = False
        """The agent can be asked for this session's minutes (``u`` is offered only then)."""
        self.body = Static(id="minutes-body")
        self.status = Static(id="minutes-state")

    @property
    def voxroom(self) -> VoxroomApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="minutes-box") as box:
            box.border_title = "Minutes"
            with VerticalScroll():
                yield self.body
            yield self.status
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._redraw()
        self.voxroom.call_in_thread("read the minutes", self.voxroom.meeting.minutes.show, group="minutes")

    @property
    def text(self) -> str:
        """Everything the screen says, as plain text (tests)."""
        lines = [line for _, line in minutes_lines(self.view)] if self.view is not None else []
        return "\n".join([*lines, self.state])

    # -- events (through the main screen) ---------------------------------------------------------
    def apply(self, event: object) -> None:
        if isinstance(event, MinutesShown):
            self._shown(event)
        elif isinstance(event, MinutesAsking):
            if event.asked == self.asking:
                self.state, self.failed = ASKING, False
        elif isinstance(event, MinutesFailed):
            if event.asked != self.asking:
                return  # a request that was cancelled
            self.asking = 0
            self.state, self.failed = failure_text(event.error), True
        self._redraw()

    def _shown(self, event: MinutesShown) -> None:
        if event.asked and event.asked != self.asking:
            return  # a request that was cancelled
        if event.session:
            title = f"Minutes · {single_line(event.session)}"[:100]
            self.query_one("#minutes-box").border_title = Content(title)
        if event.asked:  # the agent's new minutes, saved
            self.view, self.asking = event.minutes, 0
            self.state, self.failed = SAVED, False
            return
        self.read = True
        self.view = event.minutes
        self.can_ask = not event.why_not
        self.refresh_bindings()
        if event.why_not:
            self.state, self.failed = event.why_not, self.view is None
        elif self.view is None:
            self.action_update()  # none saved yet: ask for them
        else:
            self.state, self.failed = "Press u to ask the agent again.", False

    def _redraw(self) -> None:
        if self.view is None:
            self.body.update(Content(NONE_YET if self.read and not self.asking else ""))
        else:
            parts = [
                Content.styled(line, style) if style and line else Content(line)
                for style, line in minutes_lines(self.view)
            ]
            self.body.update(Content("\n").join(parts))
        self.status.update(Content(self.state))
        self.status.set_class(self.failed, "-error")

    # -- keys --------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``u`` is offered only when the agent can be asked (not for a sample, a session nobody
        spoke in, or with no agent configured: the line under the minutes says why)."""
        return self.can_ask if action == "update" else True

    def action_update(self) -> None:
        """Ask the agent for the minutes (again); a request already waited for is left to finish."""
        if self.asking:
            return
        minutes = self.voxroom.meeting.minutes
        why = minutes.why_not()
        if why:
            self.state, self.failed = why, True
            self._redraw()
            return
        self.asking = minutes.next_request()  # taken here, so its events are recognised
        self.state, self.failed = ASKING, False
        self._redraw()
        self.voxroom.call_in_thread("ask for the minutes", minutes.ask, self.asking, group="minutes-ask")

    def action_back(self) -> None:
        """Escape: cancel the request being waited for (nothing is saved), else close."""
        if self.asking:
            self.voxroom.meeting.minutes.cancel(self.asking)
            self.asking = 0
            self.state, self.failed = CANCELLED, False
            self._redraw()
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self.asking:
            self.voxroom.meeting.minutes.cancel(self.asking)
