//! The one interface every key source implements.

use kyso_cms::{DigestAlgorithm, SignatureScheme};

use crate::error::KeyError;

/// Every key source (PKCS#12 file now; keychain vault and PKCS#11 token later) implements this.
pub trait Signer: Send + Sync {
    /// DER of the signer's certificate.
    fn certificate_der(&self) -> &[u8];
    /// DER of other certificates the key source has (intermediates, root), signer excluded.
    fn chain_der(&self) -> &[Vec<u8>];
    /// Sign `data` (the DER of the CMS signed attributes): hash with `digest`, then RSA with `scheme`.
    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, KeyError>;
    /// Upper bound of the signature length in bytes (RSA modulus size), to size placeholders.
    fn signature_len(&self) -> usize;
}
