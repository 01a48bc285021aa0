#!/usr/bin/env bash
# Drive the real desktop app through WebDriver (tauri-driver + WebKitWebDriver)
# on a private headless X server: the journeys of ui/e2e/app.e2e.mjs, or another script.
#
#   scripts/desktop-e2e.sh BINARY [SCRIPT]
#
# Env: KYSO_E2E_PKI, the test PKI (tests/pki/make-pki.sh); KYSO_E2E_PDF, a PDF to sign;
# optionally KYSO_E2E_PYHANKO (default: the repository's .venv). The `kyso` and
# `kyso-exchange` binaries must be next to BINARY.
# Needs: tauri-driver (cargo install tauri-driver --locked), WebKitWebDriver
# (apt: webkit2gtk-driver), Xvfb, curl, node, softhsm2, opensc (pkcs11-tool), openssl,
# python3. Screenshots go to target/e2e/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(realpath "${1:?usage: desktop-e2e.sh BINARY [SCRIPT]}")"
# The journeys by default; the desktop benchmark (ui/e2e/bench.e2e.mjs) runs in the same
# session with the same real parts.
SCRIPT="$(realpath "${2:-$REPO/ui/e2e/app.e2e.mjs}")"
PORT="${KYSO_E2E_PORT:-4444}"
for tool in Xvfb dbus-daemon dbus-send tauri-driver WebKitWebDriver curl node gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
done

source "$REPO/scripts/headless-session.sh"
start_headless_session e2e

# A real keyring on the session's bus (the vault keeps its keys there; docs/testing.md §2),
# with its own HOME so nothing touches the user's keyrings. The app inherits KYSO_HOME and
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

# The services of the journeys (ui/e2e/app.e2e.mjs starts and stops them itself, so that the
# offline journey can take them down and bring them back on the same address): the reference
# exchange, whose root of trust is the test PKI's, and a TSA backed by `openssl ts`.
PKI="$(realpath "${KYSO_E2E_PKI:?set KYSO_E2E_PKI to the test PKI (tests/pki/make-pki.sh)}")"
BIN_DIR="$(dirname "$BIN")"
for tool in "$BIN_DIR/kyso" "$BIN_DIR/kyso-exchange" softhsm2-util pkcs11-tool openssl python3; do
  command -v "$tool" >/dev/null || { echo "e2e: missing $tool" >&2; exit 2; }
done
cat > "$WORK/exchange.toml" <<TOML
trust_anchors = ["$PKI/root.pem"]

[[clients]]
client_id = "e2e"
client_secret = "e2e-bí-mật"
organ_id = "000.00.00.H35"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"
TOML
# The double of a VDXP platform (the VNPT SDK's dialect): the sender with its HMAC key, and
# the recipient the send form names.
cat > "$WORK/vdxp.toml" <<TOML
[[clients]]
client_id = "ubnd-ha-nam"
client_secret = "vdxp-khóa-bí-mật"
organ_id = "000.00.00.H35"

[[clients]]
client_id = "so-tttt"
client_secret = "so-secret"
organ_id = "000.01.35.H35"
TOML
bash "$REPO/tests/tsa/make-tsa.sh" "$WORK/tsa" "$PKI" >/dev/null
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export KYSO_E2E_EXCHANGE_BIN="$BIN_DIR/kyso-exchange" KYSO_E2E_EXCHANGE_CONFIG="$WORK/exchange.toml"
export KYSO_E2E_EXCHANGE_DB="$WORK/exchange.db" KYSO_E2E_EXCHANGE_PORT="$(free_port)"
export KYSO_E2E_VDXP_CONFIG="$WORK/vdxp.toml" KYSO_E2E_VDXP_DB="$WORK/vdxp.db" KYSO_E2E_VDXP_PORT="$(free_port)"
export KYSO_E2E_TSA_DIR="$WORK/tsa" KYSO_E2E_TSA_PORT="$(free_port)"
export KYSO_E2E_TSA_SCRIPT="$REPO/tests/tsa/tsa_server.py" KYSO_E2E_KYSO_BIN="$BIN_DIR/kyso"
export KYSO_E2E_PYHANKO="${KYSO_E2E_PYHANKO:-$REPO/.venv/bin/pyhanko}"
# The background sync looks at the exchange every two seconds here (two minutes by default),
# as an administrator would set it with the CLI.
"$BIN_DIR/kyso" config set sync.poll-seconds 2 >/dev/null
"$BIN_DIR/kyso" config set sync.backoff-max-ms 2000 >/dev/null

# A USB token: SoftHSM2 with the signer's key and certificate, which the app finds by itself
# among the known drivers (its module is at Debian's path). The app inherits SOFTHSM2_CONF
# through tauri-driver.
mkdir -p "$WORK/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/softhsm/tokens" \
  > "$WORK/softhsm/softhsm2.conf"
export SOFTHSM2_CONF="$WORK/softhsm/softhsm2.conf" KYSO_E2E_TOKEN_PIN=2580
softhsm2-util --init-token --free --label "Token Văn phòng UBND" --so-pin 97531 --pin "$KYSO_E2E_TOKEN_PIN" >/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$PKI/signer-4096.key" -out "$WORK/softhsm/key.pk8" 2>/dev/null \
  || cp "$PKI/signer-4096.key" "$WORK/softhsm/key.pk8"
softhsm2-util --import "$WORK/softhsm/key.pk8" --token "Token Văn phòng UBND" --label signer --id 01 \
  --pin "$KYSO_E2E_TOKEN_PIN" >/dev/null
openssl x509 -in "$PKI/signer-4096.pem" -outform DER -out "$WORK/softhsm/signer.der"
pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label "Token Văn phòng UBND" --login \
  --pin "$KYSO_E2E_TOKEN_PIN" --write-object "$WORK/softhsm/signer.der" --type cert --id 01 --label signer >/dev/null 2>&1
# Tokens carry the issuing CA's certificate too: the chain is complete without the trust store.
openssl x509 -in "$PKI/inter.pem" -outform DER -out "$WORK/softhsm/inter.der"
pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label "Token Văn phòng UBND" --login \
  --pin "$KYSO_E2E_TOKEN_PIN" --write-object "$WORK/softhsm/inter.der" --type cert --id 02 --label inter >/dev/null 2>&1
rm -f "$WORK/softhsm/key.pk8"

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
  KYSO_E2E_SHOT_DIR="$REPO/target/e2e" node "$SCRIPT" || status=$?
# Closing the window leaves the app in the tray: end it with the session.
pkill -f "^$BIN" 2>/dev/null || true
[ "$status" = 0 ] || { echo "e2e: tauri-driver log:" >&2; tail -30 "$WORK/driver.log" >&2; }
exit "$status"
