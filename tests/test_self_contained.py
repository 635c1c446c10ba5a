"""The repository needs nothing beside it: no test, benchmark or script reads the sibling shared folder or an
absolute path of one particular machine."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# A path outside the repository that only exists on some machine, or the sibling shared/ folder.
FORBIDDEN = re.compile(r"(\.\./shared\b|parent\s*/\s*\"shared\"|/work/(shared|venv|main)\b|/root/)")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [REPO / line for line in out.splitlines() if line.endswith((".py", ".sh", ".toml", ".cfg"))]


def test_nothing_reads_outside_the_repository() -> None:
    files = [*tracked_files(), REPO / ".ci" / "run", REPO / "Makefile"]
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in files
        if path.is_file() and path != Path(__file__).resolve()
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_speech_clips_ship_with_their_attribution() -> None:
    audio = REPO / "tests" / "data" / "audio"
    for name in ("beckett.wav", "clone-test.wav", "endgame_nagg_nell.wav"):
        assert (audio / name).stat().st_size > 100_000 or name == "clone-test.wav"
    assert "MIT" in (audio / "README.md").read_text()
