#!/usr/bin/env python3
"""FieldMDP (ISO 32000-2 §12.8.2.4, §12.7.5.5) test files for Kyso's verify tests, made and
judged with pyHanko.

    fieldmdp.py form OUT
        A one-page form with two empty text fields: `nguoi_ky.ho_ten` (a kid of the
        non-terminal field `nguoi_ky`, to have a fully qualified name) and `ghi_chu`. They
        have no appearance stream yet: pyHanko 0.38 takes an unchanged appearance stream
        written before the signed revision for an in-place update
        (`_allow_in_place_appearance_update` compares the stream's last change with the
        signed revision for equality), which, on a locked field, makes it refuse the filling
        of any other field.
    fieldmdp.py lock IN OUT --action all|include|exclude [--fields A,B] [--lock-p N]
                            [--malformed]
        Adds (incremental update) an empty visible signature field `Sig1` whose /Lock
        dictionary is the FieldMDP spec (and /P = N, PDF 2.0); nothing is signed.
        --malformed: the /Lock's /Action is /Frob (unreadable).
    fieldmdp.py sigfield IN OUT NAME
        Adds (incremental update) an empty visible signature field NAME, without a lock.
    fieldmdp.py sign IN OUT --p12 P12 --passfile FILE [--action ... --fields ... --lock-p N]
        Signs with pyHanko (PAdES). With --action, the signature field `Sig1` is created with
        that /Lock (pyHanko's SigFieldSpec(field_mdp_spec=FieldMDPSpec(...))), and pyHanko's
        signer writes the signature's /Reference [<< /TransformMethod /FieldMDP ... >>]
        from it. Without --action, signs the existing field `Sig1` (made by `lock`).
    fieldmdp.py fill IN OUT NAME VALUE
        An incremental update that fills the text field NAME (fully qualified): /V and a new
        normal appearance stream, as a form filler does.
    fieldmdp.py judge FILE --pki DIR
        pyHanko's verdict on every signature, as JSON: [{field, intact, valid, trusted,
        bottom_line, modification_level, docmdp_ok, docmdp_level, fieldmdp}], oldest first.
"""
import argparse
import json
import sys

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import fields

HELV = generic.DictionaryObject({
    pdf_name('/Type'): pdf_name('/Font'),
    pdf_name('/Subtype'): pdf_name('/Type1'),
    pdf_name('/BaseFont'): pdf_name('/Helvetica'),
    pdf_name('/Encoding'): pdf_name('/WinAnsiEncoding'),
})
DA = pdf_string('/Helv 11 Tf 0 g')


def rect(*xs):
    return generic.ArrayObject([generic.FloatObject(x) for x in xs])


def appearance(w, text, font, width=300, height=20):
    """A normal appearance stream (Form XObject) showing `text` in the font `font` (a ref)."""
    shown = text.encode('latin-1', 'replace')
    body = b'/Tx BMC q BT /Helv 11 Tf 0 g 2 6 Td (' + shown + b') Tj ET Q EMC' \
        if text else b'/Tx BMC EMC'
    stream = generic.StreamObject({
        pdf_name('/Type'): pdf_name('/XObject'),
        pdf_name('/Subtype'): pdf_name('/Form'),
        pdf_name('/BBox'): rect(0, 0, width, height),
        pdf_name('/Resources'): generic.DictionaryObject({
            pdf_name('/Font'): generic.DictionaryObject({pdf_name('/Helv'): font}),
        }),
    }, stream_data=body)
    return w.add_object(stream)


def make_form(out):
    w = PdfFileWriter()
    content = w.add_object(generic.StreamObject(
        stream_data=b'BT /F1 14 Tf 60 760 Td (PHIEU DANG KY) Tj ET '
                    b'BT /F1 11 Tf 60 705 Td (Ho va ten:) Tj ET '
                    b'BT /F1 11 Tf 60 665 Td (Ghi chu:) Tj ET'))
    helv = w.add_object(HELV)
    page = PageObject(contents=content, media_box=(0, 0, 595, 842),
                      resources=generic.DictionaryObject({
                          pdf_name('/Font'): generic.DictionaryObject({pdf_name('/F1'): helv})}))
    w.insert_page(page)
    page_ref = w.root['/Pages']['/Kids'].raw_get(0)

    def widget(extra, y):
        d = generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/Annot'),
            pdf_name('/Subtype'): pdf_name('/Widget'),
            pdf_name('/Rect'): rect(160, y, 460, y + 20),
            pdf_name('/F'): generic.NumberObject(4),
            pdf_name('/P'): page_ref,
            pdf_name('/DA'): DA,
        })
        d.update(extra)
        return d

    parent_ref = w.allocate_placeholder()
    ho_ten = w.add_object(widget({
        pdf_name('/T'): pdf_string('ho_ten'),
        pdf_name('/Parent'): parent_ref,
    }, 700))
    w.add_object(generic.DictionaryObject({
        pdf_name('/T'): pdf_string('nguoi_ky'),
        pdf_name('/FT'): pdf_name('/Tx'),
        pdf_name('/Kids'): generic.ArrayObject([ho_ten]),
    }), idnum=parent_ref.idnum)
    ghi_chu = w.add_object(widget({
        pdf_name('/T'): pdf_string('ghi_chu'),
        pdf_name('/FT'): pdf_name('/Tx'),
    }, 660))
    page_obj = page_ref.get_object()
    page_obj[pdf_name('/Annots')] = generic.ArrayObject([ho_ten, ghi_chu])
    w.root[pdf_name('/AcroForm')] = w.add_object(generic.DictionaryObject({
        pdf_name('/Fields'): generic.ArrayObject([parent_ref, ghi_chu]),
        pdf_name('/DA'): DA,
        pdf_name('/DR'): generic.DictionaryObject({
            pdf_name('/Font'): generic.DictionaryObject({pdf_name('/Helv'): helv})}),
    }))
    with open(out, 'wb') as f:
        w.write(f)


def field_spec(args):
    action = fields.FieldMDPAction[args.action.upper()]
    names = [n for n in (args.fields or '').split(',') if n] \
        if action != fields.FieldMDPAction.ALL else None
    return fields.SigFieldSpec(
        'Sig1', on_page=0, box=(160, 560, 360, 620),
        field_mdp_spec=fields.FieldMDPSpec(action, fields=names),
        doc_mdp_update_value=fields.MDPPerm(args.lock_p) if args.lock_p else None)


def add_lock(args):
    with open(args.input, 'rb') as f:
        w = IncrementalPdfFileWriter(f)
        fields.append_signature_field(w, field_spec(args))
        if args.malformed:
            # An /Action no reader knows: the lock cannot be read.
            sig_field = next(ref.get_object() for ref in w.root['/AcroForm']['/Fields']
                             if ref.get_object().get('/T') == 'Sig1')
            lock = sig_field['/Lock']
            lock[pdf_name('/Action')] = pdf_name('/Frob')
            w.update_container(lock)
        with open(args.output, 'wb') as out:
            w.write(out)


def add_sigfield(args):
    with open(args.input, 'rb') as f:
        w = IncrementalPdfFileWriter(f)
        fields.append_signature_field(
            w, fields.SigFieldSpec(args.name, on_page=0, box=(380, 560, 560, 620)))
        with open(args.output, 'wb') as out:
            w.write(out)


def sign(args):
    from pyhanko.sign import signers
    with open(args.passfile, 'rb') as p:
        password = p.read().strip()
    signer = signers.SimpleSigner.load_pkcs12(args.p12, passphrase=password)
    meta = signers.PdfSignatureMetadata(field_name='Sig1', subfilter=fields.SigSeedSubFilter.PADES)
    with open(args.input, 'rb') as f:
        w = IncrementalPdfFileWriter(f)
        pdf_signer = signers.PdfSigner(
            meta, signer, new_field_spec=field_spec(args) if args.action else None)
        with open(args.output, 'wb') as out:
            pdf_signer.sign_pdf(w, output=out)


def find_field(w, name):
    def walk(refs, prefix):
        for ref in refs:
            d = ref.get_object()
            partial = d.get('/T')
            full = prefix if partial is None else (f'{prefix}.{partial}' if prefix else str(partial))
            kids = [k for k in d.get('/Kids', []) if '/T' in k.get_object()]
            if full == name and not kids:
                return ref
            found = walk(kids, full)
            if found is not None:
                return found
        return None
    ref = walk(w.root['/AcroForm']['/Fields'], '')
    if ref is None:
        sys.exit(f'no field {name}')
    return ref


def fill(args):
    with open(args.input, 'rb') as f:
        w = IncrementalPdfFileWriter(f)
        ref = find_field(w, args.name)
        field = ref.get_object()
        field[pdf_name('/V')] = pdf_string(args.value)
        font = w.root['/AcroForm']['/DR']['/Font'].raw_get('/Helv')
        field[pdf_name('/AP')] = generic.DictionaryObject(
            {pdf_name('/N'): appearance(w, args.value, font)})
        w.update_container(field)
        with open(args.output, 'wb') as out:
            w.write(out)


def judge(args):
    import logging
    import os

    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = load_cert_from_pemder(os.path.join(args.pki, 'root.pem'))
    inter = load_cert_from_pemder(os.path.join(args.pki, 'inter.pem'))
    # pyHanko logs why a diff fails (with a traceback); the verdict is in the JSON.
    logging.disable(logging.CRITICAL)
    out = []
    with open(args.file, 'rb') as f:
        reader = PdfFileReader(f)
        sigs = sorted(reader.embedded_signatures,
                      key=lambda s: s.byte_range[-2] + s.byte_range[-1])
        for s in sigs:
            vc = ValidationContext(trust_roots=[root], other_certs=[inter], allow_fetching=False)
            st = validate_pdf_signature(s, signer_validation_context=vc)
            mdp = s.fieldmdp
            out.append({
                'field': s.field_name,
                'intact': bool(st.intact),
                'valid': bool(st.valid),
                'trusted': bool(st.trusted),
                'bottom_line': bool(st.bottom_line),
                'modification_level': st.modification_level.name
                if st.modification_level is not None else None,
                'docmdp_ok': st.docmdp_ok,
                'docmdp_level': s.docmdp_level.value if s.docmdp_level is not None else None,
                'fieldmdp': None if mdp is None else {
                    'action': mdp.action.name, 'fields': list(mdp.fields or [])},
            })
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('form')
    s.add_argument('output')
    for name in ('lock', 'sign'):
        s = sub.add_parser(name)
        s.add_argument('input')
        s.add_argument('output')
        s.add_argument('--action', choices=['all', 'include', 'exclude'],
                       required=name == 'lock')
        s.add_argument('--fields')
        s.add_argument('--lock-p', type=int, choices=[1, 2, 3])
        if name == 'lock':
            s.add_argument('--malformed', action='store_true')
        if name == 'sign':
            s.add_argument('--p12', required=True)
            s.add_argument('--passfile', required=True)
    s = sub.add_parser('sigfield')
    s.add_argument('input')
    s.add_argument('output')
    s.add_argument('name')
    s = sub.add_parser('fill')
    s.add_argument('input')
    s.add_argument('output')
    s.add_argument('name')
    s.add_argument('value')
    s = sub.add_parser('judge')
    s.add_argument('file')
    s.add_argument('--pki', required=True)
    args = p.parse_args()
    {'form': lambda: make_form(args.output), 'lock': lambda: add_lock(args),
     'sigfield': lambda: add_sigfield(args), 'sign': lambda: sign(args),
     'fill': lambda: fill(args),
     'judge': lambda: judge(args)}[args.cmd]()


if __name__ == '__main__':
    main()
