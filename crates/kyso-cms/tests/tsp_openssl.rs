//! RFC 3161 time-stamping against the openssl CLI: our TimeStampReq is what `openssl ts
//! -query` builds (plus the nonce) and `openssl ts -reply` answers it; its real responses
//! (granted, rejected) are checked by our code, and so are tokens altered or signed by
//! certificates that may not time-stamp.

mod common;

use common::{Pki, openssl, run};
use kyso_cms::ber::parse_tlv;
use kyso_cms::der;
use kyso_cms::tsp::{REQUEST_CONTENT_TYPE, RESPONSE_CONTENT_TYPE};
use kyso_cms::{
    Accuracy, DigestAlgorithm, TimestampRequest, TspError, check_response, parse_signed_data,
    timestamp_attribute,
};

const POLICY: &str = "1.3.6.1.4.1.59999.3161.1";
const OTHER_POLICY: &str = "1.3.6.1.4.1.59999.3161.2";
const UNKNOWN_POLICY: &str = "1.3.6.1.4.1.59999.3161.9";
const TSA_SUBJECT: &str = "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=Kyso Test TSA";

const EXTRA_SECTIONS: &str = r#"
[ v3_tsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = critical, timeStamping
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_tsa_noncritical ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
extendedKeyUsage       = timeStamping
subjectKeyIdentifier   = hash
[ v3_tsa_no_eku ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
"#;

/// As tests/tsa/make-tsa.sh writes it, plus a second accepted policy; SHA-512 imprints are
/// refused (to get a badAlg rejection).
const TSA_CNF: &str = r#"
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial                  = tsaserial
crypto_device           = builtin
signer_digest           = sha256
default_policy          = 1.3.6.1.4.1.59999.3161.1
other_policies          = 1.3.6.1.4.1.59999.3161.2
digests                 = sha256, sha384
accuracy                = secs:1, millisecs:500
ordering                = no
tsa_name                = yes
ess_cert_id_chain       = no
ess_cert_id_alg         = sha256
"#;

struct Setup {
    pki: Pki,
    _tmp: tempfile::TempDir,
}

impl Setup {
    /// root → inter → tsa (critical EKU timeStamping), and with the same key: tsa-noncrit
    /// (non-critical EKU), tsa-noeku (no EKU), tsa-twin (no EKU, tsa's serial number).
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), 2048);
        let mut cnf = pki.read("ca.cnf");
        cnf.extend_from_slice(EXTRA_SECTIONS.as_bytes());
        std::fs::write(pki.path("ca.cnf"), cnf).unwrap();
        std::fs::write(pki.path("tsa.cnf"), TSA_CNF).unwrap();
        std::fs::write(pki.path("tsaserial"), "01\n").unwrap();
        pki.genkey("tsa", 2048);
        run(openssl(&pki.dir).args([
            "req",
            "-new",
            "-config",
            "ca.cnf",
            "-utf8",
            "-key",
            "tsa.key",
            "-subj",
            TSA_SUBJECT,
            "-out",
            "tsa.csr",
        ]));
        for (name, ext, serial) in [
            ("tsa", "v3_tsa", "0x3161"),
            ("tsa-noncrit", "v3_tsa_noncritical", "0x3162"),
            ("tsa-noeku", "v3_tsa_no_eku", "0x3163"),
            ("tsa-twin", "v3_tsa_no_eku", "0x3161"),
        ] {
            run(openssl(&pki.dir).args([
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "inter.pem",
                "-CAkey",
                "inter.key",
                "-set_serial",
                serial,
                "-days",
                "730",
                "-sha256",
                "-extfile",
                "ca.cnf",
                "-extensions",
                ext,
                "-out",
                &format!("{name}.pem"),
            ]));
        }
        Setup { pki, _tmp: tmp }
    }

    /// Writes `req` to `name` in the PKI dir.
    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.pki.path(name), bytes).unwrap();
    }

    /// `openssl ts -reply` to the query file `query`, signed by tsa.pem: the TimeStampResp.
    fn reply(&self, query: &str) -> Vec<u8> {
        let out = format!("{query}.tsr");
        run(openssl(&self.pki.dir).args([
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-section",
            "tsa_config",
            "-queryfile",
            query,
            "-inkey",
            "tsa.key",
            "-signer",
            "tsa.pem",
            "-chain",
            "chain.pem",
            "-out",
            &out,
        ]));
        self.pki.read(&out)
    }

    /// Our request written to `name`, answered by openssl.
    fn ask(&self, name: &str, req: &TimestampRequest) -> Vec<u8> {
        self.write(name, req.der());
        self.reply(name)
    }

    /// The TSTInfo `tst` signed anew as a token by `signer` (a certificate for tsa.key) with
    /// `openssl cms -sign` (content-type, message-digest, signing-time; no ESS attribute).
    fn cms_token(&self, tst: &[u8], signer: &str) -> Vec<u8> {
        self.write("tst.der", tst);
        let out = format!("{signer}.token");
        run(openssl(&self.pki.dir).args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-in",
            "tst.der",
            "-econtent_type",
            "1.2.840.113549.1.9.16.1.4",
            "-signer",
            &format!("{signer}.pem"),
            "-inkey",
            "tsa.key",
            "-md",
            "sha256",
            "-nosmimecap",
            "-outform",
            "DER",
            "-out",
            &out,
        ]));
        self.pki.read(&out)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A granted TimeStampResp around `token`.
fn granted(token: &[u8]) -> Vec<u8> {
    der::sequence(&[&der::sequence(&[&der::uint(0)]), token])
}

/// The token of a TimeStampResp, raw.
fn token_of(response: &[u8]) -> Vec<u8> {
    let (resp, _) = parse_tlv(response).unwrap();
    let mut r = resp.children();
    r.read("status").unwrap();
    r.read("token").unwrap().raw.to_vec()
}

/// `token` with its SignedData `certificates` replaced by `certs` (left out when empty).
fn with_certificates(token: &[u8], certs: &[Vec<u8>]) -> Vec<u8> {
    let (ci, _) = parse_tlv(token).unwrap();
    let mut c = ci.children();
    let content_type = c.read("contentType").unwrap().raw.to_vec();
    let explicit = c.read("content").unwrap();
    let sd = explicit.children().read("SignedData").unwrap();
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut f = sd.children();
    while let Some(field) = f.next_tlv().unwrap() {
        if field.is_context(0) {
            if !certs.is_empty() {
                parts.push(der::context(0, &certs.concat()));
            }
        } else {
            parts.push(field.raw.to_vec());
        }
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    der::sequence(&[&content_type, &der::context(0, &der::sequence(&refs))])
}

fn position(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn openssl_answers_our_request_and_we_accept_its_answer() {
    let s = Setup::new();
    assert_eq!(REQUEST_CONTENT_TYPE, "application/timestamp-query");
    assert_eq!(RESPONSE_CONTENT_TYPE, "application/timestamp-reply");
    let data = b"Cong van so 123/UBND";
    s.write("data.bin", data);
    let imprint = DigestAlgorithm::Sha256.digest(data);

    // Without its nonce, our request is byte for byte the one `openssl ts -query` builds.
    let req =
        TimestampRequest::with_random_nonce(DigestAlgorithm::Sha256, &imprint, Some(OTHER_POLICY))
            .unwrap();
    run(openssl(&s.pki.dir).args([
        "ts",
        "-query",
        "-data",
        "data.bin",
        "-sha256",
        "-cert",
        "-no_nonce",
        "-tspolicy",
        OTHER_POLICY,
        "-out",
        "openssl.tsq",
    ]));
    let (ours, _) = parse_tlv(req.der()).unwrap();
    let mut fields = Vec::new();
    let mut r = ours.children();
    while let Some(f) = r.next_tlv().unwrap() {
        if f.raw[0] != 0x02 || fields.is_empty() {
            fields.push(f.raw.to_vec()); // all but the nonce INTEGER (the version is first)
        }
    }
    assert_eq!(
        der::sequence(&fields.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        s.pki.read("openssl.tsq")
    );
    // openssl reads our nonce as we meant it.
    s.write("ours.tsq", req.der());
    let text = run(openssl(&s.pki.dir).args(["ts", "-query", "-in", "ours.tsq", "-text"])).stdout;
    let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
    assert!(text.contains("certificate required: yes"), "{text}");
    assert!(
        text.contains(&format!("nonce: 0x{}", hex(req.nonce_bytes()))),
        "{text}"
    );

    // openssl answers it; we accept the answer, and so does `openssl ts -verify`.
    let before = now();
    let resp = s.reply("ours.tsq");
    let after = now();
    let checked = check_response(&resp, &req, before, after).unwrap();
    assert!(resp.ends_with(&checked.token), "the token as received");
    assert_eq!(checked.token, token_of(&resp));
    assert_eq!(
        checked.tsa.subject_common_name.as_deref(),
        Some("Kyso Test TSA")
    );
    assert_eq!(checked.tsa.serial_hex, "3161");
    assert_eq!(checked.info.policy, OTHER_POLICY);
    assert_eq!(checked.info.imprint, imprint);
    assert_eq!(
        checked.info.imprint_algorithm.oid,
        DigestAlgorithm::Sha256.oid()
    );
    assert_eq!(checked.info.nonce.as_deref(), Some(req.nonce_bytes()));
    assert_eq!(
        checked.info.accuracy,
        Some(Accuracy {
            seconds: 1,
            millis: 500,
            micros: 0
        })
    );
    assert!(checked.info.gen_time >= before && checked.info.gen_time <= after);
    s.write("resp.tsr", &resp);
    run(openssl(&s.pki.dir).args([
        "ts",
        "-verify",
        "-in",
        "resp.tsr",
        "-queryfile",
        "ours.tsq",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "chain.pem",
    ]));

    // Without reqPolicy the TSA's default policy is fine; SHA-384 imprints too.
    let imprint384 = DigestAlgorithm::Sha384.digest(data);
    let req = TimestampRequest::new(DigestAlgorithm::Sha384, &imprint384, &[0x00, 0x80, 7], None)
        .unwrap();
    let checked = check_response(&s.ask("384.tsq", &req), &req, now(), now()).unwrap();
    assert_eq!(checked.info.policy, POLICY);
    assert_eq!(checked.info.nonce.as_deref(), Some(&[0x80, 7][..]));

    // The token goes into a signature as the unsigned attribute, byte for byte.
    let attr = timestamp_attribute(&checked.token);
    assert!(attr.ends_with(&checked.token));
    let (tlv, rest) = parse_tlv(&attr).unwrap();
    assert!(rest.is_empty() && tlv.raw.len() == attr.len());
    let parsed = parse_signed_data(&checked.token).unwrap();
    assert_eq!(parsed.certificates.len(), 3, "tsa, inter, root");
}

#[test]
fn answers_to_other_requests_and_altered_answers_are_refused() {
    let s = Setup::new();
    let imprint = [0x42u8; 32];
    let nonce = [0x00, 0xC0, 0xFF, 0xEE, 1, 2, 3, 4];
    let req =
        TimestampRequest::new(DigestAlgorithm::Sha256, &imprint, &nonce, Some(POLICY)).unwrap();
    let resp = s.ask("req.tsq", &req);
    let t = now();
    assert!(check_response(&resp, &req, t, t).is_ok());

    // The answer to a request for other data, with the same nonce.
    let other =
        TimestampRequest::new(DigestAlgorithm::Sha256, &[0x43; 32], &nonce, Some(POLICY)).unwrap();
    let err = check_response(&s.ask("other.tsq", &other), &req, t, t).unwrap_err();
    assert_eq!(err, TspError::WrongImprint);
    // Same data, hashed otherwise.
    let other =
        TimestampRequest::new(DigestAlgorithm::Sha384, &[0x42; 48], &nonce, Some(POLICY)).unwrap();
    let err = check_response(&s.ask("other.tsq", &other), &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_WRONG_IMPRINT");

    // The answer to the same data with another nonce (a replay).
    let other =
        TimestampRequest::new(DigestAlgorithm::Sha256, &imprint, &[7; 8], Some(POLICY)).unwrap();
    let err = check_response(&s.ask("other.tsq", &other), &req, t, t).unwrap_err();
    assert_eq!(err, TspError::WrongNonce);
    assert_eq!(err.code(), "TSA_WRONG_NONCE");
    // An answer without a nonce (`openssl ts -query -no_nonce`).
    s.write("data.bin", b"x");
    run(openssl(&s.pki.dir).args([
        "ts",
        "-query",
        "-digest",
        &hex(&imprint),
        "-sha256",
        "-cert",
        "-no_nonce",
        "-out",
        "nononce.tsq",
    ]));
    let err = check_response(&s.reply("nononce.tsq"), &req, t, t).unwrap_err();
    assert_eq!(err, TspError::WrongNonce);

    // The answer under another policy than the one asked for.
    let other = TimestampRequest::new(
        DigestAlgorithm::Sha256,
        &imprint,
        &nonce,
        Some(OTHER_POLICY),
    )
    .unwrap();
    let err = check_response(&s.ask("other.tsq", &other), &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_BAD_RESPONSE");
    assert!(err.to_string().contains("policy"), "{err}");

    // genTime outside the window: a response held back (or a TSA clock) an hour off.
    for (from, to) in [(t + 3600, t + 3700), (t - 3700, t - 3600)] {
        let err = check_response(&resp, &req, from, to).unwrap_err();
        assert_eq!(err.code(), "TSA_BAD_RESPONSE");
        assert!(err.to_string().contains("genTime"), "{err}");
    }
    // Within the skew is fine.
    assert!(check_response(&resp, &req, t + 50, t + 50).is_ok());
    assert!(check_response(&resp, &req, t - 50, t - 50).is_ok());

    // A tampered signature value.
    let parsed = parse_signed_data(&token_of(&resp)).unwrap();
    let signature = &parsed.signer_infos[0].signature;
    let mut bad = resp.clone();
    bad[position(&resp, signature) + 17] ^= 0x01;
    let err = check_response(&bad, &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_BAD_RESPONSE");
    assert!(err.to_string().contains("signature"), "{err}");
    // A tampered TSTInfo (its last byte).
    let tst = parsed.encap_content.clone().unwrap();
    let mut bad = resp.clone();
    bad[position(&resp, &tst) + tst.len() - 1] ^= 0x01;
    let err = check_response(&bad, &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_BAD_RESPONSE");
    assert!(err.to_string().contains("altered"), "{err}");

    // Without the certificates (as if certReq had been ignored).
    let token = with_certificates(&token_of(&resp), &[]);
    let err = check_response(&granted(&token), &req, t, t).unwrap_err();
    assert_eq!(
        err,
        TspError::BadResponse("the TSA sent no certificate".into())
    );
    // With only the chain: the signer's is missing.
    let chain = vec![s.pki.cert_der("inter"), s.pki.cert_der("root")];
    let token = with_certificates(&token_of(&resp), &chain);
    let err = check_response(&granted(&token), &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_BAD_RESPONSE");
    // The certificate substituted by a twin (same issuer, serial and key, no EKU): the
    // signature verifies, the signing-certificate-v2 attribute does not name it.
    let token = with_certificates(&token_of(&resp), &[s.pki.cert_der("tsa-twin")]);
    let err = check_response(&granted(&token), &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_BAD_RESPONSE");
    assert!(err.to_string().contains("signing-certificate"), "{err}");

    // Truncated, padded, or not a response at all.
    for end in [0, 1, 2, 10, resp.len() / 2, resp.len() - 1] {
        let err = check_response(&resp[..end], &req, t, t).unwrap_err();
        assert!(
            matches!(err.code(), "TSA_MALFORMED" | "TSA_BAD_RESPONSE"),
            "{end}: {err}"
        );
    }
    let mut padded = resp.clone();
    padded.push(0);
    assert_eq!(
        check_response(&padded, &req, t, t).unwrap_err().code(),
        "TSA_MALFORMED"
    );
    let err = check_response(b"HTTP/1.1 502 Bad Gateway", &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_MALFORMED");
    let err = check_response(&token_of(&resp), &req, t, t).unwrap_err();
    assert!(
        matches!(err.code(), "TSA_MALFORMED" | "TSA_BAD_RESPONSE"),
        "{err}"
    );
}

#[test]
fn openssl_rejections_are_reported_with_their_reasons() {
    let s = Setup::new();
    let t = now();

    // A policy the TSA does not have.
    let req = TimestampRequest::new(
        DigestAlgorithm::Sha256,
        &[1; 32],
        &[2; 8],
        Some(UNKNOWN_POLICY),
    )
    .unwrap();
    let err = check_response(&s.ask("policy.tsq", &req), &req, t, t).unwrap_err();
    let TspError::Rejected {
        status,
        text,
        failures,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 2);
    assert!(text.to_ascii_lowercase().contains("policy"), "{text}");
    assert_eq!(failures, &["unacceptedPolicy"]);
    assert_eq!(err.code(), "TSA_REJECTED");
    assert!(err.to_string().contains("rejection (2)"), "{err}");
    assert!(err.to_string().contains("[unacceptedPolicy]"), "{err}");

    // A hash the TSA does not accept.
    let req = TimestampRequest::new(DigestAlgorithm::Sha512, &[1; 64], &[2; 8], None).unwrap();
    let err = check_response(&s.ask("alg.tsq", &req), &req, t, t).unwrap_err();
    let TspError::Rejected {
        status, failures, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*status, failures.as_slice()), (2, &["badAlg"][..]));
}

#[test]
fn tokens_signed_by_certificates_that_may_not_time_stamp_are_refused() {
    let s = Setup::new();
    let req = TimestampRequest::new(DigestAlgorithm::Sha256, &[9; 32], &[3; 16], None).unwrap();
    let resp = s.ask("req.tsq", &req);
    let t = now();
    let tst = parse_signed_data(&token_of(&resp))
        .unwrap()
        .encap_content
        .unwrap();

    // The same TSTInfo signed with `openssl cms` by the TSA certificate: accepted (no ESS
    // attribute, which RFC 3161 wants but we only check when present).
    let token = s.cms_token(&tst, "tsa");
    let checked = check_response(&granted(&token), &req, t, t).unwrap();
    assert_eq!(checked.tsa.serial_hex, "3161");

    // Without extendedKeyUsage, and with a non-critical one (RFC 3161 §2.3).
    for (signer, why) in [
        ("tsa-noeku", "id-kp-timeStamping"),
        ("tsa-noncrit", "not critical"),
    ] {
        let token = s.cms_token(&tst, signer);
        let err = check_response(&granted(&token), &req, t, t).unwrap_err();
        assert_eq!(err.code(), "TSA_NOT_A_TSA", "{signer}: {err}");
        assert!(err.to_string().contains(why), "{signer}: {err}");
    }
    // The signer certificate of an ordinary signature is no TSA either.
    let err = check_response(&granted(&token_with_signer(&s, &tst)), &req, t, t).unwrap_err();
    assert_eq!(err.code(), "TSA_NOT_A_TSA", "{err}");
}

/// The TSTInfo signed by the PKI's document signer (signer.pem, signer.key).
fn token_with_signer(s: &Setup, tst: &[u8]) -> Vec<u8> {
    s.write("tst.der", tst);
    run(openssl(&s.pki.dir).args([
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-in",
        "tst.der",
        "-econtent_type",
        "1.2.840.113549.1.9.16.1.4",
        "-signer",
        "signer.pem",
        "-inkey",
        "signer.key",
        "-md",
        "sha256",
        "-outform",
        "DER",
        "-out",
        "signer.token",
    ]));
    s.pki.read("signer.token")
}
