//! OCSP, the Online Certificate Status Protocol (RFC 6960).
//!
//! - Building a request for one certificate (§4.1.1) with a SHA-1 CertID, which every
//!   responder accepts, and optionally a nonce (§4.4.1, RFC 8954), written in strict DER.
//! - Reading responses leniently (§4.2.1): an OCSPResponse, or a bare BasicOCSPResponse as
//!   some archives hold it. The raw ResponseData is kept and verified as it came.
//! - Finding the SingleResponse for a certificate by its CertID, hashed with whatever
//!   algorithm the responder used (§4.1.1: name and key of the issuer, serial number).
//! - Checking who signed (§4.2.2.2): the CA that issued the certificate, or a delegated
//!   responder whose certificate that same CA issued with id-kp-OCSPSigning; whether it carries
//!   id-pkix-ocsp-nocheck (§4.2.2.2.1) is reported. Locally configured trusted responders
//!   are not supported.
//!
//! Freshness (thisUpdate, nextUpdate) is the caller's business: it depends on the time that
//! must be proven. No function panics on any input.
//!
//! ```text
//! OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest,
//!     optionalSignature [0] EXPLICIT Signature OPTIONAL }
//! TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
//!     requestorName [1] EXPLICIT GeneralName OPTIONAL, requestList SEQUENCE OF Request,
//!     requestExtensions [2] EXPLICIT Extensions OPTIONAL }
//! Request ::= SEQUENCE { reqCert CertID,
//!     singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
//! CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//!     issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
//!
//! OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
//!     responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } OPTIONAL }
//! BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm
//!     AlgorithmIdentifier, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate
//!     OPTIONAL }
//! ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
//!     responderID CHOICE { byName [1] Name, byKey [2] KeyHash }, producedAt GeneralizedTime,
//!     responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT Extensions OPTIONAL }
//! SingleResponse ::= SEQUENCE { certID CertID, certStatus CHOICE { good [0] IMPLICIT NULL,
//!     revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL },
//!     thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL,
//!     singleExtensions [1] EXPLICIT Extensions OPTIONAL }
//! RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
//!     revocationReason [0] EXPLICIT CRLReason OPTIONAL }
//! ```

use std::fmt;

use crate::algorithm::AlgorithmIdentifier;
use crate::ber::{self, Tlv, universal};
use crate::certificate::{CertificateInfo, integer_magnitude};
use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::extensions::{CertificateExtensions, KP_OCSP_SIGNING};
use crate::name::parse_name;
use crate::oid;
use crate::signed_object::SignedObject;
use crate::time::parse_time;
use crate::verify::SignatureCheck;

/// Media type of a request sent by HTTP POST (RFC 6960 Appendix A.1).
pub const REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
/// Media type of a response (RFC 6960 Appendix A.2).
pub const RESPONSE_CONTENT_TYPE: &str = "application/ocsp-response";
/// Length of the nonces [`random_nonce`] makes (RFC 8954 §2.1: 1 to 32 octets, 32 advised).
pub const NONCE_LEN: usize = 32;

/// Identifies one certificate to a responder (RFC 6960 §4.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertId {
    /// hashAlgorithm of the two hashes.
    pub hash_algorithm: AlgorithmIdentifier,
    /// Hash of the DER issuer Name of the certificate.
    pub issuer_name_hash: Vec<u8>,
    /// Hash of the issuer's public key (the subjectPublicKey BIT STRING's value).
    pub issuer_key_hash: Vec<u8>,
    /// serialNumber contents octets, as they came.
    pub serial: Vec<u8>,
}

/// The octets of `issuer`'s subjectPublicKey BIT STRING, without tag, length and unused-bits
/// octet: what issuerKeyHash and ResponderID byKey hash (RFC 6960 §4.1.1, §4.2.1).
fn public_key_bits(cert: &CertificateInfo) -> Result<Vec<u8>, CmsError> {
    let (spki, _) = ber::parse_tlv(&cert.spki_der)?;
    let mut r = spki.children();
    let _algorithm = r.read("SubjectPublicKeyInfo.algorithm")?;
    Ok(r.read("SubjectPublicKeyInfo.subjectPublicKey")?
        .bit_string()?
        .bytes
        .to_vec())
}

impl CertId {
    /// The CertID of `cert`, issued by `issuer`, hashed with `digest`.
    pub fn new(
        digest: DigestAlgorithm,
        issuer: &CertificateInfo,
        cert: &CertificateInfo,
    ) -> Result<Self, CmsError> {
        Ok(CertId {
            hash_algorithm: AlgorithmIdentifier {
                oid: digest.oid().to_string(),
                parameters: Some(der::null()),
            },
            issuer_name_hash: digest.digest(&cert.issuer_der),
            issuer_key_hash: digest.digest(&public_key_bits(issuer)?),
            serial: cert.serial_bytes().to_vec(),
        })
    }

    /// Whether this CertID names `cert` issued by `issuer` (hashes recomputed with its own
    /// algorithm; false for a hash we do not implement).
    pub fn identifies(&self, issuer: &CertificateInfo, cert: &CertificateInfo) -> bool {
        let Some(digest) = self.hash_algorithm.digest_algorithm() else {
            return false;
        };
        integer_magnitude(&self.serial) == integer_magnitude(cert.serial_bytes())
            && digest.digest(&cert.issuer_der) == self.issuer_name_hash
            && public_key_bits(issuer)
                .is_ok_and(|bits| digest.digest(&bits) == self.issuer_key_hash)
    }

    /// Strict DER (of a CertID whose hash algorithm we implement, as [`CertId::new`] makes).
    pub(crate) fn to_der(&self) -> Vec<u8> {
        let mut alg = der::tlv(der::tag::OID, &oid_contents(&self.hash_algorithm.oid));
        if let Some(p) = &self.hash_algorithm.parameters {
            alg.extend_from_slice(p);
        }
        der::sequence(&[
            &der::sequence(&[&alg]),
            &der::octet_string(&self.issuer_name_hash),
            &der::octet_string(&self.issuer_key_hash),
            &der::tlv(der::tag::INTEGER, &self.serial),
        ])
    }

    fn parse(tlv: &Tlv<'_>) -> Result<Self, CmsError> {
        let tlv = tlv.expect_universal(universal::SEQUENCE, "CertID")?;
        let mut r = tlv.children();
        let hash_algorithm = AlgorithmIdentifier::parse(&r.read("CertID.hashAlgorithm")?)?;
        let issuer_name_hash = r
            .expect(universal::OCTET_STRING, "CertID.issuerNameHash")?
            .octets()?
            .into_owned();
        let issuer_key_hash = r
            .expect(universal::OCTET_STRING, "CertID.issuerKeyHash")?
            .octets()?
            .into_owned();
        let serial = r.read("CertID.serialNumber")?.integer_bytes()?.to_vec();
        Ok(CertId {
            hash_algorithm,
            issuer_name_hash,
            issuer_key_hash,
            serial,
        })
    }
}

/// Contents octets of a dotted OID we know (the digests); empty for anything else, which
/// [`CertId::new`] never produces.
fn oid_contents(dotted: &str) -> Vec<u8> {
    [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ]
    .into_iter()
    .find(|d| d.oid() == dotted)
    .map(|d| d.known_oid().der().to_vec())
    .unwrap_or_default()
}

/// A request for the status of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspRequest {
    /// The certificate asked about (SHA-1 CertID).
    pub cert_id: CertId,
    /// The nonce sent, if any.
    pub nonce: Option<Vec<u8>>,
    /// The OCSPRequest, DER: the body of the HTTP POST (RFC 6960 Appendix A.1).
    pub der: Vec<u8>,
}

impl OcspRequest {
    /// An unsigned request for `cert`, issued by `issuer`, with a SHA-1 CertID and, when
    /// given, a nonce extension (1 to 32 octets, RFC 8954 §2.1).
    pub fn new(
        issuer: &CertificateInfo,
        cert: &CertificateInfo,
        nonce: Option<&[u8]>,
    ) -> Result<Self, CmsError> {
        if let Some(n) = nonce
            && !(1..=32).contains(&n.len())
        {
            return Err(CmsError::InvalidInput(format!(
                "an OCSP nonce has 1 to 32 octets, not {}",
                n.len()
            )));
        }
        let cert_id = CertId::new(DigestAlgorithm::Sha1, issuer, cert)?;
        let request_list = der::sequence(&[&der::sequence(&[&cert_id.to_der()])]);
        let tbs = match nonce {
            Some(n) => {
                // Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET
                // STRING }; the nonce's extnValue holds an OCTET STRING (RFC 8954 §2.1).
                let extension = der::sequence(&[
                    &der::oid(&oid::OCSP_NONCE),
                    &der::octet_string(&der::octet_string(n)),
                ]);
                let extensions = der::context(2, &der::sequence(&[&extension]));
                der::sequence(&[&request_list, &extensions])
            }
            None => der::sequence(&[&request_list]),
        };
        Ok(OcspRequest {
            cert_id,
            nonce: nonce.map(<[u8]>::to_vec),
            der: der::sequence(&[&tbs]),
        })
    }

    /// How the response's nonce compares with the one sent.
    pub fn check_nonce(&self, response: &BasicOcspResponse) -> NonceCheck {
        match (&self.nonce, &response.nonce) {
            (_, None) => NonceCheck::Absent,
            (Some(sent), Some(got)) if sent == got => NonceCheck::Matches,
            _ => NonceCheck::Mismatch,
        }
    }
}

/// The response's nonce against the request's (RFC 8954 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceCheck {
    /// The response echoes the nonce sent.
    Matches,
    /// The response holds none: a pre-produced response (freshness then rests on its times).
    Absent,
    /// It holds another one (or one when none was sent): a replayed or misdirected response.
    Mismatch,
}

/// 32 random octets from the operating system, or None if it gives none (then the request
/// goes without a nonce).
pub fn random_nonce() -> Option<[u8; NONCE_LEN]> {
    use rand::RngCore;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.try_fill_bytes(&mut nonce).ok()?;
    Some(nonce)
}

/// OCSPResponseStatus (RFC 6960 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseStatus {
    /// successful (0): responseBytes hold the answer.
    Successful,
    /// malformedRequest (1)
    MalformedRequest,
    /// internalError (2)
    InternalError,
    /// tryLater (3)
    TryLater,
    /// sigRequired (5)
    SigRequired,
    /// unauthorized (6): typically, the responder does not serve this CA.
    Unauthorized,
    /// Any other value.
    Other(u64),
}

impl ResponseStatus {
    fn from_code(code: u64) -> Self {
        match code {
            0 => ResponseStatus::Successful,
            1 => ResponseStatus::MalformedRequest,
            2 => ResponseStatus::InternalError,
            3 => ResponseStatus::TryLater,
            5 => ResponseStatus::SigRequired,
            6 => ResponseStatus::Unauthorized,
            other => ResponseStatus::Other(other),
        }
    }
}

impl fmt::Display for ResponseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseStatus::Successful => f.write_str("successful"),
            ResponseStatus::MalformedRequest => f.write_str("malformedRequest"),
            ResponseStatus::InternalError => f.write_str("internalError"),
            ResponseStatus::TryLater => f.write_str("tryLater"),
            ResponseStatus::SigRequired => f.write_str("sigRequired"),
            ResponseStatus::Unauthorized => f.write_str("unauthorized"),
            ResponseStatus::Other(n) => write!(f, "status {n}"),
        }
    }
}

/// certStatus (RFC 6960 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// Not revoked (as far as the responder knows, at thisUpdate).
    Good,
    /// Revoked at `time` (Unix seconds), with the CRLReason code when given.
    Revoked { time: i64, reason: Option<u64> },
    /// The responder does not know the certificate.
    Unknown,
}

/// The name of a CRLReason code (RFC 5280 §5.3.1).
pub fn crl_reason_name(code: u64) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown reason",
    }
}

/// One SingleResponse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleResponse {
    /// The certificate it is about.
    pub cert_id: CertId,
    /// Its status.
    pub status: CertStatus,
    /// thisUpdate, Unix seconds: when the status was known to be correct.
    pub this_update: i64,
    /// nextUpdate, Unix seconds; None means newer information is always available.
    pub next_update: Option<i64>,
}

impl SingleResponse {
    fn parse(tlv: &Tlv<'_>) -> Result<Self, CmsError> {
        let tlv = tlv.expect_universal(universal::SEQUENCE, "SingleResponse")?;
        let mut r = tlv.children();
        let cert_id = CertId::parse(&r.read("SingleResponse.certID")?)?;
        let status_tlv = r.read("SingleResponse.certStatus")?;
        let status = if status_tlv.is_context(0) {
            CertStatus::Good
        } else if status_tlv.is_context(2) {
            CertStatus::Unknown
        } else if status_tlv.is_context(1) {
            let mut info = status_tlv.children();
            let time = parse_time(&info.read("RevokedInfo.revocationTime")?)?;
            let reason = match info.optional_context(0)? {
                Some(explicit) => Some(explicit.children().read("CRLReason")?.enumerated()?),
                None => None,
            };
            CertStatus::Revoked { time, reason }
        } else {
            return Err(CmsError::malformed(
                "SingleResponse.certStatus: unexpected tag",
            ));
        };
        let this_update = parse_time(&r.read("SingleResponse.thisUpdate")?)?;
        let next_update = match r.optional_context(0)? {
            Some(explicit) => Some(parse_time(
                &explicit.children().read("SingleResponse.nextUpdate")?,
            )?),
            None => None,
        };
        Ok(SingleResponse {
            cert_id,
            status,
            this_update,
            next_update,
        })
    }
}

/// ResponderID (RFC 6960 §4.2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponderId {
    /// byName: the responder's subject Name.
    ByName {
        /// Raw Name.
        der: Vec<u8>,
        /// Display form.
        display: String,
    },
    /// byKey: SHA-1 of the responder's public key (BIT STRING value).
    ByKey(Vec<u8>),
}

impl ResponderId {
    /// Whether `cert` is the responder named.
    pub fn names(&self, cert: &CertificateInfo) -> bool {
        match self {
            ResponderId::ByName { der, display } => {
                *der == cert.subject_der || *display == cert.subject
            }
            ResponderId::ByKey(hash) => {
                public_key_bits(cert).is_ok_and(|bits| DigestAlgorithm::Sha1.digest(&bits) == *hash)
            }
        }
    }
}

impl fmt::Display for ResponderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponderId::ByName { display, .. } => f.write_str(display),
            ResponderId::ByKey(hash) => {
                f.write_str("key ")?;
                hash.iter().try_for_each(|b| write!(f, "{b:02X}"))
            }
        }
    }
}

/// A BasicOCSPResponse (RFC 6960 §4.2.1) as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicOcspResponse {
    /// Who says it signed.
    pub responder_id: ResponderId,
    /// producedAt, Unix seconds.
    pub produced_at: i64,
    /// The SingleResponses, in order.
    pub responses: Vec<SingleResponse>,
    /// The nonce extension's value (the octets of its OCTET STRING; the raw extnValue when
    /// that is not an OCTET STRING), when present.
    pub nonce: Option<Vec<u8>>,
    /// The certificates it carries (the responder's, maybe its chain), raw.
    pub certs: Vec<Vec<u8>>,
    /// ResponseData, signature algorithm and signature, raw.
    pub signed: SignedObject,
}

/// Who signed a response, as far as the certificate's issuer is concerned (RFC 6960 §4.2.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponderCheck {
    /// The CA that issued the certificate.
    Issuer,
    /// A delegated responder: a certificate issued by that CA with id-kp-OCSPSigning, valid
    /// at producedAt.
    Delegated {
        /// The responder's certificate.
        cert: Box<CertificateInfo>,
        /// It carries id-pkix-ocsp-nocheck (§4.2.2.2.1): its own revocation need not be
        /// checked.
        nocheck: bool,
    },
    /// No authorized responder signed it (English reason).
    NotAuthorized(String),
    /// The signature uses an algorithm or key we do not implement.
    Unsupported(String),
}

impl BasicOcspResponse {
    /// Parses a DER/BER BasicOCSPResponse.
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let signed = SignedObject::parse(der)?;
        let (outer, _) = ber::parse_tlv(der)?;
        let mut parts = outer.children();
        let _tbs = parts.read("BasicOCSPResponse.tbsResponseData")?;
        let _alg = parts.read("BasicOCSPResponse.signatureAlgorithm")?;
        let _sig = parts.read("BasicOCSPResponse.signature")?;
        let mut certs = Vec::new();
        if let Some(explicit) = parts.optional_context(0)?
            && let Some(list) = explicit.children().next_tlv()?
        {
            let mut c = list.children();
            while let Some(cert) = c.next_tlv()? {
                certs.push(cert.raw.to_vec());
            }
        }

        let (tbs, _) = ber::parse_tlv(&signed.tbs)?;
        let tbs = tbs.expect_universal(universal::SEQUENCE, "ResponseData")?;
        let mut r = tbs.children();
        let _version = r.optional_context(0)?;
        let id = r.read("ResponseData.responderID")?;
        let responder_id = if id.is_context(1) {
            let name = id
                .children()
                .expect(universal::SEQUENCE, "ResponderID.byName")?;
            ResponderId::ByName {
                der: name.raw.to_vec(),
                display: parse_name(&name)?.display,
            }
        } else if id.is_context(2) {
            let hash = id
                .children()
                .expect(universal::OCTET_STRING, "ResponderID.byKey")?;
            ResponderId::ByKey(hash.octets()?.into_owned())
        } else {
            return Err(CmsError::malformed(
                "ResponseData.responderID: unexpected tag",
            ));
        };
        let produced_at = parse_time(&r.read("ResponseData.producedAt")?)?;
        let list = r.expect(universal::SEQUENCE, "ResponseData.responses")?;
        let mut responses = Vec::new();
        let mut l = list.children();
        while let Some(single) = l.next_tlv()? {
            responses.push(SingleResponse::parse(&single)?);
        }
        let mut nonce = None;
        if let Some(explicit) = r.optional_context(1)? {
            let extensions = explicit
                .children()
                .expect(universal::SEQUENCE, "ResponseData.responseExtensions")?;
            let mut e = extensions.children();
            while let Some(ext) = e.next_tlv()? {
                let mut x = ext.children();
                if x.read("Extension.extnID")?.oid()? != oid::OCSP_NONCE.dotted() {
                    continue;
                }
                let _critical = x.optional_universal(universal::BOOLEAN)?;
                let value = x.expect(universal::OCTET_STRING, "Extension.extnValue")?;
                let value = value.octets()?;
                nonce = Some(match ber::parse_tlv(&value) {
                    Ok((inner, rest))
                        if rest.is_empty() && inner.is_universal(universal::OCTET_STRING) =>
                    {
                        inner.octets()?.into_owned()
                    }
                    _ => value.into_owned(),
                });
            }
        }
        Ok(BasicOcspResponse {
            responder_id,
            produced_at,
            responses,
            nonce,
            certs,
            signed,
        })
    }

    /// The SingleResponse about `cert`, issued by `issuer`, if there is one.
    pub fn find(
        &self,
        issuer: &CertificateInfo,
        cert: &CertificateInfo,
    ) -> Option<&SingleResponse> {
        self.responses
            .iter()
            .find(|s| s.cert_id.identifies(issuer, cert))
    }

    /// Who signed this response, for certificates issued by `issuer` (RFC 6960 §4.2.2.2):
    /// `issuer` itself, or a delegated responder among the response's certificates and
    /// `more` (certificates found elsewhere, e.g. a PDF's DSS). A delegated responder must
    /// be issued (and signed) by `issuer`, name id-kp-OCSPSigning in its extendedKeyUsage,
    /// allow digital signatures if it has a keyUsage, and be valid at producedAt.
    pub fn check_responder(
        &self,
        issuer: &CertificateInfo,
        more: &[CertificateInfo],
    ) -> ResponderCheck {
        let mut unsupported = None;
        match self.signed.verify_with(issuer) {
            SignatureCheck::Valid => return ResponderCheck::Issuer,
            SignatureCheck::UnsupportedAlgorithm(a) | SignatureCheck::UnsupportedKey(a) => {
                unsupported = Some(a)
            }
            _ => {}
        }
        let carried: Vec<CertificateInfo> = self
            .certs
            .iter()
            .filter_map(|d| CertificateInfo::from_der(d).ok())
            .collect();
        let mut refusal = None;
        for candidate in carried.iter().chain(more.iter()) {
            if candidate.sha256_fingerprint_hex == issuer.sha256_fingerprint_hex {
                continue;
            }
            match self.signed.verify_with(candidate) {
                SignatureCheck::Valid => {}
                SignatureCheck::UnsupportedAlgorithm(a) | SignatureCheck::UnsupportedKey(a) => {
                    unsupported = Some(a);
                    continue;
                }
                _ => continue,
            }
            match authorized(candidate, issuer, self.produced_at) {
                Ok(nocheck) => {
                    return ResponderCheck::Delegated {
                        cert: Box::new(candidate.clone()),
                        nocheck,
                    };
                }
                Err(why) => refusal = Some(why),
            }
        }
        if let Some(why) = refusal {
            return ResponderCheck::NotAuthorized(why);
        }
        if let Some(a) = unsupported {
            return ResponderCheck::Unsupported(a);
        }
        ResponderCheck::NotAuthorized(format!(
            "the response (responder {}) is signed neither by {} nor by a responder certificate it carries",
            self.responder_id, issuer.subject
        ))
    }
}

/// Whether `responder` may answer for `issuer`'s certificates (RFC 6960 §4.2.2.2); Ok holds
/// whether it carries id-pkix-ocsp-nocheck.
fn authorized(
    responder: &CertificateInfo,
    issuer: &CertificateInfo,
    produced_at: i64,
) -> Result<bool, String> {
    let issued = (responder.issuer_der == issuer.subject_der || responder.issuer == issuer.subject)
        && SignedObject::parse(&responder.der)
            .is_ok_and(|s| s.verify_with(issuer) == SignatureCheck::Valid);
    if !issued {
        return Err(format!(
            "the response is signed by {}, which {} did not issue",
            responder.subject, issuer.subject
        ));
    }
    let ocsp_signing = responder
        .extended_key_usage
        .as_ref()
        .is_some_and(|e| e.iter().any(|p| p == KP_OCSP_SIGNING));
    if !ocsp_signing {
        return Err(format!(
            "the response is signed by {}, which is not an OCSP responder (its extendedKeyUsage lacks id-kp-OCSPSigning)",
            responder.subject
        ));
    }
    if responder
        .key_usage
        .is_some_and(|k| !k.digital_signature && !k.non_repudiation)
    {
        return Err(format!(
            "the response is signed by {}, whose keyUsage does not allow signatures",
            responder.subject
        ));
    }
    if produced_at < responder.not_before || produced_at > responder.not_after {
        return Err(format!(
            "the response is signed by {}, whose certificate was not valid when the response was produced",
            responder.subject
        ));
    }
    Ok(CertificateExtensions::from_der(&responder.der).is_ok_and(|e| e.ocsp_nocheck))
}

/// An OCSPResponse as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspResponse {
    /// responseStatus.
    pub status: ResponseStatus,
    /// The basic response: present when the status is successful.
    pub basic: Option<BasicOcspResponse>,
}

impl OcspResponse {
    /// Parses an OCSPResponse, or a bare BasicOCSPResponse (then the status is successful).
    /// Bytes after it are ignored. A response type other than id-pkix-ocsp-basic is
    /// [`CmsError::UnsupportedAlgorithm`].
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let (outer, _) = ber::parse_tlv(der)?;
        let outer = outer.expect_universal(universal::SEQUENCE, "OCSPResponse")?;
        let mut r = outer.children();
        let first = r.read("OCSPResponse.responseStatus")?;
        if first.is_universal(universal::SEQUENCE) {
            return Ok(OcspResponse {
                status: ResponseStatus::Successful,
                basic: Some(BasicOcspResponse::from_der(outer.raw)?),
            });
        }
        let status = ResponseStatus::from_code(first.enumerated()?);
        let Some(explicit) = r.optional_context(0)? else {
            if status == ResponseStatus::Successful {
                return Err(CmsError::malformed(
                    "successful OCSPResponse without responseBytes",
                ));
            }
            return Ok(OcspResponse {
                status,
                basic: None,
            });
        };
        let bytes = explicit
            .children()
            .expect(universal::SEQUENCE, "ResponseBytes")?;
        let mut b = bytes.children();
        let response_type = b.read("ResponseBytes.responseType")?.oid()?;
        if response_type != oid::OCSP_BASIC {
            return Err(CmsError::UnsupportedAlgorithm(format!(
                "OCSP response type {response_type}"
            )));
        }
        let response = b
            .expect(universal::OCTET_STRING, "ResponseBytes.response")?
            .octets()?;
        Ok(OcspResponse {
            status,
            basic: Some(BasicOcspResponse::from_der(&response)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(status: &[u8], with_next: bool) -> Vec<u8> {
        let cert_id = CertId {
            hash_algorithm: AlgorithmIdentifier {
                oid: DigestAlgorithm::Sha1.oid().to_string(),
                parameters: Some(der::null()),
            },
            issuer_name_hash: vec![1; 20],
            issuer_key_hash: vec![2; 20],
            serial: vec![0x00, 0x99],
        };
        let this_update = der::tlv(0x18, b"20260101000000Z");
        let mut parts = vec![cert_id.to_der(), status.to_vec(), this_update];
        if with_next {
            parts.push(der::context(0, &der::tlv(0x18, b"20260108000000Z")));
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        der::sequence(&refs)
    }

    /// A structurally complete OCSPResponse (its signature is garbage).
    fn response(singles: &[Vec<u8>], nonce: Option<&[u8]>) -> Vec<u8> {
        let key_hash = der::context(2, &der::octet_string(&[7; 20]));
        let produced = der::tlv(0x18, b"20260101000001Z");
        let refs: Vec<&[u8]> = singles.iter().map(Vec::as_slice).collect();
        let mut parts = vec![key_hash, produced, der::sequence(&refs)];
        if let Some(n) = nonce {
            let ext = der::sequence(&[
                &der::oid(&oid::OCSP_NONCE),
                &der::octet_string(&der::octet_string(n)),
            ]);
            parts.push(der::context(1, &der::sequence(&[&ext])));
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let tbs = der::sequence(&refs);
        let alg = der::sequence(&[
            &der::tlv(6, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 1, 11]),
            &der::null(),
        ]);
        let basic = der::sequence(&[&tbs, &alg, &der::tlv(3, &[0, 1, 2, 3])]);
        let basic_oid = der::tlv(6, &[0x2B, 6, 1, 5, 5, 7, 0x30, 1, 1]);
        let bytes = der::sequence(&[&basic_oid, &der::octet_string(&basic)]);
        der::sequence(&[&der::tlv(0x0A, &[0]), &der::context(0, &bytes)])
    }

    #[test]
    fn reads_statuses_times_and_nonce() {
        let revoked = der::context(
            1,
            &[
                der::tlv(0x18, b"20251231120000Z"),
                der::context(0, &der::tlv(0x0A, &[1])),
            ]
            .concat(),
        );
        let der_bytes = response(
            &[
                single(&[0x80, 0x00], true),
                single(&revoked, false),
                single(&[0x82, 0x00], false),
            ],
            Some(b"nonce"),
        );
        let r = OcspResponse::from_der(&der_bytes).unwrap();
        assert_eq!(r.status, ResponseStatus::Successful);
        let basic = r.basic.unwrap();
        assert_eq!(basic.responder_id, ResponderId::ByKey(vec![7; 20]));
        assert_eq!(basic.produced_at, 1_767_225_601);
        assert_eq!(basic.nonce.as_deref(), Some(&b"nonce"[..]));
        assert_eq!(basic.responses.len(), 3);
        assert_eq!(basic.responses[0].status, CertStatus::Good);
        assert_eq!(basic.responses[0].this_update, 1_767_225_600);
        assert_eq!(basic.responses[0].next_update, Some(1_767_830_400));
        assert_eq!(
            basic.responses[1].status,
            CertStatus::Revoked {
                time: 1_767_182_400,
                reason: Some(1)
            }
        );
        assert_eq!(basic.responses[1].next_update, None);
        assert_eq!(basic.responses[2].status, CertStatus::Unknown);
        assert_eq!(crl_reason_name(1), "keyCompromise");
    }

    #[test]
    fn error_statuses_have_no_body() {
        let r = OcspResponse::from_der(&[0x30, 0x03, 0x0A, 0x01, 0x06]).unwrap();
        assert_eq!(r.status, ResponseStatus::Unauthorized);
        assert!(r.basic.is_none());
        assert_eq!(r.status.to_string(), "unauthorized");
        // "successful" without a body is malformed.
        assert!(OcspResponse::from_der(&[0x30, 0x03, 0x0A, 0x01, 0x00]).is_err());
    }

    #[test]
    fn truncated_and_garbage_input_is_an_error_never_a_panic() {
        let good = response(&[single(&[0x80, 0x00], true)], Some(&[9; 32]));
        assert!(OcspResponse::from_der(&good).is_ok());
        for end in 0..good.len() {
            assert!(
                OcspResponse::from_der(&good[..end]).is_err(),
                "prefix {end}"
            );
            let _ = BasicOcspResponse::from_der(&good[..end]);
        }
        // Every single-byte corruption: any result but a panic.
        for i in 0..good.len() {
            for x in [0x00, 0x80, 0xFF, 0x01] {
                let mut bad = good.clone();
                bad[i] ^= x;
                let _ = OcspResponse::from_der(&bad);
            }
        }
        // Pseudo-random garbage (xorshift, fixed seed).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = OcspResponse::from_der(&bytes);
            let mut seq = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
            seq.extend_from_slice(&bytes);
            let _ = OcspResponse::from_der(&seq);
        }
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x00",
            b"\x30\x80\x00\x00",
            b"\x30\x03\x0A\x01\xFF",
            b"\x30\x05\x0A\x01\x00\xA0\x00",
            b"\x30\x07\x0A\x01\x00\xA0\x02\x30\x00",
        ] {
            assert!(OcspResponse::from_der(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn random_nonces() {
        assert_eq!(random_nonce().map(|n| n.len()), Some(NONCE_LEN));
        assert_ne!(random_nonce(), random_nonce());
    }
}
