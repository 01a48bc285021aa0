#!/usr/bin/env bash
# Drive the real desktop app through WebDriver (tauri-driver + WebKitWebDriver)
# on a private headless X server: ui/e2e/sign.e2e.mjs.
#
#   scripts/desktop-e2e.sh BINARY
#
# Optional env for a real signature: KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD; and
# KYSO_E2E_EXCHANGE_PKI to send the signed PDF to a real reference exchange (needs the `kyso`
# and `kyso-exchange` binaries next to BINARY).
# Needs: tauri-driver (cargo install tauri-driver --locked), WebKitWebDriver
# (apt: webkit2gtk-driver), Xvfb, curl, node. Screenshots go to target/e2e/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:?usage: desktop-e2e.sh BINARY}")"
PORT="${KYSO_E2E_PORT:-4444}"
for tool in Xvfb dbus-daemon dbus-send tauri-driver WebKitWebDriver curl node gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
done

source "$REPO/scripts/headless-session.sh"
start_headless_session e2e

# A real keyring on the session's bus (the vault keeps its keys there; RECIPES §2), with its
# own HOME so nothing touches the user's keyrings. The app inherits KYSO_HOME and
# KYSO_KEYCHAIN_SERVICE through tauri-driver.
# Nothing may call the Secret Service before this daemon owns its bus name: the bus would
# start a second, locked daemon, whose prompt (DISPLAY is set) hangs every call.
mkdir -m700 -p "$WORK/keyring/run"
printf kyso-e2e | HOME="$WORK/keyring" XDG_RUNTIME_DIR="$WORK/keyring/run" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >"$WORK/keyring.log" 2>&1 &
EXTRA_PIDS+=("$!")
export KYSO_KEYCHAIN_SERVICE="kyso-e2e-$$"
secrets_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
}
for _ in $(seq 200); do secrets_owned && break; sleep 0.05; done
# No display for the probe: a locked keyring then fails at once instead of prompting.
if ! secrets_owned || ! printf probe | env -u DISPLAY timeout 10 \
    secret-tool store --label=kyso-probe kyso-probe "$KYSO_KEYCHAIN_SERVICE" >/dev/null 2>&1; then
  echo "e2e: the keyring did not start" >&2; cat "$WORK/keyring.log" >&2; exit 1
fi

# The send-to-exchange steps (KYSO_E2E_EXCHANGE_PKI: the test PKI whose root the exchange
# trusts): the real reference exchange on loopback, and Kyso configured and logged in with
# the CLI, as an administrator does (`make run` does the same).
if [ -n "${KYSO_E2E_EXCHANGE_PKI:-}" ]; then
  BIN_DIR="$(dirname "$BIN")"
  for tool in "$BIN_DIR/kyso" "$BIN_DIR/kyso-exchange"; do
    command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
  done
  cat > "$WORK/exchange.toml" <<TOML
trust_anchors = ["$(realpath "$KYSO_E2E_EXCHANGE_PKI")/root.pem"]

[[clients]]
client_id = "e2e"
client_secret = "e2e-bí-mật"
organ_id = "000.00.00.H35"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"
TOML
  "$BIN_DIR/kyso-exchange" serve --addr 127.0.0.1:0 --db "$WORK/exchange.db" \
    --config "$WORK/exchange.toml" >"$WORK/exchange.log" 2>&1 &
  EXTRA_PIDS+=("$!")
  for _ in $(seq 100); do grep -q "listening on" "$WORK/exchange.log" && break; sleep 0.1; done
  EXCHANGE_URL="$(sed -n 's/^listening on //p' "$WORK/exchange.log" | head -n 1)"
  [ -n "$EXCHANGE_URL" ] || { echo "e2e: kyso-exchange did not start" >&2; cat "$WORK/exchange.log" >&2; exit 1; }
  "$BIN_DIR/kyso" config set exchange.url "$EXCHANGE_URL" >/dev/null
  "$BIN_DIR/kyso" config set exchange.client-id e2e >/dev/null
  KYSO_EXCHANGE_SECRET="e2e-bí-mật" "$BIN_DIR/kyso" login </dev/null
  export KYSO_E2E_EXCHANGE_BIN="$BIN_DIR/kyso-exchange" KYSO_E2E_EXCHANGE_DB="$WORK/exchange.db"
  export KYSO_E2E_KYSO_BIN="$BIN_DIR/kyso" KYSO_E2E_TRUST_ROOT="$(realpath "$KYSO_E2E_EXCHANGE_PKI")/root.pem"
fi

# The app's native dialogs are answered by the test through this folder (src-tauri/src/files.rs).
export KYSO_TEST_DIALOGS="$WORK/dialogs"
mkdir -p "$KYSO_TEST_DIALOGS"

tauri-driver --port "$PORT" --native-port "$((PORT + 1))" >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
EXTRA_PIDS+=("$DRIVER_PID")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/status" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/status" >/dev/null || { echo "e2e: tauri-driver did not start" >&2; cat "$WORK/driver.log" >&2; exit 1; }

status=0
KYSO_DESKTOP_BIN="$BIN" WEBDRIVER_URL="http://127.0.0.1:$PORT" \
  KYSO_E2E_SHOT_DIR="$REPO/target/e2e" node "$REPO/ui/e2e/sign.e2e.mjs" || status=$?
# Closing the window leaves the app in the tray: end it with the session.
pkill -f "^$BIN" 2>/dev/null || true
[ "$status" = 0 ] || { echo "e2e: tauri-driver log:" >&2; tail -30 "$WORK/driver.log" >&2; }
exit "$status"
