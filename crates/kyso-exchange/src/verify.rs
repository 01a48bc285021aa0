//! The first status of a received document: every attached PDF's signatures are verified
//! (kyso-core, offline, with the endpoint's own anchors). All valid: 01 "Đã đến". Otherwise
//! 02 (refused) with the reasons, in Vietnamese and English, naming the file.

use std::path::PathBuf;

use kyso_core::verify::VerifyOptions;
use kyso_core::verify::report::{Reason, Severity, Verdict, VerifyReport};
use kyso_sync::protocol::StatusEntry;

/// One attached PDF to check.
#[derive(Debug, Clone)]
pub struct PdfToCheck {
    /// The attachment's name, as the message gives it.
    pub name: String,
    /// The complete blob's file.
    pub path: PathBuf,
}

/// Whether an attachment is a PDF: by its content type, or by its name.
pub fn is_pdf(content_type: &str, name: &str) -> bool {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct == "application/pdf" || name.to_ascii_lowercase().ends_with(".pdf")
}

/// The reason a file is refused, or None when it is accepted.
pub fn check_report(name: &str, report: &VerifyReport) -> Option<String> {
    if report.signatures.is_empty() {
        return Some(format!(
            "Văn bản chưa được ký số / the PDF has no signature: {name}"
        ));
    }
    let reasons: Vec<&Reason> = report
        .signatures
        .iter()
        .flat_map(|s| s.reasons.iter())
        .chain(report.reasons.iter())
        .filter(|r| r.severity != Severity::Info)
        .collect();
    let acceptable = match report.verdict {
        Verdict::Valid => true,
        // The endpoint verifies offline: it never fetches CRLs nor asks OCSP responders. A
        // chain to one of its anchors that is indeterminate *only* because revocation data is
        // unavailable or stale (certificates that name a CRL or OCSP responder, with no fresh
        // CRL or OCSP response embedded) is accepted: refusing it
        // would refuse every document signed by a CA that publishes revocation data, and a
        // revocation check belongs to the receiving organ's registration (03), not to
        // arrival. Anything else indeterminate (untrusted chain, unsupported algorithm) is
        // refused. The test PKI names no revocation source, so its signatures are valid.
        Verdict::Indeterminate => reasons
            .iter()
            .all(|r| r.severity != Severity::Indeterminate || r.code == "REVOCATION_UNKNOWN"),
        Verdict::Altered | Verdict::Invalid => false,
    };
    if acceptable {
        return None;
    }
    let label = match report.verdict {
        Verdict::Invalid => "Chữ ký không hợp lệ / invalid signature",
        Verdict::Altered => "Văn bản bị sửa đổi sau khi ký / altered after signing",
        _ => "Chữ ký không xác thực được / signature cannot be validated",
    };
    let details: Vec<String> = reasons
        .iter()
        .map(|r| format!("{} ({})", r.detail, r.code))
        .collect();
    Some(format!("{label}: {name}: {}", details.join("; ")))
}

/// Verifies every PDF (blocking: call from `spawn_blocking`) and gives the first status.
pub fn first_status(pdfs: &[PdfToCheck], options: &VerifyOptions) -> StatusEntry {
    let mut problems = Vec::new();
    for pdf in pdfs {
        match kyso_core::verify_file(&pdf.path, options) {
            Ok(report) => problems.extend(check_report(&pdf.name, &report)),
            Err(e) => problems.push(format!(
                "Tệp PDF không đọc được / the PDF cannot be read: {}: {} ({})",
                pdf.name,
                // The error names the blob's path; the sender knows the file by its name.
                strip_path(&e.to_string()),
                e.code()
            )),
        }
    }
    let timestamp = crate::now_rfc3339();
    if problems.is_empty() {
        StatusEntry {
            code: "01".into(),
            description: "Đã đến".into(),
            timestamp,
            staff: None,
        }
    } else {
        StatusEntry {
            code: "02".into(),
            description: format!("Từ chối tiếp nhận / refused: {}", problems.join(" | ")),
            timestamp,
            staff: None,
        }
    }
}

/// `"/x/y.blobs/abc: message"` → `"message"`.
fn strip_path(text: &str) -> &str {
    match text.split_once(": ") {
        Some((head, rest)) if head.contains(".blobs") => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_detection() {
        assert!(is_pdf("application/pdf", "x"));
        assert!(is_pdf("Application/PDF; charset=binary", "x"));
        assert!(is_pdf("application/octet-stream", "QD-123.PDF"));
        assert!(!is_pdf("application/msword", "qd.doc"));
    }

    #[test]
    fn unreadable_pdf_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.db.blobs").join("abc");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, b"not a pdf").expect("write");
        let options = VerifyOptions {
            password: None,
            extra_anchors: Vec::new(),
            store: None,
            fetcher: None,
            now: 0,
            evidence: None,
            digests: None,
        };
        let status = first_status(
            &[PdfToCheck {
                name: "qd.pdf".into(),
                path,
            }],
            &options,
        );
        assert_eq!(status.code, "02");
        assert!(
            status.description.contains("qd.pdf"),
            "{}",
            status.description
        );
        assert!(
            !status.description.contains(".blobs"),
            "{}",
            status.description
        );
    }
}
