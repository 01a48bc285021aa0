//! `kyso verify` and `kyso trust`: every verdict of issue 4's table that does not need a
//! TSA or a CRL server, on files signed by Kyso, pyHanko and poppler, compared with
//! pyHanko's verdict (tests/peers/judge.py) where it has one.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Sign, fixtures, judge_with, out_dir};

struct Verify {
    home: PathBuf,
}

impl Verify {
    fn new(dir: &Path) -> Self {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("home");
        Verify { home }
    }

    fn run(&self, args: &[&std::ffi::OsStr]) -> Output {
        common::kyso()
            .args(args)
            .env("KYSO_HOME", &self.home)
            .env_remove("KYSO_PDF_PASSWORD")
            .output()
            .expect("run kyso")
    }

    /// `kyso verify FILE --json --offline [--trust root.pem]`: (exit code, report).
    fn verify(&self, file: &Path, trust_root: bool) -> (i32, serde_json::Value) {
        let root = fixtures().pki.join("root.pem");
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "verify".as_ref(),
            file.as_os_str(),
            "--json".as_ref(),
            "--offline".as_ref(),
        ];
        if trust_root {
            args.extend(["--trust".as_ref(), root.as_os_str()]);
        }
        let out = self.run(&args);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "no JSON for {}: {}{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), json)
    }
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["reasons"].as_array().cloned().unwrap_or_default())
        .chain(report["reasons"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["code"].as_str().map(str::to_string))
        .collect()
}

fn pyhanko_ok(file: &Path) -> bool {
    judge_with(file, None, 1, true)["pyhanko"]["ok"] == true
}

fn kyso_signed(dir: &Path, p12: &str) -> PathBuf {
    let out = dir.join(format!("{p12}.signed.pdf"));
    let (o, json) = Sign::new(&fixtures().corpus.join("form.pdf"), &out, p12).run();
    assert!(o.status.success(), "sign failed: {json}");
    out
}

fn flip_at(src: &Path, dst: &Path, offset: usize) {
    let mut bytes = std::fs::read(src).expect("read");
    bytes[offset] ^= 0x01;
    std::fs::write(dst, bytes).expect("write");
}

fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle")
}

/// Offset (in the file) of byte `i` of the CMS in the last /Contents hex string.
fn contents_hex_offset(file: &Path, cms_index: usize) -> usize {
    let bytes = std::fs::read(file).expect("read");
    let start = bytes
        .windows(11)
        .rposition(|w| w == b"/Contents <")
        .expect("contents")
        + 11;
    start + 2 * cms_index
}

fn cms_of(file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).expect("read");
    let start = contents_hex_offset(file, 0);
    let end = start + bytes[start..].iter().position(|&b| b == b'>').expect(">");
    let hex = &bytes[start..end];
    (0..hex.len() / 2)
        .map(|i| {
            u8::from_str_radix(
                std::str::from_utf8(&hex[2 * i..2 * i + 2]).unwrap_or("00"),
                16,
            )
            .unwrap_or(0)
        })
        .collect()
}

#[test]
fn intact_signatures_from_three_signers_are_valid() {
    let dir = out_dir("verify-intact");
    let v = Verify::new(&dir);
    let kyso = kyso_signed(&dir, "signer-modern.p12");
    for file in [
        kyso.clone(),
        fixtures().corpus.join("signed-pyhanko.pdf"),
        fixtures().corpus.join("signed-poppler.pdf"),
    ] {
        let (code, report) = v.verify(&file, true);
        assert_eq!(code, 0, "{}: {report:#}", file.display());
        assert_eq!(report["verdict"], "valid");
        assert_eq!(report["signatures"][0]["chain"]["trusted"], true);
        assert_eq!(report["signatures"][0]["modifications"]["status"], "none");
        assert!(pyhanko_ok(&file), "pyHanko disagrees on {}", file.display());
    }
    let (_, report) = v.verify(&kyso, true);
    assert_eq!(report["signatures"][0]["level"], "B-B");
    assert_eq!(
        report["signatures"][0]["signer"]["common_name"],
        "Nguyễn Văn An"
    );
    assert_eq!(report["signatures"][0]["signing_time"]["source"], "claimed");

    // Text output, both languages.
    let root = fixtures().pki.join("root.pem");
    let out = v.run(&[
        "verify".as_ref(),
        kyso.as_os_str(),
        "--trust".as_ref(),
        root.as_os_str(),
        "--offline".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HỢP LỆ") && text.contains("Nguyễn Văn An"),
        "{text}"
    );
    let out = v.run(&[
        "verify".as_ref(),
        kyso.as_os_str(),
        "--trust".as_ref(),
        root.as_os_str(),
        "--offline".as_ref(),
        "--lang".as_ref(),
        "en".as_ref(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("VALID"));
}

#[test]
fn tampered_bytes_and_cms_are_invalid() {
    let dir = out_dir("verify-tampered");
    let v = Verify::new(&dir);
    let kyso = kyso_signed(&dir, "signer-modern.p12");
    let bytes = std::fs::read(&kyso).expect("read");

    // A byte of a signed string (/M of the signature dictionary).
    let string = dir.join("string.pdf");
    flip_at(&kyso, &string, find(&bytes, b"/M (D:") + 8);
    // A byte of a signed stream (the first stream of the original file).
    let stream = dir.join("stream.pdf");
    flip_at(&kyso, &stream, find(&bytes, b"stream") + 20);
    // The RSA signature value: the last bytes of the CMS (Kyso adds no unsigned attributes).
    let cms = cms_of(&kyso);
    let cms_len = 4 + ((cms[2] as usize) << 8 | cms[3] as usize);
    let sig = dir.join("cms-signature.pdf");
    let at = contents_hex_offset(&kyso, cms_len - 10);
    let mut b = bytes.clone();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&sig, &b).expect("write");
    // The signer's certificate inside the CMS: a byte of its subject name.
    let cert = dir.join("cms-certificate.pdf");
    let at = contents_hex_offset(&kyso, find(&cms, "Nguyễn".as_bytes()) + 1);
    let mut b = bytes.clone();
    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&cert, &b).expect("write");

    for (file, code) in [
        (&string, "DIGEST_MISMATCH"),
        (&stream, "DIGEST_MISMATCH"),
        (&sig, "SIGNATURE_INVALID"),
        (&cert, "SIGNING_CERT_MISMATCH"),
    ] {
        let (exit, report) = v.verify(file, true);
        assert_eq!(exit, 1, "{}: {report:#}", file.display());
        assert_eq!(report["verdict"], "invalid");
        assert!(
            codes(&report).iter().any(|c| c == code),
            "{code} missing: {report:#}"
        );
        assert!(!pyhanko_ok(file), "pyHanko accepts {}", file.display());
    }
}

fn modify(mode: &str, src: &Path, dst: &Path) {
    let status = Command::new(&fixtures().python)
        .arg(common::repo().join("tests/verify/modify.py"))
        .args([mode.as_ref(), src.as_os_str(), dst.as_os_str()])
        .status()
        .expect("modify.py");
    assert!(status.success());
}

#[test]
fn later_revisions_are_analysed() {
    let dir = out_dir("verify-revisions");
    let v = Verify::new(&dir);
    let kyso = kyso_signed(&dir, "signer-modern.p12");

    let page = dir.join("page-content.pdf");
    modify("page-content", &kyso, &page);
    let (exit, report) = v.verify(&page, true);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "altered");
    assert_eq!(
        report["signatures"][0]["modifications"]["status"],
        "not_permitted"
    );
    assert!(!pyhanko_ok(&page));

    let annot = dir.join("annotation.pdf");
    modify("annotation", &kyso, &annot);
    let (exit, report) = v.verify(&annot, true);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "altered");
    assert!(!pyhanko_ok(&annot));

    // Certified with P=3: annotations are permitted.
    let certified = dir.join("certified-p3.pdf");
    let (o, json) = Sign::new(
        &fixtures().corpus.join("form.pdf"),
        &certified,
        "signer-modern.p12",
    )
    .arg("--certify")
    .arg("3")
    .run();
    assert!(o.status.success(), "{json}");
    let annot3 = dir.join("certified-p3-annotation.pdf");
    modify("annotation", &certified, &annot3);
    let (exit, report) = v.verify(&annot3, true);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["status"],
        "allowed"
    );
    assert_eq!(report["signatures"][0]["certification"], 3);

    // A second signature after the first: allowed for the first.
    let second = dir.join("two-signatures.pdf");
    let (o, json) = Sign::new(&kyso, &second, "signer-3072.p12").run();
    assert!(o.status.success(), "{json}");
    let (exit, report) = v.verify(&second, true);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["status"],
        "allowed"
    );
    assert_eq!(report["signatures"][1]["modifications"]["status"], "none");

    // Bytes appended after the last revision are reported.
    let appended = dir.join("appended.pdf");
    let mut bytes = std::fs::read(&kyso).expect("read");
    bytes.extend_from_slice(b"\nthis text was appended\n");
    std::fs::write(&appended, bytes).expect("write");
    let (_, report) = v.verify(&appended, true);
    assert!(
        codes(&report).contains(&"APPENDED_BYTES".to_string()),
        "{report:#}"
    );
    assert!(report["appended_bytes"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn trust_verdicts() {
    let dir = out_dir("verify-trust");
    let v = Verify::new(&dir);
    let pki = &fixtures().pki;

    // Certificate expired at signing time (pyHanko signs with it; Kyso refuses to).
    let expired = dir.join("expired.pdf");
    let status = Command::new(fixtures().python.with_file_name("pyhanko"))
        .args(["sign", "addsig", "--field", "Sig1", "pkcs12", "--passfile"])
        .arg(pki.join("p12-password.txt"))
        .arg(fixtures().corpus.join("form.pdf"))
        .arg(&expired)
        .arg(pki.join("expired.p12"))
        .status()
        .expect("pyhanko");
    assert!(status.success());
    let (exit, report) = v.verify(&expired, true);
    assert_eq!(exit, 1, "{report:#}");
    assert!(codes(&report).contains(&"CERT_EXPIRED_AT_SIGNING".to_string()));
    assert!(!pyhanko_ok(&expired));

    // Unknown root: indeterminate.
    let kyso = kyso_signed(&dir, "signer-modern.p12");
    let (exit, report) = v.verify(&kyso, false);
    assert_eq!(exit, 2, "{report:#}");
    assert_eq!(report["verdict"], "indeterminate");
    assert!(codes(&report).contains(&"CHAIN_UNTRUSTED_ROOT".to_string()));

    // Only the signer's certificate embedded: indeterminate until the intermediate is stored.
    let nochain = kyso_signed(&dir, "signer-nochain.p12");
    let (exit, report) = v.verify(&nochain, true);
    assert_eq!(exit, 2, "{report:#}");
    assert!(codes(&report).contains(&"CHAIN_ISSUER_MISSING".to_string()));
    let inter = pki.join("inter.pem");
    let out = v.run(&[
        "trust".as_ref(),
        "add".as_ref(),
        "--intermediate".as_ref(),
        inter.as_os_str(),
    ]);
    assert!(out.status.success());
    let (exit, report) = v.verify(&nochain, true);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["chain"]["certificates"][1]["source"],
        "store"
    );

    // The root in the store instead of --trust; list; remove.
    let root = pki.join("root.pem");
    assert!(
        v.run(&["trust".as_ref(), "add".as_ref(), root.as_os_str()])
            .status
            .success()
    );
    let (exit, _) = v.verify(&nochain, false);
    assert_eq!(exit, 0);
    let out = v.run(&["trust".as_ref(), "list".as_ref(), "--json".as_ref()]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list json");
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let id = list[0]["id"].as_str().expect("id").to_string();
    assert_eq!(list[0]["kind"], "anchor");
    assert!(
        v.run(&["trust".as_ref(), "remove".as_ref(), id.as_ref()])
            .status
            .success()
    );
    let (exit, _) = v.verify(&nochain, false);
    assert_eq!(exit, 2);
    assert!(
        !v.run(&["trust".as_ref(), "remove".as_ref(), id.as_ref()])
            .status
            .success()
    );
}

#[test]
fn unreadable_files_exit_3() {
    let dir = out_dir("verify-unreadable");
    let v = Verify::new(&dir);
    let (exit, report) = v.verify(&fixtures().corpus.join("not-a-pdf.pdf"), true);
    assert_eq!(exit, 3);
    assert_eq!(report["code"], "PDF_NOT_A_PDF");
    let (exit, _) = v.verify(&dir.join("missing.pdf"), true);
    assert_eq!(exit, 3);
}
