#!/usr/bin/env python3
"""Where did a signature appearance land? Renders one page of a signed PDF and of the same PDF
unsigned with two renderers (poppler's pdftoppm, MuPDF's mutool draw) and compares them.

    check_render.py SIGNED UNSIGNED --page N --box X,Y,W,H [--box ...] [--dpi 72]
                    [--expect-color blue|red|black:X,Y,W,H ...] [--text X,Y,W,H ...]
                    [--threshold 40] [--keep DIR]

All rectangles are X,Y,W,H in PDF points in the DISPLAYED page frame: the CropBox with the
page's /Rotate applied, origin at the bottom-left corner of the page as a reader shows it
(the frame of ``kyso sign --rect`` and ``kyso text``). page_size comes from pdfinfo -box
(CropBox, width/height swapped for /Rotate 90 and 270); each render's pixel scale is its
image size / page_size (renderers round the size up). pdftoppm runs with -cropbox (it renders
the MediaBox by default); mutool draw renders the CropBox.

Prints one JSON object and always exits 0 (the Rust test asserts on it), e.g.

    {"page": 2, "dpi": 72, "rotate": 90, "page_size": [841.89, 595.28],
     "boxes": [[..]], "threshold": 40,
     "pdftoppm": {"image_size": [842, 595], "changed_pixels": 5210,
                  "changed_bbox": [x, y, w, h] | null,
                  "inside_changed_pixels": 5210, "outside_changed_pixels": 0,
                  "colors": [{"expect": "blue", "box": [..], "changed": 812,
                              "mean_rgb": [r, g, b] | null, "blue": 700, "red": 0,
                              "dark": 3, "match": true}],
                  "png": "/tmp/...png" (only with --keep)},
     "mutool": {... the same ...} ,
     "renderers_agree": true,
     "text": [{"box": [..], "pdftotext_box": [x, y, W, H], "signed": "..", "unsigned": "..",
               "signed_words": "..", "unsigned_words": ".."}]}

changed_bbox: the bounding box (displayed points) of the pixels whose colour differs from the
unsigned render by more than --threshold (0-255, on the most different channel).
inside/outside_changed_pixels: changed pixels inside / outside the union of the --box
rectangles grown by 2 pt on every side. colors: over the changed pixels inside each
--expect-color rectangle (not grown): the mean RGB, the bounding box (displayed points) of the pixels of
the expected class ("bbox"), and how many are blue-ish (b > r+40 and
b > g+20), red-ish (r > g+60 and r > b+60) and dark (r, g, b all < 90); "match" = at least
20 changed pixels there and the expected class is the most frequent of the three ("black"
means dark). renderers_agree: both renderers' changed_bbox edges within 3 pt of each other
(true when neither changed anything). A renderer that fails gets {"error": ".."}.

text, for each --text rectangle, of SIGNED and of UNSIGNED (annotation appearances included):
  signed/unsigned: ``pdftotext -r 72 -f N -l N -x -y -W -H`` over the rectangle. Poppler
    22.12 takes that crop area in the MediaBox frame, rotated, top-left origin, even with
    -cropbox (so on a cropped page it is offset by the CropBox's corner); pdftotext_box is the
    rectangle converted to that frame. Poppler tests a glyph by its origin, so text running
    right-to-left or bottom-to-top on the display (/Rotate 180, 270) can lose the last glyph
    at the box's edge: leave a few points of margin.
  signed_words/unsigned_words: the words of ``pdftotext -cropbox -bbox`` whose centre lies in
    the rectangle (displayed frame, exact for any /Rotate and CropBox), joined by spaces in
    content-stream order (not necessarily reading order).
"""
import argparse
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageChops, ImageDraw

GROW = 2.0
AGREE = 3.0


def rect(s):
    v = [float(x) for x in s.split(',')]
    if len(v) != 4 or v[2] < 0 or v[3] < 0:
        raise argparse.ArgumentTypeError(f'want X,Y,W,H, got {s!r}')
    return v


def color_rect(s):
    name, _, r = s.partition(':')
    if name not in ('blue', 'red', 'black'):
        raise argparse.ArgumentTypeError(f'want blue|red|black:X,Y,W,H, got {s!r}')
    return name, rect(r)


def page_geometry(path, page):
    """{'media': [x0 y0 x1 y1], 'crop': [..], 'rot': 0|90|180|270} from pdfinfo -box."""
    out = subprocess.run(['pdfinfo', '-box', '-f', str(page), '-l', str(page), path],
                         capture_output=True, text=True).stdout
    g = {'rot': 0}
    for line in out.splitlines():
        m = re.match(rf'Page\s+{page}\s+rot:\s+(-?\d+)', line)
        if m:
            g['rot'] = int(m.group(1)) % 360
        m = re.match(rf'Page\s+{page}\s+(MediaBox|CropBox):\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)',
                     line)
        if m:
            v = [float(x) for x in m.groups()[1:]]
            g['media' if m.group(1) == 'MediaBox' else 'crop'] = [
                min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])]
    if 'media' not in g:
        return None
    g.setdefault('crop', g['media'])
    return g


def disp_size(box, rot):
    w, h = box[2] - box[0], box[3] - box[1]
    return (h, w) if rot in (90, 270) else (w, h)


def disp_to_user(X, Y, box, rot):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return {0: (x0 + X, y0 + Y), 90: (x0 + w - Y, y0 + X),
            180: (x0 + w - X, y0 + h - Y), 270: (x0 + Y, y0 + h - X)}[rot]


def user_to_disp(x, y, box, rot):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    x, y = x - x0, y - y0
    return {0: (x, y), 90: (y, w - x), 180: (w - x, h - y), 270: (h - y, x)}[rot]


def media_frame_rect(r, g):
    """A displayed (CropBox) rectangle as pdftotext's crop area sees it: the MediaBox,
    rotated, top-left origin (pdftotext -x/-y/-W/-H ignore -cropbox)."""
    x, y, w, h = r
    pts = [user_to_disp(*disp_to_user(X, Y, g['crop'], g['rot']), g['media'], g['rot'])
           for X, Y in ((x, y), (x + w, y), (x, y + h), (x + w, y + h))]
    _, mh = disp_size(g['media'], g['rot'])
    xs = [p[0] for p in pts]
    ys = [mh - p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def render(tool, path, page, dpi, out_png):
    if tool == 'pdftoppm':
        prefix = out_png[:-4]
        cmd = ['pdftoppm', '-r', str(dpi), '-f', str(page), '-l', str(page), '-png',
               '-singlefile', '-cropbox', path, prefix]
    else:
        cmd = ['mutool', 'draw', '-q', '-r', str(dpi), '-o', out_png, path, str(page)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(out_png):
        raise RuntimeError(f'{" ".join(cmd)}: exit {p.returncode}: {p.stderr.strip()[:300]}')
    return Image.open(out_png).convert('RGB')


class Frame:
    """Displayed points <-> pixels of one rendered image."""

    def __init__(self, img, pw, ph):
        self.pw, self.ph = pw, ph
        self.sx = img.width / pw
        self.sy = img.height / ph
        self.w, self.h = img.width, img.height

    def to_px(self, r, grow=0.0):
        x, y, w, h = r
        x0 = math.floor((x - grow) * self.sx)
        x1 = math.ceil((x + w + grow) * self.sx)
        y0 = math.floor((self.ph - (y + h + grow)) * self.sy)
        y1 = math.ceil((self.ph - (y - grow)) * self.sy)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.w, x1), min(self.h, y1)
        return x0, y0, x1, y1          # half-open pixel box

    def to_pt(self, box):
        l, t, r, b = box
        return [round(l / self.sx, 2), round(self.ph - b / self.sy, 2),
                round((r - l) / self.sx, 2), round((b - t) / self.sy, 2)]


def changed_mask(a, b, threshold):
    if a.size != b.size:
        w, h = min(a.width, b.width), min(a.height, b.height)
        a, b = a.crop((0, 0, w, h)), b.crop((0, 0, w, h))
    d = ImageChops.difference(a, b)
    r, g, bl = d.split()
    m = ImageChops.lighter(ImageChops.lighter(r, g), bl)
    return m.point(lambda v: 255 if v > threshold else 0, mode='L')


def count(mask):
    return mask.histogram()[255]


def analyse(tool, args, tmp, pw, ph):
    sp = os.path.join(tmp, f'{tool}-signed.png')
    up = os.path.join(tmp, f'{tool}-unsigned.png')
    s = render(tool, args.signed, args.page, args.dpi, sp)
    u = render(tool, args.unsigned, args.page, args.dpi, up)
    fr = Frame(s, pw, ph)
    mask = changed_mask(s, u, args.threshold)
    total = count(mask)
    bb = mask.getbbox()

    region = Image.new('L', mask.size, 0)
    dr = ImageDraw.Draw(region)
    for b in args.box:
        x0, y0, x1, y1 = fr.to_px(b, GROW)
        if x1 > x0 and y1 > y0:
            dr.rectangle([x0, y0, x1 - 1, y1 - 1], fill=255)
    inside = count(ImageChops.multiply(mask, region))

    colors = []
    for name, r in args.expect_color:
        x0, y0, x1, y1 = fr.to_px(r)
        res = {'expect': name, 'box': r, 'changed': 0, 'mean_rgb': None,
               'blue': 0, 'red': 0, 'dark': 0, 'match': False, 'bbox': None}
        key = 'dark' if name == 'black' else name
        cls = None  # pixel box of the changed pixels of the expected class
        if x1 > x0 and y1 > y0:
            px = s.crop((x0, y0, x1, y1)).tobytes()      # RGB
            mk = mask.crop((x0, y0, x1, y1)).tobytes()   # L
            n = sr = sg = sb = 0
            for i, m in enumerate(mk):
                if not m:
                    continue
                pr, pg, pb = px[3 * i], px[3 * i + 1], px[3 * i + 2]
                n += 1
                sr += pr
                sg += pg
                sb += pb
                kinds = []
                if pb > pr + 40 and pb > pg + 20:
                    kinds.append('blue')
                if pr > pg + 60 and pr > pb + 60:
                    kinds.append('red')
                if pr < 90 and pg < 90 and pb < 90:
                    kinds.append('dark')
                for k in kinds:
                    res[k] += 1
                if key in kinds:
                    px_x, px_y = x0 + i % (x1 - x0), y0 + i // (x1 - x0)
                    cls = (px_x, px_y, px_x + 1, px_y + 1) if cls is None else (
                        min(cls[0], px_x), min(cls[1], px_y),
                        max(cls[2], px_x + 1), max(cls[3], px_y + 1))
            res['changed'] = n
            if n:
                res['mean_rgb'] = [round(sr / n, 1), round(sg / n, 1), round(sb / n, 1)]
            if cls is not None:
                res['bbox'] = fr.to_pt(cls)
            res['match'] = n >= 20 and res[key] > 0 and \
                res[key] >= max(res['blue'], res['red'], res['dark'])
        colors.append(res)

    out = {
        'image_size': [s.width, s.height],
        'changed_pixels': total,
        'changed_bbox': fr.to_pt(bb) if bb else None,
        'inside_changed_pixels': inside,
        'outside_changed_pixels': total - inside,
        'colors': colors,
    }
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        for src, kind in ((sp, 'signed'), (up, 'unsigned')):
            dst = os.path.join(args.keep, f'{tool}-p{args.page}-{kind}.png')
            shutil.copyfile(src, dst)
        dst = os.path.join(args.keep, f'{tool}-p{args.page}-diff.png')
        mask.save(dst)
        out['png'] = os.path.join(args.keep, f'{tool}-p{args.page}-signed.png')
    return out


def text_in(path, page, r, g):
    l, t, rr, b = media_frame_rect(r, g)
    tx, ty = math.floor(l), math.floor(t)
    tw, th = math.ceil(rr) - tx, math.ceil(b) - ty
    cmd = ['pdftotext', '-r', '72', '-f', str(page), '-l', str(page),
           '-x', str(tx), '-y', str(ty), '-W', str(tw), '-H', str(th), path, '-']
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return [tx, ty, tw, th], None
    return [tx, ty, tw, th], p.stdout.replace('\f', '').strip()


WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" '
                  r'yMax="([-\d.]+)">(.*?)</word>')


def words(path, page):
    """pdftotext -cropbox -bbox: [(cx, cy, word)] centres in the displayed frame, top-left."""
    p = subprocess.run(['pdftotext', '-cropbox', '-bbox', '-f', str(page), '-l', str(page),
                        path, '-'], capture_output=True, text=True)
    return [((float(a) + float(c)) / 2, (float(b) + float(d)) / 2, html.unescape(w))
            for a, b, c, d, w in WORD.findall(p.stdout)]


def words_in(ws, r, ph):
    x, y, w, h = r
    top, bottom = ph - (y + h), ph - y
    return ' '.join(t for cx, cy, t in ws if x <= cx <= x + w and top <= cy <= bottom)


def agree(a, b):
    if a is None or b is None:
        return a is None and b is None
    ea = (a[0], a[1], a[0] + a[2], a[1] + a[3])
    eb = (b[0], b[1], b[0] + b[2], b[1] + b[3])
    return all(abs(p - q) <= AGREE for p, q in zip(ea, eb))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('signed')
    ap.add_argument('unsigned')
    ap.add_argument('--page', type=int, required=True)
    ap.add_argument('--box', type=rect, action='append', default=[])
    ap.add_argument('--dpi', type=float, default=72)
    ap.add_argument('--expect-color', type=color_rect, action='append', default=[])
    ap.add_argument('--text', type=rect, action='append', default=[])
    ap.add_argument('--threshold', type=int, default=40)
    ap.add_argument('--keep', help='copy the renders and diff masks to this directory')
    args = ap.parse_args()
    if args.dpi == int(args.dpi):
        args.dpi = int(args.dpi)

    res = {'page': args.page, 'dpi': args.dpi, 'boxes': args.box, 'threshold': args.threshold}
    geo = page_geometry(args.signed, args.page) or page_geometry(args.unsigned, args.page)
    tmp = tempfile.mkdtemp(prefix='kyso-check-render-')
    try:
        if geo is None:
            res['error'] = f'pdfinfo: no page {args.page}'
            pw = ph = None
        else:
            pw, ph = disp_size(geo['crop'], geo['rot'])
            res['rotate'] = geo['rot']
            res['page_size'] = [round(pw, 2), round(ph, 2)]
        for tool in ('pdftoppm', 'mutool'):
            if pw is None:
                res[tool] = {'error': 'no page geometry'}
                continue
            try:
                res[tool] = analyse(tool, args, tmp, pw, ph)
            except Exception as e:  # report, never fail
                res[tool] = {'error': f'{type(e).__name__}: {e}'}
        a = res['pdftoppm'].get('changed_bbox', 'error')
        b = res['mutool'].get('changed_bbox', 'error')
        res['renderers_agree'] = 'error' not in (a, b) and agree(a, b)
        res['text'] = []
        if args.text and ph is not None:
            ugeo = page_geometry(args.unsigned, args.page) or geo
            sw, uw = words(args.signed, args.page), words(args.unsigned, args.page)
            for r in args.text:
                box, signed = text_in(args.signed, args.page, r, geo)
                _, unsigned = text_in(args.unsigned, args.page, r, ugeo)
                res['text'].append({'box': r, 'pdftotext_box': box,
                                    'signed': signed, 'unsigned': unsigned,
                                    'signed_words': words_in(sw, r, ph),
                                    'unsigned_words': words_in(uw, r, ph)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    json.dump(res, sys.stdout, ensure_ascii=False)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    try:
        main()
    except SystemExit as e:   # argparse errors: still exit 0 with a JSON error
        if e.code not in (0, None):
            print(json.dumps({'error': f'bad arguments (exit {e.code})'}))
    sys.exit(0)
