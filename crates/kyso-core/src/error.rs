//! kyso-core's errors: each names the file and the cause, and has a stable code
//! (docs/architecture.md principle 5). Codes and parameters give the Vietnamese and English texts
//! of [`crate::messages`]; the `Display` text is English, for logs and searches.

use std::path::PathBuf;

use kyso_pdf::signature::PlanError;

use crate::messages::{Coded, Params, param, with_file};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Pdf {
        path: PathBuf,
        source: kyso_pdf::PdfError,
    },
    #[error("{}: {source}", path.display())]
    Plan { path: PathBuf, source: PlanError },
    #[error("{}: cannot read the file: {source}", path.display())]
    ReadInput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write the signed file: {source}", path.display())]
    WriteOutput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the output would overwrite the input; choose another output file", path.display())]
    OutputIsInput { path: PathBuf },
    #[error("{}: the input file changed while it was being signed", path.display())]
    InputChanged { path: PathBuf },
    #[error("{}: the signature ({needed} bytes) does not fit the space reserved for it ({reserved} bytes)", path.display())]
    SignatureTooLarge {
        path: PathBuf,
        needed: usize,
        reserved: usize,
    },
    #[error("{}: the signing certificate cannot be used: {source}", path.display())]
    Certificate {
        path: PathBuf,
        source: kyso_keys::KeyError,
    },
    #[error("{}: signing failed: {source}", path.display())]
    Key {
        path: PathBuf,
        source: kyso_keys::KeyError,
    },
    #[error("{}: the visible signature cannot be made: {source}", path.display())]
    Appearance {
        path: PathBuf,
        source: crate::appearance::AppearanceFailure,
    },
    #[error(
        "{}: the document is signed and has no fields reserved for its number and date: \
         writing them now would break the signature (the leader signs with the fields \
         reserved, or the number and date are given before any signature)",
        path.display()
    )]
    StampNoReservedFields { path: PathBuf },
    #[error("{}: the field {field} is locked by a signature (the seal): it cannot change", path.display())]
    StampLocked { path: PathBuf, field: String },
    #[error(transparent)]
    Settings {
        #[from]
        source: crate::settings::SettingsError,
    },
    #[error("{}: no timestamp: {source}", path.display())]
    Timestamp {
        path: PathBuf,
        source: crate::timestamp::TsaFailure,
    },
    #[error("{}: the validation data cannot be gathered: {detail}", path.display())]
    Validation { path: PathBuf, detail: String },
    #[error("{}: cannot build the signature: {source}", path.display())]
    Cms {
        path: PathBuf,
        source: kyso_cms::CmsError,
    },
}

impl Error {
    /// A stable code: scripts and the UI rely on it, so codes never change meaning.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Pdf { source, .. } => source.code(),
            Error::Plan { source, .. } => source.code(),
            Error::ReadInput { .. } => "INPUT_UNREADABLE",
            Error::WriteOutput { .. } => "OUTPUT_UNWRITABLE",
            Error::OutputIsInput { .. } => "OUTPUT_IS_INPUT",
            Error::InputChanged { .. } => "INPUT_CHANGED",
            Error::SignatureTooLarge { .. } => "SIGNATURE_TOO_LARGE",
            Error::Certificate { source, .. } | Error::Key { source, .. } => source.code(),
            Error::Cms { source, .. } => source.code(),
            Error::Appearance { source, .. } => source.code(),
            Error::StampNoReservedFields { .. } => "STAMP_NO_RESERVED_FIELDS",
            Error::StampLocked { .. } => "STAMP_FIELD_LOCKED",
            Error::Settings { source } => source.code(),
            Error::Timestamp { source, .. } => source.code(),
            Error::Validation { .. } => "LTV_DATA_UNAVAILABLE",
        }
    }

    /// The named values of the message (the catalogue's placeholders): `file` is the file
    /// worked on (or the one the cause names: an image, a .p12), `detail` the English cause.
    pub fn params(&self) -> Params {
        let file = |path: &std::path::Path| param("file", path.display());
        match self {
            Error::Pdf { path, source } => with_file(source.params(), path),
            Error::Plan { path, source } => with_file(source.params(), path),
            Error::ReadInput { path, source } | Error::WriteOutput { path, source } => {
                vec![file(path), param("detail", source)]
            }
            Error::OutputIsInput { path }
            | Error::InputChanged { path }
            | Error::StampNoReservedFields { path } => vec![file(path)],
            Error::SignatureTooLarge {
                path,
                needed,
                reserved,
            } => vec![
                file(path),
                param("needed", needed),
                param("reserved", reserved),
            ],
            Error::Certificate { path, source } | Error::Key { path, source } => {
                with_file(source.params(), path)
            }
            Error::Appearance { path, source } => with_file(source.params(), path),
            Error::StampLocked { path, field } => vec![file(path), param("field", field)],
            Error::Settings { source } => source.params(),
            Error::Timestamp { path, source } => with_file(source.params(), path),
            Error::Validation { path, detail } => vec![file(path), param("detail", detail)],
            Error::Cms { path, source } => with_file(source.params(), path),
        }
    }
}

impl Coded for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }
    fn params(&self) -> Params {
        Error::params(self)
    }
}
