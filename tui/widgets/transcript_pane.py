"""The transcript pane: each turn under its header (``Turn 2 · 10:32 · question``), then its diarized
segments ``[0:07 -> 0:12] speaker : text`` on the session timeline, one colour per speaker, newest at
the bottom, following new lines unless the user has scrolled up. Headers and times are written by
:mod:`tui.sessions.clock`, as ``sessions show`` and the exports write them."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.model import Segment, Transcript
from tui.sessions.clock import line_span
from tui.text import clean
from tui.themes import speaker_index
from tui.widgets.following import FollowingScroll


class SegmentLine(Static):
    DEFAULT_CSS = """
    SegmentLine { width: 1fr; height: auto; }
    SegmentLine.-current { background: $speaking-highlight; }
    """

    def __init__(
        self,
        segment: Segment,
        colour: int,
        turn: int,
        names: dict[str, str],
        *,
        live: bool = False,
        offset: float = 0.0,
    ) -> None:
        super().__init__()
        self.segment = segment
        self.colour = colour
        self.turn = turn
        self.live = live
        """A provisional (live) line: its speakers are not known yet, so it names none."""
        self.turn_start = offset
        """Where the turn starts on the session timeline (the line's times count from the session's start)."""
        self.show(names)

    @property
    def when(self) -> str:
        """``[0:07 -> 0:12]`` (a provisional line without times: ``""``)."""
        seg = self.segment
        if self.live and seg.end <= 0:
            return ""
        return line_span(self.turn_start + seg.start, self.turn_start + seg.end)

    def show(self, names: dict[str, str]) -> None:
        seg = self.segment
        if self.live:
            # Provisional: dim and italic, its times when the service sent some, and no speaker.
            when = self.when
            markup = "[dim]$when[/] [dim i]$said[/]" if when else "[dim i]$said[/]"
            self.update(Content.from_markup(markup, when=when, said=clean(seg.text)))
            return
        speaker = clean(names.get(seg.speaker, seg.speaker))
        self.update(
            Content.from_markup(
                f"[dim]$when[/] [b $speaker-{self.colour}]$who[/] : $said",
                when=self.when,
                who=speaker,
                said=clean(seg.text),
            )
        )

    def plain(self, names: dict[str, str]) -> str:
        """The line as ``sessions show`` and the text export write it."""
        seg = self.segment
        if self.live:
            return clean(f"{self.when} {seg.text}".strip())
        return clean(f"{self.when} {names.get(seg.speaker, seg.speaker)} : {seg.text}")


class TurnHeader(Static):
    """A turn's header above its lines: ``Turn 2 · 10:32 · question``."""

    DEFAULT_CSS = """
    TurnHeader { width: 1fr; height: auto; color: $text-muted; text-style: bold; }
    TurnHeader.-gap { margin-top: 1; }
    """

    def __init__(self, turn: int, header: str) -> None:
        super().__init__()
        self.turn = turn
        self.header = clean(header)
        self.update(Content(self.header))


class CaptionLine(Static):
    """The live caption of the turn being recorded: what is recognised so far, dim and italic under a
    "Listening" header, naming no speaker; the turn's transcript lines replace it."""

    DEFAULT_CSS = """
    CaptionLine { width: 1fr; height: auto; margin-top: 1; }
    """

    def __init__(self, turn: int) -> None:
        super().__init__()
        self.turn = turn
        self.text = ""

    def show(self, text: str) -> None:
        self.text = clean(text)
        said = self.text if self.text.startswith("…") else f"… {self.text}"  # a cut caption has its "…"
        self.update(Content.from_markup("[b dim]Listening[/]\n[dim i]$said[/]", said=said))


class TranscriptPane(FollowingScroll):
    """Append transcripts with :meth:`add_transcript`; rename speakers with :meth:`set_names`."""

    DEFAULT_CSS = """
    TranscriptPane { height: 1fr; padding: 0 1; }
    TranscriptPane > .placeholder { color: $text-muted; }
    """

    PLACEHOLDER = "The transcript of each recording appears here."

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.names: dict[str, str] = {}
        self.speakers: list[str] = []

    def add_transcript(
        self, transcript: Transcript, turn: int = 0, *, header: str = "", offset: float = 0.0
    ) -> None:
        """Turn ``turn``'s lines under its ``header`` (``""``: ``Turn N``), timed from ``offset`` on
        the session timeline; they take the place of its live caption."""
        self._drop_placeholder()
        lines = self._lines(transcript, turn, offset)
        if lines:
            gap = bool(self.shown_lines) or bool(self._headers())
            head = TurnHeader(turn, header or f"Turn {turn}")
            head.set_class(gap, "-gap")
            lines = [head, *lines]
        caption = self._caption(turn)
        if caption is not None:  # the turn's lines take its caption's place
            if lines:
                self.mount(*lines, before=caption)
            caption.remove()
            self.grew()
        elif lines:
            self.add(*lines)

    def _headers(self) -> list[TurnHeader]:
        return [h for h in self.query(TurnHeader) if not h._pruning]

    @property
    def headers(self) -> list[str]:
        """The header of each turn shown (tests)."""
        return [h.header for h in self._headers()]

    def show_caption(self, turn: int, text: str) -> None:
        """Show ``text`` as turn ``turn``'s live caption (provisional: no speaker, no times)."""
        caption = self._caption(turn)
        if caption is None:
            self._drop_placeholder()
            caption = CaptionLine(turn)
            caption.show(text)
            self.add(caption)
            return
        caption.show(text)
        self.grew()

    def drop_caption(self, turn: int) -> None:
        """Remove turn ``turn``'s caption (its recording gave no transcript); an empty pane shows
        its placeholder again."""
        caption = self._caption(turn)
        if caption is not None:
            caption.remove()
            others = [c for c in self.query(CaptionLine) if c is not caption]
            if not self.shown_lines and not others and self._placeholder is None:
                self._show_placeholder()

    @property
    def captions(self) -> list[str]:
        """The text of each live caption shown (tests)."""
        return [caption.text for caption in self.query(CaptionLine)]

    def _caption(self, turn: int) -> CaptionLine | None:
        return next((c for c in self.query(CaptionLine) if c.turn == turn), None)

    def replace_transcript(
        self, transcript: Transcript, turn: int, *, header: str = "", offset: float = 0.0
    ) -> None:
        """Show ``transcript`` instead of what turn ``turn``'s lines showed (a provisional one,
        completed), under the same header."""
        old = [line for line in self.query(SegmentLine) if line.turn == turn]
        if not old:
            self.add_transcript(transcript, turn, header=header, offset=offset)
            return
        lines = self._lines(transcript, turn, offset)
        if lines:
            self.mount(*lines, before=old[0])
        for line in old:
            line.remove()

    def _lines(self, transcript: Transcript, turn: int, offset: float) -> list[SegmentLine]:
        segments = transcript.segments or (
            [Segment(0.0, 0.0, "speaker_1", transcript.text)] if transcript.text.strip() else []
        )
        lines = []
        live = transcript.provisional  # no speakers yet: none is named, counted or coloured
        for seg in segments:
            colour = 0 if live else speaker_index(seg.speaker, self.speakers)
            lines.append(SegmentLine(seg, colour, turn, self.names, live=live, offset=offset))
        return lines

    def set_names(self, names: dict[str, str]) -> None:
        self.names = dict(names)
        for line in self.query(SegmentLine):
            line.show(self.names)

    def highlight(self, turn: int | None, line: int | None) -> None:
        """Mark line ``line`` of turn ``turn`` as the one being heard (replay); ``None`` clears."""
        current = None
        index = 0
        for seg in self.query(SegmentLine):
            if seg.turn == turn:
                hit = index == line
                index += 1
            else:
                hit = False
            seg.set_class(hit, "-current")
            if hit:
                current = seg
        if current is not None:
            self.scroll_to_widget(current, animate=False)

    @property
    def highlighted(self) -> list[str]:
        return [line.plain(self.names) for line in self.query(SegmentLine) if line.has_class("-current")]

    def clear(self) -> None:
        """Empty the pane (the lines leave the DOM on the next frame): the placeholder shows until
        the next transcript."""
        self.remove_children()
        self.speakers.clear()
        self._show_placeholder()

    @property
    def shown_lines(self) -> list[SegmentLine]:
        """The lines on show (not those a :meth:`clear` is taking out of the DOM)."""
        return [line for line in self.query(SegmentLine) if not line._pruning]

    @property
    def lines(self) -> list[str]:
        """The plain text of every line (tests, export)."""
        return [line.plain(self.names) for line in self.shown_lines]
