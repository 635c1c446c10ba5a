"""Loaded models, kept once per process.

Every part that loads a model (faster-whisper in :mod:`tui.stt.offline`, hibari and Piper in
:mod:`tui.speech`, the voice encoder in :mod:`tui.diarize`) loads it through :func:`shared_model`,
keyed by what identifies the loaded object (kind, file path, compute type, threads...). A second
transcriber or speaker for the same model in the same process, such as the next command run by
:func:`tui.cli.main` or a backend built again, reuses the loaded one instead of reading it again.
A model shared this way must be safe to use from the threads its users run on: each loader says how
(a lock kept with the model, or a model that is read-only once loaded).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_guard = threading.Lock()
_loaded: dict[Hashable, Any] = {}
_loading: dict[Hashable, threading.Lock] = {}


def shared_model(key: Hashable, load: Callable[[], T]) -> T:
    """The model ``key`` names: ``load()`` the first time, the same object afterwards.

    Thread-safe: one load per key at a time, while loads of other keys go on. A load that raises is
    not kept, so the next call tries again (the file may have been fixed)."""
    with _guard:
        if key in _loaded:
            return _loaded[key]
        lock = _loading.setdefault(key, threading.Lock())
    with lock:
        with _guard:
            if key in _loaded:
                return _loaded[key]
        model = load()
        with _guard:
            _loaded[key] = model
            _loading.pop(key, None)
        return model
