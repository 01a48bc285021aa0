//! `kyso verify` and RFC 3161 timestamps (issue 4: "a document timestamp with a corrupted
//! signature ⇒ invalid"), against a local TSA: tests/tsa/tsa_server.py answering with
//! `openssl ts -reply`, its certificate (critical EKU timeStamping) issued by the test PKI's
//! intermediate by tests/tsa/make-tsa.sh. pyHanko adds the timestamps (`pyhanko sign
//! timestamp` / `addsig --timestamp-url`) and gives its verdict through its API
//! (tests/tsa/pyhanko_verdict.py): its CLI `sign validate` never looks at document
//! timestamps, so a corrupted one passes it with exit 0, which is the miss issue 4 warns of.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tsa::Tsa;
use common::{Sign, fixtures, out_dir, reason_codes, repo, run_ok, verify_json};

fn pyhanko() -> PathBuf {
    fixtures().python.with_file_name("pyhanko")
}

fn root() -> PathBuf {
    fixtures().pki.join("root.pem")
}

/// `kyso verify FILE --trust root.pem --offline --json` (the test PKI names no CRL/OCSP).
fn verify(dir: &Path, file: &Path) -> (i32, serde_json::Value) {
    let root = root();
    verify_json(
        &dir.join("home"),
        &[
            file.as_os_str(),
            "--trust".as_ref(),
            root.as_os_str(),
            "--offline".as_ref(),
        ],
    )
}

/// pyHanko's verdicts (tests/tsa/pyhanko_verdict.py), oldest first.
fn pyhanko_verdicts(file: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(&fixtures().python)
        .arg(repo().join("tests/tsa/pyhanko_verdict.py"))
        .arg("--root")
        .arg(root())
        .arg("--other")
        .arg(fixtures().pki.join("inter.pem"))
        .arg(file)
        .output()
        .expect("run pyhanko_verdict.py");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "pyhanko_verdict.py gave no JSON: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["signatures"].as_array().cloned().unwrap_or_default()
}

fn pyhanko_accepts(v: &serde_json::Value) -> bool {
    v["intact"] == true && v["valid"] == true && v["trusted"] == true && v["timestamp_ok"] != false
}

// ---- DER, just enough to find a SignerInfo's signature value --------------------------

/// (tag, offset of the TLV, offset of the content, content length) of the TLV at `at`.
fn tlv(der: &[u8], at: usize) -> (u8, usize, usize, usize) {
    let tag = der[at];
    let first = der[at + 1] as usize;
    if first & 0x80 == 0 {
        return (tag, at, at + 2, first);
    }
    let n = first & 0x7f;
    assert!((1..=4).contains(&n), "indefinite or huge length at {at}");
    let len = der[at + 2..at + 2 + n]
        .iter()
        .fold(0usize, |acc, &b| acc << 8 | b as usize);
    (tag, at, at + 2 + n, len)
}

fn children(der: &[u8], parent: (u8, usize, usize, usize)) -> Vec<(u8, usize, usize, usize)> {
    let (_, _, mut at, len) = parent;
    let end = at + len;
    let mut out = Vec::new();
    while at < end {
        let c = tlv(der, at);
        at = c.2 + c.3;
        out.push(c);
    }
    out
}

/// The first SignerInfo of the ContentInfo (SignedData) at `at`.
fn signer_info(der: &[u8], at: usize) -> Vec<(u8, usize, usize, usize)> {
    let content_info = children(der, tlv(der, at));
    assert_eq!(content_info[1].0, 0xA0, "ContentInfo [0] content");
    let signed_data = children(der, content_info[1])[0];
    let fields = children(der, signed_data);
    let signer_infos = *fields.last().expect("signerInfos");
    assert_eq!(
        signer_infos.0, 0x31,
        "SignedData ends with the signerInfos SET"
    );
    children(der, children(der, signer_infos)[0])
}

/// (offset, length) in `der` of the signature value (the OCTET STRING) of that SignerInfo.
fn signature_value(der: &[u8], at: usize) -> (usize, usize) {
    let si = signer_info(der, at);
    let sig = si
        .iter()
        .find(|c| c.0 == 0x04)
        .expect("SignerInfo.signature");
    (sig.2, sig.3)
}

/// The CMS of the last `/Contents <hex>` of the file: (hex start offset in the file, DER).
fn last_contents(bytes: &[u8]) -> (usize, Vec<u8>) {
    let start = bytes
        .windows(11)
        .rposition(|w| w == b"/Contents <")
        .expect("/Contents")
        + 11;
    let end = start + bytes[start..].iter().position(|&b| b == b'>').expect(">");
    let hex = std::str::from_utf8(&bytes[start..end]).expect("hex");
    let der = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digit"))
        .collect();
    (start, der)
}

/// Copies `src` to `dst` with one hex digit of the CMS byte `der_index` (of the last
/// /Contents) changed: same length, so the ByteRange still matches and only the CMS is bad.
fn flip_cms_byte(src: &Path, dst: &Path, hex_start: usize, der_index: usize) {
    let mut bytes = std::fs::read(src).expect("read");
    let at = hex_start + 2 * der_index;
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(dst, bytes).expect("write");
}

fn text_report(dir: &Path, file: &Path) -> (Option<i32>, String) {
    let out = common::kyso()
        .args(["verify".as_ref(), file.as_os_str(), "--trust".as_ref()])
        .arg(root())
        .args(["--offline", "--lang", "en"])
        .env("KYSO_HOME", dir.join("home"))
        .output()
        .expect("kyso verify");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn document_timestamp_with_corrupted_signature_is_invalid() {
    let dir = out_dir("verify-doc-timestamp");
    let tsa = Tsa::start(&dir);

    // Kyso signs, pyHanko adds a document timestamp from the local TSA (and, after it, a
    // DSS with the TSA's certificates).
    let signed = dir.join("signed.pdf");
    let (o, json) = Sign::new(
        &fixtures().corpus.join("form.pdf"),
        &signed,
        "signer-modern.p12",
    )
    .run();
    assert!(o.status.success(), "sign failed: {json}");
    let stamped = dir.join("timestamped.pdf");
    let root = root();
    run_ok(
        pyhanko(),
        &[
            "sign".as_ref(),
            "timestamp".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
            "--trust-replace".as_ref(),
            "--timestamp-url".as_ref(),
            tsa.url.as_ref(),
            signed.as_os_str(),
            stamped.as_os_str(),
        ],
        &dir,
    );

    // Intact: the document timestamp is valid, and lifts the signature above B-B.
    let (exit, report) = verify(&dir, &stamped);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(report["verdict"], "valid");
    let sigs = report["signatures"].as_array().expect("signatures");
    assert_eq!(sigs.len(), 2, "{report:#}");
    let ts = &sigs[1];
    assert_eq!(ts["kind"], "document_timestamp");
    assert_eq!(ts["sub_filter"], "ETSI.RFC3161");
    assert_eq!(ts["verdict"], "valid", "{report:#}");
    assert_eq!(ts["signer"]["common_name"], "Kyso Test TSA");
    assert_eq!(ts["signing_time"]["source"], "timestamp");
    assert_eq!(ts["chain"]["trusted"], true);
    let ts_field = ts["field"].as_str().expect("field").to_string();
    assert_eq!(sigs[0]["kind"], "signature");
    assert_eq!(sigs[0]["verdict"], "valid");
    assert_eq!(sigs[0]["modifications"]["status"], "allowed");
    let level = sigs[0]["level"].as_str().unwrap_or("");
    assert!(
        ["B-T", "B-LT", "B-LTA"].contains(&level),
        "a valid later document timestamp should lift the level: {level}"
    );
    let py = pyhanko_verdicts(&stamped);
    assert_eq!(py.len(), 2);
    assert!(py.iter().all(pyhanko_accepts), "pyHanko disagrees: {py:?}");

    // Corrupt the TSA's signature value inside the DocTimeStamp's CMS (the last /Contents).
    let bytes = std::fs::read(&stamped).expect("read");
    let (hex_start, der) = last_contents(&bytes);
    let (sig_at, sig_len) = signature_value(&der, 0);
    assert!(sig_len >= 256, "an RSA-2048 signature value: {sig_len}");
    let corrupted = dir.join("timestamp-signature-corrupted.pdf");
    flip_cms_byte(&stamped, &corrupted, hex_start, sig_at + sig_len / 2);
    assert_eq!(
        std::fs::metadata(&corrupted).expect("meta").len(),
        bytes.len() as u64
    );

    let (exit, report) = verify(&dir, &corrupted);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "invalid");
    let ts = &report["signatures"][1];
    assert_eq!(ts["kind"], "document_timestamp");
    assert_eq!(ts["field"], ts_field.as_str());
    assert_eq!(ts["verdict"], "invalid");
    let ts_codes: Vec<&str> = ts["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(ts_codes.contains(&"SIGNATURE_INVALID"), "{report:#}");
    // The ByteRange and imprint are intact: only the CMS signature is reported.
    assert!(!ts_codes.contains(&"DIGEST_MISMATCH"), "{report:#}");
    assert!(!ts_codes.contains(&"BYTE_RANGE_INVALID"), "{report:#}");
    // The signature itself is untouched; it is no longer lifted by the broken timestamp.
    assert_eq!(report["signatures"][0]["verdict"], "valid", "{report:#}");
    assert_eq!(report["signatures"][0]["level"], "B-B");

    // The text report names the timestamp.
    let (code, text) = text_report(&dir, &corrupted);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("Document timestamp 2 ({ts_field}): INVALID"))
            && text.contains("[SIGNATURE_INVALID]"),
        "{text}"
    );

    // pyHanko's API agrees (its CLI `sign validate` would still exit 0: see the top).
    let py = pyhanko_verdicts(&corrupted);
    assert_eq!(py[1]["doc_timestamp"], true);
    assert!(!pyhanko_accepts(&py[1]), "pyHanko accepts it: {py:?}");
    assert!(pyhanko_accepts(&py[0]), "{py:?}");
}

#[test]
fn signature_timestamp_gives_b_t_and_a_corrupted_one_is_invalid() {
    let dir = out_dir("verify-signature-timestamp");
    let tsa = Tsa::start(&dir);

    // pyHanko signs PAdES with a signature timestamp (no DSS: --with-validation-info is off).
    let stamped = dir.join("signed-b-t.pdf");
    let pki = &fixtures().pki;
    let root = root();
    run_ok(
        pyhanko(),
        &[
            "sign".as_ref(),
            "addsig".as_ref(),
            "--field".as_ref(),
            "Sig1".as_ref(),
            "--use-pades".as_ref(),
            "--timestamp-url".as_ref(),
            tsa.url.as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
            "--trust-replace".as_ref(),
            "pkcs12".as_ref(),
            "--passfile".as_ref(),
            pki.join("p12-password.txt").as_os_str(),
            fixtures().corpus.join("form.pdf").as_os_str(),
            stamped.as_os_str(),
            pki.join("signer-modern.p12").as_os_str(),
        ],
        &dir,
    );

    let (exit, report) = verify(&dir, &stamped);
    assert_eq!(exit, 0, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["sub_filter"], "ETSI.CAdES.detached");
    assert_eq!(sig["level"], "B-T", "{report:#}");
    assert_eq!(sig["signing_time"]["source"], "timestamp");
    assert_eq!(sig["timestamp"]["verdict"], "valid");
    assert!(
        sig["timestamp"]["tsa"]
            .as_str()
            .is_some_and(|t| t.contains("CN=Kyso Test TSA")),
        "{report:#}"
    );
    assert!(!reason_codes(&report).contains(&"SIGNING_TIME_CLAIMED".to_string()));
    let py = pyhanko_verdicts(&stamped);
    assert!(
        py.len() == 1 && pyhanko_accepts(&py[0]) && py[0]["timestamp_ok"] == true,
        "pyHanko disagrees: {py:?}"
    );

    // Corrupt the TSA's signature value inside the token (the signer's unsignedAttrs
    // [1] → Attribute → SET → the token's ContentInfo).
    let bytes = std::fs::read(&stamped).expect("read");
    let (hex_start, der) = last_contents(&bytes);
    let si = signer_info(&der, 0);
    let unsigned = *si.last().expect("unsignedAttrs");
    assert_eq!(unsigned.0, 0xA1, "the signer has unsigned attributes");
    let attribute = children(&der, children(&der, unsigned)[0]);
    let token_at = children(&der, attribute[1])[0].1;
    let (sig_at, sig_len) = signature_value(&der, token_at);
    let corrupted = dir.join("signature-timestamp-corrupted.pdf");
    flip_cms_byte(&stamped, &corrupted, hex_start, sig_at + sig_len / 2);

    let (exit, report) = verify(&dir, &corrupted);
    assert_eq!(exit, 1, "{report:#}");
    let sig = &report["signatures"][0];
    assert_eq!(sig["verdict"], "invalid");
    assert_eq!(sig["timestamp"]["verdict"], "invalid");
    assert_eq!(sig["level"], "B-B", "a broken timestamp proves no time");
    assert_eq!(sig["signing_time"]["source"], "claimed");
    let codes = reason_codes(&report);
    assert!(
        codes.contains(&"TIMESTAMP_INVALID".to_string()),
        "{report:#}"
    );
    assert!(
        codes.contains(&"SIGNATURE_INVALID".to_string()),
        "{report:#}"
    );
    let py = pyhanko_verdicts(&corrupted);
    assert_eq!(py[0]["timestamp_ok"], false, "pyHanko accepts it: {py:?}");
}
