//! `kyso verify` and revocation (issue 4: "revoked signer, with a CRL served by a local HTTP
//! server ⇒ invalid"). The test builds its own small PKI whose certificates name CRL
//! distribution points on a local HTTP server (a real socket: common::FileServer, a thread of
//! this test, stopped when dropped), signs with the `kyso` CLI, and verifies online before
//! and after `openssl ca -revoke` + `openssl ca -gencrl`, then offline. pyHanko's verdict
//! (`pyhanko sign validate`, which fetches CRLs itself) is compared on the same files.

mod common;

use std::path::Path;

use common::ca::{Issuer, TestCa};
use common::{FileServer, Sign, fixtures, out_dir, pyhanko_validate, reason_codes, verify_json};

/// root → "Kyso Revocation Test CA" (CDP root.crl) → "Nguyễn Thu Hồi" (CDP inter.crl).
fn build_pki(dir: &Path, server: &FileServer) -> TestCa {
    let ca = TestCa::new(
        dir,
        &server.url("root.crl"),
        &format!(
            "[ v3_signer ]\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, nonRepudiation\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n\
             crlDistributionPoints = URI:{}\n",
            server.url("inter.crl")
        ),
    );
    let root = "/C=VN/CN=Kyso Revocation Test Root";
    ca.issue("root", root, Issuer::SelfSigned, "v3_root");
    let inter = "/C=VN/CN=Kyso Revocation Test CA";
    ca.issue("inter", inter, Issuer::Root, "v3_inter");
    let signer = "/C=VN/L=Quảng Ngãi/O=Sở Thử nghiệm/CN=Nguyễn Thu Hồi";
    ca.issue("signer", signer, Issuer::Inter, "v3_signer");
    ca.export_p12("signer", "Nguyễn Thu Hồi");
    ca
}

/// Publishes the current CRLs of both CAs (DER) where the server serves them.
fn publish_crls(pki: &TestCa, www: &Path) {
    pki.publish_crl(www, "root", None);
    pki.publish_crl(www, "inter", None);
}

#[test]
fn revoked_signer_with_crl_from_local_server() {
    let dir = out_dir("verify-revocation");
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    let server = FileServer::start(&www);
    let pki = build_pki(&dir, &server);
    publish_crls(&pki, &www);

    let signed = dir.join("signed.pdf");
    let (o, json) = Sign::new(
        &fixtures().corpus.join("form.pdf"),
        &signed,
        pki.path("signer.p12").to_str().expect("utf-8 path"),
    )
    .p12_password_file(&pki.path("password.txt"))
    .run();
    assert!(o.status.success(), "sign failed: {json}");

    let home = dir.join("home");
    let root = pki.path("root.pem");
    let online = [signed.as_os_str(), "--trust".as_ref(), root.as_os_str()];
    let offline = [
        signed.as_os_str(),
        "--trust".as_ref(),
        root.as_os_str(),
        "--offline".as_ref(),
    ];

    // Before revocation: both CRLs fetched from the server, nothing listed ⇒ valid.
    let (exit, report) = verify_json(&home, &online);
    assert_eq!(exit, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(report["verdict"], "valid");
    assert_eq!(report["online"], true);
    assert_eq!(sig["revocation"]["status"], "good", "{report:#}");
    assert_eq!(sig["revocation"]["sources"], serde_json::json!(["fetched"]));
    assert_eq!(sig["chain"]["trusted"], true);
    assert_eq!(sig["signer"]["common_name"], "Nguyễn Thu Hồi");
    let fetched = server.requests();
    assert!(
        fetched.contains(&"/inter.crl".to_string()) && fetched.contains(&"/root.crl".to_string()),
        "the CRLs were not fetched: {fetched:?}"
    );
    let (py_exit, py) = pyhanko_validate(&root, &signed);
    assert_eq!(py_exit, 0, "pyHanko disagrees before revocation: {py}");
    assert!(py.ends_with(":INTACT:TRUSTED,UNTOUCHED"), "{py}");

    // Offline, with no CRL embedded (Kyso embeds none; no DSS): revocation.rs reports every
    // certificate that names a CRL distribution point as REVOCATION_UNKNOWN (indeterminate),
    // status "unknown", no source ⇒ exit 2. Nothing is fetched.
    // (pyHanko has no "embedded data only" mode: without fetching, its soft-fail default
    // accepts the signature as TRUSTED; Kyso is stricter by design, so not compared.)
    let before = server.requests().len();
    let (exit, report) = verify_json(&home, &offline);
    assert_eq!(exit, 2, "{report:#}");
    assert_eq!(report["verdict"], "indeterminate");
    assert_eq!(report["online"], false);
    let sig = &report["signatures"][0];
    assert_eq!(sig["revocation"]["status"], "unknown");
    assert_eq!(sig["revocation"]["sources"], serde_json::json!([]));
    let unknown = reason_codes(&report)
        .iter()
        .filter(|c| *c == "REVOCATION_UNKNOWN")
        .count();
    assert_eq!(unknown, 2, "signer and intermediate: {report:#}");
    assert_eq!(
        server.requests().len(),
        before,
        "--offline fetched something"
    );

    // Revoke the signer and publish the new CRL ⇒ invalid, exit 1.
    pki.revoke("signer");
    publish_crls(&pki, &www);
    let (exit, report) = verify_json(&home, &online);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "invalid");
    let sig = &report["signatures"][0];
    assert_eq!(sig["verdict"], "invalid");
    assert_eq!(sig["revocation"]["status"], "revoked");
    assert_eq!(sig["revocation"]["sources"], serde_json::json!(["fetched"]));
    assert!(
        reason_codes(&report).contains(&"CERT_REVOKED".to_string()),
        "{report:#}"
    );
    let (py_exit, py) = pyhanko_validate(&root, &signed);
    assert_eq!(py_exit, 1, "pyHanko disagrees after revocation: {py}");
    assert!(py.contains(":REVOKED"), "{py}");

    // Text output names the revocation.
    let out = common::kyso()
        .args(["verify".as_ref(), signed.as_os_str(), "--trust".as_ref()])
        .arg(&root)
        .args(["--lang", "en"])
        .env("KYSO_HOME", &home)
        .output()
        .expect("kyso verify");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("INVALID") && text.contains("[CERT_REVOKED]"),
        "{text}"
    );

    // Still offline-indeterminate: the revocation is only known online.
    let (exit, _) = verify_json(&home, &offline);
    assert_eq!(exit, 2);

    // The CRL server gone (404): online, but no revocation data ⇒ indeterminate, and the
    // failed fetch is reported.
    std::fs::remove_file(www.join("inter.crl")).expect("rm crl");
    let (exit, report) = verify_json(&home, &online);
    assert_eq!(exit, 2, "{report:#}");
    let codes = reason_codes(&report);
    assert!(
        codes.contains(&"CRL_FETCH_FAILED".to_string()),
        "{report:#}"
    );
    assert!(codes.contains(&"REVOCATION_UNKNOWN".to_string()));
    assert_eq!(report["signatures"][0]["revocation"]["status"], "unknown");
}
