//! `kyso verify` with OCSP (RFC 6960) and the freshness of revocation data. The test builds
//! its own PKI whose end-entity certificates name an OCSP responder (authorityInfoAccess) on
//! a local `openssl ocsp -index … -port PORT` started by the test (killed when dropped), and
//! whose CA names a CRL on the test's own HTTP server (common::FileServer). It signs with the
//! `kyso` CLI (and pyHanko, to embed OCSP responses), verifies with `kyso verify --trust
//! root.pem --json`, and compares with pyHanko's `sign validate`, which asks the responder
//! itself (no flag needed).

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ca::{Issuer, TestCa, openssl_time};
use common::{
    FileServer, KillOnDrop, Sign, fixtures, free_port, out_dir, pyhanko_validate, reason_codes,
    run_ok, verify_json,
};
use serde_json::json;

/// root (CDP-less) → "Kyso OCSP Test CA" (CDP root.crl) → end entities issued by the CA:
/// - `good`, `revoked`: authorityInfoAccess OCSP only (http://127.0.0.1:PORT);
/// - `crlsigner`: a CRL distribution point only (inter.crl);
/// - `responder`: a delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck);
/// - `noeku`: issued by the CA, but not for OCSP signing.
///
/// And `unrelated`: a self-signed certificate for OCSP signing that no CA here issued.
struct Pki {
    ca: TestCa,
    ocsp_port: u16,
}

impl std::ops::Deref for Pki {
    type Target = TestCa;
    fn deref(&self) -> &TestCa {
        &self.ca
    }
}

impl Pki {
    fn build(dir: &Path, server: &FileServer) -> Self {
        let ocsp_port = free_port();
        let extensions = format!(
            r#"[ v3_ocsp_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:http://127.0.0.1:{ocsp_port}
[ v3_crl_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:{inter_crl}
[ v3_responder ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_noeku ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_unrelated ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
"#,
            inter_crl = server.url("inter.crl"),
        );
        let ca = TestCa::new(dir, &server.url("root.crl"), &extensions);
        for (name, subject, issuer, ext) in [
            (
                "root",
                "/C=VN/CN=Kyso OCSP Test Root",
                Issuer::SelfSigned,
                "v3_root",
            ),
            (
                "inter",
                "/C=VN/CN=Kyso OCSP Test CA",
                Issuer::Root,
                "v3_inter",
            ),
            (
                "good",
                "/C=VN/L=Quảng Ngãi/O=Sở Thử nghiệm/CN=Nguyễn Văn Tốt",
                Issuer::Inter,
                "v3_ocsp_signer",
            ),
            (
                "revoked",
                "/C=VN/L=Quảng Ngãi/O=Sở Thử nghiệm/CN=Trần Thị Thu Hồi",
                Issuer::Inter,
                "v3_ocsp_signer",
            ),
            (
                "crlsigner",
                "/C=VN/L=Quảng Ngãi/O=Sở Thử nghiệm/CN=Lê Văn Cũ",
                Issuer::Inter,
                "v3_crl_signer",
            ),
            (
                "responder",
                "/C=VN/CN=Kyso OCSP Test Responder",
                Issuer::Inter,
                "v3_responder",
            ),
            (
                "noeku",
                "/C=VN/CN=Kyso Not A Responder",
                Issuer::Inter,
                "v3_noeku",
            ),
        ] {
            ca.issue(name, subject, issuer, ext);
        }
        // The unrelated responder: self-signed, no CA of this PKI issued it.
        ca.openssl(&[
            "req",
            "-x509",
            "-new",
            "-config",
            "ca.cnf",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "unrelated.key",
            "-subj",
            "/C=VN/CN=Kyso Unrelated Responder",
            "-extensions",
            "v3_unrelated",
            "-days",
            "365",
            "-out",
            "unrelated.pem",
        ]);
        for name in ["good", "revoked", "crlsigner"] {
            ca.export_p12(name, name);
        }
        // `revoked` is revoked before any responder starts (keyCompromise).
        ca.revoke("revoked");
        Pki { ca, ocsp_port }
    }

    /// Starts `openssl ocsp` on the port the certificates name, answering from the CA's
    /// index and signing with `signer`'s key (nextUpdate one day after thisUpdate). Returns
    /// once it accepts connections.
    fn responder(&self, signer: &str) -> KillOnDrop {
        let log = std::fs::File::create(self.dir.join(format!("ocsp-{signer}.log"))).expect("log");
        let child = Command::new("openssl")
            .args([
                "ocsp",
                "-index",
                "db-inter/index.txt",
                "-port",
                &self.ocsp_port.to_string(),
                "-CA",
                "inter.pem",
                "-rsigner",
                &format!("{signer}.pem"),
                "-rkey",
                &format!("{signer}.key"),
                "-ndays",
                "1",
                "-ignore_err",
            ])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start openssl ocsp");
        let guard = KillOnDrop(child);
        // Ready once it says so. (Not by connecting: openssl 3.0's responder serves one
        // connection at a time and hangs for good on one closed before sending a request.)
        let log = self.dir.join(format!("ocsp-{signer}.log"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("waiting for OCSP client connections") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "openssl ocsp did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        guard
    }

    /// `kyso sign form.pdf -o OUT --p12 NAME.p12`.
    fn sign(&self, name: &str, out: &Path) {
        let (o, json) = Sign::new(
            &fixtures().corpus.join("form.pdf"),
            out,
            self.path(&format!("{name}.p12"))
                .to_str()
                .expect("utf-8 path"),
        )
        .p12_password_file(&self.path("password.txt"))
        .run();
        assert!(o.status.success(), "sign failed: {json}");
    }
}

/// A PKI with its CRL server, both CRLs published.
fn setup(name: &str) -> (PathBuf, FileServer, Pki) {
    let dir = out_dir(name);
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    let server = FileServer::start(&www);
    let pki = Pki::build(&dir, &server);
    pki.publish_crl(&www, "root", None);
    pki.publish_crl(&www, "inter", None);
    (dir, server, pki)
}

/// `kyso verify FILE --trust root.pem [--offline] --json`.
fn verify(pki: &Pki, file: &Path, offline: bool) -> (i32, serde_json::Value) {
    let root = pki.path("root.pem");
    let mut args = vec![file.as_os_str(), "--trust".as_ref(), root.as_os_str()];
    if offline {
        args.push("--offline".as_ref());
    }
    verify_json(&pki.path("home"), &args)
}

fn count(report: &serde_json::Value, code: &str) -> usize {
    reason_codes(report).iter().filter(|c| *c == code).count()
}

/// The details of the reasons with this code.
fn details(report: &serde_json::Value, code: &str) -> Vec<String> {
    report["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["reasons"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["code"] == code)
        .filter_map(|r| r["detail"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn ocsp_good_revoked_and_no_responder() {
    let (dir, server, pki) = setup("verify-ocsp");
    let good = dir.join("good.pdf");
    let revoked = dir.join("revoked.pdf");
    pki.sign("good", &good);
    pki.sign("revoked", &revoked);
    let responder = pki.responder("inter");

    // Good: the signer's status from the responder (signed by the CA itself), the CA's from
    // the root's CRL.
    let (exit, report) = verify(&pki, &good, false);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(report["verdict"], "valid");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "good", "{report:#}");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["ocsp-fetched", "fetched"])
    );
    assert_eq!(sig["chain"]["trusted"], true);
    assert_eq!(count(&report, "REVOCATION_UNKNOWN"), 0);
    assert!(server.requests().contains(&"/root.crl".to_string()));
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &good);
    assert_eq!(py_exit, 0, "pyHanko disagrees on the good signer: {py}");
    assert!(py.ends_with(":INTACT:TRUSTED,UNTOUCHED"), "{py}");

    // Revoked in the responder's index: invalid, as with a CRL.
    let (exit, report) = verify(&pki, &revoked, false);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "invalid");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "revoked");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["ocsp-fetched", "fetched"])
    );
    assert_eq!(count(&report, "CERT_REVOKED"), 1, "{report:#}");
    let why = details(&report, "CERT_REVOKED").join(" ");
    assert!(
        why.contains("Trần Thị Thu Hồi") && why.contains("keyCompromise") && why.contains("OCSP"),
        "{why}"
    );
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &revoked);
    assert_eq!(py_exit, 1, "pyHanko disagrees on the revoked signer: {py}");
    assert!(py.contains(":REVOKED"), "{py}");

    // Text output.
    let out = common::kyso()
        .args(["verify".as_ref(), revoked.as_os_str(), "--trust".as_ref()])
        .arg(pki.path("root.pem"))
        .args(["--lang", "en"])
        .env("KYSO_HOME", pki.path("home"))
        .output()
        .expect("kyso verify");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Revocation: REVOKED (ocsp-fetched, fetched)"),
        "{text}"
    );

    // The responder stopped. Offline, the signer names only OCSP and nothing is embedded:
    // REVOCATION_UNKNOWN for it (and for the CA, whose CRL is not fetched either).
    drop(responder);
    let before = server.requests().len();
    let (exit, report) = verify(&pki, &good, true);
    assert_eq!(exit, 2, "{report:#}");
    assert_eq!(report["verdict"], "indeterminate");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "unknown");
    assert_eq!(sig["revocation"]["sources"], json!([]));
    assert_eq!(count(&report, "REVOCATION_UNKNOWN"), 2, "{report:#}");
    assert!(
        details(&report, "REVOCATION_UNKNOWN")
            .iter()
            .any(|d| d.contains("Nguyễn Văn Tốt") && d.contains("offline")),
        "{report:#}"
    );
    assert_eq!(
        server.requests().len(),
        before,
        "--offline fetched something"
    );

    // Online with no responder: the failure is reported, the status stays unknown (the CA's
    // CRL is still fetched and good).
    let (exit, report) = verify(&pki, &good, false);
    assert_eq!(exit, 2, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "unknown");
    assert_eq!(sig["revocation"]["sources"], json!(["fetched"]));
    assert_eq!(count(&report, "OCSP_FETCH_FAILED"), 1, "{report:#}");
    assert_eq!(count(&report, "REVOCATION_UNKNOWN"), 1, "{report:#}");
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &good);
    assert_ne!(
        py_exit, 0,
        "pyHanko accepts a signer whose responder is gone: {py}"
    );
}

#[test]
fn embedded_ocsp_responses_from_pyhanko() {
    let (dir, _server, pki) = setup("verify-ocsp-embedded");
    let responder = pki.responder("inter");
    let pyhanko = fixtures().python.with_file_name("pyhanko");
    let root = pki.path("root.pem");

    // (a) pyHanko's adbe.pkcs7.detached signature with --with-validation-info: the OCSP
    // response and the CA's CRL in the CMS adbe-revocationInfoArchival attribute.
    let archival = dir.join("archival.pdf");
    let (form, p12, pass) = (
        fixtures().corpus.join("form.pdf"),
        pki.path("good.p12"),
        pki.path("password.txt"),
    );
    let addsig = |extra: &[&OsStr], out: &Path| {
        let mut args: Vec<&OsStr> = vec![
            "sign".as_ref(),
            "addsig".as_ref(),
            "--field".as_ref(),
            "Sig1".as_ref(),
        ];
        args.extend_from_slice(extra);
        args.extend([
            "--trust".as_ref(),
            root.as_os_str(),
            "--trust-replace".as_ref(),
            "pkcs12".as_ref(),
            "--passfile".as_ref(),
            pass.as_os_str(),
            form.as_os_str(),
            out.as_os_str(),
            p12.as_os_str(),
        ]);
        run_ok(&pyhanko, &args, &dir);
    };
    addsig(&["--with-validation-info".as_ref()], &archival);

    // (b) pyHanko's PAdES signature, then `ltvfix`: the OCSP response in the DSS /OCSPs.
    let dss = dir.join("dss.pdf");
    addsig(&["--use-pades".as_ref()], &dss);
    run_ok(
        &pyhanko,
        &[
            "sign".as_ref(),
            "ltvfix".as_ref(),
            "--field".as_ref(),
            "Sig1".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
            "--trust-replace".as_ref(),
            dss.as_os_str(),
        ],
        &dir,
    );
    drop(responder);

    // Offline, with the responder gone: the embedded responses prove the signer's status.
    let (exit, report) = verify(&pki, &archival, true);
    assert_eq!(exit, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["sub_filter"], "adbe.pkcs7.detached");
    assert_eq!(sig["revocation"]["status"], "good", "{report:#}");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["ocsp-embedded", "cms"])
    );

    let (exit, report) = verify(&pki, &dss, true);
    assert_eq!(exit, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "good", "{report:#}");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["ocsp-embedded", "dss"])
    );
    assert_eq!(sig["modifications"]["status"], "allowed");
}

#[test]
fn delegated_responder_is_accepted() {
    let (dir, _server, pki) = setup("verify-ocsp-delegated");
    let good = dir.join("good.pdf");
    let revoked = dir.join("revoked.pdf");
    pki.sign("good", &good);
    pki.sign("revoked", &revoked);
    let _responder = pki.responder("responder");

    let (exit, report) = verify(&pki, &good, false);
    assert_eq!(exit, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "good");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["ocsp-fetched", "fetched"])
    );
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &good);
    assert_eq!(py_exit, 0, "pyHanko refuses the delegated responder: {py}");

    let (exit, report) = verify(&pki, &revoked, false);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["signatures"][0]["revocation"]["status"], "revoked");
    assert!(reason_codes(&report).contains(&"CERT_REVOKED".to_string()));
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &revoked);
    assert_eq!(py_exit, 1, "{py}");
    assert!(py.contains(":REVOKED"), "{py}");
}

#[test]
fn responders_without_authority_are_not_believed() {
    let (dir, _server, pki) = setup("verify-ocsp-unauthorized");
    let good = dir.join("good.pdf");
    let revoked = dir.join("revoked.pdf");
    pki.sign("good", &good);
    pki.sign("revoked", &revoked);

    // A key no CA of the chain certified, and a certificate the CA issued for something
    // else than OCSP signing: their "good" must not count.
    for (signer, why) in [
        ("unrelated", "did not issue"),
        ("noeku", "id-kp-OCSPSigning"),
    ] {
        let responder = pki.responder(signer);
        let (exit, report) = verify(&pki, &good, false);
        assert_eq!(exit, 2, "{signer}: {report:#}");
        let sig = &report["signatures"][0];
        assert_eq!(sig["verdict"], "indeterminate");
        assert_eq!(sig["revocation"]["status"], "unknown", "{signer}");
        assert_eq!(sig["revocation"]["sources"], json!(["fetched"]), "{signer}");
        assert_eq!(count(&report, "OCSP_NOT_FROM_ISSUER"), 1, "{report:#}");
        assert!(
            details(&report, "OCSP_NOT_FROM_ISSUER")[0].contains(why),
            "{signer}: {report:#}"
        );
        assert_eq!(count(&report, "REVOCATION_UNKNOWN"), 1, "{report:#}");
        let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &good);
        assert_ne!(py_exit, 0, "pyHanko believes the {signer} responder: {py}");
        assert!(!py.contains(":TRUSTED"), "{py}");

        // Nor does its "revoked": an unauthenticated answer proves nothing either way.
        let (exit, report) = verify(&pki, &revoked, false);
        assert_eq!(exit, 2, "{signer}: {report:#}");
        assert_eq!(count(&report, "CERT_REVOKED"), 0, "{report:#}");
        drop(responder);
    }
}

#[test]
fn stale_crl_is_not_proof_of_good_status() {
    let (dir, _server, pki) = setup("verify-stale-crl");
    let www = dir.join("www");
    let signed = dir.join("signed.pdf");
    pki.sign("crlsigner", &signed);

    // A CRL of the CA valid from 3 days ago to yesterday, which does not list the signer.
    let now = time::OffsetDateTime::now_utc();
    let stale = || {
        Some((
            openssl_time(now - time::Duration::days(3)),
            openssl_time(now - time::Duration::days(1)),
        ))
    };
    pki.publish_crl(&www, "inter", stale());
    let (exit, report) = verify(&pki, &signed, false);
    assert_eq!(exit, 2, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["verdict"], "indeterminate");
    assert_eq!(sig["revocation"]["status"], "unknown");
    assert_eq!(
        sig["revocation"]["sources"],
        json!(["fetched"]),
        "the CA's own CRL"
    );
    assert_eq!(count(&report, "REVOCATION_STALE"), 1, "{report:#}");
    assert_eq!(count(&report, "REVOCATION_UNKNOWN"), 1, "{report:#}");
    let stale_detail = &details(&report, "REVOCATION_STALE")[0];
    assert!(
        stale_detail.contains("Lê Văn Cũ") && stale_detail.contains("nextUpdate"),
        "{stale_detail}"
    );
    assert!(
        report["signatures"][0]["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["code"] == "REVOCATION_STALE" && r["severity"] == "info"),
        "{report:#}"
    );
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &signed);
    assert_ne!(py_exit, 0, "pyHanko accepts a stale CRL: {py}");
    assert!(!py.contains(":TRUSTED"), "{py}");

    // A current CRL: valid.
    pki.publish_crl(&www, "inter", None);
    let (exit, report) = verify(&pki, &signed, false);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(report["signatures"][0]["revocation"]["status"], "good");
    assert_eq!(count(&report, "REVOCATION_STALE"), 0);
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &signed);
    assert_eq!(py_exit, 0, "{py}");

    // The signer suspended (certificateHold): a current CRL saying so is a revocation…
    pki.openssl(&[
        "ca",
        "-config",
        "ca.cnf",
        "-name",
        "CA_inter",
        "-revoke",
        "crlsigner.pem",
        "-crl_hold",
        "holdInstructionReject",
    ]);
    pki.publish_crl(&www, "inter", None);
    let (exit, report) = verify(&pki, &signed, false);
    assert_eq!(exit, 1, "{report:#}");
    assert!(details(&report, "CERT_REVOKED")[0].contains("certificateHold"));
    // …but a stale one is not: the suspension may have been lifted since.
    pki.publish_crl(&www, "inter", stale());
    let (exit, report) = verify(&pki, &signed, false);
    assert_eq!(exit, 2, "{report:#}");
    assert_eq!(count(&report, "CERT_REVOKED"), 0, "{report:#}");
    assert_eq!(count(&report, "REVOCATION_STALE"), 1, "{report:#}");
    assert!(details(&report, "REVOCATION_STALE")[0].contains("on hold"));

    // A stale CRL still proves a definitive revocation: a CA never takes one back. (pyHanko
    // ignores a stale CRL altogether and says UNTRUSTED; both refuse the signature.)
    let index = pki.path("db-inter/index.txt");
    let text = std::fs::read_to_string(&index).expect("index");
    assert!(
        text.contains(",holdInstruction,holdInstructionReject"),
        "{text}"
    );
    std::fs::write(
        &index,
        text.replace(",holdInstruction,holdInstructionReject", ",keyCompromise"),
    )
    .expect("index");
    pki.publish_crl(&www, "inter", stale());
    let (exit, report) = verify(&pki, &signed, false);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["signatures"][0]["revocation"]["status"], "revoked");
    assert_eq!(count(&report, "CERT_REVOKED"), 1, "{report:#}");
    let why = &details(&report, "CERT_REVOKED")[0];
    assert!(
        why.contains("keyCompromise") && why.contains("CRL of"),
        "{why}"
    );
    let (py_exit, py) = pyhanko_validate(&pki.path("root.pem"), &signed);
    assert_ne!(py_exit, 0, "{py}");
}
