#!/usr/bin/env python3
"""Draws Kyso's sample images for visible signatures, and the kyso-pdf test images.

Rerun from the repository root (needs Pillow; the project's venv has it):

    .venv/bin/python scripts/make-sample-images.py

or, without the venv: python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow &&
/tmp/pil/bin/python scripts/make-sample-images.py

Everything is drawn here, deterministically (no randomness, no clock): the same Pillow
version writes the same bytes (these were made with Pillow 13.0.0). The seal is a made-up
test sample that says so ("MẪU THỬ NGHIỆM • KHÔNG CÓ GIÁ TRỊ": test sample, no validity);
it is not, and must never be replaced by, a real agency's seal.

Writes:
  assets/images/sample-signature.png  blue handwritten-looking stroke, 600x240, RGBA, 300 dpi
  assets/images/sample-seal.png       red round seal, 40 mm at 300 dpi (472 px), RGBA
  crates/kyso-pdf/tests/images/*      one small image per format the PNG/JPEG loader handles,
                                      plus broken ones (see TEST_IMAGES below)

Most test images are 64x48 with a disc of a known colour in the middle (opaque) and a
background that is transparent (variants with alpha) or white (without), so that a
rendered page can be checked pixel by pixel. Pillow cannot write 16-bit RGBA, 16-bit grey
or interlaced PNGs: those go through the small PNG writer below.
"""

import math
import os
import struct
import zlib

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "assets", "images")
TESTS = os.path.join(ROOT, "crates", "kyso-pdf", "tests", "images")
BOLD_FONT = os.path.join(ROOT, "assets", "fonts", "LiberationSerif-Bold.ttf")

SIGNATURE_BLUE = (26, 60, 156)  # #1a3c9c
SEAL_RED = (208, 2, 27)  # #d0021b
SUPERSAMPLE = 4  # drawn at 4x, then averaged down: anti-aliased edges, hence real alpha


def save_png(image, path, dpi):
    image.save(path, "PNG", optimize=True, dpi=(dpi, dpi))


def ink(mask, color):
    """An RGBA image of one colour whose alpha is `mask` (transparent pixels keep the colour,
    so edges blend without dark fringes)."""
    image = Image.new("RGBA", mask.size, color + (0,))
    image.putalpha(mask)
    return image


def downsample(mask, size):
    return mask.resize(size, Image.Resampling.BOX)


# --- The handwritten signature -------------------------------------------------------

def catmull_rom(points, steps):
    """Points along a Catmull-Rom spline through `points` (ends repeated)."""
    pts = [points[0]] + list(points) + [points[-1]]
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(tuple(
                0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t
                       + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2
                       + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3)
                for k in range(2)))
    out.append(points[-1])
    return out


def pen_stroke(draw, points, width, taper=0.25):
    """A pen line along `points`: thinner where the pen moves fast and at both ends."""
    n = len(points)
    for i, (x, y) in enumerate(points):
        if i > 0:
            px, py = points[i - 1]
            speed = math.hypot(x - px, y - py)
        else:
            speed = 0.0
        pressure = 1.0 / (1.0 + 0.04 * speed)
        t = i / max(n - 1, 1)
        ends = min(1.0, t / taper, (1 - t) / taper) if taper > 0 else 1.0
        r = max(0.6, width * (0.45 + 0.55 * pressure) * (0.35 + 0.65 * ends)) / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def make_signature(path):
    w, h = 600, 240
    s = SUPERSAMPLE
    mask = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(mask)
    # A cursive "Nguyễn An"-like scribble: capital loop, a run of small loops, a tail.
    main = [
        (48, 176), (62, 118), (84, 52), (98, 44), (96, 92), (90, 168), (104, 150),
        (130, 78), (150, 62), (152, 110), (150, 170), (170, 134), (186, 112), (200, 128),
        (196, 150), (182, 146), (198, 120), (222, 112), (230, 140), (226, 166), (248, 128),
        (266, 108), (274, 128), (262, 150), (284, 136), (310, 96), (330, 58), (338, 74),
        (326, 130), (320, 172), (342, 130), (366, 112), (378, 132), (368, 156), (392, 138),
        (420, 104), (436, 116), (430, 150), (452, 128), (482, 100), (500, 112), (494, 138),
        (520, 120), (556, 92), (576, 86),
    ]
    flourish = [(70, 206), (160, 194), (300, 186), (430, 184), (548, 176), (578, 160)]
    accent = [(214, 72), (226, 60), (238, 70)]  # a circumflex over the "ê"
    dot = [(246, 50), (252, 46), (258, 44)]  # and its tilde's tail
    for points, width in ((main, 7.0), (flourish, 5.0), (accent, 4.0), (dot, 3.5)):
        scaled = [(x * s, y * s) for x, y in points]
        pen_stroke(draw, catmull_rom(scaled, 48), width * s)
    save_png(ink(downsample(mask, (w, h)), SIGNATURE_BLUE), path, 300)


# --- The round seal ----------------------------------------------------------------------

SEAL_TEXT = "KYSO • MẪU THỬ NGHIỆM • KHÔNG CÓ GIÁ TRỊ • "


def ring(draw, c, r_outer, r_inner):
    draw.ellipse((c - r_outer, c - r_outer, c + r_outer, c + r_outer), fill=255)
    draw.ellipse((c - r_inner, c - r_inner, c + r_inner, c + r_inner), fill=0)


def star(draw, c, r_outer, r_inner):
    points = []
    for i in range(10):
        r = r_outer if i % 2 == 0 else r_inner
        a = math.pi / 5 * i  # from the top, clockwise
        points.append((c + r * math.sin(a), c - r * math.cos(a)))
    draw.polygon(points, fill=255)


def text_around(mask, c, radius, text, font, centred=""):
    """`text` around the circle clockwise, upright outwards, spread evenly over the whole
    circumference, its first word `centred` at the top; `radius` is the baseline's."""
    advances = [font.getlength(ch) for ch in text]
    total = sum(advances)
    circumference = 2 * math.pi * radius
    spread = circumference / total  # > 1: extra tracking fills the circle
    size = int(font.size * 3)
    position = -sum(font.getlength(ch) for ch in centred) / 2
    for ch, advance in zip(text, advances):
        middle = (position + advance / 2) * spread
        position += advance
        if ch == " ":
            continue
        angle = middle / radius  # radians clockwise from the top
        tile = Image.new("L", (size, size), 0)
        ImageDraw.Draw(tile).text((size / 2, size / 2), ch, fill=255, font=font, anchor="ms")
        tile = tile.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.sin(angle) - size / 2
        y = c - radius * math.cos(angle) - size / 2
        mask.paste(255, (round(x), round(y)), tile)


def make_seal(path):
    px = 472  # 40 mm at 300 dpi: 40 / 25.4 * 300 = 472.4
    s = SUPERSAMPLE
    size = px * s
    c = size / 2
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    ring(draw, c, 232 * s, 220 * s)  # outer ring, 12 px
    ring(draw, c, 170 * s, 165 * s)  # inner ring, 5 px
    star(draw, c, 62 * s, 25 * s)
    text_around(mask, c, 184 * s, SEAL_TEXT, ImageFont.truetype(BOLD_FONT, 25 * s),
                centred="KYSO")
    label = ImageFont.truetype(BOLD_FONT, 30 * s)
    draw.text((c, c + 102 * s), "MẪU", fill=255, font=label, anchor="ms")
    small = ImageFont.truetype(BOLD_FONT, 19 * s)
    draw.text((c, c + 130 * s), "SAMPLE", fill=255, font=small, anchor="ms")
    save_png(ink(downsample(mask, (px, px)), SEAL_RED), path, 300)


# --- Test images --------------------------------------------------------------------------

TW, TH = 64, 48  # test image size
DISC = (TW / 2, TH / 2, 14)  # centre x, centre y, radius


def in_disc(x, y):
    cx, cy, r = DISC
    return (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r


def disc_image(mode, inside, outside):
    image = Image.new(mode, (TW, TH), outside)
    pixels = image.load()
    for y in range(TH):
        for x in range(TW):
            if in_disc(x, y):
                pixels[x, y] = inside
    return image


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def write_png(path, width, height, pixel, color_type, bit_depth, interlace=False, dpi=None):
    """A PNG of `pixel(x, y) -> bytes` (whole bytes per pixel: bit depth 8 or 16), filter 0,
    Adam7 when `interlace` (PNG spec §8.2)."""
    if interlace:
        passes = ADAM7
    else:
        passes = [(0, 0, 1, 1)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        if x0 >= width:
            continue
        for y in range(y0, height, dy):
            raw.append(0)
            for x in range(x0, width, dx):
                raw += pixel(x, y)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type,
                                          0, 0, 1 if interlace else 0))
    if dpi:
        ppm = round(dpi / 0.0254)
        out += png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
    out += png_chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    out += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def make_test_images():
    os.makedirs(TESTS, exist_ok=True)
    red, white = SEAL_RED, (255, 255, 255)

    def t(name):
        return os.path.join(TESTS, name)

    # 16-bit RGBA: opaque red disc, transparent elsewhere (colour kept red).
    def rgba16(x, y):
        a = 0xFFFF if in_disc(x, y) else 0
        return struct.pack(">HHHH", 0xD0D0, 0x0202, 0x1B1B, a)
    write_png(t("rgba16.png"), TW, TH, rgba16, 6, 16, dpi=300)

    # 8-bit RGBA, Adam7-interlaced; the left half of the background half transparent.
    def rgba8(x, y):
        if in_disc(x, y):
            return bytes(red + (255,))
        return bytes(red + (128 if x < TW // 4 else 0,))
    write_png(t("rgba8-interlaced.png"), TW, TH, rgba8, 6, 8, interlace=True)

    # 16-bit grey without alpha: a black disc on white.
    def grey16(x, y):
        return struct.pack(">H", 0 if in_disc(x, y) else 0xFFFF)
    write_png(t("grey16.png"), TW, TH, grey16, 0, 16)

    # Pillow: 8-bit grey, grey+alpha, palette with tRNS, RGB, RGBA that is all opaque.
    save_png(disc_image("L", 0, 255), t("grey8.png"), 72)
    save_png(disc_image("LA", (64, 255), (64, 0)), t("grey-alpha.png"), 300)
    palette = disc_image("P", 1, 0)
    palette.putpalette([0, 0, 255] + list(red) + [0, 0, 0] * 254)  # 0: blue, hidden by tRNS
    palette.save(t("palette-trns.png"), "PNG", transparency=0, dpi=(300, 300))
    save_png(disc_image("RGB", red, white), t("rgb8.png"), 150)
    save_png(disc_image("RGBA", red + (255,), white + (255,)), t("rgba-opaque.png"), 300)

    # JPEGs: baseline RGB with JFIF density, progressive, grey, CMYK (Adobe APP14, inverted).
    photo = disc_image("RGB", red, white)
    photo.save(t("photo.jpg"), "JPEG", quality=92, dpi=(300, 300))
    photo.save(t("progressive.jpg"), "JPEG", quality=92, progressive=True, dpi=(200, 200))
    disc_image("L", 0, 255).save(t("grey.jpg"), "JPEG", quality=92)
    disc_image("CMYK", (255, 0, 0, 0), (0, 0, 0, 0)).save(t("cmyk.jpg"), "JPEG", quality=92)

    # Broken: a PNG whose image data is not zlib; a PNG header claiming 20000x20000.
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", TW, TH, 8, 2, 0, 0, 0))
    garbage = bytes((i * 37 + 11) % 256 for i in range(200))
    with open(t("corrupt.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", garbage)
                + png_chunk(b"IEND", b""))
    huge = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 6, 0, 0, 0))
    with open(t("huge-dimensions.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + huge + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
                + png_chunk(b"IEND", b""))


def main():
    os.makedirs(ASSETS, exist_ok=True)
    make_signature(os.path.join(ASSETS, "sample-signature.png"))
    make_seal(os.path.join(ASSETS, "sample-seal.png"))
    make_test_images()


if __name__ == "__main__":
    main()
