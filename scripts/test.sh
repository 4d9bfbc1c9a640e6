#!/usr/bin/env bash
# Run the test suite. As root (CI), inside a network namespace with only loopback up: real OBS
# listens on every interface and tries to reach the internet at start, and nothing in the suite
# needs more than loopback, so the run is hermetic. Elsewhere it runs pytest directly.
# Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec .venv/bin/python -m pytest "$@"' _ "$@"
fi
exec .venv/bin/python -m pytest "$@"
