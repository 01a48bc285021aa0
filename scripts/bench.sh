#!/usr/bin/env bash
# make bench: see scripts/bench.py. Under scripts/with-keyring.sh (a private session bus with an
# unlocked gnome-keyring): the sync benchmarks run `kyso login`, which keeps the exchange's
# client secret in the OS keychain.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$REPO/scripts/with-keyring.sh" "$REPO/.venv/bin/python" "$REPO/scripts/bench.py" "$@"
