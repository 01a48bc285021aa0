#!/usr/bin/env bash
# Runs a command against a real, private, unlocked Secret Service (gnome-keyring) on its own
# D-Bus session bus, with no display (so a locked keyring can never open a prompt window and
# hang), a temporary HOME and XDG_RUNTIME_DIR, and a per-run keychain service name
# (KYSO_KEYCHAIN_SERVICE) so nothing touches a real user's keyring. docs/testing.md §2.
#
#   scripts/with-keyring.sh cargo test -p kyso-keys
#
# Inside, KYSO_TEST_KEYRING=1 tells the tests they run under this wrapper.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing (apt-get install dbus gnome-keyring libsecret-tools)" >&2; exit 3; }
done

# Cargo and rustup live under the real HOME: keep finding them after HOME changes.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

KR_HOME=$(mktemp -d "${TMPDIR:-/tmp}/kyso-keyring.XXXXXX")
trap 'rm -rf "$KR_HOME"' EXIT
mkdir -m700 "$KR_HOME/run"
export HOME="$KR_HOME" XDG_RUNTIME_DIR="$KR_HOME/run"
export KYSO_KEYCHAIN_SERVICE="${KYSO_KEYCHAIN_SERVICE:-test-$$}"
export KYSO_TEST_KEYRING=1

env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS dbus-run-session -- bash -c '
  set -euo pipefail
  # The daemon reads the login password on stdin, creates and unlocks the "login" keyring.
  eval "$(printf "kyso-test-keyring" | timeout 20 gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
  # Fail early and clearly when the Secret Service does not answer.
  if ! printf probe | timeout 20 secret-tool store --label=kyso-probe kyso-probe "$KYSO_KEYCHAIN_SERVICE" >/dev/null 2>&1; then
    echo "with-keyring.sh: the Secret Service did not answer" >&2
    exit 3
  fi
  timeout 20 secret-tool clear kyso-probe "$KYSO_KEYCHAIN_SERVICE" || true
  "$@"
' with-keyring "$@"
