//! Verifying one SignerInfo of a parsed SignedData (RFC 5652 §5.6): the RSA signature over the
//! signed attributes as they came (RFC 8017 §8.2.2 PKCS#1 v1.5, §8.1.2 PSS), the
//! message-digest against the content digest the caller computed, content-type against
//! eContentType (RFC 5652 §11.1), and signing-certificate(-v2) against the signer certificate
//! (RFC 5035 §5.4). Certificate trust and revocation are not checked here.

use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use crate::algorithm::{self, SignatureAlgorithm};
use crate::attributes::EssCertId;
use crate::certificate::{CertificateInfo, integer_magnitude};
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::oid;
use crate::parse::{ParsedSignedData, ParsedSignerInfo, SignerIdentifier};

/// Outcome of the cryptographic signature check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature verifies with the signer certificate's key.
    Valid,
    /// It does not: the signed attributes or the signature were changed, or another key signed.
    Invalid,
    /// No embedded certificate matches the SignerInfo's sid.
    CertificateNotFound,
    /// A digest or signature algorithm we do not implement (dotted OID or description).
    UnsupportedAlgorithm(String),
    /// The signer certificate's key is not a usable RSA key.
    UnsupportedKey(String),
    /// No signed attributes, so the signature is over the content digest itself, and the
    /// caller did not give one.
    ContentDigestNeeded,
}

/// Outcome of the message-digest check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DigestCheck {
    /// message-digest equals the expected content digest.
    Matches,
    /// It differs: the signed content was changed.
    Mismatch,
    /// No expected digest was given.
    NotChecked,
    /// Signed attributes are present but hold no message-digest (RFC 5652 §5.3 violation).
    MissingAttribute,
    /// No signed attributes: the signature itself was checked over the expected digest.
    CoveredBySignature,
}

/// Outcome of the signing-certificate(-v2) check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningCertificateCheck {
    /// The first ESSCertID(v2) names the signer certificate (hash, and issuerSerial if present).
    Matches,
    /// It names another certificate: possible certificate substitution.
    Mismatch,
    /// Neither attribute is present (allowed for CMS, required for PAdES baseline).
    Absent,
    /// Not checked: no signer certificate, or an unsupported hash algorithm.
    NotChecked,
}

/// Everything learned about one signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerVerification {
    /// Index of the SignerInfo.
    pub signer_index: usize,
    /// Index in `ParsedSignedData::certificates` of the signer certificate, if found.
    pub certificate_index: Option<usize>,
    /// The signer certificate, if found.
    pub certificate: Option<CertificateInfo>,
    /// The SignerInfo's digest algorithm, if we implement it.
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// RSA signature check.
    pub signature: SignatureCheck,
    /// message-digest check.
    pub message_digest: DigestCheck,
    /// content-type attribute equals eContentType (true when there are no signed attributes).
    pub content_type_matches: bool,
    /// signing-certificate(-v2) check.
    pub signing_certificate: SigningCertificateCheck,
}

impl SignerVerification {
    /// The signature is cryptographically intact over the expected content: signature valid,
    /// digest checked and equal, content-type consistent, no certificate substitution.
    pub fn is_intact(&self) -> bool {
        self.signature == SignatureCheck::Valid
            && matches!(
                self.message_digest,
                DigestCheck::Matches | DigestCheck::CoveredBySignature
            )
            && self.content_type_matches
            && self.signing_certificate != SigningCertificateCheck::Mismatch
    }
}

/// Finds the certificate named by the SignerInfo's sid among the embedded certificates.
pub fn find_signer_certificate(
    parsed: &ParsedSignedData,
    signer_index: usize,
) -> Result<Option<(usize, CertificateInfo)>, CmsError> {
    let signer = signer_at(parsed, signer_index)?;
    for (i, der) in parsed.certificates.iter().enumerate() {
        let Ok(cert) = CertificateInfo::from_der(der) else {
            continue;
        };
        let matches = match &signer.sid {
            SignerIdentifier::IssuerAndSerialNumber { issuer_der, serial } => {
                cert.matches_issuer_serial(issuer_der, serial)
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                cert.subject_key_identifier.as_deref() == Some(ski.as_slice())
            }
        };
        if matches {
            return Ok(Some((i, cert)));
        }
    }
    Ok(None)
}

fn signer_at(parsed: &ParsedSignedData, index: usize) -> Result<&ParsedSignerInfo, CmsError> {
    parsed
        .signer_infos
        .get(index)
        .ok_or(CmsError::NoSuchSigner {
            index,
            count: parsed.signer_infos.len(),
        })
}

/// Verifies SignerInfo `signer_index`. `expected_content_digest` is the digest of the signed
/// content (for PDF: the byte ranges) computed with the SignerInfo's digest algorithm; when
/// None the message-digest is not compared.
pub fn verify_signer(
    parsed: &ParsedSignedData,
    signer_index: usize,
    expected_content_digest: Option<&[u8]>,
) -> Result<SignerVerification, CmsError> {
    let signer = signer_at(parsed, signer_index)?;
    let found = find_signer_certificate(parsed, signer_index)?;
    let digest_algorithm = signer.digest_algorithm.digest_algorithm();

    let message_digest = match (&signer.signed_attributes, expected_content_digest) {
        (None, Some(_)) => DigestCheck::CoveredBySignature,
        (None, None) => DigestCheck::NotChecked,
        (Some(attrs), expected) => match (&attrs.message_digest, expected) {
            (None, _) => DigestCheck::MissingAttribute,
            (Some(_), None) => DigestCheck::NotChecked,
            (Some(actual), Some(expected)) if actual.as_slice() == expected => DigestCheck::Matches,
            (Some(_), Some(_)) => DigestCheck::Mismatch,
        },
    };

    let content_type_matches = match &signer.signed_attributes {
        None => true,
        Some(attrs) => attrs.content_type.as_deref() == Some(parsed.encap_content_type.as_str()),
    };

    let (signature, signing_certificate) = match &found {
        None => (
            SignatureCheck::CertificateNotFound,
            SigningCertificateCheck::NotChecked,
        ),
        Some((_, cert)) => (
            check_signature(signer, digest_algorithm, cert, expected_content_digest),
            check_signing_certificate(signer, cert),
        ),
    };

    let (certificate_index, certificate) = match found {
        Some((i, cert)) => (Some(i), Some(cert)),
        None => (None, None),
    };
    Ok(SignerVerification {
        signer_index,
        certificate_index,
        certificate,
        digest_algorithm,
        signature,
        message_digest,
        content_type_matches,
        signing_certificate,
    })
}

fn check_signature(
    signer: &ParsedSignerInfo,
    digest_algorithm: Option<DigestAlgorithm>,
    cert: &CertificateInfo,
    expected_content_digest: Option<&[u8]>,
) -> SignatureCheck {
    let key = match cert.rsa_public_key() {
        Ok(key) => key,
        Err(e) => return SignatureCheck::UnsupportedKey(e.to_string()),
    };
    // The hash the signature is over: named by the signature algorithm when it names one
    // (sha256WithRSAEncryption, PSS params), else the SignerInfo's digestAlgorithm.
    let hash_alg = match &signer.signature_kind {
        SignatureAlgorithm::RsaPkcs1v15 { digest: Some(d) } => Some(*d),
        SignatureAlgorithm::RsaPkcs1v15 { digest: None } => digest_algorithm,
        SignatureAlgorithm::RsaPss(p) => p.hash(),
        SignatureAlgorithm::Unsupported { oid } => {
            return SignatureCheck::UnsupportedAlgorithm(oid.clone());
        }
    };
    let Some(hash_alg) = hash_alg else {
        return SignatureCheck::UnsupportedAlgorithm(signer.digest_algorithm.oid.clone());
    };
    let hashed = match (&signer.signed_attrs_der, expected_content_digest) {
        (Some(attrs), _) => hash_alg.digest(attrs),
        (None, Some(content_digest)) => content_digest.to_vec(),
        (None, None) => return SignatureCheck::ContentDigestNeeded,
    };
    let Some(sig) = normalize_signature(&signer.signature, key.size()) else {
        return SignatureCheck::Invalid;
    };

    let ok = match &signer.signature_kind {
        SignatureAlgorithm::RsaPss(p) => {
            if p.mask_gen_oid != oid::MGF1.dotted()
                || p.mgf_hash_oid != p.hash_oid
                || p.trailer_field != 1
            {
                return SignatureCheck::UnsupportedAlgorithm(format!(
                    "RSASSA-PSS with mask generation {} over {} and trailer {}",
                    p.mask_gen_oid, p.mgf_hash_oid, p.trailer_field
                ));
            }
            let Ok(salt) = usize::try_from(p.salt_length) else {
                return SignatureCheck::Invalid;
            };
            verify_pss(&key, hash_alg, salt, &hashed, &sig)
        }
        _ => {
            // RFC 8017 §8.2.2 step 3-4 with both DigestInfo encodings (NULL or absent params).
            [
                algorithm::digest_info(hash_alg, &hashed),
                algorithm::digest_info_absent_parameters(hash_alg, &hashed),
            ]
            .iter()
            .any(|di| key.verify(Pkcs1v15Sign::new_unprefixed(), di, &sig).is_ok())
        }
    };
    if ok {
        SignatureCheck::Valid
    } else {
        SignatureCheck::Invalid
    }
}

fn verify_pss(
    key: &RsaPublicKey,
    hash: DigestAlgorithm,
    salt: usize,
    hashed: &[u8],
    sig: &[u8],
) -> bool {
    let scheme = match hash {
        DigestAlgorithm::Sha1 => Pss::new_with_salt::<Sha1>(salt),
        DigestAlgorithm::Sha256 => Pss::new_with_salt::<Sha256>(salt),
        DigestAlgorithm::Sha384 => Pss::new_with_salt::<Sha384>(salt),
        DigestAlgorithm::Sha512 => Pss::new_with_salt::<Sha512>(salt),
    };
    key.verify(scheme, hashed, sig).is_ok()
}

/// Some signers drop leading zero octets of the signature: pad back to the modulus length.
fn normalize_signature(sig: &[u8], key_len: usize) -> Option<Vec<u8>> {
    let significant = integer_magnitude(sig);
    if significant.len() > key_len {
        return None;
    }
    let mut out = vec![0u8; key_len - significant.len()];
    out.extend_from_slice(significant);
    Some(out)
}

fn check_signing_certificate(
    signer: &ParsedSignerInfo,
    cert: &CertificateInfo,
) -> SigningCertificateCheck {
    let Some(attrs) = &signer.signed_attributes else {
        return SigningCertificateCheck::Absent;
    };
    // RFC 5035 §4: the first ESSCertID(v2) identifies the signer certificate.
    let first = match (&attrs.signing_certificate_v2, &attrs.signing_certificate) {
        (Some(v2), _) => v2.first(),
        (None, Some(v1)) => v1.first(),
        (None, None) => return SigningCertificateCheck::Absent,
    };
    let Some(id) = first else {
        return SigningCertificateCheck::Mismatch;
    };
    ess_cert_id_matches(id, cert)
}

fn ess_cert_id_matches(id: &EssCertId, cert: &CertificateInfo) -> SigningCertificateCheck {
    let Some(alg) = DigestAlgorithm::from_oid(&id.hash_algorithm) else {
        return SigningCertificateCheck::NotChecked;
    };
    if alg.digest(&cert.der) != id.cert_hash {
        return SigningCertificateCheck::Mismatch;
    }
    if let Some(is) = &id.issuer_serial {
        let named = is
            .directory_names
            .iter()
            .any(|name| cert.matches_issuer_serial(name, &is.serial));
        if !named {
            return SigningCertificateCheck::Mismatch;
        }
    }
    SigningCertificateCheck::Matches
}
