"""Third round of hostile files: every file Voxroom reads from its data dir and session folders goes
through one reader, and every session it writes can be read back. Real files, real FIFOs and links,
the real CLI (``tui.cli.main``), real threads and a real second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import clip_path, run_cli
from tests.sessions.conftest import make_session, write_tone
from tui.agent.mistral import AgentCache
from tui.audio.clip import Clip, load_clip
from tui.diarize.people import Person, VoiceProfileError, VoiceProfiles
from tui.errors import AudioInputError
from tui.fsutil import UnreadableFile, read_bytes
from tui.sessions.index import read_index
from tui.sessions.locking import SessionGone
from tui.sessions.model import Segment, TurnRecord
from tui.sessions.store import INDEX_FILE, SessionError, SessionStore
from tui.stt.references import encode_references
from tui.themes import read_state, write_state

ROOT = Path(__file__).resolve().parents[2]


def _within(seconds: float, fn: Callable[[], object]) -> object:
    """``fn()`` run in a thread that must finish within ``seconds`` (a FIFO must never block)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # reported below
            box["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn} still running after {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def _voice() -> list[float]:
    return [1.0] + [0.0] * 255


# -- links -------------------------------------------------------------------------------------------


def test_a_reference_clip_that_is_a_link_is_never_read(store: SessionStore, tmp_path: Path) -> None:
    session = make_session(store, turns=1)
    folder = store.root / session.id
    secret = tmp_path / "someone-else.wav"
    secret.write_bytes(clip_path("beckett.wav").read_bytes())
    link = folder / "person-speaker_1.flac"
    link.symlink_to(secret)
    with pytest.raises(AudioInputError, match="is a link, which Voxroom never reads through"):
        load_clip(link)
    with pytest.raises(AudioInputError, match="link"):  # a lazy clip ("play sample") too
        Clip(None, 16_000, link).flac_bytes()
    assert encode_references({"Alice": link}) == {}  # never sent as Alice's voice
    profiles = VoiceProfiles(tmp_path / "voices")
    with pytest.raises(VoiceProfileError, match="is a link"):
        profiles.add("Alice", _voice(), seconds=3.0, reference=link)
    assert profiles.list() == []
    (folder / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(UnreadableFile, match="its folder linked-dir is a link"):
        read_bytes(folder / "linked-dir" / "someone-else.wav", 1 << 20, within=store.root)
    assert load_clip(secret).duration > 1.0  # the file itself is fine: only the link is refused


def test_a_linked_folder_inside_the_data_dir_is_never_read_through(
    store: SessionStore, tmp_path: Path
) -> None:
    session = make_session(store, turns=1, title="Elsewhere")
    outside = tmp_path / "outside"
    (store.root / session.id).rename(outside)
    (store.root / session.id).symlink_to(outside, target_is_directory=True)
    with pytest.raises(SessionError, match=f"its folder {session.id} is a link"):
        store.open(session.id)
    assert store.list().sessions == []
    assert (outside / "session.json").is_file()  # left alone
    voices = store.root.parent / "voices"
    (tmp_path / "planted").mkdir()
    (tmp_path / "planted" / "voice_profiles.json").write_text('{"version": 1, "profiles": []}')
    voices.symlink_to(tmp_path / "planted", target_is_directory=True)
    with pytest.raises(VoiceProfileError, match="its folder voices is a link"):
        VoiceProfiles(voices).list()


# -- FIFOs, depth, size, records -----------------------------------------------------------------------


def test_a_fifo_in_place_of_any_file_never_hangs(store: SessionStore, tmp_path: Path) -> None:
    good = make_session(store, turns=1, title="Still here")
    bad = make_session(store, turns=1, title="Fifo")
    (store.root / bad.id / "session.json").unlink()
    os.mkfifo(store.root / bad.id / "session.json")
    os.mkfifo(store.root / INDEX_FILE)
    data = store.root.parent
    os.mkfifo(data / "state.json")
    (tmp_path / "cache").mkdir(exist_ok=True)
    os.mkfifo(tmp_path / "cache" / "agents.json")
    (data / "voices").mkdir()
    os.mkfifo(data / "voices" / "voice_profiles.json")
    os.mkfifo(tmp_path / "clip.wav")

    listing = _within(5, store.list)
    assert [s.id for s in listing.sessions] == [good.id]  # type: ignore[attr-defined]
    assert "not a regular file" in listing.broken[0].reason  # type: ignore[attr-defined]
    assert _within(5, lambda: read_state(data)) == {}
    assert _within(5, lambda: AgentCache(tmp_path / "cache" / "agents.json").get("k")) is None
    with pytest.raises(VoiceProfileError, match="not a regular file"):
        _within(5, VoiceProfiles(data / "voices").list)
    with pytest.raises(AudioInputError, match="not a regular file"):
        _within(5, lambda: load_clip(tmp_path / "clip.wav"))
    with pytest.raises(SessionError, match="not a regular file"):
        _within(5, lambda: store.open(bad.id))


def test_deeply_nested_cache_state_index_and_session_never_crash(store: SessionStore, tmp_path: Path) -> None:
    good = make_session(store, turns=1, title="Still here")
    bad = make_session(store, turns=1)
    deep = ("[" * 200_000 + "]" * 200_000).encode()
    deep_object = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()
    data = store.root.parent
    (store.root / bad.id / "session.json").write_bytes(deep_object)
    (store.root / INDEX_FILE).write_bytes(deep)
    (data / "state.json").write_bytes(deep_object)
    (tmp_path / "agents.json").write_bytes(deep)
    (data / "voices").mkdir()
    (data / "voices" / "voice_profiles.json").write_bytes(deep)

    listing = store.list()
    assert [s.id for s in listing.sessions] == [good.id]
    assert "nested too deeply" in listing.broken[0].reason and "moved aside" in listing.broken[0].reason
    assert read_state(data) == {}
    write_state(data, theme="voxroom-dark")  # a damaged state file is started afresh
    assert read_state(data) == {"theme": "voxroom-dark"}
    assert AgentCache(tmp_path / "agents.json").get("k") is None
    with pytest.raises(VoiceProfileError, match="nested too deeply"):
        VoiceProfiles(data / "voices").list()
    json.loads((store.root / INDEX_FILE).read_bytes())  # the index was rebuilt


def test_a_huge_session_of_empty_segments_is_refused_in_milliseconds(store: SessionStore) -> None:
    good = make_session(store, turns=1, title="Still here")
    bad = make_session(store, turns=0)
    empty = ",".join(["{}"] * 21_000_000)
    body = '{"schema_version": 2, "turns": [{"transcript": {"segments": [' + empty + "]}}]}"
    (store.root / bad.id / "session.json").write_text(body)
    assert len(body) > 60_000_000
    started = time.monotonic()
    listing = store.list()
    took = time.monotonic() - started
    assert took < 2.0, took
    assert [s.id for s in listing.sessions] == [good.id]
    assert "too many records" in listing.broken[0].reason


# -- dates and text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "created", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1969-01-01T00:00:00Z", "9999"]
)
def test_an_out_of_range_date_never_crashes(
    store: SessionStore, capsys: pytest.CaptureFixture[str], created: str
) -> None:
    session = make_session(store, turns=1)
    path = store.root / session.id / "session.json"
    data = json.loads(path.read_text())
    data["created"] = data["updated"] = data["turns"][0]["created"] = created
    path.write_text(json.dumps(data))
    for argv in (["sessions", "list"], ["sessions", "show", session.id], ["replay", session.id, "--no-play"]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, (argv, err)
    for fmt in ("txt", "md", "srt", "vtt", "json"):
        code, out, err = run_cli(capsys, "sessions", "export", session.id, "-f", fmt)
        assert code == 0 and out, (fmt, err)


def test_a_lone_surrogate_in_one_session_hides_nothing(
    store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_session(store, turns=1, title="Budget review")
    bad = make_session(store, turns=1, title="x")
    path = store.root / bad.id / "session.json"
    raw = path.read_text().replace('"title": "x"', '"title": "bad \\ud800 title"')
    raw = raw.replace("Question number 0", "Question \\udfff number 0")
    path.write_text(raw)
    assert "\\ud800" in path.read_text()
    code, out, err = run_cli(capsys, "sessions", "list")
    assert code == 0 and good.id in out and bad.id in out and "bad \ufffd title" in out, err
    code, out, _ = run_cli(capsys, "sessions", "search", "budget")
    assert code == 0 and good.id in out and bad.id in out
    for argv in (
        ["sessions", "show", bad.id],
        ["sessions", "export", bad.id, "-f", "json"],
        ["sessions", "export", bad.id, "-f", "md"],
        ["replay", bad.id, "--no-play"],
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 0 and "\ufffd" in out, (argv, err)
    reopened = store.open(bad.id)
    store.set_title(reopened, "fixed")  # and it saves again
    assert "\\ud800" not in path.read_text()


def test_a_non_utf8_argument_is_one_sentence(capsys: pytest.CaptureFixture[str], isolated_env: Path) -> None:
    code, out, err = run_cli(capsys, "sessions", "show", "ab\udcff")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "argument 3 is not valid UTF-8 text" in err
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "sessions", "show", b"ab\xff".decode("utf-8", "surrogateescape")],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    assert b"not valid UTF-8 text" in proc.stderr


# -- writing -------------------------------------------------------------------------------------------


def test_a_session_is_never_written_larger_than_it_can_be_read(store: SessionStore) -> None:
    session = make_session(store, turns=0)
    # One hostile turn: 2,000 segments of 20,000 characters (40 MB) is cut where it enters.
    flood = TurnRecord(
        duration=1.0, segments=[Segment(i, i + 1, "speaker_1", "w" * 20_000) for i in range(2_000)]
    )
    store.add_turn(session, flood)
    saved = store.open(session.id).turns[0]
    assert sum(len(s.text) for s in saved.segments) <= 400_000 and len(saved.segments) == 20
    assert any("kept the first 20 of 2000 segments" in n for n in saved.truncated)
    # A store whose read limit is small: turns are saved until one more would not be readable.
    store.max_file_bytes = (store.root / session.id / "session.json").stat().st_size + 2_500_000
    recording = store.reserve_recording(session)
    write_tone(recording)
    with pytest.raises(
        SessionError, match=r"is full: .* so it was not saved \(the recording is kept as turn-"
    ):
        for _ in range(20):
            store.add_turn(
                session,
                TurnRecord(
                    recording=recording.name,
                    duration=1.0,
                    reply="r" * 100_000,
                    segments=[Segment(0, 1, "speaker_1", "w" * 20_000)] * 20,
                ),
            )
    assert recording.is_file() and recording.stat().st_size > 0
    assert (store.root / session.id / "session.json").stat().st_size <= store.max_file_bytes
    assert store.open(session.id).turns  # still opens, and is still listed
    assert [s.id for s in store.list().sessions] == [session.id]


def test_delete_wins_over_concurrent_saves_in_threads(store: SessionStore) -> None:
    for _ in range(10):
        session = make_session(store, turns=1)
        folder = store.root / session.id
        outcomes: list[str] = []
        with store.locked(folder, session.id):  # both wait for this lock, in either order
            saver = threading.Thread(target=lambda s=session, o=outcomes: o.append(_save(store, s)))
            deleter = threading.Thread(target=lambda s=session: store.delete(s.id))
            saver.start()
            deleter.start()
            time.sleep(0.02)  # let both reach the lock (the order between them is what varies)
        saver.join(15)
        deleter.join(15)
        assert not saver.is_alive() and not deleter.is_alive()
        assert outcomes[0] in ("saved", "gone")
        assert _save(store, session) == "gone"  # the next save after a delete writes nothing
        assert not folder.exists()
        assert session.id not in read_index(store.root)


def test_delete_in_another_process_wins_over_an_ask_still_saving(store: SessionStore) -> None:
    session = make_session(store, turns=1, title="Secret plan")
    store.list()  # the index now holds the title
    folder = store.root / session.id
    stop = threading.Event()
    results: list[str] = []

    def ask() -> None:  # an `ask --session` saving turn after turn
        while not stop.is_set():
            result = _save(store, session)
            results.append(result)
            if result == "gone":
                return

    thread = threading.Thread(target=ask)
    thread.start()
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "sessions", "delete", session.id, "--yes"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    thread.join(30)
    stop.set()
    assert proc.returncode == 0, proc.stderr
    assert results and results[-1] == "gone"
    assert not folder.exists()  # never recreated (no transcripts without audio)
    index = (store.root / INDEX_FILE).read_text()
    assert "Secret plan" not in index and session.id not in index
    with pytest.raises(SessionGone, match="was deleted, so nothing more was saved to it"):
        store.reserve_recording(session)
    assert not folder.exists()


def _save(store: SessionStore, session: object) -> str:
    try:
        store.add_turn(session, TurnRecord(duration=1.0, reply="still answering"))  # type: ignore[arg-type]
    except SessionGone:
        return "gone"
    return "saved"


# -- voiceprints -----------------------------------------------------------------------------------------


def test_voiceprints_are_never_in_an_export_without_the_flag(
    store: SessionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    session = make_session(store, turns=1)
    people = [
        Person("speaker_1", "Alice", _voice(), None, 3.0),
        Person("speaker_2", None, _voice()[::-1], None, 2.0),
    ]
    store.update(session, lambda latest: setattr(latest, "people", people))
    code, out, _ = run_cli(capsys, "sessions", "export", session.id, "-f", "json")
    assert code == 0
    exported = json.loads(out)["people"]
    assert [p["label"] for p in exported] == ["speaker_1", "speaker_2"]
    assert all(p["voiceprint"] is None and "also" not in p for p in exported)
    code, out, _ = run_cli(capsys, "sessions", "export", session.id, "-f", "json", "--with-voiceprints")
    assert code == 0 and len(json.loads(out)["people"][0]["voiceprint"]) == 256
    voices = store.root.parent / "voices"
    assert not voices.exists()  # profiles are off: nothing about a voice outside the session folder
