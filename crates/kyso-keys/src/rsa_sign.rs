//! RSA signing of CMS signed attributes with a key held in memory: RSASSA-PKCS1-v1_5
//! (RFC 8017 §8.2.1) over a DigestInfo, or RSASSA-PSS (RFC 8017 §8.1.1) with MGF1 over the same
//! hash and salt length = hash length (RFC 4055 §3.1). Blinded with the OS RNG, and every
//! signature is verified before it is returned (guards against faulty CRT computations).

use kyso_cms::{DigestAlgorithm, SignatureScheme, digest_info};
use rand::rngs::OsRng;
use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::KeyError;

fn pss(digest: DigestAlgorithm) -> Result<Pss, KeyError> {
    match digest {
        DigestAlgorithm::Sha256 => Ok(Pss::new::<Sha256>()),
        DigestAlgorithm::Sha384 => Ok(Pss::new::<Sha384>()),
        DigestAlgorithm::Sha512 => Ok(Pss::new::<Sha512>()),
        DigestAlgorithm::Sha1 => Err(KeyError::UnsupportedDigest(digest.name())),
    }
}

/// Hashes `data` with `digest` and signs the hash with `scheme`.
pub(crate) fn sign_rsa(
    key: &RsaPrivateKey,
    public: &RsaPublicKey,
    data: &[u8],
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
) -> Result<Vec<u8>, KeyError> {
    if !digest.allowed_for_new_signatures() {
        return Err(KeyError::UnsupportedDigest(digest.name()));
    }
    let hash = digest.digest(data);
    let failed = |e: rsa::Error| KeyError::SigningFailed(e.to_string());
    let signature = match scheme {
        SignatureScheme::RsaPkcs1v15 => {
            let info = digest_info(digest, &hash);
            let sig = key
                .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new_unprefixed(), &info)
                .map_err(failed)?;
            public
                .verify(Pkcs1v15Sign::new_unprefixed(), &info, &sig)
                .map_err(|_| KeyError::SigningFailed("the new signature did not verify".into()))?;
            sig
        }
        SignatureScheme::RsaPss => {
            let sig = key
                .sign_with_rng(&mut OsRng, pss(digest)?, &hash)
                .map_err(failed)?;
            public
                .verify(pss(digest)?, &hash, &sig)
                .map_err(|_| KeyError::SigningFailed("the new signature did not verify".into()))?;
            sig
        }
    };
    Ok(signature)
}
