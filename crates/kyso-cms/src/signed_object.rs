//! Signatures over "SIGNED{ToBeSigned}" objects (X.509 certificates RFC 5280 §4.1.1.3, CRLs
//! RFC 5280 §5.1.1.3, OCSP BasicOCSPResponse RFC 6960 §4.2.1): a raw to-be-signed encoding,
//! an AlgorithmIdentifier and a BIT STRING, verified with the issuer's RSA key over the raw
//! bytes as they came (never re-encoded).

use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use crate::algorithm::{self, AlgorithmIdentifier, SignatureAlgorithm};
use crate::ber::{self, universal};
use crate::certificate::{CertificateInfo, integer_magnitude};
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::oid;
use crate::verify::SignatureCheck;

/// `SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }`, raw pieces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedObject {
    /// The to-be-signed element exactly as it came (tag and length included).
    pub tbs: Vec<u8>,
    /// signatureAlgorithm
    pub algorithm: AlgorithmIdentifier,
    /// The signature value (the BIT STRING's bytes).
    pub signature: Vec<u8>,
}

impl SignedObject {
    /// Splits a certificate, CRL or BasicOCSPResponse into its three parts.
    pub fn parse(der: &[u8]) -> Result<Self, CmsError> {
        let (outer, _) = ber::parse_tlv(der)?;
        let outer = outer.expect_universal(universal::SEQUENCE, "signed object")?;
        let mut r = outer.children();
        let tbs = r.read("signed object: to-be-signed")?;
        let algorithm = AlgorithmIdentifier::parse(&r.read("signed object: algorithm")?)?;
        let bits = r.read("signed object: signature")?.bit_string()?;
        Ok(SignedObject {
            tbs: tbs.raw.to_vec(),
            algorithm,
            signature: bits.bytes.to_vec(),
        })
    }

    /// Verifies the signature with `issuer`'s public key.
    pub fn verify_with(&self, issuer: &CertificateInfo) -> SignatureCheck {
        let key = match issuer.rsa_public_key() {
            Ok(key) => key,
            Err(e) => return SignatureCheck::UnsupportedKey(e.to_string()),
        };
        let kind = match SignatureAlgorithm::from_identifier(&self.algorithm) {
            Ok(kind) => kind,
            Err(_) => return SignatureCheck::UnsupportedAlgorithm(self.algorithm.oid.clone()),
        };
        verify_rsa(&key, &kind, None, &self.tbs, &self.signature)
    }
}

/// Verifies an RSA signature (RFC 8017 §8.2.2 PKCS#1 v1.5, both DigestInfo forms; §8.1.2
/// PSS with MGF1 over the same hash) over `message`, hashed with the algorithm the signature
/// algorithm names, else with `fallback` (a SignerInfo's digestAlgorithm under rsaEncryption).
pub fn verify_rsa(
    key: &RsaPublicKey,
    kind: &SignatureAlgorithm,
    fallback: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> SignatureCheck {
    let hash = match kind {
        SignatureAlgorithm::RsaPkcs1v15 { digest: Some(d) } => Some(*d),
        SignatureAlgorithm::RsaPkcs1v15 { digest: None } => fallback,
        SignatureAlgorithm::RsaPss(p) => p.hash(),
        SignatureAlgorithm::Unsupported { oid } => {
            return SignatureCheck::UnsupportedAlgorithm(oid.clone());
        }
    };
    let Some(hash) = hash else {
        return SignatureCheck::UnsupportedAlgorithm("unknown hash".into());
    };
    let hashed = hash.digest(message);
    let significant = integer_magnitude(signature);
    if significant.len() > key.size() {
        return SignatureCheck::Invalid;
    }
    let mut sig = vec![0u8; key.size() - significant.len()];
    sig.extend_from_slice(significant);
    let ok = match kind {
        SignatureAlgorithm::RsaPss(p) => {
            if p.mask_gen_oid != oid::MGF1.dotted() || p.mgf_hash_oid != p.hash_oid {
                return SignatureCheck::UnsupportedAlgorithm("RSASSA-PSS variant".into());
            }
            let Ok(salt) = usize::try_from(p.salt_length) else {
                return SignatureCheck::Invalid;
            };
            let scheme = match hash {
                DigestAlgorithm::Sha1 => Pss::new_with_salt::<Sha1>(salt),
                DigestAlgorithm::Sha256 => Pss::new_with_salt::<Sha256>(salt),
                DigestAlgorithm::Sha384 => Pss::new_with_salt::<Sha384>(salt),
                DigestAlgorithm::Sha512 => Pss::new_with_salt::<Sha512>(salt),
            };
            key.verify(scheme, &hashed, &sig).is_ok()
        }
        _ => [
            algorithm::digest_info(hash, &hashed),
            algorithm::digest_info_absent_parameters(hash, &hashed),
        ]
        .iter()
        .any(|di| key.verify(Pkcs1v15Sign::new_unprefixed(), di, &sig).is_ok()),
    };
    if ok {
        SignatureCheck::Valid
    } else {
        SignatureCheck::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &b""[..],
            b"\x30\x00",
            b"\x30\x03\x02\x01\x00",
            b"\x30\x80\x00\x00",
        ] {
            assert!(SignedObject::parse(input).is_err());
        }
    }
}
