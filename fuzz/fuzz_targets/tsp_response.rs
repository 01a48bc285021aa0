//! A TSA's answer (RFC 3161 §2.4.2) on arbitrary bytes: the first 8 bytes are the nonce of
//! the request (so that seeds made by `openssl ts -reply` pass the checks), the rest the
//! TimeStampResp. Must never panic, whatever the TSA sends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (nonce, response) = data.split_at(8);
    let Ok(request) = kyso_cms::tsp::TimestampRequest::new(
        kyso_cms::DigestAlgorithm::Sha256,
        &[0u8; 32],
        nonce,
        None,
    ) else {
        return;
    };
    if let Ok(checked) = kyso_cms::tsp::check_response(response, &request, 0, i64::MAX) {
        let _ = kyso_cms::tsp::timestamp_attribute(&checked.token);
    }
});
