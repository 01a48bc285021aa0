//! `kyso verify FILE...`: one report per file, one block per signature, in Vietnamese or
//! English, or the JSON of docs/verify-json.md. Exit codes (README): 0 all valid, 1 any
//! invalid or altered, 2 indeterminate, 3 a file (or a --trust certificate) cannot be read.

use std::path::PathBuf;
use std::sync::Arc;

use clap::ValueEnum;
use kyso_core::verify::report::{Reason, Severity, SignatureReport, TimeSource};
use kyso_core::{TrustStore, Verdict, VerifyOptions, VerifyReport};

use crate::passwords;

/// Exit codes of `kyso verify`.
pub mod code {
    pub const VALID: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const INDETERMINATE: u8 = 2;
    pub const UNREADABLE: u8 = 3;
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    Vi,
    En,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// PDF files to verify.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Trust this root certificate (PEM or DER) for this run, besides the trust store.
    #[arg(long)]
    pub trust: Vec<PathBuf>,
    /// File holding the PDF's password (else KYSO_PDF_PASSWORD).
    #[arg(long = "pdf-password-file")]
    pub pdf_password_file: Option<PathBuf>,
    /// Use only the revocation data embedded in the file; fetch nothing.
    #[arg(long)]
    pub offline: bool,
    /// One JSON report per file and line (docs/verify-json.md).
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t = Lang::Vi)]
    pub lang: Lang,
}

pub fn run(args: VerifyArgs) -> u8 {
    let password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p.map(kyso_core::Password::from),
        Err(e) => {
            eprintln!("kyso: {e:#}");
            return code::UNREADABLE;
        }
    };
    let mut extra_anchors = Vec::new();
    for path in &args.trust {
        match kyso_core::trust::read_certificate_file(path) {
            Ok(certs) => extra_anchors.extend(certs),
            Err(e) => {
                eprintln!("kyso: [{}] {e}", e.code());
                return code::UNREADABLE;
            }
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let fetcher: Option<Arc<dyn kyso_core::verify::Fetcher>> = if args.offline {
        None
    } else {
        Some(Arc::new(kyso_core::verify::HttpFetcher::default()))
    };
    let options = VerifyOptions {
        password,
        extra_anchors,
        store: Some(TrustStore::default_location()),
        fetcher,
        now,
        evidence: None,
        digests: None,
    };
    let mut codes = Vec::new();
    for file in &args.files {
        let mut outcome = kyso_core::verify_file(file, &options);
        // An encrypted file and no password given: ask once on a terminal, as `kyso sign`
        // does (never echoed), then read it again.
        if let Err(e) = &outcome
            && e.code() == "PDF_PASSWORD_REQUIRED"
            && options.password.is_none()
            && let Ok(Some(password)) = passwords::prompt_pdf_password(file)
        {
            let with_password = VerifyOptions {
                password: Some(kyso_core::Password::from(password)),
                ..options.clone()
            };
            outcome = kyso_core::verify_file(file, &with_password);
        }
        match outcome {
            Ok(report) => {
                let c = exit_code(report.verdict);
                if args.json {
                    let mut value = serde_json::to_value(&report).unwrap_or_default();
                    if let Some(obj) = value.as_object_mut() {
                        obj.insert("ok".into(), true.into());
                        obj.insert("exit_code".into(), c.into());
                    }
                    println!("{value}");
                } else {
                    print_report(&report, args.lang);
                }
                codes.push(c);
            }
            Err(e) => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"path": file, "ok": false, "code": e.code(), "error": e.to_string(), "exit_code": code::UNREADABLE})
                    );
                } else {
                    eprintln!("kyso: [{}] {e}", e.code());
                }
                codes.push(code::UNREADABLE);
            }
        }
    }
    overall(&codes)
}

/// Invalid beats unreadable beats indeterminate beats valid.
fn overall(codes: &[u8]) -> u8 {
    for c in [code::INVALID, code::UNREADABLE, code::INDETERMINATE] {
        if codes.contains(&c) {
            return c;
        }
    }
    code::VALID
}

fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Valid => code::VALID,
        Verdict::Indeterminate => code::INDETERMINATE,
        Verdict::Altered | Verdict::Invalid => code::INVALID,
    }
}

fn verdict_text(v: Verdict, lang: Lang) -> &'static str {
    match (v, lang) {
        (Verdict::Valid, Lang::Vi) => "HỢP LỆ",
        (Verdict::Indeterminate, Lang::Vi) => "CHƯA XÁC ĐỊNH",
        (Verdict::Altered, Lang::Vi) => "TÀI LIỆU ĐÃ BỊ THAY ĐỔI SAU KHI KÝ",
        (Verdict::Invalid, Lang::Vi) => "KHÔNG HỢP LỆ",
        (Verdict::Valid, Lang::En) => "VALID",
        (Verdict::Indeterminate, Lang::En) => "INDETERMINATE",
        (Verdict::Altered, Lang::En) => "ALTERED AFTER SIGNING",
        (Verdict::Invalid, Lang::En) => "INVALID",
    }
}

/// Vietnamese text of a reason code; the English detail follows it.
fn print_reason(r: &Reason, lang: Lang) {
    let mark = match r.severity {
        Severity::Info => "i",
        Severity::Indeterminate => "?",
        Severity::Altered | Severity::Invalid => "✗",
    };
    match lang {
        Lang::Vi => println!(
            "    {mark} {} [{}] ({})",
            kyso_core::verify::report::reason_vi(r.code),
            r.code,
            r.detail
        ),
        Lang::En => println!("    {mark} {} [{}]", r.detail, r.code),
    }
}

fn print_report(report: &VerifyReport, lang: Lang) {
    let vi = lang == Lang::Vi;
    println!(
        "{} {}: {}",
        if vi { "Tệp" } else { "File" },
        report.path.display(),
        verdict_text(report.verdict, lang)
    );
    for r in &report.reasons {
        print_reason(r, lang);
    }
    for (i, s) in report.signatures.iter().enumerate() {
        print_signature(i + 1, s, lang);
    }
}

fn print_signature(n: usize, s: &SignatureReport, lang: Lang) {
    let vi = lang == Lang::Vi;
    let kind = match (s.kind, vi) {
        ("document_timestamp", true) => "Dấu thời gian tài liệu",
        ("document_timestamp", false) => "Document timestamp",
        (_, true) => "Chữ ký",
        (_, false) => "Signature",
    };
    println!(
        "  {kind} {n} ({}): {}",
        s.field,
        verdict_text(s.verdict, lang)
    );
    if let Some(signer) = &s.signer {
        println!(
            "    {}: {}",
            if vi { "Người ký" } else { "Signer" },
            signer.common_name.as_deref().unwrap_or(&signer.subject)
        );
        println!(
            "    {}: {}",
            if vi { "Cấp bởi" } else { "Issuer" },
            signer.issuer
        );
    }
    if let Some(t) = &s.signing_time {
        let src = match (t.source, vi) {
            (TimeSource::Timestamp, true) => "dấu thời gian",
            (TimeSource::Timestamp, false) => "timestamp",
            (TimeSource::Claimed, true) => "người ký tự khai",
            (TimeSource::Claimed, false) => "claimed by the signer",
            (TimeSource::VerificationTime, true) => "thời điểm kiểm tra",
            (TimeSource::VerificationTime, false) => "verification time",
        };
        println!(
            "    {}: {} ({src})",
            if vi { "Thời gian" } else { "Time" },
            t.time
        );
    }
    if let Some(level) = s.level {
        println!("    {}: PAdES {level}", if vi { "Mức" } else { "Level" });
    }
    if let Some(p) = s.certification {
        println!(
            "    {}: DocMDP P={p}",
            if vi { "Chứng nhận" } else { "Certified" }
        );
    }
    if let Some(rev) = &s.revocation {
        println!(
            "    {}: {} {}",
            if vi { "Thu hồi" } else { "Revocation" },
            rev.status,
            rev.sources.join(",")
        );
    }
    if s.modifications.status != "none" {
        println!(
            "    {}: {} ({} {})",
            if vi {
                "Thay đổi sau khi ký"
            } else {
                "Changes after signing"
            },
            s.modifications.status,
            s.modifications.later_revisions,
            if vi {
                "phiên bản sau"
            } else {
                "later revisions"
            }
        );
    }
    for r in &s.reasons {
        print_reason(r, lang);
    }
    if let Some(ts) = &s.timestamp {
        for r in &ts.reasons {
            print_reason(r, lang);
        }
    }
}
