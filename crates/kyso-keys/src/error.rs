//! The one error type of this crate. Every variant has a stable [`KeyError::code`] that the UI
//! maps to Vietnamese and English text. Messages name the file and the cause in plain words and
//! never contain a password or key material.

use std::path::PathBuf;

use kyso_cms::CmsError;
use thiserror::Error;

/// Everything that can go wrong while opening a key source, checking its certificate or signing.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },

    /// The bytes are not a PKCS#12 (PFX) structure at all.
    #[error("{source_name} is not a PKCS#12 (.p12/.pfx) certificate file")]
    NotPkcs12 {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// The integrity check or the decryption failed with this password.
    #[error("the password for {source_name} is wrong")]
    WrongPassword {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// A PKCS#12 file that looks like one but cannot be decoded.
    #[error("{source_name} is damaged or not a valid PKCS#12 file ({detail})")]
    Malformed {
        /// File name or other label of the key source.
        source_name: String,
        /// What the decoder said.
        detail: String,
    },

    /// Encryption or integrity algorithm we cannot read.
    #[error("{source_name} uses an encryption method that is not supported ({detail})")]
    UnsupportedEncryption {
        /// File name or other label of the key source.
        source_name: String,
        /// What the decoder said.
        detail: String,
    },

    /// Certificates only (exported without the private key).
    #[error(
        "{source_name} holds certificates but no private key; export it again with the private key"
    )]
    NoPrivateKey {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// The private key has no certificate in the file.
    #[error("{source_name} holds a private key but not the certificate that belongs to it")]
    NoMatchingCertificate {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// A key that is not RSA (EC, Ed25519, DSA...).
    #[error("{source_name} holds a {algorithm} key; only RSA keys are supported")]
    UnsupportedKey {
        /// File name or other label of the key source.
        source_name: String,
        /// The key algorithm, by name when known, else its OID.
        algorithm: String,
    },

    /// More than one private key: we do not guess which one to use.
    #[error("{source_name} holds {} private keys ({}); export the one to sign with into its own file", keys.len(), keys.join("; "))]
    SeveralKeys {
        /// File name or other label of the key source.
        source_name: String,
        /// One description per key (the certificate subject or the friendly name).
        keys: Vec<String>,
    },

    /// notAfter is in the past (RFC 5280 §4.1.2.5).
    #[error("the certificate of {subject} expired on {date}")]
    CertExpired {
        /// Certificate subject.
        subject: String,
        /// notAfter, YYYY-MM-DD (UTC).
        date: String,
    },

    /// notBefore is in the future.
    #[error("the certificate of {subject} is not valid before {date}")]
    CertNotYetValid {
        /// Certificate subject.
        subject: String,
        /// notBefore, YYYY-MM-DD (UTC).
        date: String,
    },

    /// keyUsage present without digitalSignature and nonRepudiation (RFC 5280 §4.2.1.3).
    #[error(
        "the certificate of {subject} is not meant for signatures (its key usage allows neither digitalSignature nor nonRepudiation)"
    )]
    CertKeyUsage {
        /// Certificate subject.
        subject: String,
    },

    /// RSA key shorter than 2048 bits.
    #[error(
        "the certificate of {subject} has an RSA key of {bits} bits; at least 2048 are required"
    )]
    CertWeakKey {
        /// Certificate subject.
        subject: String,
        /// Modulus length.
        bits: usize,
    },

    /// A digest we refuse for new signatures (SHA-1).
    #[error("{0} is not allowed for new signatures")]
    UnsupportedDigest(&'static str),

    /// The RSA operation failed or its result did not verify.
    #[error("signing failed: {0}")]
    SigningFailed(String),

    /// A certificate or CMS error from kyso-cms.
    #[error(transparent)]
    Cms(#[from] CmsError),
}

impl KeyError {
    /// Stable machine-readable code, never changed once published.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Io { .. } => "IO",
            KeyError::NotPkcs12 { .. } => "P12_NOT_PKCS12",
            KeyError::WrongPassword { .. } => "P12_WRONG_PASSWORD",
            KeyError::Malformed { .. } => "P12_MALFORMED",
            KeyError::UnsupportedEncryption { .. } => "P12_UNSUPPORTED_ENCRYPTION",
            KeyError::NoPrivateKey { .. } => "P12_NO_PRIVATE_KEY",
            KeyError::NoMatchingCertificate { .. } => "P12_NO_MATCHING_CERTIFICATE",
            KeyError::UnsupportedKey { .. } => "P12_UNSUPPORTED_KEY",
            KeyError::SeveralKeys { .. } => "P12_SEVERAL_KEYS",
            KeyError::CertExpired { .. } => "CERT_EXPIRED",
            KeyError::CertNotYetValid { .. } => "CERT_NOT_YET_VALID",
            KeyError::CertKeyUsage { .. } => "CERT_KEY_USAGE",
            KeyError::CertWeakKey { .. } => "CERT_WEAK_KEY",
            KeyError::UnsupportedDigest(_) => "SIGN_UNSUPPORTED_DIGEST",
            KeyError::SigningFailed(_) => "SIGN_FAILED",
            KeyError::Cms(e) => e.code(),
        }
    }
}
