//! kyso-keys: key sources behind one [`Signer`] trait.
//!
//! Now: PKCS#12 files ([`Pkcs12Signer`]). Later: the keychain vault and PKCS#11 tokens.
//! Private keys stay in zeroizing types; passwords and keys are never logged or displayed.

pub mod check;
pub mod error;
pub mod home;
pub mod pkcs12;
mod rsa_sign;
pub mod signer;

pub use check::{CertificateWarning, check_certificate_usable};
pub use error::KeyError;
pub use kyso_cms::{DigestAlgorithm, SignatureScheme};
pub use pkcs12::Pkcs12Signer;
pub use signer::Signer;
