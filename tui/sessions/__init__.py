"""Sessions: every meeting saved as it happens, replayable, searchable and exportable.

Core code only (no Textual). Public API:

- :class:`SessionStore` (``store.py``): create (``persist=False`` for lazy creation) / open / list /
  delete / search, audio paths (``reserve_recording``, ``open_audio``); every change under the
  session's lock: ``add_turn``, ``update_turn``, ``update(session, fn)``, ``set_title``,
  ``set_conversation``, speaker renaming and merging (turns are written by :mod:`tui.lifecycle`).
- :data:`~tui.sessions.model.LIMITS` and :func:`~tui.sessions.model.single_line` (``model.py``): the
  one table of limits, and the one cleaner for a single line of outside text.
- :class:`Session`, :class:`TurnRecord`, :class:`SessionSummary`, :class:`BrokenSession`
  (``model.py``).
- :func:`export_session` and :data:`FORMATS` (``export.py``).
- :func:`replay_plan` (``replay.py``), :func:`sample_sessions_dir` (``samples.py``).
"""

from __future__ import annotations

from tui.sessions.export import FORMATS, export_session
from tui.sessions.model import SCHEMA_VERSION, BrokenSession, Session, SessionSummary, TurnRecord
from tui.sessions.replay import ReplayLine, ReplayStep, replay_plan
from tui.sessions.samples import sample_names, sample_sessions_dir
from tui.sessions.search import SearchHit
from tui.sessions.store import SessionError, SessionList, SessionStore

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "BrokenSession",
    "ReplayLine",
    "ReplayStep",
    "SearchHit",
    "Session",
    "SessionError",
    "SessionList",
    "SessionStore",
    "SessionSummary",
    "TurnRecord",
    "export_session",
    "replay_plan",
    "sample_names",
    "sample_sessions_dir",
]
