//! Raising a signed document's PAdES level (ETSI EN 319 142-1 §6): a document timestamp
//! (`/ETSI.RFC3161`, B-T when the signature has none), the validation data in a DSS (B-LT),
//! a document timestamp over it (B-LTA), and on an archived file the next round of both
//! before the last timestamp's certificate expires. Each step is an incremental update —
//! permitted after any signature, certifications included — and the whole upgrade is
//! written to a temp file and renamed, like a signature: a crash leaves the old file or
//! the new one.
//!
//! The original bytes are copied and hashed once, whatever the number of steps: every
//! document timestamp covers them first, so each continues from the same hash state over
//! the (small) updates appended since ([`Appender`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyso_cms::{DigestAlgorithm, Hasher};
use kyso_pdf::dss::plan_dss;
use kyso_pdf::signature::{SignatureRequest, plan_signature};
use kyso_pdf::update::WrittenUpdate;
use kyso_pdf::{Document, FileSource, Source};

use crate::error::Error;
use crate::level::{Level, document_level};
use crate::output::{OutputFile, same_file};
use crate::sign::{
    CopyError, Shortfall, SignOptions, SignOutcome, copy_and_hash, hex_lower, hex_upper,
};
use crate::timestamp::Timestamper;
use crate::verify::integrity::DigestCache;
use crate::verify::report::{Verdict, VerifyReport};
use crate::verify::revocation::Fetcher;
use crate::verify::{VerifyOptions, verify_document};

/// Room in `/Contents` for a document timestamp token: the TSA's certificate and chain,
/// and the token's own structure (a few kilobytes; 16 KiB leaves room for long chains).
pub const TIMESTAMP_CONTENTS: usize = 16 * 1024;

/// What an upgrade needs beside the file.
pub struct UpgradeContext {
    pub timestamper: Option<Arc<Timestamper>>,
    /// Fetches CRLs and OCSP responses for B-LT; None: offline.
    pub fetcher: Option<Arc<dyn Fetcher>>,
    /// Trust anchors and stored intermediates, and the time (for the chains of the DSS).
    pub verify: VerifyOptions,
}

impl UpgradeContext {
    /// No TSA and no network: only what needs neither (a copy; B-B).
    pub fn offline() -> UpgradeContext {
        UpgradeContext {
            timestamper: None,
            fetcher: None,
            verify: VerifyOptions::offline(time::OffsetDateTime::now_utc().unix_timestamp()),
        }
    }

    /// The real thing, from the settings in `home`: the TSAs of `[tsa]` (or `urls`, when
    /// given, in their place) reporting to `progress`, CRLs and OCSP over HTTP, the trust
    /// store of `home`. A TSA that needs a login with none stored is an error; no TSA at all
    /// is not (a timestamp step then fails with `TSA_NOT_CONFIGURED`).
    pub fn from_settings(
        home: &Path,
        urls: &[String],
        progress: impl Fn(&crate::timestamp::TsaProgress) + Send + Sync + 'static,
    ) -> Result<UpgradeContext, Error> {
        let timestamper =
            Timestamper::from_settings(home, urls, Arc::new(crate::timestamp::UreqPost))?
                .map(|t| Arc::new(t.with_progress(progress)));
        Ok(UpgradeContext {
            timestamper,
            fetcher: Some(Arc::new(crate::verify::HttpFetcher::default())),
            verify: VerifyOptions {
                store: Some(crate::TrustStore::at(home.join("trust"))),
                ..VerifyOptions::offline(time::OffsetDateTime::now_utc().unix_timestamp())
            },
        })
    }
}

/// What an upgrade did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UpgradeOutcome {
    pub input: PathBuf,
    pub output: PathBuf,
    pub before: Option<Level>,
    pub after: Option<Level>,
    /// The steps written, in order: "document_timestamp", "dss".
    pub steps: Vec<&'static str>,
    pub output_sha256_hex: String,
}

/// Brings `input` to `level` into `output` (which may be `input` itself: the file is
/// replaced only once the upgrade is complete). A document already at the level is left as
/// it is (copied to a distinct `output`), except for B-LTA, which always adds a round — a
/// DSS for what the last timestamp needs, and a new document timestamp: that is how an
/// archive is renewed.
pub fn upgrade_file(
    input: &Path,
    output: &Path,
    level: Level,
    context: &UpgradeContext,
) -> Result<UpgradeOutcome, Error> {
    // Each signature's bytes are hashed once for every verification of the upgrade, and
    // the original is copied (and hashed) while it is verified: two cores, one pass each.
    let options = VerifyOptions {
        digests: Some(Arc::new(DigestCache::default())),
        ..context.verify.clone()
    };
    let (report, appender) = std::thread::scope(|scope| {
        let copy = scope.spawn(|| Appender::open(input, output, options.password.clone()));
        let report = verify_original(input, &options);
        let appender = copy.join().unwrap_or_else(|_| {
            Err(Error::WriteOutput {
                path: output.to_path_buf(),
                source: io::Error::other("the copy stopped unexpectedly"),
            })
        });
        (report, appender)
    });
    let report = report?;
    let mut appender = appender?;
    let before = document_level(&report);
    let timed = before.is_some_and(|l| l >= Level::Bt)
        || report
            .signatures
            .iter()
            .any(|s| s.kind == "document_timestamp" && s.verdict != Verdict::Invalid);
    let mut steps: Vec<&'static str> = Vec::new();
    if level >= Level::Bt && !timed {
        steps.push(DOCUMENT_TIMESTAMP);
    }
    if level == Level::Blta || (level == Level::Blt && before < Some(Level::Blt)) {
        steps.push(DSS);
    }
    if level == Level::Blta {
        steps.push(DOCUMENT_TIMESTAMP);
    }
    if steps.is_empty() && same_file(input, output) {
        // Nothing to do in place: the copy is dropped (deleted), the file stays as it is.
        let output_sha256_hex = appender.original_sha256();
        return Ok(UpgradeOutcome {
            input: input.to_path_buf(),
            output: output.to_path_buf(),
            before,
            after: before,
            steps,
            output_sha256_hex,
        });
    }
    let timestamper = match steps.contains(&DOCUMENT_TIMESTAMP) {
        false => None,
        true => Some(context.timestamper.as_deref().ok_or(Error::Timestamp {
            path: input.to_path_buf(),
            source: crate::timestamp::TsaFailure::NotConfigured,
        })?),
    };
    let fetcher = match steps.contains(&DSS) {
        false => None,
        true => Some(context.fetcher.clone().ok_or_else(|| Error::Validation {
            path: input.to_path_buf(),
            detail: "offline: the CRLs and OCSP responses cannot be fetched".into(),
        })?),
    };
    for step in &steps {
        match (*step, timestamper, &fetcher) {
            (DOCUMENT_TIMESTAMP, Some(t), _) => appender.document_timestamp(t, &options)?,
            (DSS, _, Some(f)) => appender.dss(&options, f.clone())?,
            _ => {}
        }
    }
    let after = match steps.is_empty() {
        true => before,
        false => document_level(&appender.verify(&options)?),
    };
    let output_sha256_hex = appender.commit()?;
    Ok(UpgradeOutcome {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        before,
        after,
        steps,
        output_sha256_hex,
    })
}

/// The steps of an upgrade, as [`UpgradeOutcome::steps`] names them.
const DOCUMENT_TIMESTAMP: &str = "document_timestamp";
const DSS: &str = "dss";

/// An offline verification of the file as it is.
fn verify_original(input: &Path, options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let read_err = |source| Error::ReadInput {
        path: input.to_path_buf(),
        source,
    };
    let source = FileSource::new(File::open(input).map_err(read_err)?).map_err(read_err)?;
    let password = options.password.as_ref().map(crate::Password::as_str);
    let pdf_err = |source| Error::Pdf {
        path: input.to_path_buf(),
        source,
    };
    let doc = Document::open(source, password).map_err(pdf_err)?;
    let offline = VerifyOptions {
        fetcher: None,
        evidence: None,
        ..options.clone()
    };
    verify_document(&doc, input, &offline).map_err(pdf_err)
}

/// Adds one document timestamp to `input` into `output` (`kyso timestamp`); `password`
/// opens an encrypted PDF.
pub fn timestamp_file(
    input: &Path,
    output: &Path,
    timestamper: &Timestamper,
    password: Option<crate::Password>,
) -> Result<UpgradeOutcome, Error> {
    let mut appender = Appender::open(input, output, password)?;
    appender.document_timestamp(timestamper, &VerifyOptions::offline(0))?;
    let output_sha256_hex = appender.commit()?;
    Ok(UpgradeOutcome {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        before: None,
        after: None,
        steps: vec![DOCUMENT_TIMESTAMP],
        output_sha256_hex,
    })
}

/// The original file, copied once into a temp file next to the output and hashed, and the
/// updates appended after it, held in memory until [`Appender::commit`].
struct Appender {
    input: PathBuf,
    original_len: u64,
    out: OutputFile,
    /// SHA-256 after the original bytes: every document timestamp's digest starts there.
    base: Hasher,
    appended: Vec<u8>,
    before: std::fs::Metadata,
    /// Opens an encrypted original.
    password: Option<crate::Password>,
}

impl Appender {
    /// `output` may be `input` itself: the temp file replaces it only on commit.
    fn open(
        input: &Path,
        output: &Path,
        password: Option<crate::Password>,
    ) -> Result<Appender, Error> {
        let read_err = |source| Error::ReadInput {
            path: input.to_path_buf(),
            source,
        };
        let write_err = |source| Error::WriteOutput {
            path: output.to_path_buf(),
            source,
        };
        let before = std::fs::metadata(input).map_err(read_err)?;
        let original_len = before.len();
        let out = OutputFile::create_next_to(output).map_err(write_err)?;
        out.file()
            .set_permissions(before.permissions())
            .map_err(write_err)?;
        let base = copy_and_hash(input, original_len, out.file(), DigestAlgorithm::Sha256)
            .map_err(|e| match e {
                CopyError::Read(source) => read_err(source),
                CopyError::Write(source) => write_err(source),
                CopyError::Changed => Error::InputChanged {
                    path: input.to_path_buf(),
                },
            })?;
        Ok(Appender {
            input: input.to_path_buf(),
            original_len,
            out,
            base,
            appended: Vec::new(),
            before,
            password,
        })
    }

    /// The document as it stands: the original, then what was appended.
    fn document(&self) -> Result<Document<Chained<'_>>, Error> {
        let read_err = |source| Error::ReadInput {
            path: self.input.clone(),
            source,
        };
        let original =
            FileSource::new(File::open(&self.input).map_err(read_err)?).map_err(read_err)?;
        let source = Chained {
            original,
            original_len: self.original_len,
            tail: &self.appended,
        };
        let password = self.password.as_ref().map(crate::Password::as_str);
        Document::open(source, password).map_err(|source| Error::Pdf {
            path: self.input.clone(),
            source,
        })
    }

    fn verify(&self, options: &VerifyOptions) -> Result<VerifyReport, Error> {
        let doc = self.document()?;
        let offline = VerifyOptions {
            fetcher: None,
            evidence: None,
            ..options.clone()
        };
        verify_document(&doc, &self.input, &offline).map_err(|source| Error::Pdf {
            path: self.input.clone(),
            source,
        })
    }

    /// Appends a document timestamp over everything so far; its digest goes to the cache
    /// of `options`, for the verifications that follow.
    fn document_timestamp(
        &mut self,
        timestamper: &Timestamper,
        options: &VerifyOptions,
    ) -> Result<(), Error> {
        let request = SignatureRequest {
            document_timestamp: true,
            contents_len: TIMESTAMP_CONTENTS,
            ..SignatureRequest::default()
        };
        let (mut update, contents) = {
            let doc = self.document()?;
            let planned = plan_signature(&doc, &request).map_err(|source| Error::Plan {
                path: self.input.clone(),
                source,
            })?;
            let len = doc.len();
            let WrittenUpdate { bytes, signature } = planned.update;
            let slots = signature.ok_or_else(|| Error::Pdf {
                path: self.input.clone(),
                source: kyso_pdf::PdfError::Unsupported(
                    "no timestamp placeholder was planned".into(),
                ),
            })?;
            let mut bytes = bytes;
            let total = len + bytes.len() as u64;
            let range = slots.byte_range_text(total);
            let at = (slots.byte_range_start - len) as usize;
            bytes[at..at + range.len()].copy_from_slice(&range);
            let contents =
                (slots.contents_start - len) as usize..(slots.contents_end - len) as usize;
            (bytes, contents)
        };
        // The digest: the original (hashed once), what was appended, and this update but for
        // its /Contents.
        let imprint = if timestamper.hash() == DigestAlgorithm::Sha256 {
            let mut h = self.base.clone();
            h.update(&self.appended);
            h.update(&update[..contents.start]);
            h.update(&update[contents.end..]);
            h.finalize()
        } else {
            self.rehash(timestamper.hash(), &update, &contents)?
        };
        if let Some(cache) = &options.digests {
            let before = self.original_len + self.appended.len() as u64;
            let gap_end = before + contents.end as u64;
            cache.insert(
                [
                    (0, before + contents.start as u64),
                    (gap_end, update.len() as u64 - contents.end as u64),
                ],
                timestamper.hash(),
                imprint.clone(),
            );
        }
        let stamped = timestamper
            .stamp(&imprint)
            .map_err(|source| Error::Timestamp {
                path: self.input.clone(),
                source,
            })?;
        let hex = hex_upper(&stamped.token);
        if hex.len() > contents.len() - 2 {
            return Err(Error::SignatureTooLarge {
                path: self.input.clone(),
                needed: stamped.token.len(),
                reserved: (contents.len() - 2) / 2,
            });
        }
        update[contents.start + 1..contents.start + 1 + hex.len()].copy_from_slice(&hex);
        self.appended.extend_from_slice(&update);
        Ok(())
    }

    /// The digest with another algorithm than SHA-256: the original read again.
    fn rehash(
        &self,
        alg: DigestAlgorithm,
        update: &[u8],
        contents: &std::ops::Range<usize>,
    ) -> Result<Vec<u8>, Error> {
        let read_err = |source| Error::ReadInput {
            path: self.input.clone(),
            source,
        };
        let mut h = Hasher::new(alg);
        let mut file = File::open(&self.input).map_err(read_err)?;
        let mut buffer = vec![0u8; 1 << 20];
        let mut left = self.original_len;
        while left > 0 {
            let n = io::Read::read(&mut file, &mut buffer[..(left.min(1 << 20)) as usize])
                .map_err(read_err)?;
            if n == 0 {
                return Err(Error::InputChanged {
                    path: self.input.clone(),
                });
            }
            h.update(&buffer[..n]);
            left -= n as u64;
        }
        h.update(&self.appended);
        h.update(&update[..contents.start]);
        h.update(&update[contents.end..]);
        Ok(h.finalize())
    }

    /// Appends a DSS with everything an online verification of the document used.
    fn dss(&mut self, options: &VerifyOptions, fetcher: Arc<dyn Fetcher>) -> Result<(), Error> {
        let bytes = {
            let doc = self.document()?;
            let (report, additions) = crate::ltv::gather(&doc, &self.input, options, fetcher)
                .map_err(|source| Error::Pdf {
                    path: self.input.clone(),
                    source,
                })?;
            // B-LT means the document proves every certificate was not revoked: a status
            // that could not be learnt is a failure, not a DSS with a gap.
            if let Some((field, status)) = report.signatures.iter().find_map(|s| {
                s.revocation
                    .as_ref()
                    .filter(|r| !matches!(r.status, "good" | "no_source"))
                    .map(|r| (s.field.clone(), r.status))
            }) {
                return Err(Error::Validation {
                    path: self.input.clone(),
                    detail: format!("{field}: the revocation status is {status}"),
                });
            }
            plan_dss(&doc, &additions)
                .map_err(|source| Error::Pdf {
                    path: self.input.clone(),
                    source,
                })?
                .bytes
        };
        self.appended.extend_from_slice(&bytes);
        Ok(())
    }

    /// The SHA-256 of the original file, as copied.
    fn original_sha256(&self) -> String {
        hex_lower(&self.base.clone().finalize())
    }

    /// Writes what was appended, checks the input did not change, fsyncs and renames; the
    /// output's SHA-256.
    fn commit(self) -> Result<String, Error> {
        let write_err = |source| Error::WriteOutput {
            path: self.input.clone(),
            source,
        };
        self.out
            .file()
            .write_all(&self.appended)
            .map_err(write_err)?;
        let after = std::fs::metadata(&self.input).map_err(|source| Error::ReadInput {
            path: self.input.clone(),
            source,
        })?;
        if after.len() != self.before.len() || after.modified().ok() != self.before.modified().ok()
        {
            return Err(Error::InputChanged {
                path: self.input.clone(),
            });
        }
        let mut h = self.base.clone();
        h.update(&self.appended);
        let sha = hex_lower(&h.finalize());
        self.out.commit().map_err(write_err)?;
        Ok(sha)
    }
}

/// The original file followed by bytes in memory, read as one.
struct Chained<'a> {
    original: FileSource,
    original_len: u64,
    tail: &'a [u8],
}

impl Source for Chained<'_> {
    fn len(&self) -> u64 {
        self.original_len + self.tail.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset < self.original_len {
            let n = buf.len().min((self.original_len - offset) as usize);
            return self.original.read_at(offset, &mut buf[..n]);
        }
        let start = usize::try_from(offset - self.original_len)
            .unwrap_or(usize::MAX)
            .min(self.tail.len());
        let n = buf.len().min(self.tail.len() - start);
        buf[..n].copy_from_slice(&self.tail[start..start + n]);
        Ok(n)
    }
}

/// When a B-LTA document's protection ends: the expiry of the certificate of its last
/// document timestamp (Unix seconds). None when the document is not B-LTA.
pub fn archive_expiry(report: &VerifyReport) -> Option<i64> {
    if document_level(report) != Some(Level::Blta) {
        return None;
    }
    report
        .signatures
        .iter()
        .filter(|s| s.kind == "document_timestamp")
        .max_by_key(|s| {
            s.byte_range
                .get(2..4)
                .map_or(0, |x| x[0].saturating_add(x[1]))
        })
        .and_then(|s| s.signer.as_ref())
        .map(|c| c.not_after_unix)
}

/// What `kyso archive renew` decides for one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Renewal {
    /// B-LTA, and the last timestamp's certificate expires before the horizon: renew.
    Due { expires: String },
    /// B-LTA, protected beyond the horizon.
    NotYet { expires: String },
    /// Not B-LTA: `kyso upgrade --level b-lta` first.
    NotAnArchive { level: Option<Level> },
}

/// Whether the file at `input` needs a new archive round before `horizon` (Unix seconds).
pub fn renewal(input: &Path, horizon: i64, options: &VerifyOptions) -> Result<Renewal, Error> {
    let report = verify_original(input, options)?;
    Ok(match archive_expiry(&report) {
        None => Renewal::NotAnArchive {
            level: document_level(&report),
        },
        Some(at) if at <= horizon => Renewal::Due {
            expires: crate::verify::report::rfc3339(at),
        },
        Some(at) => Renewal::NotYet {
            expires: crate::verify::report::rfc3339(at),
        },
    })
}

/// Signs `input` into `output` and brings the signature to `target`: B-T by a signature
/// timestamp from `context`'s TSAs, B-LT and B-LTA by [`upgrade_file`] on the output. The
/// document is signed whatever happens to the timestamp or the validation data: when a
/// step fails, the outcome keeps the level reached and says why (`shortfall`), and the
/// caller records that a timestamp is due.
pub fn sign_at_level(
    input: &Path,
    output: &Path,
    signer: &dyn kyso_keys::Signer,
    options: &SignOptions,
    target: Level,
    context: &UpgradeContext,
) -> Result<SignOutcome, Error> {
    let timestamper = if target.needs_timestamp() {
        context.timestamper.clone()
    } else {
        None
    };
    let no_tsa = target.needs_timestamp() && timestamper.is_none();
    let options = SignOptions {
        timestamper,
        ..options.clone()
    };
    let mut outcome = crate::sign::sign_file(input, output, signer, &options)?;
    outcome.target_level = target;
    if no_tsa {
        outcome.shortfall = Some(Shortfall::from(
            &crate::timestamp::TsaFailure::NotConfigured,
        ));
    }
    // Above B-T, once the signature has its time: the DSS, then the archive timestamp.
    if target > Level::Bt && outcome.level == Level::Bt {
        match upgrade_file(output, output, target, context) {
            Ok(up) => {
                outcome.level = up.after.unwrap_or(outcome.level);
                outcome.output_sha256_hex = up.output_sha256_hex;
                outcome.bytes_written = std::fs::metadata(output).map_or(0, |m| m.len());
            }
            Err(e) => outcome.shortfall = Some(Shortfall::from(&e)),
        }
    }
    Ok(outcome)
}
