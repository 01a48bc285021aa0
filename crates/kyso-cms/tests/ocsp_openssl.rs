//! OCSP (RFC 6960) against the openssl CLI: our requests are what `openssl ocsp` builds and
//! are answered by its responder (`openssl ocsp -index … -reqin`), and its real responses
//! (good, revoked, unknown; signed by the CA, by a delegated responder, by certificates that
//! may not answer for the CA) are read and judged by our code.

mod common;

use common::{Pki, openssl, run};
use kyso_cms::ocsp::crl_reason_name;
use kyso_cms::{
    CertStatus, CertificateInfo, NonceCheck, OcspRequest, OcspResponse, ResponderCheck,
    ResponseStatus,
};

const EXTRA_SECTIONS: &str = r#"
[ v3_ocsp ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = OCSPSigning
noCheck                = ignored
subjectKeyIdentifier   = hash
[ v3_ocsp_no_eku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
subjectKeyIdentifier   = hash
"#;

struct Setup {
    pki: Pki,
    _tmp: tempfile::TempDir,
}

impl Setup {
    /// root → inter → {signer (good), revoked (revoked, keyCompromise), responder (OCSPSigning,
    /// nocheck), no-eku (no extendedKeyUsage)}; root → stranger (OCSPSigning, another CA).
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), 2048);
        let mut cnf = pki.read("ca.cnf");
        cnf.extend_from_slice(EXTRA_SECTIONS.as_bytes());
        std::fs::write(pki.path("ca.cnf"), cnf).unwrap();
        for (name, subject, ca, ext) in [
            ("revoked", "/C=VN/CN=Trần Thị Thu Hồi", "inter", "v3_signer"),
            (
                "responder",
                "/C=VN/CN=Kyso OCSP Responder",
                "inter",
                "v3_ocsp",
            ),
            (
                "noeku",
                "/C=VN/CN=Kyso Not A Responder",
                "inter",
                "v3_ocsp_no_eku",
            ),
            (
                "stranger",
                "/C=VN/CN=Kyso Other Responder",
                "root",
                "v3_ocsp",
            ),
        ] {
            pki.genkey(name, 2048);
            pki.issue(name, subject, ca, ext);
        }
        let serial = |name: &str| {
            let out = run(openssl(&pki.dir).args([
                "x509",
                "-in",
                &format!("{name}.pem"),
                "-serial",
                "-noout",
            ]));
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .trim_start_matches("serial=")
                .to_string()
        };
        let index = format!(
            "V\t351231235959Z\t\t{}\tunknown\t/CN=signer\nR\t351231235959Z\t250101000000Z,keyCompromise\t{}\tunknown\t/CN=revoked\n",
            serial("signer"),
            serial("revoked")
        );
        std::fs::write(pki.path("index.txt"), index).unwrap();
        Setup { pki, _tmp: tmp }
    }

    fn cert(&self, name: &str) -> CertificateInfo {
        CertificateInfo::from_der(&self.pki.cert_der(name)).unwrap()
    }

    /// openssl's responder answers the request in `req` (a file in the PKI dir), signing
    /// with `signer`'s key; `extra` are more options. The response's DER.
    fn respond(&self, req: &str, signer: &str, extra: &[&str]) -> Vec<u8> {
        let out = format!("{req}.{signer}.resp");
        run(openssl(&self.pki.dir)
            .args([
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "inter.pem",
                "-rsigner",
                &format!("{signer}.pem"),
                "-rkey",
                &format!("{signer}.key"),
                "-reqin",
                req,
                "-respout",
                &out,
                "-ndays",
                "1",
            ])
            .args(extra));
        self.pki.read(&out)
    }

    /// Our request for `name` (issued by inter), written to `NAME.req`.
    fn request(&self, name: &str, nonce: Option<&[u8]>) -> OcspRequest {
        let req = OcspRequest::new(&self.cert("inter"), &self.cert(name), nonce).unwrap();
        std::fs::write(self.pki.path(&format!("{name}.req")), &req.der).unwrap();
        req
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn our_request_is_openssls_and_its_responder_answers_it() {
    let s = Setup::new();
    let (inter, signer) = (s.cert("inter"), s.cert("signer"));

    // Without a nonce, our request is byte for byte the one openssl builds (SHA-1 CertID).
    run(openssl(&s.pki.dir).args([
        "ocsp",
        "-issuer",
        "inter.pem",
        "-cert",
        "signer.pem",
        "-no_nonce",
        "-reqout",
        "openssl.req",
    ]));
    let ours = OcspRequest::new(&inter, &signer, None).unwrap();
    assert_eq!(ours.der, s.pki.read("openssl.req"));

    // With a nonce: openssl reads it and echoes it in the response.
    let nonce = [0x5Au8; 32];
    let req = s.request("signer", Some(&nonce));
    let text = run(openssl(&s.pki.dir).args(["ocsp", "-reqin", "signer.req", "-req_text"])).stdout;
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("OCSP Nonce"), "{text}");
    assert!(text.contains(&signer.serial_hex), "{text}");

    let der = s.respond("signer.req", "inter", &[]);
    let response = OcspResponse::from_der(&der).unwrap();
    assert_eq!(response.status, ResponseStatus::Successful);
    let basic = response.basic.unwrap();
    assert_eq!(req.check_nonce(&basic), NonceCheck::Matches);
    assert_eq!(basic.nonce.as_deref(), Some(&nonce[..]));
    assert!(basic.responder_id.names(&inter));
    assert!((basic.produced_at - now()).abs() < 300);
    let single = basic
        .find(&inter, &signer)
        .expect("an answer for the signer");
    assert_eq!(single.status, CertStatus::Good);
    assert!((single.this_update - now()).abs() < 300);
    assert_eq!(single.next_update, Some(single.this_update + 86_400));
    assert!(basic.find(&inter, &s.cert("revoked")).is_none());
    assert!(basic.find(&s.cert("root"), &signer).is_none());

    // Signed by the CA itself; not by the root for the CA's certificates.
    assert_eq!(basic.check_responder(&inter, &[]), ResponderCheck::Issuer);
    assert!(matches!(
        basic.check_responder(&s.cert("root"), &[]),
        ResponderCheck::NotAuthorized(_)
    ));

    // Another nonce than the one sent is a mismatch; none at all is "absent".
    let other = OcspRequest::new(&inter, &signer, Some(&[1; 16])).unwrap();
    assert_eq!(other.check_nonce(&basic), NonceCheck::Mismatch);
    let no_nonce = s.request("signer", None);
    let basic = OcspResponse::from_der(&s.respond("signer.req", "inter", &[]))
        .unwrap()
        .basic
        .unwrap();
    assert_eq!(basic.nonce, None);
    assert_eq!(no_nonce.check_nonce(&basic), NonceCheck::Absent);

    // Nonces are 1 to 32 octets.
    assert!(OcspRequest::new(&inter, &signer, Some(&[])).is_err());
    assert!(OcspRequest::new(&inter, &signer, Some(&[0; 33])).is_err());
}

#[test]
fn revoked_unknown_and_sha256_cert_ids() {
    let s = Setup::new();
    let inter = s.cert("inter");

    s.request("revoked", Some(&[7; 32]));
    let basic = OcspResponse::from_der(&s.respond("revoked.req", "inter", &[]))
        .unwrap()
        .basic
        .unwrap();
    let single = basic.find(&inter, &s.cert("revoked")).unwrap();
    // 250101000000Z
    assert_eq!(
        single.status,
        CertStatus::Revoked {
            time: 1_735_689_600,
            reason: Some(1)
        }
    );
    assert_eq!(crl_reason_name(1), "keyCompromise");

    // A certificate the responder's index does not hold: unknown.
    s.request("noeku", None);
    let basic = OcspResponse::from_der(&s.respond("noeku.req", "inter", &[]))
        .unwrap()
        .basic
        .unwrap();
    assert_eq!(
        basic.find(&inter, &s.cert("noeku")).unwrap().status,
        CertStatus::Unknown
    );

    // openssl's request with a SHA-256 CertID: the answer is found all the same.
    run(openssl(&s.pki.dir).args([
        "ocsp",
        "-issuer",
        "inter.pem",
        "-sha256",
        "-cert",
        "signer.pem",
        "-reqout",
        "sha256.req",
    ]));
    let basic = OcspResponse::from_der(&s.respond("sha256.req", "inter", &[]))
        .unwrap()
        .basic
        .unwrap();
    let single = basic.find(&inter, &s.cert("signer")).unwrap();
    assert_eq!(single.cert_id.issuer_key_hash.len(), 32);
    assert_eq!(single.status, CertStatus::Good);

    // A response that is not successful: an empty request list is malformed (openssl
    // exits 1 but writes the response).
    std::fs::write(
        s.pki.path("empty.req"),
        [0x30, 0x04, 0x30, 0x02, 0x30, 0x00],
    )
    .unwrap();
    let _ = openssl(&s.pki.dir)
        .args([
            "ocsp",
            "-index",
            "index.txt",
            "-CA",
            "inter.pem",
            "-rsigner",
            "inter.pem",
            "-rkey",
            "inter.key",
            "-reqin",
            "empty.req",
            "-respout",
            "malformed.resp",
        ])
        .output()
        .unwrap();
    let r = OcspResponse::from_der(&s.pki.read("malformed.resp")).unwrap();
    assert_eq!(r.status, ResponseStatus::MalformedRequest);
    assert!(r.basic.is_none());
}

#[test]
fn delegated_responders_and_who_may_not_answer() {
    let s = Setup::new();
    let (inter, signer) = (s.cert("inter"), s.cert("signer"));
    s.request("signer", Some(&[3; 32]));

    // A delegated responder (issued by the CA, id-kp-OCSPSigning, nocheck).
    let basic = OcspResponse::from_der(&s.respond("signer.req", "responder", &[]))
        .unwrap()
        .basic
        .unwrap();
    assert_eq!(
        basic.certs.len(),
        1,
        "openssl includes the responder's certificate"
    );
    assert_eq!(
        basic.find(&inter, &signer).unwrap().status,
        CertStatus::Good
    );
    match basic.check_responder(&inter, &[]) {
        ResponderCheck::Delegated { cert, nocheck } => {
            assert_eq!(
                cert.subject_common_name.as_deref(),
                Some("Kyso OCSP Responder")
            );
            assert!(nocheck);
        }
        other => panic!("{other:?}"),
    }

    // The same without the certificate in the response: found among the ones given.
    let basic = OcspResponse::from_der(&s.respond("signer.req", "responder", &["-resp_no_certs"]))
        .unwrap()
        .basic
        .unwrap();
    assert!(basic.certs.is_empty());
    assert!(matches!(
        basic.check_responder(&inter, &[]),
        ResponderCheck::NotAuthorized(_)
    ));
    assert!(matches!(
        basic.check_responder(&inter, &[s.cert("responder")]),
        ResponderCheck::Delegated { .. }
    ));

    // Issued by the CA but not an OCSP responder.
    let basic = OcspResponse::from_der(&s.respond("signer.req", "noeku", &[]))
        .unwrap()
        .basic
        .unwrap();
    match basic.check_responder(&inter, &[]) {
        ResponderCheck::NotAuthorized(why) => assert!(why.contains("id-kp-OCSPSigning"), "{why}"),
        other => panic!("{other:?}"),
    }

    // An OCSP responder of another CA (the root), answering for the intermediate's
    // certificates.
    let basic = OcspResponse::from_der(&s.respond("signer.req", "stranger", &[]))
        .unwrap()
        .basic
        .unwrap();
    match basic.check_responder(&inter, &[]) {
        ResponderCheck::NotAuthorized(why) => assert!(why.contains("did not issue"), "{why}"),
        other => panic!("{other:?}"),
    }
    // …though the root may answer through it for its own certificates.
    assert!(matches!(
        basic.check_responder(&s.cert("root"), &[]),
        ResponderCheck::Delegated { .. }
    ));

    // A response changed after signing: nobody signed that.
    let mut der = s.respond("signer.req", "inter", &[]);
    let produced = der
        .windows(2)
        .position(|w| w == [0x18, 0x0F])
        .expect("producedAt");
    der[produced + 15] ^= 0x01; // last digit of the seconds
    let basic = OcspResponse::from_der(&der).unwrap().basic.unwrap();
    assert!(matches!(
        basic.check_responder(&inter, &[s.cert("responder")]),
        ResponderCheck::NotAuthorized(_)
    ));
}

#[test]
fn real_response_truncated_or_corrupted_never_panics() {
    let s = Setup::new();
    s.request("signer", Some(&[1; 32]));
    let der = s.respond("signer.req", "responder", &[]);
    assert!(OcspResponse::from_der(&der).is_ok());
    for end in 0..der.len() {
        assert!(OcspResponse::from_der(&der[..end]).is_err(), "prefix {end}");
    }
    let (inter, signer) = (s.cert("inter"), s.cert("signer"));
    for i in 0..der.len() {
        let mut bad = der.clone();
        bad[i] ^= 0xA5;
        if let Ok(OcspResponse {
            basic: Some(basic), ..
        }) = OcspResponse::from_der(&bad)
        {
            let _ = basic.find(&inter, &signer);
            // RSA in a debug build is slow: judge the signer of every 16th corruption.
            if i % 16 == 0 {
                let _ = basic.check_responder(&inter, &[]);
            }
        }
    }
}
