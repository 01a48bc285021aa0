#!/usr/bin/env bash
# Build the desktop app: the UI (ui/dist), then the kyso-desktop binary with the
# custom-protocol feature so it serves the built UI itself (no dev server), with the `kyso`
# and `kyso-exchange` binaries beside it.
#
#   scripts/build-desktop.sh            debug build
#   scripts/build-desktop.sh release    release build
#
# Prints the binary's path on the last line. Honours CARGO_TARGET_DIR.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE=debug
# The `kyso` and `kyso-exchange` binaries come with it (`make run` starts the exchange): one
# cargo invocation, so dependencies are compiled once with one set of features.
CARGO_ARGS=(-p kyso-desktop -p kyso-cli -p kyso-exchange --locked --features kyso-desktop/custom-protocol)
case "${1:-}" in
  "" | debug) ;;
  release) PROFILE=release; CARGO_ARGS+=(--release) ;;
  *) echo "build-desktop: unknown argument: $1 (expected: release)" >&2; exit 2 ;;
esac

# 1. UI dependencies when node_modules is missing or older than the lock. `npm install`,
#    not `npm ci`: see docs/decisions.md (npm prunes other platforms' optional packages
#    from the lock, and `npm ci` then refuses it).
cd "$REPO/ui"
stamp=node_modules/.package-lock.json   # npm rewrites this on every install
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "build-desktop: npm install" >&2
  npm install --no-audit --no-fund --loglevel=error
fi

# 2. UI bundle -> ui/dist (embedded into the binary at compile time).
npm run build

# 3. The binary.
cd "$REPO"
cargo build "${CARGO_ARGS[@]}"

target_dir="${CARGO_TARGET_DIR:-$REPO/target}"
case "$target_dir" in /*) ;; *) target_dir="$REPO/$target_dir" ;; esac
bin="$target_dir/$PROFILE/kyso-desktop"
[ -x "$bin" ] || { echo "build-desktop: expected binary not found: $bin" >&2; exit 1; }
echo "$bin"
