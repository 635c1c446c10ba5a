"""A turn's live transcription in the room: finished when the recording stops (only the tail is
left to do), and, when its transcript is provisional (no speakers or times), completed in the
background after the reply, replacing the saved transcript."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.events import (
    CaptionChanged,
    Emit,
    PeopleChanged,
    RoomFailed,
    RoomNotice,
    StageChanged,
    TranscriptRevised,
)
from tui.model import TurnStage

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.model import Transcript
    from tui.stt.base import LiveTranscription
    from tui.turn import TurnRunner
    from tui.turnlog import TurnLog, TurnRef


CAPTION_CHARS = 1000
"""The most of a caption an event carries: the newest words, from a word boundary."""


def caption_on(live: LiveTranscription, turn: int, emit: Emit) -> None:
    """While ``live`` runs, each piece of text it recognises reports the caption of turn ``turn`` so
    far (:class:`CaptionChanged`); :func:`finish_live` and :func:`stop_live` end it."""

    def on_text(_piece: str) -> None:
        text = caption(live.partial_text)
        if text:
            emit(CaptionChanged(turn, text))

    live.on_text = on_text


def caption(text: str) -> str:
    """``text`` (already cleaned by the transcription) on one line, its last :data:`CAPTION_CHARS`
    from a word boundary, with "…" in front when cut."""
    flat = " ".join(text.split())
    if len(flat) <= CAPTION_CHARS:
        return flat
    tail = flat[-CAPTION_CHARS:]
    space = tail.find(" ")
    return "…" + (tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail)


def stop_live(live: LiveTranscription | None) -> None:
    if live is not None:
        live.on_text = None
        if hasattr(live, "on_turn"):
            live.on_turn = None  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):
            live.close()


def finish_live(
    live: LiveTranscription | None,
    clip: Clip,
    min_seconds: float,
    turn: int,
    emit: Emit,
    since: float,
    *,
    wait_final: bool = False,
) -> tuple[Transcript | None, float | None, LiveTranscription | None]:
    """The live transcript and its tail: the ms from ``since`` (``time.perf_counter()`` when the
    recording stopped, or when the turn could start after the one before it) to the transcript the
    reply starts from; or None to transcribe the recording. Then the live transcription itself while
    its transcript is provisional (it may still finish it, see :func:`complete_transcript`), else None
    (closed). ``wait_final`` (notes: no reply waits for them) waits for the finished transcript
    rather than starting from the live text when the service says the turn ended early."""
    if live is None:
        return None, None, None
    live.on_text = None  # the turn's transcript replaces its caption from here
    if clip.duration < min_seconds:
        stop_live(live)
        return None, None, None
    emit(StageChanged(turn, TurnStage.TRANSCRIBING))
    try:
        transcript = live.finish()
    except VoxroomError as err:
        stop_live(live)
        emit(RoomNotice(f"{err.message} Transcribing the recording instead.", "Transcription"))
        return None, None, None
    if wait_final and transcript.provisional and hasattr(live, "final"):
        try:
            finished = live.final()  # type: ignore[attr-defined]
        except VoxroomError:
            finished = None  # the live text stays, completed from the recording later
        if finished is not None:
            transcript = finished
    took = max(0.0, time.perf_counter() - since) * 1000.0
    if not transcript.provisional:
        stop_live(live)
        return transcript, took, None
    return transcript, took, live


def complete_transcript(
    runner: TurnRunner,
    log: TurnLog,
    ref: TurnRef,
    clip: Clip,
    early: Transcript,
    live: LiveTranscription | None,
    emit: Emit,
) -> threading.Thread:
    """The live transcript lacked speakers or times: in the background (the reply did not wait for
    it), the live transcription's finished transcript when it has them, else the recording
    transcribed whole, replaces it in the saved turn."""
    turn = ref.index

    def run() -> None:
        try:
            transcript = _finished(live, early, turn, emit)
            if transcript is None or transcript.provisional:
                transcript = runner.transcribe(clip, emit, turn)
            transcript, names = log.identify_speakers(clip, transcript)
            log.revise_transcript(ref, transcript)
            emit(PeopleChanged(names, log.suggestions()))
        except VoxroomError as err:
            emit(
                RoomNotice(
                    f"Turn {turn} keeps its live transcript, without speakers: {err.message}", "Transcription"
                )
            )
            return
        except Exception as err:  # never silently: say it, keep the live transcript
            emit(RoomFailed(VoxroomError(f"Completing turn {turn}'s transcript failed: {err}.")))
            return
        emit(TranscriptRevised(turn, transcript))

    thread = threading.Thread(target=run, name="voxroom-transcript", daemon=True)
    thread.start()
    return thread


def _finished(live: LiveTranscription | None, early: Transcript, turn: int, emit: Emit) -> Transcript | None:
    """What the live transcription finished after answering early (None: nothing more, or it
    failed; the recording is there). Says so when the reply began without words it then sent."""
    if live is None:
        return None
    try:
        finished = live.final()
    except VoxroomError:
        return None
    finally:
        stop_live(live)
    if finished is not None and _words(finished.text) != _words(early.text):
        emit(
            RoomNotice(
                f"Turn {turn}'s reply started before its last words were transcribed; the saved "
                "transcript has them, so ask again if the answer missed them.",
                "Transcription",
            )
        )
    return finished


def _words(text: str) -> list[str]:
    """The words of a text, for comparing two transcripts of one recording."""
    return re.findall(r"\w+", text.lower())
