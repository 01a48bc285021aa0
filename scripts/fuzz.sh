#!/usr/bin/env bash
# Fuzz the parsers (docs/testing.md §8): scripts/fuzz.sh SECONDS [TARGET...]
# Seeds each target from the test corpus: PDFs for pdf_reader and sign_path, the CMS blobs of
# signed PDFs (Kyso's, pyHanko's, poppler's) for cms_parser, the edXML fixtures of kyso-sync
# for edxml_parser. Every target runs with -rss_limit_mb=512 -malloc_limit_mb=256: a single
# allocation over 256 MB, or a process over 512 MB, is a finding like a crash.
# Logs go to target/fuzz-logs/.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-600}"; shift || true
case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2; exit 2 ;;
esac
TARGETS=("$@"); [ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(pdf_reader sign_path text_extract cms_parser tsp_response p12_import verify edxml_parser dialect_answers)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
PKI="$REPO/target/test-data/pki"; CORPUS="$REPO/target/test-data/corpus"
bash "$REPO/tests/pki/make-pki.sh" "$PKI"
bash "$REPO/tests/corpus/make-corpus.sh" "$CORPUS" "$PKI"

seeds="$REPO/fuzz/corpus"
mkdir -p "$seeds/pdf_reader" "$seeds/sign_path" "$seeds/text_extract" "$seeds/cms_parser" "$seeds/tsp_response" "$seeds/p12_import" "$seeds/verify" \
  "$seeds/edxml_parser" "$seeds/dialect_answers" "$REPO/target/fuzz-logs"
# p12_import: a byte choosing the password (3: the test PKI's, 0: none) and the key index,
# then the file.
for p12 in "$PKI"/*.p12; do
  case "$(basename "$p12")" in *emptypass*) choice='\000' ;; *) choice='\003' ;; esac
  { printf "$choice"; cat "$p12"; } > "$seeds/p12_import/$(basename "$p12" .p12).bin"
done
cp -n "$CORPUS"/signed-*.pdf "$CORPUS"/certified-*.pdf "$seeds/verify/"
cp -n "$REPO"/crates/kyso-sync/tests/fixtures/edxml/*.xml "$seeds/edxml_parser/"
cp -n "$REPO"/fuzz/fixtures/dialect_answers/*.json "$seeds/dialect_answers/"
for f in "$CORPUS"/*.pdf; do
  # Large files slow libFuzzer down without adding structure: seed the small ones.
  if [ "$(stat -c %s "$f")" -lt 300000 ]; then
    cp -n "$f" "$seeds/pdf_reader/"; cp -n "$f" "$seeds/sign_path/"
  fi
done
# text_extract: a byte saying where a CMap ends, the CMap, then a content stream: the page
# content streams of the corpus with a ToUnicode CMap of a Type 0 font.
"$REPO/.venv/bin/python" - "$CORPUS" "$seeds/text_extract" <<'PY'
import re, sys, pathlib, zlib
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange "
        b"2 beginbfchar <0003> <0020> <0024> <0041> endbfchar "
        b"1 beginbfrange <0010> <0020> [<1EC5> <00E0> <D835DC00>] endbfrange endcmap end end")
for pdf in sorted(src.glob('*.pdf'))[:12]:
    data = pdf.read_bytes()
    for i, m in enumerate(re.finditer(rb'/FlateDecode.{0,80}?stream\r?\n', data, re.S)):
        try:
            content = zlib.decompressobj().decompress(data[m.end():m.end() + 200000])
        except zlib.error:
            continue
        if b'Tj' in content or b'TJ' in content:
            split = bytes([min(255, len(cmap) * 256 // (len(cmap) + len(content[:4000])))])
            (dst / f'{pdf.stem}-{i}.bin').write_bytes(split + cmap + content[:4000])
PY
"$REPO/.venv/bin/python" - "$CORPUS" "$seeds/cms_parser" <<'PY'
import re, sys, pathlib
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for pdf in src.glob('*.pdf'):
    for i, m in enumerate(re.finditer(rb'/Contents\s*<([0-9A-Fa-f\s]+)>', pdf.read_bytes())):
        blob = bytes.fromhex(m.group(1).decode().replace('\n', '').replace(' ', '')).rstrip(b'\0')
        if len(blob) > 100:
            (dst / f'{pdf.stem}-{i}.der').write_bytes(blob)
PY

# tsp_response: the request's 8-byte nonce, then the local TSA's answer to it (granted, and
# rejected for an unknown policy), as `openssl ts -reply` makes them.
TSA="$REPO/target/test-data/fuzz-tsa"
bash "$REPO/tests/tsa/make-tsa.sh" "$TSA" "$PKI"
for i in 1 2 3; do
  q="$TSA/q$i.tsq"; r="$TSA/r$i.tsr"
  policy=(); [ "$i" = 3 ] && policy=(-tspolicy 1.2.3.4)
  openssl ts -query -digest "$(printf '0%.0s' {1..64})" -sha256 -cert "${policy[@]}" -out "$q" 2>/dev/null
  openssl ts -reply -config "$TSA/tsa.cnf" -section tsa_config -queryfile "$q" -inkey "$TSA/tsa.key" \
    -signer "$TSA/tsa.pem" -chain "$TSA/tsa-chain.pem" -out "$r" 2>/dev/null
  nonce="$(openssl ts -query -in "$q" -text 2>/dev/null | sed -n 's/^Nonce: 0x//p' | tr -d '\n')"
  "$REPO/.venv/bin/python" -c 'import sys; n, r, out = sys.argv[1:]
open(out, "wb").write(bytes.fromhex(n.rjust(16, "0")) + open(r, "rb").read())' \
    "$nonce" "$r" "$seeds/tsp_response/reply-$i.bin"
done

cd "$REPO/fuzz"
for t in "${TARGETS[@]}"; do
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
  # -s none: Kyso is safe Rust (AddressSanitizer finds nothing there, and its quarantine alone
  # would fill half the RSS limit); -a: overflow checks and debug assertions, so an
  # arithmetic overflow is a finding.
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none -a "$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=512 -malloc_limit_mb=256 -max_len=1048576 \
    2>&1 | tee "$REPO/target/fuzz-logs/$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|panicked|SUMMARY" || true
  if grep -qE "ERROR: libFuzzer|panicked|SUMMARY: .*Sanitizer|out-of-memory|malloc\(.*\) exceeds" "$REPO/target/fuzz-logs/$t.log"; then
    echo "fuzz: $t found a crash: see target/fuzz-logs/$t.log and fuzz/artifacts/$t" >&2
    exit 1
  fi
  tail -n 3 "$REPO/target/fuzz-logs/$t.log"
done
