#!/usr/bin/env python3
"""Judge a signed PDF with four independent validators; print one JSON object.

    $REPO/.venv/bin/python tests/peers/judge.py --pki PKIDIR [--password PW]
                                                [--expect-signatures N] FILE

Validators (docs/testing.md §5):
  pyhanko  Python API; trust = PKIDIR/root.pem only, PKIDIR/inter.pem as other cert.
           Every signature intact + valid + trusted (bottom line, incl. DocMDP); the last
           one covers the entire file; earlier ones cover their revision and what follows
           is at most FORM_FILLING / LTA_UPDATES. Document timestamps: intact + valid +
           trusted. Strict parse first; non-strict fallback is noted in the detail.
  pdfsig   `pdfsig -nssdir sql:PKIDIR/nssdb`: "Signature is Valid." and "Certificate is
           Trusted." for every signature; the last "Total document signed". Poppler 22.12
           says "Unknown issue with Certificate or corrupted data." for every signature
           after the first one (in its /Fields listing order, not chronological) made
           with the same certificate: accepted only then, and noted in the detail.
  mutool   `mutool sign -v`: no "Digest error"; exactly one signature "The document is
           unchanged since signing." (the last), the others "The signature is valid but
           there have been edits since signing.". MuPDF 1.21's certificate store holds only
           Adobe's root and cannot be configured, so its certificate verdict ("Self-signed
           certificate in chain." for our chain) is reported in the detail, not judged.
  qpdf     `qpdf --check` exit 0 (3 = warnings = not ok).
Peer limits handled explicitly (each noted in the detail, never silently):
  - pyHanko validates hybrid-reference files only with strict=False (its --no-strict-syntax).
  - MuPDF 1.21 cannot verify RSASSA-PSS ("Digest error: Unknown error." for pyHanko's own PSS
    signatures too): for a file whose CMS is PSS, that answer is noted, not judged.
  - Document timestamps (PAdES B-T by /ETSI.RFC3161, B-LTA): pdfsig 22.12 lists them as
    "Signature Type: unknown" and never verifies them; MuPDF 1.21 does not list them at all
    (when one is last, no signature it lists covers the whole file). pyHanko judges them.
  - --intermediate-known gives pdfsig inter.pem too, for signatures that carry only the
    signer's certificate (pyHanko always has it as an other cert).
Exit status 0 iff all four are ok; 2 on usage errors.
"""
import argparse
import json
import logging
import os
import re
import subprocess
import sys

TIMEOUT = 300


def start(cmd):
    env = dict(os.environ, LC_ALL='C.UTF-8', LANG='C.UTF-8')
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def finish(proc):
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        return None, out.decode('utf-8', 'replace') + '\n[timeout]'
    return proc.returncode, out.decode('utf-8', 'replace')


def res(ok, detail, **extra):
    d = {'ok': bool(ok), 'detail': detail}
    d.update(extra)
    return d


def count_problem(n, expect):
    if expect is not None and n != expect:
        return f'{n} signature(s), expected {expect}'
    if expect is None and n == 0:
        return 'no signatures'
    return None


# --------------------------------------------------------------------------
def judge_pyhanko(path, pki, password, expect):
    try:
        from pyhanko.keys import load_cert_from_pemder
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.diff_analysis import ModificationLevel
        from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
        from pyhanko.sign.validation.status import SignatureCoverageLevel
        from pyhanko_certvalidator import ValidationContext
    except Exception as e:  # pragma: no cover
        return res(False, f'pyHanko not importable: {e!r} (run with $REPO/.venv/bin/python)')

    root = load_cert_from_pemder(os.path.join(pki, 'root.pem'))
    inter = load_cert_from_pemder(os.path.join(pki, 'inter.pem'))

    def vc():
        return ValidationContext(trust_roots=[root], other_certs=[inter], allow_fetching=False)

    # pyHanko logs the reason of a failed validation (with a traceback) instead of
    # returning it: collect the first line of each message for the detail.
    logged = []

    class Collect(logging.Handler):
        def emit(self, record):
            msg = record.getMessage().splitlines()[0] if record.getMessage() else ''
            if record.levelno >= logging.WARNING and msg and msg not in logged:
                logged.append(msg)

    for name in ('pyhanko', 'pyhanko_certvalidator'):
        lg = logging.getLogger(name)
        lg.handlers[:] = [Collect()]
        lg.propagate = False

    notes = []
    f = open(path, 'rb')
    try:
        reader = None
        for strict in (True, False):
            try:
                f.seek(0)
                reader = PdfFileReader(f, strict=strict)
                if reader.encrypted:
                    r = reader.decrypt(password or '')
                    if r is not None and getattr(r, 'status', None) is not None \
                            and 'FAILED' in str(r.status):
                        return res(False, f'cannot decrypt: {r.status}')
                if strict and reader.xrefs.hybrid_xrefs_present:
                    # pyHanko's policy: hybrid-reference files are validated only with
                    # strict=False (its CLI's --no-strict-syntax), for signing and validating alike.
                    raise ValueError('hybrid-reference file')
                sigs = list(reader.embedded_signatures)
                break
            except Exception as e:
                if not strict:
                    return res(False, f'cannot parse: {type(e).__name__}: {e}')
                notes.append(f'strict parse failed ({type(e).__name__}: {e}); used strict=False')
        problem = count_problem(len(sigs), expect)
        if problem:
            return res(False, '; '.join(notes + [problem]), signatures=len(sigs))
        # chronological order: by end of the signed byte range
        sigs.sort(key=lambda s: s.byte_range[-2] + s.byte_range[-1])
        ok = True
        parts = []
        allowed_mod = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                       ModificationLevel.FORM_FILLING}
        for i, s in enumerate(sigs):
            last = i == len(sigs) - 1
            is_ts = s.sig_object.get('/Type') == '/DocTimeStamp'
            try:
                if is_ts:
                    st = validate_pdf_timestamp(s, validation_context=vc())
                else:
                    st = validate_pdf_signature(s, signer_validation_context=vc())
            except Exception as e:
                ok = False
                parts.append(f'{s.field_name}: validation raised {type(e).__name__}: {e}')
                continue
            try:
                summary = st.summary()
            except Exception:
                summary = '?'
            # A document timestamp's status has no bottom line: intact, valid, trusted is it.
            good = bool(getattr(st, 'bottom_line', True)) and st.intact and st.valid \
                and st.trusted
            cov = st.coverage
            mod = getattr(st, 'modification_level', None)
            if last:
                good = good and cov == SignatureCoverageLevel.ENTIRE_FILE
            else:
                good = good and cov in (SignatureCoverageLevel.ENTIRE_FILE,
                                        SignatureCoverageLevel.ENTIRE_REVISION) \
                    and (mod is None or mod in allowed_mod)
            if getattr(st, 'docmdp_ok', None) is False:
                good = False
            ok = ok and good
            parts.append(f'{s.field_name}{" (doc timestamp)" if is_ts else ""}: {summary}'
                         f'{"" if good else " -> NOT OK"}')
        if not ok and logged:
            parts.append('pyHanko says: ' + ' | '.join(logged[:4]))
        kinds = [s.sig_object.get('/Type') == '/DocTimeStamp' for s in sigs]
        return res(ok, '; '.join(notes + parts), signatures=len(sigs),
                   doc_timestamps=sum(kinds), timestamp_last=bool(kinds and kinds[-1]))
    finally:
        f.close()


# --------------------------------------------------------------------------
def judge_pdfsig(rc, out, expect):
    if rc is None:
        return res(False, 'timeout: ' + out[-300:])
    if 'does not contain any signatures' in out:
        blocks = []
    else:
        blocks = re.split(r'^Signature #\d+:\s*$', out, flags=re.M)[1:]
    sigs = []
    for b in blocks:
        if 'The signature form field is not signed.' in b:
            continue

        def field(name):
            m = re.search(r'^\s*- ' + re.escape(name) + r': (.*)$', b, flags=re.M)
            return m.group(1).strip() if m else None

        m = re.search(r'Signed Ranges: \[(\d+) - (\d+)\], \[(\d+) - (\d+)\]', b)
        sigs.append({
            'field': field('Signature Field Name'),
            'cn': field('Signer Certificate Common Name'),
            'type': field('Signature Type'),
            'sig': field('Signature Validation'),
            'cert': field('Certificate Validation'),
            'total': '- Total document signed' in b,
            'end': int(m.group(4)) if m else -1,
        })
    problem = count_problem(len(sigs), expect)
    if problem:
        return res(False, problem + ('' if sigs else ': ' + out.strip()[-300:]),
                   signatures=len(sigs))
    # pdfsig lists signatures in /Fields order; its quirk hits every signature after the
    # first one (in that order) made with an already-seen certificate.
    last_end = max(s['end'] for s in sigs) if sigs else -1
    ok, parts, trusted_cns = True, [], set()
    for s in sigs:
        last = s['end'] == last_end
        good = s['sig'] == 'Signature is Valid.'
        note = ''
        if s['type'] in ('ETSI.RFC3161', 'unknown') \
                and (s['sig'] or '').startswith('Signature has not yet been verified.'):
            # Poppler 22.12 lists document timestamps ("Signature Type: unknown") but never
            # verifies them ("Unable to validate this type of signature"): not judged.
            good = True
            note = ' (document timestamp: pdfsig 22.12 cannot check it)'
        elif s['cert'] == 'Certificate is Trusted.':
            trusted_cns.add(s['cn'])
        elif (s['cert'] or '').startswith('Unknown issue with Certificate') \
                and s['cn'] in trusted_cns:
            note = ' (accepted: poppler quirk, certificate already trusted for an earlier-listed signature)'
        else:
            good = False
        if last and not s['total']:
            good = False
        ok = ok and good
        parts.append(f"{s['field']}: {s['sig']} {s['cert']} "
                     f"{'Total document signed' if s['total'] else 'Not total document signed'}"
                     f"{note}{'' if good else ' -> NOT OK'}")
    return res(ok, '; '.join(parts), signatures=len(sigs))


# --------------------------------------------------------------------------
# MuPDF 1.21 verifies with OpenSSL's PKCS#7 API, which has no RSASSA-PSS: it answers
# "Digest error: Unknown error." even for pyHanko's PSS signatures. Only for a file whose
# CMS really is PSS is that answer noted instead of judged; a changed document still gives
# "Digest error: Signature invalidated by change to document.".
MUTOOL_NO_PSS = 'Digest error: Unknown error.'
RSASSA_PSS_OID_DER = bytes.fromhex('06092A864886F70D01010A')


def has_pss_signature(path):
    data = open(path, 'rb').read()
    for m in re.finditer(rb'/Contents\s*<([0-9A-Fa-f\s]+)>', data):
        try:
            blob = bytes.fromhex(re.sub(rb'\s', b'', m.group(1)).decode())
        except ValueError:
            continue
        if RSASSA_PSS_OID_DER in blob:
            return True
    return False


def judge_mutool(rc, out, expect, pss=False, timestamps=(0, False)):
    """`timestamps`: (document timestamps in the file, whether the last revision is one).
    MuPDF 1.21 does not list document timestamps: they are not counted, and when one is
    last no signature covers the whole file."""
    doc_ts, ts_last = timestamps
    if expect is not None:
        expect -= doc_ts
    if rc is None:
        return res(False, 'timeout: ' + out[-300:])
    blocks = re.split(r'^Verifying signature (\d+):\s*$', out, flags=re.M)
    errors = [ln for ln in blocks[0].splitlines() if ln.strip()]
    sigs = []
    for num, body in zip(blocks[1::2], blocks[2::2]):
        if 'Signature is not signed.' in body:
            continue
        lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        cert = next((ln for ln in lines if ln.startswith('Certificate')), '?')
        digest = next((ln for ln in lines if ln.startswith(('Digest error', 'The document',
                                                             'The signature'))), '?')
        sigs.append((num, cert, digest, lines))
    problem = count_problem(len(sigs), expect)
    if problem:
        return res(False, problem + ('' if sigs else ': ' + out.strip()[-300:]),
                   signatures=len(sigs))
    unchanged = [s for s in sigs if s[2] == 'The document is unchanged since signing.']
    edited = [s for s in sigs
              if s[2] == 'The signature is valid but there have been edits since signing.']
    unjudged = [s for s in sigs if pss and s[2] == MUTOOL_NO_PSS]
    if unjudged:
        ok = len(unchanged) <= 1 and len(unchanged) + len(edited) + len(unjudged) == len(sigs)
    elif ts_last:
        ok = len(unchanged) == 0 and len(edited) == len(sigs)
    else:
        ok = len(sigs) == 0 or (len(unchanged) == 1 and len(unchanged) + len(edited) == len(sigs))
    parts = [f'obj {n}: {d} [{c}]' + (' (not judged: MuPDF cannot verify RSASSA-PSS)' if (n, c, d, l) in unjudged else '')
             for n, c, d, l in sigs]
    if errors and rc != 0:
        ok = False
        parts.append('errors: ' + ' | '.join(errors[:3]))
    if sigs and not ok and len(unchanged) != (0 if ts_last else 1) and not unjudged:
        parts.append(f'{len(unchanged)} signature(s) cover the whole file, '
                     f'expected {0 if ts_last else 1}')
    if doc_ts:
        parts.append(f'{doc_ts} document timestamp(s) not listed (MuPDF 1.21 ignores them)')
    return res(ok and rc == 0, '; '.join(parts) + ('' if rc == 0 else f' (exit {rc})'),
               signatures=len(sigs))


def judge_qpdf(rc, out):
    if rc is None:
        return res(False, 'timeout')
    if rc == 0:
        return res(True, 'exit 0')
    lines = [ln for ln in out.splitlines() if re.search(r'WARNING|ERROR|error', ln)]
    return res(False, f'exit {rc}: ' + ' | '.join(lines[:5] or out.splitlines()[-3:]))


# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pki', required=True, help='directory made by tests/pki/make-pki.sh')
    ap.add_argument('--password', default=None, help='user or owner password of FILE')
    ap.add_argument('--expect-signatures', type=int, default=None)
    ap.add_argument('--intermediate-known', action='store_true',
                    help='pdfsig also knows inter.pem (as pyHanko always does): for signatures '
                         'that carry only the signer certificate, as real VGCA files do')
    ap.add_argument('file')
    a = ap.parse_args()
    pki = os.path.abspath(a.pki)
    for need in ('root.pem', 'inter.pem', 'nssdb'):
        if not os.path.exists(os.path.join(pki, need)):
            ap.error(f'{pki}/{need} missing (run tests/pki/make-pki.sh)')
    if not os.path.isfile(a.file):
        ap.error(f'{a.file}: no such file')

    pw = a.password
    nssdb = os.path.join(pki, 'nssdb')
    if a.intermediate_known:
        import shutil
        import tempfile
        import atexit
        tmp = tempfile.mkdtemp(prefix='judge-nss-')
        atexit.register(shutil.rmtree, tmp, True)
        nssdb = os.path.join(tmp, 'nssdb')
        shutil.copytree(os.path.join(pki, 'nssdb'), nssdb)
        subprocess.run(['certutil', '-A', '-d', 'sql:' + nssdb, '-n', 'inter', '-t', ',,', '-a',
                        '-i', os.path.join(pki, 'inter.pem')], check=True)
    pdfsig_cmd = ['pdfsig', '-nssdir', 'sql:' + nssdb]
    mutool_cmd = ['mutool', 'sign', '-v']
    qpdf_cmd = ['qpdf', '--check']
    if pw is not None:
        pdfsig_cmd += ['-opw', pw, '-upw', pw]
        mutool_cmd += ['-p', pw]
        qpdf_cmd += ['--password=' + pw]
    procs = {}
    for name, cmd in (('pdfsig', pdfsig_cmd + [a.file]), ('mutool', mutool_cmd + [a.file]),
                      ('qpdf', qpdf_cmd + [a.file])):
        try:
            procs[name] = start(cmd)
        except FileNotFoundError as e:
            procs[name] = e

    report = {'file': a.file}
    try:
        report['pyhanko'] = judge_pyhanko(a.file, pki, pw, a.expect_signatures)
    except Exception as e:
        report['pyhanko'] = res(False, f'judge error: {type(e).__name__}: {e}')

    for name in ('pdfsig', 'mutool', 'qpdf'):
        p = procs[name]
        if isinstance(p, Exception):
            report[name] = res(False, f'cannot run: {p}')
            continue
        rc, out = finish(p)
        if name == 'pdfsig':
            report[name] = judge_pdfsig(rc, out, a.expect_signatures)
        elif name == 'mutool':
            ph = report['pyhanko']
            timestamps = (ph.get('doc_timestamps', 0), ph.get('timestamp_last', False))
            report[name] = judge_mutool(rc, out, a.expect_signatures,
                                        pss=has_pss_signature(a.file), timestamps=timestamps)
        else:
            report[name] = judge_qpdf(rc, out)
    report['all_ok'] = all(report[k]['ok'] for k in ('pyhanko', 'pdfsig', 'mutool', 'qpdf'))
    print(json.dumps(report, ensure_ascii=False))
    sys.exit(0 if report['all_ok'] else 1)


if __name__ == '__main__':
    main()
