from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.text import SentenceSplitter, clean, plural, split_sentences


def feed_all(text: str, step: int) -> list[str]:
    splitter = SentenceSplitter()
    out: list[str] = []
    for i in range(0, len(text), step):
        out += splitter.feed(text[i : i + step])
    return out + splitter.flush()


def test_sentences_come_out_as_soon_as_complete() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there.") == []  # not known complete until whitespace follows
    assert splitter.feed(" How") == ["Hello there."]
    assert splitter.feed(" are") == []
    assert splitter.feed(" you?") == []
    assert splitter.flush() == ["How are you?"]


def test_abbreviations_and_numbers_do_not_cut() -> None:
    text = "Dr. Smith paid 3.5 euros, e.g. for coffee. Then he left!"
    assert split_sentences(text) == ["Dr. Smith paid 3.5 euros, e.g. for coffee.", "Then he left!"]


def test_newline_ends_a_sentence_and_long_runs_are_cut() -> None:
    assert split_sentences("First line\nSecond line") == ["First line", "Second line"]
    long = ", ".join(["word word word"] * 40)
    parts = split_sentences(long)
    assert len(parts) > 1
    assert all(len(p) <= 240 for p in parts)


@settings(deadline=None)  # correctness, not timing: the machine may be loaded
@given(st.text(alphabet="ab .!?\n,", max_size=300), st.integers(min_value=1, max_value=7))
def test_splitting_loses_no_words_whatever_the_delta_size(text: str, step: int) -> None:
    out = feed_all(text, step)
    assert " ".join(out).split() == text.split()


def test_clean_removes_escape_sequences() -> None:
    evil = "Hi \x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 \x9b2J done\ttab\nline"
    assert clean(evil) == "Hi red  bell 2J done\ttab\nline"


@settings(deadline=None)
@given(
    st.text(alphabet="ab .!?…\n,\"')", max_size=2000),
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=8, max_value=60),
)
def test_pieces_and_the_kept_buffer_stay_bounded(text: str, step: int, max_chars: int) -> None:
    splitter = SentenceSplitter(max_chars=max_chars)
    out: list[str] = []
    for i in range(0, len(text), step):
        out += splitter.feed(text[i : i + step])
        assert len(splitter._buffer) <= max_chars + step + 4
    out += splitter.flush()
    # No character lost (a word longer than max_chars is cut inside, so compare without spaces).
    assert "".join("".join(out).split()) == "".join(text.split())
    assert all(len(piece) <= max_chars + 4 for piece in out[:-1])


def test_long_runs_of_punctuation_are_cut_into_bounded_pieces() -> None:
    for text in ("." * 50_000, ". ! ? " * 10_000, "?!" * 20_000 + " end"):
        parts = split_sentences(text)
        assert "".join("".join(parts).split()) == "".join(text.split())
        assert max(len(p) for p in parts) <= 244


def test_json_output_is_strict() -> None:
    import json
    import math
    from pathlib import Path

    from tui.text import dump_json

    text = dump_json({"a": math.nan, "b": [math.inf, -math.inf, 1.5], 3: Path("/x"), "c": ("t", "\x1b[2J")})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5], "3": "/x", "c": ["t", "\x1b[2J"]}
    assert "NaN" not in text and "Infinity" not in text and "\x1b" not in text


def test_plural_counts_say_one_thing_and_many_things() -> None:
    assert [plural(n, "warning") for n in (0, 1, 2)] == ["0 warnings", "1 warning", "2 warnings"]
    assert plural(1, "person", "people") == "1 person" and plural(3, "person", "people") == "3 people"
