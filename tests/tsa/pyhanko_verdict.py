#!/usr/bin/env python3
"""pyHanko's verdict on every signature and document timestamp of a PDF, one JSON object.

    $REPO/.venv/bin/python tests/tsa/pyhanko_verdict.py --root ROOT.pem [--other CERT.pem]... FILE

Uses pyHanko's API (validate_pdf_signature / validate_pdf_timestamp), trust = ROOT only,
no fetching. Needed because `pyhanko sign validate` (the CLI) reports signatures only and
never validates document timestamps, and tests/peers/judge.py expects signature statuses.

Output: {"file": ..., "signatures": [{"field", "doc_timestamp", "intact", "valid",
"trusted", "timestamp_ok" (signature timestamp: null when none), "summary"}]}, oldest first.
"""
import argparse
import json
import logging

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', required=True)
    ap.add_argument('--other', action='append', default=[])
    ap.add_argument('file')
    a = ap.parse_args()
    logging.disable(logging.CRITICAL)  # pyHanko logs failures with tracebacks: keep stdout JSON
    root = load_cert_from_pemder(a.root)
    others = [load_cert_from_pemder(p) for p in a.other]

    def vc():
        return ValidationContext(trust_roots=[root], other_certs=others, allow_fetching=False)

    out = []
    with open(a.file, 'rb') as f:
        reader = PdfFileReader(f, strict=False)
        sigs = sorted(reader.embedded_signatures, key=lambda s: s.byte_range[-2] + s.byte_range[-1])
        for s in sigs:
            is_ts = s.sig_object.get('/Type') == '/DocTimeStamp'
            entry = {'field': s.field_name, 'doc_timestamp': is_ts}
            try:
                if is_ts:
                    st = validate_pdf_timestamp(s, validation_context=vc())
                else:
                    st = validate_pdf_signature(s, signer_validation_context=vc(),
                                                ts_validation_context=vc())
                ts = getattr(st, 'timestamp_validity', None)
                entry.update(intact=bool(st.intact), valid=bool(st.valid),
                             trusted=bool(st.trusted),
                             timestamp_ok=None if ts is None else
                             bool(ts.intact and ts.valid and ts.trusted),
                             summary=st.summary())
            except Exception as e:  # a verdict too: pyHanko could not validate it
                entry.update(intact=False, valid=False, trusted=False, timestamp_ok=None,
                             summary=f'{type(e).__name__}: {e}')
            out.append(entry)
    print(json.dumps({'file': a.file, 'signatures': out}, ensure_ascii=False))


if __name__ == '__main__':
    main()
