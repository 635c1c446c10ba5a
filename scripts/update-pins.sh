#!/usr/bin/env bash
# Refresh constraints.txt: a fresh virtualenv with the newest releases that pyproject.toml's ranges
# allow, the whole test suite in it, and constraints.txt rewritten only when every test passed
# (otherwise the candidate is left in constraints.txt.new). Usage: update-pins.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-install.sh test
PYTHON="${PYTHON:-python3}"
venv="$(mktemp -d "${TMPDIR:-/tmp}/voxroom-pins.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet --upgrade -e '.[dev]'
{
  sed -n '/^#/p' constraints.txt
  "$venv/bin/python" -m pip freeze --all --exclude-editable | grep -v -i '^setuptools=='
} >constraints.txt.new
echo "candidate pins in constraints.txt.new; running the tests with them" >&2
if VENV="$venv" scripts/run-tests.sh -q "$@"; then
  mv constraints.txt.new constraints.txt
  echo "constraints.txt updated (git diff constraints.txt shows what moved)" >&2
else
  echo "some tests failed with the new versions; constraints.txt is unchanged, candidate kept in constraints.txt.new" >&2
  exit 1
fi
