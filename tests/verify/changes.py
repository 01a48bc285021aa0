#!/usr/bin/env python3
"""Change analysis test files for Kyso's verify tests (what changed in the incremental
updates after a signature: permitted or "altered"), made with pyHanko's API and judged by
pyHanko.

    changes.py CASE OUTDIR [--tsa URL] [--pki DIR] [--input PDF]
        Writes OUTDIR/CASE.pdf and, for some cases, variants OUTDIR/CASE-VARIANT.pdf; prints
        the path of every file written, one per line. Every signature is pyHanko's (PAdES,
        --pki's signer-modern.p12; default PKI: target/test-data/pki), signing times are
        the current time; document timestamps come from the TSA at URL (tests/tsa/), and
        only `lta` and `dss` need one. --input (lta, dss only) replaces the generated
        one-page document the case starts from. Every field has a fixed name: signatures
        Sig1, Sig2, document timestamps DocTS1, DocTS2, DocTS3.
    changes.py all OUTDIR --tsa URL [--pki DIR]
        Every case.
    changes.py judge FILE [--pki DIR]
        pyHanko's verdict on every signature and document timestamp, as JSON: [{field,
        doc_timestamp, intact, valid, trusted, bottom_line, modification_level, docmdp_ok,
        docmdp_level, fieldmdp, diff_error}], oldest first. diff_error is pyHanko's reason
        when its difference analysis rejects the later updates (else null). pyHanko's
        status of a document timestamp has no docmdp_ok and no bottom_line: they are
        computed here as pyHanko does for a signature (docmdp_ok: the modification level
        is not OTHER, nor above the DocMDP level; bottom_line: intact, valid, trusted
        and not docmdp_ok = false).

Cases that must stay permitted (pyHanko accepts them, but for dss-indirect.pdf's DocTS2):

    lta             lta-round1.pdf: Sig1 signed PAdES B-LTA (signature timestamp, DSS,
                    document timestamp DocTS1 and the DSS update after it: pyHanko's
                    `addsig --use-pades-lta --with-validation-info`); lta.pdf: then an LTA
                    update (DSS updated with DocTS1's validation data, timestamp DocTS2:
                    pyHanko's `ltaupdate`).
    dss             Sig1 (PAdES) and DocTS1 (no DSS), then updates made here, with document
                    timestamps between them, so that some of them change a DSS that a
                    timestamp covers:
                    dss-notype.pdf: a DSS dictionary without /Type (/Certs: signer, inter),
                      DocTS2, then an update adding /OCSPs to it (still without /Type);
                    dss-indirect.pdf: a DSS whose /Certs /CRLs /OCSPs are indirect array
                      objects (the signer's certificate, inter's CRL, an OCSP response for
                      the signer), DocTS2, then an update that appends to those arrays
                      (inter's certificate, root's CRL, an OCSP response for inter),
                      rewriting the array objects in place (same object numbers), DocTS3.
                      pyHanko 0.38 refuses it for DocTS2 ("unexplained xrefs": the new
                      streams): its DSS rule collects the new objects with
                      collect_dependencies(since_revision=...), which does not descend into
                      objects older than the signed revision, such as these arrays);
                    dss-indirect-uncovered.pdf: the same two updates, no DocTS2 between
                      them (so no timestamp covers the arrays before they grow), DocTS2;
                    dss-vri.pdf: a /Type /DSS with /VRI entries for Sig1 and DocTS1 (key:
                      the SHA-1 of the signature's /Contents, 40 upper-case hex digits;
                      value << /Cert [...] >>, one with /Type /VRI), DocTS2, then a DSS
                      update adding DocTS2's /VRI entry.
    existing-field  Two empty signature fields Sig1 and Sig2 added (pyHanko's `addfields`) to
                    an unsigned document; Sig1 signed, then the existing field Sig2 signed:
                    the later signer sets the widget's /AP and /V.
    indirect-lists  A document whose page /Annots and AcroForm /Fields are indirect array
                    objects (with a text field `Name` and its widget). indirect-lists.pdf:
                    signed in a new field Sig1, then in a new field Sig2 (pyHanko updates
                    the arrays in place). indirect-lists-kids.pdf: Sig1, then Sig2 in a new
                    field made here: a field dictionary without /Subtype whose /Kids holds
                    one widget without /T; the widget added to /Annots, the field to
                    /Fields.
    reuse-ap        An empty signature field Sig2 (in the unsigned document) whose widget's
                    /AP /N is a stream object nothing else refers to. Sig1 is signed in a
                    new field; then Sig2 is signed, and its revision rewrites that stream
                    object in place (same object number, a drawing of the signature).
                    reuse-ap-dict.pdf: the widget's /AP is an indirect dictionary (also
                    referred to by nothing else), rewritten in place with /N a new stream.
    extensions      The catalog's /Extensions is an indirect dictionary (<< /ADBE ... >>).
                    extensions.pdf: Sig1's revision does not touch it (Sig1 made with
                    PdfCMSEmbedder, which registers no extension), then Sig2 (PdfSigner,
                    PAdES) makes pyHanko add /ESIC to that dictionary, in place.
                    extensions-sha3.pdf: Sig1 by PdfSigner (pyHanko adds /ESIC in the
                    signed revision), then Sig2 hashed with SHA3-256 (and so RSASSA-PSS):
                    pyHanko adds the ISO 32001 extension (/ISO_) to the dictionary in place
                    and sets the catalog's /Version to /2.0.

Cases that must be reported as altered (pyHanko is expected to refuse them too):

    shadow-ap-dict       Sig2's widget's /AP is an indirect dictionary A that a /Square
                         annotation on the page also uses as its /AP. Sig1, then Sig2's
                         revision rewrites A in place: /N a new stream (a red square), which
                         the square annotation now shows too.
    shadow-ap-stream     Sig2's widget's /AP /N stream S is also the page's XObject /Fm0,
                         drawn by the page's content. Sig1, then Sig2's revision rewrites S
                         in place (red rectangle, "FORGED"): the signed page changes.
    shadow-trailer       The page draws the XObject S. After Sig1, an update points the
                         trailer's /Info at S and rewrites S in place. shadow-trailer.pdf: a
                         plain incremental update; shadow-trailer-sig.pdf: in Sig2's
                         revision (new field).
    sneaky-page-content  Sig1, then Sig2 in a new field whose widget's /AP /N is the page's
                         content stream, which that revision rewrites in place ("FORGED").
    dangling             The page's /Resources /XObject /Im0 is a reference to an object
                         that does not exist (the content draws it), Sig1 signed. Then the
                         object is defined: dangling.pdf: as a red image in a plain
                         incremental update; dangling-sig.pdf: as a Form XObject (a red
                         square) in Sig2's revision (new field).
"""
import argparse
import asyncio
import hashlib
import io
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import fields

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PKI = os.path.join(REPO, 'target', 'test-data', 'pki')
MD = 'sha256'

HELV = generic.DictionaryObject({
    pdf_name('/Type'): pdf_name('/Font'),
    pdf_name('/Subtype'): pdf_name('/Type1'),
    pdf_name('/BaseFont'): pdf_name('/Helvetica'),
    pdf_name('/Encoding'): pdf_name('/WinAnsiEncoding'),
})
TEXT = b'BT /F1 14 Tf 60 760 Td (HOP DONG MUA BAN) Tj ET ' \
       b'BT /F1 11 Tf 60 730 Td (Ben A va ben B dong y cac dieu khoan sau.) Tj ET'
SIG1_BOX = (60, 80, 260, 140)     # where new fields go
SIG2_BOX = (320, 80, 520, 140)
RED_SQUARE = b'q 1 0 0 rg 0 0 200 60 re f Q'
FORGED = b'q 1 0 0 rg 0 0 200 60 re f Q BT /F1 24 Tf 1 g 30 20 Td (FORGED) Tj ET'


# --- PDF objects --------------------------------------------------------------------------

def num_array(*xs):
    return generic.ArrayObject([generic.FloatObject(x) for x in xs])


def font_resources(font):
    """/Resources naming `font` (a reference to HELV) /F1."""
    return generic.DictionaryObject({
        pdf_name('/Font'): generic.DictionaryObject({pdf_name('/F1'): font})})


def form_xobject(body, font, width=200, height=60):
    """A Form XObject (usable as an appearance stream) drawing `body`."""
    return generic.StreamObject({
        pdf_name('/Type'): pdf_name('/XObject'),
        pdf_name('/Subtype'): pdf_name('/Form'),
        pdf_name('/BBox'): num_array(0, 0, width, height),
        pdf_name('/Resources'): font_resources(font),
    }, stream_data=body)


def sig_field(name, page_ref, box, ap=None):
    """An empty signature field merged with its widget (as pyHanko makes them)."""
    d = generic.DictionaryObject({
        pdf_name('/FT'): pdf_name('/Sig'),
        pdf_name('/T'): pdf_string(name),
        pdf_name('/Type'): pdf_name('/Annot'),
        pdf_name('/Subtype'): pdf_name('/Widget'),
        pdf_name('/F'): generic.NumberObject(4),
        pdf_name('/Rect'): num_array(*box),
        pdf_name('/P'): page_ref,
    })
    if ap is not None:
        d[pdf_name('/AP')] = ap
    return d


def rewrite(w, ref, obj):
    """Rewrite the object `ref` in place in `w`'s update (same object number, new value).
    The writer's object table is keyed (generation, number); pyHanko's own mark_update
    stores the current value the same way."""
    w.objects[(ref.generation, ref.idnum)] = obj


def page_ref_of(w):
    return w.root['/Pages']['/Kids'].raw_get(0)


def append_annot(w, annot_ref):
    """Add `annot_ref` to page 1's /Annots; an indirect /Annots array is updated in place."""
    page_ref = page_ref_of(w)
    page = page_ref.get_object()
    if '/Annots' in page:
        annots = page['/Annots']
        annots.append(annot_ref)
        w.update_container(annots)  # the array object itself, or the page holding it
    else:
        page[pdf_name('/Annots')] = generic.ArrayObject([annot_ref])
        w.update_container(page)


def append_field(w, field_ref):
    """Add `field_ref` to the AcroForm's /Fields (in place when /Fields is indirect)."""
    form = w.root['/AcroForm']
    fields_arr = form['/Fields']
    fields_arr.append(field_ref)
    w.update_container(fields_arr)


class Base:
    """The unsigned one-page document a case starts from (pyHanko's PdfFileWriter)."""

    def __init__(self, content=b'', xobjects=None):
        self.w = w = PdfFileWriter()
        self.font = w.add_object(HELV)
        resources = font_resources(self.font)
        if xobjects:
            resources[pdf_name('/XObject')] = generic.DictionaryObject(
                {pdf_name(k): v for k, v in xobjects.items()})
        self.content = w.add_object(generic.StreamObject(stream_data=TEXT + b' ' + content))
        w.insert_page(PageObject(contents=self.content, media_box=(0, 0, 595, 842),
                                 resources=resources))
        self.page_ref = page_ref_of(w)
        self.page = self.page_ref.get_object()

    def acroform(self, fields_indirect=False):
        fields_arr = generic.ArrayObject()
        self.w.root[pdf_name('/AcroForm')] = self.w.add_object(generic.DictionaryObject({
            pdf_name('/Fields'): self.w.add_object(fields_arr) if fields_indirect
            else fields_arr,
        }))

    def add_annot(self, annot):
        ref = self.w.add_object(annot)
        if '/Annots' not in self.page:
            self.page[pdf_name('/Annots')] = generic.ArrayObject()
        self.page['/Annots'].append(ref)  # also when /Annots is an indirect array
        return ref

    def add_field(self, field):
        """A field merged with its widget: in /Fields and on the page."""
        ref = self.add_annot(field)
        self.w.root['/AcroForm']['/Fields'].append(ref)
        return ref

    def bytes(self):
        out = io.BytesIO()
        self.w.write(out)
        return out.getvalue()


def update(data, edit):
    """A plain incremental update of `data`: `edit(writer)`, then write."""
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    edit(w)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


# --- signing ------------------------------------------------------------------------------

class Pki:
    def __init__(self, pki_dir):
        from pyhanko.keys import load_cert_from_pemder
        self.dir = pki_dir
        self.root = load_cert_from_pemder(os.path.join(pki_dir, 'root.pem'))
        self.inter = load_cert_from_pemder(os.path.join(pki_dir, 'inter.pem'))
        self.signer_cert = load_cert_from_pemder(os.path.join(pki_dir, 'signer.pem'))
        self._signers = {}

    def signer(self, pss=False):
        """signer-modern.p12; pss: RSASSA-PSS (else PKCS #1 v1.5)."""
        if pss not in self._signers:
            from pyhanko.sign import signers
            with open(os.path.join(self.dir, 'p12-password.txt'), 'rb') as p:
                password = p.read().strip()
            self._signers[pss] = signers.SimpleSigner.load_pkcs12(
                os.path.join(self.dir, 'signer-modern.p12'), passphrase=password,
                prefer_pss=pss)
        return self._signers[pss]

    def vc(self):
        """Trust the test root only, no fetching (the test PKI names no CRL/OCSP URL, and
        pyHanko's default soft-fail revocation mode accepts that)."""
        from pyhanko_certvalidator import ValidationContext
        return ValidationContext(trust_roots=[self.root], other_certs=[self.inter],
                                 allow_fetching=False)


def pyhanko_sign(pki, data, field, box=None, tsa=None, lta=False, md=MD, pss=False):
    """pyHanko's PdfSigner: PAdES, in the existing empty field `field`, or in a new one at
    `box`. tsa: a signature timestamp; lta: PAdES B-LTA (DSS, DocTS1, DSS update); md, pss:
    the digest and RSASSA-PSS."""
    from pyhanko.sign import signers, timestamps
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm=md,
        use_pades_lta=lta, embed_validation_info=lta,
        validation_context=pki.vc() if lta else None,
        timestamp_field_name='DocTS1' if lta else None)
    new_field = fields.SigFieldSpec(field, on_page=0, box=box) if box else None
    signer = signers.PdfSigner(meta, pki.signer(pss), new_field_spec=new_field,
                               timestamper=timestamps.HTTPTimeStamper(tsa) if tsa else None)
    out = io.BytesIO()
    signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), output=out)
    return out.getvalue()


def embed_sign(pki, data, field, edit=None, box=None):
    """A PAdES signature by pyHanko's low-level PdfCMSEmbedder, which lets this revision
    carry more than the signature: `edit(writer)` runs first (it may make the field `field`
    itself); the field, existing or new (at `box`), gets no new appearance."""
    from pyhanko.sign.signers import SignatureObject
    from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    if edit is not None:
        edit(w)
    new_field = fields.SigFieldSpec(field, on_page=0, box=box) if box else None
    cms_writer = PdfCMSEmbedder(new_field_spec=new_field).write_cms(field_name=field, writer=w)
    next(cms_writer)  # the field
    cms_writer.send(SigObjSetup(sig_placeholder=SignatureObject(
        timestamp=datetime.now(timezone.utc), subfilter=fields.SigSeedSubFilter.PADES,
        bytes_reserved=16384)))
    out = io.BytesIO()
    prep_digest, _ = cms_writer.send(SigIOSetup(md_algorithm=MD, output=out))
    cms = asyncio.run(pki.signer().async_sign(prep_digest.document_digest, MD, use_pades=True))
    cms_writer.send(cms)
    return out.getvalue()


def doc_timestamp(pki, data, field, tsa, dss=False):
    """A document timestamp by pyHanko's PdfTimeStamper; dss: also its DSS update (the
    TSA's chain, after the timestamp), as `pyhanko sign timestamp` does."""
    from pyhanko.sign import signers, timestamps
    stamper = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(tsa), field_name=field)
    out = io.BytesIO()
    stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), MD,
                          validation_context=pki.vc() if dss else None, output=out)
    return out.getvalue()


# --- permitted cases ----------------------------------------------------------------------

def case_lta(ctx):
    base = ctx.input_or(Base().bytes)
    round1 = pyhanko_sign(ctx.pki, base, 'Sig1', box=SIG1_BOX, tsa=ctx.need_tsa(), lta=True)
    ctx.write('lta-round1', round1)
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers, timestamps
    stamper = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(ctx.tsa), field_name='DocTS2')
    out = io.BytesIO()
    stamper.update_archival_timestamp_chain(PdfFileReader(io.BytesIO(round1)), ctx.pki.vc(),
                                            in_place=False, output=out)
    ctx.write('lta', out.getvalue())


def dss_streams(w, objs):
    """DER objects as DSS streams (indirect), in `w`."""
    return [w.add_object(generic.StreamObject(stream_data=o)) for o in objs]


def revocation_data(pki):
    """Revocation data for the test PKI, made here (it has no CRL or OCSP responder): the
    CRLs of the intermediate and root CAs (empty) and `good` OCSP responses for the signer
    (by the intermediate CA) and the intermediate CA (by the root), DER; dated from the
    certificates, so deterministic."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    def load(name):
        with open(os.path.join(pki.dir, name + '.key'), 'rb') as f:
            return serialization.load_pem_private_key(f.read(), password=None)
    root, inter, signer = (x509.load_der_x509_certificate(c.dump())
                           for c in (pki.root, pki.inter, pki.signer_cert))
    keys = {'root': load('root'), 'inter': load('inter')}
    t0 = signer.not_valid_before_utc + timedelta(minutes=5)
    der = serialization.Encoding.DER

    def crl(issuer, key):
        return (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
                .last_update(t0).next_update(t0 + timedelta(days=30))
                .sign(keys[key], hashes.SHA256()).public_bytes(der))

    def good(cert, issuer, key):
        return (ocsp.OCSPResponseBuilder()
                .add_response(cert=cert, issuer=issuer, algorithm=hashes.SHA1(),
                              cert_status=ocsp.OCSPCertStatus.GOOD, this_update=t0,
                              next_update=t0 + timedelta(days=7), revocation_time=None,
                              revocation_reason=None)
                .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
                .sign(keys[key], hashes.SHA256()).public_bytes(der))
    return {'crls': [crl(inter, 'inter'), crl(root, 'root')],
            'ocsps': [good(signer, inter, 'inter'), good(inter, root, 'root')]}


def vri_key(data, field):
    """The /VRI key of the signature in `field`: SHA-1 of its /Contents (with padding)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    reader = PdfFileReader(io.BytesIO(data))
    sig = next(s for s in reader.embedded_signatures if s.field_name == field)
    return pdf_name('/' + hashlib.sha1(bytes(sig.sig_object['/Contents'])).hexdigest().upper())


def case_dss(ctx):
    pki, tsa = ctx.pki, ctx.need_tsa()
    signed = pyhanko_sign(pki, ctx.input_or(Base().bytes), 'Sig1', box=SIG1_BOX)
    stamped = doc_timestamp(pki, signed, 'DocTS1', tsa)
    signer_der, inter_der = pki.signer_cert.dump(), pki.inter.dump()
    rev = revocation_data(pki)

    def set_dss(w, dss):
        w.root[pdf_name('/DSS')] = w.add_object(dss)
        w.update_root()

    # (a) no /Type (optional, ISO 32000-2 Table 260; pyHanko never writes it either), then
    # after DocTS2 /OCSPs added to it.
    def no_type(w):
        set_dss(w, generic.DictionaryObject({
            pdf_name('/Certs'): generic.ArrayObject(dss_streams(w, [signer_der, inter_der]))}))

    def add_ocsps(w):
        dss = w.root['/DSS']
        dss[pdf_name('/OCSPs')] = generic.ArrayObject(dss_streams(w, rev['ocsps']))
        w.update_container(dss)
    data = doc_timestamp(pki, update(stamped, no_type), 'DocTS2', tsa)
    ctx.write('dss-notype', update(data, add_ocsps))

    # (b) indirect arrays, then (after DocTS2) appended to in place, then DocTS3.
    def indirect(w):
        arrays = {}
        for key, objs in (('/Certs', [signer_der]), ('/CRLs', rev['crls'][:1]),
                          ('/OCSPs', rev['ocsps'][:1])):
            arrays[pdf_name(key)] = w.add_object(generic.ArrayObject(dss_streams(w, objs)))
        set_dss(w, generic.DictionaryObject({pdf_name('/Type'): pdf_name('/DSS'), **arrays}))

    def append(w):
        dss = w.root['/DSS']
        for key, objs in (('/Certs', [inter_der]), ('/CRLs', rev['crls'][1:]),
                          ('/OCSPs', rev['ocsps'][1:])):
            ref = dss.raw_get(key)
            assert isinstance(ref, generic.IndirectObject), key
            rewrite(w, ref, generic.ArrayObject(list(ref.get_object()) + dss_streams(w, objs)))
    data = doc_timestamp(pki, update(stamped, indirect), 'DocTS2', tsa)
    ctx.write('dss-indirect', doc_timestamp(pki, update(data, append), 'DocTS3', tsa))
    # The same two updates with no timestamp between them.
    data = update(update(stamped, indirect), append)
    ctx.write('dss-indirect-uncovered', doc_timestamp(pki, data, 'DocTS2', tsa))

    # (c) /VRI entries for Sig1 and DocTS1, then (after DocTS2) for DocTS2.
    def vri(w):
        signer, inter = dss_streams(w, [signer_der, inter_der])
        set_dss(w, generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/DSS'),
            pdf_name('/Certs'): generic.ArrayObject([signer, inter]),
            pdf_name('/VRI'): generic.DictionaryObject({
                vri_key(stamped, 'Sig1'): w.add_object(generic.DictionaryObject({
                    pdf_name('/Type'): pdf_name('/VRI'),
                    pdf_name('/Cert'): generic.ArrayObject([signer, inter]),
                })),
                vri_key(stamped, 'DocTS1'): generic.DictionaryObject({
                    pdf_name('/Cert'): generic.ArrayObject([inter]),
                }),
            }),
        }))
    with_vri = doc_timestamp(pki, update(stamped, vri), 'DocTS2', tsa)

    def vri_ts2(w):
        dss = w.root['/DSS']
        dss['/VRI'][vri_key(with_vri, 'DocTS2')] = generic.DictionaryObject({
            pdf_name('/Cert'): generic.ArrayObject([dss['/Certs'].raw_get(1)])})
        w.update_container(dss)
    ctx.write('dss-vri', update(with_vri, vri_ts2))


def case_existing_field(ctx):
    pki = ctx.pki

    def add_fields(w):  # pyhanko sign addfields --field 1/…/Sig1 --field 1/…/Sig2
        for name, box in (('Sig1', SIG1_BOX), ('Sig2', SIG2_BOX)):
            fields.append_signature_field(w, fields.SigFieldSpec(name, on_page=0, box=box))
    data = update(Base().bytes(), add_fields)
    data = pyhanko_sign(pki, data, 'Sig1')
    ctx.write('existing-field', pyhanko_sign(pki, data, 'Sig2'))


def indirect_lists_base():
    """Page /Annots and AcroForm /Fields as indirect arrays, a text field `Name`."""
    b = Base()
    b.acroform(fields_indirect=True)
    b.page[pdf_name('/Annots')] = b.w.add_object(generic.ArrayObject())
    b.add_field(generic.DictionaryObject({
        pdf_name('/FT'): pdf_name('/Tx'),
        pdf_name('/T'): pdf_string('Name'),
        pdf_name('/V'): pdf_string('Nguyen Van An'),
        pdf_name('/DA'): pdf_string('/F1 11 Tf 0 g'),
        pdf_name('/Type'): pdf_name('/Annot'),
        pdf_name('/Subtype'): pdf_name('/Widget'),
        pdf_name('/F'): generic.NumberObject(4),
        pdf_name('/Rect'): num_array(60, 680, 360, 700),
        pdf_name('/P'): b.page_ref,
        pdf_name('/AP'): generic.DictionaryObject({pdf_name('/N'): b.w.add_object(
            form_xobject(b'/Tx BMC BT /F1 11 Tf 0 g 2 6 Td (Nguyen Van An) Tj ET EMC',
                         b.font, 300, 20))}),
    }))
    return b.bytes()


def case_indirect_lists(ctx):
    pki = ctx.pki
    signed = pyhanko_sign(pki, indirect_lists_base(), 'Sig1', box=SIG1_BOX)
    ctx.write('indirect-lists', pyhanko_sign(pki, signed, 'Sig2', box=SIG2_BOX))

    def kid_field(w):
        # The field: no /Subtype, its one widget in /Kids (no /T, /Parent the field).
        field_ref = w.allocate_placeholder()
        kid = w.add_object(generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/Annot'),
            pdf_name('/Subtype'): pdf_name('/Widget'),
            pdf_name('/F'): generic.NumberObject(4),
            pdf_name('/Rect'): num_array(*SIG2_BOX),
            pdf_name('/P'): page_ref_of(w),
            pdf_name('/Parent'): field_ref,
        }))
        w.add_object(generic.DictionaryObject({
            pdf_name('/FT'): pdf_name('/Sig'),
            pdf_name('/T'): pdf_string('Sig2'),
            pdf_name('/Kids'): generic.ArrayObject([kid]),
        }), idnum=field_ref.idnum)
        append_annot(w, kid)
        append_field(w, field_ref)
    ctx.write('indirect-lists-kids', embed_sign(pki, signed, 'Sig2', edit=kid_field))


def ap_base(ap_indirect, shared=None):
    """An unsigned document with an empty signature field Sig2 whose /AP /N is a stream
    object (a grey box); ap_indirect: the /AP dictionary is an indirect object.
    shared: 'square' (a /Square annotation with the same indirect /AP) or 'page' (the
    stream is also the page's XObject /Fm0, drawn by the page's content).
    Returns (bytes, ref of the /AP dictionary or None, ref of the stream)."""
    b = Base(content=b'q 1 0 0 1 100 500 cm /Fm0 Do Q' if shared == 'page' else b'')
    b.acroform()
    stream = b.w.add_object(form_xobject(b'q 0.9 g 0 0 200 60 re f Q', b.font))
    if shared == 'page':
        b.page['/Resources'][pdf_name('/XObject')] = generic.DictionaryObject(
            {pdf_name('/Fm0'): stream})
    ap = generic.DictionaryObject({pdf_name('/N'): stream})
    ap_ref = b.w.add_object(ap) if ap_indirect else None
    b.add_field(sig_field('Sig2', b.page_ref, SIG2_BOX, ap=ap_ref or ap))
    if shared == 'square':
        b.add_annot(generic.DictionaryObject({
            pdf_name('/Type'): pdf_name('/Annot'),
            pdf_name('/Subtype'): pdf_name('/Square'),
            pdf_name('/Rect'): num_array(320, 400, 520, 460),
            pdf_name('/F'): generic.NumberObject(4),
            pdf_name('/AP'): ap_ref,
        }))
    return b.bytes(), ap_ref, stream


def font_of(w):
    return w.root['/Pages']['/Kids'][0]['/Resources']['/Font'].raw_get('/F1')


def sign_rewriting_ap(pki, data, ap_ref, stream_ref, body):
    """Sig1 in a new field, then Sig2 (existing field) whose revision rewrites the
    appearance: the /AP dictionary ap_ref (/N a new stream drawing `body`) when given,
    else the stream stream_ref (new content `body`), in place."""
    signed = pyhanko_sign(pki, data, 'Sig1', box=SIG1_BOX)

    def edit(w):
        if ap_ref is not None:
            rewrite(w, ap_ref, generic.DictionaryObject(
                {pdf_name('/N'): w.add_object(form_xobject(body, font_of(w)))}))
        else:
            rewrite(w, stream_ref, form_xobject(body, font_of(w)))
    return embed_sign(pki, signed, 'Sig2', edit=edit)


SIGNED_AP = b'q 0.9 g 0 0 200 60 re f Q BT /F1 11 Tf 0 g 10 25 Td (Signed: Sig2) Tj ET'


def case_reuse_ap(ctx):
    data, _, stream = ap_base(ap_indirect=False)
    ctx.write('reuse-ap', sign_rewriting_ap(ctx.pki, data, None, stream, SIGNED_AP))
    data, ap_ref, stream = ap_base(ap_indirect=True)
    ctx.write('reuse-ap-dict', sign_rewriting_ap(ctx.pki, data, ap_ref, stream, SIGNED_AP))


def case_extensions(ctx):
    pki = ctx.pki
    b = Base()
    b.w.root[pdf_name('/Extensions')] = b.w.add_object(generic.DictionaryObject({
        pdf_name('/ADBE'): generic.DictionaryObject({
            pdf_name('/BaseVersion'): pdf_name('/1.7'),
            pdf_name('/ExtensionLevel'): generic.NumberObject(8),
        })}))
    base = b.bytes()
    # PdfCMSEmbedder registers no extension (PdfSigner adds /ESIC for PAdES).
    signed = embed_sign(pki, base, 'Sig1', box=SIG1_BOX)
    ctx.write('extensions', pyhanko_sign(pki, signed, 'Sig2', box=SIG2_BOX))
    # SHA3-256 needs RSASSA-PSS in pyHanko (asn1crypto knows no PKCS #1 v1.5 SHA-3 OID).
    signed = pyhanko_sign(pki, base, 'Sig1', box=SIG1_BOX)
    ctx.write('extensions-sha3', pyhanko_sign(pki, signed, 'Sig2', box=SIG2_BOX,
                                              md='sha3_256', pss=True))


# --- attacks ------------------------------------------------------------------------------

def case_shadow_ap_dict(ctx):
    data, ap_ref, stream = ap_base(ap_indirect=True, shared='square')
    ctx.write('shadow-ap-dict', sign_rewriting_ap(ctx.pki, data, ap_ref, stream, RED_SQUARE))


def case_shadow_ap_stream(ctx):
    data, _, stream = ap_base(ap_indirect=False, shared='page')
    ctx.write('shadow-ap-stream', sign_rewriting_ap(ctx.pki, data, None, stream, FORGED))


def xobject_base():
    """The page draws the Form XObject /Fm0. Returns (bytes, ref of the XObject)."""
    b = Base(content=b'q 1 0 0 1 100 500 cm /Fm0 Do Q')
    fm0 = b.w.add_object(form_xobject(b'q 0 0 1 rg 0 0 200 60 re f Q', b.font))
    b.page['/Resources'][pdf_name('/XObject')] = generic.DictionaryObject(
        {pdf_name('/Fm0'): fm0})
    return b.bytes(), fm0


def case_shadow_trailer(ctx):
    pki = ctx.pki
    data, fm0 = xobject_base()
    signed = pyhanko_sign(pki, data, 'Sig1', box=SIG1_BOX)

    def edit(w):
        rewrite(w, fm0, form_xobject(FORGED, font_of(w)))
        # /Info = the XObject: pyHanko then writes /Producer and /ModDate into it too.
        w.set_info(generic.IndirectObject(fm0.idnum, fm0.generation, w))
    ctx.write('shadow-trailer', update(signed, edit))
    ctx.write('shadow-trailer-sig', embed_sign(pki, signed, 'Sig2', edit=edit, box=SIG2_BOX))


def case_sneaky_page_content(ctx):
    pki = ctx.pki
    b = Base()
    b.acroform()
    content = b.content
    signed = pyhanko_sign(pki, b.bytes(), 'Sig1', box=SIG1_BOX)

    def edit(w):
        # The page's content stream object, now also a Form XObject, draws "FORGED".
        rewrite(w, content, form_xobject(TEXT + b' q 1 0 0 1 100 500 cm ' + FORGED + b' Q',
                                         font_of(w), 595, 842))
        field = w.add_object(sig_field('Sig2', page_ref_of(w), SIG2_BOX,
                                       ap=generic.DictionaryObject({pdf_name('/N'): content})))
        append_annot(w, field)
        append_field(w, field)
    ctx.write('sneaky-page-content', embed_sign(pki, signed, 'Sig2', edit=edit))


def case_dangling(ctx):
    pki = ctx.pki
    b = Base(content=b'q 100 0 0 100 50 50 cm /Im0 Do Q')
    # A number allocated but never filled: the base's xref has no entry for it.
    missing = b.w.allocate_placeholder()
    b.page['/Resources'][pdf_name('/XObject')] = generic.DictionaryObject(
        {pdf_name('/Im0'): missing})
    signed = pyhanko_sign(pki, b.bytes(), 'Sig1', box=SIG1_BOX)
    ref = generic.Reference(missing.idnum, missing.generation)

    def image(w):
        rewrite(w, ref, generic.StreamObject({
            pdf_name('/Type'): pdf_name('/XObject'),
            pdf_name('/Subtype'): pdf_name('/Image'),
            pdf_name('/Width'): generic.NumberObject(2),
            pdf_name('/Height'): generic.NumberObject(2),
            pdf_name('/ColorSpace'): pdf_name('/DeviceRGB'),
            pdf_name('/BitsPerComponent'): generic.NumberObject(8),
        }, stream_data=b'\xff\x00\x00' * 4))
    ctx.write('dangling', update(signed, image))

    def form(w):
        # /BBox 0 0 1 1: the page's 100x100 matrix scales it like an image.
        xobj = form_xobject(b'q 1 0 0 rg 0 0 1 1 re f Q', font_of(w), 1, 1)
        rewrite(w, ref, xobj)
    ctx.write('dangling-sig', embed_sign(pki, signed, 'Sig2', edit=form, box=SIG2_BOX))


CASES = {
    'lta': case_lta,
    'dss': case_dss,
    'existing-field': case_existing_field,
    'indirect-lists': case_indirect_lists,
    'reuse-ap': case_reuse_ap,
    'extensions': case_extensions,
    'shadow-ap-dict': case_shadow_ap_dict,
    'shadow-ap-stream': case_shadow_ap_stream,
    'shadow-trailer': case_shadow_trailer,
    'sneaky-page-content': case_sneaky_page_content,
    'dangling': case_dangling,
}


class Ctx:
    def __init__(self, args):
        self.pki = Pki(args.pki)
        self.outdir = args.outdir
        self.tsa = args.tsa
        self.input = getattr(args, 'input', None)
        self.case = args.cmd

    def need_tsa(self):
        if not self.tsa:
            sys.exit(f'{self.case}: --tsa URL is required')
        return self.tsa

    def input_or(self, make):
        if self.input:
            with open(self.input, 'rb') as f:
                return f.read()
        return make()

    def write(self, name, data):
        path = os.path.join(self.outdir, name + '.pdf')
        with open(path, 'wb') as f:
            f.write(data)
        print(path, flush=True)


# --- pyHanko's verdict --------------------------------------------------------------------

def judge(args):
    import logging

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    pki = Pki(args.pki)
    # pyHanko logs why a diff fails (with a traceback); the reason is in diff_error.
    logging.disable(logging.CRITICAL)
    out = []
    with open(args.file, 'rb') as f:
        reader = PdfFileReader(f, strict=False)
        sigs = sorted(reader.embedded_signatures,
                      key=lambda s: s.byte_range[-2] + s.byte_range[-1])
        for s in sigs:
            is_ts = s.sig_object_type == '/DocTimeStamp'
            entry = {'field': s.field_name, 'doc_timestamp': is_ts}
            try:
                if is_ts:
                    st = validate_pdf_timestamp(s, validation_context=pki.vc())
                else:
                    st = validate_pdf_signature(s, signer_validation_context=pki.vc(),
                                                ts_validation_context=pki.vc())
            except Exception as e:  # a verdict too: pyHanko could not validate it
                entry.update(intact=False, valid=False, trusted=False, bottom_line=False,
                             modification_level=None, docmdp_ok=None, docmdp_level=None,
                             fieldmdp=None, diff_error=f'{type(e).__name__}: {e}')
                out.append(entry)
                continue
            mdp = s.fieldmdp
            diff = st.diff_result
            level = st.modification_level
            if is_ts:
                # pyHanko's DocumentTimestampStatus has neither: as for a signature.
                docmdp_ok = None if level is None else not (
                    level == ModificationLevel.OTHER
                    or (s.docmdp_level is not None and level.value > s.docmdp_level.value))
                bottom_line = st.intact and st.valid and st.trusted and docmdp_ok is not False
            else:
                docmdp_ok, bottom_line = st.docmdp_ok, st.bottom_line
            entry.update({
                'intact': bool(st.intact),
                'valid': bool(st.valid),
                'trusted': bool(st.trusted),
                'bottom_line': bool(bottom_line),
                'modification_level': level.name if level is not None else None,
                'docmdp_ok': docmdp_ok,
                'docmdp_level': s.docmdp_level.value if s.docmdp_level is not None else None,
                'fieldmdp': None if mdp is None else {
                    'action': mdp.action.name, 'fields': list(mdp.fields or [])},
                'diff_error': f'{type(diff).__name__}: {diff}'
                if isinstance(diff, Exception) else None,
            })
            out.append(entry)
    print(json.dumps(out, ensure_ascii=False))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    for name in list(CASES) + ['all']:
        s = sub.add_parser(name)
        s.add_argument('outdir')
        s.add_argument('--tsa', help='URL of an RFC 3161 TSA (lta, dss)')
        s.add_argument('--pki', default=DEFAULT_PKI)
        if name in ('lta', 'dss'):
            s.add_argument('--input', help='the document to start from')
    s = sub.add_parser('judge')
    s.add_argument('file')
    s.add_argument('--pki', default=DEFAULT_PKI)
    args = p.parse_args()
    if args.cmd == 'judge':
        judge(args)
        return
    os.makedirs(args.outdir, exist_ok=True)
    ctx = Ctx(args)
    for name, make in CASES.items():
        if args.cmd in (name, 'all'):
            ctx.case = name
            make(ctx)


if __name__ == '__main__':
    main()
