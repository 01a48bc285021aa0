#!/usr/bin/env bash
# `make run`: start the local reference exchange (kyso-exchange) as the desktop app's default
# endpoint, then the desktop app; the exchange stops when the app closes.
#
# The demo exchange lives in target/demo/: its database, its config (one client, `demo`, for
# the organ 000.00.00.H35) and the test PKI's root as its trust anchor, so documents signed
# with the demo certificates (target/demo/pki/*.p12) are accepted. When the user has not
# configured an exchange yet, Kyso is pointed at this one and the demo secret is stored in
# the OS keychain (`kyso login`); a configured exchange is left alone.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
DEMO="$TARGET/demo"
ADDR="${KYSO_DEMO_EXCHANGE_ADDR:-127.0.0.1:8765}"
mkdir -p "$DEMO"

desktop="$("$REPO/scripts/build-desktop.sh" release | tail -n 1)"
KYSO="$TARGET/release/kyso"
EXCHANGE="$TARGET/release/kyso-exchange"

bash "$REPO/tests/pki/make-pki.sh" "$DEMO/pki" >/dev/null
cat > "$DEMO/exchange.toml" <<TOML
trust_anchors = ["$DEMO/pki/root.pem"]

[[clients]]
client_id = "demo"
client_secret = "demo-secret"
organ_id = "000.00.00.H35"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam (demo)"
TOML

"$EXCHANGE" serve --addr "$ADDR" --db "$DEMO/exchange.db" --config "$DEMO/exchange.toml" \
  > "$DEMO/exchange.log" 2>&1 &
exchange_pid=$!
trap 'kill "$exchange_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$DEMO/exchange.log" 2>/dev/null && break
  kill -0 "$exchange_pid" 2>/dev/null || { cat "$DEMO/exchange.log" >&2; exit 1; }
  sleep 0.1
done
echo "run: the reference exchange listens on http://$ADDR (log: $DEMO/exchange.log)"

if ! "$KYSO" config show | grep -q '^url'; then
  "$KYSO" config set exchange.url "http://$ADDR" >/dev/null
  "$KYSO" config set exchange.client-id demo >/dev/null
  if ! KYSO_EXCHANGE_SECRET=demo-secret "$KYSO" login </dev/null; then
    echo "run: the demo secret could not be stored in the OS keychain; run \`kyso login\` later" >&2
  fi
fi

"$desktop"
