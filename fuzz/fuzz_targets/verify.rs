//! The whole verify path over arbitrary bytes: reader, signatures, ByteRange, CMS, chain,
//! changes. Offline (no fetcher), no trust store: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source: Vec<u8> = data.to_vec();
    let Ok(doc) = kyso_pdf::Document::open(source, None) else {
        return;
    };
    let options = kyso_core::VerifyOptions {
        password: None,
        extra_anchors: Vec::new(),
        store: None,
        fetcher: None,
        now: 1_800_000_000,
        evidence: None,
        digests: None,
    };
    let _ = kyso_core::verify::verify_document(&doc, std::path::Path::new("fuzz.pdf"), &options);
});
