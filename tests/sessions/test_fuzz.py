"""The loader on damaged files: it opens what it can and otherwise raises only its own clear error,
moves the damaged file aside, and never disturbs any other session."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sessions.conftest import make_session
from tui.sessions.model import Session
from tui.sessions.store import SessionError, SessionStore

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
FIELDS = [
    "id",
    "title",
    "created",
    "updated",
    "backend",
    "models",
    "conversation_id",
    "agent_id",
    "speaker_names",
    "turns",
]
TURN_FIELDS = [
    "index",
    "kind",
    "recording",
    "duration",
    "transcript",
    "reply",
    "timings",
    "status",
    "error",
    "context",
]


@functools.cache
def _template() -> tuple[Path, Session, Session]:
    """Two saved sessions, made once and copied for each example (saving fsyncs, copying does not)."""
    root = Path(tempfile.mkdtemp(prefix="voxroom-fuzz-")) / "sessions"
    atexit.register(shutil.rmtree, root.parent, True)
    store = SessionStore(root)
    good = make_session(store, turns=1, title="Good one")
    victim = make_session(store, turns=1, title="Victim")
    store.list()
    return root, good, victim


def _check_damaged(raw: bytes) -> None:
    template, good, victim = _template()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(template, Path(tmp) / "sessions")
        store = SessionStore(Path(tmp) / "sessions")
        path = store.root / victim.id / "session.json"
        path.write_bytes(raw)
        try:
            session = store.open(victim.id)
        except SessionError as err:
            assert str(err).startswith(f"Session {victim.id} ")
            moved = list(path.parent.glob("session.json.corrupt-*"))
            if "newer Voxroom" in str(err) or "too large" in str(err):
                assert path.read_bytes() == raw and not moved
            else:
                assert not path.exists() and [m.read_bytes() for m in moved] == [raw]
        else:
            assert isinstance(session, Session)
            for turn in session.turns:
                for name in (turn.recording, turn.reply_audio):
                    if name:
                        assert store.audio_path(session, name).parent == store.root / victim.id
        listing = store.list()
        assert good.id in {s.id for s in listing.sessions}
        assert store.open(good.id).to_dict() == {**good.to_dict(), "updated": good.updated}
        store.search("budget")


fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    _check_damaged(raw)


@fuzz
@given(st.data())
def test_damaged_real_file(data: st.DataObject) -> None:
    template, _good, victim = _template()
    raw = (template / victim.id / "session.json").read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    edits = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), max_size=5))
    damaged = bytearray(raw[:cut] if data.draw(st.booleans()) else raw)
    for pos, byte in edits:
        if pos < len(damaged):
            damaged[pos] = byte
    _check_damaged(bytes(damaged))


@fuzz
@given(
    st.dictionaries(st.sampled_from(FIELDS), json_values), st.sampled_from([1, 2, 2.0, 3, "2", None, True])
)
def test_wrong_types_everywhere(fields: dict[str, Any], version: Any) -> None:
    body = {"schema_version": version, **fields}
    _check_damaged(json.dumps(body).encode())


@fuzz
@given(st.lists(st.dictionaries(st.sampled_from(TURN_FIELDS), json_values), max_size=3))
def test_wrong_types_in_turns(turns: list[dict[str, Any]]) -> None:
    for version, key in ((2, "schema_version"), (1, "version")):
        _check_damaged(json.dumps({key: version, "turns": turns}).encode())


def test_deeply_nested_and_odd_json() -> None:
    for raw in (
        b"[" * 100_000,
        b'{"schema_version": 2, "turns": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"schema_version": 2, "turns": [{"duration": 1e999, '
        b'"transcript": {"segments": [{"start": NaN}]}}]}',
        b'{"schema_version": 2, "title": "' + b"9" * 5000 + b'", "turns": [{"index": ' + b"9" * 5000 + b"}]}",
        "\ufeff{}".encode(),
        b'"just a string"',
        b"null",
    ):
        _check_damaged(raw)
