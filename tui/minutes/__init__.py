"""Minutes of a session, written by the agent as structured output, checked, and saved with the session.

:func:`write_minutes` sends the session's transcript (by person name, with times: :mod:`.prompt`)
and a JSON schema (:mod:`.schema`) to the agent's :meth:`ask_json`, checks the answer strictly, and
saves it as the session's ``minutes.json`` (:mod:`tui.sessions.minutes`), replacing any before.
An answer that is not right is one sentence and nothing is saved. No Textual.
"""

from __future__ import annotations

from typing import Any, Protocol

from tui.minutes.prompt import INSTRUCTIONS, build_prompt, transcript_lines
from tui.minutes.schema import SCHEMA_NAME, minutes_schema, validate
from tui.sessions.minutes import Minutes, MinutesError, save_minutes
from tui.sessions.model import Session

__all__ = ["Minutes", "MinutesError", "StructuredAgent", "write_minutes"]


class StructuredAgent(Protocol):
    """An agent that can answer in JSON following a schema (Mistral's and the OpenAI-compatible one)."""

    name: str

    def ask_json(self, prompt: str, instructions: str, name: str, schema: dict[str, Any]) -> str: ...


def write_minutes(session: Session, agent: StructuredAgent, model: str = "") -> Minutes:
    """Ask ``agent`` for the minutes of ``session``, check them and save them in its folder."""
    if session.read_only or session.folder is None:
        raise MinutesError(
            f"Session {session.id} is read-only (a sample), so it cannot keep minutes.",
            hint="Continue it as a copy in the app first.",
        )
    if not transcript_lines(session):
        raise MinutesError(
            f"Session {session.id} has nothing said in it to write minutes from.",
            hint="Record a turn in it first.",
        )
    prompt = build_prompt(session)
    answer = agent.ask_json(prompt.text, INSTRUCTIONS, SCHEMA_NAME, minutes_schema(session))
    minutes = validate(answer, session, model)
    save_minutes(session.folder, minutes)
    return minutes
