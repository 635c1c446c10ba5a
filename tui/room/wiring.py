"""Building the room from the settings: its sound devices, live transcription and session. Each
function may block (devices, disk): call them from a worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import AudioDeviceError, VoxroomError
from tui.lifecycle import ScratchLog, SessionLog, Speakers, TurnLog
from tui.room.controller import Listener, Room
from tui.room.ports import LiveFactory, Player, Recorder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tui.backends import Backends
    from tui.config import Settings
    from tui.sessions.store import SessionStore
    from tui.stt.base import LiveTranscription


def open_audio(settings: Settings) -> tuple[Recorder | None, Player | None, list[VoxroomError]]:
    """The real recorder and player on the configured devices; ``None`` for a part that failed."""
    problems: list[VoxroomError] = []
    recorder = None
    player = None
    try:
        from tui.audio.capture import Recorder as AudioRecorder
        from tui.audio.devices import resolve_device

        mic = resolve_device(settings.audio.input_device or None, "input")
        recorder = AudioRecorder(mic.index)
        recorder.device_name = mic.name
        recorder.warm_up()  # so the first press opens the microphone at once (no stream kept open)
    except VoxroomError as err:
        problems.append(err)
    except Exception as err:  # PortAudio missing or broken
        problems.append(
            AudioDeviceError(f"No microphone is available: {err}.", hint="Run `voxroom devices`.")
        )
    try:
        from tui.audio.devices import resolve_device
        from tui.audio.player import Player as AudioPlayer

        out = resolve_device(settings.audio.output_device or None, "output")
        player = AudioPlayer(out.index, mutes=recorder if settings.audio.half_duplex else None)
        player.device_name = out.name
    except VoxroomError as err:
        problems.append(err)
    except Exception as err:
        problems.append(AudioDeviceError(f"No speaker is available: {err}.", hint="Run `voxroom devices`."))
    return recorder, player, problems


def live_transcription(settings: Settings, backends: Backends) -> LiveFactory:
    """What transcribes while the room speaks, for these backends: Whisper in windows offline, the
    realtime socket for Mistral (``[transcription] realtime``); ``None`` from the factory otherwise."""
    from tui.stt.live import make_live_transcription

    def start(references: Mapping[str, Path]) -> LiveTranscription | None:
        return make_live_transcription(settings, backends.transcriber, references=references)

    return start


def session_store(settings: Settings) -> SessionStore:
    from tui.sessions import SessionStore

    return SessionStore(settings.sessions_dir)


def new_log(settings: Settings, backends: Backends) -> SessionLog:
    """A new saved session for the room's next turns."""
    return SessionLog.new(session_store(settings), backends, Speakers.from_settings(settings))


def open_log(
    settings: Settings, ref: str, backends: Backends | None, *, read_only: bool = False
) -> SessionLog:
    """An existing session, to show or to continue. A sample is read where it ships (``read_only``)
    and continued as a copy."""
    speakers = Speakers.from_settings(settings)
    return SessionLog.open(session_store(settings), ref, backends, speakers, copy=not read_only)


def build_room(settings: Settings, *, listener: Listener | None = None) -> Room:
    """The room for ``voxroom``: backends from the settings, the sound devices, a new session.

    Audio or disk problems do not stop it: the room starts without the part that failed, and the
    problems are kept in ``room.problems`` for the app to show once.
    """
    from tui.backends import make_backends

    backends = make_backends(settings)
    recorder, player, problems = open_audio(settings)
    log: TurnLog
    try:
        log = new_log(settings, backends)
    except VoxroomError as err:
        problems.append(err)
        log = ScratchLog()
    room = Room(
        recorder=recorder,
        runner=backends.runner(settings),
        player=player,
        log=log,
        listener=listener,
        live=live_transcription(settings, backends),
        backends=backends,
        debounce_s=settings.hotkey.debounce_ms / 1000.0,
        max_recording_s=settings.audio.max_recording_s,
        auto_stop_silence_s=settings.audio.auto_stop_silence_s,
    )
    room.problems = problems
    return room
