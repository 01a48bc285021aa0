//! The certificate extensions path building and revocation checking need (RFC 5280 §4.2):
//! authorityKeyIdentifier (§4.2.1.1), cRLDistributionPoints (§4.2.1.13) and
//! authorityInfoAccess (§4.2.2.1), and id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), read
//! leniently from the raw certificate.

use crate::ber::{self, Tlv, universal};
use crate::error::CmsError;

/// id-ce-authorityKeyIdentifier
pub const EXT_AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
/// id-ce-cRLDistributionPoints
pub const EXT_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
/// id-pe-authorityInfoAccess
pub const EXT_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
/// id-ad-ocsp
pub const AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
/// id-kp-timeStamping (RFC 5280 §4.2.1.12)
pub const KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
/// id-kp-OCSPSigning (RFC 5280 §4.2.1.12): a delegated OCSP responder (RFC 6960 §4.2.2.2)
pub const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): a responder certificate whose own revocation
/// need not be checked
pub const OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";

/// What the extensions say about where the issuer and the revocation data are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateExtensions {
    /// authorityKeyIdentifier.keyIdentifier
    pub authority_key_identifier: Option<Vec<u8>>,
    /// URIs of the CRL distribution points.
    pub crl_urls: Vec<String>,
    /// URIs of the OCSP responders (authorityInfoAccess, id-ad-ocsp).
    pub ocsp_urls: Vec<String>,
    /// Dotted OIDs of the critical extensions.
    pub critical: Vec<String>,
    /// id-pkix-ocsp-nocheck is present (RFC 6960 §4.2.2.2.1).
    pub ocsp_nocheck: bool,
}

impl CertificateExtensions {
    /// Reads the extensions of a DER/BER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let mut out = CertificateExtensions::default();
        let (cert, _) = ber::parse_tlv(der)?;
        let cert = cert.expect_universal(universal::SEQUENCE, "Certificate")?;
        let tbs = cert
            .children()
            .expect(universal::SEQUENCE, "TBSCertificate")?;
        let mut t = tbs.children();
        let mut explicit = None;
        while let Some(item) = t.next_tlv()? {
            if item.is_context(3) {
                explicit = Some(item);
            }
        }
        let Some(explicit) = explicit else {
            return Ok(out);
        };
        let list = explicit
            .children()
            .expect(universal::SEQUENCE, "Extensions")?;
        let mut r = list.children();
        while let Some(ext) = r.next_tlv()? {
            let mut e = ext.children();
            let ext_oid = e.read("Extension.extnID")?.oid()?;
            let critical = match e.optional_universal(universal::BOOLEAN)? {
                Some(b) => b.boolean()?,
                None => false,
            };
            if critical {
                out.critical.push(ext_oid.clone());
            }
            let value = e.expect(universal::OCTET_STRING, "Extension.extnValue")?;
            let value = value.octets()?;
            let (inner, _) = ber::parse_tlv(&value)?;
            match ext_oid.as_str() {
                EXT_AUTHORITY_KEY_IDENTIFIER => {
                    let mut a = inner.children();
                    while let Some(item) = a.next_tlv()? {
                        if item.is_context(0) {
                            out.authority_key_identifier = Some(item.octets()?.into_owned());
                        }
                    }
                }
                EXT_CRL_DISTRIBUTION_POINTS => collect_uris(&inner, 0, &mut out.crl_urls)?,
                OCSP_NOCHECK => out.ocsp_nocheck = true,
                EXT_AUTHORITY_INFO_ACCESS => {
                    let mut a = inner.children();
                    while let Some(desc) = a.next_tlv()? {
                        let mut d = desc.children();
                        let method = d.read("AccessDescription.accessMethod")?.oid()?;
                        if method == AD_OCSP {
                            let location = d.read("AccessDescription.accessLocation")?;
                            collect_uris(&location, 0, &mut out.ocsp_urls)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Collects every GeneralName uniformResourceIdentifier (`[6] IA5String`, implicit) below
/// `tlv`.
fn collect_uris(tlv: &Tlv<'_>, depth: usize, out: &mut Vec<String>) -> Result<(), CmsError> {
    if depth > 8 {
        return Ok(());
    }
    if tlv.is_context(6) && !tlv.tag.constructed {
        out.push(String::from_utf8_lossy(tlv.contents).into_owned());
        return Ok(());
    }
    if tlv.tag.constructed {
        let mut r = tlv.children();
        while let Some(child) = r.next_tlv()? {
            collect_uris(&child, depth + 1, out)?;
        }
    }
    Ok(())
}
