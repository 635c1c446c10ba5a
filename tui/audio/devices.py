"""Sound devices: list them, pick the one the settings name, and check they actually work.

sounddevice (PortAudio) is imported inside the functions: ``import tui.audio.devices`` stays cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tui.errors import AudioDeviceError
from tui.text import plural

if TYPE_CHECKING:
    from tui.config import Settings

Kind = Literal["input", "output"]
PREFERRED_RATE = 48_000
_HINT = "Run `voxroom devices` to see them."


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False

    def channels(self, kind: Kind) -> int:
        return self.max_input_channels if kind == "input" else self.max_output_channels

    def is_default(self, kind: Kind) -> bool:
        return self.is_default_input if kind == "input" else self.is_default_output


def _sd() -> Any:
    try:
        import sounddevice as sd
    except OSError as err:  # PortAudio library missing
        raise AudioDeviceError(
            f"PortAudio is not available ({err}).", hint="Install libportaudio2 (Debian/Ubuntu)."
        ) from None
    return sd


def _default_indices(sd: Any) -> tuple[int, int]:
    try:
        dev = sd.default.device
        return int(dev[0]), int(dev[1])
    except Exception:
        return -1, -1


def rescan_devices() -> None:
    """Make PortAudio look for devices again: it lists them once, when initialised, so a sound server
    that came back (or a headset plugged in) is seen only after a re-initialisation. Terminating
    PortAudio closes every stream still open, so the caller closes its streams first."""
    sd = _sd()
    try:
        while sd._initialized > 0:
            sd._terminate()
        sd._initialize()
    except Exception as err:
        raise AudioDeviceError(f"Cannot restart the sound system: {err}.", hint=_HINT) from None


def list_devices() -> list[DeviceInfo]:
    """Every PortAudio device, inputs and outputs alike, in PortAudio's order."""
    sd = _sd()
    default_in, default_out = _default_indices(sd)
    try:
        hostapis = [h["name"] for h in sd.query_hostapis()]
        raw = sd.query_devices()
    except Exception as err:
        raise AudioDeviceError(f"Cannot list sound devices: {err}.") from None
    out = []
    for d in raw:
        out.append(
            DeviceInfo(
                index=int(d["index"]),
                name=str(d["name"]),
                hostapi=hostapis[d["hostapi"]] if d["hostapi"] < len(hostapis) else "",
                max_input_channels=int(d["max_input_channels"]),
                max_output_channels=int(d["max_output_channels"]),
                default_samplerate=float(d["default_samplerate"]),
                is_default_input=int(d["index"]) == default_in,
                is_default_output=int(d["index"]) == default_out,
            )
        )
    return out


def input_devices() -> list[DeviceInfo]:
    return [d for d in list_devices() if d.max_input_channels > 0]


def output_devices() -> list[DeviceInfo]:
    return [d for d in list_devices() if d.max_output_channels > 0]


def resolve_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """The device ``spec`` names: an index (``3`` or ``"3"``), an exact name, or a unique
    case-insensitive part of a name. Empty/``None`` picks the system default for ``kind``.

    Raises :class:`AudioDeviceError` with a one-line message when there is no such device.
    """
    devices = [d for d in list_devices() if d.channels(kind) > 0]
    if not devices:
        raise AudioDeviceError(
            f"No {kind} devices found.",
            hint="Check that a microphone/speaker is connected and the sound server "
            "(PulseAudio/PipeWire) is running.",
        )
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        for d in devices:
            if d.is_default(kind):
                return d
        return devices[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for d in devices:
            if d.index == index:
                return d
        raise AudioDeviceError(f"No {kind} device with index {index}.", hint=_HINT)
    wanted = spec.strip().lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in devices if wanted in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise AudioDeviceError(f"No {kind} device named '{spec}'.", hint=_HINT)
    names = ", ".join(f"{d.index} {d.name}" for d in partial[:5])
    raise AudioDeviceError(
        f"'{spec}' matches {len(partial)} {kind} devices ({names}).",
        hint="Use the full name or the index.",
    )


def pick_rate(dev: DeviceInfo, kind: Kind) -> int:
    """48 kHz when the device takes it (clean on PulseAudio/PipeWire, see pitfall A5), else its
    default rate."""
    sd = _sd()
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=dev.index, samplerate=PREFERRED_RATE, channels=1, dtype="float32")
        return PREFERRED_RATE
    except Exception:
        return int(dev.default_samplerate) or PREFERRED_RATE


def pick_channels(dev: DeviceInfo, kind: Kind, rate: int) -> int:
    """1 when the device can do mono itself, else its channel count capped at 2 (mixed down)."""
    sd = _sd()
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=dev.index, samplerate=rate, channels=1, dtype="float32")
        return 1
    except Exception:
        return max(1, min(2, dev.channels(kind)))


def describe_portaudio_error(err: BaseException, name: str, kind: str) -> AudioDeviceError:
    """Turn a PortAudio failure into one sentence naming the usual culprit."""
    text = str(err)
    low = text.lower()
    if "unavailable" in low or "busy" in low or "-9985" in low:
        return AudioDeviceError(
            f"The {kind} device '{name}' is busy or unavailable.",
            hint="Close other programs using it, or pick another device.",
        )
    if "sample rate" in low or "-9997" in low:
        return AudioDeviceError(
            f"The {kind} device '{name}' refused the sample rate.",
            hint="Pick another device, or change its rate in the sound settings.",
        )
    if "channel" in low or "-9998" in low:
        return AudioDeviceError(f"The {kind} device '{name}' refused the channel count.", hint=_HINT)
    if "querying device -1" in low or "no default" in low:
        return AudioDeviceError(
            f"There is no default {kind} device.",
            hint="Check the sound server is running, or name a device. " + _HINT,
        )
    return AudioDeviceError(f"Cannot open the {kind} device '{name}': {text}.", hint=_HINT)


def format_device_table(devices: list[DeviceInfo] | None = None) -> str:
    """The text `voxroom devices` prints: inputs, then outputs; ``*`` marks the defaults."""
    if devices is None:
        devices = list_devices()
    lines: list[str] = []
    for kind, title in (("input", "Inputs"), ("output", "Outputs")):
        chosen = [d for d in devices if d.channels(kind) > 0]  # type: ignore[arg-type]
        lines.append(f"{title}:")
        if not chosen:
            lines.append("  (none)")
        width = max((len(d.name) for d in chosen), default=4)
        for d in chosen:
            mark = "*" if d.is_default(kind) else " "  # type: ignore[arg-type]
            lines.append(
                f"  {mark} {d.index:>3}  {d.name:<{width}}  {d.channels(kind):>3} ch  "  # type: ignore[arg-type]
                f"{d.default_samplerate:>7.0f} Hz  {d.hostapi}"
            )
        lines.append("")
    lines.append("* = default. Choose with --input-device / --output-device (name or index).")
    return "\n".join(lines)


Check = tuple[str, bool, str]


def check_audio(settings: Settings, *, record_seconds: float = 1.0) -> list[Check]:
    """For `voxroom doctor`: open the chosen devices, record ``record_seconds``, report the level.

    Returns ``(label, ok, detail)`` rows; stops early when a step makes the next ones pointless.
    Names the usual culprits: no devices, unknown device, busy, sample rate refused, no signal.
    """
    rows: list[Check] = []
    try:
        devices = list_devices()
    except AudioDeviceError as err:
        return [("Sound devices", False, str(err))]
    if not devices:
        return [
            (
                "Sound devices",
                False,
                "No sound devices found. Is the sound server (PulseAudio/PipeWire) running?",
            )
        ]
    n_in = sum(1 for d in devices if d.max_input_channels)
    n_out = sum(1 for d in devices if d.max_output_channels)
    rows.append(("Sound devices", True, f"{plural(n_in, 'input')}, {plural(n_out, 'output')}"))
    rows.extend(_check_input(settings.audio.input_device, record_seconds))
    rows.extend(_check_output(settings.audio.output_device))
    return rows


def _check_input(spec: str, seconds: float) -> list[Check]:
    from tui.audio.meter import block_levels

    try:
        dev = resolve_device(spec, "input")
    except AudioDeviceError as err:
        return [("Input device", False, str(err))]
    rows: list[Check] = [("Input device", True, f"{dev.index} {dev.name}")]
    sd = _sd()
    rate = pick_rate(dev, "input")
    channels = pick_channels(dev, "input", rate)
    blocks: list[np.ndarray] = []
    overflows = 0
    try:
        with sd.InputStream(device=dev.index, samplerate=rate, channels=channels, dtype="float32") as stream:
            rows.append(("Input opens", True, f"{rate} Hz, {channels} ch"))
            frames = int(rate * seconds)
            got = 0
            while got < frames:
                data, overflowed = stream.read(min(frames - got, rate // 10))
                blocks.append(data.mean(axis=1) if data.ndim == 2 else data)
                got += len(data)
                overflows += int(bool(overflowed))
    except Exception as err:
        rows.append(("Input opens", False, str(describe_portaudio_error(err, dev.name, "input"))))
        return rows
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    rms, peak = block_levels(audio)
    detail = f"{seconds:g} s recorded: RMS {rms:.0f} dBFS, peak {peak:.0f} dBFS"
    if overflows:
        detail += f", {plural(overflows, 'overflow')}"
    if peak < -60.0:
        rows.append(
            (
                "Input signal",
                False,
                f"No signal ({detail}). Is the microphone muted, unplugged, or the wrong device?",
            )
        )
    elif peak >= -0.1:
        rows.append(("Input signal", False, f"Clipping ({detail}). Lower the input gain."))
    else:
        rows.append(("Input signal", True, detail))
    return rows


def _check_output(spec: str) -> list[Check]:
    try:
        dev = resolve_device(spec, "output")
    except AudioDeviceError as err:
        return [("Output device", False, str(err))]
    rows: list[Check] = [("Output device", True, f"{dev.index} {dev.name}")]
    sd = _sd()
    rate = pick_rate(dev, "output")
    try:
        t0 = time.monotonic()
        with sd.OutputStream(device=dev.index, samplerate=rate, channels=1, dtype="float32") as stream:
            stream.write(np.zeros(rate // 10, dtype=np.float32))
        rows.append(("Output opens", True, f"{rate} Hz ({(time.monotonic() - t0) * 1000:.0f} ms)"))
    except Exception as err:
        rows.append(("Output opens", False, str(describe_portaudio_error(err, dev.name, "output"))))
    return rows
