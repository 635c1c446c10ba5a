"""Whisper's output as Voxroom's segments: one per sentence, timed by its words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from tui.audio.meter import frame_rms, is_loud
from tui.model import Segment, Transcript, Word
from tui.text import clean

SPEAKER = "speaker_1"
_SENTENCE_END = (".", "?", "!", "…")


def sentences(raw: Iterable[Any]) -> list[Segment]:
    """One segment per sentence, timed by its words; a segment without words is kept as is."""
    out: list[Segment] = []
    for seg in raw:
        words = list(getattr(seg, "words", None) or [])
        if not words:
            text = clean(str(seg.text)).strip()
            if text:
                out.append(Segment(round_time(seg.start), round_time(seg.end), SPEAKER, text))
            continue
        out.extend(split_words([Word(w.start, w.end, str(w.word)) for w in words]))
    return out


def split_words(words: list[Word]) -> list[Segment]:
    """Words into sentences (a word ending with ``.``, ``?``, ``!`` or ``…`` ends one), each timed
    from its first word's start to its last word's end."""
    out: list[Segment] = []
    current: list[Word] = []
    for word in [*words, None]:
        if word is not None:
            current.append(word)
        if current and (word is None or word.text.strip().endswith(_SENTENCE_END)):
            text = clean("".join(w.text for w in current)).strip()
            if text:
                out.append(Segment(round_time(current[0].start), round_time(current[-1].end), SPEAKER, text))
            current = []
    return out


def speech_seconds(audio: np.ndarray, rate: int) -> float:
    """Seconds of ``audio`` in 20 ms frames that sound like speech."""
    frame = max(1, rate // 50)
    rms = frame_rms(audio, frame)
    finite = rms[np.isfinite(rms)]
    return float(np.count_nonzero(is_loud(rms, float(finite.max()) if finite.size else 0.0))) * frame / rate


def words_after(transcript: Transcript, start: float) -> Transcript:
    """The part of ``transcript`` from ``start`` (seconds) on, as sentences of its words with times
    from ``start``: the words of the context before it are dropped (a word belongs to the side of
    ``start`` that holds its middle)."""
    kept = [
        Word(round_time(max(0.0, w.start - start)), round_time(max(0.0, w.end - start)), w.text)
        for w in transcript.words
        if (w.start + w.end) / 2 >= start
    ]
    out = split_words(kept)
    return Transcript(
        segments=out,
        text=" ".join(s.text for s in out),
        language=transcript.language,
        model=transcript.model,
        words=kept,
    )


def round_time(value: Any) -> float:
    return round(float(value), 2)
