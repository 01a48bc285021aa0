//! The verification report: what `kyso verify --json` prints (schema in docs/verify-json.md)
//! and what the desktop shows. Verdicts follow ETSI EN 319 102-1 §5.1.3 (TOTAL-PASSED,
//! TOTAL-FAILED, INDETERMINATE), with TOTAL-FAILED split into `invalid` (the signature itself
//! is broken) and `altered` (the document was changed after it in a way not permitted).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::messages::{self, Lang};

/// The verdict on one signature, or on a file (the worst of its signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Intact, trusted, not altered after signing (TOTAL-PASSED).
    Valid,
    /// Could not be decided: untrusted chain, revocation unknown, unsupported algorithm.
    Indeterminate,
    /// Intact, but the document was changed afterwards in a way not permitted.
    Altered,
    /// Broken: digest, signature, certificate, revoked, expired (TOTAL-FAILED).
    Invalid,
}

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Shown, does not change the verdict.
    Info,
    Indeterminate,
    Altered,
    Invalid,
}

impl Severity {
    pub fn verdict(self) -> Verdict {
        match self {
            Severity::Info => Verdict::Valid,
            Severity::Indeterminate => Verdict::Indeterminate,
            Severity::Altered => Verdict::Altered,
            Severity::Invalid => Verdict::Invalid,
        }
    }
}

/// One finding, with a stable code (listed in docs/verify-json.md) and an English detail.
/// The code is a key of [`crate::messages`] (its text in either language); `params` are the
/// values its text places, and `advice`, when given, the key of what to do about it (a text
/// with the same parameters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub severity: Severity,
    pub detail: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<&'static str>,
}

impl Reason {
    pub fn new(code: &'static str, severity: Severity, detail: impl Into<String>) -> Self {
        Reason {
            code,
            severity,
            detail: detail.into(),
            params: BTreeMap::new(),
            advice: None,
        }
    }

    /// With the value of one placeholder of its text.
    pub fn with_param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.insert(name, value.into());
        self
    }

    /// With the catalogue key of the advice that goes with it.
    pub fn with_advice(mut self, key: &'static str) -> Self {
        self.advice = Some(key);
        self
    }

    fn param_pairs(&self) -> Vec<(&str, &str)> {
        self.params.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// Its text in `lang` (the catalogue's text of its code, with its parameters).
    pub fn message(&self, lang: Lang) -> String {
        messages::text(lang, self.code, &self.param_pairs())
    }

    /// Its advice in `lang`, when it has one.
    pub fn advice_text(&self, lang: Lang) -> Option<String> {
        self.advice
            .map(|key| messages::text(lang, key, &self.param_pairs()))
    }
}

/// Who signed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CertificateSummary {
    pub subject: String,
    pub common_name: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub sha256: String,
    pub not_before: String,
    pub not_after: String,
    /// `not_after` in Unix seconds (when an archive's timestamp must be renewed).
    #[serde(skip)]
    pub not_after_unix: i64,
}

impl CertificateSummary {
    pub fn of(c: &kyso_cms::CertificateInfo) -> Self {
        CertificateSummary {
            subject: c.subject.clone(),
            common_name: c.subject_common_name.clone(),
            issuer: c.issuer.clone(),
            serial: c.serial_hex.clone(),
            sha256: c.sha256_fingerprint_hex.clone(),
            not_before: rfc3339(c.not_before),
            not_after: rfc3339(c.not_after),
            not_after_unix: c.not_after,
        }
    }
}

/// Where the signing time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// A verified signature timestamp (RFC 3161 genTime).
    Timestamp,
    /// The signature dictionary's /M: what the signer claims, not proven.
    Claimed,
    /// Neither: the time of verification is used.
    VerificationTime,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SigningTime {
    pub time: String,
    pub source: TimeSource,
}

/// One certificate of the chain and where it was found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainElement {
    pub subject: String,
    pub sha256: String,
    /// "cms", "dss", "store", "anchor", "command_line"
    pub source: &'static str,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainReport {
    pub trusted: bool,
    pub certificates: Vec<ChainElement>,
}

/// Revocation of the signer's chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RevocationReport {
    /// "good", "revoked", "unknown", "no_source" (the certificates name no CRL or OCSP
    /// responder), "not_checked" (no chain)
    pub status: &'static str,
    /// What proved the status (revocation::source), first use first: CRLs "cms", "dss",
    /// "fetched"; OCSP responses "ocsp-embedded", "ocsp-fetched"; empty when none did.
    pub sources: Vec<&'static str>,
}

/// A timestamp verified with the signature (or a document timestamp's own token).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimestampReport {
    pub time: String,
    pub tsa: Option<String>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

/// One change found in the incremental updates after a signature.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Change {
    /// "signature", "form_fill", "dss", "document_timestamp", "annotation", "metadata",
    /// "page_content", "pages", "catalog", "object", "appended_bytes"
    pub kind: &'static str,
    pub object: Option<String>,
    pub allowed: bool,
    pub detail: String,
    /// The fully qualified name of the form field changed (`form_fill` changes).
    pub field: Option<String>,
    /// The change is to a field the signature locks (FieldMDP): `FIELD_LOCKED_CHANGED`.
    pub locked: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ModificationReport {
    /// "none", "allowed", "not_permitted"
    pub status: &'static str,
    /// Number of revisions after the signed one.
    pub later_revisions: usize,
    pub changes: Vec<Change>,
    /// The fields the signature locks (FieldMDP reference, signature field's /Lock).
    pub field_locks: Vec<super::fieldmdp::FieldLock>,
    /// The DocMDP P of the signature field's /Lock (PDF 2.0), if any.
    pub lock_permission: Option<i64>,
    /// Locks that could not be read (reported as `FIELD_LOCK_UNREADABLE`).
    #[serde(skip)]
    pub lock_problems: Vec<String>,
}

impl ModificationReport {
    /// No later revision, and locks as read in `locks`.
    pub fn unchanged(locks: super::fieldmdp::Locks) -> Self {
        ModificationReport {
            status: "none",
            later_revisions: 0,
            changes: Vec::new(),
            field_locks: locks.locks,
            lock_permission: locks.permission,
            lock_problems: locks.problems,
        }
    }
}

/// Everything about one signature or document timestamp.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignatureReport {
    pub field: String,
    /// "signature" or "document_timestamp"
    pub kind: &'static str,
    pub sub_filter: Option<String>,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub signer: Option<CertificateSummary>,
    pub signing_time: Option<SigningTime>,
    /// "B-B", "B-T", "B-LT", "B-LTA"; None when not a PAdES signature.
    pub level: Option<&'static str>,
    /// Where the signature shows on the page (its widget), from the top left of the page as
    /// displayed; None when it is invisible.
    pub widget: Option<crate::appearance::DisplayedBox>,
    /// DocMDP P of a certification signature.
    pub certification: Option<i64>,
    pub covers_whole_file: bool,
    pub byte_range: Vec<i64>,
    pub digest_algorithm: Option<&'static str>,
    pub chain: Option<ChainReport>,
    pub revocation: Option<RevocationReport>,
    pub timestamp: Option<TimestampReport>,
    pub modifications: ModificationReport,
}

/// The report on one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub path: PathBuf,
    pub verdict: Verdict,
    pub size_bytes: u64,
    pub revisions: usize,
    /// Bytes after the last revision's `%%EOF` that no revision accounts for.
    pub appended_bytes: u64,
    /// Whether revocation data could be fetched (online and allowed).
    pub online: bool,
    pub signatures: Vec<SignatureReport>,
    /// Reasons that concern the file rather than one signature.
    pub reasons: Vec<Reason>,
}

/// The worst verdict among reasons.
pub fn verdict_of(reasons: &[Reason]) -> Verdict {
    reasons
        .iter()
        .map(|r| r.severity.verdict())
        .max()
        .unwrap_or(Verdict::Valid)
}

/// Unix seconds as RFC 3339 UTC ("2026-11-22T10:05:09Z"); out-of-range times as seconds.
pub fn rfc3339(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("@{unix}"),
    }
}

/// Parses a PDF date (ISO 32000-2 §7.9.4) `D:YYYYMMDDHHmmSSOHH'mm'` to Unix seconds;
/// missing fields default as the standard says.
pub fn parse_pdf_date(text: &str) -> Option<i64> {
    let s = text.trim();
    let s = s.strip_prefix("D:").unwrap_or(s).as_bytes();
    let num = |range: std::ops::Range<usize>, default: i64| -> Option<i64> {
        match s.get(range) {
            Some(d) if d.iter().all(u8::is_ascii_digit) => {
                Some(d.iter().fold(0i64, |a, &b| a * 10 + i64::from(b - b'0')))
            }
            Some(_) => None,
            None => Some(default),
        }
    };
    if s.len() < 4 {
        return None;
    }
    let year = num(0..4, 0)?;
    let month = num(4..6, 1)?;
    let day = num(6..8, 1)?;
    let hour = num(8..10, 0)?;
    let minute = num(10..12, 0)?;
    let second = num(12..14, 0)?;
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
            .ok()?;
    let t = date
        .with_hms(
            u8::try_from(hour).ok()?,
            u8::try_from(minute).ok()?,
            u8::try_from(second).ok()?,
        )
        .ok()?;
    let mut unix = t.assume_utc().unix_timestamp();
    if let Some(&sign) = s.get(14)
        && (sign == b'+' || sign == b'-')
    {
        let oh = num(15..17, 0)?;
        let om = num(18..20, 0).unwrap_or(0);
        let offset = oh * 3600 + om * 60;
        unix += if sign == b'+' { -offset } else { offset };
    }
    Some(unix)
}

/// A reason's code in Vietnamese words, for an official (the English detail beside it says
/// more): the catalogue's text ([`crate::messages`]); "Lưu ý" (a note) for a code without one.
pub fn reason_vi(code: &str) -> &'static str {
    messages::template(Lang::Vi, code).unwrap_or("Lưu ý")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        assert_eq!(
            parse_pdf_date("D:20261122100509+07'00'"),
            parse_pdf_date("D:20261122030509Z")
        );
        assert_eq!(
            rfc3339(parse_pdf_date("D:20261122030509Z").unwrap_or(0)),
            "2026-11-22T03:05:09Z"
        );
        assert_eq!(
            parse_pdf_date("D:2026"),
            parse_pdf_date("D:20260101000000Z")
        );
        assert_eq!(parse_pdf_date("garbage"), None);
        assert_eq!(parse_pdf_date("D:20261399"), None);
    }

    #[test]
    fn verdict_order() {
        let r = vec![
            Reason::new("A", Severity::Indeterminate, ""),
            Reason::new("B", Severity::Altered, ""),
        ];
        assert_eq!(verdict_of(&r), Verdict::Altered);
        assert_eq!(verdict_of(&[]), Verdict::Valid);
    }
}
