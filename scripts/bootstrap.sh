#!/usr/bin/env bash
# Install what Voxroom needs on Debian: system packages (apt-get, only the missing ones) and a
# virtualenv in .venv with Voxroom and its Python dependencies. Usage: bootstrap.sh runtime|test
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
scripts/apt-install.sh "$kind"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
stamp="$VENV/.voxroom-installed"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the dependencies changed.
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
