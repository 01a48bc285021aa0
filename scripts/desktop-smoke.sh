#!/usr/bin/env bash
# Smoke-test the built desktop binary on a private, headless X server:
# start it, wait for its window, screenshot the screen, check the title and that
# the page actually rendered (not a blank/white window), then stop it.
#
#   scripts/desktop-smoke.sh BINARY [SCREENSHOT]
#
# SCREENSHOT defaults to target/desktop-smoke.png. Needs: Xvfb (xvfb), xwininfo
# (x11-utils), import/convert (imagemagick), dbus-daemon (dbus).
# Exit 0 on success. Only the processes this script starts are stopped.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:?usage: desktop-smoke.sh BINARY [SCREENSHOT]}"
SHOT="${2:-$REPO/target/desktop-smoke.png}"
TITLE="Kyso — Ký số"
TIMEOUT="${KYSO_SMOKE_TIMEOUT:-60}"

[ -x "$BIN" ] || { echo "smoke: not an executable: $BIN" >&2; exit 2; }
for tool in Xvfb dbus-daemon xwininfo import convert; do
  command -v "$tool" >/dev/null || { echo "smoke: missing $tool (apt: xvfb x11-utils imagemagick)" >&2; exit 2; }
done

source "$REPO/scripts/headless-session.sh"
start_headless_session smoke

"$BIN" >"$WORK/app.log" 2>&1 &
APP_PID=$!
EXTRA_PIDS+=("$APP_PID")

# Wait for the window with the app's title. GTK first maps a small leader window named
# after the binary ("kyso-desktop"), so any window is not enough.
t0=$(date +%s)
until xwininfo -root -tree 2>/dev/null | grep -qF "\"$TITLE\""; do
  if ! kill -0 "$APP_PID" 2>/dev/null; then
    echo "smoke: the app exited before opening a window; its output:" >&2
    cat "$WORK/app.log" >&2; exit 1
  fi
  if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
    echo "smoke: no window titled \"$TITLE\" after ${TIMEOUT}s; windows:" >&2
    xwininfo -root -tree | grep -i kyso >&2 || true
    echo "app output:" >&2; cat "$WORK/app.log" >&2; exit 1
  fi
  sleep 0.2
done
echo "smoke: window \"$TITLE\" up after $(( $(date +%s) - t0 ))s"

# Wait until the page has painted: the screen gains many colours (text
# anti-aliasing, the red header) once the UI renders; a blank page has a few.
mkdir -p "$(dirname "$SHOT")"
colours=0
for _ in $(seq "$TIMEOUT"); do
  sleep 1
  import -window root "$SHOT"
  colours=$(convert "$SHOT" -format '%k' info:)
  [ "$colours" -ge 200 ] && break
done
if [ "$colours" -lt 200 ]; then
  echo "smoke: the window looks blank ($colours colours) — see $SHOT; app output:" >&2
  cat "$WORK/app.log" >&2; exit 1
fi
kill -0 "$APP_PID" 2>/dev/null || { echo "smoke: the app died after rendering" >&2; cat "$WORK/app.log" >&2; exit 1; }

echo "smoke: OK — title \"$TITLE\", $colours colours, screenshot $SHOT"
