"""A new user's first run, from a fresh clone: a shell in tmux (80x24) where the README's commands are
typed exactly as the README prints them, offline (no key), with the virtual microphone and speaker.

What cannot run as printed here: the install. ``scripts/run.sh`` installs the Python packages from the
network the first time (about two minutes, measured in the README); a test may not use the network,
so the clone's ``.venv`` is made from the packages of the virtualenv running the tests: a virtualenv
whose ``site-packages`` lists the clone (so its own code runs) and those packages, the ``voxroom``
command pip would write, and the stamp ``scripts/bootstrap.sh`` writes after an install. Everything
after that is the user's path: ``scripts/run.sh`` runs ``scripts/apt-install.sh`` and
``scripts/bootstrap.sh`` for real (both find everything there and say nothing), then the app.
``scripts/test.sh``, the README's second command, runs this suite: it is not typed here."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PASS_VARS
from .test_tmux import Tmux, speak_clip

REPO = Path(__file__).resolve().parents[2]
PROMPT = "walk$ "

pytestmark = [pytest.mark.audio, pytest.mark.display, pytest.mark.tmux]


def readme_commands() -> tuple[str, str]:
    """The first command of the README's first code block, and the one it says to try right after
    install, as printed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "the README starts with a bash block of commands"
    first = block.group(1).splitlines()[0]
    after = re.search(r"Try it right after install: `([^`]+)`", text)
    assert after, "the README says what to try right after install"
    return first, after.group(1)


def fresh_clone(target: Path) -> Path:
    assert (REPO / ".git").exists(), f"{REPO} is not a git checkout: the walk starts from a clone of it"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True, timeout=120)
    return target


def reuse_pinned_packages(clone: Path) -> None:
    """``clone/.venv`` as an install would leave it, from the packages of the running virtualenv."""
    venv = clone / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    pinned = Path(sysconfig.get_paths()["purelib"])
    assert purelib.is_dir() and pinned.is_dir(), (purelib, pinned)
    (purelib / "voxroom-walk.pth").write_text(f"{clone}\n{pinned}\n", encoding="utf-8")
    command = venv / "bin" / "voxroom"
    command.write_text(
        f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom tui.cli import main\n"
        "if __name__ == '__main__':\n    sys.exit(main())\n",
        encoding="utf-8",
    )
    command.chmod(0o755)
    pins = (clone / "pyproject.toml").read_bytes() + (clone / "constraints.txt").read_bytes()
    stamp = f"runtime {hashlib.sha256(pins).hexdigest()}\n"  # as scripts/bootstrap.sh writes it
    (venv / ".voxroom-installed").write_text(stamp, encoding="utf-8")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    t("kill-server", check=False)


def test_the_readme_commands_work_as_printed_from_a_fresh_clone(
    tmux: Tmux, devices_env: dict[str, str], tmp_path: Path
) -> None:
    run, try_after = readme_commands()
    assert run.startswith("scripts/run.sh "), run
    clone = fresh_clone(tmp_path / "voxroom")
    reuse_pinned_packages(clone)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: devices_env[k] for k in PASS_VARS if k != "DISPLAY"},  # no X display: a terminal over SSH
        "TERM": "xterm-256color",
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    rc = tmp_path / "bashrc"
    rc.write_text(f"PS1='{PROMPT}'\n", encoding="utf-8")  # a prompt to tell when a command is done
    args = ["new-session", "-d", "-s", "vox", "-x", "80", "-y", "24", "-c", str(clone)]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    tmux(*args, f"bash --noprofile --rcfile {rc}")
    tmux.wait_for(PROMPT.rstrip())

    def type_line(line: str) -> float:
        tmux("send-keys", "-t", "vox", "-l", line)
        tmux("send-keys", "-t", "vox", "Enter")
        return time.monotonic()

    typed = type_line(run)
    tmux.wait_for("Press space to record.", 60)
    first_frame_s = time.monotonic() - typed
    screen = tmux.wait_for(lambda s: "^p palette" in s and "mic: " in s and "mic: none" not in s, 60)
    ready_s = time.monotonic() - typed
    lines = screen.splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines), screen
    assert lines[-2].startswith(" offline │ "), screen  # no key: the offline default
    assert "space Record" in lines[-1] and lines[-1].rstrip().endswith("^p palette"), screen
    replies = " ".join(" ".join(line[:40].strip("│ ") for line in lines).split())
    assert "To get answers, set MISTRAL_API_KEY" in replies, screen

    speak_clip(tmux, devices_env)  # the recording reaches the bundled Whisper through the microphone
    screen = tmux.wait_for(lambda s: "(Not answered: no agent" in s and "● IDLE" in s, 90)
    assert "speaker_1 : " in screen and "America" in screen, screen
    assert " offline │ " in screen.splitlines()[-2], screen  # the backend stays after the turn
    tmux("send-keys", "-t", "vox", "C-q")
    tmux.wait_for(lambda s: s.rstrip().endswith(PROMPT.rstrip()), 30)
    # The install was found complete: nothing was installed or printed before the app or after it.
    joined = tmux("capture-pane", "-p", "-J", "-t", "vox")  # wrapped lines joined
    assert [line.rstrip() for line in joined.splitlines() if line.strip()] == [
        PROMPT + run,
        PROMPT.rstrip(),
    ], joined
    tmux("clear-history", "-t", "vox")
    tmux("send-keys", "-t", "vox", "clear", "Enter")
    tmux.wait_for(lambda s: s.strip() == PROMPT.strip(), 10)

    typed = type_line(try_after)
    screen = tmux.wait_for(
        lambda s: (
            re.search(r"^Turn 2 · \d\d:\d\d · question", s, re.M) is not None
            and s.rstrip().endswith(PROMPT.rstrip())
        ),
        90,
    )
    replay_s = time.monotonic() - typed
    assert "Nagg : Do you hear me?" in screen and "Voxroom: " in screen, screen
    assert "Error" not in screen and "Traceback" not in screen, screen
    print(
        f"first frame {first_frame_s:.1f} s, the microphone open {ready_s:.1f} s after `{run}`; "
        f"`{try_after}` took {replay_s:.1f} s"
    )
    assert first_frame_s < 20  # generous: bench/startup.py measures start-up, not this walk
