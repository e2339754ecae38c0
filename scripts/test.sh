#!/usr/bin/env bash
# Lint, then the whole test suite. The tests run in a private network namespace with only a
# loopback interface where the kernel allows it, so nothing they start (WebRTC included) can
# send a packet anywhere but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
pytest=(.venv/bin/python -m pytest "$@")
if unshare --net true 2>/dev/null; then
  exec unshare --net sh -c 'ip link set lo up && exec "$@"' sh "${pytest[@]}"
fi
echo "test: cannot create a network namespace here; running on the host network" >&2
exec "${pytest[@]}"
