"""Device listing and resolution, `voxroom devices`, and the doctor's audio check, on real PortAudio."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tui.audio.clip import Clip
from tui.audio.devices import (
    check_audio,
    describe_portaudio_error,
    input_devices,
    list_devices,
    output_devices,
    resolve_device,
)
from tui.audio.player import Player
from tui.cli import main
from tui.config import Settings
from tui.errors import AudioDeviceError

pytestmark = pytest.mark.audio

VIRTUAL = {"virtual_speaker", "virtual_speaker_monitor", "virtual_mic", "virtual_mic_feed"}


def test_lists_the_virtual_devices() -> None:
    devices = list_devices()
    names = {d.name for d in devices}
    assert names >= VIRTUAL
    assert {d.name for d in input_devices()} >= VIRTUAL
    assert {d.name for d in output_devices()} >= VIRTUAL
    assert sum(d.is_default_input for d in devices) == 1
    assert sum(d.is_default_output for d in devices) == 1
    assert all(d.default_samplerate > 0 for d in devices)


def test_resolve_by_exact_name_substring_and_index() -> None:
    mic = resolve_device("virtual_mic", "input")
    assert mic.name == "virtual_mic"  # the exact name wins over virtual_mic_feed
    assert resolve_device("MIC_FE", "output").name == "virtual_mic_feed"
    assert resolve_device(str(mic.index), "input") == mic
    assert resolve_device(mic.index, "input") == mic
    default = resolve_device("", "input")
    assert default.is_default_input
    assert resolve_device(None, "output").is_default_output


def test_unknown_and_ambiguous_names_are_clear_errors() -> None:
    with pytest.raises(AudioDeviceError) as err:
        resolve_device("x-nothing", "input")
    assert str(err.value) == "No input device named 'x-nothing'. Run `voxroom devices` to see them."
    with pytest.raises(AudioDeviceError, match="No output device with index 999"):
        resolve_device(999, "output")
    with pytest.raises(AudioDeviceError, match="matches 4 input devices"):
        resolve_device("virtual", "input")


def test_portaudio_errors_name_the_culprit() -> None:
    import sounddevice as sd

    busy = describe_portaudio_error(sd.PortAudioError("Device unavailable", -9985), "mic", "input")
    assert "busy or unavailable" in str(busy)
    rate = describe_portaudio_error(sd.PortAudioError("Invalid sample rate", -9997), "mic", "input")
    assert "refused the sample rate" in str(rate)
    none = describe_portaudio_error(sd.PortAudioError("Error querying device -1"), "", "input")
    assert "no default input device" in str(none)


def test_devices_command_prints_inputs_and_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.index("Inputs:") < out.index("Outputs:")
    inputs = out[out.index("Inputs:") : out.index("Outputs:")]
    assert "virtual_mic" in inputs and " Hz" in inputs and " ch" in inputs
    default_line = next(line for line in inputs.splitlines() if line.strip().startswith("*"))
    assert "default" in default_line


def test_devices_command_reports_an_unknown_chosen_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--input-device", "nope-nope", "--output-device", "virtual_speaker"]) == 2
    out = capsys.readouterr().out
    assert "Chosen input: No input device named 'nope-nope'" in out
    assert "Chosen output:" in out and "virtual_speaker" in out


def test_devices_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["devices", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= VIRTUAL


def _settings(input_device: str, output_device: str = "virtual_speaker") -> Settings:
    s = Settings()
    s.audio.input_device = input_device
    s.audio.output_device = output_device
    return s


def test_check_audio_with_signal(beckett: Clip) -> None:
    player = Player("virtual_mic_feed")
    started = threading.Event()
    player.on_started = started.set
    player.open(beckett.rate)
    player.write(beckett.samples)
    assert started.wait(5)
    try:
        rows = check_audio(_settings("virtual_mic"))
    finally:
        player.stop()
        player.close()
    by_name = {name: (ok, detail) for name, ok, detail in rows}
    assert by_name["Sound devices"][0]
    assert by_name["Input device"] == (True, f"{resolve_device('virtual_mic', 'input').index} virtual_mic")
    assert by_name["Input opens"][0] and "48000 Hz" in by_name["Input opens"][1]
    assert by_name["Input signal"][0], by_name["Input signal"][1]
    assert "dBFS" in by_name["Input signal"][1]
    assert by_name["Output opens"][0]


def test_check_audio_names_no_signal_and_unknown_devices() -> None:
    rows = check_audio(_settings("virtual_mic"))  # nothing plays into the mic: digital silence
    signal = next(r for r in rows if r[0] == "Input signal")
    assert not signal[1] and signal[2].startswith("No signal")
    rows = check_audio(_settings("no-such-mic", "no-such-speaker"))
    by_name = {name: (ok, detail) for name, ok, detail in rows}
    assert by_name["Input device"] == (
        False,
        "No input device named 'no-such-mic'. Run `voxroom devices` to see them.",
    )
    assert not by_name["Output device"][0]


def test_no_sound_server_is_a_clear_message(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.audio.env import REPO

    env = {k: v for k, v in os.environ.items() if k not in ("ALSA_CONFIG_PATH",)}
    env["PULSE_SERVER"] = "unix:/nonexistent"  # no server: PortAudio finds 0 devices (pitfall A9)
    code = (
        "from tui.cli import main\n"
        "from tui.audio.capture import Recorder\n"
        "rc = main(['devices'])\n"
        "try:\n"
        f"    Recorder().start({str(tmp_path / 'x.flac')!r})\n"
        "except Exception as err:\n"
        "    print(type(err).__name__, err)\n"
        "raise SystemExit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert lines[0] == "No sound devices found. Is the sound server (PulseAudio/PipeWire) running?"
    assert lines[1].startswith("AudioDeviceError No input devices found.")
    assert "Traceback" not in out.stderr


def test_a_rescan_sees_a_sound_server_that_went_away_and_came_back() -> None:
    """PortAudio lists devices once per initialisation: ``rescan_devices`` (what "Choose devices"
    runs when idle) re-initialises it. The private sound server of this run is stopped and started."""
    import os
    import subprocess

    from tui.audio.devices import input_devices, rescan_devices

    script = Path(__file__).resolve().parents[2] / "scripts" / "setup_audio.sh"

    def server(command: str) -> None:
        subprocess.run(
            [str(script), command], env=dict(os.environ), check=True, capture_output=True, timeout=120
        )

    def names() -> list[str]:
        return [d.name for d in input_devices()]

    rescan_devices()
    assert "virtual_mic" in names()
    server("stop")
    try:
        rescan_devices()
        assert "virtual_mic" not in names()
        server("start")
        assert "virtual_mic" not in names()  # still the list of the last initialisation
        rescan_devices()
        assert "virtual_mic" in names()
    finally:
        server("start")
        rescan_devices()
