#!/usr/bin/env bash
# Write a "scan-like" PDF of about SIZE_MB megabytes (1 MB = 1,000,000 bytes): A4 pages,
# each one full-page 8-bit grey image of incompressible noise (300 dpi, uncompressed),
# streamed to disk in 1 MiB chunks (constant memory) with a valid classic xref table.
#
#   tests/corpus/make-big.sh OUTDIR SIZE_MB NAME      e.g. ... target/test-data/corpus 500 scan-500mb.pdf
#
# Skips the work when OUTDIR/NAME already exists. Deterministic (seeded noise).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 OUTDIR SIZE_MB NAME" >&2; exit 2; }
OUT="$1" SIZE_MB="$2" NAME="$3"
[[ "$SIZE_MB" =~ ^[0-9]+$ ]] && [ "$SIZE_MB" -ge 1 ] || { echo "make-big: SIZE_MB must be a positive integer" >&2; exit 2; }
[ -f "$OUT/$NAME" ] && { echo "make-big: $OUT/$NAME exists"; exit 0; }
mkdir -p "$OUT"

PY=python3
command -v "$PY" >/dev/null || PY=/usr/bin/python3
"$PY" - "$OUT/$NAME.tmp" "$SIZE_MB" <<'EOF'
import random, sys, time

path, size_mb = sys.argv[1], int(sys.argv[2])
target = size_mb * 1_000_000
W, H = 2480, 3508                     # A4 at 300 dpi
rng = random.Random(20261122)
CHUNK = 1 << 20

# Image rows in total so that the file is about `target` bytes; full A4 pages, the
# last one shorter (its MediaBox shrinks with it).
rows_total = max(16, (target - 1000) // W)
heights = [H] * (rows_total // H)
if rows_total % H:
    heights.append(rows_total % H)

n = len(heights)
# object numbers: 1 catalog, 2 pages, 3 info, then per page: page, content, image
offsets = {}
t0 = time.time()
with open(path, 'wb', buffering=CHUNK) as f:
    pos = 0
    def w(b):
        global pos
        f.write(b)
        pos += len(b)
    def obj(num, body=b''):
        offsets[num] = pos
        w(b'%d 0 obj\n' % num + body)

    w(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    kids = b' '.join(b'%d 0 R' % (4 + 3 * i) for i in range(n))
    obj(1, b'<< /Type /Catalog /Pages 2 0 R >>\nendobj\n')
    obj(2, b'<< /Type /Pages /Count %d /Kids [%s] >>\nendobj\n' % (n, kids))
    obj(3, b'<< /Title (Kyso big scan-like test file) /Producer (Kyso make-big.sh) >>\nendobj\n')
    for i, h in enumerate(heights):
        p, c, im = 4 + 3 * i, 5 + 3 * i, 6 + 3 * i
        ph = 842.0 * h / H
        obj(p, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 %.2f] '
               b'/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>\nendobj\n'
            % (ph, im, c))
        content = b'q 595 0 0 %.2f 0 0 cm /Im0 Do Q' % ph
        obj(c, b'<< /Length %d >>\nstream\n' % len(content) + content + b'\nendstream\nendobj\n')
        length = W * h
        obj(im, b'<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray '
                b'/BitsPerComponent 8 /Length %d >>\nstream\n' % (W, h, length))
        left = length
        while left:
            k = min(CHUNK, left)
            w(rng.randbytes(k))
            left -= k
        w(b'\nendstream\nendobj\n')
    size = 4 + 3 * n
    xref = pos
    w(b'xref\n0 %d\n0000000000 65535 f\r\n' % size)
    for num in range(1, size):
        w(b'%010d 00000 n\r\n' % offsets[num])
    w(b'trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (size, xref))
print(f'{n} pages, {pos} bytes, {time.time() - t0:.1f}s')
EOF
mv -f "$OUT/$NAME.tmp" "$OUT/$NAME"
echo "make-big: $OUT/$NAME ($(stat -c %s "$OUT/$NAME") bytes)"
