#!/usr/bin/env python3
"""`make bench`: Kyso, pyHanko and poppler's pdfsig sign the same files in the same run,
alternating, median of N runs; peak memory from /usr/bin/time; the table goes to
docs/benchmarks.md with the commands that produced it.

    .venv/bin/python scripts/bench.py [--runs 5] [--out docs/benchmarks.md]
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
DATA = os.path.join(REPO, 'target', 'bench-data')
PKI = os.path.join(REPO, 'target', 'test-data', 'pki')
CORPUS = os.path.join(REPO, 'target', 'test-data', 'corpus')
KYSO = os.path.join(REPO, 'target', 'release', 'kyso')
VENV_BIN = os.path.join(REPO, '.venv', 'bin')


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def timed(cmd):
    """Wall seconds and peak RSS (KiB) of one command, via /usr/bin/time."""
    with tempfile.NamedTemporaryFile('r', suffix='.time') as t:
        start = time.perf_counter()
        proc = subprocess.run(['/usr/bin/time', '-f', '%M', '-o', t.name] + cmd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f'bench: command failed ({proc.returncode}): {" ".join(cmd)}\n'
                     f'{proc.stderr.decode(errors="replace")}')
        rss = int(open(t.name).read().strip().splitlines()[-1])
    return wall, rss


def prepare():
    os.makedirs(DATA, exist_ok=True)
    sh(['bash', os.path.join(REPO, 'tests/pki/make-pki.sh'), PKI])
    sh(['bash', os.path.join(REPO, 'tests/corpus/make-corpus.sh'), CORPUS, PKI])
    for size in (50, 500):
        name = f'scan-{size}mb.pdf'
        if not os.path.exists(os.path.join(DATA, name)):
            sh(['bash', os.path.join(REPO, 'tests/corpus/make-big.sh'), DATA, str(size), name])
    one_page_dir = os.path.join(DATA, 'batch-1000')
    if not os.path.isdir(one_page_dir) or len(os.listdir(one_page_dir)) != 1000:
        shutil.rmtree(one_page_dir, ignore_errors=True)
        os.makedirs(one_page_dir)
        src = os.path.join(DATA, 'one-page.pdf')
        sh(['qpdf', os.path.join(CORPUS, 'reportlab-vi.pdf'), '--pages', '.', '1', '--', src])
        for i in range(1000):
            shutil.copyfile(src, os.path.join(one_page_dir, f'doc{i:04d}.pdf'))
    nss = os.path.join(DATA, 'nss')
    if not os.path.isdir(nss):
        shutil.copytree(os.path.join(PKI, 'nssdb-signer'), nss)
    sh(['cargo', 'build', '--release', '--locked', '-p', 'kyso-cli'], cwd=REPO)


def commands(src, out):
    p12 = os.path.join(PKI, 'signer-modern.p12')
    pw = os.path.join(PKI, 'p12-password.txt')
    return {
        'kyso': [KYSO, 'sign', src, '-o', out, '--p12', p12, '--p12-password-file', pw],
        'pdfsig': ['pdfsig', '-add-signature', '-nssdir', 'sql:' + os.path.join(DATA, 'nss'),
                   '-nick', 'kyso-signer', src, out],
        'pyhanko': [os.path.join(VENV_BIN, 'pyhanko'), 'sign', 'addsig', '--field', 'Sig1',
                    'pkcs12', '--passfile', pw, src, out, p12],
    }


def bench_file(label, src, runs):
    out = os.path.join(DATA, 'out.pdf')
    cmds = commands(src, out)
    results = {k: [] for k in cmds}
    for _ in range(runs):
        for tool, cmd in cmds.items():  # alternate tools within each round
            if os.path.exists(out):
                os.remove(out)
            results[tool].append(timed(cmd))
    row = {tool: (statistics.median(w for w, _ in r), max(m for _, m in r)) for tool, r in results.items()}
    return label, row, cmds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', default=os.path.join(REPO, 'docs', 'benchmarks.md'))
    args = ap.parse_args()
    prepare()

    rows = []
    for label, src in [('invisible signature, 50 MB scan-like PDF', os.path.join(DATA, 'scan-50mb.pdf')),
                       ('invisible signature, 2000-page PDF', os.path.join(CORPUS, 'pages-2000.pdf'))]:
        rows.append(bench_file(label, src, args.runs))
        print(f'{label}: ' + ', '.join(f'{t} {w:.3f}s' for t, (w, _) in rows[-1][1].items()), flush=True)

    memory = []
    for size in (50, 500):
        src = os.path.join(DATA, f'scan-{size}mb.pdf')
        out = os.path.join(DATA, 'out.pdf')
        peaks = []
        for _ in range(3):
            if os.path.exists(out):
                os.remove(out)
            peaks.append(timed(commands(src, out)['kyso'])[1])
        memory.append((size, max(peaks)))
        print(f'kyso peak memory, {size} MB: {max(peaks) / 1024:.1f} MiB', flush=True)

    batch_dir = os.path.join(DATA, 'batch-1000')
    batch_out = os.path.join(DATA, 'batch-out')
    batch_times = []
    for _ in range(args.runs):
        shutil.rmtree(batch_out, ignore_errors=True)
        cmd = [KYSO, 'sign', batch_dir, '--out-dir', batch_out, '--p12', os.path.join(PKI, 'signer-modern.p12'),
               '--p12-password-file', os.path.join(PKI, 'p12-password.txt')]
        batch_times.append(timed(cmd)[0])
    batch_median = statistics.median(batch_times)
    print(f'batch of 1000: {batch_median:.2f}s = {1000 / batch_median:.0f} documents/s', flush=True)

    cpu = ''
    try:
        cpu = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    lines = [
        '# Benchmarks',
        '',
        f'Produced by `make bench` (scripts/bench.py) on {time.strftime("%Y-%m-%d")}, {os.cpu_count()} cores'
        + (f' ({cpu})' if cpu else '') + f', {platform.system()} {platform.release()}.',
        f'Median wall time of {args.runs} runs; the tools alternate within each round on the same input.',
        'Peak memory is the maximum resident set size reported by `/usr/bin/time -f %M`.',
        '',
        '| measure | Kyso | pdfsig | pyHanko | pdfsig / Kyso | pyHanko / Kyso | target |',
        '|---|---|---|---|---|---|---|',
    ]
    targets = {'invisible signature, 50 MB scan-like PDF': '≥ 8× pdfsig, ≥ 15× pyHanko',
               'invisible signature, 2000-page PDF': '≥ 3× pdfsig, ≥ 15× pyHanko'}
    for label, row, _ in rows:
        k, p, y = row['kyso'][0], row['pdfsig'][0], row['pyhanko'][0]
        lines.append(f'| {label} | {k:.3f} s | {p:.3f} s | {y:.3f} s | {p / k:.1f}× | {y / k:.1f}× | {targets[label]} |')
    lines += ['', '| measure | Kyso | target |', '|---|---|---|']
    for size, peak in memory:
        lines.append(f'| peak memory signing a {size} MB PDF | {peak / 1024:.1f} MiB | ≤ 20 MiB |')
    lines.append(f'| batch of 1000 one-page PDFs, one command | {1000 / batch_median:.0f} documents/s '
                 f'({batch_median:.2f} s) | ≥ 300 documents/s |')
    lines += ['', '## Commands', '', 'For the 50 MB file (the 2000-page file is `target/test-data/corpus/pages-2000.pdf`):',
              '', '```']
    for tool, cmd in rows[0][2].items():
        lines.append(f"{tool}: {' '.join(cmd).replace(REPO + '/', '')}")
    lines += ['```', '', 'Batch: `target/release/kyso sign target/bench-data/batch-1000 --out-dir DIR --p12 ... '
              '--p12-password-file ...` (1000 copies of page 1 of reportlab-vi.pdf).', '']
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
