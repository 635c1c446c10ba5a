"""`voxroom replay ID|PATH`: print a saved session's transcript and replies, playing its audio."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.commands import add_common, settings_from_args, whole_number
from tui.events import ReplayProgress, RoomEvent, RoomFailed
from tui.model import ReplayKind

if TYPE_CHECKING:
    from tui.audio.player import Player
    from tui.config import Settings
    from tui.sessions.model import Session
    from tui.sessions.replay import ReplayLine, ReplayStep


def _say(text: str) -> None:
    print(text, flush=True)


def print_header(session: Session) -> None:
    from tui.sessions.model import format_created, format_duration
    from tui.text import clean, plural

    _say(f"{clean(session.title) or session.id}  ({session.id})")
    people = ", ".join(clean(p) for p in session.participants) or "-"
    when, length = format_created(session.created), format_duration(session.duration)
    _say(f"{when} · {length} · {plural(len(session.turns), 'turn')} · {people}")


def turn_start(session: Session, index: int) -> float:
    """Where turn ``index`` starts on the session timeline (its lines are printed from there)."""
    offsets = dict(zip((t.index for t in session.turns), session.offsets(), strict=True))
    return offsets.get(index, 0.0)


def print_turn_header(session: Session, index: int) -> None:
    """``Turn 2 · 10:32 · question``, as ``sessions show`` writes it."""
    from tui.sessions.clock import turn_header

    _say("")
    _say(turn_header(session.turn(index)))


def print_line(line: ReplayLine, at: float) -> None:
    """``[0:07 -> 0:12] Alice : words`` on the session timeline, as ``sessions show`` writes it."""
    from tui.sessions.clock import line_span

    _say(f"{line_span(at + line.start, at + line.end)} {line.speaker} : {line.text}")


def print_step(step: ReplayStep, session: Session) -> None:
    if step.kind == ReplayKind.RECORDING:
        print_turn_header(session, step.turn)
        at = turn_start(session, step.turn)
        for line in step.lines:
            print_line(line, at)
        return
    from tui.text import clean

    turn = session.turn(step.turn)
    _say(f"Voxroom: {step.text}")
    for ref in turn.references:
        _say(f"  - {clean(ref.title)} <{clean(ref.url)}>")


def print_outcome(session: Session, index: int) -> None:
    from tui.sessions.export import _outcome

    turn = session.turn(index)
    for note in _outcome(turn.status, turn.failed_step, turn.error, turn.blocked, turn.moderation):
        _say(note)


def open_player(settings: Settings) -> Player:
    """The output device's player; raises a clear AudioDeviceError before anything is printed."""
    from tui.audio.devices import resolve_device
    from tui.audio.player import Player

    device = resolve_device(settings.audio.output_device or None, "output")
    return Player(device.index)


class _Printer:
    """Prints a replay from its events: each transcript line once it is heard, each reply as it
    starts (or once its turn's recording ends, when it has no audio), problems to stderr."""

    def __init__(self, session: Session, steps: list[ReplayStep]) -> None:
        self.session = session
        self.steps = {(s.turn, s.kind): s for s in steps}
        self.current: ReplayStep | None = None
        self.printed = 0

    def __call__(self, event: RoomEvent) -> None:
        if isinstance(event, RoomFailed):
            print(f"voxroom: {event.error}", file=sys.stderr)
            return
        if not isinstance(event, ReplayProgress):
            return
        step = self.steps.get((event.turn, event.kind))
        if step is None:
            return
        if step is not self.current:
            self.current, self.printed = step, 0
            if step.kind == ReplayKind.RECORDING:
                print_turn_header(self.session, step.turn)
            elif step.path is not None:
                print_step(step, self.session)
        if event.finished:
            self._finished(step)
        elif step.kind == ReplayKind.RECORDING and event.line is not None:
            at = turn_start(self.session, step.turn)
            for line in step.lines[self.printed : event.line + 1]:
                print_line(line, at)
            self.printed = max(self.printed, event.line + 1)

    def _finished(self, step: ReplayStep) -> None:
        if step.kind == ReplayKind.RECORDING:
            at = turn_start(self.session, step.turn)
            for line in step.lines[self.printed :]:
                print_line(line, at)
            print_outcome(self.session, step.turn)
        elif step.path is None:
            print_step(step, self.session)
        self.current = None


def play(player: Player, session: Session, steps: list[ReplayStep]) -> None:
    """Play every step on ``player``, printing each transcript line as it is heard."""
    from tui.sessions.replay import Replayer

    try:
        Replayer(player).play(steps, _Printer(session, steps))
    finally:
        player.close()


def run(args: argparse.Namespace) -> int:
    from tui.sessions.replay import replay_plan
    from tui.sessions.store import SessionStore

    settings = settings_from_args(args)
    store = SessionStore(settings.sessions_dir)
    session = store.open(args.session)
    for problem in session.problems:
        print(f"voxroom: {problem}", file=sys.stderr)
    steps = replay_plan(store, session)
    if args.turn is not None:
        steps = [s for s in steps if s.turn == args.turn]
    player = None if args.no_play else open_player(settings)
    print_header(session)
    if player is None:
        for step in steps:
            print_step(step, session)
            if step.kind == ReplayKind.RECORDING:
                print_outcome(session, step.turn)
        return 0
    play(player, session, steps)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from tui.sessions.samples import SAMPLE_PREFIX, sample_names

    names = sample_names()
    samples = (
        "Bundled samples: " + ", ".join(SAMPLE_PREFIX + n for n in names) + "."
        if names
        else "This installation has no bundled samples."
    )
    parser = sub.add_parser(
        "replay",
        help="print a saved session and play its recordings and spoken replies",
        description="SESSION is a session id (or a unique prefix), sample:<name> for a bundled sample, "
        f"or the path of a session folder. {samples}",
    )
    add_common(parser)
    parser.add_argument("session", metavar="SESSION", help="id, sample:<name>, or folder path")
    parser.add_argument("--no-play", action="store_true", help="only print, play nothing")
    parser.add_argument("--turn", type=whole_number(1, 100_000), metavar="N", help="only turn N")
    parser.set_defaults(func=run)
