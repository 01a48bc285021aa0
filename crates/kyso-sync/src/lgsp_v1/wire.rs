//! The `/v1` REST axis's wire format (docs/exchange-dialects.md, "lgsp-v1"), shared by the
//! client ([`super::LgspClient`]) and the test double in `kyso-exchange`, so the two can never
//! disagree. What is confirmed and what is inferred is listed there; in short, from provincial
//! client code and its Postman collection [S]:
//!
//! - `POST /v1/auth/login?allow_anonymous=true` with `{username, password, applicationCode}` →
//!   `{code, message, data: {token}}`, a JWT valid 30 minutes;
//! - every call carries `Authorization: Bearer <token>`, `X-SystemId` and `X-SecretKey`; without
//!   the token the answer is HTTP 401 `{"code": 401, "message": "Unauthorized", "licenseInfo":
//!   "invalid", …}`;
//! - `POST /v1/sendEdoc` (multipart: `edocFile`, `messageType`), `GET /v1/syncReceivedEdocList`,
//!   `GET /v1/getEdoc?docId=` (base64 edXML in `data.data`), `POST /v1/updateStatus`;
//! - the envelope `{code, message, data, errorDetail}` and its codes ([`KYSO_CODES`]).

use serde::{Deserialize, Serialize};

pub const LOGIN_PATH: &str = "/v1/auth/login?allow_anonymous=true";
pub const SEND_PATH: &str = "/v1/sendEdoc";
pub const LIST_PATH: &str = "/v1/syncReceivedEdocList";
pub const GET_PATH: &str = "/v1/getEdoc";
pub const UPDATE_STATUS_PATH: &str = "/v1/updateStatus";
pub const SYSTEM_ID_HEADER: &str = "X-SystemId";
pub const SECRET_KEY_HEADER: &str = "X-SecretKey";
/// The multipart field of the edXML file, and of its kind.
pub const FILE_FIELD: &str = "edocFile";
pub const MESSAGE_TYPE_FIELD: &str = "messageType";
/// Dates of the list's `fromDate` and `toDate`: `YYYY/MM/DD` (the Postman collection's).
pub const DATE_FORMAT: &str = "YYYY/MM/DD";
/// How long a token lives when its JWT does not say (30 minutes) [S].
pub const TOKEN_LIFETIME_SECONDS: u64 = 30 * 60;

/// `code` 0: success.
pub const SUCCESS: i64 = 0;

/// The platform's codes [S], Kyso's code for each (its text is in kyso-core's catalogue), and
/// whether trying again later may help.
pub const KYSO_CODES: &[(i64, &str, bool)] = &[
    (10, "EXCHANGE_FILE_INVALID", false),
    (18, "EXCHANGE_RECEIVER_UNKNOWN", false),
    (19, "EXCHANGE_SENDER_NOT_REGISTERED", false),
    (20, "EXCHANGE_PLATFORM_ERROR", true),
    (21, "EXCHANGE_FILE_PROCESSING", true),
    (22, "EXCHANGE_EDXML_REJECTED", false),
    (23, "EXCHANGE_RECEIVER_LOCKED", false),
];

/// Code 15: the `X-SystemId` or `X-SecretKey` is wrong (Kyso: `EXCHANGE_INVALID_CLIENT`).
pub const WRONG_SYSTEM_OR_SECRET: i64 = 15;

/// Kyso's code for a platform code, when it has one of its own.
pub fn kyso_code(code: i64) -> Option<(&'static str, bool)> {
    KYSO_CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, kyso, transient)| (*kyso, *transient))
}

/// Every answer: `{code, message, data, errorDetail}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    #[serde(default, deserialize_with = "number_or_text")]
    pub code: i64,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
    #[serde(default, rename = "errorDetail")]
    pub error_detail: serde_json::Value,
}

/// The login request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    #[serde(rename = "applicationCode")]
    pub application_code: String,
}

/// `POST /v1/updateStatus` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UpdateStatus {
    #[serde(rename = "docId")]
    pub doc_id: String,
    pub status: String,
}

/// One entry of `syncReceivedEdocList`'s `data`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct ListedEdoc {
    #[serde(rename = "docId", default)]
    pub doc_id: String,
    #[serde(default, deserialize_with = "text_or_null")]
    pub from: String,
    #[serde(default, deserialize_with = "text_or_null")]
    pub to: String,
    #[serde(rename = "messageType", default, deserialize_with = "text_or_null")]
    pub message_type: String,
    #[serde(rename = "serviceType", default, deserialize_with = "text_or_null")]
    pub service_type: String,
    #[serde(default, deserialize_with = "text_or_null")]
    pub status: String,
    #[serde(rename = "statusDesc", default, deserialize_with = "text_or_null")]
    pub status_desc: String,
    #[serde(rename = "createdTime", default, deserialize_with = "text_or_null")]
    pub created_time: String,
    #[serde(rename = "updatedTime", default, deserialize_with = "text_or_null")]
    pub updated_time: String,
}

/// Why an answer cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AnswerError(pub String);

/// Reads an envelope.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, AnswerError> {
    serde_json::from_slice(body).map_err(|e| AnswerError(format!("not an envelope: {e}")))
}

/// The token of a login answer's `data`.
pub fn token_of(envelope: &Envelope) -> Result<String, AnswerError> {
    envelope
        .data
        .get("token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AnswerError("the login answer has no data.token".into()))
}

/// The `docId` of a `sendEdoc` answer: `data.docId`, or `data` itself when it is the id.
pub fn doc_id_of(envelope: &Envelope) -> Result<String, AnswerError> {
    let id = match &envelope.data {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("docId"))
            .and_then(|(_, v)| v.as_str().map(str::to_string)),
        _ => None,
    };
    id.filter(|id| !id.is_empty())
        .ok_or_else(|| AnswerError("the answer names no docId".into()))
}

/// The entries of a list answer's `data`.
pub fn list_of(envelope: &Envelope) -> Result<Vec<ListedEdoc>, AnswerError> {
    match &envelope.data {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| {
                serde_json::from_value(item.clone())
                    .map_err(|e| AnswerError(format!("a list entry: {e}")))
            })
            .collect(),
        _ => Err(AnswerError("the list answer's data is not a list".into())),
    }
}

/// The base64 edXML of a `getEdoc` answer: `data.data` (or `data` when it is the text).
pub fn edoc_base64_of(envelope: &Envelope) -> Result<&str, AnswerError> {
    match &envelope.data {
        serde_json::Value::String(text) => Ok(text),
        serde_json::Value::Object(map) => map
            .get("data")
            .and_then(|d| d.as_str())
            .ok_or_else(|| AnswerError("the getEdoc answer has no data.data".into())),
        _ => Err(AnswerError("the getEdoc answer has no data".into())),
    }
}

/// The seconds a JWT lives (`exp` − `iat`), read from its payload without checking its
/// signature (the client only uses it to renew in time).
pub fn jwt_lifetime(token: &str) -> Option<u64> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let iat = claims.get("iat")?.as_i64()?;
    u64::try_from(exp.checked_sub(iat)?).ok()
}

fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    match &value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("code is not a whole number")),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("code is not a number")),
        serde_json::Value::Null => Ok(SUCCESS),
        _ => Err(serde::de::Error::custom("code is not a number")),
    }
}

fn text_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_leniently() {
        let e = parse_envelope(br#"{"code":"0","message":"OK","data":{"docId":"d-1"}}"#)
            .expect("envelope");
        assert_eq!(doc_id_of(&e).as_deref(), Ok("d-1"));
        let e = parse_envelope(br#"{"code":0,"data":"d-2"}"#).expect("envelope");
        assert_eq!(doc_id_of(&e).as_deref(), Ok("d-2"));
        let e = parse_envelope(
            br#"{"code":0,"data":[{"docId":"a","from":"000.00.00.H35","to":null,"status":"initial"}]}"#,
        )
        .expect("envelope");
        let list = list_of(&e).expect("list");
        assert_eq!(list[0].doc_id, "a");
        assert_eq!(list[0].to, "");
        let e = parse_envelope(br#"{"code":22,"message":"edXML khong hop le","data":null}"#)
            .expect("envelope");
        assert_eq!(e.code, 22);
        assert_eq!(kyso_code(e.code), Some(("EXCHANGE_EDXML_REJECTED", false)));
        assert!(parse_envelope(b"<html>").is_err());
    }

    #[test]
    fn a_jwt_says_how_long_it_lives() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"HS256"}"#),
            b64(r#"{"iat":1000,"exp":2800}"#)
        );
        assert_eq!(jwt_lifetime(&token), Some(1800));
        assert_eq!(jwt_lifetime("not-a-jwt"), None);
    }
}
