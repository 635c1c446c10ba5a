"""The app's commands, listed once: the key bindings, the command palette and the help screen are all
made from :data:`COMMANDS` (no Textual import here)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tui.trigger import key_label as trigger_key_label


class Need(StrEnum):
    """What must be true for a command to do anything now (the palette offers only those that can)."""

    NOTHING = "nothing"
    FAILED_TURN = "failed-turn"
    """A failed turn to run again."""
    TO_CONTINUE = "to-continue"
    """A session to continue: one opened to read (not the room's own), or the last one, offered at
    start."""
    SOUND = "sound"
    """A reply being spoken, or a replay or a sample playing."""
    TURNS = "turns"
    """The session on show has turns, and the room is free."""
    SPEAKERS = "speakers"
    """Somebody has spoken in the session on show."""
    SUGGESTION = "suggestion"
    """A remembered voice suggested a name."""
    TITLED = "titled"
    """The session on show is saved, not a sample, and has a turn: it can be given a title."""
    TRANSCRIPT = "transcript"
    """The session on show is saved and something was said in it."""
    MISTRAL = "mistral"
    """Mistral's service (a key): offered all the same, saying what is needed when there is none."""


@dataclass(frozen=True, slots=True)
class Command:
    action: str
    """The app action it runs (``action_<name>``), with arguments if any: ``trigger('fallback')``."""
    title: str
    """Its name in the palette and the help screen."""
    help: str
    keys: str = ""
    """Textual key names, comma-separated (``""``: palette only)."""
    footer: str = ""
    """Its short label in the footer (``""``: not shown there)."""
    priority: bool = False
    """Handled even when a widget has focus (used for keys no widget types)."""
    needs: Need = Need.NOTHING
    """When it can run (the palette hides it otherwise; its key still answers with why not)."""


COMMANDS: tuple[Command, ...] = (
    Command(
        "retry",
        "Retry last turn",
        "Run the last failed turn again with its recording",
        "ctrl+r",
        "Retry",
        needs=Need.FAILED_TURN,
    ),
    Command(
        "notes",
        "Take notes",
        "Record the meeting as notes (transcribed, who spoke; never sent to the agent); again to stop",
        "n",
        "Notes",
    ),
    Command("new_session", "New session", "Start a new, empty session", "ctrl+n", "New"),
    Command(
        "open_session",
        "Open session",
        "Browse past sessions and samples; read one or continue it",
        "ctrl+o",
        "Open",
    ),
    Command(
        "continue_session",
        "Continue this session",
        "Record new turns into the session being read",
        "ctrl+t",
        needs=Need.TO_CONTINUE,
    ),
    Command(
        "export",
        "Export session",
        "Write this session as Markdown, text, JSON, SRT or WebVTT",
        "ctrl+e",
        "Export",
    ),
    Command(
        "minutes",
        "Minutes",
        "The session's summary, decisions, action items and open questions, written by the agent",
        "m",
        "Minutes",
        needs=Need.TRANSCRIPT,
    ),
    Command(
        "rename_session",
        "Rename session",
        "Give this session a title (left empty, it is named after its first words)",
        needs=Need.TITLED,
    ),
    Command(
        "rename_speaker", "Rename speaker", "Show a name instead of a speaker label", needs=Need.SPEAKERS
    ),
    Command("people", "People in this session", "Who has spoken: play a sample of a voice, or name them"),
    Command(
        "accept_suggestion",
        "Accept the suggested name",
        "Name a voice as the remembered one it sounds like",
        "ctrl+y",
        needs=Need.SUGGESTION,
    ),
    Command("choose_devices", "Choose devices", "Pick the microphone and the speaker"),
    Command(
        "voices",
        "Voices",
        "The assistant's voice: hear the service's voices, choose one, make one from a recording",
        "v",
        needs=Need.MISTRAL,
    ),
    Command(
        "stop",
        "Stop speaking or replay",
        "Interrupt the reply being spoken, or the replay",
        "escape",
        needs=Need.SOUND,
    ),
    Command(
        "replay",
        "Replay session",
        "Play the session's recordings and replies, following the text",
        needs=Need.TURNS,
    ),
    Command("help", "Help", "Keys and how Voxroom works", "f1,question_mark", "Help"),
    Command(
        "quit",
        "Quit",
        "Leave Voxroom (a recording in progress is kept as an interrupted turn)",
        "ctrl+q",
        "Quit",
        True,
    ),
)


KEY_NAMES = {"question_mark": "?", "escape": "Esc", "ctrl": "Ctrl", "shift": "Shift", "alt": "Alt"}


def key_label(keys: str) -> str:
    """Textual key names as a person reads them: ``ctrl+r`` -> ``Ctrl+R``; ``f1,question_mark`` ->
    ``F1 or ?``; ``right_shift`` -> ``Right Shift`` (the help screen and the palette)."""

    def one(key: str) -> str:
        return "+".join(KEY_NAMES.get(part) or trigger_key_label(part) for part in key.split("+"))

    return " or ".join(one(k.strip()) for k in keys.split(",") if k.strip())
