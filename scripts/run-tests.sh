#!/usr/bin/env bash
# Start the virtual sound server and the X display, then run pytest (extra arguments go to it).
# The tests run on VOXROOM_TEST_WORKERS pytest-xdist workers (default: one more than the cores, at
# most 3: most of a test's time is spent waiting on real-time audio or the screen, not computing); the
# first uses the sound server and display started here, each other one starts its own (see
# tests/conftest.py). A later `-n N` wins: `-n 0` runs everything in this process (for -s, --pdb).
set -euo pipefail
cd "$(dirname "$0")/.."
export VAUDIO_DIR="${VAUDIO_DIR:-/tmp/vx-audio}" VDISPLAY_DIR="${VDISPLAY_DIR:-/tmp/vx-display}"
eval "$(scripts/setup_audio.sh)"
eval "$(scripts/setup_display.sh)"
unset NO_COLOR
# Bytecode is cached (__pycache__, ignored by git): every `python -m tui` a test starts and every
# worker's pytest plugins then load compiled modules instead of compiling (or rewriting) them again.
unset PYTHONDONTWRITEBYTECODE
export TEXTUAL_ANIMATIONS=none
PY="${VENV:-.venv}/bin/python"
cores="$(nproc 2>/dev/null || echo 1)"
workers="${VOXROOM_TEST_WORKERS:-$((cores < 2 ? 2 : 3))}"
parallel=()
if "$PY" -c "import xdist" 2>/dev/null; then
  parallel=(-n "$workers" --dist worksteal)
else
  echo "pytest-xdist is not installed (scripts/bootstrap.sh test installs it): running on one core" >&2
fi
exec "$PY" -m pytest "${parallel[@]}" "$@"
