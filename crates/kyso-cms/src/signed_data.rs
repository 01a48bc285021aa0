//! Building CMS SignedData (RFC 5652 §5) for a detached PAdES signature, in strict DER.
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
//! SignedData ::= SEQUENCE {
//!   version 1, digestAlgorithms SET OF DigestAlgorithmIdentifier,
//!   encapContentInfo { eContentType id-data }            -- detached: no eContent
//!   certificates [0] IMPLICIT CertificateSet,             -- signer first, then chain
//!   signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE {
//!   version 1, sid IssuerAndSerialNumber, digestAlgorithm,
//!   signedAttrs [0] IMPLICIT, signatureAlgorithm, signature OCTET STRING,
//!   unsignedAttrs [1] IMPLICIT OPTIONAL }                 -- later: the timestamp token
//! ```
//!
//! The certificates are written in the order signer, chain (as pyHanko does) rather than in
//! DER SET OF order: verifiers find the signer by its sid, and some simple tools take the first
//! certificate. Nothing signed depends on that order.

use crate::algorithm::{self, SignatureScheme};
use crate::attributes::SignedAttributes;
use crate::ber::{self, universal};
use crate::certificate::CertificateInfo;
use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::oid;

/// A complete DER ContentInfo holding a detached SignedData with one signer.
///
/// `signature` is the RSA signature over `attrs.to_be_signed()`, made with `digest` and
/// `scheme`; `other_certs` are the chain (duplicates and copies of the signer are dropped).
pub fn signed_data(
    attrs: &SignedAttributes,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    signature: &[u8],
    signer_cert_der: &[u8],
    other_certs: &[Vec<u8>],
) -> Result<Vec<u8>, CmsError> {
    signed_data_with_unsigned_attributes(
        attrs,
        digest,
        scheme,
        signature,
        signer_cert_der,
        other_certs,
        &[],
    )
}

/// As [`signed_data`], plus unsigned attributes (each a DER `Attribute`, e.g. the
/// id-aa-timeStampToken of RFC 3161 Appendix A) in `unsignedAttrs [1] IMPLICIT`.
pub fn signed_data_with_unsigned_attributes(
    attrs: &SignedAttributes,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    signature: &[u8],
    signer_cert_der: &[u8],
    other_certs: &[Vec<u8>],
    unsigned_attributes: &[Vec<u8>],
) -> Result<Vec<u8>, CmsError> {
    if !digest.allowed_for_new_signatures() {
        return Err(CmsError::UnsupportedAlgorithm(format!(
            "{} is not allowed for new signatures",
            digest.name()
        )));
    }
    if signature.is_empty() {
        return Err(CmsError::InvalidInput("the signature is empty".into()));
    }
    let signer = CertificateInfo::from_der(signer_cert_der)?;
    attrs.check_consistent_with(digest, &signer)?;
    for attr in unsigned_attributes {
        check_single_element(attr, universal::SEQUENCE, "unsigned attribute")?;
    }

    let mut certificates: Vec<&[u8]> = vec![&signer.der];
    for cert in other_certs {
        check_single_element(cert, universal::SEQUENCE, "certificate")?;
        if !certificates.contains(&cert.as_slice()) {
            certificates.push(cert);
        }
    }

    let signer_info = signer_info(
        attrs,
        digest,
        scheme,
        signature,
        &signer,
        unsigned_attributes,
    );
    let digest_alg = algorithm::digest_algorithm_identifier(digest);
    let signed_data = der::sequence(&[
        &der::uint(1),
        &der::set_of(&[digest_alg]),
        &der::sequence(&[&der::oid(&oid::ID_DATA)]),
        &der::context(0, &certificates.concat()),
        &der::set_of(&[signer_info]),
    ]);
    Ok(der::sequence(&[
        &der::oid(&oid::ID_SIGNED_DATA),
        &der::context(0, &signed_data),
    ]))
}

/// SignerInfo version 1 with IssuerAndSerialNumber (RFC 5652 §5.3).
fn signer_info(
    attrs: &SignedAttributes,
    digest: DigestAlgorithm,
    scheme: SignatureScheme,
    signature: &[u8],
    signer: &CertificateInfo,
    unsigned_attributes: &[Vec<u8>],
) -> Vec<u8> {
    let sid = der::sequence(&[&signer.issuer_der, &signer.serial_der]);
    let mut parts: Vec<Vec<u8>> = vec![
        der::uint(1),
        sid,
        algorithm::digest_algorithm_identifier(digest),
        attrs.to_implicit_tagged(),
        algorithm::signature_algorithm_identifier(scheme, digest),
        der::octet_string(signature),
    ];
    if !unsigned_attributes.is_empty() {
        parts.push(der::tlv(
            der::tag::CONTEXT_CONSTRUCTED | 1,
            &der::sorted_set_contents(unsigned_attributes),
        ));
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    der::sequence(&refs)
}

/// `bytes` must be exactly one element with universal tag `number`.
fn check_single_element(bytes: &[u8], number: u32, what: &str) -> Result<(), CmsError> {
    let invalid = || CmsError::InvalidInput(format!("a {what} is not a single DER element"));
    let (tlv, rest) = ber::parse_tlv(bytes).map_err(|_| invalid())?;
    if !rest.is_empty() || !tlv.is_universal(number) || tlv.indefinite {
        return Err(invalid());
    }
    Ok(())
}
