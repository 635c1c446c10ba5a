#!/usr/bin/env bash
# Run every benchmark in bench/ (numbers go to stdout; bench/README.md records them with the method).
set -euo pipefail
cd "$(dirname "$0")/.."
export VAUDIO_DIR="${VAUDIO_DIR:-/tmp/vx-audio}" VDISPLAY_DIR="${VDISPLAY_DIR:-/tmp/vx-display}"
eval "$(scripts/setup_audio.sh)"
eval "$(scripts/setup_display.sh)"
PY="${VENV:-.venv}/bin/python"
for bench in bench/*.py; do
  echo "== $bench"
  "$PY" "$bench"
done
