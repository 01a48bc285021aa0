#!/usr/bin/env python3
"""The sample document the desktop app's first run offers to try:
assets/samples/van-ban-mau.pdf (committed; run this again only to change it).

    .venv/bin/python scripts/make-sample-document.py assets/samples/van-ban-mau.pdf

A one-page decision (Quyết định) laid out as NĐ 30/2020 shows one: the agency and the
national motto, "Số:" and the date line, the body, and the signer's block — the title,
room for the signature, then the full name "Nguyễn Văn An", which the leader template finds
(the demo certificate of `make run` is his). Liberation Serif (assets/fonts) is embedded.
"""
import os
import sys

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'assets', 'fonts')

BODY = [
    'Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;',
    'Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;',
    'Xét đề nghị của Chánh Văn phòng Ủy ban nhân dân tỉnh,',
]
ARTICLES = [
    'Điều 1. Ban hành kèm theo Quyết định này Quy chế sử dụng chữ ký số trong cơ quan.',
    'Điều 2. Quyết định này có hiệu lực kể từ ngày ký.',
    'Điều 3. Chánh Văn phòng, Thủ trưởng các sở, ban, ngành và các cá nhân có liên quan',
    'chịu trách nhiệm thi hành Quyết định này./.',
]


def main(out):
    for name, fn in (('Serif', 'LiberationSerif-Regular.ttf'), ('Serif-Bold', 'LiberationSerif-Bold.ttf')):
        pdfmetrics.registerFont(TTFont(name, os.path.join(FONTS, fn)))
    w, h = A4
    c = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle('Văn bản mẫu — Quyết định ban hành Quy chế sử dụng chữ ký số')
    c.setAuthor('Kyso')
    c.setSubject('Tài liệu mẫu để thử ký số')

    c.setFont('Serif', 12)
    c.drawCentredString(w * 0.25, h - 60, 'ỦY BAN NHÂN DÂN')
    c.setFont('Serif-Bold', 12)
    c.drawCentredString(w * 0.25, h - 75, 'TỈNH QUẢNG NGÃI')
    c.line(w * 0.25 - 30, h - 80, w * 0.25 + 30, h - 80)
    c.setFont('Serif', 12)
    c.drawCentredString(w * 0.25, h - 98, 'Số:        /QĐ-UBND')
    c.setFont('Serif-Bold', 12)
    c.drawCentredString(w * 0.66, h - 60, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM')
    c.drawCentredString(w * 0.66, h - 75, 'Độc lập - Tự do - Hạnh phúc')
    c.line(w * 0.66 - 80, h - 80, w * 0.66 + 80, h - 80)
    c.setFont('Serif', 12)
    c.drawCentredString(w * 0.66, h - 98, 'Quảng Ngãi, ngày      tháng      năm 20   ')

    c.setFont('Serif-Bold', 14)
    c.drawCentredString(w / 2, h - 150, 'QUYẾT ĐỊNH')
    c.setFont('Serif-Bold', 12)
    c.drawCentredString(w / 2, h - 168, 'Ban hành Quy chế sử dụng chữ ký số')
    c.drawCentredString(w / 2, h - 200, 'CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI')

    y = h - 235
    c.setFont('Serif', 12)
    for line in BODY:
        c.drawString(70, y, line)
        y -= 20
    y -= 6
    c.setFont('Serif-Bold', 12)
    c.drawCentredString(w / 2, y, 'QUYẾT ĐỊNH:')
    y -= 26
    c.setFont('Serif', 12)
    for line in ARTICLES:
        c.drawString(70, y, line)
        y -= 20

    # The signer's block: the title, room for the signature image, the full name.
    c.setFont('Serif-Bold', 12)
    c.drawCentredString(w * 0.70, y - 40, 'CHỦ TỊCH')
    c.drawCentredString(w * 0.70, y - 150, 'Nguyễn Văn An')
    c.setFont('Serif-Bold', 11)
    c.drawString(70, y - 40, 'Nơi nhận:')
    c.setFont('Serif', 10)
    for i, line in enumerate(['- Như Điều 3;', '- Lưu: VT.']):
        c.drawString(70, y - 56 - 14 * i, line)
    c.showPage()
    c.save()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
