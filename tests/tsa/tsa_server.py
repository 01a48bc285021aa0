#!/usr/bin/env python3
"""A local RFC 3161 time-stamping authority for the tests (RECIPES §4): every POST body is a
TimeStampReq, answered with the TimeStampResp of

    openssl ts -reply -config DIR/tsa.cnf -section tsa_config -queryfile Q
                -inkey DIR/tsa.key -signer DIR/tsa.pem -chain DIR/tsa-chain.pem -out R

over HTTP (RFC 3161 §3.4: application/timestamp-query -> application/timestamp-reply).
DIR is made by tests/tsa/make-tsa.sh.

    python3 tests/tsa/tsa_server.py DIR [--port 0]

Binds 127.0.0.1 (port 0 = a free port chosen by the kernel), prints the port on the first
line of standard output, then serves until killed. One request at a time (openssl updates
the serial file). Standard library only. A test killed before it can stop the server does
not leave it behind: the server exits when its parent process is gone, and after
--max-seconds in any case.
"""
import argparse
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

MAX_QUERY = 64 * 1024


def make_handler(d):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.0'

        def do_POST(self):
            try:
                length = int(self.headers.get('Content-Length', '0'))
            except ValueError:
                length = -1
            if not 0 < length <= MAX_QUERY:
                return self.answer(400, b'bad Content-Length', 'text/plain')
            query = self.rfile.read(length)
            with tempfile.TemporaryDirectory(prefix='tsa-') as tmp:
                q, r = os.path.join(tmp, 'q.tsq'), os.path.join(tmp, 'r.tsr')
                with open(q, 'wb') as f:
                    f.write(query)
                proc = subprocess.run(
                    ['openssl', 'ts', '-reply', '-config', os.path.join(d, 'tsa.cnf'),
                     '-section', 'tsa_config', '-queryfile', q,
                     '-inkey', os.path.join(d, 'tsa.key'), '-signer', os.path.join(d, 'tsa.pem'),
                     '-chain', os.path.join(d, 'tsa-chain.pem'), '-out', r],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if proc.returncode != 0 or not os.path.exists(r):
                    sys.stderr.write(proc.stdout.decode(errors='replace'))
                    return self.answer(500, b'openssl ts -reply failed', 'text/plain')
                with open(r, 'rb') as f:
                    reply = f.read()
            self.answer(200, reply, 'application/timestamp-reply')

        def do_GET(self):
            self.answer(405, b'POST a TimeStampReq', 'text/plain')

        def answer(self, code, body, ctype):
            self.send_response(code)
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # quiet: the tests read stdout
            pass

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('dir', help='directory made by tests/tsa/make-tsa.sh')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--max-seconds', type=float, default=600)
    a = ap.parse_args()
    d = os.path.abspath(a.dir)
    for need in ('tsa.cnf', 'tsa.key', 'tsa.pem', 'tsa-chain.pem'):
        if not os.path.exists(os.path.join(d, need)):
            ap.error(f'{d}/{need} missing (run tests/tsa/make-tsa.sh)')
    server = http.server.HTTPServer(('127.0.0.1', a.port), make_handler(d))
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
