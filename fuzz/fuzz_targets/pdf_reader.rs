//! The PDF reader on arbitrary bytes: open (with recovery), walk the catalog, the page
//! tree, the form and its signatures, and plan a signature update. Must never panic.
#![no_main]

use kyso_pdf::signature::{SignatureRequest, SubFilter, plan_signature};
use kyso_pdf::{Document, form, pages};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::open(data.to_vec(), None) else {
        return;
    };
    let _ = pages::page_count(&doc);
    let _ = pages::page_id(&doc, 0);
    let _ = form::fields(&doc);
    let _ = form::signatures(&doc);
    let _ = form::certification_level(&doc);
    let request = SignatureRequest {
        field_name: None,
        signing_time: "D:20261122100509+07'00'".into(),
        reason: Some("fuzz".into()),
        location: None,
        contact_info: None,
        signer_name: None,
        sub_filter: SubFilter::CadesDetached,
        certify: None,
        contents_len: 64,
        ..SignatureRequest::default()
    };
    let _ = plan_signature(&doc, &request);
});
