"""``voxroom devices``: list the sound inputs and outputs with their channels and default rates."""

from __future__ import annotations

import argparse

from tui.commands import add_common
from tui.text import dump_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list sound input and output devices")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    add_common(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui.audio.devices import format_device_table, list_devices

    devices = list_devices()
    if getattr(args, "json", False):
        rows = [
            {
                "index": d.index,
                "name": d.name,
                "hostapi": d.hostapi,
                "input_channels": d.max_input_channels,
                "output_channels": d.max_output_channels,
                "default_samplerate": d.default_samplerate,
                "default_input": d.is_default_input,
                "default_output": d.is_default_output,
            }
            for d in devices
        ]
        print(dump_json(rows))
        return 0
    if not devices:
        print("No sound devices found. Is the sound server (PulseAudio/PipeWire) running?")
        return 1
    print(format_device_table(devices))
    return _print_chosen(args)


def _print_chosen(args: argparse.Namespace) -> int:
    """Show which devices the settings/flags pick; an unknown name is an error (exit 2)."""
    from tui.audio.devices import resolve_device
    from tui.commands import settings_from_args
    from tui.errors import AudioDeviceError, VoxroomError

    try:
        audio = settings_from_args(args).audio
        specs = {"input": audio.input_device, "output": audio.output_device}
    except VoxroomError:  # e.g. a backend without its key: devices do not care
        specs = {
            "input": getattr(args, "input_device", None) or "",
            "output": getattr(args, "output_device", None) or "",
        }
    status = 0
    for kind in ("input", "output"):
        spec = specs[kind]
        if not spec:
            continue
        try:
            dev = resolve_device(spec, kind)  # type: ignore[arg-type]
            print(f"Chosen {kind}: {dev.index} {dev.name}")
        except AudioDeviceError as err:
            print(f"Chosen {kind}: {err}")
            status = 2
    return status
