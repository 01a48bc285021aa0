//! Encrypted PDFs (ISO 32000-2 §7.6): signed with the owner password too, and the
//! permissions of a user-password opening are respected.

mod common;

use std::process::Command;

use common::*;

fn password_file(dir: &std::path::Path, name: &str, password: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, password).unwrap();
    path
}

#[test]
fn the_owner_password_opens_and_signs_too() {
    let f = fixtures();
    let out = out_dir("owner-password");
    let owner = password_file(&out, "owner.pw", "owner");
    let mut judged = Vec::new();
    for name in ["qpdf-rc4.pdf", "qpdf-aes128.pdf", "qpdf-aes256.pdf"] {
        let output = out.join(name);
        let (result, json) = Sign::new(&f.corpus.join(name), &output, "signer-modern.p12")
            .arg("--pdf-password-file")
            .arg(&owner)
            .run();
        assert!(result.status.success(), "{name}: {json}");
        judged.push((output, Some("owner".to_string()), 1));
    }
    assert_peers_accept_all(&judged);
}

#[test]
fn permissions_of_a_user_opening_are_respected() {
    let f = fixtures();
    let out = out_dir("permissions");
    // AES-256 with a user password, and no form filling or annotations for the user.
    let restricted = out.join("restricted.pdf");
    let status = Command::new("qpdf")
        .args([
            "--encrypt",
            "user",
            "owner",
            "256",
            "--annotate=n",
            "--form=n",
            "--modify=none",
            "--",
        ])
        .arg(f.corpus.join("reportlab-vi.pdf"))
        .arg(&restricted)
        .status()
        .expect("qpdf");
    assert!(status.success());
    let user = password_file(&out, "user.pw", "user");
    let owner = password_file(&out, "owner.pw", "owner");

    let refused = out.join("as-user.pdf");
    let (result, json) = Sign::new(&restricted, &refused, "signer-modern.p12")
        .arg("--pdf-password-file")
        .arg(&user)
        .run();
    assert_eq!(result.status.code(), Some(1), "{json}");
    assert_eq!(json["code"], "PDF_PERMISSION_DENIED", "{json}");
    assert!(!refused.exists());

    let signed = out.join("as-owner.pdf");
    let (result, json) = Sign::new(&restricted, &signed, "signer-modern.p12")
        .arg("--pdf-password-file")
        .arg(&owner)
        .run();
    assert!(result.status.success(), "{json}");
    assert_peers_accept(&signed, Some("owner"), 1);
}
