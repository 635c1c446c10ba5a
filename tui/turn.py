"""One spoken turn: recording -> transcript -> streamed reply -> speech, overlapped for low latency.

The pipeline is plain threads, no Textual; it reports what happens as :mod:`tui.events`. The agent's
text deltas are cut into sentences as they arrive; each sentence is queued to a speech thread that
synthesizes it and hands its PCM blocks to the sink, so the first sentence is spoken while the rest
of the reply is still being written, and sentence N+1 is requested as soon as sentence N's audio is
received (:mod:`tui.speech_queue`). A speaker that takes text as it is written (the realtime speech
socket) gets each sentence while it is being written, so speech starts from the reply's first words.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.agent.base import Agent, NoAgent
from tui.audio.clip import Clip
from tui.audio.sinks import AudioSink, MemorySink, TeeSink
from tui.context import AgentInput, MeetingNotes, agent_input
from tui.errors import AgentError, AudioInputError, VoxroomError
from tui.events import (
    Emit,
    ReplyDelta,
    ReplyReady,
    SentenceSpoken,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
    ignore,
)
from tui.model import Reply, SentContext, Timings, Transcript, TurnStage, TurnStatus
from tui.speculate import Speculation, Speculator
from tui.speech.base import Speaker
from tui.speech_queue import SpeechQueue
from tui.stt.base import Transcriber
from tui.text import SentenceSplitter

BLOCKED_LINE = "Sorry, I can't help with that one."


class TurnStopped(BaseException):
    """Stops a running turn at once (a signal, or the room closing). Raised in the turn's thread; a
    ``BaseException`` so no backend's ``except Exception`` swallows it. The turn ends
    ``interrupted`` keeping what was received (the transcript, the reply so far)."""

    def __init__(self, reason: str = "Voxroom was stopped") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class TurnResult:
    transcript: Transcript | None = None
    reply: Reply | None = None
    timings: Timings = field(default_factory=Timings)
    sentences: list[str] = field(default_factory=list)
    speech: MemorySink = field(default_factory=MemorySink)
    """Every reply audio block, for saving to the session."""
    status: TurnStatus = TurnStatus.PENDING
    """How the turn ended (:class:`tui.model.TurnStatus`); ``pending`` until it ends."""
    failed_step: str | None = None
    error: str | None = None
    refused: list[int] = field(default_factory=list)
    """Indexes (in ``sentences``) of sentences the speech service refused (moderation); not spoken."""
    early_calls: int = 0
    """Early (speculative) agent calls made for this turn (:mod:`tui.speculate`)."""
    early_used: bool = False
    """The reply is the early answer, held since before the press."""
    context: SentContext | None = None
    """What the agent was sent besides the question (notes, who asked); None when it was not asked."""

    @property
    def ok(self) -> bool:
        return self.status not in (TurnStatus.FAILED, TurnStatus.PENDING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "failed_step": self.failed_step,
            "error": self.error,
            "transcript": self.transcript.to_dict() if self.transcript else None,
            "reply": self.reply.to_dict() if self.reply else None,
            "sentences": self.sentences,
            "refused": self.refused,
            "timings": self.timings.to_dict(),
        }


class _Clock:
    def __init__(self, t0: float) -> None:
        self.t0 = t0

    @staticmethod
    def now() -> float:
        return time.perf_counter()

    def since(self, t: float | None = None) -> float:
        return (self.now() - (self.t0 if t is None else t)) * 1000.0


SpeakerMatcher = Callable[[Clip, Transcript], tuple[Transcript, dict[str, str]]]
"""Relabels a turn's transcript with the session's people; gives the names known."""


class TurnRunner:
    """Runs turns with one set of backends. Thread-safe for one turn at a time."""

    def __init__(
        self,
        transcriber: Transcriber,
        agent: Agent,
        speaker: Speaker | None,
        *,
        min_seconds: float = 0.3,
        max_chunk_seconds: float = 900.0,
        chunk_concurrency: int = 3,
        early_answer: bool = False,
        early_answer_calls: int = 3,
        context_chars: int = 16_000,
    ) -> None:
        """``context_chars``: the most characters of meeting notes sent with a question
        (``agent.context_chars``; 0 sends none)."""
        self.transcriber = transcriber
        self.agent = agent
        self.speaker = speaker
        self.min_seconds = min_seconds
        self.max_chunk_seconds = max_chunk_seconds
        self.chunk_concurrency = chunk_concurrency
        self.early_answer = early_answer
        self.early_answer_calls = early_answer_calls
        self.context_chars = max(0, int(context_chars))
        self.cancel = threading.Event()
        self._stopping: str | None = None
        self._step = "transcription"
        self.running = False
        """True while :meth:`run` is inside a turn's steps (where a :class:`TurnStopped` is caught)."""

    def prompt(
        self,
        transcript: Transcript,
        names: Mapping[str, str] | None = None,
        notes: MeetingNotes | None = None,
    ) -> AgentInput:
        """What the agent is asked for ``transcript`` (speakers by ``names``), with the meeting's
        ``notes`` since the last question within :attr:`context_chars` (:func:`tui.context.agent_input`)."""
        return agent_input(transcript, names, notes, self.context_chars)

    def speculator(
        self,
        conversation_id: Callable[[], str | None],
        allowed: Callable[[], bool] = lambda: True,
        notes: Callable[[], MeetingNotes | None] = lambda: None,
    ) -> Speculator | None:
        """The early answers of a turn about to be recorded, or None when they are off (or there is
        no agent); see :mod:`tui.speculate`. ``notes`` gives the meeting's notes the turn is asked
        with, as at the press."""
        if not self.early_answer or isinstance(self.agent, NoAgent) or self.agent.name == "none":
            return None
        return Speculator(
            self.agent,
            self.speaker,
            lambda t: self.prompt(t, None, notes()),
            conversation_id,
            allowed,
            self.early_answer_calls,
        )

    def _warm_later_steps(self) -> None:
        """Make sure the agent exists and the voice is loaded while the transcription runs."""

        def warm() -> None:
            for part in (self.agent, self.speaker):
                if part is None:
                    continue
                try:
                    part.warm_up()
                except Exception:  # the real call reports it, with the turn's context
                    return

        threading.Thread(target=warm, name="voxroom-warm", daemon=True).start()

    def _transcribe(
        self, clip: Clip, emit: Emit, turn: int, references: Mapping[str, Path] | None = None
    ) -> Transcript:
        if clip.path is not None and clip.duration > self.max_chunk_seconds:
            from tui.stt.chunked import transcribe_long

            return transcribe_long(
                clip.path,
                self.transcriber,
                max_seconds=self.max_chunk_seconds,
                concurrency=self.chunk_concurrency,
                progress=lambda done, total: emit(TranscriptionProgress(turn, done, total)),
                references=references,
            )
        return self.transcriber.transcribe(clip, references=references)

    def transcribe(self, clip: Clip, emit: Emit = ignore, turn: int = 0) -> Transcript:
        """The whole recording's transcript, in parts when it is long (no turn is run); a long one
        reports :class:`TranscriptionProgress` for ``turn``."""
        return self._transcribe(clip, emit, turn)

    def interrupt(self) -> None:
        """Barge-in: stop speaking and drop the rest of the reply's speech."""
        self.cancel.set()

    def stop(self, reason: str = "Voxroom was closed") -> bool:
        """Stop the running turn and every later one: the reply stops streaming at its next piece
        and the turn ends ``interrupted`` with what was received. False when already stopping."""
        first = self._stopping is None
        self._stopping = reason
        self.cancel.set()
        return first

    def run(
        self,
        clip: Clip,
        *,
        conversation_id: str | None = None,
        sink: AudioSink | None = None,
        emit: Emit = ignore,
        turn: int = 0,
        ended_at: float | None = None,
        transcript: Transcript | None = None,
        wait_for_playback: bool = True,
        speakers: SpeakerMatcher | None = None,
        references: Mapping[str, Path] | None = None,
        early: Speculator | None = None,
        notes: MeetingNotes | None = None,
        names: Mapping[str, str] | None = None,
        answer: bool = True,
    ) -> TurnResult:
        """Run a whole turn. ``ended_at`` (``time.perf_counter()``) is when the recording stopped.
        ``answer=False`` (a notes turn): done once it is transcribed; nothing goes to the agent.

        Pass ``transcript`` to retry a turn whose transcription already succeeded. ``speakers``
        relabels a fresh transcript with the session's people (and gives their names, which the
        agent is told); without it, ``names`` are the names of the transcript's people. ``notes``
        are the meeting's notes since the last question, sent with it (bounded, see
        :mod:`tui.context`). ``early`` holds the turn's early answers: the one asked on this
        transcript's words is played instead of asking again. Reports the turn's progress to
        ``emit`` as events of turn ``turn``. Never raises for backend failures: they are reported in
        the result.
        """

        def stage(name: TurnStage) -> None:
            emit(StageChanged(turn, name))

        clock = _Clock(ended_at if ended_at is not None else time.perf_counter())
        result = TurnResult()
        self.cancel.clear()
        self._step = "transcription"
        self.running = True
        try:
            if self._stopping is not None:
                raise TurnStopped(self._stopping)
            if transcript is None:
                try:
                    clip.check_usable(self.min_seconds)
                except AudioInputError as err:  # silent or too short: nothing to send anywhere
                    result.status, result.error = TurnStatus.NO_SPEECH, err.message
                    return result
                stage(TurnStage.TRANSCRIBING)
                if answer:
                    self._warm_later_steps()
                if (prepare := getattr(speakers, "prepare", None)) is not None:
                    prepare(clip)  # the voice is embedded while the transcription request runs
                t = clock.now()
                transcript = self._transcribe(clip, emit, turn, references)
                result.timings.transcription_ms = clock.since(t)
            known = dict(names or {}) if speakers is None else {}  # a saved transcript's people
            if speakers is not None and not transcript.provisional:
                # A provisional (live) transcript has no real speakers yet: its one label would mix
                # every voice into one person. It is identified when it is completed.
                transcript, known = self._identify(speakers, clip, transcript)
            result.transcript = transcript
            emit(TranscriptReady(turn, transcript))
            if not transcript.plain():
                result.status = TurnStatus.NO_SPEECH
                return result
            if not answer:
                result.status = TurnStatus.DONE
                return result
            if isinstance(self.agent, NoAgent) or self.agent.name == "none":
                result.status = TurnStatus.NO_AGENT  # the notice is the status's, never a reply
                return result
            held = early.take(transcript, conversation_id) if early is not None else None
            self._reply(
                self.prompt(transcript, known, notes),
                conversation_id,
                sink,
                emit,
                turn,
                clock,
                result,
                wait_for_playback,
                held,
            )
        except VoxroomError as err:
            self._fail(result, err)
        except TurnStopped as stop:
            self.cancel.set()
            result.status, result.failed_step = TurnStatus.INTERRUPTED, self._step
            kept = "the transcript and the reply so far are" if result.transcript else "the recording is"
            result.error = f"{stop.reason} during the {self._step} step; {kept} saved: retry it to finish."
        finally:
            self.running = False
            if early is not None:
                early.close()
                result.early_calls, result.early_used = early.calls, early.used
            result.timings.total_ms = clock.since()
            stage(TurnStage.FAILED if result.status == TurnStatus.FAILED else TurnStage.DONE)
        return result

    @staticmethod
    def _identify(
        speakers: SpeakerMatcher, clip: Clip, transcript: Transcript
    ) -> tuple[Transcript, dict[str, str]]:
        """Who spoke: never a reason to fail the turn (the labels stay as they came)."""
        try:
            return speakers(clip, transcript)
        except Exception as err:
            import logging

            logging.getLogger("voxroom").warning("speakers were not identified: %s", err)
            return transcript, {}

    def _reply(
        self,
        asked: AgentInput,
        conversation_id: str | None,
        sink: AudioSink | None,
        emit: Emit,
        turn: int,
        clock: _Clock,
        result: TurnResult,
        wait_for_playback: bool,
        held: Speculation | None = None,
    ) -> None:
        splitter = SentenceSplitter()
        out: AudioSink = TeeSink(sink, result.speech) if sink is not None else result.speech
        speech: SpeechQueue | None = None
        stage = {"speaking": False}

        def first_block(index: int, sentence: str) -> None:
            if result.timings.first_audio_ms is None:
                result.timings.first_audio_ms = clock.since()
            if not stage["speaking"]:
                stage["speaking"] = True
                emit(StageChanged(turn, TurnStage.SPEAKING))
            emit(SentenceSpoken(turn, index, sentence))

        if self.speaker is not None:
            speech = SpeechQueue(
                self.speaker, out, first_block, self.cancel, (lambda: held.held) if held is not None else None
            )
        t_agent = clock.now()

        def queue_sentences(sentences: list[str]) -> None:
            for s in sentences:
                if result.timings.agent_first_sentence_ms is None:
                    result.timings.agent_first_sentence_ms = clock.since(t_agent)
                result.sentences.append(s)
                if speech is not None:
                    speech.put(len(result.sentences) - 1, s)

        so_far: list[str] = []

        def on_text(delta: str) -> None:
            if self._stopping is not None:
                raise TurnStopped(self._stopping)
            if result.timings.agent_first_token_ms is None:
                result.timings.agent_first_token_ms = clock.since(t_agent)
            so_far.append(delta)
            emit(ReplyDelta(turn, delta, "".join(so_far), len(so_far)))
            queue_sentences(splitter.feed(delta))
            if speech is not None:
                speech.grow(splitter.pending)

        emit(StageChanged(turn, TurnStage.THINKING))
        self._step = "agent"
        try:
            reply = self._answer(asked, conversation_id, on_text, held, so_far, result)
            if reply.blocked:
                splitter.flush()
                queue_sentences([BLOCKED_LINE])
            else:
                queue_sentences(splitter.flush())
            result.reply = reply
            emit(ReplyReady(turn, reply))
        except AgentError:
            # Speak nothing more; what was already said stays said.
            if speech is not None:
                speech.finish()
            raise
        except TurnStopped:
            result.reply = Reply(text="".join(so_far))
            if speech is not None:
                speech.abandon()
            raise
        self._step = "speech"
        if speech is not None:
            speech.finish()
            result.refused = list(speech.refused)
            if speech.first_request_at is not None and speech.first_audio_at is not None:
                result.timings.speech_first_audio_ms = (
                    speech.first_audio_at - speech.first_request_at
                ) * 1000.0
            if speech.error is not None:
                raise speech.error
            if wait_for_playback and not self.cancel.is_set():
                out.drain()
        if held is not None and conversation_id and reply.conversation_id not in (None, conversation_id):
            self.agent.forget(conversation_id)  # the early answer's branch holds all of it now
        if self.cancel.is_set():
            result.status = TurnStatus.INTERRUPTED
        else:
            result.status = TurnStatus.BLOCKED if reply.blocked else TurnStatus.DONE

    def _answer(
        self,
        asked: AgentInput,
        conversation_id: str | None,
        on_text: Callable[[str], None],
        held: Speculation | None,
        so_far: list[str],
        result: TurnResult,
    ) -> Reply:
        """The agent's reply: the early answer when one is held (its branch of the conversation is
        the reply's ``conversation_id``, so the session goes on from it; asked again when it failed
        before a word of it was shown), else asked now with ``asked``. ``result.context`` says what
        the answer was asked with."""
        if held is not None:
            result.context = held.sent
            try:
                return held.follow(on_text)
            except AgentError:
                if so_far:
                    raise
        result.context = asked.sent
        return self.agent.ask(asked.text, conversation_id, on_text)

    @staticmethod
    def _fail(result: TurnResult, err: VoxroomError) -> None:
        result.status = TurnStatus.FAILED
        result.failed_step = err.step
        result.error = str(err)
