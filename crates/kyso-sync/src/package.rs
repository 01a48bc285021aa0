//! The edXML package of the dialects that carry the document inside the message
//! (docs/exchange-dialects.md): QCVN 102:2016's `AttachmentEncoded/Attachment`, base64, outside
//! the envelope, referenced from `edXMLManifest` by `cid:` (docs/domain.md §4).
//!
//! Sending, [`build`] turns the message fixed at queue time (whose manifest names the stored
//! file by `sha256:`) into that package, written to a temporary file while the file is read and
//! base64-encoded a few kilobytes at a time (docs/architecture.md principle 3): memory stays
//! flat whatever the document's size, and the upload streams the temporary file. The package is
//! a pure function of the stored message, the file and the encoding (the `cid:` is derived from
//! the file's hash, the ZIP's time is fixed), so an attempt sends the same bytes as the one
//! before: its SHA-256 is what finds a package the platform already holds.
//!
//! Receiving, [`read`] parses a package and gives its attachments as files: plain
//! (`application/pdf`, …) or zipped as the VNPT SDK does (`application/zip`).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::edxml::{self, Message, Reference};
use crate::error::SyncError;
use crate::files::FileStore;
use crate::protocol;
use crate::transport::{Outgoing, PackageKind, Prepared};

/// How attachments are put into a package (`exchange.attachment-encoding`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentEncoding {
    /// The file as it is (`application/pdf`): what real received packages also carry.
    #[default]
    Pdf,
    /// The file in a one-file ZIP archive (`application/zip`), as the VNPT SDK sends.
    Zip,
}

impl AttachmentEncoding {
    pub fn parse(text: &str) -> Option<AttachmentEncoding> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pdf" => Some(AttachmentEncoding::Pdf),
            "zip" => Some(AttachmentEncoding::Zip),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AttachmentEncoding::Pdf => "pdf",
            AttachmentEncoding::Zip => "zip",
        }
    }
}

/// A package written to a temporary file (deleted when dropped).
#[derive(Debug)]
pub struct Package {
    pub path: tempfile::TempPath,
    /// Lowercase hex SHA-256 of the whole file: the `hash-file` of VDXP, and what a lookup
    /// matches.
    pub sha256: String,
    pub size: u64,
}

/// The `ContentId` (without `cid:`) of a stored file: its SHA-256's first 128 bits written as a
/// UUID, so the same file always gets the same id.
pub fn content_id_of(sha256: &str) -> String {
    let hex: String = sha256
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .take(32)
        .collect();
    let hex = format!("{hex:0<32}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// What an attempt of a dialect that carries the document inside its edXML sends: for a
/// document, its package ([`build`]) in a temporary file; for a status package (no
/// attachment), the message itself.
pub fn prepare(
    outgoing: &Outgoing<'_>,
    encoding: AttachmentEncoding,
    max_bytes: u64,
) -> Result<Prepared, SyncError> {
    match outgoing.kind {
        PackageKind::Document => {
            let built = build(
                outgoing.edxml,
                outgoing.files,
                outgoing.tmp_dir,
                encoding,
                max_bytes,
            )?;
            Ok(Prepared {
                sha256: built.sha256,
                size: built.size,
                body: Some(built.path),
            })
        }
        PackageKind::Status => Ok(Prepared {
            sha256: hex::encode(Sha256::digest(outgoing.edxml)),
            size: outgoing.edxml.len() as u64,
            body: None,
        }),
    }
}

/// Writes the package of the stored message `edxml` (references `sha256:…` to files of
/// `files`) into a new file of `tmp_dir`. Refused with `DOCUMENT_TOO_LARGE` when an attachment,
/// or the package, is over `max_bytes`.
pub fn build(
    edxml: &[u8],
    files: &FileStore,
    tmp_dir: &Path,
    encoding: AttachmentEncoding,
    max_bytes: u64,
) -> Result<Package, SyncError> {
    let mut message = edxml::parse(edxml)?;
    // The attachments as the package carries them (content id without `cid:`), and where
    // their bytes are read from.
    let mut embedded: Vec<(Reference, PathBuf)> = Vec::new();
    let mut zips = Vec::new();
    for reference in &mut message.references {
        let Some(sha256) = protocol::sha256_of_content_id(&reference.content_id) else {
            continue;
        };
        let sha256 = sha256.to_string();
        let path = files.path_of(&sha256);
        let size = std::fs::metadata(&path)
            .map_err(|e| SyncError::store_io(path.clone(), e))?
            .len();
        if size > max_bytes {
            return Err(SyncError::TooLarge {
                name: reference.attachment_name.clone(),
                size,
                limit: max_bytes,
            });
        }
        let id = content_id_of(&sha256);
        let source = match encoding {
            AttachmentEncoding::Pdf => path,
            AttachmentEncoding::Zip => {
                let zipped = zip_to_temp(&path, &reference.attachment_name, tmp_dir)?;
                let zip_path = zipped.to_path_buf();
                zips.push(zipped);
                reference.content_type = "application/zip".to_string();
                zip_path
            }
        };
        reference.content_id = format!("cid:{id}");
        embedded.push((
            Reference {
                content_id: id,
                attachment_name: reference.attachment_name.clone(),
                content_type: reference.content_type.clone(),
                description: reference.description.clone(),
            },
            source,
        ));
    }
    let tmp = tempfile::NamedTempFile::new_in(tmp_dir)
        .map_err(|e| SyncError::store_io(tmp_dir.to_path_buf(), e))?;
    let (file, path) = tmp.into_parts();
    let mut out = Hashing::new(BufWriter::with_capacity(64 * 1024, file));
    {
        let mut readers = Vec::with_capacity(embedded.len());
        for (_, source) in &embedded {
            readers.push(File::open(source).map_err(|e| SyncError::store_io(source.clone(), e))?);
        }
        let mut attachments: Vec<(&Reference, &mut dyn Read)> = embedded
            .iter()
            .zip(readers.iter_mut())
            .map(|((reference, _), reader)| (reference, reader as &mut dyn Read))
            .collect();
        edxml::write_message(&message, &mut attachments, &mut out)
            .map_err(|e| SyncError::store_io(path.to_path_buf(), e))?;
    }
    let (sha256, size, writer) = out.finish();
    // Flushed, not fsynced: the package is made again from the store if Kyso stops.
    writer
        .into_inner()
        .map_err(|e| SyncError::store_io(path.to_path_buf(), e.into_error()))?;
    drop(zips);
    if size > max_bytes {
        return Err(SyncError::TooLarge {
            name: message
                .references
                .first()
                .map(|r| r.attachment_name.clone())
                .unwrap_or_else(|| message.document_id.clone()),
            size,
            limit: max_bytes,
        });
    }
    Ok(Package { path, sha256, size })
}

/// Zips the file at `path` as `name` into a temporary file of `tmp_dir`.
fn zip_to_temp(path: &Path, name: &str, tmp_dir: &Path) -> Result<tempfile::TempPath, SyncError> {
    let tmp = tempfile::NamedTempFile::new_in(tmp_dir)
        .map_err(|e| SyncError::store_io(tmp_dir.to_path_buf(), e))?;
    let (file, zip_path) = tmp.into_parts();
    let mut source = File::open(path).map_err(|e| SyncError::store_io(path.to_path_buf(), e))?;
    let mut out = BufWriter::with_capacity(64 * 1024, file);
    crate::zip::write_single(name, &mut source, &mut out)
        .and_then(|_| out.flush())
        .map_err(|e| SyncError::store_io(zip_path.to_path_buf(), e))?;
    Ok(zip_path)
}

/// One attachment of a received package, as a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFile {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Reads a received package: the message (its attachments taken out) and the files it
/// carries, unzipped when zipped (at most `max_bytes` inflated in all).
pub fn read(xml: &[u8], max_bytes: u64) -> Result<(Message, Vec<ReceivedFile>), SyncError> {
    let mut message = edxml::parse(xml)?;
    let mut files = Vec::new();
    for attachment in std::mem::take(&mut message.attachments) {
        let reference = attachment.reference;
        if is_zip(&reference.content_type, &reference.attachment_name)
            && crate::zip::looks_like_zip(&attachment.data)
        {
            let entries = crate::zip::read_entries(&attachment.data, max_bytes).map_err(|e| {
                SyncError::BadAnswer {
                    detail: format!("{}: {e}", reference.attachment_name),
                }
            })?;
            for entry in entries {
                files.push(ReceivedFile {
                    content_type: content_type_of(&entry.name).to_string(),
                    name: safe_name(&entry.name),
                    data: entry.data,
                });
            }
        } else {
            files.push(ReceivedFile {
                name: safe_name(&reference.attachment_name),
                content_type: reference.content_type,
                data: attachment.data,
            });
        }
    }
    Ok((message, files))
}

/// `application/zip` (and the `x-zip-compressed` Windows writes), or a `.zip` name.
fn is_zip(content_type: &str, name: &str) -> bool {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        ct.as_str(),
        "application/zip" | "application/x-zip-compressed" | "application/x-zip"
    ) || name.to_ascii_lowercase().ends_with(".zip")
}

fn content_type_of(name: &str) -> &'static str {
    if name.to_ascii_lowercase().ends_with(".pdf") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

/// The last component of a name, so an archive's `../x` can never name a place.
fn safe_name(name: &str) -> String {
    let last = name
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty() && *part != "." && *part != "..")
        .unwrap_or("");
    if last.is_empty() {
        "document".to_string()
    } else {
        last.to_string()
    }
}

/// A writer that hashes (SHA-256) and counts what goes through it.
pub struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// (hex SHA-256, bytes, the inner writer).
    pub fn finish(self) -> (String, u64, W) {
        (hex::encode(self.hasher.finalize()), self.count, self.inner)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_archives_cannot_climb() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\\b\\qd.pdf"), "qd.pdf");
        assert_eq!(safe_name("../"), "document");
        assert_eq!(safe_name("qd-123.pdf"), "qd-123.pdf");
    }

    #[test]
    fn a_content_id_is_the_hash_as_a_uuid() {
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(content_id_of(sha), "9f86d081-884c-7d65-9a2f-eaa0c55ad015");
    }
}
