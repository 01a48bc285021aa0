//! kyso-core: the one API that the CLI and the desktop shell both call
//! (docs/architecture.md principle 2). PAdES signing now; verification, timestamps and LTV later.

pub mod appearance;
pub mod error;
pub mod info;
pub mod level;
pub mod ltv;
pub mod messages;
pub mod output;
pub mod password;
pub mod pdf_date;
pub mod settings;
pub mod sign;
pub mod stamp;
pub mod timestamp;
pub mod trust;
pub mod upgrade;
pub mod verify;

#[cfg(test)]
mod test_pdf;

pub use error::Error;
pub use info::{DocumentInfo, FieldInfo, SignatureInfo, inspect_file};
pub use kyso_cms::{DigestAlgorithm, SignatureScheme};
pub use level::Level;
pub use password::Password;
pub use sign::{SignOptions, SignOutcome, SubFilterChoice, default_output_path, sign_file};
pub use trust::{TrustEntry, TrustError, TrustKind, TrustStore};
pub use verify::report::{Verdict, VerifyReport};
pub use verify::{VerifyError, VerifyOptions, verify_file};

/// The engine's version, shown by the CLI and the desktop app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
