#!/usr/bin/env bash
# Install what Voxroom needs on Debian: system packages (apt-get, only the missing ones) and a
# virtualenv in .venv with Voxroom and its Python dependencies at the versions in constraints.txt.
# Usage: bootstrap.sh runtime|test
#   runtime  Voxroom alone (what scripts/run.sh needs)
#   test     Voxroom and the test extra (pytest, pytest-xdist, ruff, ...: what scripts/test.sh needs)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
case "$kind" in
  runtime) target="." ;;
  test) target=".[test]" ;;
  *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac
scripts/apt-install.sh "$kind"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
stamp="$VENV/.voxroom-installed"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the dependencies or their pins changed, or when a test install is wanted and
# the last one was the runtime alone. The stamp holds "<kind> <checksum of both files>".
sum="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$have" != "test $sum" ] && [ "$have" != "$kind $sum" ]; then
  "$VENV/bin/python" -m pip install --quiet -c constraints.txt --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e "$target"
  echo "$kind $sum" >"$stamp"
fi
