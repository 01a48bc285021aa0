//! `kyso verify FILE...`: one report per file, one block per signature, in the language of
//! the run (`--lang`), or the JSON of docs/verify-json.md. Exit codes (README): 0 all valid,
//! 1 any invalid or altered, 2 indeterminate, 3 a file (or a --trust certificate) cannot be
//! read.

use std::path::PathBuf;
use std::sync::Arc;

use kyso_core::messages::{Lang, Problem};
use kyso_core::verify::report::Reason;
use kyso_core::{TrustStore, Verdict, VerifyOptions, VerifyReport};

use crate::passwords;
use crate::ui;

/// Exit codes of `kyso verify`.
pub mod code {
    pub const VALID: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const INDETERMINATE: u8 = 2;
    pub const UNREADABLE: u8 = 3;
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
    /// Also save the report as a PDF, in the run's language (one file to verify).
    #[arg(long = "report-pdf", value_name = "FILE")]
    pub report_pdf: Option<PathBuf>,
}

pub fn run(args: VerifyArgs) -> u8 {
    if args.report_pdf.is_some() && args.files.len() != 1 {
        ui::report(&Problem::new(
            "REPORT_PDF_ONE_FILE",
            Vec::new(),
            "--report-pdf saves the report of one file: give one file to verify",
        ));
        return code::UNREADABLE;
    }
    let password = match passwords::pdf_password(args.pdf_password_file.as_deref()) {
        Ok(p) => p.map(kyso_core::Password::from),
        Err(p) => {
            ui::report(&p);
            return code::UNREADABLE;
        }
    };
    let mut extra_anchors = Vec::new();
    for path in &args.trust {
        match kyso_core::trust::read_certificate_file(path) {
            Ok(certs) => extra_anchors.extend(certs),
            Err(e) => {
                ui::report_error(&e);
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
                    add_messages(&mut value, &report, ui::lang());
                    if let Some(obj) = value.as_object_mut() {
                        obj.insert("ok".into(), true.into());
                        obj.insert("exit_code".into(), c.into());
                    }
                    println!("{value}");
                } else {
                    print_report(&report);
                }
                if let Some(target) = &args.report_pdf
                    && let Err(p) = save_report_pdf(&report, target)
                {
                    ui::report(&p);
                    codes.push(code::UNREADABLE);
                }
                codes.push(c);
            }
            Err(e) => {
                let p = Problem::of(&e);
                if args.json {
                    let mut value = ui::json_error(&p);
                    value["path"] = serde_json::json!(file);
                    value["exit_code"] = code::UNREADABLE.into();
                    println!("{value}");
                } else {
                    ui::report(&p);
                }
                codes.push(code::UNREADABLE);
            }
        }
    }
    overall(&codes)
}

/// Adds `message` (and `advice_message` where there is advice) in `lang` beside each reason's
/// `code` in the JSON of `report`: the file's reasons, each signature's and each signature
/// timestamp's. Every other field stays as it is.
fn add_messages(value: &mut serde_json::Value, report: &VerifyReport, lang: Lang) {
    fn add(list: Option<&mut serde_json::Value>, reasons: &[Reason], lang: Lang) {
        let Some(serde_json::Value::Array(items)) = list else {
            return;
        };
        for (item, reason) in items.iter_mut().zip(reasons) {
            item["message"] = reason.message(lang).into();
            if let Some(advice) = reason.advice_text(lang) {
                item["advice_message"] = advice.into();
            }
        }
    }
    add(value.get_mut("reasons"), &report.reasons, lang);
    for (i, s) in report.signatures.iter().enumerate() {
        let Some(sig) = value.get_mut("signatures").and_then(|v| v.get_mut(i)) else {
            continue;
        };
        add(sig.get_mut("reasons"), &s.reasons, lang);
        if let Some(ts) = &s.timestamp {
            add(
                sig.get_mut("timestamp").and_then(|t| t.get_mut("reasons")),
                &ts.reasons,
                lang,
            );
        }
    }
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

/// The report as a PDF at `target` (written beside it, then renamed: never half a file).
fn save_report_pdf(report: &VerifyReport, target: &std::path::Path) -> Result<(), Problem> {
    let vietnam = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let made_at = time::OffsetDateTime::now_utc()
        .to_offset(vietnam)
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let bytes = kyso_core::verify::report_pdf::report_pdf(report, ui::lang(), &made_at)
        .map_err(|e| Problem::of(&e))?;
    let unwritable = |e: std::io::Error| {
        Problem::new(
            "OUTPUT_UNWRITABLE",
            vec![("file", target.display().to_string())],
            format!("{}: cannot write the report: {e}", target.display()),
        )
    };
    let out = kyso_core::output::OutputFile::create_next_to(target).map_err(unwritable)?;
    std::io::Write::write_all(&mut out.file(), &bytes).map_err(unwritable)?;
    out.commit().map_err(unwritable)
}

/// The report in the run's language, as kyso-core words it (the desktop's PDF report says
/// the same lines).
fn print_report(report: &VerifyReport) {
    for line in kyso_core::verify::summary::summary(report, ui::lang()) {
        println!("{}", line.indented());
    }
}
