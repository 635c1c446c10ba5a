"""Speech through the realtime speech socket, played through real PortAudio on the virtual sound
server and recorded back from the virtual speaker's monitor: it plays, and barge-in silences it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tests.standin import MistralStandIn, Reply
from tui.audio.clip import load_clip
from tui.audio.player import Player
from tui.backends import make_backends
from tui.cli import main
from tui.config import Settings
from tui.events import RoomEvent, SentenceSpoken
from tui.model import TurnStatus
from tui.speech.mistral_socket import MistralSocketSpeaker

pytestmark = pytest.mark.audio

ensure_audio()

RATE = 48_000
WINDOW = 4800  # 0.1 s


class Monitor:
    """What the virtual speaker plays, captured from its monitor at 48 kHz."""

    def __init__(self) -> None:
        import sounddevice as sd

        self.blocks: list[np.ndarray] = []
        self.first = threading.Event()
        self.stream = sd.InputStream(
            device="virtual_speaker_monitor", channels=1, samplerate=RATE, callback=self._capture
        )

    def _capture(self, indata: np.ndarray, frames: int, time_info: object, status: object) -> None:
        self.blocks.append(indata[:, 0].copy())
        self.first.set()

    @property
    def seconds(self) -> float:
        return sum(b.size for b in list(self.blocks)) / RATE

    def loud(self, start_s: float = 0.0, end_s: float | None = None) -> float:
        """Seconds (in 0.1 s windows) louder than -34 dBFS RMS between ``start_s`` and ``end_s``."""
        audio = np.concatenate(self.blocks)[
            int(start_s * RATE) : None if end_s is None else int(end_s * RATE)
        ]
        audio = audio[: audio.size // WINDOW * WINDOW].reshape(-1, WINDOW)
        return float(np.sum(np.sqrt(np.mean(audio**2, axis=1)) > 0.02)) * 0.1


def test_ask_through_the_socket_plays_the_whole_reply(
    mistral_env: MistralStandIn, isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "voxroom.toml"
    config.write_text('[speech]\ntransport = "socket"\n')
    mistral_env.script(Reply(text="One short sentence here. And a second one to say."))
    monitor = Monitor()
    with monitor.stream:
        assert monitor.first.wait(5)
        args = ["--config", str(config), "ask", str(clip_path("clone-test.wav")), "--json"]
        code = main([*args, "--output-device", "virtual_speaker"])
        heard_until = len(monitor.blocks)
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    folder = isolated_env / "sessions" / data["session_id"]
    turn = json.loads((folder / "session.json").read_text())["turns"][0]
    spoken, rate = sf.read(str(folder / turn["reply"]["audio"]))
    monitor.blocks = monitor.blocks[:heard_until]
    assert monitor.loud() >= 0.9 * len(spoken) / rate, (monitor.loud(), len(spoken) / rate)
    sockets = mistral_env.requests_to("speech.realtime")
    assert [" ".join(r.ws_spoken) for r in sockets] == [
        "One short sentence here.",
        "And a second one to say.",
    ]
    assert mistral_env.requests_to("speech") == sockets  # nothing went over HTTP speech


def test_barge_in_silences_socket_speech_on_the_device(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_settings.speech.transport = "socket"
    mistral_server.set_latency(speech_real_time_factor=1.0)
    reply = "It is sunny in Paris today, with a light wind from the west. " * 4
    mistral_server.script(Reply(text=reply.strip()))
    runner = make_backends(mistral_settings).runner(mistral_settings)
    assert isinstance(runner.speaker, MistralSocketSpeaker)
    player = Player("virtual_speaker")
    monitor = Monitor()
    spoken = threading.Event()
    stopped_at: list[float] = []

    def emit(event: RoomEvent) -> None:
        if isinstance(event, SentenceSpoken):
            spoken.set()

    def barge_in() -> None:  # what the room does when the key is pressed while Voxroom speaks
        assert spoken.wait(10)
        deadline = time.monotonic() + 10
        while player.played_seconds < 0.8 and time.monotonic() < deadline:
            time.sleep(0.02)
        stopped_at.append(monitor.seconds)
        runner.interrupt()
        player.stop()

    with monitor.stream:
        assert monitor.first.wait(5)
        thread = threading.Thread(target=barge_in, daemon=True)
        thread.start()
        result = runner.run(load_clip(clip_path("clone-test.wav")), sink=player, emit=emit)
        thread.join(10)
        until = monitor.seconds + 1.0
        while monitor.seconds < until:
            time.sleep(0.05)
    player.close()
    assert result.status == TurnStatus.INTERRUPTED
    assert result.reply is not None and result.reply.text == reply.strip()  # the text is kept
    (cut,) = stopped_at
    assert monitor.loud(0.0, cut) >= 0.5  # it was heard...
    assert monitor.loud(cut + 0.3) == 0.0  # ...and nothing 300 ms after the barge-in
    assert len(mistral_server.requests_to("speech.realtime")) == 1  # no further sentence was asked
