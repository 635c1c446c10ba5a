"""Early (speculative) answers: the reply made ready while the room is still recording.

With realtime turn detection the service says the speaker's turn ended, often a second before the
key press. :class:`Speculator` (one per recorded turn) then asks the agent on the provisional
transcript as an early answer (:meth:`tui.agent.base.Agent.ask` with ``early=True``: in a branch of
the conversation, the session's own conversation left as it was) and synthesises the reply's first
sentence, holding both: nothing is shown or played. At the press it asks once more on the live text
so far when that is not what it asked already. A speaker who goes on keeps what is held only until
a new word comes (then it is discarded at once). The turn runner takes the held answer
(:meth:`Speculator.take`) only when the words of the turn's final transcript are the words it asked
on, in the same conversation; then the held audio plays at once, the rest of the reply follows as
it streams, and the session goes on from the branch, which holds exactly this exchange. The words
compared are what was said (a final transcript's speaker labels, which the live text may lack, are
not words of the question). Anything else (another word came, the final text differs, the early
call failed) is discarded, its branch deleted, and the agent is asked as without it. At most
``max_calls`` early calls are made for one turn, the last of them kept for the press (a speaker who
pauses often never leaves the press without one).

No Textual here; every early answer runs on its own daemon threads.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from tui.errors import AgentError, SpeechError, VoxroomError
from tui.text import SentenceSplitter

if TYPE_CHECKING:
    from tui.agent.base import Agent
    from tui.context import AgentInput
    from tui.model import Reply, SentContext, Transcript
    from tui.speech.base import Speaker

log = logging.getLogger("voxroom")

_END = object()


class _Discarded(BaseException):
    """Ends a discarded early answer's stream from inside its ``on_text`` (no ``except Exception``
    in a backend swallows it)."""


def words(text: str) -> tuple[str, ...]:
    """The words of a text, lower case: what two transcripts of one question must share."""
    return tuple(re.findall(r"\w+", text.lower()))


class HeldSpeech:
    """The first sentence's audio, synthesised ahead on its own thread and held until played."""

    def __init__(self, speaker: Speaker, sentence: str, cancel: threading.Event) -> None:
        self.sentence = sentence
        self._speaker = speaker
        self._cancel = cancel
        self._blocks: list[np.ndarray] = []
        self._done = False
        self._error: VoxroomError | None = None
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="voxroom-early-speech", daemon=True).start()

    def _run(self) -> None:
        try:
            for block in self._speaker.synthesize(self.sentence):
                if self._cancel.is_set():
                    return
                with self._changed:
                    self._blocks.append(block)
                    self._changed.notify_all()
        except VoxroomError as err:
            self._error = err
        except Exception as err:  # a backend bug: said when the audio is played
            self._error = SpeechError(f"Speech failed: {err}.")
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    def blocks(self) -> Iterator[np.ndarray]:
        """The held blocks, then the rest as they are synthesised; raises the synthesis' error."""
        index = 0
        while True:
            with self._changed:
                self._changed.wait_for(lambda at=index: at < len(self._blocks) or self._done)
                if index >= len(self._blocks):
                    if self._error is not None:
                        raise self._error
                    return
                block = self._blocks[index]
            index += 1
            yield block


class Speculation:
    """One early answer: the agent asked with ``early=True``, its deltas kept in order, its first
    sentence synthesised (:attr:`held`). Nothing is shown or played until :meth:`follow`; a
    discarded one stops at its next delta and its branch is deleted."""

    def __init__(
        self,
        agent: Agent,
        speaker: Speaker | None,
        prompt: str,
        question: str,
        conversation_id: str | None,
        sent: SentContext | None = None,
    ) -> None:
        self.prompt = prompt
        self.sent = sent
        """What the input carried besides the question (:mod:`tui.context`), saved with the turn
        when this answer is used."""
        self.words = words(question)
        """The words of the transcript it answers (speaker labels and context aside)."""
        self.conversation_id = conversation_id
        self.reply: Reply | None = None
        self.error: VoxroomError | None = None
        self.held: HeldSpeech | None = None
        self._agent = agent
        self._speaker = speaker
        self._splitter = SentenceSplitter()
        self._cancel = threading.Event()
        self._deltas: queue.Queue[object] = queue.Queue()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._released = False
        threading.Thread(target=self._run, name="voxroom-early-answer", daemon=True).start()

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def discarded(self) -> bool:
        return self._cancel.is_set()

    def _run(self) -> None:
        try:
            reply = self._agent.ask(self.prompt, self.conversation_id, self._on_text, early=True)
            if not reply.blocked and self.held is None:
                self._hold(self._splitter.flush())
            self.reply = reply
        except _Discarded:
            pass  # the agent deleted what it had begun
        except VoxroomError as err:
            self.error = err
        except Exception as err:  # a backend bug: the press asks again
            self.error = AgentError(f"The early answer failed: {err}.")
        finally:
            self._finished.set()
            self._deltas.put(_END)
        self._release()

    def _on_text(self, delta: str) -> None:
        if self._cancel.is_set():
            raise _Discarded
        if self.held is None:  # before the delta is handed on: a follower finds it held
            self._hold(self._splitter.feed(delta))
        self._deltas.put(delta)

    def _hold(self, sentences: list[str]) -> None:
        if sentences and self._speaker is not None and not self._cancel.is_set():
            self.held = HeldSpeech(self._speaker, sentences[0], self._cancel)

    def discard(self) -> None:
        """Stop it: its stream ends at the next delta, its speech at the next block, and its branch
        is deleted (on a thread of its own when the answer was already complete)."""
        self._cancel.set()
        if self._finished.is_set():
            threading.Thread(target=self._release, name="voxroom-early-discard", daemon=True).start()

    def _release(self) -> None:
        """Once discarded and finished: delete the branch the answer made, once."""
        with self._lock:
            if self._released or not (self._cancel.is_set() and self._finished.is_set()):
                return
            self._released = True
            branch = self.reply.conversation_id if self.reply is not None else None
        if branch and branch != self.conversation_id:
            self._agent.forget(branch)

    def wait(self, timeout: float) -> bool:
        """Block until the agent's answer (or failure) is complete; False on timeout."""
        return self._finished.wait(timeout)

    def follow(self, on_text: Callable[[str], None]) -> Reply:
        """Each delta so far, then the rest as they arrive, to ``on_text`` (on the calling thread);
        returns the reply or raises the early call's error (the answer is then discarded).
        ``on_text`` may raise to stop it."""
        try:
            while True:
                item = self._deltas.get()
                if item is _END:
                    break
                on_text(item)  # type: ignore[arg-type]
            if self.error is not None:
                raise self.error
        except BaseException:
            self.discard()
            raise
        assert self.reply is not None
        return self.reply


class Speculator:
    """The early answers of one recorded turn, at most ``max_calls`` of them; one held at a time.

    ``prompt`` builds the agent's input from a transcript (the runner's own, with the meeting's
    notes, so an early answer is asked as the turn would be); ``conversation_id`` is the session's
    conversation now; ``allowed`` is False while another turn is being answered (its reply will change the
    conversation), and then nothing is asked early.
    """

    def __init__(
        self,
        agent: Agent,
        speaker: Speaker | None,
        prompt: Callable[[Transcript], AgentInput],
        conversation_id: Callable[[], str | None],
        allowed: Callable[[], bool] = lambda: True,
        max_calls: int = 3,
    ) -> None:
        self._agent = agent
        self._speaker = speaker
        self._prompt = prompt
        self._conversation_id = conversation_id
        self._allowed = allowed
        self.max_calls = max(1, int(max_calls))
        self.calls = 0
        """Early agent calls made for this turn."""
        self.used = False
        self._current: Speculation | None = None
        self._closed = False
        self._lock = threading.Lock()

    def on_turn(self, transcript: Transcript, over: bool) -> None:
        """From the live transcription: the live text so far, and whether the service says the turn
        is over. Over: ask early on it. Not over (the speaker went on): what is held stays only
        while the words are still the ones it was asked on (a cough or a breath after
        ``turn.resume`` changes nothing; the take compares the final words anyway), and is
        discarded at the first new word."""
        if over:
            self.ask(transcript, pressed=False)
            return
        with self._lock:
            current = self._current
            if current is None or current.words == words(transcript.text):
                return
            self._current = None
        current.discard()

    def ask(self, transcript: Transcript, *, pressed: bool = True) -> None:
        """Ask early on ``transcript``, unless that is what is held already (or the bound is met,
        or another turn is being answered). Before the press (``pressed=False``) one call fewer
        may be made: the last is the press's."""
        asked = words(transcript.text)
        bound = self.max_calls if pressed else self.max_calls - 1
        if not asked:
            return
        with self._lock:
            current = self._current
            if self._closed or (current is not None and current.words == asked and not current.failed):
                return
            if self.calls >= bound:
                return
        try:  # outside the lock: these read the room's and the session's state
            allowed = self._allowed()
            # Only when it may be asked: the input reads the session's notes under its lock.
            prompt = self._prompt(transcript) if allowed else None
            conversation = self._conversation_id()
        except Exception as err:  # never a reason to lose the turn: it is asked at the press
            log.warning("no early answer: %s", err)
            allowed, prompt = False, None
        with self._lock:
            current = self._current
            if current is not None and current.words == asked and not current.failed:
                return  # asked meanwhile, from the other thread
            self._current = None
            if current is not None:
                current.discard()
            if self._closed or not allowed or prompt is None or self.calls >= bound:
                return
            self.calls += 1
            self._current = Speculation(
                self._agent, self._speaker, prompt.text, transcript.text, conversation, prompt.sent
            )

    def take(self, transcript: Transcript, conversation_id: str | None) -> Speculation | None:
        """The held answer when ``transcript`` (the turn's final one) has the words it was asked on
        (what was said, whoever said it), in ``conversation_id``, and it has not failed; otherwise
        it is discarded and None."""
        with self._lock:
            current, self._current = self._current, None
        if current is None:
            return None
        same = current.words == words(transcript.text) and current.conversation_id == conversation_id
        if same and not current.failed:
            self.used = True
            return current
        current.discard()
        return None

    def close(self) -> None:
        """Discard what is held; ask nothing more."""
        with self._lock:
            self._closed = True
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.discard()
