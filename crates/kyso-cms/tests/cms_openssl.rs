//! CMS build/parse/verify against the openssl CLI: our SignedData must verify with
//! `openssl cms -verify`, and openssl's (BER, indefinite-length) SignedData must parse and
//! verify with our code.

mod common;

use common::{INTER_DISPLAY, Pki, SIGNER_DISPLAY, openssl, run};
use kyso_cms::{
    CertificateInfo, DigestAlgorithm, DigestCheck, PublicKeyInfo, SignatureAlgorithm,
    SignatureCheck, SignatureScheme, SigningCertificateCheck, digest_info, parse_signed_data,
    signed_attributes, signed_data, verify_signer,
};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Sha256, Sha384, Sha512};

fn sign(
    key: &RsaPrivateKey,
    data: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
) -> Vec<u8> {
    let hash = digest.digest(data);
    let mut rng = rand::thread_rng();
    match scheme {
        SignatureScheme::RsaPkcs1v15 => key
            .sign_with_rng(
                &mut rng,
                Pkcs1v15Sign::new_unprefixed(),
                &digest_info(digest, &hash),
            )
            .unwrap(),
        SignatureScheme::RsaPss => {
            let pss = match digest {
                DigestAlgorithm::Sha256 => Pss::new::<Sha256>(),
                DigestAlgorithm::Sha384 => Pss::new::<Sha384>(),
                DigestAlgorithm::Sha512 => Pss::new::<Sha512>(),
                DigestAlgorithm::Sha1 => unreachable!(),
            };
            key.sign_with_rng(&mut rng, pss, &hash).unwrap()
        }
    }
}

#[test]
fn certificate_facts_match_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let info = CertificateInfo::from_der(&pki.cert_der("signer")).unwrap();
    assert_eq!(info.subject, SIGNER_DISPLAY);
    assert_eq!(info.subject_common_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(info.issuer, INTER_DISPLAY);
    assert_eq!(info.public_key, PublicKeyInfo::Rsa { bits: 2048 });
    let ku = info.key_usage.unwrap();
    assert!(
        ku.digital_signature && ku.non_repudiation && !ku.key_encipherment && !ku.key_cert_sign
    );
    assert!(!info.is_ca);
    assert!(info.subject_key_identifier.is_some());
    assert!(info.not_after - info.not_before >= 729 * 86_400);

    let text = |args: &[&str]| String::from_utf8(run(openssl(&pki.dir).args(args)).stdout).unwrap();
    let serial = text(&["x509", "-in", "signer.pem", "-noout", "-serial"]);
    assert_eq!(serial.trim().trim_start_matches("serial="), info.serial_hex);
    let fp = text(&[
        "x509",
        "-in",
        "signer.pem",
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    let fp = fp.trim().split('=').nth(1).unwrap().replace(':', "");
    assert_eq!(fp, info.sha256_fingerprint_hex);
    let end = text(&["x509", "-in", "signer.pem", "-noout", "-enddate"]);
    let end = end.trim().trim_start_matches("notAfter=");
    let unix = run(std::process::Command::new("date").args(["-u", "-d", end, "+%s"])).stdout;
    let unix: i64 = String::from_utf8(unix).unwrap().trim().parse().unwrap();
    assert_eq!(unix, info.not_after);

    let root = CertificateInfo::from_der(&pki.cert_der("root")).unwrap();
    assert!(root.is_ca && root.is_self_issued());
    assert_eq!(
        root.subject,
        "CN=Kyso Test Root CA, O=Ban Cơ yếu Thử nghiệm, C=VN"
    );
    assert!(root.key_usage.unwrap().key_cert_sign);
}

#[test]
fn our_signed_data_verifies_with_openssl_and_ourselves() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let key = RsaPrivateKey::from_pkcs8_der(&pki.key_pkcs8_der("signer")).unwrap();
    let signer = pki.cert_der("signer");
    let chain = vec![pki.cert_der("inter"), pki.cert_der("root"), signer.clone()];
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(pki.path("data.bin"), &data).unwrap();
    let mut tampered = data.clone();
    tampered[500] ^= 1;
    std::fs::write(pki.path("tampered.bin"), &tampered).unwrap();

    for scheme in [SignatureScheme::RsaPkcs1v15, SignatureScheme::RsaPss] {
        for digest in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let content_digest = digest.digest(&data);
            let attrs = signed_attributes(&content_digest, digest, &signer).unwrap();
            let signature = sign(&key, &attrs.to_be_signed(), digest, scheme);
            let cms = signed_data(&attrs, digest, scheme, &signature, &signer, &chain).unwrap();
            let name = format!("cms-{scheme:?}-{digest:?}.der");
            std::fs::write(pki.path(&name), &cms).unwrap();

            // (a) ourselves
            let parsed = parse_signed_data(&cms).unwrap();
            assert_eq!(
                parsed.certificates.len(),
                3,
                "signer + inter + root, no duplicate"
            );
            assert_eq!(parsed.certificates[0], signer, "signer first");
            assert_eq!(parsed.encap_content, None);
            let si = &parsed.signer_infos[0];
            assert_eq!(
                si.signed_attrs_der.as_deref(),
                Some(&attrs.to_be_signed()[..])
            );
            let attr = si.signed_attributes.as_ref().unwrap();
            assert_eq!(attr.signing_time, None);
            assert_eq!(attr.attribute_oids.len(), 3);
            match (&si.signature_kind, scheme) {
                (
                    SignatureAlgorithm::RsaPkcs1v15 { digest: None },
                    SignatureScheme::RsaPkcs1v15,
                ) => {}
                (SignatureAlgorithm::RsaPss(p), SignatureScheme::RsaPss) => {
                    assert_eq!(p.hash(), Some(digest));
                    assert_eq!(p.salt_length, digest.output_len() as u64);
                }
                other => panic!("unexpected {other:?}"),
            }
            let v = verify_signer(&parsed, 0, Some(&content_digest)).unwrap();
            assert!(v.is_intact(), "{v:?}");
            assert_eq!(v.certificate_index, Some(0));
            assert_eq!(v.signing_certificate, SigningCertificateCheck::Matches);
            let bad = verify_signer(&parsed, 0, Some(&digest.digest(&tampered))).unwrap();
            assert_eq!(bad.message_digest, DigestCheck::Mismatch);
            assert!(!bad.is_intact());

            // zero padding as in a PDF /Contents
            let mut padded = cms.clone();
            padded.extend(std::iter::repeat_n(0u8, 4096));
            let p2 = parse_signed_data(&padded).unwrap();
            assert_eq!(p2.encoded_len, cms.len());

            // (b) openssl
            let (ok, err) = pki.openssl_verify(&name, "data.bin");
            assert!(ok, "openssl rejected {name}: {err}");
            let (ok, _) = pki.openssl_verify(&name, "tampered.bin");
            assert!(!ok, "openssl accepted tampered content for {name}");
        }
    }
}

#[test]
fn a_changed_signature_or_attribute_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let key = RsaPrivateKey::from_pkcs8_der(&pki.key_pkcs8_der("signer")).unwrap();
    let signer = pki.cert_der("signer");
    let digest = DigestAlgorithm::Sha256;
    let content_digest = digest.digest(b"hello");
    let attrs = signed_attributes(&content_digest, digest, &signer).unwrap();
    let mut signature = sign(
        &key,
        &attrs.to_be_signed(),
        digest,
        SignatureScheme::RsaPkcs1v15,
    );
    signature[10] ^= 0x40;
    let cms = signed_data(
        &attrs,
        digest,
        SignatureScheme::RsaPkcs1v15,
        &signature,
        &signer,
        &[],
    )
    .unwrap();
    let v = verify_signer(&parse_signed_data(&cms).unwrap(), 0, Some(&content_digest)).unwrap();
    assert_eq!(v.signature, SignatureCheck::Invalid);
    assert!(!v.is_intact());

    // No certificate embedded that matches the sid: build with another cert in the set only.
    let inter = pki.cert_der("inter");
    let mut parsed = parse_signed_data(&cms).unwrap();
    parsed.certificates = vec![inter];
    let v = verify_signer(&parsed, 0, Some(&content_digest)).unwrap();
    assert_eq!(v.signature, SignatureCheck::CertificateNotFound);
    assert_eq!(
        verify_signer(&parsed, 1, None).unwrap_err().code(),
        "CMS_NO_SUCH_SIGNER"
    );

    // Mismatched calls are refused.
    let err = signed_data(
        &attrs,
        DigestAlgorithm::Sha512,
        SignatureScheme::RsaPkcs1v15,
        &signature,
        &signer,
        &[],
    )
    .unwrap_err();
    assert_eq!(err.code(), "CMS_INVALID_INPUT");
    let err = signed_attributes(&content_digest, DigestAlgorithm::Sha384, &signer).unwrap_err();
    assert_eq!(err.code(), "CMS_INVALID_INPUT");
    let err = signed_attributes(&[0; 20], DigestAlgorithm::Sha1, &signer).unwrap_err();
    assert_eq!(err.code(), "CMS_UNSUPPORTED_ALGORITHM");
}

#[test]
fn unsigned_timestamp_attribute_round_trips() {
    use kyso_cms::attributes::encode_attribute;
    use kyso_cms::{oid, signed_data_with_unsigned_attributes};
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let key = RsaPrivateKey::from_pkcs8_der(&pki.key_pkcs8_der("signer")).unwrap();
    let signer = pki.cert_der("signer");
    let digest = DigestAlgorithm::Sha256;
    let data = b"van ban";
    std::fs::write(pki.path("data.bin"), data).unwrap();
    let content_digest = digest.digest(data);
    let attrs = signed_attributes(&content_digest, digest, &signer).unwrap();
    let signature = sign(
        &key,
        &attrs.to_be_signed(),
        digest,
        SignatureScheme::RsaPkcs1v15,
    );
    // Stand-in token: any ContentInfo-shaped value (a real one comes from an RFC 3161 TSA).
    let token = kyso_cms::der::sequence(&[&kyso_cms::der::oid(&oid::ID_SIGNED_DATA)]);
    let attr = encode_attribute(&oid::TIMESTAMP_TOKEN, &token);
    let cms = signed_data_with_unsigned_attributes(
        &attrs,
        digest,
        SignatureScheme::RsaPkcs1v15,
        &signature,
        &signer,
        &[pki.cert_der("inter")],
        &[attr],
    )
    .unwrap();
    let parsed = parse_signed_data(&cms).unwrap();
    let si = &parsed.signer_infos[0];
    assert_eq!(si.timestamp_token.as_deref(), Some(&token[..]));
    assert_eq!(si.unsigned_attrs_der.as_ref().unwrap()[0], 0xA1);
    assert!(
        verify_signer(&parsed, 0, Some(&content_digest))
            .unwrap()
            .is_intact()
    );
    std::fs::write(pki.path("ts.der"), &cms).unwrap();
    let (ok, err) = pki.openssl_verify("ts.der", "data.bin");
    assert!(ok, "{err}");
}

/// openssl with `-stream -indef -outform DER` embeds the content (attached) with indefinite
/// lengths everywhere. Cutting the eContent out of the (indefinite-length) encapContentInfo
/// gives the detached BER form that poppler writes into PDFs; no length needs fixing.
fn detach(ber: &[u8]) -> Vec<u8> {
    use kyso_cms::ber::parse_tlv;
    let (ci, _) = parse_tlv(ber).unwrap();
    let mut r = ci.children();
    r.read("oid").unwrap();
    let explicit = r.read("content").unwrap();
    let sd = explicit.children().read("sd").unwrap();
    let mut f = sd.children();
    f.read("version").unwrap();
    f.read("digestAlgorithms").unwrap();
    let encap = f.read("encap").unwrap();
    assert!(encap.indefinite);
    let oid = encap.children().read("eContentType").unwrap();
    let start = encap.raw.as_ptr() as usize - ber.as_ptr() as usize;
    let end = start + encap.raw.len();
    let mut out = ber[..start].to_vec();
    out.extend_from_slice(&[0x30, 0x80]);
    out.extend_from_slice(oid.raw);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&ber[end..]);
    out
}

#[test]
fn openssl_ber_indefinite_signed_data_parses_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    let data = b"Noi dung van ban can ky\n".repeat(2000);
    std::fs::write(pki.path("data.bin"), &data).unwrap();

    let cases: [(&str, &[&str], DigestAlgorithm); 4] = [
        ("sha256.der", &[], DigestAlgorithm::Sha256),
        ("cades.der", &["-cades"], DigestAlgorithm::Sha256),
        ("sha512.der", &["-md", "sha512"], DigestAlgorithm::Sha512),
        ("sha384.der", &["-md", "sha384"], DigestAlgorithm::Sha384),
    ];
    for (name, extra, digest) in cases {
        let mut cmd = openssl(&pki.dir);
        cmd.args([
            "cms",
            "-sign",
            "-binary",
            "-in",
            "data.bin",
            "-signer",
            "signer.pem",
            "-inkey",
            "signer.key",
            "-certfile",
            "inter.pem",
            "-outform",
            "DER",
            "-stream",
            "-indef",
            "-out",
            name,
        ])
        .args(extra);
        run(&mut cmd);
        let attached = pki.read(name);
        assert_eq!(
            &attached[..2],
            &[0x30, 0x80],
            "{name}: expected an indefinite length"
        );
        let detached = detach(&attached);

        for (form, ber) in [("attached", &attached), ("detached", &detached)] {
            let parsed = parse_signed_data(ber).unwrap();
            assert_eq!(parsed.certificates.len(), 2, "{name}");
            assert_eq!(parsed.encoded_len, ber.len());
            let si = &parsed.signer_infos[0];
            assert_eq!(
                si.digest_algorithm.digest_algorithm(),
                Some(digest),
                "{name}"
            );
            let attrs = si.signed_attributes.as_ref().unwrap();
            assert!(attrs.signing_time.is_some(), "openssl adds signing-time");
            if form == "attached" {
                assert!(
                    parsed.encap_content.as_deref() == Some(&data[..]),
                    "{name}: eContent"
                );
            } else {
                assert!(parsed.encap_content.is_none(), "{name}: detached");
            }
            if name.starts_with("pss") {
                assert!(
                    matches!(si.signature_kind, SignatureAlgorithm::RsaPss(_)),
                    "{name}"
                );
            }
            let v = verify_signer(&parsed, 0, Some(&digest.digest(&data))).unwrap();
            assert!(v.is_intact(), "{name} {form}: {v:?}");
            assert_eq!(v.certificate.as_ref().unwrap().subject, SIGNER_DISPLAY);
            let expected_ess = if name.starts_with("cades") {
                SigningCertificateCheck::Matches
            } else {
                SigningCertificateCheck::Absent
            };
            assert_eq!(v.signing_certificate, expected_ess, "{name}");
            let v = verify_signer(&parsed, 0, Some(&digest.digest(b"other"))).unwrap();
            assert!(!v.is_intact());

            let mut padded = ber.clone();
            padded.extend_from_slice(&[0; 100]);
            assert!(parse_signed_data(&padded).is_ok());
            padded.push(1);
            assert_eq!(
                parse_signed_data(&padded).unwrap_err().code(),
                "CMS_TRAILING_DATA"
            );
        }
        // openssl agrees that the cut-down detached form is still a valid signature.
        let detached_name = format!("detached-{name}");
        std::fs::write(pki.path(&detached_name), &detached).unwrap();
        let (ok, err) = pki.openssl_verify(&detached_name, "data.bin");
        assert!(ok, "{detached_name}: {err}");
    }

    // openssl 3.0 cannot stream PSS ("illegal zero content"): its PSS output is definite DER.
    for (md, digest) in [
        ("sha256", DigestAlgorithm::Sha256),
        ("sha512", DigestAlgorithm::Sha512),
    ] {
        let name = format!("pss-{md}.der");
        run(openssl(&pki.dir).args([
            "cms",
            "-sign",
            "-binary",
            "-in",
            "data.bin",
            "-signer",
            "signer.pem",
            "-inkey",
            "signer.key",
            "-outform",
            "DER",
            "-md",
            md,
            "-keyopt",
            "rsa_padding_mode:pss",
            "-out",
            &name,
        ]));
        let parsed = parse_signed_data(&pki.read(&name)).unwrap();
        let si = &parsed.signer_infos[0];
        let SignatureAlgorithm::RsaPss(params) = &si.signature_kind else {
            panic!("{name}: not PSS: {:?}", si.signature_kind);
        };
        assert_eq!(params.hash(), Some(digest));
        let v = verify_signer(&parsed, 0, Some(&digest.digest(&data))).unwrap();
        assert!(v.is_intact(), "{name}: {v:?}");
    }
}

/// Cheap stand-in for the fuzz target: mutated and truncated inputs never panic.
#[test]
fn mutated_inputs_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path(), 2048);
    std::fs::write(pki.path("data.bin"), b"x").unwrap();
    run(openssl(&pki.dir).args([
        "cms",
        "-sign",
        "-binary",
        "-in",
        "data.bin",
        "-signer",
        "signer.pem",
        "-inkey",
        "signer.key",
        "-certfile",
        "inter.pem",
        "-outform",
        "DER",
        "-stream",
        "-indef",
        "-out",
        "s.der",
    ]));
    let seed = pki.read("s.der");
    let cert = pki.cert_der("signer");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let exercise = |input: &[u8]| {
        if let Ok(parsed) = parse_signed_data(input) {
            for i in 0..parsed.signer_infos.len() {
                let _ = verify_signer(&parsed, i, Some(&[0u8; 32]));
            }
        }
        let _ = CertificateInfo::from_der(input);
    };
    for len in 0..seed.len().min(3000) {
        exercise(&seed[..len]);
    }
    for len in 0..cert.len() {
        exercise(&cert[..len]);
    }
    for _ in 0..3000 {
        let mut input = if next() % 2 == 0 {
            seed.clone()
        } else {
            cert.clone()
        };
        for _ in 0..(1 + next() % 4) {
            let pos = (next() as usize) % input.len();
            input[pos] = next() as u8;
        }
        exercise(&input);
    }
}
