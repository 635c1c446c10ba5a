#!/usr/bin/env bash
# Install what is missing (incl. a virtual sound server and Xvfb), then run every test.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test >&2
exec scripts/run-tests.sh "$@"
