#!/usr/bin/env bash
# The installers of the desktop app, made by the Tauri bundler: a .deb and an .rpm with the
# app, its desktop entry and icons, and the `kyso` command beside it (/usr/bin/kyso).
#
#   scripts/package.sh            release: builds everything with --release (make package)
#   scripts/package.sh debug      bundles the debug build `make test` already made, for the
#                                 package test (same contents and dependencies, bigger
#                                 binaries), without compiling anything again
#
# Prints the paths of the .deb and the .rpm. The bundler writes .deb and .rpm itself,
# offline; an AppImage needs linuxdeploy, which it downloads (docs/packaging.md).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${1:-release}"
case "$PROFILE" in
  release) "$REPO/scripts/build-desktop.sh" release >/dev/null; DEBUG=() ;;
  debug)
    for bin in kyso-desktop kyso; do
      [ -x "$REPO/target/debug/$bin" ] || { echo "package: build first (make test builds target/debug/$bin)" >&2; exit 1; }
    done
    DEBUG=(--debug) ;;
  *) echo "package: unknown profile: $PROFILE (release or debug)" >&2; exit 2 ;;
esac

# The `kyso` command of the same profile goes into both packages.
CONFIG="$(mktemp)"
trap 'rm -f "$CONFIG"' EXIT
cat > "$CONFIG" <<JSON
{ "bundle": { "linux": {
  "deb": { "files": { "/usr/bin/kyso": "../target/$PROFILE/kyso" } },
  "rpm": { "files": { "/usr/bin/kyso": "../target/$PROFILE/kyso" } }
} } }
JSON

out="$REPO/target/$PROFILE/bundle"
rm -rf "$out/deb" "$out/rpm"
cd "$REPO/src-tauri"
"$REPO/ui/node_modules/.bin/tauri" bundle "${DEBUG[@]}" --bundles deb,rpm --config "$CONFIG" >&2
ls "$out"/deb/*.deb "$out"/rpm/*.rpm
