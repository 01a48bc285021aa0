#!/usr/bin/env bash
# make bench: see scripts/bench.py.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$REPO/.venv/bin/python" "$REPO/scripts/bench.py" "$@"
