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
# On a terminal each step prints a line and pip shows its own progress; elsewhere (CI, a pipe) pip
# is quiet and only the step lines are printed.
if [ -t 2 ]; then
  pip_out=(--progress-bar on)
else
  pip_out=(--quiet)
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "Creating the virtualenv $VENV..." >&2
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the dependencies or their pins changed, or when a test install is wanted and
# the last one was the runtime alone. The stamp holds "<kind> <checksum of both files>".
sum="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$have" != "test $sum" ] && [ "$have" != "$kind $sum" ]; then
  started=$SECONDS
  echo "Updating pip in $VENV..." >&2
  "$VENV/bin/python" -m pip install "${pip_out[@]}" -c constraints.txt --upgrade pip >&2
  if [ "$kind" = test ]; then what="Voxroom's Python packages and the test tools"; else what="Voxroom's Python packages"; fi
  echo "Installing $what into $VENV (1-3 minutes the first time)..." >&2
  "$VENV/bin/python" -m pip install "${pip_out[@]}" -c constraints.txt -e "$target" >&2
  echo "$kind $sum" >"$stamp"
  echo "Installed in $((SECONDS - started)) s; the next start skips this step." >&2
fi
