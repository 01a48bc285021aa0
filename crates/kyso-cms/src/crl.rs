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
//!
//! Of the entry extensions, reasonCode (RFC 5280 §5.3.1) is read.
//!
//! The revoked entries are checked once when the CRL is read and then kept as their raw
//! bytes: a lookup walks them again. A CRL of millions of entries (a few dozen bytes each)
//! then costs its own size in memory, not a struct and an allocation per entry.

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
    /// The reasonCode entry extension (CRLReason, RFC 5280 §5.3.1), when present and
    /// readable.
    pub reason: Option<u64>,
}

/// id-ce-cRLReasons
const EXT_CRL_REASON: &str = "2.5.29.21";

/// The reasonCode among `crlEntryExtensions`; None when absent or unreadable (it is never a
/// reason to refuse the CRL).
fn entry_reason(extensions: &ber::Tlv<'_>) -> Option<u64> {
    let mut r = extensions.children();
    while let Ok(Some(ext)) = r.next_tlv() {
        let mut e = ext.children();
        if e.read("Extension.extnID").ok()?.oid().ok()? != EXT_CRL_REASON {
            continue;
        }
        let _critical = e.optional_universal(universal::BOOLEAN).ok()?;
        let value = e.expect(universal::OCTET_STRING, "extnValue").ok()?;
        let value = value.octets().ok()?;
        let (reason, _) = ber::parse_tlv(&value).ok()?;
        return reason.enumerated().ok();
    }
    None
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
    /// The raw revokedCertificates element (a SEQUENCE OF), when present; every entry was
    /// read once by [`Crl::from_der`], see [`Crl::entries`].
    revoked: Option<Vec<u8>>,
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
        let mut revoked = None;
        while let Some(item) = r.next_tlv()? {
            if item.is_universal(universal::UTC_TIME)
                || item.is_universal(universal::GENERALIZED_TIME)
            {
                next_update = Some(parse_time(&item)?);
            } else if item.is_universal(universal::SEQUENCE) {
                // Read every entry once, so that a damaged one refuses the CRL now.
                for entry in revoked_entries(item) {
                    entry?;
                }
                revoked = Some(item.raw.to_vec());
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
    pub fn find(&self, cert: &CertificateInfo) -> Option<RevokedEntry> {
        let serial = integer_magnitude(cert.serial_bytes());
        self.entries().find(|e| e.serial == serial)
    }

    /// Every revoked entry, in the CRL's order.
    pub fn entries(&self) -> impl Iterator<Item = RevokedEntry> + '_ {
        let list = self
            .revoked
            .as_deref()
            .and_then(|raw| ber::parse_tlv(raw).ok())
            .map(|(tlv, _)| tlv);
        // Every entry was read without error in `from_der`.
        list.into_iter()
            .flat_map(revoked_entries)
            .filter_map(Result::ok)
    }
}

/// The entries of a revokedCertificates SEQUENCE OF, read one at a time; the first
/// damaged entry ends the walk with its error.
fn revoked_entries(
    list: ber::Tlv<'_>,
) -> impl Iterator<Item = Result<RevokedEntry, CmsError>> + '_ {
    let mut entries = list.children();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let entry = match entries.next_tlv() {
            Ok(Some(entry)) => entry,
            Ok(None) => return None,
            Err(e) => {
                failed = true;
                return Some(Err(e));
            }
        };
        let read = (|| {
            let mut e = entry.children();
            let serial = e.read("revoked.userCertificate")?.integer_bytes()?;
            let when = parse_time(&e.read("revoked.revocationDate")?)?;
            let reason = match e.optional_universal(universal::SEQUENCE)? {
                Some(extensions) => entry_reason(&extensions),
                None => None,
            };
            Ok(RevokedEntry {
                serial: integer_magnitude(serial).to_vec(),
                revocation_time: when,
                reason,
            })
        })();
        failed = read.is_err();
        Some(read)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    fn entry(serial: u64, extensions: Option<Vec<u8>>) -> Vec<u8> {
        let when = der::tlv(0x17, b"251201000000Z");
        match extensions {
            Some(ext) => der::sequence(&[&der::uint(serial), &when, &ext]),
            None => der::sequence(&[&der::uint(serial), &when]),
        }
    }

    fn reason_extension(value: &[u8]) -> Vec<u8> {
        let ext = der::sequence(&[
            &der::tlv(0x06, &[0x55, 0x1D, 0x15]),
            &der::octet_string(value),
        ]);
        der::sequence(&[&ext])
    }

    #[test]
    fn entries_and_reason_codes() {
        let alg = der::sequence(&[
            &der::tlv(
                0x06,
                &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
            ),
            &der::null(),
        ]);
        let cn = der::sequence(&[&der::tlv(0x06, &[0x55, 0x04, 0x03]), &der::tlv(0x0C, b"CA")]);
        let issuer = der::sequence(&[&der::tlv(0x31, &cn)]);
        let revoked = der::sequence(&[
            &entry(10, Some(reason_extension(&[0x0A, 0x01, 0x01]))),
            &entry(11, None),
            &entry(12, Some(reason_extension(&[0x0A, 0x01, 0x06]))),
            &entry(13, Some(reason_extension(&[0xFF]))),
        ]);
        let tbs = der::sequence(&[
            &der::uint(1),
            &alg,
            &issuer,
            &der::tlv(0x17, b"260101000000Z"),
            &der::tlv(0x17, b"260108000000Z"),
            &revoked,
        ]);
        let crl = der::sequence(&[&tbs, &alg, &der::tlv(0x03, &[0, 1, 2])]);
        let crl = Crl::from_der(&crl).unwrap();
        assert_eq!(crl.issuer, "CN=CA");
        assert_eq!(crl.this_update, 1_767_225_600);
        assert_eq!(crl.next_update, Some(1_767_830_400));
        let entries: Vec<RevokedEntry> = crl.entries().collect();
        let reasons: Vec<(u8, Option<u64>)> =
            entries.iter().map(|e| (e.serial[0], e.reason)).collect();
        assert_eq!(
            reasons,
            vec![(10, Some(1)), (11, None), (12, Some(6)), (13, None)]
        );
        assert_eq!(entries[0].revocation_time, 1_764_547_200);
    }
}
