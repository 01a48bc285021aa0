//! PAdES verification (ISO 32000-2 §12.8, ETSI EN 319 142-1, verdicts after ETSI EN 319
//! 102-1): for every signature and document timestamp of a PDF, integrity (ByteRange, digest,
//! signature value, signing-certificate), changes after it, the chain to the user's anchors,
//! validity and key usage at the signing time, revocation, timestamps and the PAdES level.
//!
//! The file is never loaded: the reader fetches the objects it needs and the byte ranges
//! are hashed by streaming ([`integrity::hash_ranges`]).

pub mod chain;
pub mod changes;
pub mod fieldmdp;
pub mod integrity;
pub mod report;
pub mod report_pdf;
pub mod revocation;
pub mod summary;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyso_cms::extensions::KP_TIME_STAMPING;
use kyso_cms::tst::ID_CT_TST_INFO;
use kyso_cms::{
    CertificateInfo, DigestAlgorithm, DigestCheck, ParsedSignedData, SignatureCheck,
    SigningCertificateCheck, TstInfo, parse_signed_data, verify_signer,
};
use kyso_pdf::form::{self, ExistingSignature};
use kyso_pdf::{Document, FileSource, Source};

use crate::trust::{TrustKind, TrustStore};
use chain::Candidate;
use report::{
    CertificateSummary, ChainElement, ChainReport, ModificationReport, Reason, Severity,
    SignatureReport, SigningTime, TimeSource, TimestampReport, Verdict, VerifyReport, rfc3339,
    verdict_of,
};
pub use revocation::{Fetcher, HttpFetcher};

/// Errors that stop the verification of a whole file (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Pdf {
        path: PathBuf,
        source: kyso_pdf::PdfError,
    },
}

impl VerifyError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Read { .. } => "INPUT_UNREADABLE",
            VerifyError::Pdf { source, .. } => source.code(),
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> crate::messages::Params {
        use crate::messages::{param, with_file};
        match self {
            VerifyError::Read { path, source } => {
                vec![param("file", path.display()), param("detail", source)]
            }
            VerifyError::Pdf { path, source } => with_file(source.params(), path),
        }
    }
}

impl crate::messages::Coded for VerifyError {
    fn code(&self) -> &'static str {
        VerifyError::code(self)
    }
    fn params(&self) -> crate::messages::Params {
        VerifyError::params(self)
    }
}

/// How to verify.
#[derive(Clone)]
pub struct VerifyOptions {
    /// The PDF's user or owner password.
    pub password: Option<crate::Password>,
    /// Anchors for this run only (`--trust`).
    pub extra_anchors: Vec<CertificateInfo>,
    /// The user's trust store (anchors and stored intermediates).
    pub store: Option<TrustStore>,
    /// Fetches CRLs and asks OCSP responders when online and allowed; None = offline
    /// (embedded data only).
    pub fetcher: Option<Arc<dyn Fetcher>>,
    /// The verification time, Unix seconds (passed in: docs/architecture.md principle 6).
    pub now: i64,
    /// Collects the certificates of every path and the revocation data used (for the DSS
    /// of a B-LT upgrade, [`crate::ltv`]); None when verifying only.
    pub evidence: Option<Arc<crate::ltv::Evidence>>,
    /// Digests of byte ranges already computed for this document (an upgrade's repeated
    /// verifications); None: every range is hashed.
    pub digests: Option<Arc<integrity::DigestCache>>,
}

impl VerifyOptions {
    /// Offline, with no trust anchors, at `now`: enough to read a document's structure and
    /// level (an intact timestamp counts, trusted or not).
    pub fn offline(now: i64) -> VerifyOptions {
        VerifyOptions {
            password: None,
            extra_anchors: Vec::new(),
            store: None,
            fetcher: None,
            now,
            evidence: None,
            digests: None,
        }
    }
}

/// Verifies every signature of the PDF at `path`.
pub fn verify_file(path: &Path, options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    let read_err = |source| VerifyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let source = FileSource::new(File::open(path).map_err(read_err)?).map_err(read_err)?;
    let doc = Document::open(
        source,
        options.password.as_ref().map(crate::Password::as_str),
    )
    .map_err(|source| VerifyError::Pdf {
        path: path.to_path_buf(),
        source,
    })?;
    verify_document(&doc, path, options).map_err(|source| VerifyError::Pdf {
        path: path.to_path_buf(),
        source,
    })
}

/// What the DSS (ETSI EN 319 142-1 §5.4.2) holds.
#[derive(Default)]
struct Dss {
    present: bool,
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    /// OCSPResponses (ETSI EN 319 142-1 §5.4.2.2).
    ocsps: Vec<Vec<u8>>,
}

fn read_dss<S: Source>(doc: &Document<S>) -> Dss {
    let present = doc
        .catalog()
        .is_ok_and(|(_, c)| c.get(b"DSS").is_some_and(|d| doc.resolve_dict(d).is_ok()));
    let kyso_pdf::dss::DssAdditions { certs, crls, ocsps } = kyso_pdf::dss::read(doc);
    Dss {
        present,
        certs,
        crls,
        ocsps,
    }
}

/// Verifies every signature of an open document.
pub fn verify_document<S: Source>(
    doc: &Document<S>,
    path: &Path,
    options: &VerifyOptions,
) -> Result<VerifyReport, kyso_pdf::PdfError> {
    let signatures = form::signatures(doc)?;
    let dss = read_dss(doc);
    let docmdp = form::certification_level(doc).ok().flatten();

    let mut anchors: Vec<Candidate> = options
        .extra_anchors
        .iter()
        .map(|c| Candidate {
            cert: c.clone(),
            source: "command_line",
        })
        .collect();
    let mut pool: Vec<Candidate> = Vec::new();
    if let Some(store) = &options.store {
        anchors.extend(
            store
                .list_kind(TrustKind::Anchor)
                .into_iter()
                .map(|e| Candidate {
                    cert: e.certificate,
                    source: "anchor",
                }),
        );
        pool.extend(
            store
                .list_kind(TrustKind::Intermediate)
                .into_iter()
                .map(|e| Candidate {
                    cert: e.certificate,
                    source: "store",
                }),
        );
    }
    pool.extend(
        dss.certs
            .iter()
            .filter_map(|d| CertificateInfo::from_der(d).ok())
            .map(|cert| Candidate {
                cert,
                source: "dss",
            }),
    );
    let ctx = Context {
        doc,
        options,
        anchors,
        pool,
        dss,
        docmdp,
    };

    let mut reports = Vec::new();
    for sig in &signatures {
        reports.push(ctx.verify_one(sig));
    }
    // The level is the document's structure (ETSI EN 319 142-1 §6): a timestamp that is
    // intact counts, trusted or not — whether it is trusted is its verdict's business.
    let doc_timestamps: Vec<DocumentTimestampEnd> = reports
        .iter()
        .filter(|r| r.kind == "document_timestamp" && r.verdict != Verdict::Invalid)
        .filter_map(|r| {
            let end = r.byte_range.get(2..4).map(|x| x[0].saturating_add(x[1]))?;
            Some((end, r.signing_time.as_ref().map(|t| t.time.clone())))
        })
        .map(|(end, time)| DocumentTimestampEnd {
            end,
            time,
            covers_dss: ctx.dss.present && dss_at(doc, end, options),
        })
        .collect();
    let fields = form::fields(doc).unwrap_or_default();
    for r in &mut reports {
        r.level = level(r, &doc_timestamps, ctx.dss.present);
        proven_by_document_timestamp(r, &doc_timestamps);
        r.widget = fields
            .iter()
            .find(|f| f.name == r.field)
            .and_then(|f| crate::appearance::field_box_shown(doc, f));
    }
    // Oldest first (by where the signed revision ends).
    reports.sort_by_key(|r| {
        r.byte_range
            .get(2..4)
            .map_or(0, |x| x[0].saturating_add(x[1]))
    });

    let mut reasons = Vec::new();
    let appended = appended_bytes(doc.source());
    if appended > 0 {
        reasons.push(Reason::new(
            "APPENDED_BYTES",
            Severity::Info,
            format!("{appended} bytes follow the last revision's %%EOF; no signature covers them and no reader shows them"),
        ));
    }
    if reports.is_empty() {
        reasons.push(Reason::new(
            "NO_SIGNATURES",
            Severity::Indeterminate,
            "the document holds no signature",
        ));
    }
    let verdict = reports
        .iter()
        .map(|r| r.verdict)
        .chain(std::iter::once(verdict_of(&reasons)))
        .max()
        .unwrap_or(Verdict::Valid);
    Ok(VerifyReport {
        path: path.to_path_buf(),
        verdict,
        size_bytes: doc.len(),
        revisions: doc.sections,
        appended_bytes: appended,
        online: options.fetcher.is_some(),
        signatures: reports,
        reasons,
    })
}

/// Non-white bytes after the last `%%EOF` (looked for in the last 64 KiB).
fn appended_bytes<S: Source>(source: &S) -> u64 {
    let len = source.len();
    let start = len.saturating_sub(64 * 1024);
    let Ok(tail) = source.read_window(start, (len - start) as usize) else {
        return 0;
    };
    match tail.windows(5).rposition(|w| w == b"%%EOF") {
        Some(p) => {
            let after = &tail[p + 5..];
            match after
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
            {
                Some(first) => (after.len() - first) as u64,
                None => 0,
            }
        }
        None => 0,
    }
}

/// Where a document timestamp's signed revision ends, and whether a DSS was in it.
struct DocumentTimestampEnd {
    end: i64,
    /// Its genTime (RFC 3339).
    time: Option<String>,
    covers_dss: bool,
}

/// A signature with no timestamp of its own, followed by a document timestamp: that
/// timestamp proves the signature existed by its time (ETSI EN 319 142-1 §6.3).
fn proven_by_document_timestamp(r: &mut SignatureReport, doc_timestamps: &[DocumentTimestampEnd]) {
    if r.kind != "signature" || r.timestamp.is_some() {
        return;
    }
    let end = r
        .byte_range
        .get(2..4)
        .map_or(0, |x| x[0].saturating_add(x[1]));
    if let Some(time) = doc_timestamps
        .iter()
        .filter(|t| t.end > end)
        .min_by_key(|t| t.end)
        .and_then(|t| t.time.as_deref())
    {
        r.reasons.push(Reason::new(
            "SIGNED_BEFORE_TIMESTAMP",
            Severity::Info,
            format!("a document timestamp proves the signature existed by {time}"),
        ));
    }
}

/// Whether the revision ending at `end` has a document security store.
fn dss_at<S: Source>(doc: &Document<S>, end: i64, options: &VerifyOptions) -> bool {
    let prefix = changes::Prefix {
        inner: doc.source(),
        len: end.max(0) as u64,
    };
    let password = options.password.as_ref().map(crate::Password::as_str);
    Document::open(prefix, password).is_ok_and(|old| {
        old.catalog()
            .is_ok_and(|(_, c)| c.get(b"DSS").is_some_and(|d| old.resolve_dict(d).is_ok()))
    })
}

/// A PAdES signature's level (ETSI EN 319 142-1 §6): B-T with an intact signature
/// timestamp or a document timestamp after it; B-LT when the document also has a DSS;
/// B-LTA when a document timestamp after the signature covers a DSS.
fn level(
    r: &SignatureReport,
    doc_timestamps: &[DocumentTimestampEnd],
    dss: bool,
) -> Option<&'static str> {
    if r.kind != "signature" || r.sub_filter.as_deref() != Some("ETSI.CAdES.detached") {
        return None;
    }
    let end = r
        .byte_range
        .get(2..4)
        .map_or(0, |x| x[0].saturating_add(x[1]));
    let mut later = doc_timestamps.iter().filter(|t| t.end > end).peekable();
    let timed = later.peek().is_some()
        || r.timestamp
            .as_ref()
            .is_some_and(|t| t.verdict != Verdict::Invalid);
    Some(if !timed {
        "B-B"
    } else if !dss {
        "B-T"
    } else if later.any(|t| t.covers_dss) {
        "B-LTA"
    } else {
        "B-LT"
    })
}

struct Context<'a, S: Source> {
    doc: &'a Document<S>,
    options: &'a VerifyOptions,
    anchors: Vec<Candidate>,
    pool: Vec<Candidate>,
    dss: Dss,
    docmdp: Option<i64>,
}

impl<S: Source> Context<'_, S> {
    fn verify_one(&self, sig: &ExistingSignature) -> SignatureReport {
        let is_doc_ts =
            sig.is_document_timestamp() || sig.sub_filter().as_deref() == Some("ETSI.RFC3161");
        let byte_range = sig.byte_range().unwrap_or_default();
        let mut r = SignatureReport {
            field: sig.field_name.clone(),
            kind: if is_doc_ts {
                "document_timestamp"
            } else {
                "signature"
            },
            sub_filter: sig.sub_filter(),
            verdict: Verdict::Valid,
            reasons: Vec::new(),
            signer: None,
            signing_time: None,
            level: None,
            widget: None,
            certification: sig.docmdp_permission(),
            covers_whole_file: false,
            byte_range: byte_range.clone(),
            digest_algorithm: None,
            chain: None,
            revocation: None,
            timestamp: None,
            modifications: ModificationReport::unchanged(fieldmdp::Locks::default()),
        };
        let source = self.doc.source();
        let range = match integrity::check_byte_range(source, &byte_range, sig.contents()) {
            Ok(range) => range,
            Err(detail) => {
                r.reasons
                    .push(Reason::new("BYTE_RANGE_INVALID", Severity::Invalid, detail));
                return finish(r);
            }
        };
        r.covers_whole_file = range.revision_end == source.len()
            || range.revision_end + appended_bytes(source) == source.len();
        let parsed = match parse_signed_data(&range.contents) {
            Ok(p) if !p.signer_infos.is_empty() => p,
            Ok(_) => {
                r.reasons.push(Reason::new(
                    "CMS_MALFORMED",
                    Severity::Invalid,
                    "the CMS holds no signer",
                ));
                return finish(r);
            }
            Err(e) => {
                r.reasons.push(Reason::new(
                    "CMS_MALFORMED",
                    Severity::Invalid,
                    format!("the signature's CMS cannot be read: {e}"),
                ));
                return finish(r);
            }
        };

        // Integrity: what the signer's message-digest must equal.
        let signer_alg = parsed.signer_infos[0].digest_algorithm.digest_algorithm();
        let Some(signer_alg) = signer_alg else {
            r.reasons.push(Reason::new(
                "UNSUPPORTED_ALGORITHM",
                Severity::Indeterminate,
                format!(
                    "digest algorithm {} is not supported",
                    parsed.signer_infos[0].digest_algorithm.oid
                ),
            ));
            return finish(r);
        };
        r.digest_algorithm = Some(signer_alg.name());
        let tst = if is_doc_ts {
            match self.tst_info(&parsed) {
                Ok(t) => Some(t),
                Err(reason) => {
                    r.reasons.push(reason);
                    return finish(r);
                }
            }
        } else {
            None
        };
        let sub_filter = sig.sub_filter().unwrap_or_default();
        let range_alg = match (&tst, sub_filter.as_str()) {
            (Some((t, _)), _) => t.imprint_algorithm.digest_algorithm(),
            (None, "adbe.pkcs7.sha1") => Some(DigestAlgorithm::Sha1),
            _ => Some(signer_alg),
        };
        let Some(range_alg) = range_alg else {
            r.reasons.push(Reason::new(
                "UNSUPPORTED_ALGORITHM",
                Severity::Indeterminate,
                "the timestamp's imprint algorithm is not supported",
            ));
            return finish(r);
        };
        let cached = self
            .options
            .digests
            .as_ref()
            .and_then(|c| c.get(&range.ranges, range_alg));
        let hashed = match cached {
            Some(digest) => Ok(digest),
            None => integrity::hash_ranges(source, &range.ranges, &[range_alg])
                .map(|mut d| d.pop().map(|(_, v)| v).unwrap_or_default()),
        };
        if let (Some(cache), Ok(digest)) = (&self.options.digests, &hashed) {
            cache.insert(range.ranges, range_alg, digest.clone());
        }
        let range_digest = match hashed {
            Ok(d) => d,
            Err(e) => {
                r.reasons.push(Reason::new(
                    "BYTE_RANGE_INVALID",
                    Severity::Invalid,
                    format!("cannot read the signed bytes: {e}"),
                ));
                return finish(r);
            }
        };
        let expected = match (&tst, sub_filter.as_str()) {
            (Some((t, der)), _) => {
                if t.imprint != range_digest {
                    r.reasons.push(Reason::new(
                        "DIGEST_MISMATCH",
                        Severity::Invalid,
                        "the document timestamp's imprint does not match the signed bytes: the document was changed",
                    ));
                }
                signer_alg.digest(der)
            }
            (None, "adbe.pkcs7.sha1") => {
                let content = parsed.encap_content.clone().unwrap_or_default();
                if content != range_digest {
                    r.reasons.push(Reason::new(
                        "DIGEST_MISMATCH",
                        Severity::Invalid,
                        "the signed SHA-1 digest does not match the signed bytes: the document was changed",
                    ));
                }
                signer_alg.digest(&content)
            }
            _ => range_digest,
        };
        let cms = match verify_signer(&parsed, 0, Some(&expected)) {
            Ok(v) => v,
            Err(e) => {
                r.reasons.push(Reason::new(
                    "CMS_MALFORMED",
                    Severity::Invalid,
                    e.to_string(),
                ));
                return finish(r);
            }
        };
        cms_reasons(&cms, &mut r.reasons);
        let Some(signer) = cms.certificate.clone() else {
            return finish(r);
        };
        r.signer = Some(CertificateSummary::of(&signer));

        // Signature timestamp (unsigned attribute, RFC 3161 Appendix A).
        // A token that is broken (TSA signature, imprint, TSA certificate) makes the signature
        // invalid, as pyHanko's bottom line does; one that is only indeterminate (e.g. an
        // untrusted TSA) is just not used as proof of time (ETSI EN 319 102-1 §5.6.2.4).
        if let Some(token) = &parsed.signer_infos[0].timestamp_token {
            let ts = self.signature_timestamp(token, &parsed.signer_infos[0].signature);
            if ts.verdict == Verdict::Invalid {
                r.reasons.push(Reason::new(
                    "TIMESTAMP_INVALID",
                    Severity::Invalid,
                    "the signature timestamp is invalid (corrupted or forged token): see its reasons",
                ));
            }
            r.timestamp = Some(ts);
        }

        // The signing time.
        let ts_time = r
            .timestamp
            .as_ref()
            .filter(|t| t.verdict == Verdict::Valid)
            .and_then(|_| self.timestamp_time(&parsed));
        let (at, source_kind) = if let Some((t, _)) = &tst {
            (t.gen_time, TimeSource::Timestamp)
        } else if let Some(t) = ts_time {
            (t, TimeSource::Timestamp)
        } else if let Some(t) = sig.signing_time().and_then(|m| report::parse_pdf_date(&m)) {
            (t, TimeSource::Claimed)
        } else {
            (self.options.now, TimeSource::VerificationTime)
        };
        r.signing_time = Some(SigningTime {
            time: rfc3339(at),
            source: source_kind,
        });

        // The signer certificate at that time.
        chain::check_validity(&signer, at, "CERT", &mut r.reasons);
        if is_doc_ts {
            check_tsa_eku(&signer, &mut r.reasons);
        } else if signer
            .key_usage
            .is_some_and(|k| !k.digital_signature && !k.non_repudiation)
        {
            r.reasons.push(Reason::new(
                "CERT_KEY_USAGE",
                Severity::Invalid,
                format!(
                    "the certificate of {} is not for signatures (keyUsage)",
                    signer.subject
                ),
            ));
        }

        // The chain and revocation.
        let (chain, revocation) = self.chain_and_revocation(
            &signer,
            &parsed,
            at,
            if source_kind == TimeSource::Timestamp {
                Some(at)
            } else {
                None
            },
            if is_doc_ts { "TSA" } else { "signer" },
            &mut r.reasons,
        );
        r.chain = Some(chain);
        r.revocation = Some(revocation);

        // Changes after this signature, and the fields it locks (FieldMDP).
        if range.revision_end < source.len() {
            r.modifications = changes::analyse(
                self.doc,
                range.revision_end,
                self.options.password.as_ref().map(crate::Password::as_str),
                self.docmdp,
                Some(sig),
            );
            for c in r.modifications.changes.iter().filter(|c| !c.allowed) {
                r.reasons.push(Reason::new(
                    if c.locked {
                        "FIELD_LOCKED_CHANGED"
                    } else {
                        "MODIFIED_NOT_PERMITTED"
                    },
                    Severity::Altered,
                    c.detail.clone(),
                ));
            }
        } else {
            r.modifications = ModificationReport::unchanged(fieldmdp::of_signature(self.doc, sig));
        }
        // A lock that cannot be read matters when fields were filled after the signature:
        // whether that was permitted cannot be decided.
        let filled = r
            .modifications
            .changes
            .iter()
            .any(|c| c.allowed && c.kind == "form_fill");
        for problem in &r.modifications.lock_problems {
            r.reasons.push(Reason::new(
                "FIELD_LOCK_UNREADABLE",
                if filled {
                    Severity::Indeterminate
                } else {
                    Severity::Info
                },
                format!(
                    "{problem}: the fields this signature locks cannot all be known{}",
                    if filled {
                        ", and fields were filled after it"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if source_kind == TimeSource::Claimed {
            r.reasons.push(Reason::new(
                "SIGNING_TIME_CLAIMED",
                Severity::Info,
                "the signing time is the one the signer claims (/M); no timestamp proves it",
            ));
        }
        finish(r)
    }

    fn tst_info(&self, parsed: &ParsedSignedData) -> Result<(TstInfo, Vec<u8>), Reason> {
        if parsed.encap_content_type != ID_CT_TST_INFO {
            return Err(Reason::new(
                "TIMESTAMP_MALFORMED",
                Severity::Invalid,
                "the timestamp token does not hold a TSTInfo",
            ));
        }
        let der = parsed.encap_content.clone().unwrap_or_default();
        TstInfo::from_der(&der).map(|t| (t, der)).map_err(|e| {
            Reason::new(
                "TIMESTAMP_MALFORMED",
                Severity::Invalid,
                format!("the TSTInfo cannot be read: {e}"),
            )
        })
    }

    fn timestamp_time(&self, signer_parsed: &ParsedSignedData) -> Option<i64> {
        let token = signer_parsed
            .signer_infos
            .first()?
            .timestamp_token
            .as_ref()?;
        let parsed = parse_signed_data(token).ok()?;
        self.tst_info(&parsed).ok().map(|(t, _)| t.gen_time)
    }

    /// Verifies a signature timestamp token over `signature_value` (RFC 3161 §2.4.2,
    /// imprint = hash of the SignerInfo's signature value).
    fn signature_timestamp(&self, token: &[u8], signature_value: &[u8]) -> TimestampReport {
        let mut reasons = Vec::new();
        let mut out = TimestampReport {
            time: String::new(),
            tsa: None,
            verdict: Verdict::Valid,
            reasons: Vec::new(),
        };
        let parsed = match parse_signed_data(token) {
            Ok(p) if !p.signer_infos.is_empty() => p,
            _ => {
                reasons.push(Reason::new(
                    "TIMESTAMP_MALFORMED",
                    Severity::Invalid,
                    "the signature timestamp cannot be read",
                ));
                out.reasons = reasons;
                out.verdict = verdict_of(&out.reasons);
                return out;
            }
        };
        match self.tst_info(&parsed) {
            Ok((t, der)) => {
                out.time = rfc3339(t.gen_time);
                match t.imprint_algorithm.digest_algorithm() {
                    Some(a) if a.digest(signature_value) == t.imprint => {}
                    Some(_) => reasons.push(Reason::new(
                        "TIMESTAMP_IMPRINT_MISMATCH",
                        Severity::Invalid,
                        "the timestamp is not over this signature",
                    )),
                    None => reasons.push(Reason::new(
                        "UNSUPPORTED_ALGORITHM",
                        Severity::Indeterminate,
                        "the timestamp's imprint algorithm is not supported",
                    )),
                }
                let alg = parsed.signer_infos[0]
                    .digest_algorithm
                    .digest_algorithm()
                    .unwrap_or(DigestAlgorithm::Sha256);
                match verify_signer(&parsed, 0, Some(&alg.digest(&der))) {
                    Ok(v) => {
                        cms_reasons(&v, &mut reasons);
                        if let Some(tsa) = &v.certificate {
                            out.tsa = Some(tsa.subject.clone());
                            check_tsa_eku(tsa, &mut reasons);
                            chain::check_validity(tsa, t.gen_time, "CERT", &mut reasons);
                            let _ = self.chain_and_revocation(
                                tsa,
                                &parsed,
                                t.gen_time,
                                Some(t.gen_time),
                                "TSA",
                                &mut reasons,
                            );
                        }
                    }
                    Err(e) => reasons.push(Reason::new(
                        "TIMESTAMP_MALFORMED",
                        Severity::Invalid,
                        e.to_string(),
                    )),
                }
            }
            Err(reason) => reasons.push(reason),
        }
        for reason in &mut reasons {
            reason.detail = format!("signature timestamp: {}", reason.detail);
        }
        out.verdict = verdict_of(&reasons);
        out.reasons = reasons;
        out
    }

    fn chain_and_revocation(
        &self,
        leaf: &CertificateInfo,
        parsed: &ParsedSignedData,
        at: i64,
        proven: Option<i64>,
        what: &str,
        reasons: &mut Vec<Reason>,
    ) -> (ChainReport, report::RevocationReport) {
        let mut pool: Vec<Candidate> = parsed
            .certificates
            .iter()
            .filter_map(|d| CertificateInfo::from_der(d).ok())
            .map(|cert| Candidate {
                cert,
                source: "cms",
            })
            .collect();
        pool.extend(self.pool.iter().cloned());
        let built = chain::build(leaf, "cms", &pool, &self.anchors, at, what);
        let had_reasons = !built.reasons.is_empty();
        reasons.extend(built.reasons.iter().cloned());
        if !built.trusted && !had_reasons {
            reasons.push(Reason::new(
                "CHAIN_UNTRUSTED",
                Severity::Indeterminate,
                format!("the {what} certificate does not chain to a trusted root"),
            ));
        }
        // Revocation data in the file: the CMS (`crls`, adbe-revocationInfoArchival) and the
        // DSS; certificates of the CMS and the DSS may be delegated OCSP responders.
        let archival = parsed
            .signer_infos
            .first()
            .and_then(|si| si.signed_attributes.as_ref())
            .and_then(|a| a.revocation_info_archival.clone())
            .unwrap_or_default();
        let cms = revocation::source::CRL_CMS;
        let embedded = revocation::Embedded {
            crls: parsed
                .crls
                .iter()
                .chain(archival.crls.iter())
                .map(|c| (c.clone(), cms))
                .chain(
                    self.dss
                        .crls
                        .iter()
                        .map(|c| (c.clone(), revocation::source::CRL_DSS)),
                )
                .collect(),
            ocsps: self
                .dss
                .ocsps
                .iter()
                .chain(archival.ocsps.iter())
                .chain(parsed.ocsp_responses.iter())
                .cloned()
                .collect(),
            certs: pool
                .iter()
                .filter(|c| c.source == "cms" || c.source == "dss")
                .map(|c| c.cert.clone())
                .collect(),
        };
        if let Some(evidence) = &self.options.evidence {
            evidence.add_path(built.path.iter().map(|c| &c.cert));
            evidence.add_embedded(&embedded);
        }
        let (rev, rev_reasons) = revocation::check(
            &built.path,
            &embedded,
            self.options.fetcher.as_deref(),
            proven,
            self.options.now,
        );
        reasons.extend(rev_reasons);
        (
            ChainReport {
                trusted: built.trusted,
                certificates: built
                    .path
                    .iter()
                    .map(|c| ChainElement {
                        subject: c.cert.subject.clone(),
                        sha256: c.cert.sha256_fingerprint_hex.clone(),
                        source: c.source,
                    })
                    .collect(),
            },
            rev,
        )
    }
}

fn check_tsa_eku(cert: &CertificateInfo, reasons: &mut Vec<Reason>) {
    let ok = cert
        .extended_key_usage
        .as_ref()
        .is_some_and(|e| e.iter().any(|p| p == KP_TIME_STAMPING));
    if !ok {
        reasons.push(Reason::new(
            "TSA_NOT_TIMESTAMPING",
            Severity::Invalid,
            format!(
                "the certificate of {} is not a time-stamping certificate (extendedKeyUsage)",
                cert.subject
            ),
        ));
    }
}

fn cms_reasons(v: &kyso_cms::SignerVerification, reasons: &mut Vec<Reason>) {
    match &v.signature {
        SignatureCheck::Valid => {}
        SignatureCheck::Invalid => reasons.push(Reason::new(
            "SIGNATURE_INVALID",
            Severity::Invalid,
            "the signature value does not verify with the signer's key",
        )),
        SignatureCheck::CertificateNotFound => reasons.push(Reason::new(
            "SIGNER_CERT_NOT_FOUND",
            Severity::Invalid,
            "the signer's certificate is not in the signature (or was corrupted)",
        )),
        SignatureCheck::UnsupportedAlgorithm(a) | SignatureCheck::UnsupportedKey(a) => reasons
            .push(Reason::new(
                "UNSUPPORTED_ALGORITHM",
                Severity::Indeterminate,
                format!("cannot verify: {a}"),
            )),
        SignatureCheck::ContentDigestNeeded => reasons.push(Reason::new(
            "SIGNATURE_INVALID",
            Severity::Invalid,
            "the signature cannot be checked",
        )),
    }
    match v.message_digest {
        DigestCheck::Matches | DigestCheck::CoveredBySignature | DigestCheck::NotChecked => {}
        DigestCheck::Mismatch => reasons.push(Reason::new(
            "DIGEST_MISMATCH",
            Severity::Invalid,
            "the signed bytes do not match the signed digest: the document was changed",
        )),
        DigestCheck::MissingAttribute => reasons.push(Reason::new(
            "DIGEST_MISMATCH",
            Severity::Invalid,
            "the signed attributes hold no message digest",
        )),
    }
    if !v.content_type_matches {
        reasons.push(Reason::new(
            "CMS_CONTENT_TYPE_MISMATCH",
            Severity::Invalid,
            "the content-type attribute does not match the signed content",
        ));
    }
    if v.signing_certificate == SigningCertificateCheck::Mismatch {
        reasons.push(Reason::new(
            "SIGNING_CERT_MISMATCH",
            Severity::Invalid,
            "the signing-certificate attribute names another certificate (substituted or corrupted certificate)",
        ));
    }
}

fn finish(mut r: SignatureReport) -> SignatureReport {
    r.verdict = verdict_of(&r.reasons);
    r
}
