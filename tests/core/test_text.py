from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.text import SentenceSplitter, clean, split_sentences


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


@given(st.text(alphabet="ab .!?\n,", max_size=300), st.integers(min_value=1, max_value=7))
def test_splitting_loses_no_words_whatever_the_delta_size(text: str, step: int) -> None:
    out = feed_all(text, step)
    assert " ".join(out).split() == text.split()


def test_clean_removes_escape_sequences() -> None:
    evil = "Hi \x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 \x9b2J done\ttab\nline"
    assert clean(evil) == "Hi red  bell 2J done\ttab\nline"
