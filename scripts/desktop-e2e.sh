#!/usr/bin/env bash
# Drive the real desktop app through WebDriver (tauri-driver + WebKitWebDriver)
# on a private headless X server: ui/e2e/sign.e2e.mjs.
#
#   scripts/desktop-e2e.sh BINARY
#
# Optional env for a real signature: KYSO_E2E_PDF, KYSO_E2E_P12, KYSO_E2E_P12_PASSWORD.
# Needs: tauri-driver (cargo install tauri-driver --locked), WebKitWebDriver
# (apt: webkit2gtk-driver), Xvfb, curl, node. Screenshots go to target/e2e/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:?usage: desktop-e2e.sh BINARY}")"
PORT="${KYSO_E2E_PORT:-4444}"
for tool in Xvfb dbus-daemon tauri-driver WebKitWebDriver curl node; do
  command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
done

source "$REPO/scripts/headless-session.sh"
start_headless_session e2e

tauri-driver --port "$PORT" --native-port "$((PORT + 1))" >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
EXTRA_PIDS+=("$DRIVER_PID")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/status" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/status" >/dev/null || { echo "e2e: tauri-driver did not start" >&2; cat "$WORK/driver.log" >&2; exit 1; }

status=0
KYSO_DESKTOP_BIN="$BIN" WEBDRIVER_URL="http://127.0.0.1:$PORT" \
  KYSO_E2E_SHOT_DIR="$REPO/target/e2e" node "$REPO/ui/e2e/sign.e2e.mjs" || status=$?
[ "$status" = 0 ] || { echo "e2e: tauri-driver log:" >&2; tail -30 "$WORK/driver.log" >&2; }
exit "$status"
