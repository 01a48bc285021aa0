//! The VNPT SDK's wire format (`SDKVXP` 2.x, docs/exchange-dialects.md, "vdxp"), shared by the
//! client ([`super::VdxpClient`]) and the test double in `kyso-exchange`, so the two can never
//! disagree. Read from the SDK's public code [S] unless marked [I]:
//!
//! - every parameter of a call is a *logical header* `k: v`; the SDK keeps them in one map, with
//!   `systemid` and `timestamp` (`ddMMyyyy'T'HHmmss+SSSS`: `SSSS` is the milliseconds, not an
//!   offset) set once when the service object is made, and sends each as `XroadVnpt-k: v`;
//! - then `XroadVnpt-sign-header-key` (the logical names joined with `;`),
//!   `XroadVnpt-sign-header` (the compact JSON object of the `XroadVnpt-*` headers),
//!   `XroadVnpt-hash-header` (lowercase hex HMAC-SHA256 of that JSON's UTF-8 bytes, keyed with
//!   the secret's) and `XroadVnpt-version: 3.0.201608`;
//! - the map is never cleared, so a call carries the parameters of earlier calls too (stale
//!   headers), in the map's order;
//! - `hash-file` is the SHA-256 of the body written byte by byte with `Integer.toHexString`,
//!   which drops each byte's leading zero;
//! - answers are JSON: `status` ("OK" | "FAIL"), `ErrorCode` ("0" is success), `ErrorDesc`, and
//!   `DocId` or `data`.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The prefix of every parameter header.
pub const PREFIX: &str = "XroadVnpt-";
pub const SIGN_HEADER_KEY: &str = "XroadVnpt-sign-header-key";
pub const SIGN_HEADER: &str = "XroadVnpt-sign-header";
pub const HASH_HEADER: &str = "XroadVnpt-hash-header";
pub const VERSION_HEADER: &str = "XroadVnpt-version";
pub const VERSION: &str = "3.0.201608";

pub const SEND_PATH: &str = "/sendEdoc";
pub const RECEIVED_LIST_PATH: &str = "/getReceivedEdocList";
pub const SENT_LIST_PATH: &str = "/getSentEdocList";
pub const GET_PATH: &str = "/getEdoc";
pub const UPDATE_STATUS_PATH: &str = "/updateStatus";

/// `status` of a successful answer, and `ErrorCode`.
pub const OK: &str = "OK";
pub const FAIL: &str = "FAIL";
pub const SUCCESS_CODE: &str = "0";

/// What a platform answers when `from` is not the registered `systemid` [S: the words, without
/// diacritics, as the platforms send them].
pub fn sender_mismatch_text(from: &str, system_id: &str) -> String {
    format!("Don vi gui {from} khong dung voi ma da dang ky: {system_id}")
}

/// Whether `ErrorDesc` is [`sender_mismatch_text`]'s.
pub fn is_sender_mismatch(description: &str) -> bool {
    description
        .to_ascii_lowercase()
        .contains("khong dung voi ma da dang ky")
}

/// `timestamp` as the SDK writes it: `ddMMyyyy'T'HHmmss+SSSS` in the computer's time (Vietnam's,
/// UTC+7, for Kyso [I]), `SSSS` the milliseconds padded to four digits.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC));
    format!(
        "{:02}{:02}{:04}T{:02}{:02}{:02}+{:04}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Whether `text` has [`timestamp`]'s shape.
pub fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b[8] == b'T'
        && b[15] == b'+'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit())
}

/// The headers of a call whose logical headers are `params` (in this order; `systemid` and
/// `timestamp` among them): each as `XroadVnpt-k`, then the signature headers.
pub fn signed_headers(params: &[(&str, &str)], secret: &[u8]) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(params.len() + 4);
    let mut names = Vec::with_capacity(params.len());
    // Written by hand, in the order given, as Gson writes a `JsonObject`.
    let mut signed = String::from("{");
    for (i, (name, value)) in params.iter().enumerate() {
        let header = format!("{PREFIX}{name}");
        if i > 0 {
            signed.push(',');
        }
        signed.push_str(&serde_json::Value::String(header.clone()).to_string());
        signed.push(':');
        signed.push_str(&serde_json::Value::String((*value).to_string()).to_string());
        headers.push((header, (*value).to_string()));
        names.push(*name);
    }
    signed.push('}');
    let hash = hmac_hex(secret, signed.as_bytes());
    headers.push((SIGN_HEADER_KEY.to_string(), names.join(";")));
    headers.push((SIGN_HEADER.to_string(), signed));
    headers.push((HASH_HEADER.to_string(), hash));
    headers.push((VERSION_HEADER.to_string(), VERSION.to_string()));
    headers
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// The SHA-256 of a body as the SDK writes `hash-file` (each byte without its leading zero).
pub fn sdk_hash_file(sha256: &[u8]) -> String {
    sha256.iter().map(|b| format!("{b:x}")).collect()
}

/// Whether a `hash-file` (as Kyso writes it, 64 hex digits, or as the SDK does) names the
/// SHA-256 `sha256_hex`.
pub fn hash_file_matches(hash_file: &str, sha256_hex: &str) -> bool {
    let given = hash_file.trim().to_ascii_lowercase();
    if given == sha256_hex.to_ascii_lowercase() {
        return true;
    }
    match hex::decode(sha256_hex) {
        Ok(bytes) => given == sdk_hash_file(&bytes),
        Err(_) => false,
    }
}

/// Why a signed request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no {0} header")]
    Missing(&'static str),
    #[error("XroadVnpt-sign-header is not a JSON object of strings")]
    NotJson,
    #[error("the signed headers name no systemid")]
    NoSystemId,
    #[error("unknown systemid {0}")]
    UnknownSystem(String),
    #[error("XroadVnpt-hash-header does not match the signed headers")]
    BadHash,
    #[error("{0} differs from its signed value")]
    Altered(String),
}

/// The logical headers of a request whose signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedParams {
    /// (logical name, value) in the signed order.
    pub params: Vec<(String, String)>,
}

impl SignedParams {
    /// A logical header's value; names compare without regard to case (`docid`, `docId`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn system_id(&self) -> &str {
        self.get("systemid").unwrap_or("")
    }
}

/// Checks a request's signature. `header` gives a request header's value (names compare
/// without regard to case, as HTTP's do); `secret_of` the secret of a system. Extra
/// `XroadVnpt-*` headers, signed or not, are accepted (the SDK sends stale ones); a signed
/// header that is also sent must carry its signed value.
pub fn verify_request(
    header: impl Fn(&str) -> Option<String>,
    secret_of: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<SignedParams, SignatureError> {
    let signed = header(SIGN_HEADER).ok_or(SignatureError::Missing(SIGN_HEADER))?;
    let hash = header(HASH_HEADER).ok_or(SignatureError::Missing(HASH_HEADER))?;
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&signed).map_err(|_| SignatureError::NotJson)?;
    let mut params = Vec::with_capacity(object.len());
    for (name, value) in &object {
        let value = value.as_str().ok_or(SignatureError::NotJson)?;
        let logical = name
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &name[PREFIX.len()..])
            .unwrap_or(name);
        params.push((logical.to_string(), value.to_string()));
    }
    let params = SignedParams { params };
    let system_id = params.system_id().to_string();
    if system_id.is_empty() {
        return Err(SignatureError::NoSystemId);
    }
    let secret =
        secret_of(&system_id).ok_or_else(|| SignatureError::UnknownSystem(system_id.clone()))?;
    let expected = hmac_hex(&secret, signed.as_bytes());
    if !constant_time_eq(
        expected.as_bytes(),
        hash.trim().to_ascii_lowercase().as_bytes(),
    ) {
        return Err(SignatureError::BadHash);
    }
    for (name, value) in &params.params {
        let header_name = format!("{PREFIX}{name}");
        if let Some(sent) = header(&header_name)
            && sent != *value
        {
            return Err(SignatureError::Altered(header_name));
        }
    }
    Ok(params)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `ErrorCode`, a string in the SDK's answers; a number is read too.
fn code_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// `POST /sendEdoc`'s answer, with the keys' exact casing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SendAnswer {
    pub status: String,
    #[serde(rename = "ErrorCode", deserialize_with = "code_text", default)]
    pub error_code: String,
    #[serde(rename = "ErrorDesc", deserialize_with = "code_text", default)]
    pub error_desc: String,
    #[serde(rename = "DocId", deserialize_with = "code_text", default)]
    pub doc_id: String,
}

/// `POST /updateStatus`'s answer (and the head of every other).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BasicAnswer {
    pub status: String,
    #[serde(rename = "ErrorCode", deserialize_with = "code_text", default)]
    pub error_code: String,
    #[serde(rename = "ErrorDesc", deserialize_with = "code_text", default)]
    pub error_desc: String,
}

/// `POST /getEdoc`'s answer: `data`, the base64 of the whole edXML.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EdocAnswer {
    pub status: String,
    #[serde(rename = "ErrorCode", deserialize_with = "code_text", default)]
    pub error_code: String,
    #[serde(rename = "ErrorDesc", deserialize_with = "code_text", default)]
    pub error_desc: String,
    #[serde(default)]
    pub data: Option<String>,
}

/// `POST /getReceivedEdocList`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReceivedListAnswer {
    pub status: String,
    #[serde(rename = "ErrorCode", deserialize_with = "code_text", default)]
    pub error_code: String,
    #[serde(rename = "ErrorDesc", deserialize_with = "code_text", default)]
    pub error_desc: String,
    #[serde(default)]
    pub data: Option<Vec<ReceivedItem>>,
}

/// One entry of the received list: the keys the SDK reads [S].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct ReceivedItem {
    #[serde(rename = "docId", default, deserialize_with = "code_text")]
    pub doc_id: String,
    #[serde(rename = "serviceType", default, deserialize_with = "code_text")]
    pub service_type: String,
    #[serde(rename = "messageType", default, deserialize_with = "code_text")]
    pub message_type: String,
    #[serde(default, deserialize_with = "code_text")]
    pub from: String,
    #[serde(default, deserialize_with = "code_text")]
    pub to: String,
    #[serde(default, deserialize_with = "code_text")]
    pub status: String,
    #[serde(default, deserialize_with = "code_text")]
    pub status_desc: String,
    #[serde(default, deserialize_with = "code_text")]
    pub created_time: String,
    #[serde(default, deserialize_with = "code_text")]
    pub updated_time: String,
}

/// `POST /getSentEdocList`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentListAnswer {
    pub status: String,
    #[serde(rename = "ErrorCode", deserialize_with = "code_text", default)]
    pub error_code: String,
    #[serde(rename = "ErrorDesc", deserialize_with = "code_text", default)]
    pub error_desc: String,
    #[serde(default)]
    pub data: Option<Vec<SentItem>>,
}

/// One entry of the sent list: the keys the SDK reads [S], and two it does not, the edXML
/// `DocumentId` and the package's `hashFile`, which Kyso matches on when a platform gives them
/// [I: whether real platforms do is unknown; without them a lookup cannot tell].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct SentItem {
    #[serde(rename = "serviceType", default, deserialize_with = "code_text")]
    pub service_type: String,
    #[serde(rename = "messageType", default, deserialize_with = "code_text")]
    pub message_type: String,
    #[serde(rename = "senderDocId", default, deserialize_with = "code_text")]
    pub sender_doc_id: String,
    #[serde(rename = "receiverDocId", default, deserialize_with = "code_text")]
    pub receiver_doc_id: String,
    #[serde(rename = "fromCode", default, deserialize_with = "code_text")]
    pub from_code: String,
    #[serde(rename = "toCode", default, deserialize_with = "code_text")]
    pub to_code: String,
    #[serde(default, deserialize_with = "code_text")]
    pub title: String,
    #[serde(default, deserialize_with = "code_text")]
    pub notation: String,
    #[serde(rename = "sentTime", default, deserialize_with = "code_text")]
    pub sent_time: String,
    #[serde(rename = "receivedTime", default, deserialize_with = "code_text")]
    pub received_time: String,
    #[serde(rename = "sendStatus", default, deserialize_with = "code_text")]
    pub send_status: String,
    #[serde(rename = "sendStatusDesc", default, deserialize_with = "code_text")]
    pub send_status_desc: String,
    #[serde(rename = "receiveStatus", default, deserialize_with = "code_text")]
    pub receive_status: String,
    #[serde(rename = "receiveStatusDesc", default, deserialize_with = "code_text")]
    pub receive_status_desc: String,
    #[serde(
        rename = "documentId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub document_id: Option<String>,
    #[serde(rename = "hashFile", default, skip_serializing_if = "Option::is_none")]
    pub hash_file: Option<String>,
}

/// Why an answer cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AnswerError(pub String);

/// Reads any of the answers above.
pub fn parse_answer<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AnswerError> {
    serde_json::from_slice(body).map_err(|e| AnswerError(format!("not a VDXP answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_and_tolerates_what_the_sdk_sends() {
        let secret = b"bi-mat";
        let headers = signed_headers(
            &[
                ("systemid", "000.00.00.H35"),
                ("timestamp", "22112026T080000+0123"),
                ("docid", "abc"),
            ],
            secret,
        );
        let key = headers
            .iter()
            .find(|(k, _)| k == SIGN_HEADER_KEY)
            .map(|(_, v)| v.clone());
        assert_eq!(key.as_deref(), Some("systemid;timestamp;docid"));
        let signed = headers
            .iter()
            .find(|(k, _)| k == SIGN_HEADER)
            .map(|(_, v)| v.clone())
            .expect("signed");
        assert_eq!(
            signed,
            r#"{"XroadVnpt-systemid":"000.00.00.H35","XroadVnpt-timestamp":"22112026T080000+0123","XroadVnpt-docid":"abc"}"#
        );
        let lookup = |extra: Option<(&'static str, &'static str)>| {
            let headers = headers.clone();
            move |name: &str| {
                if let Some((k, v)) = extra
                    && k.eq_ignore_ascii_case(name)
                {
                    return Some(v.to_string());
                }
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            }
        };
        let secrets = |id: &str| (id == "000.00.00.H35").then(|| secret.to_vec());
        let params = verify_request(lookup(None), secrets).expect("valid");
        assert_eq!(params.get("docId"), Some("abc"), "docid in lower case");
        // An extra, unsigned XroadVnpt header is ignored.
        assert!(verify_request(lookup(Some(("XroadVnpt-servicetype", "eDoc"))), secrets).is_ok());
        // A signed header altered on the way is not.
        assert_eq!(
            verify_request(lookup(Some(("XroadVnpt-docid", "xyz"))), secrets),
            Err(SignatureError::Altered("XroadVnpt-docid".into()))
        );
        assert_eq!(
            verify_request(lookup(None), |_| Some(b"wrong".to_vec())),
            Err(SignatureError::BadHash)
        );
    }

    #[test]
    fn hash_file_without_leading_zeros_is_recognised() {
        let mut digest = [0u8; 32];
        digest[0] = 0x0a;
        digest[1] = 0x00;
        digest[31] = 0xff;
        let full = hex::encode(digest);
        let sdk = sdk_hash_file(&digest);
        assert!(sdk.starts_with("a0"));
        assert!(hash_file_matches(&sdk, &full));
        assert!(hash_file_matches(&full.to_uppercase(), &full));
        assert!(!hash_file_matches("a1", &full));
    }

    #[test]
    fn the_timestamp_has_the_sdk_shape() {
        let t = time::macros::datetime!(2026-11-22 01:02:03.045 UTC);
        assert_eq!(timestamp(t), "22112026T080203+0045");
        assert!(is_timestamp(&timestamp(t)));
        assert!(!is_timestamp("2026-11-22T08:02:03Z"));
    }

    #[test]
    fn answers_keep_their_casing_and_read_numbers_as_codes() {
        let a: SendAnswer =
            parse_answer(br#"{"status":"FAIL","ErrorCode":12,"ErrorDesc":"x","DocId":null}"#)
                .expect("answer");
        assert_eq!(a.error_code, "12");
        assert_eq!(a.doc_id, "");
        let text = serde_json::to_string(&SendAnswer {
            status: OK.into(),
            error_code: "0".into(),
            error_desc: "Success".into(),
            doc_id: "d".into(),
        })
        .expect("json");
        assert_eq!(
            text,
            r#"{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","DocId":"d"}"#
        );
    }
}
