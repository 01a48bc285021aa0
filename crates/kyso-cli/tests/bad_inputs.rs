//! Bad inputs: a clear error naming the file and the cause, a stable code, the input
//! untouched, and nothing written.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Signs `input` into a fresh folder and checks the failure: exit code, error code,
/// the file named in the message, no output and no temp file, input unchanged.
fn assert_refused(
    label: &str,
    input: &Path,
    p12: &str,
    extra: &[&str],
    exit: i32,
    code: &str,
) -> serde_json::Value {
    assert_refused_with(label, input, p12, None, extra, exit, code)
}

fn assert_refused_with(
    label: &str,
    input: &Path,
    p12: &str,
    p12_password_file: Option<&Path>,
    extra: &[&str],
    exit: i32,
    code: &str,
) -> serde_json::Value {
    let out = out_dir(&format!("bad-{label}"));
    let output = out.join("out.pdf");
    let before = sha256(input);
    let mut sign = Sign::new(input, &output, p12);
    if let Some(file) = p12_password_file {
        sign = sign.p12_password_file(file);
    }
    for a in extra {
        sign = sign.arg(a);
    }
    let (result, json) = sign.run();
    assert_eq!(
        result.status.code(),
        Some(exit),
        "{label}: {json} {}",
        String::from_utf8_lossy(&result.stderr)
    );
    if exit == 1 {
        assert_eq!(json["code"], code, "{label}: {json}");
        let message = json["error"].as_str().unwrap_or("");
        let name = input.file_name().unwrap().to_string_lossy();
        assert!(
            message.contains(&*name),
            "{label}: the message must name the file: {message}"
        );
    } else {
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(stderr.contains(code), "{label}: {stderr}");
    }
    assert_eq!(
        listing(&out),
        Vec::<String>::new(),
        "{label}: nothing may be written"
    );
    assert_eq!(sha256(input), before, "{label}: the input changed");
    json
}

fn corpus(name: &str) -> PathBuf {
    fixtures().corpus.join(name)
}

#[test]
fn not_a_pdf_and_truncated_pdf() {
    assert_refused(
        "notpdf",
        &corpus("not-a-pdf.pdf"),
        "signer-modern.p12",
        &[],
        1,
        "PDF_NOT_A_PDF",
    );
    assert_refused(
        "truncated",
        &corpus("truncated.pdf"),
        "signer-modern.p12",
        &[],
        1,
        "PDF_DAMAGED",
    );
}

#[test]
fn wrong_or_missing_pdf_password() {
    let dir = out_dir("pw");
    let wrong = dir.join("wrong.pw");
    std::fs::write(&wrong, "not-the-password").unwrap();
    let wrong = wrong.to_string_lossy().into_owned();
    assert_refused(
        "pdfpw-wrong",
        &corpus("qpdf-aes256.pdf"),
        "signer-modern.p12",
        &["--pdf-password-file", &wrong],
        1,
        "PDF_WRONG_PASSWORD",
    );
    assert_refused(
        "pdfpw-missing",
        &corpus("qpdf-rc4.pdf"),
        "signer-modern.p12",
        &[],
        1,
        "PDF_PASSWORD_REQUIRED",
    );
}

#[test]
fn key_sources_that_cannot_sign() {
    let dir = out_dir("p12pw");
    let wrong = dir.join("wrong.pw");
    std::fs::write(&wrong, "sai mật khẩu").unwrap();
    let input = corpus("reportlab-vi.pdf");
    assert_refused_with(
        "p12-wrong",
        &input,
        "signer-modern.p12",
        Some(&wrong),
        &[],
        3,
        "P12_WRONG_PASSWORD",
    );
    assert_refused(
        "p12-nokey",
        &input,
        "nokey.p12",
        &[],
        3,
        "P12_NO_PRIVATE_KEY",
    );
    assert_refused("expired", &input, "expired.p12", &[], 1, "CERT_EXPIRED");
    assert_refused("badusage", &input, "badusage.p12", &[], 1, "CERT_KEY_USAGE");
}

#[test]
fn a_document_certified_with_p1_is_refused() {
    assert_refused(
        "certified-p1",
        &corpus("certified-p1.pdf"),
        "signer-modern.p12",
        &[],
        1,
        "PDF_CERTIFIED_NO_CHANGES",
    );
}

#[test]
fn output_equal_to_input_is_refused() {
    let dir = out_dir("same");
    let input = dir.join("doc.pdf");
    std::fs::copy(corpus("reportlab-vi.pdf"), &input).unwrap();
    let before = sha256(&input);
    let (result, json) = Sign::new(&input, &input, "signer-modern.p12").run();
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(json["code"], "OUTPUT_IS_INPUT");
    assert_eq!(sha256(&input), before);
    assert_eq!(listing(&dir), ["doc.pdf"]);
}

#[test]
fn an_output_folder_that_cannot_be_written() {
    if unsafe_is_root() {
        // root ignores directory permissions: use a path under a regular file instead.
        let dir = out_dir("unwritable");
        let blocker = dir.join("file");
        std::fs::write(&blocker, "x").unwrap();
        let output = blocker.join("out.pdf");
        let (result, json) =
            Sign::new(&corpus("reportlab-vi.pdf"), &output, "signer-modern.p12").run();
        assert_eq!(result.status.code(), Some(1));
        assert_eq!(json["code"], "OUTPUT_UNWRITABLE", "{json}");
        assert_eq!(listing(&dir), ["file"]);
    } else {
        use std::os::unix::fs::PermissionsExt;
        let dir = out_dir("unwritable");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let (result, json) = Sign::new(
            &corpus("reportlab-vi.pdf"),
            &dir.join("out.pdf"),
            "signer-modern.p12",
        )
        .run();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(result.status.code(), Some(1));
        assert_eq!(json["code"], "OUTPUT_UNWRITABLE", "{json}");
        assert!(listing(&dir).is_empty());
    }
}

fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// The 219-byte file of issue 10: no xref, no trailer, an object numbered 2^31 − 1. `kyso
/// sign` once grew to 24 GB writing a repair xref up to that number; now it refuses the file
/// with `PDF_DAMAGED`, its resident memory flat (measured by `/usr/bin/time`, from the
/// `time` package that `make test` installs).
#[test]
fn an_object_numbered_2_pow_31_is_refused_with_flat_memory() {
    let dir = out_dir("huge-object-number");
    let input = dir.join("huge-object-number.pdf");
    std::fs::write(
        &input,
        b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
          2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n\
          3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>> endobj\n\
          2147483647 0 obj <</Root 1 0 R>> endobj\n",
    )
    .expect("write the input");
    assert_refused(
        "huge-object-number",
        &input,
        "signer-modern.p12",
        &[],
        1,
        "PDF_DAMAGED",
    );
    // The same command under /usr/bin/time: peak resident set in KiB on stderr's last line.
    let pki = &fixtures().pki;
    let output = dir.join("out").join("signed.pdf");
    let result = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_kyso"))
        .arg("sign")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .arg("--p12")
        .arg(pki.join("signer-modern.p12"))
        .arg("--p12-password-file")
        .arg(pki.join("p12-password.txt"))
        .env("KYSO_HOME", dir.join("home"))
        .output()
        .expect("/usr/bin/time kyso sign");
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let peak_kib: u64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time: {stderr}"));
    assert!(
        peak_kib < 64 * 1024,
        "kyso sign held {peak_kib} KiB on a 219-byte file"
    );
}
