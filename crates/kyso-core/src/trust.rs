//! The trust store: the anchors (roots) the user or the deployment trusts, and the
//! intermediate CA certificates the user stored so that chains can be built for signatures
//! that embed only the signer's certificate (docs/domain.md §1). Kyso ships no anchors.
//!
//! Layout under `kyso_keys::home::kyso_home()/trust/`:
//! `anchors/<SHA-256 hex>.der` and `intermediates/<SHA-256 hex>.der`, one DER certificate
//! per file. An entry's id is the first 16 hex digits of its SHA-256 fingerprint.

use std::path::{Path, PathBuf};

use kyso_cms::CertificateInfo;

/// Errors of the trust store, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{}: cannot read the certificate file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no X.509 certificate in it (PEM or DER expected)", path.display())]
    NotACertificate { path: PathBuf },
    #[error("cannot write the trust store at {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no trusted certificate has the id or fingerprint {0}")]
    NotFound(String),
    #[error("{0} matches several certificates; give more digits")]
    Ambiguous(String),
}

impl TrustError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::Read { .. } => "TRUST_CERT_UNREADABLE",
            TrustError::NotACertificate { .. } => "TRUST_NOT_A_CERTIFICATE",
            TrustError::Write { .. } => "TRUST_STORE_UNWRITABLE",
            TrustError::NotFound(_) => "TRUST_NOT_FOUND",
            TrustError::Ambiguous(_) => "TRUST_AMBIGUOUS",
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> crate::messages::Params {
        use crate::messages::param;
        match self {
            TrustError::Read { path, source } | TrustError::Write { path, source } => {
                vec![param("file", path.display()), param("detail", source)]
            }
            TrustError::NotACertificate { path } => vec![param("file", path.display())],
            TrustError::NotFound(id) | TrustError::Ambiguous(id) => vec![param("id", id)],
        }
    }
}

impl crate::messages::Coded for TrustError {
    fn code(&self) -> &'static str {
        TrustError::code(self)
    }
    fn params(&self) -> crate::messages::Params {
        TrustError::params(self)
    }
}

/// Which list a certificate is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustKind {
    /// A trust anchor: chains ending here are trusted.
    Anchor,
    /// A stored intermediate CA: used to build chains, never trusted by itself.
    Intermediate,
}

impl TrustKind {
    fn folder(self) -> &'static str {
        match self {
            TrustKind::Anchor => "anchors",
            TrustKind::Intermediate => "intermediates",
        }
    }
}

/// One stored certificate, as `kyso trust list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrustEntry {
    pub id: String,
    pub kind: TrustKind,
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    #[serde(skip)]
    pub certificate: CertificateInfo,
}

impl TrustEntry {
    fn new(kind: TrustKind, certificate: CertificateInfo) -> Self {
        TrustEntry {
            id: certificate.sha256_fingerprint_hex[..16].to_string(),
            kind,
            sha256: certificate.sha256_fingerprint_hex.clone(),
            subject: certificate.subject.clone(),
            issuer: certificate.issuer.clone(),
            not_before: crate::verify::report::rfc3339(certificate.not_before),
            not_after: crate::verify::report::rfc3339(certificate.not_after),
            certificate,
        }
    }
}

/// The store at a folder.
#[derive(Debug, Clone)]
pub struct TrustStore {
    dir: PathBuf,
}

impl TrustStore {
    /// The user's store, `KYSO_HOME/trust`.
    pub fn default_location() -> Self {
        TrustStore::at(kyso_keys::home::kyso_home().join("trust"))
    }

    /// A store at `dir` (tests).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        TrustStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds every certificate of a PEM or DER file; returns the entries (existing ones too).
    pub fn add_file(&self, path: &Path, kind: TrustKind) -> Result<Vec<TrustEntry>, TrustError> {
        let certs = read_certificate_file(path)?;
        let folder = self.dir.join(kind.folder());
        let write_err = |source| TrustError::Write {
            path: folder.clone(),
            source,
        };
        kyso_keys::home::create_private_dir(&folder).map_err(write_err)?;
        let mut out = Vec::new();
        for cert in certs {
            let file = folder.join(format!("{}.der", cert.sha256_fingerprint_hex));
            let tmp = folder.join(format!(".{}.tmp", cert.sha256_fingerprint_hex));
            std::fs::write(&tmp, &cert.der).map_err(write_err)?;
            std::fs::rename(&tmp, &file).map_err(write_err)?;
            out.push(TrustEntry::new(kind, cert));
        }
        Ok(out)
    }

    /// Every stored certificate, anchors first, each list sorted by subject.
    pub fn list(&self) -> Vec<TrustEntry> {
        let mut out = self.list_kind(TrustKind::Anchor);
        out.extend(self.list_kind(TrustKind::Intermediate));
        out
    }

    /// The stored certificates of one kind. Unreadable files are skipped.
    pub fn list_kind(&self, kind: TrustKind) -> Vec<TrustEntry> {
        let folder = self.dir.join(kind.folder());
        let Ok(read) = std::fs::read_dir(&folder) else {
            return Vec::new();
        };
        let mut out: Vec<TrustEntry> = read
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "der"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|der| CertificateInfo::from_der(&der).ok())
            .map(|c| TrustEntry::new(kind, c))
            .collect();
        out.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.sha256.cmp(&b.sha256)));
        out
    }

    /// The stored intermediates as DER: what [`crate::SignOptions::intermediates`] takes to
    /// complete a chain the key source lacks.
    pub fn intermediates_der(&self) -> Vec<Vec<u8>> {
        self.list_kind(TrustKind::Intermediate)
            .into_iter()
            .map(|entry| entry.certificate.der)
            .collect()
    }

    /// Removes the certificate whose id or fingerprint (hex, any case, colons allowed)
    /// starts with `id`.
    pub fn remove(&self, id: &str) -> Result<TrustEntry, TrustError> {
        let wanted: String = id
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_uppercase();
        if wanted.len() < 8 {
            return Err(TrustError::NotFound(id.to_string()));
        }
        let matches: Vec<TrustEntry> = self
            .list()
            .into_iter()
            .filter(|e| e.sha256.starts_with(&wanted))
            .collect();
        match matches.as_slice() {
            [] => Err(TrustError::NotFound(id.to_string())),
            [one] => {
                let file = self
                    .dir
                    .join(one.kind.folder())
                    .join(format!("{}.der", one.sha256));
                std::fs::remove_file(&file).map_err(|source| TrustError::Write {
                    path: file.clone(),
                    source,
                })?;
                Ok(one.clone())
            }
            _ => Err(TrustError::Ambiguous(id.to_string())),
        }
    }
}

/// Reads a certificate file: DER, or PEM with one or more `CERTIFICATE` blocks.
pub fn read_certificate_file(path: &Path) -> Result<Vec<CertificateInfo>, TrustError> {
    let bytes = std::fs::read(path).map_err(|source| TrustError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = certificates_from_bytes(&bytes);
    if certs.is_empty() {
        return Err(TrustError::NotACertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// DER, or every PEM `CERTIFICATE` block; what does not parse is skipped.
pub fn certificates_from_bytes(bytes: &[u8]) -> Vec<CertificateInfo> {
    if let Ok(cert) = CertificateInfo::from_der(bytes) {
        return vec![cert];
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body = &rest[start + 27..];
        let Some(end) = body.find("-----END CERTIFICATE-----") else {
            break;
        };
        if let Some(der) = base64_decode(&body[..end])
            && let Ok(cert) = CertificateInfo::from_der(&der)
        {
            out.push(cert);
        }
        rest = &body[end..];
    }
    out
}

/// Standard base64 (RFC 4648 §4), white space ignored; None on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVs\nbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(base64_decode("a*"), None);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(
            certificates_from_bytes(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            )
            .is_empty()
        );
        assert!(certificates_from_bytes(b"").is_empty());
    }
}
