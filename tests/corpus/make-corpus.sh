#!/usr/bin/env bash
# Build Kyso's corpus of PDFs from real producers into OUTDIR.
#
#   tests/corpus/make-corpus.sh OUTDIR PKIDIR
#
# PKIDIR comes from tests/pki/make-pki.sh (made here if missing). Python producers
# (reportlab, pyHanko) run from $REPO/.venv (scripts/install-deps.sh). Skips all work
# when OUTDIR/.done exists. KYSO_CORPUS_BIG=1 also makes scan-50mb.pdf (make-big.sh).
# Encryption passwords are in OUTDIR/PASSWORDS.txt. Deliberately bad files:
# not-a-pdf.pdf truncated.pdf broken-xref.pdf startxref-off.pdf.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 OUTDIR PKIDIR" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$1"
PKI="$2"
[ -f "$OUT/.done" ] && exit 0

PY="$REPO/.venv/bin/python"
[ -x "$PY" ] || { echo "make-corpus: $PY missing (run scripts/install-deps.sh)" >&2; exit 1; }
for t in qpdf ps2pdf pdftocairo mutool pdfsig certutil; do
  command -v "$t" >/dev/null || { echo "make-corpus: $t not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

"$HERE/../pki/make-pki.sh" "$PKI"
PKI="$(cd "$PKI" && pwd)"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
exec 9>"$OUT/.lock"
flock 9
[ -f "$OUT/.done" ] && exit 0

T0=$(date +%s.%N)
W="$(mktemp -d "$OUT/.work.XXXXXX")"
trap 'rm -rf "$W"' EXIT
cd "$W"

UPW=user
OPW=owner
SRC=reportlab-vi.pdf

# ---- reportlab, hand-written (Python) ----------------------------------------
"$PY" "$HERE/gen_corpus.py" base "$W"

# ---- Ghostscript -----------------------------------------------------------
cat > gs.ps <<'EOF'
%!PS-Adobe-3.0
%%Title: Kyso Ghostscript test
%%Pages: 2
%%BoundingBox: 0 0 595 842
%%EndComments
/Times-Bold findfont 16 scalefont setfont
72 780 moveto (CONG HOA XA HOI CHU NGHIA VIET NAM) show
72 760 moveto (Doc lap - Tu do - Hanh phuc) show
/Times-Roman findfont 12 scalefont setfont
1 1 30 { dup 20 mul 720 exch sub 72 exch moveto
  (Ghostscript ps2pdf test line ) show 3 string cvs show } for
0.2 0.4 0.8 setrgbcolor 72 80 450 40 rectfill
showpage
%%Page: 2 2
/Helvetica findfont 14 scalefont setfont
72 780 moveto (Page 2 - vector graphics) show
0 0 0 setrgbcolor 2 setlinewidth
newpath 297 421 150 0 360 arc stroke
showpage
%%EOF
EOF
ps2pdf -dPDFSETTINGS=/default gs.ps gs.pdf

# ---- poppler (cairo) and MuPDF rewrites ------------------------------------
pdftocairo -pdf "$SRC" cairo.pdf
mutool clean -gggg "$SRC" mutool-clean.pdf            # writes '0000000000 65536 f'
mutool clean -d -gggg "$SRC" mutool-clean-d.pdf

# ---- qpdf rewrites ---------------------------------------------------------
qpdf --object-streams=generate "$SRC" qpdf-objstm.pdf
qpdf --linearize "$SRC" qpdf-linearized.pdf
qpdf --allow-weak-crypto --encrypt "$UPW" "$OPW" 128 --use-aes=n -- "$SRC" qpdf-rc4.pdf
qpdf --encrypt "$UPW" "$OPW" 128 --use-aes=y -- "$SRC" qpdf-aes128.pdf
qpdf --encrypt "$UPW" "$OPW" 256 -- "$SRC" qpdf-aes256.pdf
qpdf --encrypt "" "$OPW" 256 -- "$SRC" qpdf-aes256-nouser.pdf
qpdf --force-version=1.3 "$SRC" pdf13.pdf
qpdf --force-version=2.0 "$SRC" pdf20.pdf
cat > PASSWORDS.txt <<EOF
# Passwords of the encrypted corpus files (user / owner)
qpdf-rc4.pdf            user=$UPW owner=$OPW   RC4-128 (V2 R3)
qpdf-aes128.pdf         user=$UPW owner=$OPW   AES-128 (V4 R4)
qpdf-aes256.pdf         user=$UPW owner=$OPW   AES-256 (V5 R6)
qpdf-aes256-nouser.pdf  user=     owner=$OPW   AES-256 (V5 R6), empty user password
EOF

# ---- pyHanko and byte surgery (Python) -------------------------------------
"$PY" "$HERE/gen_corpus.py" derived "$W" "$PKI"

# ---- poppler signature (NSS) -----------------------------------------------
cp -r "$PKI/nssdb-signer" nss
pdfsig -add-signature -nssdir "sql:$W/nss" -nick kyso-signer \
  -new-signature-field-name Sig1 -reason 'Phê duyệt' "$SRC" signed-poppler.pdf >pdfsig.log 2>&1 \
  || { cat pdfsig.log >&2; exit 1; }
rm -rf nss pdfsig.log gs.ps

# ---- big file (opt-in) -----------------------------------------------------
if [ "${KYSO_CORPUS_BIG:-0}" = 1 ]; then
  "$HERE/make-big.sh" "$W" 50 scan-50mb.pdf >/dev/null
fi

# ---- check and report ------------------------------------------------------
BAD=" not-a-pdf.pdf truncated.pdf broken-xref.pdf startxref-off.pdf "
fail=0
printf '%-24s %10s %6s  %s\n' FILE BYTES PAGES "qpdf --check"
for f in *.pdf; do
  pw=()
  case "$f" in qpdf-rc4.pdf|qpdf-aes128.pdf|qpdf-aes256.pdf) pw=(--password="$UPW") ;; esac
  rc=0; qpdf "${pw[@]}" --check "$f" >check.log 2>&1 || rc=$?
  pages=$(qpdf "${pw[@]}" --show-npages "$f" 2>/dev/null | head -1) || true
  if [[ "$BAD" == *" $f "* ]]; then
    status="bad on purpose (exit $rc)"
  elif [ "$rc" = 0 ]; then
    status=ok
  else
    status="FAILED (exit $rc): $(grep -m1 -iE 'warn|error' check.log || true)"
    fail=1
  fi
  printf '%-24s %10s %6s  %s\n' "$f" "$(stat -c %s "$f")" "${pages:--}" "$status"
done
rm -f check.log
[ "$fail" = 0 ] || { echo "make-corpus: some files failed qpdf --check" >&2; exit 1; }

# ---- publish ---------------------------------------------------------------
for f in *; do mv -f "$f" "$OUT/"; done
touch "$OUT/.done"
awk -v a="$T0" -v b="$(date +%s.%N)" -v o="$OUT" -v n="$(ls "$OUT"/*.pdf | wc -l)" \
  'BEGIN { printf "make-corpus: %d files in %s (%.1fs)\n", n, o, b - a }'
