"""Snapshot tests of every screen at 80x24, 60x20 and 200x50 in the default theme, and of the main
screen at 120x40 in each other theme, with fixed content, clock and levels.

Update the baselines after a deliberate change with:
``env -u NO_COLOR TEXTUAL_ANIMATIONS=none pytest tests/tui/test_snapshots.py --snapshot-update``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import wait_until
from tests.standin import closed_url
from tui.app import VoxroomApp
from tui.audio.clip import Clip
from tui.backends import make_backends
from tui.config import Secret, Settings
from tui.lifecycle import ScratchLog
from tui.meeting.values import ActionView, Heading, MinutesView, ShownTurn
from tui.model import Reference, Reply, Segment, Timings, Transcript
from tui.room import Level, Room
from tui.sessions.model import SessionSummary
from tui.testing import FixedMeter
from tui.themes import THEME_NAMES


class FrozenRecorder:
    """A recorder whose meter always shows the same level (nothing is captured)."""

    device_name = "Room mic (USB)"
    on_audio = None

    def __init__(self) -> None:
        self.meter = FixedMeter(Level(rms_dbfs=-21.0, peak_dbfs=-7.5, clipping=False, no_signal=False))

    def start(self, path: Path) -> Path:
        self.path = path
        return path

    def stop(self, *, load: bool = True) -> Clip:
        return Clip(np.zeros(1600, np.float32), 16_000, None)

    def auto_stop_reason(self, max_seconds: float | None = None, silence_seconds: float | None = None) -> str:
        return ""

    def close(self) -> None:
        return None


class FixedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


HISTORY = [
    (
        1,
        Transcript(
            segments=[
                Segment(0.2, 2.4, "speaker_1", "Good morning everyone, shall we start?"),
                Segment(2.6, 5.1, "speaker_2", "Yes. What is the weather in Paris today?"),
                Segment(5.3, 6.0, "speaker_3", "And tomorrow?"),
            ]
        ),
        Reply(
            text="It is sunny in Paris today, around 21 degrees; tomorrow brings light rain.",
            references=[Reference("Paris forecast", "https://weather.example/paris")],
        ),
        Timings(
            transcription_ms=412.0,
            agent_first_token_ms=380.0,
            speech_first_audio_ms=210.0,
            first_audio_ms=1180.0,
        ),
        "done",
    ),
    (
        2,
        Transcript(segments=[Segment(0.1, 1.9, "speaker_2", "Tell me something rude.")]),
        Reply(blocked=True, moderation="the request was flagged"),
        None,
        "blocked",
    ),
]


HEADINGS = [Heading("Turn 1 · 09:15 · question", 0.0), Heading("Turn 2 · 09:16 · question", 6.0)]
"""Fixed clock times (the real ones depend on the machine's time zone)."""


def snapshot_app(tmp_path: Path, theme: str, *, agent: str = "") -> VoxroomApp:
    """``agent``: the ``agent.backend`` setting (``"none"``: turns are transcribed only)."""
    settings = Settings(
        backend="mistral", api_key=Secret("test-key"), server_url=closed_url(), data_dir=tmp_path
    )
    settings.agent.backend = agent
    backends = make_backends(settings)
    clock = FixedClock()
    room = Room(
        recorder=FrozenRecorder(),
        runner=backends.runner(settings),
        log=ScratchLog("Weekly planning"),
        clock=clock,
        debounce_s=0.0,
    )
    app = VoxroomApp(settings, room=room, theme=theme, hotkey=False, warm_up=False)
    app.fixed_clock = clock  # type: ignore[attr-defined]
    return app


async def _fill(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_until(pilot, lambda: app.main.transcript_pane.is_mounted)
    app.main.show_history(
        tuple(ShownTurn(*turn, heading=heading) for turn, heading in zip(HISTORY, HEADINGS, strict=True))
    )
    replies = app.main.replies_pane
    await wait_until(pilot, lambda: all(view.size.height > 0 for view in replies.query("ReplyView")))
    replies.grew()  # once laid out, the replies follow to their end
    await pilot.press("space")  # recording, with the frozen meter
    await wait_until(pilot, lambda: app.main.recording_pane.state == "recording")
    app.fixed_clock.now += 83.0  # 01:23 into the recording
    await wait_until(pilot, lambda: app.main.recording_pane.elapsed == 83)
    await wait_until(pilot, lambda: app.main.recording_pane.bar.level.rms_dbfs == -21.0)
    await wait_until(pilot, lambda: app.main.query_one("FittingFooter")._fitted is not None)
    await pilot.pause()


SIZES = ((80, 24), (60, 20), (200, 50))
"""A small terminal (the meters compact, the panes half and half), the smallest Voxroom supports
without a warning, and a wide one (the meters' bars capped)."""
SUMMARIES = [
    SessionSummary(
        id="20261124-091500-0001",
        title="Weekly planning",
        created="2026-11-24T09:15:00Z",
        updated="2026-11-24T09:40:00Z",
        duration=1520.0,
        turns=6,
        first_line="speaker_1: Good morning everyone, shall we start?",
    ),
    SessionSummary(
        id="20261123-160000-0002",
        title="[link=http://x]t[/link]",  # outside text: shown as typed
        created="2026-11-23T16:00:00Z",
        updated="2026-11-23T16:05:00Z",
        duration=95.0,
        turns=1,
        first_line="speaker_2: [b]not bold[/b]",
    ),
    SessionSummary(
        id="sample:endgame",
        title="Sample · Endgame",
        created="2026-11-25T13:17:00Z",
        updated="2026-11-25T13:17:21Z",
        duration=9.4,
        turns=2,
        first_line="Nagg: Do you hear me?",
    ),
]


async def _still(pilot, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """The dialog's text field ``field`` (a CSS selector) is there and has the focus, and no text
    field's cursor blinks: the picture must not depend on the moment (on a busy machine the dialog's
    widgets and its focus come a few frames after the screen)."""
    from textual.widgets import Input

    if field is not None:
        await wait_until(pilot, lambda: any(box.has_focus for box in pilot.app.screen.query(field)))
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False  # also shows the cursor
    await pilot.pause()


async def _empty(pilot) -> None:  # type: ignore[no-untyped-def]
    """The first screen: no turn yet, nothing recording."""
    app = pilot.app
    await wait_until(pilot, lambda: app.main.transcript_pane.is_mounted)
    await wait_until(pilot, lambda: bool(app.main.replies_pane.query(".placeholder")))
    await wait_until(pilot, lambda: app.main.query_one("FittingFooter")._fitted is not None)
    await pilot.pause()


async def _unanswered(pilot) -> None:  # type: ignore[no-untyped-def]
    """No agent: a turn transcribed and not answered, and how to get answers, said once."""
    from tui.model import STATUS_NOTES, TurnStatus

    app = pilot.app
    await wait_until(pilot, lambda: app.main.transcript_pane.is_mounted)
    number, transcript, _reply, timings, _status = HISTORY[0]
    note = STATUS_NOTES[TurnStatus.NO_AGENT]
    shown = ShownTurn(number, transcript, None, timings, TurnStatus.NO_AGENT, note, HEADINGS[0])
    app.main.show_history((shown,))
    replies = app.main.replies_pane
    await wait_until(pilot, lambda: all(view.size.height > 0 for view in replies.query("ReplyView")))
    replies.grew()
    await wait_until(pilot, lambda: app.main.query_one("FittingFooter")._fitted is not None)
    await pilot.pause()


async def _push(pilot, dialog, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    await _fill(pilot)
    pilot.app.push_screen(dialog)
    await wait_until(pilot, lambda: pilot.app.screen is dialog)
    await _still(pilot, field)


async def _people(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.meeting.values import Person
    from tui.screens.people import PeopleDialog

    people = [Person("speaker_1", "Alice", 41.0, True), Person("speaker_2", "", 12.0, False)]
    await _push(pilot, PeopleDialog(people))


async def _replace(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.confirm import ConfirmDialog

    question = "/home/alice/Documents/voxroom-weekly-planning.md already exists. Replace it with this export?"
    await _push(pilot, ConfirmDialog(question, "Replace"))


async def _consent(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.people import RememberVoicesDialog

    await _push(pilot, RememberVoicesDialog())


async def _export(pilot) -> None:  # type: ignore[no-untyped-def]
    await _fill(pilot)
    pilot.app.meeting.start_dir = Path("/home/alice/Documents")
    await pilot.press("ctrl+e")
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ExportDialog")
    await _still(pilot, "#path")


async def _rename(pilot) -> None:  # type: ignore[no-untyped-def]
    await _fill(pilot)
    pilot.app.main.action_rename_speaker()
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "RenameSpeakerDialog")
    await _still(pilot, "#name")


async def _devices(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.devices import DevicesDialog
    from tui.testing import FixedPreview

    await _fill(pilot)
    preview = FixedPreview(Level(rms_dbfs=-24.0, peak_dbfs=-9.0, clipping=False, no_signal=False))
    pilot.app.push_screen(
        DevicesDialog(["Room mic (USB)", "[b]Headset[/b] mic"], ["Speakerphone", "HDMI"], ("", ""), preview)
    )
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DevicesDialog))
    await _still(pilot)


async def _browser(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.screens.sessions import SessionBrowser

    await _fill(pilot)
    pilot.app.push_screen(SessionBrowser(SUMMARIES))
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SessionBrowser))
    await _still(pilot, "#filter")


async def _help(pilot) -> None:  # type: ignore[no-untyped-def]
    await _fill(pilot)
    pilot.app.main.action_help()
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
    await _still(pilot)


async def _palette(pilot) -> None:  # type: ignore[no-untyped-def]
    from textual.command import CommandList, CommandPalette

    await _fill(pilot)
    await pilot.press("ctrl+p")  # every command that can run now, each with its key
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    commands = pilot.app.screen.query_one(CommandList)
    await wait_until(pilot, lambda: commands.option_count > 0 and pilot.app.screen.has_class("-ready"))
    await _still(pilot)


async def _notes(pilot) -> None:  # type: ignore[no-untyped-def]
    """Taking notes: the indicator, 12:34 of notes, the people heard (one by name) and the notes
    recording's live caption under the earlier turns."""
    from tui.events import NotesChanged
    from tui.room import NOTES

    app = pilot.app
    await wait_until(pilot, lambda: app.main.transcript_pane.is_mounted)
    app.main.show_history(
        tuple(ShownTurn(*turn, heading=heading) for turn, heading in zip(HISTORY, HEADINGS, strict=True))
    )
    app.main.transcript_pane.set_names({"speaker_1": "Alice"})
    await pilot.press("n")
    await wait_until(pilot, lambda: app.main.recording_pane.notes and app.room.recording_notes)
    app.clear_notifications()  # the toast saying notes started times out: not part of the picture
    app.main.handlers[NotesChanged](NotesChanged(True, people=("speaker_1", "speaker_2")))
    app.main.transcript_pane.show_caption(3, "So the budget review moves to Thursday, and Bob owns the")
    app.fixed_clock.now += 754.0  # 12:34 of notes
    pane = app.main.recording_pane
    await wait_until(pilot, lambda: pane.state == NOTES and pane.notes_elapsed == 754)
    await wait_until(pilot, lambda: pane.bar.level.rms_dbfs == -21.0)
    replies = app.main.replies_pane
    await wait_until(pilot, lambda: all(view.size.height > 0 for view in replies.query("ReplyView")))
    replies.grew()
    transcript = app.main.transcript_pane
    await wait_until(pilot, lambda: all(line.size.height > 0 for line in transcript.query("CaptionLine")))

    def at_end() -> bool:
        """The transcript follows to the caption's end once it is laid out (asked again while the
        layout still grows)."""
        if transcript.scroll_y == transcript.max_scroll_y:
            return True
        transcript.grew()
        return False

    await wait_until(pilot, at_end)
    await wait_until(pilot, lambda: app.main.query_one("FittingFooter")._fitted is not None)
    await pilot.pause()


MINUTES = MinutesView(
    summary="The team planned the week: the release moves to Friday and [b]the docs[/b] need an owner.",
    decisions=("Release on Friday, not Thursday.", "Keep the old API for one more version."),
    actions=(
        ActionView("Alice", "Write the release notes", "09:17", "I'll write the release notes today."),
        ActionView("speaker_2", "Check the Paris venue", "09:18", "Let me check the venue in Paris."),
        ActionView("Unassigned", "Find an owner for the docs", "09:21"),
    ),
    questions=("Who presents the demo?",),
    written="Written 2026-11-24 09:40 by mistral-small-latest.",
)


async def _minutes(pilot) -> None:  # type: ignore[no-untyped-def]
    from tui.meeting.events import MinutesShown
    from tui.screens.minutes import MinutesScreen

    await _fill(pilot)
    pilot.app.main.action_minutes()
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MinutesScreen) and pilot.app.screen.read)
    pilot.app.screen.apply(MinutesShown("Weekly planning", MINUTES))  # a scratch session keeps none
    await _still(pilot)


SCREENS = {
    "empty": _empty,
    "main": _fill,
    "unanswered": _unanswered,
    "export": _export,
    "rename": _rename,
    "devices": _devices,
    "sessions": _browser,
    "help": _help,
    "palette": _palette,
    "people": _people,
    "replace": _replace,
    "consent": _consent,
    "minutes": _minutes,
    "notes": _notes,
}


DEFAULT_THEME = THEME_NAMES[0]
CASES = [(DEFAULT_THEME, screen, size) for screen in SCREENS for size in SIZES] + [
    (theme, "main", (120, 40)) for theme in THEME_NAMES[1:]
]
"""Every screen at each size in the default theme; the main screen, which shows every colour role
of a theme (speakers, states, levels, replies, references, a block), in each other theme."""


@pytest.mark.parametrize(
    ("theme", "screen", "size"), CASES, ids=[f"{t}-{s}-{w}x{h}" for t, s, (w, h) in CASES]
)
def test_screen(theme: str, screen: str, size: tuple[int, int], snap_compare, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, theme, agent="none" if screen == "unanswered" else "")
    try:
        assert snap_compare(app, terminal_size=size, run_before=SCREENS[screen])
    finally:
        if app.room is not None:
            app.room.close()
