"""Minutes of a session, written by the agent as structured output, checked, and saved with the session.

:func:`write_minutes` sends the session's transcript (by person name, with times: :mod:`.prompt`)
and a JSON schema (:mod:`.schema`) to the agent's :meth:`ask_json`, checks the answer strictly, and
saves it as the session's ``minutes.json`` (:mod:`tui.sessions.minutes`), replacing any before.
An answer that is not right is one sentence and nothing is saved. :func:`ask_minutes` is the one
way the CLI (``voxroom minutes``) and the app (the Minutes screen) ask: the agent from the settings
(one sentence saying how to configure one when there is none), the session read from the store.
No Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tui.minutes.prompt import INSTRUCTIONS, build_prompt, transcript_lines
from tui.minutes.schema import SCHEMA_NAME, minutes_schema, validate
from tui.sessions.minutes import Minutes, MinutesError, save_minutes
from tui.sessions.model import Session

if TYPE_CHECKING:
    from tui.config import Settings

__all__ = [
    "NO_AGENT",
    "Minutes",
    "MinutesError",
    "StructuredAgent",
    "ask_minutes",
    "write_minutes",
]

NO_AGENT = "No agent is configured, so no minutes can be written."


class StructuredAgent(Protocol):
    """An agent that can answer in JSON following a schema (Mistral's and the OpenAI-compatible one)."""

    name: str

    def ask_json(self, prompt: str, instructions: str, name: str, schema: dict[str, Any]) -> str: ...


def ask_minutes(
    settings: Settings, ref: str, *, keep: Callable[[], bool] | None = None
) -> tuple[Session, Minutes]:
    """The minutes of the session ``ref`` (an id, a prefix, a folder) from the agent of ``settings``,
    saved with the session; :data:`NO_AGENT` (a :class:`tui.errors.ConfigError`) when there is none.
    ``keep`` is asked once the answer is in: when it says no, nothing is saved."""
    from tui.backends import make_agent, used_models
    from tui.errors import ConfigError
    from tui.model import NO_AGENT_NEXT_STEP
    from tui.sessions.store import SessionStore

    agent = make_agent(settings)
    if agent.name == "none" or not hasattr(agent, "ask_json"):
        raise ConfigError(NO_AGENT, hint=NO_AGENT_NEXT_STEP)
    try:
        session = SessionStore(settings.sessions_dir).open(ref)
        minutes = write_minutes(session, agent, used_models(settings)["agent"], keep=keep)  # type: ignore[arg-type]
    finally:
        close = getattr(agent, "close", None)
        if callable(close):
            close()
    return session, minutes


def write_minutes(
    session: Session, agent: StructuredAgent, model: str = "", *, keep: Callable[[], bool] | None = None
) -> Minutes:
    """Ask ``agent`` for the minutes of ``session``, check them and save them in its folder (unless
    ``keep`` says no once the answer is in)."""
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
    if keep is not None and not keep():
        raise MinutesError("Asking for the minutes was cancelled, so nothing was saved.", hint="Ask again.")
    save_minutes(session.folder, minutes)
    return minutes
