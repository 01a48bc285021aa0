//! The whole signing path in memory on arbitrary bytes (issue 10): open with recovery, plan
//! the update, write it with its xref, hash the byte ranges, sign with a fixed test key and
//! patch the CMS into `/Contents` (`kyso_core::sign::sign_bytes`, the steps of `kyso sign`).
//! It must never panic, and what it writes Kyso must read back: the new signature is there
//! and its byte range covers the whole signed file.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use kyso_core::SignOptions;
use kyso_keys::Pkcs12Signer;
use kyso_pdf::{Document, form};
use libfuzzer_sys::fuzz_target;

/// A throwaway RSA-2048 key and self-signed certificate made for fuzzing (password "fuzz").
const TEST_P12: &[u8] = include_bytes!("../fixtures/fuzz-signer.p12");

fn signer() -> &'static Pkcs12Signer {
    static SIGNER: OnceLock<Pkcs12Signer> = OnceLock::new();
    SIGNER.get_or_init(|| {
        Pkcs12Signer::from_bytes(TEST_P12, "fuzz", "fuzz-signer.p12").expect("the fuzz key")
    })
}

fuzz_target!(|data: &[u8]| {
    let options = SignOptions {
        // 2027-01-01T00:00:00Z, inside the test certificate's validity.
        signing_time: time::OffsetDateTime::from_unix_timestamp(1_798_761_600).ok(),
        ..SignOptions::default()
    };
    let Ok(signed) = kyso_core::sign::sign_bytes(data, Path::new("fuzz.pdf"), signer(), &options)
    else {
        return;
    };
    let len = signed.len() as i64;
    let doc = Document::open(signed, None).expect("Kyso reads the file it signed");
    let signatures = form::signatures(&doc).expect("the signed file's form");
    assert!(
        signatures.iter().any(|s| {
            s.byte_range()
                .is_some_and(|r| r.len() == 4 && r[0] == 0 && r[2] + r[3] == len)
        }),
        "the new signature covers the whole file"
    );
});
