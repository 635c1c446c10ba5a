"""The app's commands, listed once: the key bindings, the command palette and the help screen are all
made from :data:`COMMANDS` (no Textual import here)."""

from __future__ import annotations

from dataclasses import dataclass


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


COMMANDS: tuple[Command, ...] = (
    Command(
        "retry", "Retry last turn", "Run the last failed turn again with its recording", "ctrl+r", "Retry"
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
        "continue_session", "Continue this session", "Record new turns into the session being read", "ctrl+t"
    ),
    Command(
        "export",
        "Export session",
        "Write this session as Markdown, text, JSON, SRT or WebVTT",
        "ctrl+e",
        "Export",
    ),
    Command("rename_speaker", "Rename speaker", "Show a name instead of a speaker label"),
    Command("people", "People in this session", "Who has spoken: play a sample of a voice, or name them"),
    Command(
        "accept_suggestion",
        "Accept the suggested name",
        "Name a voice as the remembered one it sounds like",
        "ctrl+y",
    ),
    Command("choose_devices", "Choose devices", "Pick the microphone and the speaker"),
    Command("stop", "Stop speaking or replay", "Interrupt the reply being spoken, or the replay", "escape"),
    Command("replay", "Replay session", "Play the session's recordings and replies, following the text"),
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


def key_label(keys: str) -> str:
    """``ctrl+r`` -> ``ctrl+r``; ``f1,question_mark`` -> ``f1 or ?`` (for the help screen)."""
    names = {"question_mark": "?", "escape": "esc"}
    return " or ".join(names.get(k, k) for k in keys.split(","))
