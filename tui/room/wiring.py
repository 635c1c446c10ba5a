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
    from collections.abc import Mapping

    from tui.backends import Backends
    from tui.config import Settings
    from tui.sessions.model import Session, SessionSummary
    from tui.sessions.replay import ReplayStep
    from tui.sessions.store import SessionStore
    from tui.stt.base import LiveTranscription

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
) -> tuple[SessionLog, list[HistoryTurn]]:
    """An existing session (to show, or to continue) and its history for the panes. A sample is read
    where it ships (``read_only``) and continued as a copy."""
    speakers = Speakers.from_settings(settings)
    log = SessionLog.open(session_store(settings), ref, backends, speakers, copy=not read_only)
    return log, session_history(log.session)


SAMPLE_MARK = "Sample · "
"""Put before a sample's title in the session list."""


def list_sessions(settings: Settings, *, samples: bool = False) -> list[SessionSummary]:
    """Summaries of the saved sessions that hold at least one turn, newest first; then, with
    ``samples``, the bundled samples (id ``sample:NAME``, title marked with :data:`SAMPLE_MARK`)."""
    store = session_store(settings)
    found = [s for s in store.list().sessions if s.turns > 0]
    if samples:
        from dataclasses import replace

        from tui.sessions.model import SessionSummary as Summary
        from tui.sessions.samples import SAMPLE_PREFIX, sample_names

        for name in sample_names():
            try:
                session = store.open(SAMPLE_PREFIX + name)
            except VoxroomError:
                continue
            summary = Summary.of(session)
            found.append(
                replace(summary, id=SAMPLE_PREFIX + name, title=SAMPLE_MARK + (summary.title or name))
            )
    return found


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
