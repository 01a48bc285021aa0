//! Algorithm identifiers: how we write them for new signatures and how we read them from
//! others' signatures.
//!
//! - Digest algorithms in SignedData/SignerInfo: parameters absent (RFC 5754 §2), as OpenSSL
//!   and pyHanko emit.
//! - PKCS#1 v1.5 signatures: `rsaEncryption` with NULL parameters (RFC 3370 §3.2); the digest
//!   is given by the SignerInfo's digestAlgorithm. `sha*WithRSAEncryption` is accepted when
//!   reading.
//! - RSASSA-PSS: `id-RSASSA-PSS` with RSASSA-PSS-params (RFC 4055 §3.1); inside them the hash
//!   identifiers carry NULL parameters as RFC 4055 §2.1 prescribes.

use crate::ber::{Reader, Tlv, universal};
use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::oid;

/// RSA signature scheme for new signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2). What Vietnamese government signers use.
    RsaPkcs1v15,
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and salt length = hash length.
    RsaPss,
}

/// An AlgorithmIdentifier as read (RFC 5280 §4.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmIdentifier {
    /// Dotted OID.
    pub oid: String,
    /// Raw encoding of the parameters, when present (NULL included).
    pub parameters: Option<Vec<u8>>,
}

impl AlgorithmIdentifier {
    /// Reads `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
    pub fn parse(tlv: &Tlv<'_>) -> Result<Self, CmsError> {
        if !tlv.is_universal(universal::SEQUENCE) {
            return Err(CmsError::malformed("AlgorithmIdentifier: not a SEQUENCE"));
        }
        let mut r = tlv.children();
        let oid = r.read("AlgorithmIdentifier.algorithm")?.oid()?;
        let parameters = r.next_tlv()?.map(|p| p.raw.to_vec());
        Ok(AlgorithmIdentifier { oid, parameters })
    }

    /// The digest algorithm it names, if it names one we implement.
    pub fn digest_algorithm(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_oid(&self.oid)
    }

    /// True when the parameters are absent or NULL (both are legal for hashes, RFC 4055 §2.1).
    pub fn has_absent_or_null_parameters(&self) -> bool {
        match &self.parameters {
            None => true,
            Some(p) => p.as_slice() == [0x05, 0x00],
        }
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1), defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PssParameters {
    /// hashAlgorithm, dotted OID (default SHA-1).
    pub hash_oid: String,
    /// maskGenAlgorithm, dotted OID (default MGF1).
    pub mask_gen_oid: String,
    /// The hash inside MGF1, dotted OID (default SHA-1).
    pub mgf_hash_oid: String,
    /// saltLength (default 20).
    pub salt_length: u64,
    /// trailerField (default 1, the only value defined).
    pub trailer_field: u64,
}

impl PssParameters {
    /// The message hash, if we implement it.
    pub fn hash(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_oid(&self.hash_oid)
    }

    /// Reads RSASSA-PSS-params from the raw parameters (absent = all defaults).
    pub fn parse(parameters: Option<&[u8]>) -> Result<Self, CmsError> {
        let mut params = PssParameters {
            hash_oid: oid::SHA1.dotted().to_string(),
            mask_gen_oid: oid::MGF1.dotted().to_string(),
            mgf_hash_oid: oid::SHA1.dotted().to_string(),
            salt_length: 20,
            trailer_field: 1,
        };
        let Some(raw) = parameters else {
            return Ok(params);
        };
        let (seq, _) = crate::ber::parse_tlv(raw)?;
        if seq.is_universal(universal::NULL) {
            return Ok(params);
        }
        let seq = seq.expect_universal(universal::SEQUENCE, "RSASSA-PSS-params")?;
        let mut r = seq.children();
        if let Some(hash) = r.optional_context(0)? {
            let alg = explicit_algorithm(&hash, "RSASSA-PSS-params.hashAlgorithm")?;
            params.hash_oid = alg.oid;
        }
        if let Some(mgf) = r.optional_context(1)? {
            let alg = explicit_algorithm(&mgf, "RSASSA-PSS-params.maskGenAlgorithm")?;
            params.mask_gen_oid = alg.oid;
            if let Some(inner) = alg.parameters {
                let (inner, _) = crate::ber::parse_tlv(&inner)?;
                params.mgf_hash_oid = AlgorithmIdentifier::parse(&inner)?.oid;
            }
        }
        if let Some(salt) = r.optional_context(2)? {
            params.salt_length = explicit_uint(&salt, "RSASSA-PSS-params.saltLength")?;
        }
        if let Some(trailer) = r.optional_context(3)? {
            params.trailer_field = explicit_uint(&trailer, "RSASSA-PSS-params.trailerField")?;
        }
        Ok(params)
    }
}

fn explicit_algorithm(tlv: &Tlv<'_>, what: &str) -> Result<AlgorithmIdentifier, CmsError> {
    let mut r: Reader<'_> = tlv.children();
    AlgorithmIdentifier::parse(&r.read(what)?)
}

fn explicit_uint(tlv: &Tlv<'_>, what: &str) -> Result<u64, CmsError> {
    tlv.children().read(what)?.uint()
}

/// A SignerInfo's signatureAlgorithm, interpreted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5. `digest` is None for `rsaEncryption` (the SignerInfo's
    /// digestAlgorithm applies) and Some for `sha*WithRSAEncryption`.
    RsaPkcs1v15 {
        /// Hash named by the signature OID itself, if any.
        digest: Option<DigestAlgorithm>,
    },
    /// RSASSA-PSS with its parameters.
    RsaPss(PssParameters),
    /// Anything else (ECDSA, DSA, sha224WithRSA...): reported, not verified.
    Unsupported {
        /// Dotted OID.
        oid: String,
    },
}

impl SignatureAlgorithm {
    /// Interprets an AlgorithmIdentifier.
    pub fn from_identifier(alg: &AlgorithmIdentifier) -> Result<Self, CmsError> {
        let digest = match alg.oid.as_str() {
            o if o == oid::RSA_ENCRYPTION.dotted() => None,
            oid::SHA1_WITH_RSA => Some(DigestAlgorithm::Sha1),
            oid::SHA256_WITH_RSA => Some(DigestAlgorithm::Sha256),
            oid::SHA384_WITH_RSA => Some(DigestAlgorithm::Sha384),
            oid::SHA512_WITH_RSA => Some(DigestAlgorithm::Sha512),
            o if o == oid::RSASSA_PSS.dotted() => {
                return Ok(SignatureAlgorithm::RsaPss(PssParameters::parse(
                    alg.parameters.as_deref(),
                )?));
            }
            other => {
                return Ok(SignatureAlgorithm::Unsupported {
                    oid: other.to_string(),
                });
            }
        };
        Ok(SignatureAlgorithm::RsaPkcs1v15 { digest })
    }
}

/// `AlgorithmIdentifier { id-shaX }` with parameters absent (RFC 5754 §2).
pub fn digest_algorithm_identifier(alg: DigestAlgorithm) -> Vec<u8> {
    der::sequence(&[&der::oid(&alg.known_oid())])
}

/// `AlgorithmIdentifier { id-shaX, NULL }` (RFC 4055 §2.1, RFC 8017 §9.2 note 1).
fn digest_algorithm_identifier_with_null(alg: DigestAlgorithm) -> Vec<u8> {
    der::sequence(&[&der::oid(&alg.known_oid()), &der::null()])
}

/// The signatureAlgorithm of a new SignerInfo.
///
/// - PKCS#1 v1.5: `rsaEncryption` with NULL parameters (RFC 3370 §3.2).
/// - PSS: `id-RSASSA-PSS` with `{ hashAlgorithm [0], maskGenAlgorithm [1] MGF1(same hash),
///   saltLength [2] = hash length }`, trailerField left at its default (RFC 4055 §3.1).
pub fn signature_algorithm_identifier(scheme: SignatureScheme, digest: DigestAlgorithm) -> Vec<u8> {
    match scheme {
        SignatureScheme::RsaPkcs1v15 => {
            der::sequence(&[&der::oid(&oid::RSA_ENCRYPTION), &der::null()])
        }
        SignatureScheme::RsaPss => {
            let hash = digest_algorithm_identifier_with_null(digest);
            let mgf = der::sequence(&[&der::oid(&oid::MGF1), &hash]);
            let params = der::sequence(&[
                &der::context(0, &hash),
                &der::context(1, &mgf),
                &der::context(2, &der::uint(digest.output_len() as u64)),
            ]);
            der::sequence(&[&der::oid(&oid::RSASSA_PSS), &params])
        }
    }
}

/// DigestInfo (RFC 8017 §9.2 step 2): what PKCS#1 v1.5 signs, with NULL hash parameters
/// (the encoding RFC 8017 §9.2 note 1 lists). Also what a PKCS#11 `CKM_RSA_PKCS` token signs.
pub fn digest_info(alg: DigestAlgorithm, hash: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &digest_algorithm_identifier_with_null(alg),
        &der::octet_string(hash),
    ])
}

/// DigestInfo with absent hash parameters: some old signers emit it; accepted on verify only.
pub(crate) fn digest_info_absent_parameters(alg: DigestAlgorithm, hash: &[u8]) -> Vec<u8> {
    der::sequence(&[&digest_algorithm_identifier(alg), &der::octet_string(hash)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn digest_info_prefix_matches_rfc8017() {
        // RFC 8017 §9.2 note 1: SHA-256 prefix.
        let di = digest_info(DigestAlgorithm::Sha256, &[0u8; 32]);
        assert_eq!(hex(&di[..19]), "3031300d060960864801650304020105000420");
        let di = digest_info(DigestAlgorithm::Sha512, &[0u8; 64]);
        assert_eq!(hex(&di[..19]), "3051300d060960864801650304020305000440");
        let di = digest_info(DigestAlgorithm::Sha1, &[0u8; 20]);
        assert_eq!(hex(&di[..15]), "3021300906052b0e03021a05000414");
    }

    #[test]
    fn pss_identifier_round_trips() {
        for alg in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let enc = signature_algorithm_identifier(SignatureScheme::RsaPss, alg);
            let (tlv, rest) = crate::ber::parse_tlv(&enc).unwrap();
            assert!(rest.is_empty());
            let id = AlgorithmIdentifier::parse(&tlv).unwrap();
            let SignatureAlgorithm::RsaPss(p) = SignatureAlgorithm::from_identifier(&id).unwrap()
            else {
                panic!("not PSS")
            };
            assert_eq!(p.hash(), Some(alg));
            assert_eq!(p.mgf_hash_oid, alg.oid());
            assert_eq!(p.mask_gen_oid, oid::MGF1.dotted());
            assert_eq!(p.salt_length, alg.output_len() as u64);
            assert_eq!(p.trailer_field, 1);
        }
    }

    #[test]
    fn pss_defaults() {
        let p = PssParameters::parse(Some(&[0x30, 0x00])).unwrap();
        assert_eq!(p.hash(), Some(DigestAlgorithm::Sha1));
        assert_eq!(p.salt_length, 20);
    }

    #[test]
    fn pkcs1_identifier() {
        let enc =
            signature_algorithm_identifier(SignatureScheme::RsaPkcs1v15, DigestAlgorithm::Sha256);
        assert_eq!(hex(&enc), "300d06092a864886f70d0101010500");
        let enc = digest_algorithm_identifier(DigestAlgorithm::Sha256);
        assert_eq!(hex(&enc), "300b0609608648016503040201");
    }
}
