//! Timestamps and long-term validation (PAdES B-T, B-LT, B-LTA), judged by peers: the real
//! `kyso` CLI with a local TSA (`openssl ts -reply` behind tests/tsa/tsa_server.py), a CRL
//! server and an `openssl ocsp` responder, all started here. B-LT and B-LTA files are then
//! validated by `pyhanko sign adesverify` with every server stopped and, where the machine
//! allows it, in a network namespace of its own (`unshare -rn`): no network at all.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ca::{Issuer, TestCa};
use common::tsa::Tsa;
use common::{FileServer, KillOnDrop, fixtures, free_port, judge, kyso, out_dir, sha256};
use serde_json::Value;

/// root → "Kyso LTV Test CA" (CRL: inter.crl) → the signer (OCSP only), the OCSP responder
/// (id-pkix-ocsp-nocheck), and the TSA (critical EKU timeStamping, CRL only): every
/// certificate but the root has a revocation source, as pyHanko's LTV validation requires.
struct Pki {
    ca: TestCa,
    ocsp_port: u16,
    /// The TSA's files for tsa_server.py.
    tsa_dir: PathBuf,
}

impl Pki {
    fn build(dir: &Path, server: &FileServer) -> Pki {
        let ocsp_port = free_port();
        let extensions = format!(
            r#"[ v3_signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:http://127.0.0.1:{ocsp_port}
[ v3_responder ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_tsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:{inter_crl}
"#,
            inter_crl = server.url("inter.crl"),
        );
        let ca = TestCa::new(dir, &server.url("root.crl"), &extensions);
        for (name, subject, issuer, ext) in [
            (
                "root",
                "/C=VN/CN=Kyso LTV Test Root",
                Issuer::SelfSigned,
                "v3_root",
            ),
            (
                "inter",
                "/C=VN/CN=Kyso LTV Test CA",
                Issuer::Root,
                "v3_inter",
            ),
            (
                "signer",
                "/C=VN/L=Hà Nam/O=UBND tỉnh Thử nghiệm/CN=Phạm Văn Lưu Trữ",
                Issuer::Inter,
                "v3_signer",
            ),
            (
                "responder",
                "/C=VN/CN=Kyso LTV OCSP Responder",
                Issuer::Inter,
                "v3_responder",
            ),
            (
                "tsa",
                "/C=VN/O=Ban Cơ yếu Thử nghiệm/CN=Kyso LTV TSA",
                Issuer::Inter,
                "v3_tsa",
            ),
        ] {
            ca.issue(name, subject, issuer, ext);
        }
        ca.export_p12("signer", "signer");
        // tsa_server.py's folder: the key, the certificate, the chain, openssl's settings.
        let tsa_dir = dir.join("tsa");
        std::fs::create_dir_all(&tsa_dir).expect("tsa dir");
        for (from, to) in [("tsa.key", "tsa.key"), ("tsa.pem", "tsa.pem")] {
            std::fs::copy(ca.path(from), tsa_dir.join(to)).expect("copy the TSA's files");
        }
        std::fs::write(
            tsa_dir.join("tsa-chain.pem"),
            [
                std::fs::read(ca.path("inter.pem")).expect("inter"),
                std::fs::read(ca.path("root.pem")).expect("root"),
            ]
            .concat(),
        )
        .expect("chain");
        std::fs::write(tsa_dir.join("tsaserial"), "01\n").expect("serial");
        std::fs::write(
            tsa_dir.join("tsa.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {}\n\
                 crypto_device = builtin\nsigner_digest = sha256\n\
                 default_policy = 1.3.6.1.4.1.59999.3161.1\ndigests = sha256, sha384, sha512\n\
                 accuracy = secs:1\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\n\
                 ess_cert_id_alg = sha256\n",
                tsa_dir.join("tsaserial").display()
            ),
        )
        .expect("tsa.cnf");
        Pki {
            ca,
            ocsp_port,
            tsa_dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.ca.path(name)
    }

    /// `openssl ocsp` on the port the signer's certificate names, signing with the
    /// delegated responder's key; returns once it accepts connections.
    fn responder(&self) -> KillOnDrop {
        let log_path = self.ca.dir.join("ocsp.log");
        let log = std::fs::File::create(&log_path).expect("log");
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
                "responder.pem",
                "-rkey",
                "responder.key",
                "-ndays",
                "1",
                "-ignore_err",
            ])
            .current_dir(&self.ca.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start openssl ocsp");
        let guard = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .contains("waiting for OCSP client connections")
        {
            assert!(Instant::now() < deadline, "openssl ocsp did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        guard
    }
}

/// The servers of one LTV test: CRLs, OCSP, TSA. Dropping them is the network going away.
struct Servers {
    _crls: FileServer,
    _ocsp: KillOnDrop,
    tsa: Tsa,
}

/// A user of the LTV PKI: their own KYSO_HOME, trusting its root.
struct User {
    home: PathBuf,
}

impl User {
    fn new(dir: &Path, pki: &Pki) -> User {
        let home = dir.join("home");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        let user = User { home };
        let root = pki.path("root.pem");
        user.ok(&["trust", "add", root.to_str().expect("utf-8")]);
        user
    }

    fn kyso(&self) -> Command {
        let mut c = kyso();
        c.env("KYSO_HOME", &self.home).stdin(Stdio::null());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.kyso().args(args).output().expect("run kyso");
        assert!(
            out.status.success(),
            "kyso {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kyso ARGS --json`: the exit code and the first JSON line.
    fn json(&self, args: &[&str]) -> (i32, Value) {
        let out = self
            .kyso()
            .args(args)
            .arg("--json")
            .output()
            .expect("run kyso");
        let first = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let value = serde_json::from_str(&first).unwrap_or_else(|_| {
            panic!(
                "kyso {args:?} --json: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), value)
    }

    /// `kyso sign form.pdf -o OUT --p12 signer.p12 ARGS`.
    fn sign(&self, pki: &Pki, out: &Path, args: &[&str]) -> Value {
        let input = fixtures().corpus.join("form.pdf");
        let p12 = pki.path("signer.p12");
        let password = pki.path("password.txt");
        let mut all = vec![
            "sign",
            input.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--p12",
            p12.to_str().expect("utf-8"),
            "--p12-password-file",
            password.to_str().expect("utf-8"),
        ];
        all.extend(args);
        let (code, json) = self.json(&all);
        assert_eq!(code, 0, "kyso sign: {json}");
        json
    }

    /// `kyso verify --offline`: the report.
    fn verify_offline(&self, file: &Path) -> Value {
        let (code, report) = self.json(&["verify", "--offline", file.to_str().expect("utf-8")]);
        assert_eq!(
            code,
            0,
            "kyso verify --offline {}: {report:#}",
            file.display()
        );
        report
    }
}

fn setup(name: &str) -> (PathBuf, Pki, Servers, User) {
    let dir = out_dir(name);
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("www");
    let crls = FileServer::start(&www);
    let pki = Pki::build(&dir, &crls);
    pki.ca.publish_crl(&www, "root", None);
    pki.ca.publish_crl(&www, "inter", None);
    let ocsp = pki.responder();
    let tsa = Tsa::serve(&pki.tsa_dir, &[]);
    let user = User::new(&dir, &pki);
    (
        dir,
        pki,
        Servers {
            _crls: crls,
            _ocsp: ocsp,
            tsa,
        },
        user,
    )
}

/// Whether this machine lets an unprivileged process have a network namespace of its own.
fn can_unshare() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `pyhanko sign adesverify --trust ROOT FILE` with no network: (passed, its output).
fn adesverify_offline(pki: &Pki, file: &Path) -> (bool, String) {
    let pyhanko = fixtures().python.with_file_name("pyhanko");
    let mut cmd = if can_unshare() {
        let mut c = Command::new("unshare");
        c.arg("-rn").arg(pyhanko);
        c
    } else {
        Command::new(pyhanko)
    };
    let out = cmd
        .args(["sign", "adesverify", "--trust"])
        .arg(pki.path("root.pem"))
        .arg("--trust-replace")
        .arg(file)
        .output()
        .expect("run pyhanko sign adesverify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The levels `kyso verify` names, signatures only, in order.
fn levels(report: &Value) -> Vec<String> {
    report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .filter(|s| s["kind"] == "signature")
        .map(|s| s["level"].as_str().unwrap_or("none").to_string())
        .collect()
}

fn document_timestamps(report: &Value) -> usize {
    report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .filter(|s| s["kind"] == "document_timestamp")
        .count()
}

#[test]
fn b_lt_and_b_lta_pass_pyhanko_adesverify_with_no_network_and_renew_twice() {
    let (dir, pki, servers, user) = setup("ltv-lta");
    let tsa = servers.tsa.url.clone();

    // Signed at B-LTA in one go; signed at B-B, then raised to B-LT by `kyso upgrade`.
    let lta = dir.join("lta.pdf");
    let signed = user.sign(&pki, &lta, &["--tsa", &tsa, "--level", "b-lta"]);
    assert_eq!(signed["level"], "B-LTA", "{signed}");
    assert!(signed.get("shortfall").is_none(), "{signed}");
    let bb = dir.join("bb.pdf");
    let signed = user.sign(&pki, &bb, &["--level", "b-b"]);
    assert_eq!(signed["level"], "B-B", "{signed}");
    let lt = dir.join("lt.pdf");
    let (code, up) = user.json(&[
        "upgrade",
        bb.to_str().unwrap(),
        "-o",
        lt.to_str().unwrap(),
        "--level",
        "b-lt",
        "--tsa",
        &tsa,
    ]);
    assert_eq!(code, 0, "{up}");
    assert_eq!(up["before"], "B-B");
    assert_eq!(up["after"], "B-LT", "{up}");
    assert_eq!(
        up["steps"],
        serde_json::json!(["document_timestamp", "dss"])
    );

    // The renewal: two more rounds on a copy of the B-LTA file.
    let renewed = dir.join("renewed.pdf");
    std::fs::copy(&lta, &renewed).expect("copy");
    for round in 1..=2 {
        let (code, up) = user.json(&[
            "upgrade",
            renewed.to_str().unwrap(),
            "--in-place",
            "--level",
            "b-lta",
            "--tsa",
            &tsa,
        ]);
        assert_eq!(code, 0, "round {round}: {up}");
        assert_eq!(
            up["steps"],
            serde_json::json!(["dss", "document_timestamp"])
        );
        assert_eq!(up["after"], "B-LTA");
    }

    // The network goes away: servers stopped, and pyHanko in a namespace with no network.
    drop(servers);
    // The control: without its validation data, the same signature cannot be validated.
    let (passed, output) = adesverify_offline(&pki, &bb);
    assert!(!passed, "a B-B file has no revocation data: {output}");
    assert!(output.contains("no revocation information"), "{output}");
    for (file, level, timestamps) in [(&lta, "B-LTA", 1), (&lt, "B-LT", 1), (&renewed, "B-LTA", 3)]
    {
        let (passed, output) = adesverify_offline(&pki, file);
        assert!(passed, "pyhanko adesverify {}:\n{output}", file.display());
        let report = user.verify_offline(file);
        assert_eq!(report["verdict"], "valid", "{report:#}");
        assert_eq!(levels(&report), [level], "{}", file.display());
        assert_eq!(
            document_timestamps(&report),
            timestamps,
            "{}",
            file.display()
        );
        // Every signature and timestamp verified from the file alone.
        for s in report["signatures"].as_array().unwrap() {
            assert_eq!(s["verdict"], "valid", "{s:#}");
            assert_eq!(s["revocation"]["status"], "good", "{s:#}");
        }
    }
}

#[test]
fn archive_renew_adds_a_round_only_to_what_expires_within_the_horizon() {
    let (dir, pki, servers, user) = setup("ltv-archive");
    let archive = dir.join("archive");
    std::fs::create_dir_all(archive.join("2026")).expect("archive");
    let lta = archive.join("2026/qd-01.pdf");
    user.sign(&pki, &lta, &["--tsa", &servers.tsa.url, "--level", "b-lta"]);
    let bt = archive.join("qd-02.pdf");
    user.sign(&pki, &bt, &["--tsa", &servers.tsa.url, "--level", "b-t"]);
    let before = (sha256(&lta), sha256(&bt));
    let dir_arg = archive.to_str().unwrap();

    // The TSA's certificate is valid for a year: nothing expires within 90 days.
    let out = user.ok(&[
        "archive",
        "renew",
        dir_arg,
        "--tsa",
        &servers.tsa.url,
        "--lang",
        "en",
    ]);
    assert!(out.contains("0 renewed, 2 in all"), "{out}");
    // Within two years, the B-LTA file is due; the dry run changes nothing. Said in
    // Vietnamese by default, in English when asked.
    let out = user.ok(&["archive", "renew", dir_arg, "--before", "2y", "--dry-run"]);
    assert!(out.contains("Cần gia hạn 1, tổng cộng 2 tệp"), "{out}");
    assert!(out.contains("chưa phải bản lưu trữ (B-T)"), "{out}");
    let out = user.ok(&[
        "archive",
        "renew",
        dir_arg,
        "--before",
        "2y",
        "--dry-run",
        "--lang",
        "en",
    ]);
    assert!(out.contains("1 to renew, 2 in all"), "{out}");
    assert!(out.contains("not an archive (B-T)"), "{out}");
    assert_eq!(
        (sha256(&lta), sha256(&bt)),
        before,
        "a dry run changes nothing"
    );
    let out = user.ok(&[
        "archive",
        "renew",
        dir_arg,
        "--before",
        "2y",
        "--tsa",
        &servers.tsa.url,
        "--lang",
        "en",
    ]);
    assert!(out.contains("1 renewed, 2 in all"), "{out}");
    assert_eq!(
        sha256(&bt),
        before.1,
        "the B-T file is not an archive: untouched"
    );
    drop(servers);
    let report = user.verify_offline(&lta);
    assert_eq!(levels(&report), ["B-LTA"]);
    assert_eq!(document_timestamps(&report), 2);
    let (passed, output) = adesverify_offline(&pki, &lta);
    assert!(passed, "{output}");
}

#[test]
fn b_t_signatures_and_document_timestamps_are_accepted_by_every_peer() {
    let dir = out_dir("ltv-bt");
    let tsa = Tsa::start(&dir);
    let f = fixtures();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let run = |args: &[&std::ffi::OsStr]| {
        kyso()
            .env("KYSO_HOME", &home)
            .stdin(Stdio::null())
            .args(args)
            .output()
            .expect("run kyso")
    };
    // Files of several producers, signed at B-T (signature timestamp) in one batch.
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("in");
    let producers = [
        "cairo.pdf",
        "gs.pdf",
        "reportlab-vi.pdf",
        "form.pdf",
        "hybrid.pdf",
    ];
    for name in producers {
        std::fs::copy(f.corpus.join(name), inputs.join(name)).expect("copy");
    }
    let signed = dir.join("bt");
    let out = run(&[
        "sign".as_ref(),
        inputs.as_os_str(),
        "--out-dir".as_ref(),
        signed.as_os_str(),
        "--p12".as_ref(),
        f.pki.join("signer-modern.p12").as_os_str(),
        "--p12-password-file".as_ref(),
        f.pki.join("p12-password.txt").as_os_str(),
        "--tsa".as_ref(),
        tsa.url.as_ref(),
        "--json".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).expect("JSON line");
        assert_eq!(r["level"], "B-T", "{r}");
    }
    // The same files at B-B, then given a document timestamp by `kyso timestamp`.
    let bb = dir.join("bb");
    let out = run(&[
        "sign".as_ref(),
        inputs.as_os_str(),
        "--out-dir".as_ref(),
        bb.as_os_str(),
        "--p12".as_ref(),
        f.pki.join("signer-modern.p12").as_os_str(),
        "--p12-password-file".as_ref(),
        f.pki.join("p12-password.txt").as_os_str(),
        "--level".as_ref(),
        "b-b".as_ref(),
    ]);
    assert!(out.status.success());
    let stamped = dir.join("stamped");
    let out = run(&[
        "timestamp".as_ref(),
        bb.as_os_str(),
        "--out-dir".as_ref(),
        stamped.as_os_str(),
        "--tsa".as_ref(),
        tsa.url.as_ref(),
        "--json".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.lines().count(), producers.len());

    // An encrypted file (AES-256): signed at B-B, raised to B-T with its password.
    let password = dir.join("password.txt");
    std::fs::write(&password, "user").expect("password");
    let encrypted = dir.join("aes256.signed.pdf");
    let out = run(&[
        "sign".as_ref(),
        f.corpus.join("qpdf-aes256.pdf").as_os_str(),
        "-o".as_ref(),
        encrypted.as_os_str(),
        "--p12".as_ref(),
        f.pki.join("signer-modern.p12").as_os_str(),
        "--p12-password-file".as_ref(),
        f.pki.join("p12-password.txt").as_os_str(),
        "--pdf-password-file".as_ref(),
        password.as_os_str(),
        "--level".as_ref(),
        "b-b".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&[
        "upgrade".as_ref(),
        encrypted.as_os_str(),
        "--in-place".as_ref(),
        "--level".as_ref(),
        "b-t".as_ref(),
        "--tsa".as_ref(),
        tsa.url.as_ref(),
        "--pdf-password-file".as_ref(),
        password.as_os_str(),
        "--json".as_ref(),
    ]);
    let up: Value = serde_json::from_slice(&out.stdout).expect("upgrade JSON");
    assert_eq!(up["after"], "B-T", "{up}");

    let mut files: Vec<(PathBuf, usize, Option<&str>)> = vec![(encrypted.clone(), 2, Some("user"))];
    for name in producers {
        let stem = name.trim_end_matches(".pdf");
        files.push((signed.join(format!("{stem}.signed.pdf")), 1, None));
        files.push((stamped.join(format!("{stem}.signed.pdf")), 2, None));
    }
    let root = f.pki.join("root.pem");
    for (file, signatures, pdf_password) in &files {
        let verdict = judge(file, *pdf_password, *signatures);
        assert_eq!(verdict["all_ok"], true, "{}: {verdict:#}", file.display());
        let detail = verdict["pyhanko"]["detail"].as_str().unwrap_or("");
        if *signatures == 1 {
            assert!(
                detail.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"),
                "pyHanko: the signature timestamp is intact and trusted: {detail}"
            );
        } else {
            assert!(
                detail.contains("(doc timestamp): INTACT:TRUSTED"),
                "{detail}"
            );
        }
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "verify".as_ref(),
            "--offline".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
            "--json".as_ref(),
            file.as_os_str(),
        ];
        if pdf_password.is_some() {
            args.extend(["--pdf-password-file".as_ref(), password.as_os_str()]);
        }
        let out = run(&args);
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert_eq!(report["verdict"], "valid", "{report:#}");
        assert_eq!(levels(&report), ["B-T"], "{}", file.display());
    }
}
