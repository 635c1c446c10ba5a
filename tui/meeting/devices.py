"""Choosing the sound devices for the meeting's room: list them (looking again when idle), then open
the chosen ones in place of the room's."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting.events import AudioReplaced, DevicesListed, Notice, Problem
from tui.meeting.values import DevicesChoice

if TYPE_CHECKING:
    from tui.meeting.meeting import Meeting

BUSY = "Wait for the current turn to finish, then choose devices."


def list_devices(meeting: Meeting) -> None:
    """The sound devices to choose from. When idle, the room's audio is closed first so PortAudio looks
    again (it is opened again by :func:`choose_devices`, whatever is chosen)."""
    room = meeting.room
    released = False
    try:
        from tui.audio.devices import input_devices, output_devices, rescan_devices

        if not meeting.busy:
            if room is not None:
                room.replace_audio(None, None)
                released = True
            rescan_devices()
        inputs = tuple(d.name for d in input_devices())
        outputs = tuple(d.name for d in output_devices())
    except (VoxroomError, ImportError, OSError) as err:
        meeting.emit(Problem(VoxroomError(f"Cannot list the sound devices: {err}."), "Devices"))
        if released:
            choose_devices(meeting, None, reopen=True)
        return
    if not inputs and not outputs:
        meeting.emit(Notice("No sound devices were found. Connect one, then try again.", severity="warning"))
        if released:
            choose_devices(meeting, None, reopen=True)
        return
    audio = meeting.settings.audio
    meeting.emit(DevicesListed(inputs, outputs, (audio.input_device, audio.output_device), released))


def choose_devices(meeting: Meeting, choice: DevicesChoice | None, *, reopen: bool = False) -> None:
    """Open the chosen devices (``None``: the configured ones again, when ``reopen``)."""
    room = meeting.room
    if room is None or (choice is None and not reopen):
        return
    audio = meeting.settings.audio
    if choice is None:
        choice = DevicesChoice(audio.input_device, audio.output_device)
    elif room.busy:
        meeting.emit(Notice(BUSY, severity="warning"))
        return
    audio.input_device, audio.output_device = choice
    from tui.room.wiring import open_audio

    recorder, player, problems = open_audio(meeting.settings)
    try:
        room.replace_audio(recorder, player)
    except VoxroomError as err:
        for part in (recorder, player):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()
        problems.append(err)
    meeting.emit(AudioReplaced(room.device_name, room.recorder is not None))
    for problem in problems:
        meeting.emit(Problem(problem, "Devices"))
