//! No input makes Kyso allocate memory out of proportion to it (issue 10): hostile PDFs
//! (huge object numbers, /Size, /W, /Index, /Length, /N, /Columns, zip bombs, filter chains,
//! deep nesting), a BER length larger than its input, a CRL of many entries. Each is read,
//! planned for signing and verified in this process, and the peak of live heap bytes while
//! it runs is measured by a counting global allocator and bounded.
//!
//! One test function, so that no other test of this binary allocates at the same time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use kyso_pdf::signature::{SignatureRequest, SubFilter, plan_signature};
use kyso_pdf::{Document, form, pages};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the most heap it held at once beyond what was live before.
fn peak_of(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(before)
}

const MIB: usize = 1024 * 1024;

/// A PDF with classic xref of `objects` (number, body), then `trailer`.
fn pdf(objects: &[(u32, Vec<u8>)], trailer: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (number, body) in objects {
        offsets.push((*number, out.len()));
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
    for (number, offset) in offsets {
        out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

fn page_tree() -> Vec<(u32, Vec<u8>)> {
    vec![
        (1, b"<</Type/Catalog/Pages 2 0 R>>".to_vec()),
        (2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec()),
        (
            3,
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>".to_vec(),
        ),
    ]
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<<{dict}/Length {}>>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

/// `n` zero bytes, deflated, written in pieces so that the test itself stays small.
fn zeros_deflated(n: usize) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; MIB];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        e.write_all(&chunk[..k]).expect("deflate");
        left -= k;
    }
    e.finish().expect("deflate")
}

fn request() -> SignatureRequest {
    SignatureRequest {
        field_name: None,
        signing_time: "D:20261204100509+07'00'".into(),
        reason: None,
        location: None,
        contact_info: None,
        signer_name: None,
        sub_filter: SubFilter::CadesDetached,
        certify: None,
        contents_len: 16 * 1024,
        ..SignatureRequest::default()
    }
}

/// Everything `kyso info`, `kyso sign` (up to the CMS) and `kyso verify` do with a PDF.
/// Returns the code of the signing plan's error, if it failed.
fn read_plan_verify(data: &[u8]) -> Option<&'static str> {
    let doc = match Document::open(data.to_vec(), None) {
        Ok(doc) => doc,
        Err(e) => return Some(e.code()),
    };
    let _ = pages::page_count(&doc);
    let _ = pages::page_id(&doc, 0);
    let _ = form::fields(&doc);
    let options = kyso_core::VerifyOptions {
        password: None,
        extra_anchors: Vec::new(),
        store: None,
        fetcher: None,
        now: 1_796_000_000,
        evidence: None,
        digests: None,
    };
    let _ = kyso_core::verify::verify_document(&doc, Path::new("hostile.pdf"), &options);
    plan_signature(&doc, &request()).err().map(|e| e.code())
}

#[test]
fn hostile_inputs_are_refused_with_memory_in_proportion() {
    let mut cases: Vec<(&str, Vec<u8>, Option<&str>)> = Vec::new();

    // The file of the issue: no xref, no trailer, and an object numbered 2^31 − 1. The
    // repair revision used to write a table up to that number (24 GB).
    cases.push((
        "object number 2147483647, no xref",
        b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
          2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n\
          3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>> endobj\n\
          2147483647 0 obj <</Root 1 0 R>> endobj\n"
            .to_vec(),
        Some("PDF_DAMAGED"),
    ));
    // A sound file whose trailer claims four thousand million objects.
    cases.push((
        "/Size 4294967295",
        pdf(&page_tree(), "<</Size 4294967295/Root 1 0 R>>"),
        Some("PDF_DAMAGED"),
    ));
    // An xref subsection that claims 4294967295 entries.
    let mut huge_subsection = pdf(&page_tree(), "<</Size 4/Root 1 0 R>>");
    let at = huge_subsection
        .windows(7)
        .position(|w| w == b"xref\n0 ")
        .expect("xref");
    huge_subsection.splice(at + 5..at + 8, b"0 4294967295".iter().copied());
    cases.push((
        "xref subsection of 4294967295 entries",
        huge_subsection,
        None,
    ));

    // An xref stream: /W at its widest, /Index claiming everything, /Size at its largest.
    let mut objects = page_tree();
    objects.push((
        4,
        stream(
            "/Type/XRef/Size 4294967295/W[8 8 8]/Index[0 4294967295 7 4294967295]/Root 1 0 R",
            &[0u8; 48],
        ),
    ));
    cases.push((
        "xref stream /W [8 8 8] /Index of 2^32",
        xref_stream_file(objects),
        None,
    ));

    // Zip bombs: 256 MiB of zeros in an object stream (about 250 KB deflated), and twice
    // deflated (a few kilobytes that would decode to 256 MiB).
    // Each object stream below holds object 6, which the catalog names as its AcroForm, so
    // that every step reads it.
    let compressed = |object_stream: Vec<u8>| {
        let mut objects = page_tree();
        objects[0].1 = b"<</Type/Catalog/Pages 2 0 R/AcroForm 6 0 R>>".to_vec();
        objects.push((5, object_stream));
        xref_stream_file_with_compressed(objects, 6, 5)
    };
    let bomb = zeros_deflated(256 * MIB);
    cases.push((
        "object stream of 256 MiB deflated",
        compressed(stream("/Type/ObjStm/N 1/First 4/Filter/FlateDecode", &bomb)),
        None,
    ));
    cases.push((
        "object stream deflated twice",
        compressed(stream(
            "/Type/ObjStm/N 1/First 4/Filter[/FlateDecode/FlateDecode]",
            &deflate(&bomb),
        )),
        None,
    ));
    // /N a million over eight bytes of data.
    cases.push((
        "object stream /N 1000000",
        compressed(stream("/Type/ObjStm/N 1000000/First 4", b"6 0 <<>>")),
        None,
    ));
    // A PNG predictor over 2^20 columns of 32 colours of 16 bits (a 64 MB row).
    cases.push((
        "predictor of 1048576 columns",
        compressed(stream(
            "/Type/ObjStm/N 1/First 4/Filter/FlateDecode/DecodeParms<</Predictor 12/Colors 32/BitsPerComponent 16/Columns 1048576>>",
            &deflate(b"\x02\x00\x00\x00"),
        )),
        None,
    ));
    // A /Length far beyond the file.
    let mut objects = page_tree();
    objects.push((
        5,
        b"<</Length 999999999999>>\nstream\nabc\nendstream".to_vec(),
    ));
    cases.push((
        "/Length 999999999999",
        pdf(&objects, "<</Size 6/Root 1 0 R>>"),
        None,
    ));
    // Arrays nested 100,000 deep, and a page tree /Count of 2^62.
    let mut deep = b"<</Type/Catalog/Pages 2 0 R/X ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    deep.extend(std::iter::repeat_n(b']', 100_000));
    deep.extend_from_slice(b">>");
    let mut objects = page_tree();
    objects[0].1 = deep;
    objects[1].1 = b"<</Type/Pages/Kids[3 0 R]/Count 4611686018427387904>>".to_vec();
    cases.push((
        "nesting 100000 deep, /Count 2^62",
        pdf(&objects, "<</Size 4/Root 1 0 R>>"),
        None,
    ));

    for (name, data, expected) in &cases {
        let mut code = None;
        let peak = peak_of(|| code = read_plan_verify(data));
        // A structure stream decodes to at most 64 times its file (8 MiB for a small one),
        // held twice while it is filtered: nothing here may hold more than that.
        let bound = (2 * (64 * data.len()).max(8 * MIB)).min(160 * MIB) + 4 * MIB;
        println!(
            "{name}: {} bytes, peak {} KiB, plan: {code:?}",
            data.len(),
            peak / 1024
        );
        assert!(
            peak <= bound,
            "{name}: {} bytes of input held {peak} bytes at once (bound {bound})",
            data.len()
        );
        if let Some(expected) = expected {
            assert_eq!(code, Some(*expected), "{name}");
        }
    }

    // A BER length of 2^32 over ten bytes of input.
    let peak = peak_of(|| {
        let huge = [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00, 0x00];
        assert!(kyso_cms::parse_signed_data(&huge).is_err());
    });
    assert!(peak < 64 * 1024, "a BER length held {peak} bytes");

    // A CRL of 300,000 entries: read once, then searched, in its own size.
    let crl = many_entry_crl(300_000);
    let mut found = false;
    let peak = peak_of(|| {
        let parsed = kyso_cms::Crl::from_der(&crl).expect("CRL");
        found = parsed.entries().any(|e| e.serial == [0x04, 0x93, 0xDF]);
    });
    assert!(found, "the entry for serial 299999 is found");
    assert!(
        peak <= 2 * crl.len() + MIB,
        "a CRL of {} bytes held {peak} bytes at once",
        crl.len()
    );
}

/// A file whose last section is an xref stream (the last object of `objects`), naming the
/// other objects.
fn xref_stream_file(objects: Vec<(u32, Vec<u8>)>) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut last = 0;
    for (number, body) in &objects {
        last = out.len();
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    out.extend_from_slice(format!("startxref\n{last}\n%%EOF\n").as_bytes());
    out
}

/// `objects` and object `compressed`, the first object of object stream `stream_number`,
/// named by an xref stream.
fn xref_stream_file_with_compressed(
    objects: Vec<(u32, Vec<u8>)>,
    compressed: u32,
    stream_number: u32,
) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (number, body) in &objects {
        offsets.push((*number, out.len()));
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let size = compressed.max(stream_number) + 2;
    let xref_number = size - 1;
    let xref_at = out.len();
    let mut rows = Vec::new();
    for (number, offset) in &offsets {
        let _ = number;
        rows.push(1u8);
        rows.extend_from_slice(&(*offset as u32).to_be_bytes());
        rows.push(0);
    }
    rows.extend_from_slice(&[2, 0, 0, 0, stream_number as u8, 0]);
    rows.push(1);
    rows.extend_from_slice(&(xref_at as u32).to_be_bytes());
    rows.push(0);
    let mut index = String::new();
    for (number, _) in &offsets {
        index.push_str(&format!("{number} 1 "));
    }
    index.push_str(&format!("{compressed} 1 {xref_number} 1"));
    let body = stream(
        &format!("/Type/XRef/Size {size}/W[1 4 1]/Index[{index}]/Root 1 0 R"),
        &rows,
    );
    out.extend_from_slice(format!("{xref_number} 0 obj\n").as_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// A CRL (RFC 5280 §5.1) listing serials 0..n, with a dummy signature.
fn many_entry_crl(n: u64) -> Vec<u8> {
    use kyso_cms::der;
    let alg = der::sequence(&[
        &der::tlv(
            0x06,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
        ),
        &der::null(),
    ]);
    let cn = der::sequence(&[&der::tlv(0x06, &[0x55, 0x04, 0x03]), &der::tlv(0x0C, b"CA")]);
    let issuer = der::sequence(&[&der::tlv(0x31, &cn)]);
    let when = der::tlv(0x17, b"251201000000Z");
    let mut entries = Vec::new();
    for serial in 0..n {
        entries.extend_from_slice(&der::sequence(&[&der::uint(serial), &when]));
    }
    let revoked = der::tlv(0x30, &entries);
    let tbs = der::sequence(&[
        &der::uint(1),
        &alg,
        &issuer,
        &der::tlv(0x17, b"260101000000Z"),
        &der::tlv(0x17, b"260108000000Z"),
        &revoked,
    ]);
    der::sequence(&[&tbs, &alg, &der::tlv(0x03, &[0, 1, 2])])
}
