#!/usr/bin/env python3
"""Python half of tests/corpus/make-corpus.sh (run with $REPO/.venv/bin/python).

    gen_corpus.py base    WORKDIR           reportlab-vi, form, pages-2000, gen1, hybrid, not-a-pdf
    gen_corpus.py derived WORKDIR PKIDIR    incremental, empty-sigfield, signed-pyhanko,
                                            certified-p1/p2, startxref-off, broken-xref, truncated
"""
import io
import os
import re
import sys
import zlib

FONT_DIR = '/usr/share/fonts/truetype/liberation2'


# --------------------------------------------------------------------------
# reportlab producers
# --------------------------------------------------------------------------
def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, fn in (('LiberationSerif', 'LiberationSerif-Regular.ttf'),
                     ('LiberationSerif-Bold', 'LiberationSerif-Bold.ttf')):
        try:
            pdfmetrics.getFont(name)
        except KeyError:
            pdfmetrics.registerFont(TTFont(name, os.path.join(FONT_DIR, fn)))


BODY = [
    'Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;',
    'Căn cứ Nghị định số 130/2018/NĐ-CP quy định chi tiết thi hành Luật Giao dịch điện tử',
    'về chữ ký số và dịch vụ chứng thực chữ ký số;',
    'Xét đề nghị của Chánh Văn phòng Tỉnh ủy Quảng Ngãi,',
    'Điều 1. Ban hành kèm theo Quyết định này Quy chế sử dụng chữ ký số trong cơ quan.',
    'Điều 2. Quyết định có hiệu lực kể từ ngày ký. Các ông (bà) Trưởng phòng, thủ trưởng',
    'các đơn vị trực thuộc và cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này.',
    'Tiếng Việt: ăâđêôơư ĂÂĐÊÔƠƯ — àảãáạ ằẳẵắặ ầẩẫấậ èẻẽéẹ ềểễếệ ìỉĩíị òỏõóọ ồổỗốộ ờởỡớợ ùủũúụ ừửữứự ỳỷỹýỵ',
]


def _header(c, w, h):
    c.setFont('LiberationSerif-Bold', 12)
    c.drawCentredString(w * 0.68, h - 60, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM')
    c.drawCentredString(w * 0.68, h - 76, 'Độc lập - Tự do - Hạnh phúc')
    c.line(w * 0.68 - 80, h - 82, w * 0.68 + 80, h - 82)
    c.drawCentredString(w * 0.22, h - 60, 'TỈNH ỦY QUẢNG NGÃI')
    c.setFont('LiberationSerif', 12)
    c.drawCentredString(w * 0.22, h - 76, 'Số: 123/QĐ-TU')
    c.setFont('LiberationSerif', 11)
    c.drawRightString(w - 50, h - 100, 'Quảng Ngãi, ngày 22 tháng 11 năm 2026')


def make_reportlab_vi(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _fonts()
    w, h = A4
    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle('Quyết định ban hành Quy chế sử dụng chữ ký số')
    c.setAuthor('Văn phòng Tỉnh ủy Quảng Ngãi')
    c.setSubject('Tài liệu thử nghiệm Kyso')
    for page in range(1, 4):
        _header(c, w, h)
        c.setFont('LiberationSerif-Bold', 14)
        c.drawCentredString(w / 2, h - 140, 'QUYẾT ĐỊNH' if page == 1 else f'PHỤ LỤC {page - 1}')
        y = h - 180
        c.setFont('LiberationSerif', 12)
        for line in BODY * 2:
            c.drawString(60, y, line)
            y -= 20
        c.setFont('LiberationSerif', 10)
        c.drawCentredString(w / 2, 30, f'Trang {page}/3')
        c.showPage()
    c.save()


def make_form(path):
    from reportlab.lib.colors import black, white
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _fonts()
    w, h = A4
    c = canvas.Canvas(path, pagesize=A4, invariant=1)
    c.setTitle('Phiếu đăng ký chữ ký số')
    _header(c, w, h)
    c.setFont('LiberationSerif-Bold', 14)
    c.drawCentredString(w / 2, h - 140, 'PHIẾU ĐĂNG KÝ CHỨNG THƯ SỐ')
    c.setFont('LiberationSerif', 12)
    form = c.acroForm
    rows = [('Họ và tên:', 'ho_ten'), ('Chức vụ:', 'chuc_vu'),
            ('Cơ quan:', 'co_quan'), ('Số CCCD:', 'so_cccd')]
    y = h - 200
    for label, name in rows:
        c.drawString(60, y + 5, label)
        form.textfield(name=name, tooltip=label, x=160, y=y, width=300, height=20,
                       borderColor=black, fillColor=white, textColor=black,
                       forceBorder=True, fontName='Helvetica', fontSize=11)
        y -= 40
    c.drawString(60, y + 5, 'Đồng ý điều khoản:')
    form.checkbox(name='dong_y', tooltip='Đồng ý', x=200, y=y, size=16, buttonStyle='check',
                  borderColor=black, fillColor=white, textColor=black, forceBorder=True)
    c.showPage()
    c.save()


def make_pages(path, n=2000):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(f'{n} pages')
    for i in range(1, n + 1):
        c.setFont('Helvetica', 12)
        c.drawString(72, 770, f'Kyso test document - page {i} of {n}')
        c.showPage()
    c.save()


# --------------------------------------------------------------------------
# Hand-written PDFs
# --------------------------------------------------------------------------
BIN_COMMENT = b'%\xe2\xe3\xcf\xd3\n'


def _stream(dict_body: bytes, data: bytes, compress=True) -> bytes:
    if compress:
        data = zlib.compress(data)
        dict_body += b' /Filter /FlateDecode'
    return b'<< ' + dict_body + b' /Length %d >>\nstream\n' % len(data) + data + b'\nendstream'


def _content(lines) -> bytes:
    ops = [b'BT /F1 14 Tf 72 760 Td 18 TL']
    for ln in lines:
        ops.append(b'(' + ln.encode('latin-1').replace(b'\\', b'\\\\').replace(b'(', b'\\(')
                   .replace(b')', b'\\)') + b") '")
    ops.append(b'ET')
    return b'\n'.join(ops)


def make_gen1(path):
    """Page, content and font objects carry generation 1 (as after poppler/Acrobat
    reuse a freed object number); object 7 is free with next generation 1."""
    objs = {
        1: (0, b'<< /Type /Catalog /Pages 2 0 R >>'),
        2: (0, b'<< /Type /Pages /Kids [3 1 R] /Count 1 >>'),
        3: (1, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
               b'/Resources << /Font << /F1 5 1 R >> >> /Contents 4 1 R >>'),
        4: (1, _stream(b'', _content(['Kyso test: objects of generation 1',
                                       'Page 3 1 R, contents 4 1 R, font 5 1 R.']))),
        5: (1, b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
        6: (0, b'<< /Title (gen1) /Producer (Kyso make-corpus, hand-written) >>'),
    }
    out = bytearray(b'%PDF-1.4\n' + BIN_COMMENT)
    offs = {}
    for num, (gen, body) in objs.items():
        offs[num] = len(out)
        out += b'%d %d obj\n' % (num, gen) + body + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 8\n'
    out += b'0000000007 65535 f\r\n'
    for num in range(1, 7):
        out += b'%010d %05d n\r\n' % (offs[num], objs[num][0])
    out += b'0000000000 00001 f\r\n'
    out += (b'trailer\n<< /Size 8 /Root 1 0 R /Info 6 0 R '
            b'/ID [<6b79736f67656e31> <6b79736f67656e31>] >>\nstartxref\n%d\n%%%%EOF\n' % xref)
    open(path, 'wb').write(out)


def make_hybrid(path):
    """Hybrid-reference file (PDF 1.5, ISO 32000-1 7.5.8.4): a classic xref table whose
    trailer has /XRefStm pointing to an xref stream that lists the objects kept in an
    object stream (the font and the Info dictionary). A PDF 1.4-only reader sees the
    page without its font."""
    font = b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'
    info = b'<< /Title (hybrid-reference file) /Producer (Kyso make-corpus, hand-written) >>'
    # object stream 7 holding objects 5 (font) and 6 (info)
    head = b'5 0 6 %d ' % (len(font) + 1)
    objstm_data = head + font + b'\n' + info + b'\n'
    classic = {
        1: b'<< /Type /Catalog /Pages 2 0 R >>',
        2: b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: (b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
            b'/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>'),
        4: _stream(b'', _content(['Kyso test: hybrid-reference file',
                                  'The font lives in an object stream listed only in /XRefStm.'])),
        7: _stream(b'/Type /ObjStm /N 2 /First %d' % len(head), objstm_data),
    }
    out = bytearray(b'%PDF-1.5\n' + BIN_COMMENT)
    offs = {}
    for num in sorted(classic):
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + classic[num] + b'\nendobj\n'
    # xref stream 8: entries for 5 and 6 (type 2: in objstm 7, index 0 / 1)
    rows = bytes([2, 0, 7, 0]) + bytes([2, 0, 7, 1])  # W [1 2 1]
    offs[8] = len(out)
    out += (b'8 0 obj\n' + _stream(b'/Type /XRef /Size 9 /Index [5 2] /W [1 2 1]', rows)
            + b'\nendobj\n')
    xref = len(out)
    out += b'xref\n0 5\n0000000000 65535 f\r\n'
    for num in range(1, 5):
        out += b'%010d 00000 n\r\n' % offs[num]
    out += b'7 2\n'
    for num in (7, 8):
        out += b'%010d 00000 n\r\n' % offs[num]
    out += (b'trailer\n<< /Size 9 /Root 1 0 R /Info 6 0 R /XRefStm %d '
            b'/ID [<6b79736f687962> <6b79736f687962>] >>\nstartxref\n%d\n%%%%EOF\n'
            % (offs[8], xref))
    open(path, 'wb').write(out)


def cmd_base(work):
    make_reportlab_vi(os.path.join(work, 'reportlab-vi.pdf'))
    make_form(os.path.join(work, 'form.pdf'))
    make_gen1(os.path.join(work, 'gen1.pdf'))
    make_hybrid(os.path.join(work, 'hybrid.pdf'))
    with open(os.path.join(work, 'not-a-pdf.pdf'), 'w', encoding='utf-8') as f:
        f.write('Đây không phải là tệp PDF.\nThis is a plain UTF-8 text file named .pdf.\n')
    make_pages(os.path.join(work, 'pages-2000.pdf'))


# --------------------------------------------------------------------------
# Derived files (pyHanko, byte surgery)
# --------------------------------------------------------------------------
def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def make_incremental(src, dst):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    # update 1: a text annotation (sticky note) on page 1
    w = IncrementalPdfFileWriter(io.BytesIO(_read(src)))
    page_ref, _ = w.find_page_for_modification(0)
    annot = generic.DictionaryObject({
        generic.NameObject('/Type'): generic.NameObject('/Annot'),
        generic.NameObject('/Subtype'): generic.NameObject('/Text'),
        generic.NameObject('/Rect'): generic.ArrayObject(
            [generic.FloatObject(v) for v in (500, 700, 520, 720)]),
        generic.NameObject('/Contents'): generic.TextStringObject('Ghi chú: đã xem xét (cập nhật 1)'),
        generic.NameObject('/F'): generic.NumberObject(4),
    })
    w.register_annotation(page_ref, w.add_object(annot))
    buf = io.BytesIO()
    w.write(buf)
    # update 2: catalog /Lang, /PageMode and an indirect /ViewerPreferences
    w = IncrementalPdfFileWriter(io.BytesIO(buf.getvalue()))
    w.root['/Lang'] = generic.TextStringObject('vi-VN')
    w.root['/ViewerPreferences'] = w.add_object(generic.DictionaryObject({
        generic.NameObject('/DisplayDocTitle'): generic.BooleanObject(True)}))
    w.root['/PageMode'] = generic.NameObject('/UseNone')
    w.update_root()
    buf2 = io.BytesIO()
    w.write(buf2)
    open(dst, 'wb').write(buf2.getvalue())


def _signer(pki, p12='signer-modern.p12'):
    from pyhanko.sign import signers

    pw = _read(os.path.join(pki, 'p12-password.txt'))
    return signers.SimpleSigner.load_pkcs12(os.path.join(pki, p12), passphrase=pw)


def _sign(src, dst, signer, field, certify=None, add_field=None):
    from pyhanko.sign import fields, signers
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(_read(src)))
    if add_field:
        fields.append_signature_field(w, fields.SigFieldSpec(add_field, on_page=0,
                                                             box=(360, 60, 560, 130)))
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
        reason='Phê duyệt văn bản', location='Quảng Ngãi',
        certify=certify is not None,
        docmdp_permissions=certify if certify is not None else fields.MDPPerm.FILL_FORMS)
    out = io.BytesIO()
    signers.sign_pdf(w, meta, signer=signer, output=out)
    open(dst, 'wb').write(out.getvalue())


def make_empty_sigfield(src, dst):
    from pyhanko.sign import fields
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(_read(src)))
    fields.append_signature_field(w, fields.SigFieldSpec('Signature1', on_page=0,
                                                         box=(360, 60, 560, 130)))
    out = io.BytesIO()
    w.write(out)
    open(dst, 'wb').write(out.getvalue())


def _last_xref_pos(data):
    sx = data.rindex(b'startxref')
    m = re.match(rb'startxref\s+(\d+)', data[sx:])
    return sx, int(m.group(1)), m


def make_startxref_off(src, dst):
    """4 bytes of whitespace inserted before the final 'xref' keyword; startxref not
    updated, so it points 4 bytes early. Object offsets stay right."""
    data = _read(src)
    _, pos, _ = _last_xref_pos(data)
    assert data[pos:pos + 4] == b'xref', 'expected a classic xref table'
    open(dst, 'wb').write(data[:pos] + b'\n\n\n\n' + data[pos:])


def make_broken_xref(src, dst):
    """A comment line inserted after the header shifts every object; startxref is
    corrected to find the table, but every offset in it is wrong (reader must scan)."""
    data = _read(src)
    nl = data.index(b'\n') + 1
    extra = b'%Kyso: this line shifts all objects; the xref offsets are stale\n'
    data = data[:nl] + extra + data[nl:]
    sx, pos, m = _last_xref_pos(data)
    fixed = b'startxref\n%d' % (pos + len(extra))
    data = data[:sx] + fixed + data[sx + m.end():]
    assert data[pos + len(extra):pos + len(extra) + 4] == b'xref'
    open(dst, 'wb').write(data)


def cmd_derived(work, pki):
    from pyhanko.sign.fields import MDPPerm

    src = os.path.join(work, 'reportlab-vi.pdf')
    j = lambda n: os.path.join(work, n)  # noqa: E731
    make_incremental(src, j('incremental.pdf'))
    make_empty_sigfield(src, j('empty-sigfield.pdf'))
    signer = _signer(pki)
    _sign(src, j('signed-pyhanko.pdf'), signer, 'Sig1')
    _sign(src, j('certified-p1.pdf'), signer, 'Sig1', certify=MDPPerm.NO_CHANGES)
    _sign(src, j('certified-p2.pdf'), signer, 'Sig1', certify=MDPPerm.FILL_FORMS,
          add_field='Signature2')
    make_startxref_off(src, j('startxref-off.pdf'))
    make_broken_xref(src, j('broken-xref.pdf'))
    data = _read(src)
    open(j('truncated.pdf'), 'wb').write(data[:len(data) // 2])


if __name__ == '__main__':
    if len(sys.argv) >= 3 and sys.argv[1] == 'base':
        cmd_base(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == 'derived':
        cmd_derived(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
