//! kyso-keys: key sources behind one [`Signer`] trait.
//!
//! PKCS#12 files ([`Pkcs12Signer`]), the keychain vault ([`VaultSigner`], [`identity`]) and
//! PKCS#11 tokens ([`TokenSigner`], [`token`]).
//! Private keys stay in zeroizing types; passwords and keys are never logged or displayed.

pub mod check;
pub mod error;
pub mod home;
pub mod identity;
pub mod keychain;
pub mod pkcs12;
mod rsa_sign;
pub mod signer;
pub mod token;
pub mod token_info;
pub mod vault;

pub use check::{CertificateWarning, check_certificate_usable};
pub use error::KeyError;
pub use identity::{Identity, Registry, Source, VaultSigner};
pub use kyso_cms::{DigestAlgorithm, SignatureScheme};
pub use pkcs12::Pkcs12Signer;
pub use signer::Signer;
pub use token::TokenSigner;
