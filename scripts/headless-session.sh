# Sourced by the desktop test scripts: a private headless X server and session bus for
# the real app, with the environment WebKitGTK needs under Xvfb (docs/testing.md §3). Defines
# WORK (a temp dir), KYSO_HOME under it, DISPLAY and DBUS_SESSION_BUS_ADDRESS, and stops
# only what it started (plus the pids listed in EXTRA_PIDS) when the script exits.
#
#   source "$REPO/scripts/headless-session.sh"; start_headless_session LABEL

WORK="$(mktemp -d)"
XVFB_PID=""; DBUS_PID=""; EXTRA_PIDS=()
stop_headless_session() {
  for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [ -n "$DBUS_PID" ] && kill "$DBUS_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop_headless_session EXIT

start_headless_session() {
  local label="$1"
  # A display number nobody uses (99 first, as in docs/testing.md §3).
  local disp=99
  while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
  Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
  XVFB_PID=$!
  for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
  [ -e "/tmp/.X11-unix/X$disp" ] || { echo "$label: Xvfb did not start" >&2; cat "$WORK/xvfb.log" >&2; exit 1; }
  export DISPLAY=":$disp"
  # A private session bus (WebKitGTK and the file dialogs want one), stopped by pid.
  { read -r DBUS_SESSION_BUS_ADDRESS; read -r DBUS_PID; } < <(dbus-daemon --session --fork --print-address=1 --print-pid=1)
  export DBUS_SESSION_BUS_ADDRESS
  # The app with its own empty home; software rendering (no GPU under Xvfb).
  export KYSO_HOME="$WORK/home"; mkdir -p "$KYSO_HOME"
  export NO_AT_BRIDGE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
}
