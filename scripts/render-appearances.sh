#!/usr/bin/env bash
# Renders the pictures of docs/appearance/ (shown in README.md): each template of `kyso sign
# --appearance` on the test drafts (tests/appearance/make-drafts.py), signed with the test
# PKI and the sample images of assets/images/, rendered by poppler at 100 dpi and cropped.
#
#   scripts/render-appearances.sh        (after `make test` built target/debug/kyso)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K="$REPO/target/debug/kyso" PY="$REPO/.venv/bin/python" PKI="$REPO/target/test-data/pki"
OUT="$REPO/docs/appearance"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
export KYSO_HOME="$W/home"
"$PY" "$REPO/tests/appearance/make-drafts.py" "$W/drafts" >/dev/null
S=(--p12 "$PKI/signer-modern.p12" --p12-password-file "$PKI/p12-password.txt")
IMG="$REPO/assets/images"
"$K" sign "$W/drafts/nd30.pdf" -o "$W/leader.pdf" "${S[@]}" --appearance leader --image "$IMG/sample-signature.png" >/dev/null
"$K" stamp "$W/leader.pdf" -o "$W/stamped.pdf" --number "123/QĐ-UBND" --date 2026-12-04 >/dev/null
"$K" sign "$W/stamped.pdf" -o "$W/sealed.pdf" "${S[@]}" --appearance seal --seal "$IMG/sample-seal.png" >/dev/null
"$K" sign "$W/drafts/nd30.pdf" -o "$W/attachment.pdf" "${S[@]}" --appearance attachment --doc-number "123/QĐ-UBND" >/dev/null
"$K" sign "$W/drafts/nd30.pdf" -o "$W/copy.pdf" "${S[@]}" --appearance copy --copy-form "SAO Y" >/dev/null
"$K" sign "$W/drafts/nd30-rot90.pdf" -o "$W/rot90.pdf" "${S[@]}" --appearance leader --image "$IMG/sample-signature.png" >/dev/null
# crop FILE PAGE NAME X Y W H: a region in points of the page as displayed (top-left origin).
crop() {
  pdftoppm -r 100 -f "$2" -l "$2" -singlefile -png -x "$(( $4 * 100 / 72 ))" -y "$(( $5 * 100 / 72 ))" \
    -W "$(( $6 * 100 / 72 ))" -H "$(( $7 * 100 / 72 ))" "$1" "$OUT/$3"
}
crop "$W/leader.pdf" 2 leader 300 520 240 180
crop "$W/sealed.pdf" 2 seal 230 520 310 200
crop "$W/sealed.pdf" 1 number-and-date 40 90 520 40
crop "$W/attachment.pdf" 1 attachment 330 0 265 70
crop "$W/copy.pdf" 1 copy 330 0 265 80
pdftoppm -r 50 -f 2 -l 2 -singlefile -png "$W/rot90.pdf" "$OUT/leader-rot90-page"
ls "$OUT"
