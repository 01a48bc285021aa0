#!/usr/bin/env bash
# The HTTP API contract: docs/exchange-api.yaml against the reference endpoint (make test-api).
#
#   scripts/check-api.sh [KYSO_EXCHANGE]   the binary to serve (default target/debug/kyso-exchange)
#
# 1. openapi-spec-validator: the file is a valid OpenAPI 3.1 document.
# 2. A kyso-exchange on a free loopback port with a temporary database and two clients:
#    demo/demo-secret (000.00.00.H35, the one the tests use) and so-tttt/so-tttt-secret
#    (000.01.35.H35); seeded with a complete blob (the yaml's example one, uploaded with PATCH)
#    and an inbox entry (`send-to`, a tiny PDF), so that the yaml's links lead somewhere.
# 3. schemathesis, seeded (API_SEED, default 20261127): every operation with the response
#    checks (API_MAX_EXAMPLES per operation, default 40); then the document and inbox
#    operations with real edXML bodies (tests/api/edxml_hooks.py, API_HOOK_EXAMPLES, default 60).
#
# Builds nothing; the tools come from $REPO/.venv-api (scripts/install-deps.sh). Stops the
# server and removes its files on exit; exits non-zero on any failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$REPO/target/debug/kyso-exchange}"
SPEC="$REPO/docs/exchange-api.yaml"
HOOKS="$REPO/tests/api/edxml_hooks.py"
VENV="$REPO/.venv-api"
SEED="${API_SEED:-20261127}"
MAX_EXAMPLES="${API_MAX_EXAMPLES:-40}"
HOOK_EXAMPLES="${API_HOOK_EXAMPLES:-60}"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
ORGAN=000.00.00.H35
PEER=000.01.35.H35

die() { echo "check-api: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no kyso-exchange at $BIN (cargo build -p kyso-exchange)"
[ -x "$VENV/bin/st" ] && [ -x "$VENV/bin/openapi-spec-validator" ] \
  || die "no $VENV with schemathesis (run scripts/install-deps.sh)"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/kyso-check-api.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    { kill "$SERVER_PID" && wait "$SERVER_PID"; } 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. the document itself ---------------------------------------------------
echo "== openapi-spec-validator ${SPEC#"$REPO"/}"
"$VENV/bin/openapi-spec-validator" "$SPEC"

# ---- 2. a seeded server -------------------------------------------------------
cat >"$TMP/exchange.toml" <<EOF
token_ttl_seconds = 3600
max_blob_bytes = 67108864

[[clients]]
client_id = "demo"
client_secret = "demo-secret"
organ_id = "$ORGAN"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"

[[clients]]
client_id = "so-tttt"
client_secret = "so-tttt-secret"
organ_id = "$PEER"
organ_name = "Sở Thông tin và Truyền thông tỉnh Hà Nam"
EOF

# The blob of the yaml's examples (sha256:64ba258c…): 33 bytes of UTF-8 text.
printf '%s' 'Quyết định số 123/QĐ-UBND' >"$TMP/ghi-chu.txt"
TEXT_SHA="$(sha256sum "$TMP/ghi-chu.txt" | cut -d' ' -f1)"
TEXT_LEN="$(stat -c %s "$TMP/ghi-chu.txt")"

# A tiny one-page PDF (unsigned), the same bytes on every run.
"$VENV/bin/python" - "$TMP/cong-van-45.pdf" <<'EOF'
import sys
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>"]
out, offsets = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []
for i, body in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
EOF
PDF_SHA="$(sha256sum "$TMP/cong-van-45.pdf" | cut -d' ' -f1)"

DB="$TMP/exchange.db"
INBOX_ID="$("$BIN" send-to --db "$DB" "$ORGAN" "$TMP/cong-van-45.pdf" \
  --subject 'Về việc kiểm thử giao diện lập trình')"
echo "== seeded: inbox entry $INBOX_ID for $ORGAN (cong-van-45.pdf, sha256:$PDF_SHA)"

: >"$TMP/server.out"   # there before the server writes to it
"$BIN" serve --addr 127.0.0.1:0 --db "$DB" --config "$TMP/exchange.toml" \
  >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
URL=""
for _ in $(seq 200); do
  URL="$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$TMP/server.out")"
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.err" >&2 || true; die "the server exited"; }
  sleep 0.1
done
[ -n "$URL" ] || { cat "$TMP/server.err" >&2 || true; die "the server did not start within 20 s"; }
echo "== kyso-exchange at $URL"

TOKEN="$(curl -fsS --max-time 10 -d grant_type=client_credentials -d client_id=demo \
  -d client_secret=demo-secret "$URL/oauth/token" \
  | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
[ -n "$TOKEN" ] || die "no access token"

status="$(curl -sS --max-time 10 -o "$TMP/patch.out" -w '%{http_code}' -X PATCH \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/octet-stream' \
  -H 'Upload-Offset: 0' -H "Upload-Length: $TEXT_LEN" \
  --data-binary @"$TMP/ghi-chu.txt" "$URL/api/v1/blobs/$TEXT_SHA")"
[ "$status" = 204 ] || { cat "$TMP/patch.out" >&2; die "seeding the blob: HTTP $status"; }
echo "== seeded: blob sha256:$TEXT_SHA ($TEXT_LEN bytes)"

# ---- 3. schemathesis ----------------------------------------------------------
# From the temporary folder, so that nothing it writes lands in the repository.
cd "$TMP"
st_run() {
  "$VENV/bin/st" --config-file "$REPO/tests/api/schemathesis.toml" run "$SPEC" \
    --url "$URL" -H "Authorization: Bearer $TOKEN" --checks "$CHECKS" \
    --seed "$SEED" --generation-database none "$@"
}

echo "== schemathesis: every operation (seed $SEED, $MAX_EXAMPLES examples each)"
st_run --max-examples "$MAX_EXAMPLES"

echo "== schemathesis: documents and inbox with edXML bodies (seed $SEED, $HOOK_EXAMPLES examples each)"
SCHEMATHESIS_HOOKS="$HOOKS" KYSO_API_ORGAN="$ORGAN" KYSO_API_PEER="$PEER" \
  KYSO_API_BLOBS="$TEXT_SHA $PDF_SHA" \
  st_run --max-examples "$HOOK_EXAMPLES" \
    --include-operation-id postDocument --include-operation-id getStatus \
    --include-operation-id getInbox --include-operation-id getInboxEdxml \
    --include-operation-id getBlob

echo "check-api: docs/exchange-api.yaml agrees with kyso-exchange"
