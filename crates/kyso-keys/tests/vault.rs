//! The vault through the library, against a real Secret Service: run under
//! `scripts/with-keyring.sh` (make test does). One test function, because it sets KYSO_HOME.

mod common;

use common::Pki;
use kyso_cms::{CertificateInfo, DigestAlgorithm, SignatureScheme, digest_info};
use kyso_keys::identity::{self, Registry};
use kyso_keys::{Pkcs12Signer, Signer, VaultSigner};
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rsa::Pkcs1v15Sign;

#[test]
fn two_key_p12_choose_one_import_open_sign_remove() {
    assert_eq!(
        std::env::var("KYSO_TEST_KEYRING").as_deref(),
        Ok("1"),
        "this test needs a real Secret Service: run `scripts/with-keyring.sh cargo test -p kyso-keys`"
    );
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    pki.genkey("other", 2048);
    pki.issue(
        "other",
        "/C=VN/O=Sở Nội vụ/CN=Trần Thị Bình",
        "inter",
        "v3_signer",
    );
    let key = |name: &str| PrivateKey::from_der(&pki.key_pkcs8_der(name)).unwrap();
    let cert = |name: &str| Certificate::from_der(&pki.cert_der(name)).unwrap();
    let mut two = KeyStore::new();
    for (alias, name, id) in [("a", "signer", b"1"), ("b", "other", b"2")] {
        two.add_entry(
            alias,
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
                id.as_slice(),
                key(name),
                [cert(name), cert("inter")],
            )),
        );
    }
    let bytes = two.writer("pw").write().unwrap();

    // Several keys: listed by number; --key N chooses; out of range is coded.
    let err = Pkcs12Signer::from_bytes(&bytes, "pw", "two.p12").unwrap_err();
    assert!(
        err.to_string().contains("1: ") && err.to_string().contains("--key"),
        "{err}"
    );
    let err = Pkcs12Signer::from_bytes_with_key(&bytes, "pw", "two.p12", Some(3)).unwrap_err();
    assert_eq!(err.code(), "P12_KEY_INDEX");
    let chosen = Pkcs12Signer::from_bytes_with_key(&bytes, "pw", "two.p12", Some(2)).unwrap();
    let chosen_subject = chosen.certificate_info().subject.clone();

    // SAFETY: the only test of this binary; set before any thread is started by it.
    unsafe { std::env::set_var("KYSO_HOME", tmp.path().join("home")) };
    // A certificate that could not sign any more is refused, and nothing is stored.
    let validity = chosen.certificate_info().clone();
    let late = validity.not_after + 1;
    let refused =
        identity::import_p12(&bytes, "pw", "two.p12", Some(2), None, None, late).unwrap_err();
    assert_eq!(refused.code(), "CERT_EXPIRED");
    assert!(Registry::load().unwrap().identities.is_empty());
    let now = validity.not_before + 60;
    let identity =
        identity::import_p12(&bytes, "pw", "two.p12", Some(2), Some("Bình"), None, now).unwrap();
    assert_eq!(identity.subject, chosen_subject);
    assert_eq!(
        Registry::load().unwrap().default.as_deref(),
        Some(identity.id.as_str())
    );

    let signer = VaultSigner::open(&identity, None).unwrap();
    assert_eq!(
        signer.chain_der().first(),
        Some(&pki.cert_der("inter")),
        "the intermediate travels with the key, issuer first"
    );
    let data = b"signed attributes";
    let sig = signer
        .sign(data, DigestAlgorithm::Sha256, SignatureScheme::RsaPkcs1v15)
        .unwrap();
    let public = CertificateInfo::from_der(signer.certificate_der())
        .unwrap()
        .rsa_public_key()
        .unwrap();
    let info = digest_info(
        DigestAlgorithm::Sha256,
        &DigestAlgorithm::Sha256.digest(data),
    );
    public
        .verify(Pkcs1v15Sign::new_unprefixed(), &info, &sig)
        .expect("the vault key signs for its certificate");

    identity::remove(&identity.id).unwrap();
    let err = VaultSigner::open(&identity, None).unwrap_err();
    assert_eq!(err.code(), "VAULT_FILE_MISSING");
    assert!(Registry::load().unwrap().identities.is_empty());
}
