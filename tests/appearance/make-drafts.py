#!/usr/bin/env python3
"""Draft documents shaped like Vietnamese official documents, for Kyso's visible-signature tests.

    make-drafts.py OUTDIR        (run with $REPO/.venv/bin/python; prints one path per line)

The layout follows Nghị định 30/2020/NĐ-CP, Phụ lục I (a Quyết định of a provincial People's
Committee). Output is deterministic: reportlab ``invariant=1``, fixed SOURCE_DATE_EPOCH for
cairo, Ghostscript without dates/ID/XMP, qpdf ``--deterministic-id`` for the rewrites.
Needs pdftocairo, gs, qpdf (and pdftotext for the self-check at the end).

Files written to OUTDIR (A4 = 595.2756 x 841.8898 pt unless said otherwise):

``nd30.pdf``
    reportlab, Liberation Serif (Regular/Bold/Italic/BoldItalic) embedded as TrueType subsets.
    Page 1: left column "ỦY BAN NHÂN DÂN" / "TỈNH QUẢNG NGÃI", then "Số:" and "/QĐ-UBND" as
    two separate text runs with a 1.2 inch (86.4 pt) blank between them (the clerk writes the
    number there); right column "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do -
    Hạnh phúc", then the italic date line "Quảng Ngãi, ngày", "tháng", "năm 2026" as three
    runs with 45 pt blanks (day and month); title "QUYẾT ĐỊNH" and the body (the "Căn cứ"
    lines contain ordinary "ngày .. tháng .. năm .." dates too, as real documents do).
    Page 2: more body, page number "2" at the top centre; bottom left "Nơi nhận:" list; bottom
    right the signature block "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH" (bold), 100 pt of blank space,
    then "Nguyễn Văn An" (bold) — the CN of the test certificate, printed once in the whole
    document. The coordinates of every anchor are in ``LAYOUT`` below (PDF points, page frame).
    Boxes as ``kyso text`` reports them (X, Y, W, H, bottom-left origin; baseline 729.89):
      p1  "Số:" 56.35 727.08 17.34 11.82    "/QĐ-UBND" 160.09 727.08 63.55 11.82
          (number blank x 73.69 .. 160.09)
          "Quảng Ngãi, ngày" 276.53 727.08 95.69 11.83   "tháng" 417.22 727.08 29.61 11.83
          "năm 2026" 491.83 727.08 51.64 11.83 (day blank x 372.22 .. 417.22,
          month blank x 446.83 .. 491.83)
          first "Căn cứ" line, y 581.08, holds a filled date "ngày 19 tháng 02 năm 2025"
      p2  "TM. ỦY BAN NHÂN DÂN" 335.07 297.19 149.86 11.61   "CHỦ TỊCH" 377.32 281.19 65.37 11.61
          "Nguyễn Văn An" 365.57 167.19 88.85 11.61           "Nơi nhận:" 85.00 297.41
``nd30-cairo.pdf``
    ``pdftocairo -pdf nd30.pdf``: cairo rewrites the fonts as CID TrueType (Identity-H).
``nd30-gs.pdf``
    ``gs -sDEVICE=pdfwrite -dNEWPDF=false`` of nd30.pdf (third producer; -dOmitID: no /ID in
    the trailer, so deterministic).
``nd30-rot90.pdf``, ``nd30-rot180.pdf``, ``nd30-rot270.pdf``
    ``qpdf --rotate=+90:1-z`` etc.: every page dict has /Rotate 90 / 180 / 270.
``nd30-rot90-inherited.pdf``
    /Rotate 90 only on the /Pages root node, inherited by both pages (no page has its own
    /Rotate). Written by a pyHanko full rewrite, normalised by qpdf; checked below.
``nd30-shifted.pdf``
    /MediaBox [100 100 695.2756 941.8898] (A4 moved by +100,+100); each page's /Contents is
    prefixed with a stream "1 0 0 1 100 100 cm" so the drawing moves with the box.
``nd30-cropped.pdf``
    /CropBox [30 40 565.2756 801.8898] inside the A4 /MediaBox (displayed page 535.28 x 761.89,
    so displayed coordinates = page coordinates - (30, 40)).
``nd30-notext.pdf``
    One-page letter (reportlab): no "Số:", no date line, no "Nguyễn Văn An" — for the
    "default number/date reservation only warns" case (and "anchor not found").
"""
import os
import subprocess
import sys

FONT_DIR = '/usr/share/fonts/truetype/liberation2'
SOURCE_DATE_EPOCH = '1767225600'  # 2026-01-01T00:00:00Z

A4_W, A4_H = 595.2756, 841.8898

R = 'LiberationSerif'
B = 'LiberationSerif-Bold'
I = 'LiberationSerif-Italic'
BI = 'LiberationSerif-BoldItalic'

# Page-frame coordinates (points, bottom-left origin) of the anchors of nd30.pdf, for tests.
LEFT_C = 140.0          # centre of the left header column
RIGHT_C = 410.0         # centre of the right header column / signature block
SO_GAP = 86.4           # "Số:" .. "/QĐ-UBND"
DATE_GAP = 45.0         # "ngày" .. "tháng" .. "năm 2026"
LAYOUT = {
    'header_y1': A4_H - 62,   # first header line baseline
    'so_y': A4_H - 112,       # baseline of "Số:" and of the date line
    'sig_title_y': 300.0,     # "TM. ỦY BAN NHÂN DÂN" baseline (page 2)
    'name_y': 170.0,          # "Nguyễn Văn An" baseline (page 2)
}

BODY1_CANCU = [
    'Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;',
    'Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;',
    'Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác '
    'văn thư;',
    'Căn cứ Nghị định số 130/2018/NĐ-CP ngày 27 tháng 9 năm 2018 của Chính phủ quy định chi '
    'tiết thi hành Luật Giao dịch điện tử về chữ ký số và dịch vụ chứng thực chữ ký số;',
    'Theo đề nghị của Giám đốc Sở Khoa học và Công nghệ tại Tờ trình số 45/TTr-SKHCN.',
]

BODY1_ARTICLES = [
    'Điều 1. Ban hành kèm theo Quyết định này Quy chế sử dụng chữ ký số và dịch vụ chứng '
    'thực chữ ký số trong hoạt động của các cơ quan hành chính nhà nước trên địa bàn tỉnh '
    'Quảng Ngãi.',
    'Điều 2. Quyết định này có hiệu lực thi hành kể từ ngày ký. Văn bản điện tử được ký số '
    'theo Quy chế này có giá trị pháp lý như văn bản giấy có chữ ký tay và đóng dấu của cơ '
    'quan, tổ chức.',
    'Sở Khoa học và Công nghệ chủ trì, phối hợp với Văn phòng Ủy ban nhân dân tỉnh hướng dẫn, '
    'kiểm tra việc triển khai; tổng hợp các khó khăn, vướng mắc, báo cáo Ủy ban nhân dân tỉnh '
    'xem xét, giải quyết.',
]

BODY2 = [
    'Các cơ quan, đơn vị có trách nhiệm bố trí kinh phí, trang bị thiết bị lưu khóa bí mật '
    '(USB token) cho lãnh đạo và văn thư; bảo đảm an toàn thông tin trong quá trình tạo lập, '
    'ký số, gửi, nhận và lưu trữ văn bản điện tử.',
    'Việc ký số văn bản điện tử thực hiện theo đúng thẩm quyền; hình ảnh chữ ký số của người '
    'có thẩm quyền được đặt tại vị trí ký, trùm lên khoảng một phần ba hình ảnh con dấu về phía '
    'bên trái. Văn thư cơ quan ghi số, ngày, tháng, năm ban hành văn bản sau khi người có thẩm '
    'quyền ký.',
    'Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các sở, Thủ trưởng các ban, ngành '
    'tỉnh; Chủ tịch Ủy ban nhân dân các huyện, thị xã, thành phố và các tổ chức, cá nhân có '
    'liên quan chịu trách nhiệm thi hành Quyết định này./.',
]

NOI_NHAN = [
    '- Như Điều 3;',
    '- Văn phòng Chính phủ;',
    '- Bộ Khoa học và Công nghệ;',
    '- TT Tỉnh ủy, TT HĐND tỉnh;',
    '- CT, các PCT UBND tỉnh;',
    '- Lưu: VT, KGVX.',
]


def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, fn in ((R, 'LiberationSerif-Regular.ttf'), (B, 'LiberationSerif-Bold.ttf'),
                     (I, 'LiberationSerif-Italic.ttf'), (BI, 'LiberationSerif-BoldItalic.ttf')):
        try:
            pdfmetrics.getFont(name)
        except KeyError:
            pdfmetrics.registerFont(TTFont(name, os.path.join(FONT_DIR, fn)))


def _wrap(text, font, size, width):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ''
    for word in text.split(' '):
        trial = word if not cur else cur + ' ' + word
        if stringWidth(trial, font, size) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def _para(c, text, y, font=R, size=13, x0=85.0, x1=538.0, indent=28.0, lead=18.0):
    """Left-aligned paragraph with a first-line indent; returns the next baseline."""
    c.setFont(font, size)
    words = _wrap(text, font, size, x1 - x0 - indent)
    # re-wrap the tail to the full width
    head, rest = words[0], ' '.join(words[1:])
    c.drawString(x0 + indent, y, head)
    y -= lead
    if rest:
        for line in _wrap(rest, font, size, x1 - x0):
            c.drawString(x0, y, line)
            y -= lead
    return y - 4


def make_nd30(path):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    _fonts()
    w, h = A4_W, A4_H
    c = canvas.Canvas(path, pagesize=(w, h), invariant=1, pageCompression=1)
    c.setTitle('Quyết định ban hành Quy chế sử dụng chữ ký số')
    c.setAuthor('Ủy ban nhân dân tỉnh Quảng Ngãi')
    c.setSubject('Dự thảo thử nghiệm Kyso (NĐ 30/2020, Phụ lục I)')

    # ---- page 1: header ----
    y1 = LAYOUT['header_y1']
    c.setFont(R, 12.5)
    c.drawCentredString(LEFT_C, y1, 'ỦY BAN NHÂN DÂN')
    c.setFont(B, 12.5)
    c.drawCentredString(LEFT_C, y1 - 15, 'TỈNH QUẢNG NGÃI')
    c.setLineWidth(0.6)
    c.line(LEFT_C - 30, y1 - 20, LEFT_C + 30, y1 - 20)

    c.setFont(B, 12.5)
    c.drawCentredString(RIGHT_C, y1, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM')
    c.setFont(B, 13.5)
    c.drawCentredString(RIGHT_C, y1 - 16, 'Độc lập - Tự do - Hạnh phúc')
    tw = stringWidth('Độc lập - Tự do - Hạnh phúc', B, 13.5)
    c.line(RIGHT_C - tw / 2, y1 - 21, RIGHT_C + tw / 2, y1 - 21)

    ys = LAYOUT['so_y']
    c.setFont(R, 13)
    so_w = stringWidth('Số:', R, 13)
    tail_w = stringWidth('/QĐ-UBND', R, 13)
    so_x = LEFT_C - (so_w + SO_GAP + tail_w) / 2
    c.drawString(so_x, ys, 'Số:')
    c.drawString(so_x + so_w + SO_GAP, ys, '/QĐ-UBND')

    c.setFont(I, 13)
    parts = ['Quảng Ngãi, ngày', 'tháng', 'năm 2026']
    widths = [stringWidth(p, I, 13) for p in parts]
    x = RIGHT_C - (sum(widths) + 2 * DATE_GAP) / 2
    for p, pw in zip(parts, widths):
        c.drawString(x, ys, p)
        x += pw + DATE_GAP

    # ---- page 1: title and body ----
    y = ys - 50
    c.setFont(B, 14)
    c.drawCentredString(w / 2, y, 'QUYẾT ĐỊNH')
    y -= 18
    for line in _wrap('Về việc ban hành Quy chế sử dụng chữ ký số trong các cơ quan hành '
                      'chính nhà nước tỉnh Quảng Ngãi', B, 14, 380):
        c.drawCentredString(w / 2, y, line)
        y -= 18
    c.line(w / 2 - 50, y + 12, w / 2 + 50, y + 12)
    y -= 16
    c.setFont(B, 14)
    c.drawCentredString(w / 2, y, 'ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI')
    y -= 26
    for p in BODY1_CANCU:
        y = _para(c, p, y, font=I)
    y -= 6
    c.setFont(B, 14)
    c.drawCentredString(w / 2, y, 'QUYẾT ĐỊNH:')
    y -= 24
    for p in BODY1_ARTICLES:
        y = _para(c, p, y)
    assert y > 60, y
    c.showPage()

    # ---- page 2 ----
    c.setFont(R, 13)
    c.drawCentredString(w / 2, h - 45, '2')
    y = h - 80
    for p in BODY2:
        y = _para(c, p, y)
    assert y > LAYOUT['sig_title_y'] + 30, y

    yt = LAYOUT['sig_title_y']
    c.setFont(B, 13)
    c.drawCentredString(RIGHT_C, yt, 'TM. ỦY BAN NHÂN DÂN')
    c.drawCentredString(RIGHT_C, yt - 16, 'CHỦ TỊCH')
    # 100 pt of blank space between "CHỦ TỊCH" and the name (for the signature image)
    c.drawCentredString(RIGHT_C, LAYOUT['name_y'], 'Nguyễn Văn An')
    assert (yt - 16) - LAYOUT['name_y'] >= 100 + 13

    c.setFont(BI, 12)
    c.drawString(85, yt, 'Nơi nhận:')
    c.setFont(R, 11)
    yy = yt - 14
    for line in NOI_NHAN:
        c.drawString(85, yy, line)
        yy -= 13
    c.showPage()
    c.save()


def make_notext(path):
    from reportlab.pdfgen import canvas

    _fonts()
    w, h = A4_W, A4_H
    c = canvas.Canvas(path, pagesize=(w, h), invariant=1, pageCompression=1)
    c.setTitle('Thư mời dự hội thảo')
    c.setAuthor('Hội Tin học tỉnh Quảng Ngãi')
    c.setFont(B, 13)
    c.drawCentredString(w / 2, h - 70, 'HỘI TIN HỌC TỈNH QUẢNG NGÃI')
    c.setFont(B, 16)
    c.drawCentredString(w / 2, h - 130, 'THƯ MỜI')
    c.setFont(I, 13)
    c.drawCentredString(w / 2, h - 150, 'Hội thảo “Chuyển đổi số trong công tác văn thư”')
    y = h - 200
    c.setFont(R, 13)
    c.drawString(85, y, 'Kính gửi: Quý đại biểu, quý hội viên.')
    y -= 30
    for p in [
        'Hội Tin học tỉnh trân trọng kính mời Quý vị đến dự hội thảo về chữ ký số, văn bản '
        'điện tử và liên thông văn bản giữa các cơ quan nhà nước trên địa bàn tỉnh.',
        'Thời gian: 8 giờ 00, sáng thứ Sáu. Địa điểm: Hội trường Trung tâm Hội nghị tỉnh, '
        'đường Hùng Vương, thành phố Quảng Ngãi.',
        'Sự hiện diện của Quý vị là niềm vinh dự cho Hội. Rất mong được đón tiếp./.',
    ]:
        y = _para(c, p, y)
    c.setFont(B, 13)
    c.drawCentredString(400, y - 30, 'BAN TỔ CHỨC')
    c.showPage()
    c.save()


# --------------------------------------------------------------------------
# post-processing
# --------------------------------------------------------------------------
def _run(*args, quiet=False):
    e = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    kw = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL} if quiet else {}
    subprocess.run(args, check=True, env=e, **kw)


def _fix_date(path):
    """pdftocairo stamps the current time (it ignores SOURCE_DATE_EPOCH): overwrite the
    digits in place (same length, so the xref offsets stay right)."""
    import re

    with open(path, 'rb') as f:
        data = f.read()
    data, n = re.subn(rb'(/(?:CreationDate|ModDate)\s*\(D:)(\d{14})',
                      lambda m: m.group(1) + b'20260101000000', data)
    with open(path, 'wb') as f:
        f.write(data)


def _qpdf(src, dst, *extra):
    # qpdf exits 3 on warnings; none expected
    _run('qpdf', '--deterministic-id', *extra, src, dst)


def _pyhanko_rewrite(src, dst, edit):
    """Full rewrite with pyHanko's PdfFileWriter, edit(writer) in between, then qpdf."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    with open(src, 'rb') as f:
        r = PdfFileReader(f)
        w = copy_into_new_writer(r)
        # keep the source's /ID (pyHanko would make a random one; qpdf keeps the first half)
        w._document_id = r.trailer['/ID']
    edit(w)
    # keep the source's /Info as is (pyHanko would stamp /ModDate with the current time)
    w._update_meta = lambda: None
    tmp = dst + '.tmp'
    with open(tmp, 'wb') as f:
        w.write(f)
    _qpdf(tmp, dst)
    os.unlink(tmp)


def _pages(writer):
    out = []

    def walk(node):
        if node.get('/Type') == '/Pages' or '/Kids' in node:
            for k in node['/Kids']:
                walk(k.get_object())
        else:
            out.append(node)
    walk(writer.root['/Pages'].get_object())
    return out


def _edit_inherited(w):
    from pyhanko.pdf_utils import generic

    root_pages = w.root['/Pages'].get_object()
    root_pages['/Rotate'] = generic.NumberObject(90)
    w.update_container(root_pages)
    for p in _pages(w):
        if '/Rotate' in p:
            del p['/Rotate']
            w.update_container(p)


def _edit_shifted(w):
    from pyhanko.pdf_utils import generic

    shift = generic.StreamObject(stream_data=b'1 0 0 1 100 100 cm\n')
    ref = w.add_object(shift)
    for p in _pages(w):
        p['/MediaBox'] = generic.ArrayObject([generic.FloatObject(v) for v in
                                              (100, 100, A4_W + 100, A4_H + 100)])
        old = p.raw_get('/Contents')
        olds = list(old) if isinstance(old, generic.ArrayObject) else [old]
        p['/Contents'] = generic.ArrayObject([ref] + olds)
        w.update_container(p)


def _edit_cropped(w):
    from pyhanko.pdf_utils import generic

    for p in _pages(w):
        p['/CropBox'] = generic.ArrayObject([generic.FloatObject(v) for v in
                                             (30, 40, A4_W - 30, A4_H - 40)])
        w.update_container(p)


def _check_inherited(path):
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, 'rb') as f:
        r = PdfFileReader(f)
        root = r.root['/Pages']
        assert int(root.get('/Rotate', 0)) == 90, 'root /Rotate'
        for k in root['/Kids']:
            assert '/Rotate' not in k.get_object(), 'page has its own /Rotate'


def _check_text(path, expect):
    txt = subprocess.run(['pdftotext', '-layout', path, '-'], check=True,
                         capture_output=True, text=True).stdout
    missing = [e for e in expect if e not in txt]
    if missing:
        sys.exit(f'make-drafts: {path}: pdftotext lacks {missing}')


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: make-drafts.py OUTDIR')
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)  # noqa: E731

    base = p('nd30.pdf')
    make_nd30(base)
    _run('pdftocairo', '-pdf', base, p('nd30-cairo.pdf'))
    _fix_date(p('nd30-cairo.pdf'))
    # The new PDF interpreter of gs 10.0 drops the ToUnicode of reportlab's subset fonts
    # (pdftotext then sees no Vietnamese); the legacy one keeps it. Its deprecation
    # warning is silenced. Newer gs without it fails the text check below.
    _run('gs', '-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', '-dNEWPDF=false',
         '-dOmitInfoDate', '-dOmitID', '-dOmitXMP', '-o', p('nd30-gs.pdf'), base, quiet=True)
    for rot in (90, 180, 270):
        _qpdf(base, p(f'nd30-rot{rot}.pdf'), f'--rotate=+{rot}:1-z')
    _pyhanko_rewrite(base, p('nd30-rot90-inherited.pdf'), _edit_inherited)
    _check_inherited(p('nd30-rot90-inherited.pdf'))
    _pyhanko_rewrite(base, p('nd30-shifted.pdf'), _edit_shifted)
    _pyhanko_rewrite(base, p('nd30-cropped.pdf'), _edit_cropped)
    make_notext(p('nd30-notext.pdf'))

    names = ['nd30.pdf', 'nd30-cairo.pdf', 'nd30-gs.pdf', 'nd30-rot90.pdf', 'nd30-rot180.pdf',
             'nd30-rot270.pdf', 'nd30-rot90-inherited.pdf', 'nd30-shifted.pdf',
             'nd30-cropped.pdf', 'nd30-notext.pdf']
    for n in names:
        if n == 'nd30-notext.pdf':
            _check_text(p(n), ['Kính gửi'])
        else:
            _check_text(p(n), ['Số:', 'ngày', 'tháng', 'năm', 'Nguyễn Văn An', '/QĐ-UBND'])
        print(p(n), flush=True)


if __name__ == '__main__':
    main()
