//! Signed attributes (RFC 5652 §5.3, §11) for PAdES baseline signatures
//! (ETSI EN 319 142-1 §5.2, ETSI EN 319 122-1 §5.2): content-type, message-digest and
//! signing-certificate-v2 (RFC 5035 §3); no signing-time.
//!
//! Building writes strict DER with the SET OF sorted (RFC 5652 §5.4 signs the DER encoding).
//! Parsing reads others' attributes leniently and keeps what verification needs.

use crate::ber::{Tlv, universal};
use crate::certificate::CertificateInfo;
use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::oid::{self, Oid};
use crate::time::parse_time;

/// The signed attributes of a new SignerInfo, sorted as DER SET OF requires (X.690 §11.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedAttributes {
    attributes: Vec<Vec<u8>>,
    contents: Vec<u8>,
    /// Set by [`signed_attributes`]: the digest used and the signer certificate's SHA-256,
    /// so that [`crate::signed_data`] can refuse a mismatched call.
    origin: Option<(DigestAlgorithm, Vec<u8>)>,
}

impl SignedAttributes {
    /// From already-encoded `Attribute`s, in any order.
    pub fn from_encoded_attributes(mut attributes: Vec<Vec<u8>>) -> Self {
        attributes.sort();
        let contents = der::sorted_set_contents(&attributes);
        SignedAttributes {
            attributes,
            contents,
            origin: None,
        }
    }

    /// Fails when these attributes were made for another digest or signer certificate.
    pub(crate) fn check_consistent_with(
        &self,
        digest: DigestAlgorithm,
        signer: &CertificateInfo,
    ) -> Result<(), CmsError> {
        let Some((attr_digest, cert_hash)) = &self.origin else {
            return Ok(());
        };
        if *attr_digest != digest {
            return Err(CmsError::InvalidInput(format!(
                "the signed attributes were made with {}, the SignedData asks for {}",
                attr_digest.name(),
                digest.name()
            )));
        }
        if *cert_hash != DigestAlgorithm::Sha256.digest(&signer.der) {
            return Err(CmsError::InvalidInput(
                "the signed attributes name another signer certificate".into(),
            ));
        }
        Ok(())
    }

    /// What the signer signs: the DER `SET OF Attribute` with tag 0x31 (RFC 5652 §5.4).
    pub fn to_be_signed(&self) -> Vec<u8> {
        der::tlv(der::tag::SET, &self.contents)
    }

    /// The same contents with the `[0] IMPLICIT` tag 0xA0, as embedded in SignerInfo.
    pub fn to_implicit_tagged(&self) -> Vec<u8> {
        der::context(0, &self.contents)
    }

    /// Each `Attribute`'s DER, in DER SET OF order.
    pub fn encoded_attributes(&self) -> &[Vec<u8>] {
        &self.attributes
    }
}

/// `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }` with one value.
pub fn encode_attribute(attr_type: &Oid, value: &[u8]) -> Vec<u8> {
    der::sequence(&[&der::oid(attr_type), &der::set_of(&[value.to_vec()])])
}

/// The three PAdES baseline signed attributes over `content_digest` (the digest of the
/// signed PDF byte ranges, computed with `digest`).
///
/// - content-type = id-data (RFC 5652 §11.1)
/// - message-digest = `content_digest` (RFC 5652 §11.2)
/// - signing-certificate-v2 (RFC 5035 §3) with one ESSCertIDv2: certHash = SHA-256 of the
///   signer certificate, hashAlgorithm omitted (SHA-256 is the DEFAULT), issuerSerial =
///   { directoryName: issuer, serialNumber }.
pub fn signed_attributes(
    content_digest: &[u8],
    digest: DigestAlgorithm,
    signer_cert_der: &[u8],
) -> Result<SignedAttributes, CmsError> {
    if !digest.allowed_for_new_signatures() {
        return Err(CmsError::UnsupportedAlgorithm(format!(
            "{} is not allowed for new signatures",
            digest.name()
        )));
    }
    if content_digest.len() != digest.output_len() {
        return Err(CmsError::InvalidInput(format!(
            "the content digest has {} bytes, {} needs {}",
            content_digest.len(),
            digest.name(),
            digest.output_len()
        )));
    }
    let cert = CertificateInfo::from_der(signer_cert_der)?;
    let mut attrs = SignedAttributes::from_encoded_attributes(vec![
        encode_attribute(&oid::CONTENT_TYPE, &der::oid(&oid::ID_DATA)),
        encode_attribute(&oid::MESSAGE_DIGEST, &der::octet_string(content_digest)),
        encode_attribute(&oid::SIGNING_CERTIFICATE_V2, &signing_certificate_v2(&cert)),
    ]);
    attrs.origin = Some((digest, DigestAlgorithm::Sha256.digest(&cert.der)));
    Ok(attrs)
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }` (RFC 5035 §3).
///
/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash      Hash,
///     issuerSerial  IssuerSerial OPTIONAL }
/// IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
/// ```
/// GeneralName `directoryName [4] Name` is an explicit tag because Name is a CHOICE.
fn signing_certificate_v2(cert: &CertificateInfo) -> Vec<u8> {
    let cert_hash = DigestAlgorithm::Sha256.digest(&cert.der);
    let general_names = der::sequence(&[&der::context(4, &cert.issuer_der)]);
    let issuer_serial = der::sequence(&[&general_names, &cert.serial_der]);
    let ess_cert_id = der::sequence(&[&der::octet_string(&cert_hash), &issuer_serial]);
    der::sequence(&[&der::sequence(&[&ess_cert_id])])
}

/// One ESSCertID (RFC 2634 §5.4.1) or ESSCertIDv2 (RFC 5035 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EssCertId {
    /// Hash algorithm, dotted OID (SHA-1 for v1; SHA-256 when omitted in v2).
    pub hash_algorithm: String,
    /// The certificate hash.
    pub cert_hash: Vec<u8>,
    /// issuerSerial, when present.
    pub issuer_serial: Option<EssIssuerSerial>,
}

/// `IssuerSerial` (RFC 5035 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EssIssuerSerial {
    /// Raw Names of the directoryName entries in `issuer` (other GeneralName kinds dropped).
    pub directory_names: Vec<Vec<u8>>,
    /// serialNumber contents octets.
    pub serial: Vec<u8>,
}

/// The signed attributes of a parsed SignerInfo that verification looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignedAttributeValues {
    /// Every attribute type present, in the order received (dotted OIDs).
    pub attribute_oids: Vec<String>,
    /// content-type value (RFC 5652 §11.1).
    pub content_type: Option<String>,
    /// message-digest value (RFC 5652 §11.2).
    pub message_digest: Option<Vec<u8>>,
    /// signing-time (RFC 5652 §11.3), Unix seconds.
    pub signing_time: Option<i64>,
    /// signing-certificate-v2 certs (RFC 5035).
    pub signing_certificate_v2: Option<Vec<EssCertId>>,
    /// signing-certificate certs (RFC 2634 §5.4, SHA-1).
    pub signing_certificate: Option<Vec<EssCertId>>,
    /// adbe-revocationInfoArchival: the CRLs and OCSP responses the signer embedded. None
    /// when absent, or when it cannot be read (it is never a reason to refuse a signature).
    pub revocation_info_archival: Option<RevocationInfoArchival>,
}

/// The adbe-revocationInfoArchival signed attribute (ISO 32000-1 §12.8.3.3.2):
///
/// ```text
/// RevocationInfoArchival ::= SEQUENCE {
///     crl          [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
///     ocsp         [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
///     otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationInfoArchival {
    /// Each CertificateList, raw.
    pub crls: Vec<Vec<u8>>,
    /// Each OCSPResponse (RFC 6960 §4.2.1), raw.
    pub ocsps: Vec<Vec<u8>>,
}

impl RevocationInfoArchival {
    /// Reads the attribute value.
    pub fn parse(value: &Tlv<'_>) -> Result<Self, CmsError> {
        let value = value.expect_universal(universal::SEQUENCE, "RevocationInfoArchival")?;
        let mut out = RevocationInfoArchival::default();
        let mut r = value.children();
        while let Some(item) = r.next_tlv()? {
            let list = match (item.is_context(0), item.is_context(1)) {
                (true, _) => &mut out.crls,
                (_, true) => &mut out.ocsps,
                _ => continue,
            };
            let Some(seq) = item.children().next_tlv()? else {
                continue;
            };
            let mut entries = seq.children();
            while let Some(entry) = entries.next_tlv()? {
                list.push(entry.raw.to_vec());
            }
        }
        Ok(out)
    }
}

/// Reads the attributes from a `[0] IMPLICIT SET OF Attribute` (or SET) element.
pub fn parse_signed_attributes(set: &Tlv<'_>) -> Result<SignedAttributeValues, CmsError> {
    let mut out = SignedAttributeValues::default();
    let mut r = set.children();
    while let Some(attr) = r.next_tlv()? {
        let attr = attr.expect_universal(universal::SEQUENCE, "Attribute")?;
        let mut a = attr.children();
        let attr_type = a.read("Attribute.attrType")?.oid()?;
        let values = a.expect(universal::SET, "Attribute.attrValues")?;
        let mut vr = values.children();
        let first = vr.read("Attribute.attrValues[0]")?;
        let single = vr.is_empty();
        let t = attr_type.as_str();
        let repeated = out.attribute_oids.iter().any(|o| o == t);
        if t == oid::CONTENT_TYPE.dotted() || t == oid::MESSAGE_DIGEST.dotted() {
            // RFC 5652 §11.1, §11.2: exactly one attribute, exactly one value.
            if repeated || !single {
                return Err(CmsError::malformed(format!(
                    "signed attribute {t} appears more than once"
                )));
            }
            if t == oid::CONTENT_TYPE.dotted() {
                out.content_type = Some(first.oid()?);
            } else {
                let first = first.expect_universal(universal::OCTET_STRING, "message-digest")?;
                out.message_digest = Some(first.octets()?.into_owned());
            }
        } else if repeated {
            // Other repeated attributes: keep the first occurrence.
        } else if t == oid::SIGNING_TIME {
            out.signing_time = Some(parse_time(&first)?);
        } else if t == oid::SIGNING_CERTIFICATE_V2.dotted() {
            out.signing_certificate_v2 = Some(parse_signing_certificate(&first, true)?);
        } else if t == oid::SIGNING_CERTIFICATE {
            out.signing_certificate = Some(parse_signing_certificate(&first, false)?);
        } else if t == oid::ADBE_REVOCATION_INFO_ARCHIVAL {
            out.revocation_info_archival = RevocationInfoArchival::parse(&first).ok();
        }
        out.attribute_oids.push(attr_type);
    }
    Ok(out)
}

/// SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies ... }
fn parse_signing_certificate(value: &Tlv<'_>, v2: bool) -> Result<Vec<EssCertId>, CmsError> {
    let value = value.expect_universal(universal::SEQUENCE, "SigningCertificate")?;
    let certs = value
        .children()
        .expect(universal::SEQUENCE, "SigningCertificate.certs")?;
    let mut ids = Vec::new();
    let mut r = certs.children();
    while let Some(id) = r.next_tlv()? {
        let id = id.expect_universal(universal::SEQUENCE, "ESSCertID")?;
        let mut f = id.children();
        let mut hash_algorithm = if v2 {
            oid::SHA256.dotted().to_string()
        } else {
            oid::SHA1.dotted().to_string()
        };
        if v2 && let Some(alg) = f.optional_universal(universal::SEQUENCE)? {
            hash_algorithm = crate::algorithm::AlgorithmIdentifier::parse(&alg)?.oid;
        }
        let cert_hash = f
            .expect(universal::OCTET_STRING, "ESSCertID.certHash")?
            .octets()?
            .into_owned();
        let issuer_serial = match f.optional_universal(universal::SEQUENCE)? {
            Some(is) => Some(parse_issuer_serial(&is)?),
            None => None,
        };
        ids.push(EssCertId {
            hash_algorithm,
            cert_hash,
            issuer_serial,
        });
    }
    Ok(ids)
}

fn parse_issuer_serial(tlv: &Tlv<'_>) -> Result<EssIssuerSerial, CmsError> {
    let mut r = tlv.children();
    let names = r.expect(universal::SEQUENCE, "IssuerSerial.issuer")?;
    let serial = r
        .read("IssuerSerial.serialNumber")?
        .integer_bytes()?
        .to_vec();
    let mut directory_names = Vec::new();
    let mut n = names.children();
    while let Some(general_name) = n.next_tlv()? {
        if general_name.is_context(4)
            && let Some(name) = general_name.children().next_tlv()?
        {
            directory_names.push(name.raw.to_vec());
        }
    }
    Ok(EssIssuerSerial {
        directory_names,
        serial,
    })
}

/// The first value of the first unsigned attribute of type `attr_type`, raw.
pub(crate) fn find_attribute_value(
    attrs: &Tlv<'_>,
    attr_type: &str,
) -> Result<Option<Vec<u8>>, CmsError> {
    let mut r = attrs.children();
    while let Some(attr) = r.next_tlv()? {
        let attr = attr.expect_universal(universal::SEQUENCE, "Attribute")?;
        let mut a = attr.children();
        if a.read("Attribute.attrType")?.oid()? == attr_type {
            let values = a.expect(universal::SET, "Attribute.attrValues")?;
            return Ok(values.children().next_tlv()?.map(|v| v.raw.to_vec()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_be_signed_and_embedded_forms_share_sorted_contents() {
        let a = encode_attribute(&oid::MESSAGE_DIGEST, &der::octet_string(&[1; 32]));
        let b = encode_attribute(&oid::CONTENT_TYPE, &der::oid(&oid::ID_DATA));
        let attrs = SignedAttributes::from_encoded_attributes(vec![a.clone(), b.clone()]);
        // content-type (…09 03) sorts before message-digest (…09 04).
        assert_eq!(attrs.encoded_attributes(), &[b.clone(), a.clone()]);
        let tbs = attrs.to_be_signed();
        let embedded = attrs.to_implicit_tagged();
        assert_eq!(tbs[0], 0x31);
        assert_eq!(embedded[0], 0xA0);
        assert_eq!(tbs[1..], embedded[1..]);
        assert_eq!(tbs[2..], [b, a].concat()[..]);

        let (tlv, _) = crate::ber::parse_tlv(&embedded).unwrap();
        let values = parse_signed_attributes(&tlv).unwrap();
        assert_eq!(values.content_type.as_deref(), Some(oid::ID_DATA.dotted()));
        assert_eq!(values.message_digest.as_deref(), Some(&[1u8; 32][..]));
        assert_eq!(values.attribute_oids.len(), 2);
    }

    #[test]
    fn revocation_info_archival() {
        let crl = der::sequence(&[&der::uint(1)]);
        let ocsp = der::sequence(&[&der::uint(2)]);
        let value = der::sequence(&[
            &der::context(0, &der::sequence(&[&crl])),
            &der::context(1, &der::sequence(&[&ocsp, &ocsp])),
        ]);
        let attr = [
            0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x2F, 0x01, 0x01, 0x08,
        ];
        let attr = der::sequence(&[&attr, &der::set_of(&[value])]);
        let set = der::set_of(&[attr]);
        let (tlv, _) = crate::ber::parse_tlv(&set).unwrap();
        let values = parse_signed_attributes(&tlv).unwrap();
        let archival = values.revocation_info_archival.unwrap();
        assert_eq!(archival.crls, vec![crl]);
        assert_eq!(archival.ocsps, vec![ocsp.clone(), ocsp]);

        // A broken value is ignored, not an error.
        let attr = [
            0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x2F, 0x01, 0x01, 0x08,
        ];
        let attr = der::sequence(&[&attr, &der::set_of(&[der::uint(5)])]);
        let set = der::set_of(&[attr]);
        let (tlv, _) = crate::ber::parse_tlv(&set).unwrap();
        let values = parse_signed_attributes(&tlv).unwrap();
        assert_eq!(values.revocation_info_archival, None);
    }

    #[test]
    fn repeated_message_digest_is_refused() {
        let a = encode_attribute(&oid::MESSAGE_DIGEST, &der::octet_string(&[1; 32]));
        let b = encode_attribute(&oid::MESSAGE_DIGEST, &der::octet_string(&[2; 32]));
        let set = der::set_of(&[a, b]);
        let (tlv, _) = crate::ber::parse_tlv(&set).unwrap();
        assert_eq!(
            parse_signed_attributes(&tlv).unwrap_err().code(),
            "CMS_MALFORMED"
        );
    }
}
