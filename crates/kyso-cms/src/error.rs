//! The one error type of this crate. Every variant has a stable [`CmsError::code`] that the UI
//! maps to Vietnamese and English text; the `Display` text is English, for logs and the CLI.

use thiserror::Error;

/// Everything that can go wrong while reading certificates or building, parsing and
/// verifying CMS SignedData.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CmsError {
    /// The bytes are not valid BER/DER, or a CMS structure is not shaped as RFC 5652 says.
    #[error("malformed CMS data: {0}")]
    Malformed(String),

    /// An X.509 certificate could not be read (RFC 5280 §4.1).
    #[error("malformed certificate: {0}")]
    CertificateMalformed(String),

    /// The ContentInfo holds something other than SignedData (RFC 5652 §3, §5.1).
    #[error("the CMS ContentInfo is not SignedData but {content_type}")]
    NotSignedData {
        /// Dotted OID of the content type found.
        content_type: String,
    },

    /// Non-zero bytes follow the ContentInfo. Zero padding (PDF /Contents) is accepted.
    #[error("non-zero data follows the CMS ContentInfo at offset {offset}")]
    TrailingData {
        /// Offset of the first byte after the ContentInfo.
        offset: usize,
    },

    /// An algorithm we do not implement (or refuse for new signatures, such as SHA-1).
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),

    /// The certificate's public key is not one we can use (only RSA is supported).
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),

    /// The caller passed inconsistent arguments (for example a digest of the wrong length).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// There is no SignerInfo with this index.
    #[error("no signer with index {index} (the SignedData has {count})")]
    NoSuchSigner {
        /// Index asked for.
        index: usize,
        /// Number of SignerInfos present.
        count: usize,
    },
}

impl CmsError {
    /// Stable machine-readable code, never changed once published.
    pub fn code(&self) -> &'static str {
        match self {
            CmsError::Malformed(_) => "CMS_MALFORMED",
            CmsError::CertificateMalformed(_) => "CERT_MALFORMED",
            CmsError::NotSignedData { .. } => "CMS_NOT_SIGNED_DATA",
            CmsError::TrailingData { .. } => "CMS_TRAILING_DATA",
            CmsError::UnsupportedAlgorithm(_) => "CMS_UNSUPPORTED_ALGORITHM",
            CmsError::UnsupportedKey(_) => "CMS_UNSUPPORTED_KEY",
            CmsError::InvalidInput(_) => "CMS_INVALID_INPUT",
            CmsError::NoSuchSigner { .. } => "CMS_NO_SUCH_SIGNER",
        }
    }

    /// The named values of the message (the catalogue's placeholders): `detail` is the
    /// English cause.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            CmsError::Malformed(detail)
            | CmsError::CertificateMalformed(detail)
            | CmsError::UnsupportedAlgorithm(detail)
            | CmsError::UnsupportedKey(detail)
            | CmsError::InvalidInput(detail) => vec![("detail", detail.clone())],
            CmsError::NotSignedData { content_type } => {
                vec![("detail", format!("content type {content_type}"))]
            }
            CmsError::TrailingData { offset } => vec![("offset", offset.to_string())],
            CmsError::NoSuchSigner { index, count } => {
                vec![("index", index.to_string()), ("count", count.to_string())]
            }
        }
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        CmsError::Malformed(what.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(CmsError::malformed("x").code(), "CMS_MALFORMED");
        assert_eq!(
            CmsError::TrailingData { offset: 3 }.code(),
            "CMS_TRAILING_DATA"
        );
        assert_eq!(
            CmsError::NoSuchSigner { index: 1, count: 1 }.code(),
            "CMS_NO_SUCH_SIGNER"
        );
    }
}
