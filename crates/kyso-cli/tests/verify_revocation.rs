//! `kyso verify` and revocation (issue 4: "revoked signer, with a CRL served by a local HTTP
//! server ⇒ invalid"). The test builds its own small PKI whose certificates name CRL
//! distribution points on a local HTTP server (a real socket: common::FileServer, a thread of
//! this test, stopped when dropped), signs with the `kyso` CLI, and verifies online before
//! and after `openssl ca -revoke` + `openssl ca -gencrl`, then offline. pyHanko's verdict
//! (`pyhanko sign validate`, which fetches CRLs itself) is compared on the same files.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{FileServer, Sign, fixtures, out_dir, reason_codes, run_ok, verify_json};

/// root → "Kyso Revocation Test CA" (CDP root.crl) → "Nguyễn Thu Hồi" (CDP inter.crl).
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn build(dir: &Path, server: &FileServer) -> Self {
        let cnf = format!(
            r#"[ ca ]
default_ca = CA_root
[ CA_root ]
dir = ./db-root
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir
certificate = ./root.pem
private_key = ./root.key
default_md = sha256
default_crl_days = 7
policy = policy_any
unique_subject = no
email_in_dn = no
preserve = yes
[ CA_inter ]
dir = ./db-inter
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir
certificate = ./inter.pem
private_key = ./inter.key
default_md = sha256
default_crl_days = 7
policy = policy_any
unique_subject = no
email_in_dn = no
preserve = yes
[ policy_any ]
commonName = supplied
organizationName = optional
localityName = optional
countryName = optional
[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
prompt = no
[ req_dn ]
CN = placeholder
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:{root_crl}
[ v3_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:{inter_crl}
"#,
            root_crl = server.url("root.crl"),
            inter_crl = server.url("inter.crl"),
        );
        std::fs::write(dir.join("ca.cnf"), cnf).expect("ca.cnf");
        for db in ["db-root", "db-inter"] {
            std::fs::create_dir_all(dir.join(db)).expect("db");
            std::fs::write(dir.join(db).join("index.txt"), "").expect("index");
            std::fs::write(dir.join(db).join("crlnumber"), "01\n").expect("crlnumber");
        }
        // Random serials: NSS-style validators refuse two certificates with one issuer+serial.
        let serial = |prefix: &str| {
            let n = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{prefix}{:031X}\n", n ^ u128::from(std::process::id()))
        };
        std::fs::write(dir.join("db-root/serial"), serial("1")).expect("serial");
        std::fs::write(dir.join("db-inter/serial"), serial("2")).expect("serial");
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        for name in ["root", "inter", "signer"] {
            pki.openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &format!("{name}.key"),
            ]);
        }
        let start = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
        let start = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            start.year(),
            u8::from(start.month()),
            start.day(),
            start.hour(),
            start.minute(),
            start.second()
        );
        for (name, subject, ca, ext) in [
            (
                "root",
                "/C=VN/CN=Kyso Revocation Test Root",
                "self",
                "v3_root",
            ),
            (
                "inter",
                "/C=VN/CN=Kyso Revocation Test CA",
                "CA_root",
                "v3_inter",
            ),
            (
                "signer",
                "/C=VN/L=Quảng Ngãi/O=Sở Thử nghiệm/CN=Nguyễn Thu Hồi",
                "CA_inter",
                "v3_signer",
            ),
        ] {
            pki.openssl(&[
                "req",
                "-new",
                "-config",
                "ca.cnf",
                "-utf8",
                "-key",
                &format!("{name}.key"),
                "-subj",
                subject,
                "-out",
                &format!("{name}.csr"),
            ]);
            let mut args = vec![
                "ca",
                "-config",
                "ca.cnf",
                "-batch",
                "-notext",
                "-utf8",
                "-preserveDN",
                "-extensions",
                ext,
                "-startdate",
                &start,
                "-days",
                "365",
            ];
            let csr = format!("{name}.csr");
            let pem = format!("{name}.pem");
            if ca == "self" {
                args.extend(["-name", "CA_root", "-selfsign"]);
            } else {
                args.extend(["-name", ca]);
            }
            args.extend(["-in", &csr, "-out", &pem]);
            pki.openssl(&args);
        }
        std::fs::write(dir.join("password.txt"), "mật khẩu").expect("password");
        std::fs::write(
            dir.join("chain.pem"),
            [
                std::fs::read(dir.join("inter.pem")).expect("inter"),
                std::fs::read(dir.join("root.pem")).expect("root"),
            ]
            .concat(),
        )
        .expect("chain");
        pki.openssl(&[
            "pkcs12",
            "-export",
            "-inkey",
            "signer.key",
            "-in",
            "signer.pem",
            "-certfile",
            "chain.pem",
            "-name",
            "Nguyễn Thu Hồi",
            "-passout",
            "file:password.txt",
            "-out",
            "signer.p12",
        ]);
        pki
    }

    fn openssl(&self, args: &[&str]) {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        run_ok("openssl", &args, &self.dir);
    }

    /// Publishes the current CRLs of both CAs (DER) where the server serves them.
    fn publish_crls(&self, www: &Path) {
        for (ca, name) in [("CA_root", "root"), ("CA_inter", "inter")] {
            let pem = format!("{name}.crl.pem");
            self.openssl(&[
                "ca", "-config", "ca.cnf", "-name", ca, "-gencrl", "-out", &pem,
            ]);
            let der = www.join(format!("{name}.crl"));
            self.openssl(&[
                "crl",
                "-in",
                &pem,
                "-outform",
                "DER",
                "-out",
                der.to_str().expect("utf-8 path"),
            ]);
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `pyhanko sign validate --trust root.pem --trust-replace FILE`: pyHanko fetches the CRLs
/// itself (hard-fail by default). (exit code, first line of its output).
fn pyhanko_validate(pki: &Pki, file: &Path) -> (i32, String) {
    let out = Command::new(fixtures().python.with_file_name("pyhanko"))
        .args(["sign", "validate", "--trust"])
        .arg(pki.path("root.pem"))
        .arg("--trust-replace")
        .arg(file)
        .output()
        .expect("run pyhanko");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn revoked_signer_with_crl_from_local_server() {
    let dir = out_dir("verify-revocation");
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    let server = FileServer::start(&www);
    let pki = Pki::build(&dir, &server);
    pki.publish_crls(&www);

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
    let (py_exit, py) = pyhanko_validate(&pki, &signed);
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
    pki.openssl(&[
        "ca",
        "-config",
        "ca.cnf",
        "-name",
        "CA_inter",
        "-revoke",
        "signer.pem",
        "-crl_reason",
        "keyCompromise",
    ]);
    pki.publish_crls(&www);
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
    let (py_exit, py) = pyhanko_validate(&pki, &signed);
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
