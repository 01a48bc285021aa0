//! A planned signature update, read back by our own reader: the new field, widget,
//! AcroForm and signature dictionary are where the xref says, in both xref forms.

use kyso_pdf::signature::{SignatureRequest, SubFilter, plan_signature};
use kyso_pdf::xref::XrefForm;
use kyso_pdf::{Document, Object, form, pages};

/// A minimal one-page PDF with a classic xref table, offsets computed as it is written.
fn classic_pdf() -> Vec<u8> {
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF").as_bytes(),
    );
    out
}

/// The same document with an xref stream (PDF 1.5, §7.5.8).
fn xref_stream_pdf() -> Vec<u8> {
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ];
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut rows = vec![0u8, 0, 0, 0xFF];
    for o in offsets.iter().chain(std::iter::once(&xref)) {
        rows.push(1);
        rows.extend_from_slice(&(*o as u16).to_be_bytes());
        rows.push(0);
    }
    out.extend_from_slice(
        format!(
            "4 0 obj\n<</Type/XRef/Size 5/W[1 2 1]/Root 1 0 R/Length {}>>\nstream\n",
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

fn request() -> SignatureRequest {
    SignatureRequest {
        field_name: None,
        signing_time: "D:20261122100509+07'00'".into(),
        reason: Some("Phê duyệt".into()),
        location: None,
        contact_info: None,
        signer_name: Some("Nguyễn Văn An".into()),
        sub_filter: SubFilter::CadesDetached,
        certify: None,
        contents_len: 64,
        ..SignatureRequest::default()
    }
}

fn sign_twice_and_check(original: Vec<u8>, form_expected: XrefForm) {
    let doc = Document::open(original.clone(), None).expect("open");
    assert_eq!(doc.last_form, form_expected);
    let planned = plan_signature(&doc, &request()).expect("plan");
    assert_eq!(planned.field_name, "Signature1");
    let mut signed = original.clone();
    signed.extend_from_slice(&planned.update.bytes);
    let slots = planned.update.signature.expect("slots");
    let total = signed.len() as u64;
    let range = slots.byte_range(total);
    assert_eq!(range[0], 0);
    assert_eq!(range[2] + range[3], total);
    assert_eq!(&signed[range[1] as usize..range[1] as usize + 1], b"<");
    assert_eq!(&signed[range[2] as usize - 1..range[2] as usize], b">");

    let reread = Document::open(signed.clone(), None).expect("reopen");
    assert!(
        !reread.recovered,
        "the update must be readable without recovery"
    );
    assert_eq!(
        reread.last_form, form_expected,
        "the update keeps the form of the last section"
    );
    assert_eq!(reread.sections, 2);
    let sigs = form::signatures(&reread).expect("signatures");
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].sub_filter().as_deref(), Some("ETSI.CAdES.detached"));
    let (_, catalog) = reread.catalog().unwrap();
    let acroform = reread
        .resolve_dict(catalog.get(b"AcroForm").unwrap())
        .unwrap();
    assert_eq!(acroform.get_int(b"SigFlags"), Some(3));
    let page = reread.get(pages::page_id(&reread, 0).unwrap()).unwrap();
    let annots = page
        .as_dict()
        .unwrap()
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(annots.len(), 1);

    // A second signature gets a new name and keeps the first.
    let planned = plan_signature(&reread, &request()).expect("plan 2");
    assert_eq!(planned.field_name, "Signature2");
    let mut twice = signed.clone();
    twice.extend_from_slice(&planned.update.bytes);
    let third = Document::open(twice, None).expect("reopen 2");
    assert_eq!(form::signatures(&third).unwrap().len(), 2);
    assert_eq!(third.sections, 3);
    let page = third.get(pages::page_id(&third, 0).unwrap()).unwrap();
    match page.as_dict().unwrap().get(b"Annots") {
        Some(Object::Array(a)) => assert_eq!(a.len(), 2),
        other => panic!("annots: {other:?}"),
    }
}

#[test]
fn classic_table_round_trip() {
    sign_twice_and_check(classic_pdf(), XrefForm::Table);
}

#[test]
fn xref_stream_round_trip() {
    sign_twice_and_check(xref_stream_pdf(), XrefForm::Stream);
}

#[test]
fn startxref_a_few_bytes_off_is_found_and_prev_is_exact() {
    let mut pdf = classic_pdf();
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let text = String::from_utf8(pdf[at + 10..].to_vec()).unwrap();
    let stated: u64 = text.split_whitespace().next().unwrap().parse().unwrap();
    pdf.truncate(at);
    pdf.extend_from_slice(format!("startxref\n{}\n%%EOF\n", stated + 3).as_bytes());
    let doc = Document::open(pdf, None).unwrap();
    assert!(!doc.recovered);
    assert_eq!(doc.startxref, stated);
}

#[test]
fn garbage_xref_is_rebuilt_and_the_update_has_a_complete_section() {
    let mut pdf = classic_pdf();
    let at = pdf.windows(4).position(|w| w == b"xref").unwrap();
    pdf[at..at + 4].copy_from_slice(b"XXXX");
    let doc = Document::open(pdf.clone(), None).unwrap();
    assert!(doc.recovered);
    let planned = plan_signature(&doc, &request()).unwrap();
    pdf.extend_from_slice(&planned.update.bytes);
    let reread = Document::open(pdf, None).unwrap();
    assert!(
        !reread.recovered,
        "after signing, the file's xref chain is valid again"
    );
    assert_eq!(form::signatures(&reread).unwrap().len(), 1);
}

#[test]
fn not_a_pdf_and_empty_input() {
    assert!(matches!(
        Document::open(b"hello".to_vec(), None),
        Err(kyso_pdf::PdfError::NotPdf)
    ));
    assert!(matches!(
        Document::open(Vec::new(), None),
        Err(kyso_pdf::PdfError::NotPdf)
    ));
}

/// A catalog whose /AcroForm, and a page whose /Annots, name objects that do not exist
/// (found by the sign_path fuzz target): the update gives the form and the annotations a
/// place of their own. Defining the missing objects instead would let a new object of the
/// update take their number (the signature dictionary was written twice under one number
/// and no reader found the signature), and would change what the file referred to.
#[test]
fn references_to_missing_objects_are_replaced_not_defined() {
    let objects = [
        "<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Annots 5 0 R>>",
    ];
    let mut original = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(original.len());
        original.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = original.len();
    original.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        original.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    original.extend_from_slice(
        format!("trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF").as_bytes(),
    );
    let doc = Document::open(original.clone(), None).expect("open");
    let planned = plan_signature(&doc, &request()).expect("plan");
    let mut signed = original;
    signed.extend_from_slice(&planned.update.bytes);
    let reread = Document::open(signed, None).expect("reopen");
    assert!(!reread.recovered);
    let sigs = form::signatures(&reread).expect("signatures");
    assert_eq!(sigs.len(), 1, "the signature is found");
    let (_, catalog) = reread.catalog().unwrap();
    assert!(
        matches!(catalog.get(b"AcroForm"), Some(Object::Dictionary(_))),
        "the form is written where the catalog is: {catalog:?}"
    );
    let page = reread.get(pages::page_id(&reread, 0).unwrap()).unwrap();
    match page.as_dict().unwrap().get(b"Annots") {
        Some(Object::Array(a)) => assert_eq!(a.len(), 1),
        other => panic!("the page holds its annotations itself: {other:?}"),
    }
}
