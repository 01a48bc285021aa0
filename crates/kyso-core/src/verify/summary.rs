//! A verification report as people read it: lines in Vietnamese or English, worded by the
//! one catalogue (`crate::messages`). `kyso verify` prints them; the report saved as PDF
//! ([`super::report_pdf`]) lays them out on pages. One wording for both.

use crate::messages::{Lang, text};
use crate::verify::report::{Reason, Severity, SignatureReport, TimeSource};
use crate::{Verdict, VerifyReport};

/// One line of the summary: how deep it sits (0 the file, 1 a signature, 2 its facts and
/// reasons, 3 the advice under a reason) and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryLine {
    pub depth: u8,
    pub text: String,
}

impl SummaryLine {
    fn new(depth: u8, text: String) -> SummaryLine {
        SummaryLine { depth, text }
    }

    /// The line as `kyso verify` prints it: two spaces per level.
    pub fn indented(&self) -> String {
        format!("{}{}", "  ".repeat(usize::from(self.depth)), self.text)
    }
}

/// The verdict in words, as the report's headline says it.
pub fn verdict_text(verdict: Verdict, lang: Lang) -> String {
    text(
        lang,
        match verdict {
            Verdict::Valid => "cli.verify.verdict.valid",
            Verdict::Indeterminate => "cli.verify.verdict.indeterminate",
            Verdict::Altered => "cli.verify.verdict.altered",
            Verdict::Invalid => "cli.verify.verdict.invalid",
        },
        &[],
    )
}

/// The whole report: the file and its verdict, the document's own reasons, then each
/// signature's block.
pub fn summary(report: &VerifyReport, lang: Lang) -> Vec<SummaryLine> {
    let mut lines = vec![SummaryLine::new(
        0,
        text(
            lang,
            "cli.verify.file",
            &[
                ("file", &report.path.display().to_string()),
                ("verdict", &verdict_text(report.verdict, lang)),
            ],
        ),
    )];
    for r in &report.reasons {
        reason_lines(&mut lines, r, lang);
    }
    for (i, s) in report.signatures.iter().enumerate() {
        signature_lines(&mut lines, i + 1, s, lang);
    }
    lines
}

/// A reason: in Vietnamese its text, code and English detail, then the advice (what to do)
/// on its own line; in English the detail and code (the detail already holds the advice).
fn reason_lines(lines: &mut Vec<SummaryLine>, r: &Reason, lang: Lang) {
    let mark = match r.severity {
        Severity::Info => "i",
        Severity::Indeterminate => "?",
        Severity::Altered | Severity::Invalid => "✗",
    };
    match lang {
        Lang::Vi => {
            lines.push(SummaryLine::new(
                2,
                format!("{mark} {} [{}] ({})", r.message(Lang::Vi), r.code, r.detail),
            ));
            if let Some(advice) = r.advice_text(Lang::Vi) {
                lines.push(SummaryLine::new(3, format!("→ {advice}")));
            }
        }
        Lang::En => lines.push(SummaryLine::new(
            2,
            format!("{mark} {} [{}]", r.detail, r.code),
        )),
    }
}

fn signature_lines(lines: &mut Vec<SummaryLine>, n: usize, s: &SignatureReport, lang: Lang) {
    let kind = if s.kind == "document_timestamp" {
        "cli.verify.kind.document_timestamp"
    } else {
        "cli.verify.kind.signature"
    };
    lines.push(SummaryLine::new(
        1,
        text(
            lang,
            kind,
            &[
                ("number", &n.to_string()),
                ("field", &s.field),
                ("verdict", &verdict_text(s.verdict, lang)),
            ],
        ),
    ));
    let fact = |lines: &mut Vec<SummaryLine>, key: &str, value: &str| {
        lines.push(SummaryLine::new(
            2,
            format!("{}: {value}", text(lang, key, &[])),
        ));
    };
    if let Some(signer) = &s.signer {
        fact(
            lines,
            "cli.verify.signer",
            signer.common_name.as_deref().unwrap_or(&signer.subject),
        );
        fact(lines, "cli.verify.issuer", &signer.issuer);
    }
    if let Some(time) = &s.signing_time {
        let source = text(
            lang,
            match time.source {
                TimeSource::Timestamp => "cli.verify.time_source.timestamp",
                TimeSource::Claimed => "cli.verify.time_source.claimed",
                TimeSource::VerificationTime => "cli.verify.time_source.verification_time",
            },
            &[],
        );
        fact(
            lines,
            "cli.verify.time",
            &format!("{} ({source})", time.time),
        );
    }
    if let Some(level) = s.level {
        fact(lines, "cli.verify.level", &format!("PAdES {level}"));
    }
    if let Some(p) = s.certification {
        fact(lines, "cli.verify.certified", &format!("DocMDP P={p}"));
    }
    if let Some(rev) = &s.revocation {
        let status = text(
            lang,
            &format!("cli.verify.revocation_status.{}", rev.status),
            &[],
        );
        let value = if rev.sources.is_empty() {
            status
        } else {
            format!("{status} ({})", rev.sources.join(", "))
        };
        fact(lines, "cli.verify.revocation", &value);
    }
    if s.modifications.status != "none" {
        let detail = text(
            lang,
            "cli.verify.changes_detail",
            &[
                ("status", s.modifications.status),
                ("count", &s.modifications.later_revisions.to_string()),
            ],
        );
        fact(lines, "cli.verify.changes", &detail);
    }
    for r in &s.reasons {
        reason_lines(lines, r, lang);
    }
    if let Some(ts) = &s.timestamp {
        for r in &ts.reasons {
            reason_lines(lines, r, lang);
        }
    }
}
