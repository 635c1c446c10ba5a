"""Sessions: every meeting saved as it happens, replayable, searchable and exportable.

Core code only (no Textual). Public API (one job per module):

- :class:`SessionStore` (``store.py``): create (``persist=False`` for lazy creation) / open / delete /
  copy; every change under the session's lock (``update(session, fn)``); turn and speaker changes
  (``add_turn``, ``update_turn``, ``set_title``, ``set_conversation``, speaker renaming and merging)
  come from ``changes.py``, audio paths (``reserve_recording``, ``open_audio``) from
  ``recordings.py``; turns are written by :mod:`tui.lifecycle`.
- ``list()`` and ``clean_up()`` (``index.py``): the list and its cache ``.index.json``; listing only
  reads, clean-up removes stale empty sessions. The lock: ``locking.py`` (``SessionGone`` when a
  session was deleted meanwhile). Names, the ``session.json`` reader and write errors: ``files.py``.
- :data:`~tui.sessions.fields.LIMITS` and :func:`~tui.sessions.fields.single_line` (``fields.py``):
  the one table of limits, and the one cleaner for a single line of outside text.
- :class:`Session` (``model.py``), :class:`TurnRecord` (``record.py``), :class:`SessionSummary`,
  :class:`BrokenSession` (``summary.py``); all importable from ``model.py``.
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
