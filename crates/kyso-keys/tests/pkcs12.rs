//! PKCS#12 files made by the openssl CLI: modern and legacy, UTF-8 and empty passwords,
//! with and without chain, certificates only, other key types; then signing a CMS with the
//! key and checking it with kyso-cms and with `openssl cms -verify`.

mod common;

use common::{P12_PASSWORD, Pki, SIGNER_DISPLAY, openssl, run};
use kyso_cms::{CertificateInfo, parse_signed_data, signed_attributes, signed_data, verify_signer};
use kyso_keys::{
    CertificateWarning, DigestAlgorithm, KeyError, Pkcs12Signer, SignatureScheme, Signer,
    check_certificate_usable,
};

fn open(pki: &Pki, file: &str, password: &str) -> Result<Pkcs12Signer, KeyError> {
    Pkcs12Signer::open(&pki.path(file), password)
}

fn code(r: Result<Pkcs12Signer, KeyError>) -> &'static str {
    match r {
        Ok(_) => "OK",
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains(P12_PASSWORD), "password leaked in: {text}");
            e.code()
        }
    }
}

#[test]
fn reads_modern_legacy_utf8_empty_with_and_without_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let signer_der = pki.cert_der("signer");
    let inter = pki.cert_der("inter");
    let root = pki.cert_der("root");
    // root first in the file: the chain must still come out issuer-first.
    let reversed = [pki.read("root.pem"), pki.read("inter.pem")].concat();
    std::fs::write(pki.path("reversed.pem"), reversed).unwrap();

    let cases: [(&str, &str, &[&str], bool); 7] = [
        (
            "modern.p12",
            P12_PASSWORD,
            &["-certfile", "chain.pem"],
            true,
        ),
        (
            "legacy.p12",
            P12_PASSWORD,
            &["-certfile", "chain.pem", "-legacy"],
            true,
        ),
        ("nochain.p12", P12_PASSWORD, &[], false),
        ("empty.p12", "", &["-certfile", "chain.pem"], true),
        (
            "empty-legacy.p12",
            "",
            &["-certfile", "chain.pem", "-legacy"],
            true,
        ),
        ("ascii.p12", "secret", &["-certfile", "reversed.pem"], true),
        (
            "nomac.p12",
            P12_PASSWORD,
            &["-certfile", "chain.pem", "-nomac"],
            true,
        ),
    ];
    for (file, password, extra, with_chain) in cases {
        pki.p12(file, "signer", password, extra);
        let signer = open(&pki, file, password).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(signer.certificate_der(), signer_der.as_slice(), "{file}");
        assert_eq!(signer.certificate_info().subject, SIGNER_DISPLAY);
        let expected: Vec<Vec<u8>> = if with_chain {
            vec![inter.clone(), root.clone()]
        } else {
            vec![]
        };
        assert_eq!(signer.chain_der(), expected.as_slice(), "{file}: chain");
        assert_eq!(signer.signature_len(), 256);
        let debug = format!("{signer:?}");
        assert!(debug.contains("Pkcs12Signer") && !debug.contains(password) || password.is_empty());

        let wrong = if password.is_empty() {
            "x"
        } else {
            "mật khẩu 123"
        };
        assert_eq!(
            code(open(&pki, file, wrong)),
            "P12_WRONG_PASSWORD",
            "{file}"
        );
        // The bytes API names the source in messages.
        let err = Pkcs12Signer::from_bytes(&pki.read(file), wrong, "hồ sơ.p12").unwrap_err();
        assert!(err.to_string().contains("hồ sơ.p12"), "{err}");
    }
}

#[test]
fn refuses_what_it_cannot_use() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);

    // certificates only
    run(openssl(&pki.dir).args([
        "pkcs12",
        "-export",
        "-nokeys",
        "-in",
        "signer.pem",
        "-certfile",
        "chain.pem",
        "-passout",
        "pass:abc",
        "-out",
        "nokey.p12",
    ]));
    assert_eq!(code(open(&pki, "nokey.p12", "abc")), "P12_NO_PRIVATE_KEY");

    // not PKCS#12 at all
    assert_eq!(code(open(&pki, "signer.pem", "abc")), "P12_NOT_PKCS12");
    std::fs::write(pki.path("empty.bin"), b"").unwrap();
    assert_eq!(code(open(&pki, "empty.bin", "abc")), "P12_NOT_PKCS12");
    assert_eq!(
        code(Pkcs12Signer::from_bytes(
            &pki.cert_der("signer"),
            "abc",
            "cert.der"
        )),
        "P12_NOT_PKCS12"
    );

    // missing file
    let err = open(&pki, "missing.p12", "abc").unwrap_err();
    assert_eq!(err.code(), "IO");
    assert!(err.to_string().contains("missing.p12"), "{err}");

    // EC key
    run(openssl(&pki.dir).args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "ec.key",
    ]));
    pki.issue("ec", "/C=VN/CN=Khóa EC", "inter", "v3_signer");
    pki.p12("ec.p12", "ec", "abc", &[]);
    let err = open(&pki, "ec.p12", "abc").unwrap_err();
    assert_eq!(err.code(), "P12_UNSUPPORTED_KEY");
    assert!(err.to_string().contains("EC"), "{err}");

    // truncated file
    let modern = pki.p12("modern.p12", "signer", "abc", &[]);
    let cut = &modern[..modern.len() / 2];
    let err = Pkcs12Signer::from_bytes(cut, "abc", "cut.p12").unwrap_err();
    assert_eq!(err.code(), "P12_MALFORMED");
    assert!(err.to_string().contains("cut.p12 is damaged"), "{err}");
}

#[test]
fn several_keys_or_no_matching_certificate() {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
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
    two.add_entry(
        "a",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            b"1".as_slice(),
            key("signer"),
            [cert("signer")],
        )),
    );
    two.add_entry(
        "b",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            b"2".as_slice(),
            key("other"),
            [cert("other")],
        )),
    );
    let bytes = two.writer("pw").write().unwrap();
    let err = Pkcs12Signer::from_bytes(&bytes, "pw", "two.p12").unwrap_err();
    assert_eq!(err.code(), "P12_SEVERAL_KEYS");
    let KeyError::SeveralKeys { keys, .. } = &err else {
        unreachable!()
    };
    assert_eq!(keys.len(), 2);
    let text = err.to_string();
    assert!(
        text.contains("Nguyễn Văn An") && text.contains("Trần Thị Bình"),
        "{text}"
    );

    let mut mismatched = KeyStore::new();
    mismatched.add_entry(
        "a",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
            b"1".as_slice(),
            key("other"),
            [cert("signer")],
        )),
    );
    let bytes = mismatched.writer("pw").write().unwrap();
    assert_eq!(
        code(Pkcs12Signer::from_bytes(&bytes, "pw", "x.p12")),
        "P12_NO_MATCHING_CERTIFICATE"
    );
}

#[test]
fn signs_cms_that_openssl_and_kyso_cms_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    pki.p12(
        "modern.p12",
        "signer",
        P12_PASSWORD,
        &["-certfile", "chain.pem"],
    );
    pki.p12(
        "legacy.p12",
        "signer",
        P12_PASSWORD,
        &["-certfile", "chain.pem", "-legacy"],
    );
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(pki.path("data.bin"), &data).unwrap();

    for file in ["modern.p12", "legacy.p12"] {
        let signer = open(&pki, file, P12_PASSWORD).unwrap();
        for scheme in [SignatureScheme::RsaPkcs1v15, SignatureScheme::RsaPss] {
            for digest in [
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha384,
                DigestAlgorithm::Sha512,
            ] {
                let content_digest = digest.digest(&data);
                let attrs =
                    signed_attributes(&content_digest, digest, signer.certificate_der()).unwrap();
                let signature = signer.sign(&attrs.to_be_signed(), digest, scheme).unwrap();
                assert!(signature.len() <= signer.signature_len());
                let cms = signed_data(
                    &attrs,
                    digest,
                    scheme,
                    &signature,
                    signer.certificate_der(),
                    signer.chain_der(),
                )
                .unwrap();

                let parsed = parse_signed_data(&cms).unwrap();
                let v = verify_signer(&parsed, 0, Some(&content_digest)).unwrap();
                assert!(v.is_intact(), "{file} {scheme:?} {digest:?}: {v:?}");

                let name = format!("{file}-{scheme:?}-{digest:?}.der");
                std::fs::write(pki.path(&name), &cms).unwrap();
                let (ok, err) = pki.openssl_verify(&name, "data.bin");
                assert!(ok, "openssl rejected {name}: {err}");
            }
        }
        let err = signer
            .sign(b"x", DigestAlgorithm::Sha1, SignatureScheme::RsaPkcs1v15)
            .unwrap_err();
        assert_eq!(err.code(), "SIGN_UNSUPPORTED_DIGEST");
    }
}

#[test]
fn certificate_usability_of_real_certificates() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    pki.genkey("weak", 1024);
    pki.issue("weak", "/C=VN/CN=Khóa yếu", "inter", "v3_signer");
    pki.p12("weak.p12", "weak", "abc", &[]);

    let signer = CertificateInfo::from_der(&pki.cert_der("signer")).unwrap();
    let now = signer.not_before + 3600;
    assert_eq!(check_certificate_usable(&signer, now).unwrap(), vec![]);
    assert_eq!(
        check_certificate_usable(&signer, signer.not_after - 5 * 86_400).unwrap(),
        vec![CertificateWarning::ExpiresSoon { days_left: 5 }]
    );
    assert_eq!(
        check_certificate_usable(&signer, signer.not_after + 1)
            .unwrap_err()
            .code(),
        "CERT_EXPIRED"
    );
    assert_eq!(
        check_certificate_usable(&signer, signer.not_before - 1)
            .unwrap_err()
            .code(),
        "CERT_NOT_YET_VALID"
    );

    // A CA certificate has keyUsage keyCertSign/cRLSign only.
    let inter = CertificateInfo::from_der(&pki.cert_der("inter")).unwrap();
    assert_eq!(
        check_certificate_usable(&inter, now).unwrap_err().code(),
        "CERT_KEY_USAGE"
    );

    // 1024-bit keys open (the check comes later) but are refused by the check.
    let weak = open(&pki, "weak.p12", "abc").unwrap();
    assert_eq!(weak.signature_len(), 128);
    let err = check_certificate_usable(weak.certificate_info(), now).unwrap_err();
    assert_eq!(err.code(), "CERT_WEAK_KEY");
}
