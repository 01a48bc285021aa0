#!/usr/bin/env bash
# Self-test of tests/peers/judge.py against the corpus.
#
#   tests/peers/selftest.sh PKIDIR CORPUSDIR
#
# Good peer-signed files must be all_ok; a copy of signed-pyhanko.pdf with one byte
# flipped inside the signed range (in a comment, so the structure stays valid and qpdf
# stays happy) must be rejected by pyHanko, pdfsig and mutool; a wrong signature count
# must be rejected; an unsigned file passes only with --expect-signatures 0.
# Exits non-zero on the first failed expectation.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 PKIDIR CORPUSDIR" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="$REPO/.venv/bin/python"
PKI="$1" C="$2"
[ -x "$PY" ] || { echo "selftest: $PY missing (run scripts/install-deps.sh)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0

judge() { "$PY" "$HERE/judge.py" --pki "$PKI" "$@"; }
field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

expect_ok() {  # expect_ok LABEL ARGS...
  local label=$1; shift
  local out rc=0
  out="$(judge "$@")" || rc=$?
  if [ "$rc" = 0 ] && [ "$(field 'd["all_ok"]' <<<"$out")" = True ]; then
    echo "ok   $label"
  else
    echo "FAIL $label: expected all_ok"; echo "     $out"; fails=$((fails + 1))
  fi
}

expect_rejected() {  # expect_rejected LABEL 'python condition on d' ARGS...
  local label=$1 cond=$2; shift 2
  local out rc=0
  out="$(judge "$@")" || rc=$?
  if [ "$rc" != 0 ] && [ "$(field "$cond" <<<"$out")" = True ]; then
    echo "ok   $label"
  else
    echo "FAIL $label: expected rejection ($cond), exit $rc"; echo "     $out"; fails=$((fails + 1))
  fi
}

expect_ok "signed-pyhanko.pdf all_ok"  --expect-signatures 1 "$C/signed-pyhanko.pdf"
expect_ok "signed-poppler.pdf all_ok"  --expect-signatures 1 "$C/signed-poppler.pdf"
expect_ok "certified-p1.pdf all_ok"    --expect-signatures 1 "$C/certified-p1.pdf"
expect_ok "certified-p2.pdf all_ok"    --expect-signatures 1 "$C/certified-p2.pdf"
expect_ok "reportlab-vi.pdf with --expect-signatures 0" --expect-signatures 0 "$C/reportlab-vi.pdf"

# One byte flipped inside the first signed range: a letter of the header comment.
"$PY" - "$C/signed-pyhanko.pdf" "$TMP/tampered.pdf" <<'EOF'
import re, sys
data = bytearray(open(sys.argv[1], 'rb').read())
m = re.search(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)', data)
first_len = int(m.group(2))
pos = data.index(b'ReportLab Generated') + 2     # 'p' of ReportLab
assert int(m.group(1)) <= pos < first_len, 'byte not in the signed range'
data[pos] ^= 0x20                                 # 'p' -> 'P'
open(sys.argv[2], 'wb').write(data)
EOF
cmp -s "$C/signed-pyhanko.pdf" "$TMP/tampered.pdf" && { echo "FAIL tamper produced no change"; exit 1; }
expect_rejected "tampered copy rejected by pyhanko, pdfsig and mutool (qpdf blind)" \
  'not d["pyhanko"]["ok"] and not d["pdfsig"]["ok"] and not d["mutool"]["ok"] and d["qpdf"]["ok"] and not d["all_ok"]' \
  "$TMP/tampered.pdf"
expect_rejected "wrong --expect-signatures rejected" \
  'not d["pyhanko"]["ok"] and not d["pdfsig"]["ok"] and not d["mutool"]["ok"]' \
  --expect-signatures 2 "$C/signed-pyhanko.pdf"
expect_rejected "unsigned file rejected without --expect-signatures" \
  'not d["all_ok"]' "$C/reportlab-vi.pdf"

if [ "$fails" -ne 0 ]; then
  echo "selftest: $fails failure(s)" >&2
  exit 1
fi
echo "selftest: all passed"
