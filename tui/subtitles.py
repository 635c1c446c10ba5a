"""Transcript text formats shared by ``voxroom transcribe`` and session export: SRT and WebVTT."""

from __future__ import annotations

from collections.abc import Iterable

from tui.model import Segment
from tui.text import clean


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cue_text(seg: Segment, names: dict[str, str] | None, vtt: bool) -> str:
    speaker = clean((names or {}).get(seg.speaker, seg.speaker))
    text = clean(seg.text).replace("-->", "->").strip()
    # A blank line would end the cue early; keep cue text on non-empty lines.
    text = "\n".join(line for line in text.splitlines() if line.strip()) or "…"
    if vtt:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        speaker = speaker.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f"<v {speaker}>{text}"
    return f"{speaker}: {text}"


def _times(seg: Segment, offset: float) -> tuple[float, float]:
    start = max(0.0, seg.start + offset)
    end = max(start + 0.001, seg.end + offset)
    return start, end


def to_srt(segments: Iterable[tuple[Segment, float]], names: dict[str, str] | None = None) -> str:
    """SubRip from ``(segment, offset_seconds)`` pairs; numbered from 1, ``HH:MM:SS,mmm``."""
    cues = []
    for n, (seg, offset) in enumerate(segments, start=1):
        start, end = _times(seg, offset)
        cues.append(f"{n}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n{_cue_text(seg, names, False)}\n")
    return "\n".join(cues)


def to_vtt(segments: Iterable[tuple[Segment, float]], names: dict[str, str] | None = None) -> str:
    """WebVTT from ``(segment, offset_seconds)`` pairs; voice spans carry the speaker."""
    cues = ["WEBVTT\n"]
    for n, (seg, offset) in enumerate(segments, start=1):
        start, end = _times(seg, offset)
        cues.append(f"{n}\n{_stamp(start, '.')} --> {_stamp(end, '.')}\n{_cue_text(seg, names, True)}\n")
    return "\n".join(cues)
