"""Building the room from the settings, and the session work the app asks for. Each function may
block (devices, disk): call them from a worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import AudioDeviceError, VoxroomError
from tui.lifecycle import ScratchLog, SessionLog, Speakers, TurnLog
from tui.model import Reply, Timings, Transcript
from tui.room.controller import Listener, Room
from tui.room.ports import LiveFactory, Player, Recorder

if TYPE_CHECKING:
    from tui.backends import Backends
    from tui.config import Settings
    from tui.sessions.model import Session, SessionSummary
    from tui.sessions.replay import ReplayStep
    from tui.sessions.store import SessionStore

HistoryTurn = tuple[int, Transcript | None, Reply | None, Timings | None, str]
"""A stored turn for the panes: index, transcript, reply, timings, status."""


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
    from functools import partial

    from tui.stt.realtime import make_live_transcription

    return partial(make_live_transcription, settings, backends.transcriber)


def session_store(settings: Settings) -> SessionStore:
    from tui.sessions import SessionStore

    return SessionStore(settings.sessions_dir)


def new_log(settings: Settings, backends: Backends) -> SessionLog:
    """A new saved session for the room's next turns."""
    return SessionLog.new(session_store(settings), backends, Speakers.from_settings(settings))


def open_log(settings: Settings, ref: str, backends: Backends | None) -> tuple[SessionLog, list[HistoryTurn]]:
    """An existing session (to show, or to continue) and its history for the panes."""
    log = SessionLog.open(session_store(settings), ref, backends, Speakers.from_settings(settings))
    return log, session_history(log.session)


def list_sessions(settings: Settings) -> list[SessionSummary]:
    """Summaries of the saved sessions, newest first."""
    return list(session_store(settings).list().sessions)


def session_history(session: Session) -> list[HistoryTurn]:
    """A stored session's turns for the panes."""
    history: list[HistoryTurn] = []
    for turn in session.turns:
        reply = None
        if turn.reply or turn.blocked:
            reply = Reply(
                text=turn.reply,
                references=list(turn.references),
                blocked=turn.blocked,
                moderation=turn.moderation,
            )
        history.append((turn.index, turn.transcript(), reply, turn.timings, turn.status))
    return history


def replay_steps(log: TurnLog) -> list[ReplayStep]:
    """What a replay of ``log``'s session plays, in order (nothing for a scratch log)."""
    if not isinstance(log, SessionLog):
        return []
    from tui.sessions import replay_plan

    return replay_plan(log.store, log.session)


def rename_speaker(log: TurnLog, label: str, name: str) -> None:
    """Name a person in a saved session (a scratch log keeps names on screen only); with voice
    profiles on, their voice is remembered under that name for later meetings."""
    if isinstance(log, SessionLog) and log.session.turns:
        resolved = log.store.rename_speaker(log.session, label, name)
        if log.speakers is not None and name.strip():
            log.speakers.remember(log.session, resolved, name.strip())


def export_log(log: TurnLog, fmt: str, path: Path, *, lines: list[str], replies: list[str]) -> Path:
    """Write ``log``'s session to ``path`` in ``fmt`` (md, txt, json, srt, vtt)."""
    if isinstance(log, SessionLog):
        from tui.sessions import export_session as render

        try:
            text = render(log.session, fmt)
        except ValueError as err:
            raise VoxroomError(f"{err}.") from None
    else:  # a scratch session: what is on screen
        text = "\n".join(lines) + "\n\n" + "\n\n".join(replies) + "\n"
    path = Path(path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise VoxroomError(f"Cannot write {path}: {err.strerror}.", hint="Choose another folder.") from None
    return path


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
