//! PAdES signing (ETSI EN 319 142-1 §5; ISO 32000-2 §12.8): plan the incremental update,
//! write `original ‖ update` to a temp file while hashing, sign the signed attributes,
//! put the CMS into `/Contents`, fsync, rename. The input is never modified.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyso_cms::{CertificateInfo, DigestAlgorithm, Hasher, SignatureScheme};
use kyso_keys::Signer;
use kyso_pdf::signature::{
    PlanError, PlannedSignature, SignatureRequest, SubFilter, plan_signature,
};
use kyso_pdf::{Document, FileSource, Source};
use time::OffsetDateTime;

use crate::appearance::{AppearanceRequest, Particulars, plan_appearance};
use crate::error::Error;
use crate::level::Level;
use crate::output::{OutputFile, same_file};
use crate::pdf_date::{format_iso, format_pdf_date};
use crate::timestamp::{Timestamper, TsaFailure};

/// Room kept in `/Contents` for a timestamp token added later (RFC 3161 token with the
/// TSA's chain), on top of the signature's own size.
pub const TIMESTAMP_ROOM: usize = 24 * 1024;
/// The smallest `/Contents` reserved, in bytes.
pub const MIN_CONTENTS: usize = 32 * 1024;

/// `/SubFilter`: PAdES (`ETSI.CAdES.detached`, default) or `adbe.pkcs7.detached`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubFilterChoice {
    #[default]
    Pades,
    Pkcs7,
}

/// Options of one signature.
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// Fill this empty signature field, or name the new field.
    pub field: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    /// DocMDP certification level 1, 2 or 3 (ISO 32000-2 §12.8.2.2).
    pub certify: Option<u8>,
    pub digest: DigestChoice,
    pub scheme: SchemeChoice,
    pub sub_filter: SubFilterChoice,
    /// User or owner password of an encrypted PDF.
    pub pdf_password: Option<crate::Password>,
    /// The signing time written to `/M`; `None` is now, in local time.
    pub signing_time: Option<OffsetDateTime>,
    /// Certificates that may complete the signer's chain (DER): the user's stored
    /// intermediates. Only those on the path from the signer up are embedded
    /// ([`complete_chain`]); tokens and real VGCA files often carry the signer's alone.
    pub intermediates: Vec<Vec<u8>>,
    /// A visible signature ([`crate::appearance`]); None: invisible.
    pub appearance: Option<AppearanceRequest>,
    /// The TSAs for a signature timestamp (PAdES B-T); None: B-B. When every TSA fails the
    /// document is signed at B-B all the same, and the outcome says why.
    pub timestamper: Option<Arc<Timestamper>>,
}

/// A `Default`-able digest choice (SHA-256 unless asked otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestChoice {
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

impl From<DigestChoice> for DigestAlgorithm {
    fn from(c: DigestChoice) -> Self {
        match c {
            DigestChoice::Sha256 => DigestAlgorithm::Sha256,
            DigestChoice::Sha384 => DigestAlgorithm::Sha384,
            DigestChoice::Sha512 => DigestAlgorithm::Sha512,
        }
    }
}

/// RSA PKCS#1 v1.5 (default) or RSASSA-PSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemeChoice {
    #[default]
    Pkcs1v15,
    Pss,
}

impl From<SchemeChoice> for SignatureScheme {
    fn from(c: SchemeChoice) -> Self {
        match c {
            SchemeChoice::Pkcs1v15 => SignatureScheme::RsaPkcs1v15,
            SchemeChoice::Pss => SignatureScheme::RsaPss,
        }
    }
}

/// What one signature produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignOutcome {
    pub input: PathBuf,
    pub output: PathBuf,
    pub field_name: String,
    pub signer_subject: String,
    /// `/M` as written.
    pub signing_time: String,
    pub output_sha256_hex: String,
    pub bytes_written: u64,
    /// Certificate warnings (for example, expiry within 30 days).
    pub warnings: Vec<String>,
    /// Where a visible signature was drawn; None when invisible.
    pub visible: Option<VisibleBox>,
    /// The fields reserved for the clerk's number and date, by name.
    pub reserved_fields: Vec<String>,
    /// B-T when a TSA stamped the signature, else B-B; higher after [`crate::upgrade::sign_at_level`].
    pub level: Level,
    /// The level asked for; when `level` is lower, `shortfall` says why and the store
    /// records that a timestamp is due.
    pub target_level: Level,
    pub shortfall: Option<Shortfall>,
}

/// Why a document is below its target level: a stable code and the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Shortfall {
    pub code: String,
    /// English.
    pub message: String,
    /// The named values of the code's text in [`crate::messages`].
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<&'static str, String>,
}

impl Shortfall {
    /// The reason as the user is told it, in either language.
    pub fn problem(&self) -> crate::messages::Problem {
        crate::messages::Problem::new(
            self.code.clone(),
            self.params.iter().map(|(k, v)| (*k, v.clone())).collect(),
            self.message.clone(),
        )
    }
}

impl From<&TsaFailure> for Shortfall {
    fn from(f: &TsaFailure) -> Self {
        Shortfall {
            code: f.code().to_string(),
            message: f.to_string(),
            params: f.params().into_iter().collect(),
        }
    }
}

impl From<&Error> for Shortfall {
    fn from(e: &Error) -> Self {
        Shortfall {
            code: e.code().to_string(),
            message: e.to_string(),
            params: e.params().into_iter().collect(),
        }
    }
}

/// A visible signature's box: the page (from 1) and x, y, width, height in points from the
/// bottom-left corner of the page as displayed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct VisibleBox {
    pub page: u64,
    pub rect: [f64; 4],
}

/// The default name of a signed copy: `<stem>.signed.pdf` in `folder`, or next to the
/// input when `folder` is `None`. The CLI and the desktop app both use it.
pub fn default_output_path(input: &Path, folder: Option<&Path>) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document".into());
    let name = format!("{stem}.signed.pdf");
    match folder {
        Some(dir) => dir.join(name),
        None => input.with_file_name(name),
    }
}

/// Signs `input` into `output` with `signer`. The input is never modified; on any error
/// no output file is left behind.
pub fn sign_file(
    input: &Path,
    output: &Path,
    signer: &dyn Signer,
    options: &SignOptions,
) -> Result<SignOutcome, Error> {
    if input == output || same_file(input, output) {
        return Err(Error::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    let read_err = |source| Error::ReadInput {
        path: input.to_path_buf(),
        source,
    };
    let before = std::fs::metadata(input).map_err(read_err)?;
    let job = Job::new(input, signer, options)?;
    let open = || -> io::Result<FileSource> { FileSource::new(File::open(input)?) };
    let (update, original_len) = job.plan(open)?;
    let total_len = original_len + update.bytes.len() as u64;

    let write_err = |source| Error::WriteOutput {
        path: output.to_path_buf(),
        source,
    };
    let out = OutputFile::create_next_to(output).map_err(write_err)?;
    // The temp file is private (0600); the signed copy gets the original's permissions.
    out.file()
        .set_permissions(before.permissions())
        .map_err(write_err)?;
    let digest_algorithm: DigestAlgorithm = options.digest.into();
    let mut hasher =
        copy_and_hash(input, original_len, out.file(), digest_algorithm).map_err(|e| match e {
            CopyError::Read(source) => read_err(source),
            CopyError::Write(source) => write_err(source),
            CopyError::Changed => Error::InputChanged {
                path: input.to_path_buf(),
            },
        })?;
    out.file().write_all(&update.bytes).map_err(write_err)?;
    hasher.update(update.before_contents());
    // The output's SHA-256 shares the prefix `original ‖ update[..contents]` with the
    // document digest when that is SHA-256: keep the state instead of reading the file again.
    let output_prefix = (digest_algorithm == DigestAlgorithm::Sha256).then(|| hasher.clone());
    hasher.update(update.after_contents());
    let hex = job.cms_hex(&hasher.finalize())?;
    write_at(
        out.file(),
        original_len + update.contents.start as u64 + 1,
        &hex,
    )
    .map_err(write_err)?;

    // The input must be what we read: same length and modification time as at the start.
    let after = std::fs::metadata(input).map_err(read_err)?;
    if after.len() != before.len() || after.modified().ok() != before.modified().ok() {
        return Err(Error::InputChanged {
            path: input.to_path_buf(),
        });
    }
    let output_sha256_hex = match output_prefix {
        Some(mut prefix) => {
            prefix.update(b"<");
            prefix.update(&hex);
            prefix.update(&vec![b'0'; 2 * job.contents_len - hex.len()]);
            prefix.update(&update.bytes[update.contents.end - 1..]);
            hex_lower(&prefix.finalize())
        }
        None => sha256_of_file(out.file()).map_err(write_err)?,
    };
    out.commit().map_err(write_err)?;
    Ok(SignOutcome {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        field_name: update.field_name,
        signer_subject: job.certificate.subject.clone(),
        signing_time: job.signing_time.clone(),
        output_sha256_hex,
        bytes_written: total_len,
        warnings: job.warnings.into_inner(),
        visible: job.planned.borrow().0,
        reserved_fields: job.planned.borrow().1.clone(),
        level: if matches!(*job.stamped.borrow(), Some(Ok(()))) {
            Level::Bt
        } else {
            Level::Bb
        },
        target_level: if options.timestamper.is_some() {
            Level::Bt
        } else {
            Level::Bb
        },
        shortfall: job
            .stamped
            .borrow()
            .as_ref()
            .and_then(|r| r.as_ref().err().map(Shortfall::from)),
    })
}

/// Signs a PDF held in memory and returns the signed file: the same checks, plan, byte
/// ranges and CMS as [`sign_file`], without files (the fuzz target of the whole signing
/// path, tests). `name` stands for the file in error messages.
pub fn sign_bytes(
    input: &[u8],
    name: &Path,
    signer: &dyn Signer,
    options: &SignOptions,
) -> Result<Vec<u8>, Error> {
    let job = Job::new(name, signer, options)?;
    let (mut update, original_len) = job.plan(|| Ok(input.to_vec()))?;
    let mut hasher = Hasher::new(options.digest.into());
    hasher.update(&input[..original_len as usize]);
    hasher.update(update.before_contents());
    hasher.update(update.after_contents());
    let hex = job.cms_hex(&hasher.finalize())?;
    let at = update.contents.start + 1;
    update.bytes[at..at + hex.len()].copy_from_slice(&hex);
    let mut out = Vec::with_capacity(input.len() + update.bytes.len());
    out.extend_from_slice(input);
    out.extend_from_slice(&update.bytes);
    Ok(out)
}

/// One signature to make: the signer, its checked certificate, its chain and the request.
struct Job<'a> {
    input: &'a Path,
    signer: &'a dyn Signer,
    options: &'a SignOptions,
    certificate: CertificateInfo,
    chain: Vec<Vec<u8>>,
    contents_len: usize,
    /// `/M`, and the same time as a visible signature shows it (ISO 8601).
    signing_time: String,
    iso_time: String,
    /// Certificate warnings, then appearance warnings once planned.
    warnings: std::cell::RefCell<Vec<String>>,
    /// What the appearance planned: the box, the reserved fields.
    planned: std::cell::RefCell<(Option<VisibleBox>, Vec<String>)>,
    /// Whether the signature was stamped, or why not.
    stamped: std::cell::RefCell<Stamped>,
}

/// The planned update with its `/ByteRange` written; `contents` is where `<…>` of
/// `/Contents` lies in it.
struct ReadyUpdate {
    bytes: Vec<u8>,
    contents: std::ops::Range<usize>,
    field_name: String,
}

impl ReadyUpdate {
    /// The bytes of the update the signature covers before `/Contents` (ISO 32000-2 §12.8.1).
    fn before_contents(&self) -> &[u8] {
        &self.bytes[..self.contents.start]
    }
    /// And after it.
    fn after_contents(&self) -> &[u8] {
        &self.bytes[self.contents.end..]
    }
}

impl<'a> Job<'a> {
    fn new(
        input: &'a Path,
        signer: &'a dyn Signer,
        options: &'a SignOptions,
    ) -> Result<Self, Error> {
        let now = options.signing_time.unwrap_or_else(local_now);
        let certificate =
            CertificateInfo::from_der(signer.certificate_der()).map_err(|source| Error::Cms {
                path: input.to_path_buf(),
                source,
            })?;
        let warnings = kyso_keys::check_certificate_usable(&certificate, now.unix_timestamp())
            .map_err(|source| Error::Certificate {
                path: input.to_path_buf(),
                source,
            })?;
        let chain = complete_chain(&certificate, signer.chain_der(), &options.intermediates);
        let contents_len = reserved_contents_len(signer, &chain);
        Ok(Job {
            input,
            signer,
            options,
            certificate,
            chain,
            contents_len,
            signing_time: format_pdf_date(now),
            iso_time: format_iso(now),
            warnings: std::cell::RefCell::new(warnings.iter().map(ToString::to_string).collect()),
            planned: std::cell::RefCell::new((None, Vec::new())),
            stamped: std::cell::RefCell::new(None),
        })
    }

    /// The signature request for `doc`: the options, and the appearance planned on it.
    fn request<S: Source>(&self, doc: &Document<S>) -> Result<SignatureRequest, Error> {
        let options = self.options;
        let mut request = SignatureRequest {
            field_name: options.field.clone(),
            signing_time: self.signing_time.clone(),
            reason: options.reason.clone(),
            location: options.location.clone(),
            contact_info: options.contact_info.clone(),
            signer_name: self.certificate.subject_common_name.clone(),
            sub_filter: match options.sub_filter {
                SubFilterChoice::Pades => SubFilter::CadesDetached,
                SubFilterChoice::Pkcs7 => SubFilter::Pkcs7Detached,
            },
            certify: options.certify,
            contents_len: self.contents_len,
            ..SignatureRequest::default()
        };
        if let Some(appearance) = &options.appearance {
            let who = Particulars {
                reason: options.reason.clone().unwrap_or_default(),
                location: options.location.clone().unwrap_or_default(),
                ..Particulars::of_certificate(&self.certificate, self.iso_time.clone())
            };
            let planned = plan_appearance(doc, appearance, &who, options.field.as_deref())
                .map_err(|source| Error::Appearance {
                    path: self.input.to_path_buf(),
                    source,
                })?;
            self.warnings.borrow_mut().extend(planned.warnings);
            *self.planned.borrow_mut() = (
                planned.visible.as_ref().map(|v| VisibleBox {
                    page: v.page + 1,
                    rect: [v.rect.x0, v.rect.y0, v.rect.width(), v.rect.height()]
                        .map(|n| (n * 100.0).round() / 100.0),
                }),
                planned.reserved.iter().map(|f| f.name.clone()).collect(),
            );
            request.visible = planned.visible;
            request.reserved = planned.reserved;
            request.lock_fields = planned.lock_fields;
        }
        Ok(request)
    }

    /// Opens the PDF that `open` gives and plans the update; when objects turn out to be away
    /// from their xref offsets, plans again on a rebuilt xref. Returns the update with its
    /// `/ByteRange` filled in, and the length of the original.
    fn plan<S: Source>(
        &self,
        open: impl Fn() -> io::Result<S>,
    ) -> Result<(ReadyUpdate, u64), Error> {
        let (planned, original_len) = match self.plan_once(&open, false) {
            Err(Error::Plan {
                source: PlanError::XrefOffsetsWrong,
                ..
            }) => self.plan_once(&open, true)?,
            other => other?,
        };
        let mut bytes = planned.update.bytes;
        let Some(slots) = planned.update.signature else {
            return Err(Error::Pdf {
                path: self.input.to_path_buf(),
                source: kyso_pdf::PdfError::Unsupported(
                    "no signature placeholder was planned".into(),
                ),
            });
        };
        let total_len = original_len + bytes.len() as u64;
        let byte_range = slots.byte_range_text(total_len);
        let at = (slots.byte_range_start - original_len) as usize;
        bytes[at..at + byte_range.len()].copy_from_slice(&byte_range);
        let start = (slots.contents_start - original_len) as usize;
        let end = (slots.contents_end - original_len) as usize;
        Ok((
            ReadyUpdate {
                bytes,
                contents: start..end,
                field_name: planned.field_name,
            },
            original_len,
        ))
    }

    fn plan_once<S: Source>(
        &self,
        open: &impl Fn() -> io::Result<S>,
        rebuild_xref: bool,
    ) -> Result<(PlannedSignature, u64), Error> {
        let source = open().map_err(|source| Error::ReadInput {
            path: self.input.to_path_buf(),
            source,
        })?;
        let password = self
            .options
            .pdf_password
            .as_ref()
            .map(crate::Password::as_str);
        let doc =
            Document::open_with(source, password, rebuild_xref).map_err(|source| Error::Pdf {
                path: self.input.to_path_buf(),
                source,
            })?;
        let request = self.request(&doc)?;
        let planned = plan_signature(&doc, &request).map_err(|source| Error::Plan {
            path: self.input.to_path_buf(),
            source,
        })?;
        Ok((planned, doc.len()))
    }

    /// The CMS over `content_digest`, as the hex digits that go into `/Contents`.
    fn cms_hex(&self, content_digest: &[u8]) -> Result<Vec<u8>, Error> {
        let timestamper = self.options.timestamper.as_deref();
        let (cms, stamped) = build_cms(
            self.signer,
            &self.chain,
            content_digest,
            self.options.digest.into(),
            self.options.scheme.into(),
            timestamper,
        )
        .map_err(|e| e.at(self.input))?;
        *self.stamped.borrow_mut() = stamped;
        if cms.len() > self.contents_len {
            return Err(Error::SignatureTooLarge {
                path: self.input.to_path_buf(),
                needed: cms.len(),
                reserved: self.contents_len,
            });
        }
        Ok(hex_upper(&cms))
    }
}

/// The bytes reserved for the CMS: the certificates, the signature value, the
/// attributes and ASN.1 overhead, plus room for a later timestamp; at least 32 KiB.
pub fn reserved_contents_len(signer: &dyn Signer, chain: &[Vec<u8>]) -> usize {
    let certificates: usize =
        signer.certificate_der().len() + chain.iter().map(Vec::len).sum::<usize>();
    (certificates + signer.signature_len() + 4096 + TIMESTAMP_ROOM).max(MIN_CONTENTS)
}

enum CmsFailure {
    Key(kyso_keys::KeyError),
    Cms(kyso_cms::CmsError),
}

impl CmsFailure {
    fn at(self, path: &Path) -> Error {
        match self {
            CmsFailure::Key(source) => Error::Key {
                path: path.to_path_buf(),
                source,
            },
            CmsFailure::Cms(source) => Error::Cms {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// Whether a signature timestamp was asked for (Some) and had (Ok), or why not.
type Stamped = Option<Result<(), TsaFailure>>;

/// RFC 5652 §5: signed attributes over the document digest, signed by the key source;
/// with `timestamper`, the signature timestamp (RFC 3161 Appendix A: a token over the
/// signature value) as an unsigned attribute — or, when no TSA gives one, none, and why.
fn build_cms(
    signer: &dyn Signer,
    chain: &[Vec<u8>],
    content_digest: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    timestamper: Option<&Timestamper>,
) -> Result<(Vec<u8>, Stamped), CmsFailure> {
    let attributes = kyso_cms::signed_attributes(content_digest, digest, signer.certificate_der())
        .map_err(CmsFailure::Cms)?;
    let signature = signer
        .sign(&attributes.to_be_signed(), digest, scheme)
        .map_err(CmsFailure::Key)?;
    let mut unsigned = Vec::new();
    let stamped = timestamper.map(|t| {
        t.stamp(&t.hash().digest(&signature)).map(|token| {
            unsigned.push(kyso_cms::tsp::timestamp_attribute(&token.token));
        })
    });
    let cms = kyso_cms::signed_data_with_unsigned_attributes(
        &attributes,
        digest,
        scheme,
        &signature,
        signer.certificate_der(),
        chain,
        &unsigned,
    )
    .map_err(CmsFailure::Cms)?;
    Ok((cms, stamped))
}

/// The certificates to embed beside the signer's (RFC 5652 §5.1 `certificates`): the key
/// source's own chain, then each issuer found among it and `candidates` by walking up from the
/// signer ([`CertificateInfo::issuer_path`]). Roots are never added from `candidates`: the
/// verifier holds its anchors.
pub fn complete_chain(
    signer: &CertificateInfo,
    own_chain: &[Vec<u8>],
    candidates: &[Vec<u8>],
) -> Vec<Vec<u8>> {
    let mut chain: Vec<Vec<u8>> = own_chain.to_vec();
    let pool: Vec<CertificateInfo> = own_chain
        .iter()
        .chain(candidates)
        .filter_map(|der| CertificateInfo::from_der(der).ok())
        .collect();
    for issuer in signer.issuer_path(&pool) {
        if !chain.contains(&issuer.der) && !issuer.is_self_issued() {
            chain.push(issuer.der.clone());
        }
    }
    chain
}

/// Files at least this large have their copied bytes flushed while the hash runs.
const EARLY_SYNC_THRESHOLD: u64 = 8 << 20;

pub(crate) enum CopyError {
    Read(io::Error),
    Write(io::Error),
    Changed,
}

/// Copies the first `len` bytes of `input` to `out` while a second thread hashes them:
/// the copy runs in the kernel (`copy_file_range`), the hash on the other core.
pub(crate) fn copy_and_hash(
    input: &Path,
    len: u64,
    out: &File,
    digest: DigestAlgorithm,
) -> Result<Hasher, CopyError> {
    std::thread::scope(|scope| {
        let hashing = scope.spawn(move || -> Result<Hasher, CopyError> {
            let mut file = File::open(input).map_err(CopyError::Read)?;
            let mut hasher = Hasher::new(digest);
            let mut buffer = vec![0u8; 1 << 20];
            let mut remaining = len;
            while remaining > 0 {
                let want = buffer
                    .len()
                    .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                let n = file.read(&mut buffer[..want]).map_err(CopyError::Read)?;
                if n == 0 {
                    return Err(CopyError::Changed);
                }
                hasher.update(&buffer[..n]);
                remaining -= n as u64;
            }
            Ok(hasher)
        });
        let copied = (|| -> Result<u64, CopyError> {
            let file = File::open(input).map_err(CopyError::Read)?;
            let mut limited = file.take(len);
            let mut out = out;
            let copied = io::copy(&mut limited, &mut out).map_err(CopyError::Write)?;
            // Flush the bulk now, while the other core is still hashing: the final fsync
            // then has only the update to write. Small files skip it (one fsync is enough).
            if len >= EARLY_SYNC_THRESHOLD {
                out.sync_data().map_err(CopyError::Write)?;
            }
            Ok(copied)
        })();
        let hasher = hashing
            .join()
            .map_err(|_| CopyError::Read(io::Error::other("hashing thread failed")))??;
        if copied? != len {
            return Err(CopyError::Changed);
        }
        Ok(hasher)
    })
}

fn write_at(file: &File, offset: u64, data: &[u8]) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(data, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut written = 0;
        while written < data.len() {
            written += file.seek_write(&data[written..], offset + written as u64)?;
        }
        Ok(())
    }
}

pub(crate) fn sha256_of_file(file: &File) -> io::Result<String> {
    let mut hasher = Hasher::new(DigestAlgorithm::Sha256);
    let mut buffer = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        #[cfg(unix)]
        let n = {
            use std::os::unix::fs::FileExt;
            file.read_at(&mut buffer, offset)?
        };
        #[cfg(windows)]
        let n = {
            use std::os::windows::fs::FileExt;
            file.seek_read(&mut buffer, offset)?
        };
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        offset += n as u64;
    }
    Ok(hex_lower(&hasher.finalize()))
}

pub(crate) fn hex_upper(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, in local time when the offset is known, else UTC.
pub fn local_now() -> OffsetDateTime {
    OffsetDateTime::now_local().unwrap_or_else(|_| OffsetDateTime::now_utc())
}
