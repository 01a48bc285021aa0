#!/usr/bin/env python3
"""A local RFC 3161 time-stamping authority for tests (docs/testing.md §4), good or misbehaving.

    python3 tests/tsa/tsa_server.py DIR [--port 0] [--mode MODE] [--delay SECONDS]
        [--user U --password P | --bearer TOKEN] [--retry-after N] [--limit K]
        [--every-other] [--status CODE] [--count-file FILE] [--quiet] [--max-seconds S]

DIR is made by tests/tsa/make-tsa.sh. The server binds 127.0.0.1 (port 0 = a free port
chosen by the kernel), prints the port on the first line of standard output once it
listens, then serves until killed, one thread per connection (ThreadingHTTPServer; the
`openssl ts -reply` runs are serialised, openssl rewrites the serial file). Standard
library only. A test killed before it can stop the server does not leave it behind: the
server exits when its parent process is gone, and after --max-seconds in any case.

A good answer is the TimeStampResp of

    openssl ts -reply -config DIR/tsa.cnf -section tsa_config -queryfile Q
                -inkey DIR/tsa.key -signer DIR/tsa.pem -chain DIR/tsa-chain.pem

sent as HTTP 200, Content-Type application/timestamp-reply (RFC 3161 §3.4).

Every request, whatever the mode, goes through these steps; the first that answers wins:

 1. its body is read (Content-Length, at most 64 KiB; else 400 text/plain), it is counted
    (--count-file) and, after the answer, logged on stderr (unless --quiet);
 2. --delay SECONDS: sleep before answering anything (mode slow: 5 s unless given);
 3. --user/--password or --bearer (any mode; required by mode auth): without an
    Authorization header matching them, 401 with `WWW-Authenticate: Basic realm="Kyso
    test TSA", charset="UTF-8"` (or `Bearer realm="Kyso test TSA"`, plus
    `error="invalid_token"` when a wrong token was sent);
 4. mode rate-limit: requests 1..K (--limit K, default 1; K < 0: every request) or, with
    --every-other, the odd-numbered ones (1st, 3rd, ...), get 429 with `Retry-After: N`
    (--retry-after, default 2);
 5. mode http-error: --status CODE (default 500), text/plain body;
 6. a method other than POST: 405 with `Allow: POST`; a Content-Type other than
    application/timestamp-query (parameters ignored): 415;
 7. a body that is not a DER TimeStampReq: 200, a TimeStampResp rejecting it with
    failInfo badDataFormat (what a real TSA does);
 8. the mode's answer:

  good (default)   the good token.
  slow             the good token, after --delay seconds (default 5).
  auth             the good token, once step 3 passed (needs --user/--password or --bearer).
  rate-limit       the good token, once step 4 passed.
  reject           a TimeStampResp with status rejection (2), statusString
                   "Kyso test TSA: request refused" and failInfo badRequest; no token.
  wrong-imprint    a good token for the request with every byte of its hashedMessage
                   inverted (same hash algorithm, same nonce, same certReq): the token is
                   well signed, but its messageImprint is not the client's.
                   openssl ts -verify -queryfile: "message imprint mismatch".
  wrong-nonce      a good token for the right imprint whose nonce is the client's plus 1
                   (a request without a nonce gets a random 64-bit one it did not ask
                   for, which openssl ts -verify accepts). openssl ts -verify -queryfile:
                   "nonce mismatch".
  no-eku           a token signed by DIR/tsa-noeku.pem, a certificate without any
                   extendedKeyUsage (same issuer). openssl ts -reply refuses such a signer,
                   so the token is built here: the TSTInfo of a good answer, its tsa name
                   replaced by the no-EKU certificate's subject, wrapped in a CMS SignedData
                   of our own (attributes contentType, signingTime, messageDigest,
                   signingCertificateV2 naming the no-EKU certificate; RSA PKCS#1 v1.5 with
                   SHA-256; certificates tsa-noeku + chain when certReq).
                   openssl ts -verify: "Verify error:unsuitable certificate purpose".
  eku-noncritical  the same, signed by DIR/tsa-eku-noncritical.pem: EKU timeStamping
                   present but not critical (RFC 3161 §2.3 wants it critical).
                   openssl ts -verify: "Verify error:unsuitable certificate purpose".
  http-error       step 5: always --status (500).

--count-file FILE: FILE holds the number of requests received so far (every request,
whatever its answer, counted as soon as its body is read), rewritten in place under an
flock(2). The count starts from FILE's content when FILE exists, so several servers (or a
restarted one) can share one count, and mode rate-limit's "first K requests" are counted
over all of them. Without it the count is the server's own.

Log line (stderr): `tsa_server[MODE] #N METHOD PATH content-type=CT bytes=LEN -> STATUS`.
"""
import argparse
import base64
import datetime
import fcntl
import hashlib
import hmac
import http.server
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

MAX_QUERY = 64 * 1024
MODES = ('good', 'slow', 'reject', 'wrong-imprint', 'wrong-nonce', 'no-eku',
         'eku-noncritical', 'auth', 'rate-limit', 'http-error')
# The certificate (DIR/NAME.pem, DIR/NAME.key) that signs the hand-built tokens of a mode.
OTHER_SIGNER = {'no-eku': 'tsa-noeku', 'eku-noncritical': 'tsa-eku-noncritical'}
REALM = 'Kyso test TSA'
REJECT_TEXT = 'Kyso test TSA: request refused'


# ---- DER ---------------------------------------------------------------------------------
# Just enough to take a TimeStampReq, a TimeStampResp and a certificate apart and to build
# a TimeStampResp and a CMS SignedData. Elements are (tag byte, content bytes); only
# low-tag-number forms occur in these structures.

class DerError(ValueError):
    pass


def der(tag, content):
    """Encode one element: tag byte, DER length, content."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def der_next(buf, off=0):
    """The element at buf[off:]: (tag, content, offset after it)."""
    if off + 2 > len(buf):
        raise DerError('truncated')
    tag, n = buf[off], buf[off + 1]
    if tag & 0x1F == 0x1F:
        raise DerError('high tag number')
    off += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or off + k > len(buf):
            raise DerError('bad length')
        n, off = int.from_bytes(buf[off:off + k], 'big'), off + k
    if off + n > len(buf):
        raise DerError('truncated')
    return tag, buf[off:off + n], off + n


def der_one(buf, tag=None):
    """The single element buf holds, its tag checked when given: (tag, content)."""
    t, c, end = der_next(buf)
    if end != len(buf) or (tag is not None and t != tag):
        raise DerError(f'expected one element with tag {tag:#x}' if tag else 'trailing data')
    return t, c


def der_items(content):
    """The elements of a constructed content: [(tag, content), ...]."""
    out, off = [], 0
    while off < len(content):
        t, c, off = der_next(content, off)
        out.append((t, c))
    return out


def der_seq(*elements):
    return der(0x30, b''.join(elements))


def der_set(*elements):
    """A DER SET OF: its elements sorted by their encodings (X.690 §11.6)."""
    return der(0x31, b''.join(sorted(elements)))


def der_int(value):
    return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, 'big', signed=True))


def der_oid(dotted):
    a = [int(x) for x in dotted.split('.')]
    out = bytearray([40 * a[0] + a[1]])
    for x in a[2:]:
        chunk = [x & 0x7F]
        while x > 0x7F:
            x >>= 7
            chunk.append(0x80 | (x & 0x7F))
        out += bytes(reversed(chunk))
    return der(0x06, bytes(out))


def enc(items):
    """Re-encode a list of (tag, content) elements."""
    return b''.join(der(t, c) for t, c in items)


OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
OID_TSTINFO = '1.2.840.113549.1.9.16.1.4'
OID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
OID_SIGNING_TIME = '1.2.840.113549.1.9.5'
OID_SIGNING_CERT_V2 = '1.2.840.113549.1.9.16.2.47'
OID_SHA256 = '2.16.840.1.101.3.4.2.1'
OID_RSA = '1.2.840.113549.1.1.1'
NULL = der(0x05, b'')


# ---- TimeStampReq / TimeStampResp ---------------------------------------------------------

def parse_request(query):
    """TimeStampReq (RFC 3161 §2.4.1) -> its elements, checked just enough to rewrite them:
    [(0x02 version), (0x30 messageImprint), (0x06 reqPolicy)?, (0x02 nonce)?,
     (0x01 certReq)?, (0xA0 extensions)?]."""
    _, content = der_one(query, 0x30)
    items = der_items(content)
    if len(items) < 2 or items[0][0] != 0x02 or items[1][0] != 0x30:
        raise DerError('not a TimeStampReq')
    alg, digest = der_items(items[1][1])
    if alg[0] != 0x30 or digest[0] != 0x04:
        raise DerError('bad messageImprint')
    return items


def cert_req(items):
    """The request's certReq (BOOLEAN DEFAULT FALSE)."""
    return any(t == 0x01 and c != b'\x00' for t, c in items)


def invert_imprint(items):
    """The request with every byte of its hashedMessage inverted."""
    alg, (_, digest) = der_items(items[1][1])
    imprint = (0x30, der(*alg) + der(0x04, bytes(b ^ 0xFF for b in digest)))
    return [items[0], imprint] + items[2:]


def other_nonce(items):
    """The request with its nonce plus 1, or a random nonce when it has none."""
    out, done = [], False
    for i, (t, c) in enumerate(items):
        if i >= 2 and t == 0x02:  # the only INTEGER after version is the nonce
            c, done = der_int(int.from_bytes(c, 'big', signed=True) + 1)[2:], True
        out.append((t, c))
    if not done:  # after messageImprint and reqPolicy, before certReq and extensions
        at = 3 if len(items) > 2 and items[2][0] == 0x06 else 2
        out.insert(at, (0x02, der_int(random.getrandbits(63) | 1 << 62)[2:]))
    return out


def rejection(status, text, fail_bit):
    """A TimeStampResp without token: PKIStatusInfo {status, statusString {text},
    failInfo}. failInfo is a named BIT STRING (RFC 3161 §2.4.2: badAlg 0, badRequest 2,
    badDataFormat 5, ...), DER: trailing zero bits dropped."""
    nbytes = fail_bit // 8 + 1
    bits = (1 << (7 - fail_bit % 8)).to_bytes(1, 'big')
    fail_info = der(0x03, bytes([7 - fail_bit % 8]) + bytes(nbytes - 1) + bits)
    status_string = der_seq(der(0x0C, text.encode()))
    return der_seq(der_seq(der_int(status), status_string, fail_info))


BAD_REQUEST, BAD_DATA_FORMAT = 2, 5


# ---- a CMS SignedData of our own (for signers openssl ts -reply refuses) --------------------

def pem_certs(path):
    """The DER certificates of a PEM file."""
    with open(path) as f:
        text = f.read()
    return [base64.b64decode(b) for b in
            re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----', text, re.S)]


def cert_fields(cert):
    """(issuer Name, serialNumber INTEGER, subject Name) of a certificate, each encoded."""
    _, c = der_one(cert, 0x30)
    tbs = der_items(der_items(c)[0][1])
    if tbs[0][0] == 0xA0:  # [0] EXPLICIT version
        tbs = tbs[1:]
    serial, _, issuer, _, subject = tbs[:5]
    return der(*issuer), der(*serial), der(*subject)


def token_tstinfo(token):
    """The encapsulated TSTInfo (DER) of a ContentInfo{SignedData} (openssl's token)."""
    _, ci = der_one(token, 0x30)
    _, (_, explicit) = der_items(ci)
    _, sd = der_one(explicit, 0x30)
    encap = der_items(sd)[2]
    _, (_, econtent) = der_items(encap[1])
    return der_one(econtent, 0x04)[1]


def with_tsa_name(tstinfo, subject):
    """The TSTInfo with its tsa field ([0] EXPLICIT GeneralName) naming `subject`
    (directoryName, [4] EXPLICIT Name); tsa is the only [0] of a TSTInfo."""
    _, c = der_one(tstinfo, 0x30)
    items = [i for i in der_items(c) if i[0] != 0xA0]
    tsa = (0xA0, der(0xA4, subject))
    ext = [i for i, (t, _) in enumerate(items) if t == 0xA1]  # extensions come last
    items.insert(ext[0] if ext else len(items), tsa)
    return der(0x30, enc(items))


def sign_token(tstinfo, key, cert, chain, include_certs):
    """ContentInfo{SignedData} over `tstinfo` (RFC 3161 §2.4.2, RFC 5652, RFC 5816),
    signed by key/cert with RSA PKCS#1 v1.5 + SHA-256 (openssl dgst does the RSA)."""
    issuer, serial, _ = cert_fields(cert)
    sha256 = der_seq(der_oid(OID_SHA256), NULL)
    # SigningCertificateV2 {certs {ESSCertIDv2 {certHash, issuerSerial}}}; hashAlgorithm
    # is DEFAULT sha256, so absent. issuerSerial: GeneralNames {directoryName issuer}.
    ess = der_seq(der_seq(der_seq(
        der(0x04, hashlib.sha256(cert).digest()),
        der_seq(der_seq(der(0xA4, issuer)), serial))))
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%y%m%d%H%M%SZ')
    attrs = [
        der_seq(der_oid(OID_CONTENT_TYPE), der_set(der_oid(OID_TSTINFO))),
        der_seq(der_oid(OID_SIGNING_TIME), der_set(der(0x17, now.encode()))),
        der_seq(der_oid(OID_MESSAGE_DIGEST), der_set(der(0x04, hashlib.sha256(tstinfo).digest()))),
        der_seq(der_oid(OID_SIGNING_CERT_V2), der_set(ess)),
    ]
    signed_attrs = der_set(*attrs)  # what is signed: the SET OF, tagged SET (RFC 5652 §5.4)
    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key], input=signed_attrs,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    signer_info = der_seq(
        der_int(1), der_seq(issuer, serial), sha256,
        b'\xA0' + signed_attrs[1:],  # [0] IMPLICIT SignedAttributes
        der_seq(der_oid(OID_RSA), NULL), der(0x04, sig))
    certs = der(0xA0, b''.join([cert] + chain)) if include_certs else b''
    signed_data = der_seq(
        der_int(3), der_set(sha256),
        der_seq(der_oid(OID_TSTINFO), der(0xA0, der(0x04, tstinfo))),
        certs, der_set(signer_info))
    return der_seq(der_oid(OID_SIGNED_DATA), der(0xA0, signed_data))


# ---- the server ---------------------------------------------------------------------------

class Counter:
    """The number of requests received, in --count-file when given (shared, flock'ed)."""

    def __init__(self, path):
        self.path, self.n, self.lock = path, 0, threading.Lock()

    def next(self):
        with self.lock:
            if not self.path:
                self.n += 1
                return self.n
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                old = os.read(fd, 64).strip()
                n = (int(old) if old.isdigit() else 0) + 1
                # Overwrite, then cut: the count only grows, so never empty for a reader.
                data = f'{n}\n'.encode()
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
                return n
            finally:
                os.close(fd)  # releases the flock


class Tsa:
    """The configuration and the token factory of one server."""

    def __init__(self, d, a):
        self.d, self.a = d, a
        self.openssl_lock = threading.Lock()
        self.counter = Counter(a.count_file)
        self.chain = pem_certs(self.path('tsa-chain.pem'))

    def path(self, name):
        return os.path.join(self.d, name)

    def openssl_reply(self, query):
        """The TimeStampResp of openssl ts -reply for `query`, or None when it fails."""
        with tempfile.TemporaryDirectory(prefix='tsa-') as tmp:
            q, r = os.path.join(tmp, 'q.tsq'), os.path.join(tmp, 'r.tsr')
            with open(q, 'wb') as f:
                f.write(query)
            # Serialised across threads, and across servers sharing DIR (the serial file).
            with self.openssl_lock, open(self.path('tsa.cnf')) as lockf:
                fcntl.flock(lockf, fcntl.LOCK_EX)
                proc = subprocess.run(
                    ['openssl', 'ts', '-reply', '-config', self.path('tsa.cnf'),
                     '-section', 'tsa_config', '-queryfile', q,
                     '-inkey', self.path('tsa.key'), '-signer', self.path('tsa.pem'),
                     '-chain', self.path('tsa-chain.pem'), '-out', r],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if proc.returncode != 0 or not os.path.exists(r):
                sys.stderr.write(proc.stdout.decode(errors='replace'))
                return None
            with open(r, 'rb') as f:
                return f.read()

    def reply(self, query):
        """(status, body, content type) of the mode for a POSTed TimeStampReq."""
        mode = self.a.mode
        try:
            items = parse_request(query)
        except DerError:
            return 200, rejection(2, 'Kyso test TSA: not a TimeStampReq', BAD_DATA_FORMAT), \
                'application/timestamp-reply'
        if mode == 'reject':
            return 200, rejection(2, REJECT_TEXT, BAD_REQUEST), 'application/timestamp-reply'
        if mode == 'wrong-imprint':
            query = der(0x30, enc(invert_imprint(items)))
        elif mode == 'wrong-nonce':
            query = der(0x30, enc(other_nonce(items)))
        resp = self.openssl_reply(query)
        if resp is None:
            return 500, b'openssl ts -reply failed', 'text/plain'
        if mode in OTHER_SIGNER:
            resp = self.resign(resp, OTHER_SIGNER[mode], cert_req(items))
        return 200, resp, 'application/timestamp-reply'

    def resign(self, resp, name, include_certs):
        """openssl's granted TimeStampResp re-made with a token signed by DIR/NAME.pem."""
        _, c = der_one(resp, 0x30)
        items = der_items(c)
        if len(items) < 2:  # not granted: nothing to re-sign
            return resp
        status, token = items[0], der(*items[1])
        cert = pem_certs(self.path(name + '.pem'))[0]
        tstinfo = with_tsa_name(token_tstinfo(token), cert_fields(cert)[2])
        token = sign_token(tstinfo, self.path(name + '.key'), cert, self.chain, include_certs)
        return der_seq(der(*status), token)

    # -- HTTP-level checks (steps 3..6 of the docstring) --

    def unauthorized(self, header):
        """None when `header` (Authorization) satisfies the credentials, else the
        WWW-Authenticate value to send with 401."""
        a = self.a
        scheme, _, value = (header or '').strip().partition(' ')
        if a.bearer is not None:
            if scheme.lower() == 'bearer' and hmac.compare_digest(value.strip().encode(), a.bearer.encode()):
                return None
            bad = ', error="invalid_token"' if scheme.lower() == 'bearer' else ''
            return f'Bearer realm="{REALM}"{bad}'
        if a.user is not None:
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True) \
                    .decode('utf-8').partition(':')
            except (ValueError, UnicodeDecodeError):
                user = password = None
            if scheme.lower() == 'basic' and user == a.user and password == a.password:
                return None
            return f'Basic realm="{REALM}", charset="UTF-8"'
        return None

    def rate_limited(self, n):
        a = self.a
        if a.mode != 'rate-limit':
            return False
        if a.every_other:
            return n % 2 == 1
        return a.limit < 0 or n <= a.limit


def make_handler(tsa):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def handle_any(self):
            body = b''
            try:
                length = int(self.headers.get('Content-Length', '0'))
            except ValueError:
                length = -1
            ok_length = 0 <= length <= MAX_QUERY
            if ok_length:
                body = self.rfile.read(length)  # read before any answer: no RST on close
            n = tsa.counter.next()
            status = self.respond(n, ok_length, body)
            if not tsa.a.quiet:
                ctype = self.headers.get('Content-Type', '-')
                sys.stderr.write(f'tsa_server[{tsa.a.mode}] #{n} {self.command} {self.path} '
                                 f'content-type={ctype} bytes={len(body)} -> {status}\n')
                sys.stderr.flush()

        def respond(self, n, ok_length, body):
            """Answer the request; return the HTTP status sent."""
            a = tsa.a
            if a.delay > 0:
                time.sleep(a.delay)
            if not ok_length:
                return self.answer(400, b'bad Content-Length')
            challenge = tsa.unauthorized(self.headers.get('Authorization'))
            if challenge:
                return self.answer(401, b'authentication required',
                                   headers={'WWW-Authenticate': challenge})
            if tsa.rate_limited(n):
                return self.answer(429, b'too many requests',
                                   headers={'Retry-After': str(a.retry_after)})
            if a.mode == 'http-error':
                return self.answer(a.status, b'Kyso test TSA: internal error')
            if self.command != 'POST':
                return self.answer(405, b'POST a TimeStampReq', headers={'Allow': 'POST'})
            ctype = self.headers.get('Content-Type', '').split(';')[0].strip().lower()
            if ctype != 'application/timestamp-query':
                return self.answer(415, b'Content-Type must be application/timestamp-query')
            return self.answer(*tsa.reply(body))

        do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_any

        def do_HEAD(self):
            self.send_response(405)
            self.send_header('Allow', 'POST')
            self.send_header('Content-Length', '0')
            self.end_headers()

        def answer(self, code, body, ctype='text/plain', headers=None):
            try:
                self.send_response(code)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (slow mode)
                return f'{code} (client gone)'
            return code

        def log_message(self, fmt, *args):  # our own log line instead (handle_any)
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('dir', help='directory made by tests/tsa/make-tsa.sh')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--mode', choices=MODES, default='good')
    ap.add_argument('--delay', type=float, help='seconds to wait before answering '
                    '(default: 5 in mode slow, else 0)')
    ap.add_argument('--user', help='HTTP Basic user required (with --password)')
    ap.add_argument('--password', help='HTTP Basic password required (with --user)')
    ap.add_argument('--bearer', help='HTTP Bearer token required')
    ap.add_argument('--retry-after', type=int, default=2, help='rate-limit: Retry-After')
    ap.add_argument('--limit', type=int, default=1,
                    help='rate-limit: 429 for the first K requests (K < 0: for all)')
    ap.add_argument('--every-other', action='store_true',
                    help='rate-limit: 429 for the odd-numbered requests instead')
    ap.add_argument('--status', type=int, default=500, help='http-error: the status')
    ap.add_argument('--count-file', help='file holding the number of requests received')
    ap.add_argument('--quiet', action='store_true', help='no log line per request')
    ap.add_argument('--max-seconds', type=float, default=600)
    a = ap.parse_args()
    if (a.user is None) != (a.password is None):
        ap.error('--user and --password go together')
    if a.bearer is not None and a.user is not None:
        ap.error('--bearer or --user/--password, not both')
    if a.mode == 'auth' and a.bearer is None and a.user is None:
        ap.error('--mode auth needs --user/--password or --bearer')
    if a.delay is None:
        a.delay = 5.0 if a.mode == 'slow' else 0.0
    if a.count_file:
        a.count_file = os.path.abspath(a.count_file)
    d = os.path.abspath(a.dir)
    needs = ['tsa.cnf', 'tsa.key', 'tsa.pem', 'tsa-chain.pem']
    if a.mode in OTHER_SIGNER:
        needs += [OTHER_SIGNER[a.mode] + '.key', OTHER_SIGNER[a.mode] + '.pem']
    for need in needs:
        if not os.path.exists(os.path.join(d, need)):
            ap.error(f'{d}/{need} missing (run tests/tsa/make-tsa.sh)')

    server = http.server.ThreadingHTTPServer(('127.0.0.1', a.port), make_handler(Tsa(d, a)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)

    parent, deadline = os.getppid(), time.monotonic() + a.max_seconds

    def watchdog():
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
