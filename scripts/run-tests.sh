#!/usr/bin/env bash
# Start the virtual sound server and the X display, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export VAUDIO_DIR="${VAUDIO_DIR:-/tmp/vx-audio}" VDISPLAY_DIR="${VDISPLAY_DIR:-/tmp/vx-display}"
eval "$(scripts/setup_audio.sh)"
eval "$(scripts/setup_display.sh)"
unset NO_COLOR
export TEXTUAL_ANIMATIONS=none
exec "${VENV:-.venv}/bin/python" -m pytest "$@"
