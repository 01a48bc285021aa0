//! Lenient parsing of others' CMS SignedData (RFC 5652 §5), for verification.
//!
//! Accepts BER (indefinite lengths, constructed strings), unsorted and duplicated certificates,
//! and zero padding after the ContentInfo (a PDF `/Contents` string is zero-padded). Keeps the
//! signed attributes exactly as they came, re-tagged as SET (0x31) because that is what was
//! signed (RFC 5652 §5.4); nothing is re-encoded.

use crate::algorithm::{AlgorithmIdentifier, SignatureAlgorithm};
use crate::attributes::{SignedAttributeValues, find_attribute_value, parse_signed_attributes};
use crate::ber::{self, Tlv, universal};
use crate::error::CmsError;
use crate::oid;

/// SignerIdentifier (RFC 5652 §5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerIdentifier {
    /// issuerAndSerialNumber
    IssuerAndSerialNumber {
        /// Raw issuer Name.
        issuer_der: Vec<u8>,
        /// serialNumber contents octets.
        serial: Vec<u8>,
    },
    /// subjectKeyIdentifier `[0]`
    SubjectKeyIdentifier(Vec<u8>),
}

/// One SignerInfo as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSignerInfo {
    /// CMSVersion (1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier).
    pub version: u64,
    /// sid
    pub sid: SignerIdentifier,
    /// digestAlgorithm
    pub digest_algorithm: AlgorithmIdentifier,
    /// signedAttrs as they came, first byte changed from 0xA0 to 0x31: the bytes the
    /// signature covers (RFC 5652 §5.4). None when there are no signed attributes.
    pub signed_attrs_der: Option<Vec<u8>>,
    /// The signed attributes we interpret.
    pub signed_attributes: Option<SignedAttributeValues>,
    /// signatureAlgorithm as read.
    pub signature_algorithm: AlgorithmIdentifier,
    /// signatureAlgorithm interpreted.
    pub signature_kind: SignatureAlgorithm,
    /// signature
    pub signature: Vec<u8>,
    /// unsignedAttrs `[1]` as they came (tag 0xA1 included).
    pub unsigned_attrs_der: Option<Vec<u8>>,
    /// The id-aa-timeStampToken value (a ContentInfo, RFC 3161 Appendix A), raw.
    pub timestamp_token: Option<Vec<u8>>,
    /// The whole SignerInfo as it came.
    pub raw: Vec<u8>,
}

/// A SignedData as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSignedData {
    /// CMSVersion
    pub version: u64,
    /// digestAlgorithms
    pub digest_algorithms: Vec<AlgorithmIdentifier>,
    /// encapContentInfo.eContentType (dotted OID)
    pub encap_content_type: String,
    /// encapContentInfo.eContent when present (not detached).
    pub encap_content: Option<Vec<u8>>,
    /// Each X.509 certificate in `certificates`, raw, in order, duplicates kept.
    /// Other CertificateChoices (attribute certificates) are skipped.
    pub certificates: Vec<Vec<u8>>,
    /// Each entry of `crls`, raw.
    pub crls: Vec<Vec<u8>>,
    /// OCSPResponses among the `crls` as `other [1] OtherRevocationInfoFormat` with
    /// id-ri-ocsp-response (RFC 5940 §4.3), raw.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// signerInfos, in order.
    pub signer_infos: Vec<ParsedSignerInfo>,
    /// Length of the ContentInfo encoding, padding excluded.
    pub encoded_len: usize,
}

/// Parses a ContentInfo holding SignedData. Zero bytes after it are accepted; anything else
/// after it is [`CmsError::TrailingData`].
pub fn parse_signed_data(input: &[u8]) -> Result<ParsedSignedData, CmsError> {
    let (content_info, rest) = ber::parse_tlv(input)?;
    if let Some(pos) = rest.iter().position(|&b| b != 0) {
        return Err(CmsError::TrailingData {
            offset: content_info.raw.len() + pos,
        });
    }
    let content_info = content_info.expect_universal(universal::SEQUENCE, "ContentInfo")?;
    let mut ci = content_info.children();
    let content_type = ci.read("ContentInfo.contentType")?.oid()?;
    if content_type != oid::ID_SIGNED_DATA.dotted() {
        return Err(CmsError::NotSignedData { content_type });
    }
    let explicit = ci.read("ContentInfo.content")?;
    if !explicit.is_context(0) {
        return Err(CmsError::malformed("ContentInfo.content: expected [0]"));
    }
    let signed_data = explicit
        .children()
        .expect(universal::SEQUENCE, "SignedData")?;
    let mut parsed = parse_signed_data_body(&signed_data)?;
    parsed.encoded_len = content_info.raw.len();
    Ok(parsed)
}

fn parse_signed_data_body(sd: &Tlv<'_>) -> Result<ParsedSignedData, CmsError> {
    let mut r = sd.children();
    let version = r.read("SignedData.version")?.uint()?;

    let digest_set = r.expect(universal::SET, "SignedData.digestAlgorithms")?;
    let mut digest_algorithms = Vec::new();
    let mut d = digest_set.children();
    while let Some(alg) = d.next_tlv()? {
        digest_algorithms.push(AlgorithmIdentifier::parse(&alg)?);
    }

    let encap = r.expect(universal::SEQUENCE, "SignedData.encapContentInfo")?;
    let mut e = encap.children();
    let encap_content_type = e.read("EncapsulatedContentInfo.eContentType")?.oid()?;
    let encap_content = match e.optional_context(0)? {
        Some(explicit) => {
            let content = explicit.children().read("eContent")?;
            Some(content.octets()?.into_owned())
        }
        None => None,
    };

    let mut certificates = Vec::new();
    if let Some(certs) = r.optional_context(0)? {
        let mut c = certs.children();
        while let Some(choice) = c.next_tlv()? {
            // CertificateChoices: only `certificate Certificate` (a SEQUENCE) is kept.
            if choice.is_universal(universal::SEQUENCE) {
                certificates.push(choice.raw.to_vec());
            }
        }
    }
    let mut crls = Vec::new();
    let mut ocsp_responses = Vec::new();
    if let Some(list) = r.optional_context(1)? {
        let mut c = list.children();
        while let Some(crl) = c.next_tlv()? {
            crls.push(crl.raw.to_vec());
            if crl.is_context(1) {
                ocsp_responses.extend(other_revocation_info_ocsp(&crl));
            }
        }
    }

    let signer_set = r.expect(universal::SET, "SignedData.signerInfos")?;
    let mut signer_infos = Vec::new();
    let mut s = signer_set.children();
    while let Some(si) = s.next_tlv()? {
        signer_infos.push(parse_signer_info(&si)?);
    }

    Ok(ParsedSignedData {
        version,
        digest_algorithms,
        encap_content_type,
        encap_content,
        certificates,
        crls,
        ocsp_responses,
        signer_infos,
        encoded_len: 0,
    })
}

/// `OtherRevocationInfoFormat ::= SEQUENCE { otherRevInfoFormat OID, otherRevInfo ANY }`
/// (RFC 5652 §10.2.1), `[1] IMPLICIT`: the OCSPResponse when the format is
/// id-ri-ocsp-response. Anything else, or anything unreadable, is None.
fn other_revocation_info_ocsp(other: &Tlv<'_>) -> Option<Vec<u8>> {
    let mut r = other.children();
    let format = r.next_tlv().ok()??.oid().ok()?;
    if format != oid::RI_OCSP_RESPONSE {
        return None;
    }
    r.next_tlv().ok()?.map(|v| v.raw.to_vec())
}

fn parse_signer_info(si: &Tlv<'_>) -> Result<ParsedSignerInfo, CmsError> {
    let si = si.expect_universal(universal::SEQUENCE, "SignerInfo")?;
    let mut r = si.children();
    let version = r.read("SignerInfo.version")?.uint()?;

    let sid_tlv = r.read("SignerInfo.sid")?;
    let sid = if sid_tlv.is_universal(universal::SEQUENCE) {
        let mut f = sid_tlv.children();
        let issuer = f.expect(universal::SEQUENCE, "IssuerAndSerialNumber.issuer")?;
        let serial = f.read("IssuerAndSerialNumber.serialNumber")?;
        SignerIdentifier::IssuerAndSerialNumber {
            issuer_der: issuer.raw.to_vec(),
            serial: serial.integer_bytes()?.to_vec(),
        }
    } else if sid_tlv.is_context(0) {
        SignerIdentifier::SubjectKeyIdentifier(sid_tlv.octets()?.into_owned())
    } else {
        return Err(CmsError::malformed("SignerInfo.sid: unexpected tag"));
    };

    let digest_algorithm = AlgorithmIdentifier::parse(&r.read("SignerInfo.digestAlgorithm")?)?;

    let (signed_attrs_der, signed_attributes) = match r.optional_context(0)? {
        Some(attrs) => {
            if attrs.raw.first() != Some(&0xA0) || !attrs.tag.constructed {
                return Err(CmsError::malformed("SignerInfo.signedAttrs: bad tag"));
            }
            let mut retagged = attrs.raw.to_vec();
            retagged[0] = 0x31;
            (Some(retagged), Some(parse_signed_attributes(&attrs)?))
        }
        None => (None, None),
    };

    let signature_algorithm =
        AlgorithmIdentifier::parse(&r.read("SignerInfo.signatureAlgorithm")?)?;
    let signature_kind = SignatureAlgorithm::from_identifier(&signature_algorithm)?;
    let signature = r
        .expect(universal::OCTET_STRING, "SignerInfo.signature")?
        .octets()?
        .into_owned();

    let (unsigned_attrs_der, timestamp_token) = match r.optional_context(1)? {
        Some(attrs) => (
            Some(attrs.raw.to_vec()),
            find_attribute_value(&attrs, oid::TIMESTAMP_TOKEN.dotted())?,
        ),
        None => (None, None),
    };

    Ok(ParsedSignerInfo {
        version,
        sid,
        digest_algorithm,
        signed_attrs_der,
        signed_attributes,
        signature_algorithm,
        signature_kind,
        signature,
        unsigned_attrs_der,
        timestamp_token,
        raw: si.raw.to_vec(),
    })
}
