#!/usr/bin/env python3
"""Append an incremental update to a signed PDF, for Kyso's verify tests.

    modify.py page-content|annotation IN OUT

page-content  replaces the first page's /Contents with a new stream ("Forged").
annotation    adds a /Text annotation to the first page's /Annots.
"""
import sys

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter


def main():
    mode, src, dst = sys.argv[1:4]
    with open(src, 'rb') as f:
        w = IncrementalPdfFileWriter(f, strict=False)
        page_ref, _ = w.find_page_for_modification(0)
        page = page_ref.get_object()
        if mode == 'page-content':
            stream = generic.StreamObject(stream_data=b'BT /F1 24 Tf 100 100 Td (Forged) Tj ET')
            page['/Contents'] = w.add_object(stream)
        elif mode == 'annotation':
            annot = generic.DictionaryObject({
                generic.NameObject('/Type'): generic.NameObject('/Annot'),
                generic.NameObject('/Subtype'): generic.NameObject('/Text'),
                generic.NameObject('/Rect'): generic.ArrayObject(
                    [generic.NumberObject(x) for x in (50, 50, 80, 80)]),
                generic.NameObject('/Contents'): generic.TextStringObject('ghi chú'),
            })
            ref = w.add_object(annot)
            existing = page.get('/Annots')
            items = list(existing) if existing is not None else []
            page['/Annots'] = generic.ArrayObject(items + [ref])
        else:
            sys.exit(f'unknown mode {mode}')
        w.update_container(page)
        with open(dst, 'wb') as out:
            w.write(out)


if __name__ == '__main__':
    main()
