//! Inputs the fuzzer once crashed on (docs/fuzzing.md): each must now give a value or an
//! error, never a panic or a stack overflow. The steps are those of fuzz/fuzz_targets/pdf_reader.rs.

use kyso_pdf::signature::{SignatureRequest, SubFilter, plan_signature};
use kyso_pdf::{Document, form, pages};

#[test]
fn every_recorded_crash_is_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz-regressions folder") {
        let data = std::fs::read(entry.expect("entry").path()).expect("read");
        count += 1;
        let Ok(doc) = Document::open(data, None) else {
            continue;
        };
        let _ = pages::page_count(&doc);
        let _ = pages::page_id(&doc, 0);
        let _ = form::fields(&doc);
        let _ = form::signatures(&doc);
        let _ = form::certification_level(&doc);
        let request = SignatureRequest {
            field_name: None,
            signing_time: "D:20261122100509+07'00'".into(),
            reason: None,
            location: None,
            contact_info: None,
            signer_name: None,
            sub_filter: SubFilter::CadesDetached,
            certify: None,
            contents_len: 64,
            ..SignatureRequest::default()
        };
        let _ = plan_signature(&doc, &request);
    }
    assert!(count > 0, "no regression inputs found in {}", dir.display());
}
