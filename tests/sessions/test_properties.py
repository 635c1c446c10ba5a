"""Property tests: any session survives save/load unchanged, and its subtitles are always valid."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.model import Reference, Segment, Timings
from tui.sessions.export import export_session
from tui.sessions.model import MODEL_KEYS, TURN_STATUSES, Session, TurnRecord
from tui.sessions.store import SessionStore

# Text as it reaches a session from a service: anything printable (controls are cleaned on the way in).
clean_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
labels = st.sampled_from(["speaker_1", "speaker_2", "speaker_3", "speaker_10"])
seconds = st.integers(0, 10**7).map(lambda n: n / 1000)
ms = st.none() | st.integers(0, 10**6).map(lambda n: n / 10)


@st.composite
def segments(draw: st.DrawFn, text: st.SearchStrategy[str] = clean_text) -> Segment:
    start = draw(seconds)
    return Segment(start, start + draw(seconds), draw(labels), draw(text))


@st.composite
def turns(draw: st.DrawFn, text: st.SearchStrategy[str] = clean_text) -> TurnRecord:
    files = st.none() | st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}\.(flac|wav)", fullmatch=True)
    return TurnRecord(
        recording=draw(files),
        duration=draw(seconds),
        segments=draw(st.lists(segments(text), max_size=6)),
        transcript_text=draw(text),
        language=draw(st.none() | st.sampled_from(["en", "fr"])),
        reply=draw(text),
        references=draw(
            st.lists(st.builds(Reference, title=text.filter(bool), url=text, source=text), max_size=3)
        ),
        blocked=draw(st.booleans()),
        moderation=draw(st.none() | text.filter(bool)),
        reply_audio=draw(files),
        timings=Timings(draw(ms), draw(ms), draw(ms), draw(ms), draw(ms), draw(ms)),
        status=draw(st.sampled_from(TURN_STATUSES)),
        failed_step=draw(st.none() | st.sampled_from(["transcription", "agent", "speech"])),
        error=draw(st.none() | text.filter(bool)),
        created="2026-11-25T13:00:00Z",
    )


@st.composite
def sessions(draw: st.DrawFn, text: st.SearchStrategy[str] = clean_text) -> Session:
    session = Session(
        id="s",
        title=draw(text),
        created="2026-11-25T12:00:00Z",
        backend=draw(st.sampled_from(["Mistral", "offline", "mixed"])),
        models={k: draw(text) for k in MODEL_KEYS},
        conversation_id=draw(st.none() | text.filter(bool)),
        agent_id=draw(st.none() | text.filter(bool)),
        speaker_names=draw(st.dictionaries(labels, text.filter(lambda t: bool(t.strip())), max_size=3)),
    )
    for turn in draw(st.lists(turns(text), max_size=5)):
        session.add_turn(turn)
    return session


def _stored(session: Session, root: Path) -> tuple[SessionStore, Session]:
    store = SessionStore(root / "sessions")
    fresh = store.create()
    session.id, session.folder = fresh.id, fresh.folder
    store.save(session)
    return store, store.open(fresh.id)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions())
def test_save_then_load_gives_the_same_session(session: Session) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _store, loaded = _stored(session, Path(tmp))
        assert loaded.to_dict() == session.to_dict()
        assert loaded.problems == []


def test_a_reference_with_no_title_or_address_is_dropped_when_saved_as_when_read() -> None:
    """Hypothesis found it: a reference titled only by spaces was saved, then dropped by the reader."""
    session = Session(id="s", title="", created="2026-11-25T12:00:00Z")
    blank, kept = Reference(title=" ", url="", source=""), Reference(title="Météo", url="", source="")
    session.add_turn(TurnRecord(references=[blank, kept], created="2026-11-25T13:00:00Z"))
    with tempfile.TemporaryDirectory() as tmp:
        _store, loaded = _stored(session, Path(tmp))
    assert [r.title for r in loaded.turns[0].references] == ["Météo"]
    assert loaded.to_dict() == session.to_dict()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(any_text))
def test_any_text_loads_clean_and_stays_stable(session: Session) -> None:
    controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    with tempfile.TemporaryDirectory() as tmp:
        store, loaded = _stored(session, Path(tmp))
        body = loaded.to_dict()
        assert not any(controls.search(str(v)) for v in _strings(body))
        store.save(loaded)
        assert store.open(loaded.id).to_dict() == {**body, "updated": store.open(loaded.id).updated}


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + [str(k) for k in value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


# -- subtitles parse back -------------------------------------------------------------------------
_SRT_TIME = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$")
_VTT_TIME = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$")


def _ms(groups: tuple[str, ...]) -> tuple[int, int]:
    h, m, s, f, h2, m2, s2, f2 = map(int, groups)
    return ((h * 60 + m) * 60 + s) * 1000 + f, ((h2 * 60 + m2) * 60 + s2) * 1000 + f2


def parse_cues(text: str, time_line: re.Pattern[str]) -> list[tuple[int, int, int, str]]:
    """A strict little SRT/WebVTT reader: (number, start ms, end ms, text) per cue."""
    out = []
    assert text.endswith("\n") or not text
    for block in [b for b in text.split("\n\n") if b.strip()]:
        lines = block.strip("\n").split("\n")
        assert len(lines) == 3, block
        number, times, cue_text = lines
        assert number.isdigit(), block
        match = time_line.match(times)
        assert match, times
        start, end = _ms(match.groups())
        out.append((int(number), start, end, cue_text))
    return out


def _expected_cues(session: Session) -> list[tuple[str, str]]:
    out = []
    for turn in session.turns:
        for seg in turn.segments:
            text = " ".join(seg.text.split())
            if text:
                out.append((" ".join(session.name(seg.speaker).split()) or seg.speaker, text))
    return out


def _check(session: Session, cues: list[tuple[int, int, int, str]]) -> None:
    assert [c[0] for c in cues] == list(range(1, len(cues) + 1))
    assert all(start <= end for _, start, end, _ in cues)
    assert [c[1] for c in cues] == sorted(c[1] for c in cues)
    assert len(cues) == len(_expected_cues(session))
    total_ms = round(session.duration * 1000)
    assert all(end <= total_ms + 1 for _, _, end, _ in cues)


@settings(max_examples=120, deadline=None)
@given(sessions())
def test_srt_is_valid(session: Session) -> None:
    session = Session.from_dict(session.to_dict())
    text = export_session(session, "srt")
    cues = parse_cues(text, _SRT_TIME)
    _check(session, cues)
    speakers = sorted({name for name, _ in _expected_cues(session)}, key=len, reverse=True)
    for _, _, _, line in cues:
        assert "-->" not in line
        assert "<" not in line
        shown = [name.replace("-->", "→").replace("<", "‹").replace(">", "›") for name in speakers]
        assert any(line.startswith(f"{name}: ") for name in shown)


@settings(max_examples=120, deadline=None)
@given(sessions())
def test_webvtt_is_valid(session: Session) -> None:
    session = Session.from_dict(session.to_dict())
    text = export_session(session, "vtt")
    header, _, body = text.partition("\n\n")
    header = header.removesuffix("\n")
    assert header.startswith("WEBVTT") and "\n" not in header and "-->" not in header
    cues = parse_cues(body, _VTT_TIME)
    _check(session, cues)
    for _, _, _, line in cues:
        assert "-->" not in line and "<" not in line
        assert not re.search(r"&(?!amp;|lt;|gt;)", line)
    unescaped = [c[3].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for c in cues]
    assert [u.split(": ", 1)[1] for u in unescaped] == [t for _, t in sorted_expected(session)]


def sorted_expected(session: Session) -> list[tuple[str, str]]:
    """The expected cue texts in the exporter's order: by absolute start, stable within a turn."""
    items = []
    for turn, offset in zip(session.turns, session.offsets(), strict=True):
        for seg in sorted(turn.segments, key=lambda s: (s.start, s.end)):
            text = " ".join(seg.text.split())
            if text:
                items.append((offset + seg.start, turn.index, session.name(seg.speaker), text))
    items.sort(key=lambda x: (x[0], x[1]))
    return [(name, text) for _, _, name, text in items]


@settings(max_examples=60, deadline=None)
@given(sessions(any_text))
def test_every_format_names_speakers_and_never_fails(session: Session) -> None:
    session = Session.from_dict(session.to_dict())
    for fmt in ("txt", "md", "srt", "vtt", "json"):
        out = export_session(session, fmt)
        assert out.endswith("\n") or out == ""
        assert "\x1b" not in out
    named = {label for label, name in session.speaker_names.items() if name.strip() and label not in name}
    srt = export_session(session, "srt")
    for label in named:
        assert not re.search(rf"^{re.escape(label)}: ", srt, re.M)


@settings(max_examples=100, deadline=None)
@given(sessions(any_text))
def test_cold_list_summary_matches_the_full_session(session: Session) -> None:
    from tui.sessions.model import SessionSummary

    data = session.to_dict()
    assert SessionSummary.from_data(data, "s") == SessionSummary.of(Session.from_dict(data, "s"))
