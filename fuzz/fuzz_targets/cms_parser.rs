//! The lenient CMS parser (BER, as peers emit it) on arbitrary bytes. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = kyso_cms::parse_signed_data(data) {
        let _ = format!("{parsed:?}");
    }
    let _ = kyso_cms::CertificateInfo::from_der(data);
});
