"""Text helpers: neutralising terminal escapes, and cutting a streamed reply into sentences."""

from __future__ import annotations

import re

# C0 controls except tab/newline, DEL, and C1 controls (which include CSI 0x9b on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Full ANSI/VT escape sequences first, so their parameters don't survive as visible junk.
_ESCAPE_SEQ = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_])"
)


def clean(text: str) -> str:
    """Remove terminal escape sequences and control characters (keeps newlines and tabs).

    Everything that arrives from a service or a file (transcripts, replies, references, session
    fields) goes through this before it reaches the screen or an export.
    """
    return _CONTROL.sub("", _ESCAPE_SEQ.sub("", text))


_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "eg",
        "ie",
        "e.g",
        "i.e",
        "approx",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "fig",
        "al",
    ]
)
# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets), then whitespace.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")


class SentenceSplitter:
    """Feed text deltas in; complete sentences come out as soon as they are known to be complete.

    A sentence is complete when its end punctuation is followed by whitespace (so ``3.5`` or
    ``e.g.`` mid-stream do not cut it). Very long runs without punctuation are cut at a comma or
    space after ``max_chars`` so speech never waits on a run-on reply. Newlines end a sentence.
    """

    def __init__(self, max_chars: int = 240, min_chars: int = 2) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out: list[str] = []
        while True:
            cut = self._find_cut()
            if cut is None:
                break
            sentence, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
            if len(sentence) >= self.min_chars:
                out.append(sentence)
            elif sentence and out:
                out[-1] += " " + sentence
            elif sentence:
                self._buffer = sentence + " " + self._buffer
                break
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _find_cut(self) -> int | None:
        buf = self._buffer
        newline = buf.find("\n")
        for match in _END.finditer(buf):
            if newline != -1 and newline < match.start():
                break
            word = buf[: match.start()].rsplit(None, 1)[-1].lower() if buf[: match.start()].strip() else ""
            if buf[match.start()] == "." and (word.rstrip(".") in _ABBREVIATIONS or len(word) == 1):
                continue
            return match.end()
        if newline != -1:
            return newline + 1
        if len(buf) > self.max_chars:
            window = buf[: self.max_chars]
            pos = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
            if pos < self.max_chars // 3:
                pos = window.rfind(" ")
            return (pos + 1) if pos > 0 else self.max_chars
        return None


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text + " ") + splitter.flush()
