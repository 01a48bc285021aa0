//! X.509 CRLs (RFC 5280 §5.1), read leniently, raw bytes kept for signature verification.
//!
//! ```text
//! CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue }
//! TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier,
//!     issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
//!     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
//!         revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
//!     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
//! ```

use crate::ber::{self, universal};
use crate::certificate::{CertificateInfo, integer_magnitude};
use crate::error::CmsError;
use crate::name::parse_name;
use crate::signed_object::SignedObject;
use crate::time::parse_time;
use crate::verify::SignatureCheck;

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial number magnitude (no sign padding).
    pub serial: Vec<u8>,
    /// revocationDate, Unix seconds.
    pub revocation_time: i64,
}

/// A CRL as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crl {
    /// Raw issuer Name.
    pub issuer_der: Vec<u8>,
    /// Issuer, display form.
    pub issuer: String,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// revokedCertificates.
    pub revoked: Vec<RevokedEntry>,
    /// The three raw parts, for verification.
    pub signed: SignedObject,
}

impl Crl {
    /// Parses a DER/BER CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let signed = SignedObject::parse(der)?;
        let (tbs, _) = ber::parse_tlv(&signed.tbs)?;
        let tbs = tbs.expect_universal(universal::SEQUENCE, "TBSCertList")?;
        let mut r = tbs.children();
        let mut first = r.read("TBSCertList")?;
        if first.is_universal(universal::INTEGER) {
            first = r.read("TBSCertList.signature")?;
        }
        if !first.is_universal(universal::SEQUENCE) {
            return Err(CmsError::malformed("TBSCertList.signature"));
        }
        let issuer = r.expect(universal::SEQUENCE, "TBSCertList.issuer")?;
        let this_update = parse_time(&r.read("TBSCertList.thisUpdate")?)?;
        let mut next_update = None;
        let mut revoked = Vec::new();
        while let Some(item) = r.next_tlv()? {
            if item.is_universal(universal::UTC_TIME)
                || item.is_universal(universal::GENERALIZED_TIME)
            {
                next_update = Some(parse_time(&item)?);
            } else if item.is_universal(universal::SEQUENCE) {
                let mut entries = item.children();
                while let Some(entry) = entries.next_tlv()? {
                    let mut e = entry.children();
                    let serial = e.read("revoked.userCertificate")?.integer_bytes()?;
                    let when = parse_time(&e.read("revoked.revocationDate")?)?;
                    revoked.push(RevokedEntry {
                        serial: integer_magnitude(serial).to_vec(),
                        revocation_time: when,
                    });
                }
            }
        }
        Ok(Crl {
            issuer_der: issuer.raw.to_vec(),
            issuer: parse_name(&issuer)?.display,
            this_update,
            next_update,
            revoked,
            signed,
        })
    }

    /// Whether this CRL was issued by `issuer` (same Name) and its signature verifies.
    pub fn verify_issued_by(&self, issuer: &CertificateInfo) -> bool {
        (self.issuer_der == issuer.subject_der || self.issuer == issuer.subject)
            && self.signed.verify_with(issuer) == SignatureCheck::Valid
    }

    /// The entry for `cert`, if it is listed.
    pub fn find(&self, cert: &CertificateInfo) -> Option<&RevokedEntry> {
        let serial = integer_magnitude(cert.serial_bytes());
        self.revoked.iter().find(|e| e.serial == serial)
    }
}
