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
for tool in Xvfb tauri-driver WebKitWebDriver curl node; do
  command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
done

WORK="$(mktemp -d)"
XVFB_PID=""; DBUS_PID=""; DRIVER_PID=""
cleanup() {
  [ -n "$DRIVER_PID" ] && kill "$DRIVER_PID" 2>/dev/null && wait "$DRIVER_PID" 2>/dev/null || true
  [ -n "$DBUS_PID" ] && kill "$DBUS_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

DISP=99
while [ -e "/tmp/.X11-unix/X$DISP" ] || [ -e "/tmp/.X$DISP-lock" ]; do DISP=$((DISP + 1)); done
Xvfb ":$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$DISP" ] && break; sleep 0.1; done
export DISPLAY=":$DISP"
{ read -r DBUS_SESSION_BUS_ADDRESS; read -r DBUS_PID; } < <(dbus-daemon --session --fork --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS
export KYSO_HOME="$WORK/home"; mkdir -p "$KYSO_HOME"
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1

tauri-driver --port "$PORT" --native-port "$((PORT + 1))" >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/status" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/status" >/dev/null || { echo "e2e: tauri-driver did not start" >&2; cat "$WORK/driver.log" >&2; exit 1; }

status=0
KYSO_DESKTOP_BIN="$BIN" WEBDRIVER_URL="http://127.0.0.1:$PORT" \
  KYSO_E2E_SHOT_DIR="$REPO/target/e2e" node "$REPO/ui/e2e/sign.e2e.mjs" || status=$?
[ "$status" = 0 ] || { echo "e2e: tauri-driver log:" >&2; tail -30 "$WORK/driver.log" >&2; }
exit "$status"
