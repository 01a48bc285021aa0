//! The protocol half of an RFC 3161 time-stamping client: the TimeStampReq to send (§2.4.1),
//! written in strict DER, and the checks of the TimeStampResp that comes back (§2.4.2). No
//! network here: the caller POSTs [`TimestampRequest::der`] with Content-Type
//! [`REQUEST_CONTENT_TYPE`] (§3.4) and hands the body of the answer to [`check_response`].
//!
//! ```text
//! TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
//!     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL,
//!     certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
//! MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
//!
//! TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
//! PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
//!     failInfo PKIFailureInfo OPTIONAL }
//! PKIStatus ::= INTEGER { granted(0), grantedWithMods(1), rejection(2), waiting(3),
//!     revocationWarning(4), revocationNotification(5) }
//! PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
//! PKIFailureInfo ::= BIT STRING { badAlg(0), badRequest(2), badDataFormat(5),
//!     timeNotAvailable(14), unacceptedPolicy(15), unacceptedExtension(16),
//!     addInfoNotAvailable(17), systemFailure(25) }
//! TimeStampToken ::= ContentInfo  -- SignedData, eContentType id-ct-TSTInfo
//! ```
//!
//! [`check_response`] proves that the token answers this request and was signed by a
//! certificate meant for time-stamping. Whether that certificate chains to a trusted TSA, and
//! its revocation, are the verifier's business (kyso-core), as for any signer.
//!
//! No function panics on any input.

use crate::ber::{self, Tlv, universal};
use crate::certificate::CertificateInfo;
use crate::der;
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::extensions::{CertificateExtensions, KP_TIME_STAMPING};
use crate::name::decode_string;
use crate::oid;
use crate::parse::parse_signed_data;
use crate::tst::{ID_CT_TST_INFO, TstInfo};
use crate::verify::{DigestCheck, SignatureCheck, SigningCertificateCheck, verify_signer};

/// Media type of a request sent by HTTP POST (RFC 3161 §3.4).
pub const REQUEST_CONTENT_TYPE: &str = "application/timestamp-query";
/// Media type of a response (RFC 3161 §3.4).
pub const RESPONSE_CONTENT_TYPE: &str = "application/timestamp-reply";
/// Length of the nonces [`TimestampRequest::with_random_nonce`] makes.
pub const NONCE_LEN: usize = 16;
/// Longest nonce accepted, in octets once leading zeros are stripped.
pub const MAX_NONCE_LEN: usize = 32;
/// Largest response [`check_response`] reads; a real one (token and a short chain) is a few
/// kilobytes. The HTTP client should stop reading at this size too.
pub const MAX_RESPONSE_LEN: usize = 1 << 20;
/// Tolerated clock difference between the TSA and us, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// Longest dotted policy OID accepted.
const MAX_POLICY_LEN: usize = 256;
/// The most statusString text kept from a rejection, in characters.
const MAX_STATUS_TEXT: usize = 1_000;
/// The BOOLEAN tag (certReq).
const BOOLEAN: u8 = 0x01;

/// Everything that can go wrong while building a request or checking a response. Every
/// variant has a stable [`TspError::code`]; the `Display` text is English, for logs and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TspError {
    /// The TSA answered with a PKIStatus other than granted(0) or grantedWithMods(1)
    /// (RFC 3161 §2.4.2).
    #[error("{}", rejection_message(.status, .text, .failures))]
    Rejected {
        /// The PKIStatus (u8::MAX for a value beyond 255).
        status: u8,
        /// The statusString texts, joined with "; " (may be empty).
        text: String,
        /// The names of the failInfo bits set (badAlg, badRequest, ...).
        failures: Vec<&'static str>,
    },
    /// The response is readable but not an acceptable answer (no token, a broken signature,
    /// a genTime outside the request's window, ...).
    #[error("bad time-stamp response: {0}")]
    BadResponse(String),
    /// The token stamps other data: its messageImprint is not the request's.
    #[error("the time-stamp is over other data (its messageImprint is not the one sent)")]
    WrongImprint,
    /// The token's nonce is not the request's: a replayed or misdirected answer.
    #[error("the time-stamp answers another request (its nonce is not the one sent)")]
    WrongNonce,
    /// The token's signer may not issue time-stamps (RFC 3161 §2.3).
    #[error("the time-stamp is not signed by a time-stamping authority: {0}")]
    NotATsa(String),
    /// The response is not a readable TimeStampResp (not DER/BER, wrong structure).
    #[error("malformed time-stamp response: {0}")]
    Malformed(String),
    /// The token uses an algorithm or key we cannot verify.
    #[error("cannot verify the time-stamp: {0}")]
    Unsupported(String),
    /// The caller passed arguments a request cannot be made from.
    #[error("invalid time-stamp request: {0}")]
    InvalidInput(String),
}

impl TspError {
    /// Stable machine-readable code, never changed once published.
    pub fn code(&self) -> &'static str {
        match self {
            TspError::Rejected { .. } => "TSA_REJECTED",
            TspError::BadResponse(_) => "TSA_BAD_RESPONSE",
            TspError::WrongImprint => "TSA_WRONG_IMPRINT",
            TspError::WrongNonce => "TSA_WRONG_NONCE",
            TspError::NotATsa(_) => "TSA_NOT_A_TSA",
            TspError::Malformed(_) => "TSA_MALFORMED",
            TspError::Unsupported(_) => "TSA_UNSUPPORTED",
            TspError::InvalidInput(_) => "TSA_INVALID_INPUT",
        }
    }

    /// The named values of the message (the catalogue's placeholders): `detail` is the
    /// English cause.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            TspError::Rejected { .. } => vec![("detail", self.to_string())],
            TspError::BadResponse(detail)
            | TspError::NotATsa(detail)
            | TspError::Malformed(detail)
            | TspError::Unsupported(detail)
            | TspError::InvalidInput(detail) => vec![("detail", detail.clone())],
            TspError::WrongImprint | TspError::WrongNonce => Vec::new(),
        }
    }
}

impl From<CmsError> for TspError {
    fn from(e: CmsError) -> Self {
        match e {
            CmsError::UnsupportedAlgorithm(_) | CmsError::UnsupportedKey(_) => {
                TspError::Unsupported(e.to_string())
            }
            CmsError::NotSignedData { .. } => TspError::BadResponse(e.to_string()),
            other => TspError::Malformed(other.to_string()),
        }
    }
}

fn bad(what: impl Into<String>) -> TspError {
    TspError::BadResponse(what.into())
}

/// The name of a PKIStatus value (RFC 3161 §2.4.2).
pub fn status_name(status: u8) -> &'static str {
    match status {
        0 => "granted",
        1 => "grantedWithMods",
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown status",
    }
}

/// The PKIFailureInfo bits RFC 3161 §2.4.2 names, with their numbers.
const FAILURE_BITS: [(usize, &str); 8] = [
    (0, "badAlg"),
    (2, "badRequest"),
    (5, "badDataFormat"),
    (14, "timeNotAvailable"),
    (15, "unacceptedPolicy"),
    (16, "unacceptedExtension"),
    (17, "addInfoNotAvailable"),
    (25, "systemFailure"),
];

fn rejection_message(status: &u8, text: &str, failures: &[&str]) -> String {
    let mut out = format!(
        "the time-stamping authority refused the request: {} ({status})",
        status_name(*status)
    );
    if !text.is_empty() {
        out.push_str(": ");
        out.push_str(text);
    }
    if !failures.is_empty() {
        out.push_str(&format!(" [{}]", failures.join(", ")));
    }
    out
}

/// A TimeStampReq (RFC 3161 §2.4.1) ready to send, and what the answer must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampRequest {
    der: Vec<u8>,
    algorithm: DigestAlgorithm,
    imprint: Vec<u8>,
    nonce: Vec<u8>,
    policy: Option<String>,
}

impl TimestampRequest {
    /// A version 1 request for `imprint`, the hash with `algorithm` of the data to stamp (for
    /// a CAdES/PAdES signature timestamp: of the SignerInfo's signature value, RFC 3161
    /// Appendix A). `nonce` is random octets: the nonce INTEGER is made minimal and positive
    /// from them (leading zero octets stripped, 0x00 prefixed only when the high bit is set,
    /// X.690 §8.3.2: OpenSSL rejects a non-minimal one); 1 to [`MAX_NONCE_LEN`] significant
    /// octets. `policy` is an optional dotted OID (reqPolicy). certReq is always TRUE, so
    /// that the token carries the TSA certificate. The hashAlgorithm is written with NULL
    /// parameters, as OpenSSL and most clients send it. SHA-1 is refused.
    pub fn new(
        algorithm: DigestAlgorithm,
        imprint: &[u8],
        nonce: &[u8],
        policy: Option<&str>,
    ) -> Result<Self, TspError> {
        if !algorithm.allowed_for_new_signatures() {
            return Err(TspError::InvalidInput(format!(
                "{} is not allowed for new time-stamps",
                algorithm.name()
            )));
        }
        if imprint.len() != algorithm.output_len() {
            return Err(TspError::InvalidInput(format!(
                "the imprint has {} bytes, {} needs {}",
                imprint.len(),
                algorithm.name(),
                algorithm.output_len()
            )));
        }
        let start = nonce.iter().take_while(|&&b| b == 0).count();
        let magnitude = nonce.get(start..).unwrap_or_default();
        if magnitude.is_empty() || magnitude.len() > MAX_NONCE_LEN {
            return Err(TspError::InvalidInput(format!(
                "a nonce has 1 to {MAX_NONCE_LEN} significant octets, not {}",
                magnitude.len()
            )));
        }
        let (policy, policy_der) = match policy {
            Some(dotted) => {
                let contents = encode_dotted_oid(dotted).ok_or_else(|| {
                    TspError::InvalidInput(format!("{dotted:?} is not a dotted OID"))
                })?;
                // Kept in the canonical form the response's policy is read in.
                let canonical = ber::decode_oid(&contents)
                    .map_err(|_| TspError::InvalidInput(format!("{dotted:?} is not an OID")))?;
                (Some(canonical), Some(der::tlv(der::tag::OID, &contents)))
            }
            None => (None, None),
        };

        let message_imprint = der::sequence(&[
            &der::sequence(&[&der::oid(&algorithm.known_oid()), &der::null()]),
            &der::octet_string(imprint),
        ]);
        let mut nonce_contents = Vec::with_capacity(magnitude.len() + 1);
        if magnitude[0] & 0x80 != 0 {
            nonce_contents.push(0);
        }
        nonce_contents.extend_from_slice(magnitude);
        let nonce_der = der::tlv(der::tag::INTEGER, &nonce_contents);
        let cert_req = der::tlv(BOOLEAN, &[0xFF]);
        let version = der::uint(1);
        let mut parts: Vec<&[u8]> = vec![&version, &message_imprint];
        if let Some(p) = &policy_der {
            parts.push(p);
        }
        parts.push(&nonce_der);
        parts.push(&cert_req);
        Ok(TimestampRequest {
            der: der::sequence(&parts),
            algorithm,
            imprint: imprint.to_vec(),
            nonce: magnitude.to_vec(),
            policy,
        })
    }

    /// As [`TimestampRequest::new`], with a fresh [`NONCE_LEN`]-octet nonce from the
    /// operating system's generator.
    pub fn with_random_nonce(
        algorithm: DigestAlgorithm,
        imprint: &[u8],
        policy: Option<&str>,
    ) -> Result<Self, TspError> {
        use rand::RngCore;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| TspError::InvalidInput(format!("no random nonce from the OS: {e}")))?;
        // An all-zero draw (probability 2^-128) would make no nonce: set one bit.
        nonce[NONCE_LEN - 1] |= 1;
        Self::new(algorithm, imprint, &nonce, policy)
    }

    /// The TimeStampReq, DER: the body of the HTTP POST (Content-Type
    /// [`REQUEST_CONTENT_TYPE`]).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The nonce INTEGER's magnitude (no leading zero octets).
    pub fn nonce_bytes(&self) -> &[u8] {
        &self.nonce
    }

    /// The hash algorithm of the imprint.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The imprint (hashedMessage).
    pub fn imprint(&self) -> &[u8] {
        &self.imprint
    }

    /// reqPolicy, dotted, if one was asked for.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }
}

/// Contents octets of the OBJECT IDENTIFIER with this dotted form (X.690 §8.19), or None when
/// it is not one: fewer than two arcs, a first arc above 2, a second arc above 39 under 0 or
/// 1, an arc that is not decimal digits or does not fit in 64 bits.
fn encode_dotted_oid(dotted: &str) -> Option<Vec<u8>> {
    if dotted.len() > MAX_POLICY_LEN {
        return None;
    }
    let mut arcs = Vec::new();
    for part in dotted.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        arcs.push(part.parse::<u64>().ok()?);
    }
    let (&first, rest) = arcs.split_first()?;
    let (&second, rest) = rest.split_first()?;
    if first > 2 || (first < 2 && second > 39) {
        return None;
    }
    let mut out = Vec::new();
    push_base128(first.checked_mul(40)?.checked_add(second)?, &mut out);
    for &arc in rest {
        push_base128(arc, &mut out);
    }
    Some(out)
}

/// Appends `value` in base 128, most significant group first, bit 8 set on all but the last.
fn push_base128(value: u64, out: &mut Vec<u8>) {
    let mut groups = [0u8; 10];
    let mut n = 0;
    let mut v = value;
    loop {
        groups[n] = (v & 0x7F) as u8;
        n += 1;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(if i == 0 { groups[i] } else { groups[i] | 0x80 });
    }
}

/// `Attribute { id-aa-signatureTimeStampToken, { token } }` (RFC 3161 Appendix A), DER, for
/// [`crate::signed_data_with_unsigned_attributes`]: `token` (the TimeStampToken ContentInfo
/// as received, e.g. [`CheckedTimestamp::token`]) is the single value, copied byte for byte.
/// The imprint for such a timestamp is the hash of the SignerInfo's signature value.
pub fn timestamp_attribute(token: &[u8]) -> Vec<u8> {
    crate::attributes::encode_attribute(&oid::TIMESTAMP_TOKEN, token)
}

/// A response that answers the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedTimestamp {
    /// The TimeStampToken (a ContentInfo holding SignedData), exactly as received.
    pub token: Vec<u8>,
    /// Its TSTInfo.
    pub info: TstInfo,
    /// The certificate that signed it (found among the token's certificates).
    pub tsa: CertificateInfo,
}

/// PKIStatusInfo as read.
struct StatusInfo {
    status: u8,
    text: String,
    failures: Vec<&'static str>,
}

impl StatusInfo {
    /// Reads a PKIStatusInfo. statusString and failInfo are only explanations: what of them
    /// cannot be read is dropped, never a reason to fail.
    fn parse(tlv: &Tlv<'_>) -> Result<Self, TspError> {
        let mut r = tlv.children();
        let status = r.read("PKIStatusInfo.status")?.uint()?;
        let status = u8::try_from(status).unwrap_or(u8::MAX);
        let mut texts: Vec<String> = Vec::new();
        if let Ok(Some(strings)) = r.optional_universal(universal::SEQUENCE) {
            let mut s = strings.children();
            while let Ok(Some(item)) = s.next_tlv() {
                if let Ok(Some(text)) = decode_string(&item) {
                    texts.push(text.trim().to_string());
                }
                if texts.len() >= 16 {
                    break;
                }
            }
        }
        let mut failures = Vec::new();
        if let Ok(Some(bits)) = r.optional_universal(universal::BIT_STRING)
            && let Ok(bits) = bits.bit_string()
        {
            failures = FAILURE_BITS
                .iter()
                .filter(|(bit, _)| bits.bit(*bit))
                .map(|(_, name)| *name)
                .collect();
        }
        let mut text = texts.join("; ");
        if text.chars().count() > MAX_STATUS_TEXT {
            text = text.chars().take(MAX_STATUS_TEXT).collect::<String>() + "…";
        }
        Ok(StatusInfo {
            status,
            text,
            failures,
        })
    }
}

/// Checks a TimeStampResp (RFC 3161 §2.4.2) against the request it answers.
///
/// `not_before` and `not_after` (Unix seconds) are when the request was sent and the
/// response received: genTime must lie within them, give or take [`CLOCK_SKEW_SECONDS`].
///
/// In order:
/// - PKIStatus granted (0) or grantedWithMods (1), else [`TspError::Rejected`];
/// - a timeStampToken: a SignedData with one SignerInfo whose eContentType is id-ct-TSTInfo;
/// - the SignerInfo verifies (RFC 5652 §5.6: signature, message-digest of the TSTInfo,
///   content-type) with its certificate, found among the token's certificates (certReq was
///   TRUE); a signing-certificate(-v2) attribute, when present, names that certificate
///   (RFC 5035, RFC 5816);
/// - that certificate is a TSA's (§2.3): extendedKeyUsage holds id-kp-timeStamping and is
///   critical, keyUsage (if any) allows signatures, else [`TspError::NotATsa`]; and it is
///   valid at genTime;
/// - the TSTInfo's messageImprint is the request's ([`TspError::WrongImprint`]), its nonce
///   too ([`TspError::WrongNonce`]), its policy the reqPolicy when one was asked for, its
///   genTime within the window.
///
/// Trust in the TSA certificate (its chain to an anchor) and revocation are not checked.
pub fn check_response(
    response: &[u8],
    request: &TimestampRequest,
    not_before: i64,
    not_after: i64,
) -> Result<CheckedTimestamp, TspError> {
    if response.len() > MAX_RESPONSE_LEN {
        return Err(bad(format!(
            "the response has {} bytes, more than the {MAX_RESPONSE_LEN} accepted",
            response.len()
        )));
    }
    let (resp, rest) = ber::parse_tlv(response)?;
    if !rest.is_empty() {
        return Err(TspError::Malformed(format!(
            "{} bytes follow the TimeStampResp",
            rest.len()
        )));
    }
    let resp = resp.expect_universal(universal::SEQUENCE, "TimeStampResp")?;
    let mut r = resp.children();
    let status_info = r.expect(universal::SEQUENCE, "TimeStampResp.status")?;
    let status = StatusInfo::parse(&status_info)?;
    if status.status > 1 {
        return Err(TspError::Rejected {
            status: status.status,
            text: status.text,
            failures: status.failures,
        });
    }
    let Some(token) = r.next_tlv()? else {
        return Err(bad(format!(
            "the status is {} but no timeStampToken follows",
            status_name(status.status)
        )));
    };
    let token = token.raw.to_vec();
    let (tsa, tst_der) = check_token(&token)?;
    let info = TstInfo::from_der(&tst_der)?;

    if tsa.not_before > info.gen_time || info.gen_time > tsa.not_after {
        return Err(bad(format!(
            "the certificate of {} was not valid at the time-stamp's genTime",
            tsa.subject
        )));
    }
    let same_algorithm = info.imprint_algorithm.oid == request.algorithm.oid()
        && info.imprint_algorithm.has_absent_or_null_parameters();
    if !same_algorithm || info.imprint != request.imprint {
        return Err(TspError::WrongImprint);
    }
    if info.nonce.as_deref() != Some(request.nonce.as_slice()) {
        return Err(TspError::WrongNonce);
    }
    if let Some(policy) = &request.policy
        && info.policy != *policy
    {
        return Err(bad(format!(
            "the time-stamp is under policy {}, not the {policy} asked for",
            info.policy
        )));
    }
    let earliest = not_before.saturating_sub(CLOCK_SKEW_SECONDS);
    let latest = not_after.saturating_add(CLOCK_SKEW_SECONDS);
    if info.gen_time < earliest || info.gen_time > latest {
        return Err(bad(format!(
            "the time-stamp's genTime ({}) is not between the request's sending and the response's arrival ({} to {}, ±{CLOCK_SKEW_SECONDS} s)",
            utc(info.gen_time),
            utc(not_before),
            utc(not_after)
        )));
    }
    Ok(CheckedTimestamp { token, info, tsa })
}

/// Unix seconds as "2026-01-01T00:00:00Z" (H. Hinnant's civil_from_days), for messages.
fn utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// Checks the token's structure, signature and signer; returns the signer certificate and the
/// TSTInfo DER.
fn check_token(token: &[u8]) -> Result<(CertificateInfo, Vec<u8>), TspError> {
    let parsed = parse_signed_data(token)?;
    if parsed.encap_content_type != ID_CT_TST_INFO {
        return Err(bad(format!(
            "the token holds {}, not a TSTInfo",
            parsed.encap_content_type
        )));
    }
    let Some(tst_der) = parsed.encap_content.clone() else {
        return Err(bad("the token holds no TSTInfo (detached content)"));
    };
    // RFC 3161 §2.4.2: no signature other than the TSA's.
    if parsed.signer_infos.len() != 1 {
        return Err(bad(format!(
            "the token has {} signers, not one",
            parsed.signer_infos.len()
        )));
    }
    if parsed.certificates.is_empty() {
        return Err(bad("the TSA sent no certificate"));
    }
    let signer = &parsed.signer_infos[0];
    let Some(digest) = signer.digest_algorithm.digest_algorithm() else {
        return Err(TspError::Unsupported(format!(
            "digest algorithm {}",
            signer.digest_algorithm.oid
        )));
    };
    let v = verify_signer(&parsed, 0, Some(&digest.digest(&tst_der)))?;
    match &v.signature {
        SignatureCheck::Valid => {}
        SignatureCheck::Invalid => {
            return Err(bad(
                "the token's signature does not verify with the TSA certificate",
            ));
        }
        SignatureCheck::CertificateNotFound => {
            return Err(bad("the token's certificates do not include its signer's"));
        }
        SignatureCheck::UnsupportedAlgorithm(a) | SignatureCheck::UnsupportedKey(a) => {
            return Err(TspError::Unsupported(a.clone()));
        }
        SignatureCheck::ContentDigestNeeded => {
            return Err(bad("the token's signature cannot be checked"));
        }
    }
    match v.message_digest {
        DigestCheck::Matches | DigestCheck::CoveredBySignature => {}
        DigestCheck::Mismatch => return Err(bad("the TSTInfo was altered after signing")),
        DigestCheck::MissingAttribute | DigestCheck::NotChecked => {
            return Err(bad("the token's signed attributes hold no message-digest"));
        }
    }
    if !v.content_type_matches {
        return Err(bad(
            "the token's content-type attribute is not id-ct-TSTInfo",
        ));
    }
    if v.signing_certificate == SigningCertificateCheck::Mismatch {
        return Err(bad(
            "the token's signing-certificate attribute names another certificate than its signer's",
        ));
    }
    let Some(tsa) = v.certificate else {
        return Err(bad("the token's certificates do not include its signer's"));
    };
    check_tsa_certificate(&tsa)?;
    Ok((tsa, tst_der))
}

/// RFC 3161 §2.3: the TSA certificate has exactly one extendedKeyUsage extension, critical,
/// with id-kp-timeStamping; a keyUsage, when present, must allow signatures.
fn check_tsa_certificate(tsa: &CertificateInfo) -> Result<(), TspError> {
    let time_stamping = tsa
        .extended_key_usage
        .as_ref()
        .is_some_and(|purposes| purposes.iter().any(|p| p == KP_TIME_STAMPING));
    if !time_stamping {
        return Err(TspError::NotATsa(format!(
            "the certificate of {} does not name id-kp-timeStamping in its extendedKeyUsage",
            tsa.subject
        )));
    }
    let critical = CertificateExtensions::from_der(&tsa.der)
        .is_ok_and(|e| e.critical.iter().any(|o| o == oid::EXT_EXTENDED_KEY_USAGE));
    if !critical {
        return Err(TspError::NotATsa(format!(
            "the extendedKeyUsage of the certificate of {} is not critical",
            tsa.subject
        )));
    }
    if tsa
        .key_usage
        .is_some_and(|k| !k.digital_signature && !k.non_repudiation)
    {
        return Err(TspError::NotATsa(format!(
            "the keyUsage of the certificate of {} does not allow signatures",
            tsa.subject
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The children of the request SEQUENCE, raw.
    fn fields(der_bytes: &[u8]) -> Vec<Vec<u8>> {
        let (seq, rest) = ber::parse_tlv(der_bytes).unwrap();
        assert!(rest.is_empty());
        let mut r = seq.children();
        let mut out = Vec::new();
        while let Some(t) = r.next_tlv().unwrap() {
            out.push(t.raw.to_vec());
        }
        out
    }

    #[test]
    fn request_der() {
        let imprint = [0xAB; 32];
        let req = TimestampRequest::new(
            DigestAlgorithm::Sha256,
            &imprint,
            &[0x00, 0x80, 0x01],
            Some("1.3.6.1.4.1.59999.3161.1"),
        )
        .unwrap();
        let f = fields(req.der());
        assert_eq!(f.len(), 5);
        assert_eq!(hex(&f[0]), "020101");
        assert_eq!(
            hex(&f[1]),
            format!("3031300d0609608648016503040201050004 20{}", hex(&imprint)).replace(' ', "")
        );
        assert_eq!(hex(&f[2]), "060b2b0601040183d45f985901");
        // The nonce: leading zero stripped, one 0x00 kept because 0x80 has the high bit.
        assert_eq!(hex(&f[3]), "0203008001");
        assert_eq!(req.nonce_bytes(), &[0x80, 0x01]);
        assert_eq!(hex(&f[4]), "0101ff");
        assert_eq!(req.policy(), Some("1.3.6.1.4.1.59999.3161.1"));
        assert_eq!(req.imprint(), &imprint);
        assert_eq!(req.algorithm(), DigestAlgorithm::Sha256);
    }

    #[test]
    fn nonce_integers_are_minimal_and_positive() {
        let imprint = [1u8; 48];
        for (nonce, want, magnitude) in [
            (&[0x00, 0x80, 0x02][..], "0203008002", &[0x80, 0x02][..]),
            (&[0x00, 0x00, 0x7F], "02017f", &[0x7F]),
            (&[0x80], "02020080", &[0x80]),
            (&[0x01, 0x00], "02020100", &[0x01, 0x00]),
            (&[0x00, 0x00, 0x00, 0xFF, 0x00], "020300ff00", &[0xFF, 0x00]),
        ] {
            let req =
                TimestampRequest::new(DigestAlgorithm::Sha384, &imprint, nonce, None).unwrap();
            let f = fields(req.der());
            // version, imprint, nonce, certReq: no policy.
            assert_eq!(f.len(), 4);
            assert_eq!(hex(&f[2]), want, "{nonce:?}");
            assert_eq!(req.nonce_bytes(), magnitude);
            assert_eq!(req.policy(), None);
        }
    }

    #[test]
    fn bad_request_arguments() {
        let ok = [0u8; 32];
        for (alg, imprint, nonce, policy) in [
            (DigestAlgorithm::Sha1, &[0u8; 20][..], &[1u8][..], None),
            (DigestAlgorithm::Sha256, &[0u8; 31], &[1], None),
            (DigestAlgorithm::Sha256, &ok, &[], None),
            (DigestAlgorithm::Sha256, &ok, &[0, 0, 0], None),
            (DigestAlgorithm::Sha256, &ok, &[1; 33], None),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("1")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("3.1")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("1.40")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("1.2.")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("1.2.x")),
            (DigestAlgorithm::Sha256, &ok, &[1], Some("1.2.-3")),
            (
                DigestAlgorithm::Sha256,
                &ok,
                &[1],
                Some("1.2.99999999999999999999"),
            ),
        ] {
            let err = TimestampRequest::new(alg, imprint, nonce, policy).unwrap_err();
            assert_eq!(
                err.code(),
                "TSA_INVALID_INPUT",
                "{alg:?} {nonce:?} {policy:?}"
            );
        }
        // Leading zeros in the dotted form are canonicalised; 2.x arcs may exceed 39.
        let req =
            TimestampRequest::new(DigestAlgorithm::Sha256, &ok, &[1], Some("1.02.003")).unwrap();
        assert_eq!(req.policy(), Some("1.2.3"));
        let req =
            TimestampRequest::new(DigestAlgorithm::Sha256, &ok, &[1], Some("2.999.1")).unwrap();
        assert_eq!(hex(&fields(req.der())[2]), "0603883701");
    }

    #[test]
    fn random_nonces_differ() {
        let a =
            TimestampRequest::with_random_nonce(DigestAlgorithm::Sha256, &[0; 32], None).unwrap();
        let b =
            TimestampRequest::with_random_nonce(DigestAlgorithm::Sha256, &[0; 32], None).unwrap();
        assert_ne!(a.nonce_bytes(), b.nonce_bytes());
        assert!(!a.nonce_bytes().is_empty() && a.nonce_bytes().len() <= NONCE_LEN);
        assert_ne!(a.nonce_bytes()[0], 0);
    }

    fn request() -> TimestampRequest {
        TimestampRequest::new(DigestAlgorithm::Sha256, &[5; 32], &[9; 8], None).unwrap()
    }

    #[test]
    fn rejections_carry_status_text_and_failures() {
        // status rejection, two statusStrings, failInfo badAlg(0) + unacceptedPolicy(15).
        let strings = der::sequence(&[
            &der::tlv(0x0C, "Chính sách không được hỗ trợ".as_bytes()),
            &der::tlv(0x0C, b" try later "),
        ]);
        let fail_info = der::tlv(0x03, &[0x00, 0x80, 0x01]);
        let status = der::sequence(&[&der::uint(2), &strings, &fail_info]);
        let resp = der::sequence(&[&status]);
        let err = check_response(&resp, &request(), 0, 0).unwrap_err();
        assert_eq!(
            err,
            TspError::Rejected {
                status: 2,
                text: "Chính sách không được hỗ trợ; try later".into(),
                failures: vec!["badAlg", "unacceptedPolicy"],
            }
        );
        assert_eq!(err.code(), "TSA_REJECTED");
        assert_eq!(
            err.to_string(),
            "the time-stamping authority refused the request: rejection (2): Chính sách không được hỗ trợ; try later [badAlg, unacceptedPolicy]"
        );

        // waiting, nothing else; an unreadable statusString is dropped.
        let resp = der::sequence(&[&der::sequence(&[&der::uint(3)])]);
        let err = check_response(&resp, &request(), 0, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the time-stamping authority refused the request: waiting (3)"
        );
        let broken = der::sequence(&[&[0x0C, 0x05, 1][..]]);
        let resp = der::sequence(&[&der::sequence(&[&der::uint(2), &broken])]);
        let err = check_response(&resp, &request(), 0, 0).unwrap_err();
        assert!(matches!(err, TspError::Rejected { status: 2, ref text, .. } if text.is_empty()));
        let resp = der::sequence(&[&der::sequence(&[
            &der::uint(300),
            &der::sequence(&[&der::uint(1)]),
        ])]);
        let err = check_response(&resp, &request(), 0, 0).unwrap_err();
        assert!(matches!(err, TspError::Rejected { status: 255, ref text, .. } if text.is_empty()));
    }

    #[test]
    fn granted_needs_a_token() {
        for status in [0, 1] {
            let resp = der::sequence(&[&der::sequence(&[&der::uint(status)])]);
            let err = check_response(&resp, &request(), 0, 0).unwrap_err();
            assert_eq!(err.code(), "TSA_BAD_RESPONSE", "{err}");
        }
        // A token that is not a SignedData.
        let token = der::sequence(&[
            &der::oid(&oid::ID_DATA),
            &der::context(0, &der::octet_string(b"x")),
        ]);
        let resp = der::sequence(&[&der::sequence(&[&der::uint(0)]), &token]);
        let err = check_response(&resp, &request(), 0, 0).unwrap_err();
        assert_eq!(err.code(), "TSA_BAD_RESPONSE", "{err}");
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for input in [
            &b""[..],
            b"<html>502 Bad Gateway</html>",
            b"\x30",
            b"\x30\x00",
            b"\x30\x02\x30\x00",
            b"\x30\x03\x02\x01\x00",
            b"\x30\x05\x30\x03\x02\x01\xFF",
            b"\x30\x80\x30\x80\x02\x01\x00\x00\x00\x00\x00",
            b"\x30\x05\x30\x03\x02\x01\x00\x00",
        ] {
            let err = check_response(input, &request(), 0, 0).unwrap_err();
            assert!(
                matches!(err.code(), "TSA_MALFORMED" | "TSA_BAD_RESPONSE"),
                "{input:?}: {err}"
            );
        }
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            assert!(check_response(&bytes, &request(), 0, 0).is_err());
            let wrapped = der::sequence(&[&der::sequence(&[&der::uint(0)]), &bytes]);
            assert!(check_response(&wrapped, &request(), 0, 0).is_err());
        }
        let huge = vec![0u8; MAX_RESPONSE_LEN + 1];
        assert_eq!(
            check_response(&huge, &request(), 0, 0).unwrap_err().code(),
            "TSA_BAD_RESPONSE"
        );
    }

    #[test]
    fn timestamp_attribute_wraps_the_token_untouched() {
        // A BER token (indefinite length) stays as it is.
        let token = [0x30, 0x80, 0x06, 0x01, 0x2A, 0x00, 0x00];
        let attr = timestamp_attribute(&token);
        let (tlv, rest) = ber::parse_tlv(&attr).unwrap();
        assert!(rest.is_empty());
        let mut r = tlv.children();
        assert_eq!(
            r.read("type").unwrap().oid().unwrap(),
            oid::TIMESTAMP_TOKEN.dotted()
        );
        let values = r.read("values").unwrap();
        assert!(values.is_universal(universal::SET));
        assert_eq!(values.contents, &token);
        assert!(r.is_empty());
    }

    #[test]
    fn times_in_messages() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_709_208_000), "2024-02-29T12:00:00Z");
        assert_eq!(utc(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
        // Extreme inputs do not panic.
        let _ = utc(i64::MAX);
        let _ = utc(i64::MIN);
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(TspError::WrongImprint.code(), "TSA_WRONG_IMPRINT");
        assert_eq!(TspError::WrongNonce.code(), "TSA_WRONG_NONCE");
        assert_eq!(TspError::NotATsa(String::new()).code(), "TSA_NOT_A_TSA");
        assert_eq!(
            TspError::BadResponse(String::new()).code(),
            "TSA_BAD_RESPONSE"
        );
        assert_eq!(
            TspError::from(CmsError::malformed("x")).code(),
            "TSA_MALFORMED"
        );
        assert_eq!(
            TspError::from(CmsError::UnsupportedKey("x".into())).code(),
            "TSA_UNSUPPORTED"
        );
    }
}
