#!/usr/bin/env bash
# Install what is missing, then open Voxroom. Extra arguments go to `voxroom`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh runtime >&2
exec "${VENV:-.venv}/bin/voxroom" "$@"
