//! Every file Kyso signs is judged by pyHanko, pdfsig, mutool and qpdf (docs/testing.md §5).

mod common;

use std::path::PathBuf;

use common::*;

/// Files of the corpus that must sign; (name, PDF password).
const SIGNABLE: &[(&str, Option<&str>)] = &[
    ("reportlab-vi.pdf", None),
    ("gs.pdf", None),
    ("cairo.pdf", None),
    ("mutool-clean.pdf", None),
    ("mutool-clean-d.pdf", None),
    ("qpdf-objstm.pdf", None),
    ("qpdf-linearized.pdf", None),
    ("hybrid.pdf", None),
    ("incremental.pdf", None),
    ("gen1.pdf", None),
    ("startxref-off.pdf", None),
    ("broken-xref.pdf", None),
    ("pdf13.pdf", None),
    ("pdf20.pdf", None),
    ("form.pdf", None),
    ("empty-sigfield.pdf", None),
    ("pages-2000.pdf", None),
    ("qpdf-rc4.pdf", Some("user")),
    ("qpdf-aes128.pdf", Some("user")),
    ("qpdf-aes256.pdf", Some("user")),
    ("qpdf-aes256-nouser.pdf", None),
];

#[test]
fn every_producer_signs_and_every_peer_accepts() {
    let f = fixtures();
    let out = out_dir("producers");
    let mut judged = Vec::new();
    for (name, password) in SIGNABLE {
        let input = f.corpus.join(name);
        let before = sha256(&input);
        let output = out.join(name.replace(".pdf", ".signed.pdf"));
        let mut sign = Sign::new(&input, &output, "signer-modern.p12");
        if let Some(p) = password {
            let pw_file = out.join(format!("{name}.pw"));
            std::fs::write(&pw_file, p).unwrap();
            sign = sign.arg("--pdf-password-file").arg(&pw_file);
        }
        let (result, json) = sign.run();
        assert!(
            result.status.success(),
            "{name}: {json} {}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert_eq!(json["ok"], true, "{name}: {json}");
        assert_eq!(sha256(&input), before, "{name}: the input changed");
        // An incremental update: the original bytes are a prefix of the output.
        let original = std::fs::read(&input).unwrap();
        let signed = std::fs::read(&output).unwrap();
        assert!(
            signed.len() > original.len() && signed[..original.len()] == original[..],
            "{name}: not an append"
        );
        judged.push((output, password.map(str::to_string), 1));
    }
    assert_peers_accept_all(&judged);
}

#[test]
fn files_signed_by_peers_take_a_second_signature_that_keeps_theirs_valid() {
    let f = fixtures();
    let out = out_dir("after-peers");
    let mut judged = Vec::new();
    for name in ["signed-pyhanko.pdf", "signed-poppler.pdf"] {
        let output = out.join(name.replace(".pdf", ".kyso.pdf"));
        let (result, json) = Sign::new(&f.corpus.join(name), &output, "signer-3072.p12").run();
        assert!(result.status.success(), "{name}: {json}");
        judged.push((output, None, 2));
    }
    assert_peers_accept_all(&judged);
}

#[test]
fn three_signers_in_turn_leave_earlier_signatures_valid() {
    let f = fixtures();
    let out = out_dir("three-signers");
    let first = out.join("1.pdf");
    let second = out.join("2.pdf");
    let third = out.join("3.pdf");
    let steps = [
        (
            f.corpus.join("reportlab-vi.pdf"),
            &first,
            "signer-modern.p12",
        ),
        (first.clone(), &second, "signer-3072.p12"),
        (second.clone(), &third, "signer-4096.p12"),
    ];
    for (input, output, p12) in steps {
        let (result, json) = Sign::new(&input, output, p12).run();
        assert!(result.status.success(), "{p12}: {json}");
    }
    let info = run_kyso(&["info".as_ref(), third.as_os_str(), "--json".as_ref()]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let names: Vec<&str> = info["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Signature1", "Signature2", "Signature3"]);
    assert_peers_accept_all(&[(third, None, 3)]);
}

#[test]
fn every_key_encoding_and_algorithm_choice_is_accepted() {
    let f = fixtures();
    let out = out_dir("variants");
    let input = f.corpus.join("reportlab-vi.pdf");
    let empty_pw = out.join("empty.pw");
    std::fs::write(&empty_pw, "").unwrap();
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("legacy", "signer-legacy.p12", vec![]),
        ("rsa3072", "signer-3072.p12", vec![]),
        ("rsa4096", "signer-4096.p12", vec![]),
        ("sha384", "signer-modern.p12", vec!["--hash", "sha384"]),
        (
            "sha512-pss",
            "signer-modern.p12",
            vec!["--hash", "sha512", "--pss"],
        ),
        ("pss", "signer-modern.p12", vec!["--pss"]),
        ("pkcs7", "signer-modern.p12", vec!["--subfilter", "pkcs7"]),
        (
            "details",
            "signer-modern.p12",
            vec![
                "--reason",
                "Phê duyệt văn bản",
                "--location",
                "Quảng Ngãi",
                "--contact-info",
                "vanthu@quangngai.gov.vn",
            ],
        ),
        ("certify2", "signer-modern.p12", vec!["--certify", "2"]),
        ("certify3", "signer-modern.p12", vec!["--certify", "3"]),
        ("certify1", "signer-modern.p12", vec!["--certify", "1"]),
    ];
    let mut judged: Vec<(PathBuf, Option<String>, usize)> = Vec::new();
    for (label, p12, extra) in &cases {
        let output = out.join(format!("{label}.pdf"));
        let mut sign = Sign::new(&input, &output, p12);
        for a in extra {
            sign = sign.arg(a);
        }
        let (result, json) = sign.run();
        assert!(
            result.status.success(),
            "{label}: {json} {}",
            String::from_utf8_lossy(&result.stderr)
        );
        judged.push((output, None, 1));
    }
    // A .p12 without its chain: the CMS carries only the signer's certificate (as real VGCA
    // files do), so the validators need the intermediate from their own store.
    let output = out.join("nochain.pdf");
    let (result, json) = Sign::new(&input, &output, "signer-nochain.p12").run();
    assert!(result.status.success(), "nochain: {json}");
    let verdict = judge_with(&output, None, 1, true);
    assert_eq!(verdict["all_ok"], true, "nochain:\n{verdict:#}");

    // Empty password: the password file is empty.
    let output = out.join("emptypass.pdf");
    let (result, json) = Sign::new(&input, &output, "signer-emptypass.p12")
        .p12_password_file(&empty_pw)
        .run();
    assert!(result.status.success(), "emptypass: {json}");
    judged.push((output, None, 1));

    // The filled existing field keeps its name.
    let output = out.join("field.pdf");
    let (result, json) = Sign::new(
        &f.corpus.join("empty-sigfield.pdf"),
        &output,
        "signer-modern.p12",
    )
    .arg("--field")
    .arg("Signature1")
    .run();
    assert!(result.status.success(), "field: {json}");
    assert_eq!(json["field"], "Signature1");
    judged.push((output, None, 1));

    assert_peers_accept_all(&judged);
}

#[test]
fn a_certified_p2_document_is_signed_in_its_empty_field_only() {
    let f = fixtures();
    let out = out_dir("certified-p2");
    let input = f.corpus.join("certified-p2.pdf");
    let refused = out.join("new-field.pdf");
    let (result, json) = Sign::new(&input, &refused, "signer-3072.p12").run();
    assert!(!result.status.success());
    assert_eq!(json["code"], "PDF_CERTIFIED_FIELDS_ONLY", "{json}");
    assert!(!refused.exists());

    let output = out.join("in-field.pdf");
    let (result, json) = Sign::new(&input, &output, "signer-3072.p12")
        .arg("--field")
        .arg("Signature2")
        .run();
    assert!(result.status.success(), "{json}");
    assert_peers_accept(&output, None, 2);
}

#[test]
fn a_batch_signs_a_directory_in_parallel_and_reports_each_file() {
    let f = fixtures();
    let out = out_dir("batch");
    let inputs = out.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for i in 0..12 {
        std::fs::copy(
            f.corpus.join("reportlab-vi.pdf"),
            inputs.join(format!("doc{i:02}.pdf")),
        )
        .unwrap();
    }
    std::fs::copy(f.corpus.join("not-a-pdf.pdf"), inputs.join("zz-bad.pdf")).unwrap();
    let signed = out.join("signed");
    let output = run_kyso(&[
        "sign".as_ref(),
        inputs.as_os_str(),
        "--out-dir".as_ref(),
        signed.as_os_str(),
        "--p12".as_ref(),
        f.pki.join("signer-modern.p12").as_os_str(),
        "--p12-password-file".as_ref(),
        f.pki.join("p12-password.txt").as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "one bad file makes the exit code 1"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(lines.iter().filter(|l| l["ok"] == true).count(), 12);
    let bad = lines.iter().find(|l| l["ok"] == false).unwrap();
    assert_eq!(bad["code"], "PDF_NOT_A_PDF");
    let mut expected: Vec<String> = (0..12).map(|i| format!("doc{i:02}.signed.pdf")).collect();
    expected.sort();
    assert_eq!(
        listing(&signed),
        expected,
        "only the good files, and no temp file"
    );
    assert_peers_accept(&signed.join("doc07.signed.pdf"), None, 1);
}
