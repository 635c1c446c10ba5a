"""Tests of the session store, exports, search, migration and the sessions/replay commands."""
