//! The errors of the PDF layer, each with a stable code.

use crate::object::ObjectId;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("this is not a PDF file (no %PDF- header)")]
    NotPdf,
    #[error("the PDF file is damaged or truncated: {0}")]
    Damaged(String),
    #[error("object {0} is missing or damaged")]
    MissingObject(ObjectId),
    #[error("the PDF is encrypted and needs a password")]
    PasswordRequired,
    #[error("the PDF password is wrong")]
    WrongPassword,
    #[error("the PDF uses an encryption method Kyso does not support: {0}")]
    UnsupportedEncryption(String),
    #[error("the PDF's permissions do not allow {0}")]
    PermissionDenied(&'static str),
    #[error("unsupported PDF feature: {0}")]
    Unsupported(String),
}

impl PdfError {
    /// A stable code the UI and scripts can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            PdfError::Io(_) => "PDF_IO",
            PdfError::NotPdf => "PDF_NOT_A_PDF",
            PdfError::Damaged(_) | PdfError::MissingObject(_) => "PDF_DAMAGED",
            PdfError::PasswordRequired => "PDF_PASSWORD_REQUIRED",
            PdfError::WrongPassword => "PDF_WRONG_PASSWORD",
            PdfError::UnsupportedEncryption(_) => "PDF_UNSUPPORTED_ENCRYPTION",
            PdfError::PermissionDenied(_) => "PDF_PERMISSION_DENIED",
            PdfError::Unsupported(_) => "PDF_UNSUPPORTED",
        }
    }

    /// The named values of the message (the catalogue's placeholders): `detail` is the
    /// English cause.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            PdfError::Io(e) => vec![("detail", e.to_string())],
            PdfError::Damaged(detail)
            | PdfError::UnsupportedEncryption(detail)
            | PdfError::Unsupported(detail) => vec![("detail", detail.clone())],
            PdfError::MissingObject(_) => vec![("detail", self.to_string())],
            PdfError::PermissionDenied(what) => vec![("detail", (*what).to_string())],
            PdfError::NotPdf | PdfError::PasswordRequired | PdfError::WrongPassword => Vec::new(),
        }
    }

    pub(crate) fn damaged(what: impl Into<String>) -> Self {
        PdfError::Damaged(what.into())
    }
}

pub type Result<T> = std::result::Result<T, PdfError>;
