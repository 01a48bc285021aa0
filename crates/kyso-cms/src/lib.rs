//! kyso-cms: CMS SignedData for PAdES signatures, and the X.509 certificate facts they need.
//!
//! - Building: strict DER, written by our own small writer ([`der`]): [`signed_attributes`]
//!   then (after the key source signed [`SignedAttributes::to_be_signed`]) [`signed_data`].
//! - Reading: a lenient BER reader ([`ber`]) behind [`parse_signed_data`] and
//!   [`CertificateInfo::from_der`]; raw bytes are kept and verified as they came
//!   ([`verify_signer`]).
//! - Revocation data, read the same way: CRLs ([`crl`]) and OCSP ([`ocsp`], which also builds
//!   the request).
//! - Time-stamps (RFC 3161): the request to send and the checks of the answer ([`tsp`]),
//!   the TSTInfo of a token ([`tst`]).
//!
//! No function panics on any input.

pub mod algorithm;
pub mod attributes;
pub mod ber;
pub mod certificate;
pub mod crl;
pub mod der;
pub mod digest;
pub mod error;
pub mod extensions;
pub mod name;
pub mod ocsp;
pub mod oid;
pub mod parse;
pub mod signed_data;
pub mod signed_object;
pub mod time;
pub mod tsp;
pub mod tst;
pub mod verify;

pub use algorithm::{
    AlgorithmIdentifier, PssParameters, SignatureAlgorithm, SignatureScheme, digest_info,
};
pub use attributes::{
    EssCertId, EssIssuerSerial, RevocationInfoArchival, SignedAttributeValues, SignedAttributes,
    signed_attributes,
};
pub use certificate::{CertificateInfo, KeyUsage, PublicKeyInfo};
pub use crl::{Crl, RevokedEntry};
pub use digest::{DigestAlgorithm, Hasher};
pub use error::CmsError;
pub use extensions::CertificateExtensions;
pub use ocsp::{
    BasicOcspResponse, CertId, CertStatus, NonceCheck, OcspRequest, OcspResponse, ResponderCheck,
    ResponderId, ResponseStatus, SingleResponse,
};
pub use parse::{ParsedSignedData, ParsedSignerInfo, SignerIdentifier, parse_signed_data};
pub use signed_data::{signed_data, signed_data_with_unsigned_attributes};
pub use signed_object::{SignedObject, verify_rsa};
pub use tsp::{CheckedTimestamp, TimestampRequest, TspError, check_response, timestamp_attribute};
pub use tst::{Accuracy, TstInfo};
pub use verify::{
    DigestCheck, SignatureCheck, SignerVerification, SigningCertificateCheck,
    find_signer_certificate, verify_signer,
};
