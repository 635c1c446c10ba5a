"""``voxroom transcribe AUDIO``: print the diarized transcript of a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands import add_common, settings_from_args
from tui.model import Transcript
from tui.text import dump_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transcribe", help="print the diarized transcript of an audio file")
    p.add_argument("audio", help="WAV, FLAC, MP3, OGG... at any rate and channel count")
    p.add_argument(
        "--format",
        "-f",
        choices=("text", "txt", "json", "srt", "vtt"),
        default="text",
        help="output format (default text; txt = text)",
    )
    add_common(p)
    p.set_defaults(func=run)


def progress_bar(done: int, total: int, width: int = 30) -> None:
    """Chunk progress on stderr: redrawn in place on a terminal, one line per update otherwise."""
    filled = round(width * done / total) if total else width
    bar = f"Transcribing [{'#' * filled}{'-' * (width - filled)}] {done}/{total} chunks"
    if sys.stderr.isatty():
        print("\r" + bar, end="\n" if done == total else "", file=sys.stderr, flush=True)
    else:
        print(bar, file=sys.stderr, flush=True)


def file_duration(path: Path) -> float | None:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError):
        return None
    return info.frames / info.samplerate if info.samplerate else None


def subtitles(transcript: Transcript, fmt: str) -> str:
    """SRT / WebVTT through the session exporter, so both commands write the same cues."""
    from tui.sessions.export import export_session
    from tui.sessions.model import Session, TurnRecord

    turn = TurnRecord(index=1, segments=transcript.segments, transcript_text=transcript.text)
    return export_session(Session(id="transcript", turns=[turn]), fmt)


def run(args: argparse.Namespace) -> int:
    from tui.audio.clip import TRANSCRIBE_RATE, check_audio_file, load_clip
    from tui.backends import chunk_seconds, make_transcriber, plan_for
    from tui.stt.chunked import transcribe_long

    settings = settings_from_args(args)
    path = Path(args.audio)
    check_audio_file(path, settings.audio.max_recording_s)  # bad files fail before any model or request
    transcriber = make_transcriber(settings)
    duration = file_duration(path) if path.is_file() else None
    if duration is not None and duration > chunk_seconds(settings):
        transcript = transcribe_long(
            path,
            transcriber,
            max_seconds=chunk_seconds(settings),
            concurrency=settings.transcription.chunk_concurrency,
            progress=progress_bar,
            state_dir=settings.cache_dir / "transcribe",
            model=f"{plan_for(settings).transcription}:{settings.transcription.model}",
        )
    else:
        clip = load_clip(path, rate=TRANSCRIBE_RATE, max_seconds=settings.audio.max_recording_s)
        clip.check_usable(settings.audio.min_recording_s)
        transcript = transcriber.transcribe(clip)
    if args.format == "json":
        print(dump_json(transcript.to_dict()))
    elif args.format in ("srt", "vtt"):
        print(subtitles(transcript, args.format), end="")
    else:
        for line in transcript.lines():
            print(line)
    return 0
