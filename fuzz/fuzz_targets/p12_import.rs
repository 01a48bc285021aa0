//! .p12 import on arbitrary bytes: the PFX shape check, p12-keystore's decoding and our key
//! and certificate matching (RFC 7292). Must never panic, whatever the password. The vault
//! payload decoder is exercised too: a damaged vault file must be an error, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the password and the key index, the rest is the file; 3 is
    // the test PKI's password, so the seeds (scripts/fuzz.sh) open and reach the key matching.
    let (choice, file) = match data.split_first() {
        Some((c, rest)) => (*c, rest),
        None => return,
    };
    let password = match choice % 4 {
        0 => "",
        1 => "kyso-test",
        2 => "Mật khẩu",
        _ => "Mật khẩu 123",
    };
    let key = (choice & 0x80 != 0).then_some(usize::from(choice & 0x07));
    if let Ok(signer) =
        kyso_keys::Pkcs12Signer::from_bytes_with_key(file, password, "fuzz.p12", key)
    {
        let _ = signer.pkcs8_der();
    }
    let _ = kyso_keys::vault::open_contents(
        "fuzz",
        file,
        &[0u8; 32],
        Some(password),
        "fuzz",
        std::path::Path::new("fuzz.vault"),
    );
});
