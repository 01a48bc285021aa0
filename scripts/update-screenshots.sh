#!/usr/bin/env bash
# Copies the screens the end-to-end run took (target/e2e/, made by `make test` or
# scripts/desktop-e2e.sh) to docs/screenshots/, where the README and the user guides show
# them. Run it after the journeys passed, and commit what changed.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHOTS="$REPO/target/e2e"
mkdir -p "$REPO/docs/screenshots"
for screen in welcome sign clerk mailbox verify identities settings; do
  for suffix in "" "-en"; do
    src="$SHOTS/screen-$screen$suffix.png"
    [ -f "$src" ] || { echo "update-screenshots: $src missing (run the end-to-end journeys first)" >&2; exit 1; }
    cp "$src" "$REPO/docs/screenshots/$screen$suffix.png"
  done
done
echo "docs/screenshots: $(ls "$REPO/docs/screenshots" | wc -l) screens"
