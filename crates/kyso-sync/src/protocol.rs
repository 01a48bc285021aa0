//! The exchange protocol's wire types, shared by the client (this crate) and the reference
//! endpoint (`kyso-exchange`), so the two can never disagree. The protocol itself is described
//! in docs/exchange-api.md and docs/exchange-api.yaml (OpenAPI 3.1).
//!
//! In short:
//! - `POST /oauth/token` (OAuth2 client credentials, RFC 6749 §4.4) gives a bearer token;
//! - attachments are content-addressed blobs, uploaded in resumable chunks
//!   (`HEAD`/`PATCH /api/v1/blobs/{sha256}` with `Upload-Offset` and `Upload-Length`);
//! - `POST /api/v1/documents` with an `Idempotency-Key` sends the edXML message whose manifest
//!   references the blobs; the answer is a [`Receipt`], the same one for every retry;
//! - `GET /api/v1/documents/{receipt_id}/status` gives the edXML status history;
//! - `GET /api/v1/inbox` lists what is addressed to the client's organ; the edXML message and
//!   the blobs are downloaded with `GET`; `POST /api/v1/inbox/{inbox_id}/status` gives the
//!   sender a status (03 registered, 02 refused…).

use serde::{Deserialize, Serialize};

/// Path prefix of every API route except the token endpoint.
pub const API_PREFIX: &str = "/api/v1";
/// The token endpoint (RFC 6749 §4.4.2).
pub const TOKEN_PATH: &str = "/oauth/token";
/// Request header: one key per document; a retry with the same key gets the same receipt.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Request and response header: the byte offset of a chunk / the bytes the server holds.
pub const UPLOAD_OFFSET: &str = "Upload-Offset";
/// Request and response header: the blob's total size in bytes.
pub const UPLOAD_LENGTH: &str = "Upload-Length";
/// Content type of edXML messages.
pub const EDXML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";
/// Largest chunk the server accepts in one `PATCH` (8 MiB); clients send at most this much.
pub const MAX_CHUNK: u64 = 8 * 1024 * 1024;

/// `POST /oauth/token` answer (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
}

/// Every error answer's body. `error` is a stable code; `message` is for people.
///
/// Codes (the full list, with the status each comes with, is `ErrorCode` in
/// docs/exchange-api.yaml): `invalid_client` (401 on the token endpoint), `invalid_request`
/// and `unsupported_grant_type` (400 on the token endpoint), `invalid_token` (401, the token
/// is missing, unknown or expired: get a new one), `bad_request` (400), `sender_mismatch` (403,
/// the message's `From/OrganId` is not the client's organ), `not_found` (404),
/// `method_not_allowed` (405), `offset_mismatch` (409, see `Upload-Offset`),
/// `attachment_missing` (409, a referenced blob is not complete), `blob_too_large`,
/// `chunk_too_large`, `payload_too_large` (413), `digest_mismatch` (422, the finished blob does
/// not hash to its name; the server discarded it), `invalid_edxml` (422),
/// `idempotency_conflict` (422, the key was used for another message), `internal_error` (500),
/// `injected_fault` (500/503/429 from fault injection).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// What the server holds of a blob (`HEAD` answers the same in headers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobState {
    pub sha256: String,
    pub offset: u64,
    pub length: u64,
    pub complete: bool,
}

/// One attachment as the server stored it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReceiptAttachment {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// The answer to `POST /api/v1/documents`: proof that the server holds the document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    /// The server's id for the document; used to poll its status.
    pub receipt_id: String,
    /// RFC 3339, UTC.
    pub received_at: String,
    /// The edXML `DocumentId`.
    pub document_id: String,
    pub idempotency_key: String,
    pub attachments: Vec<ReceiptAttachment>,
    /// The first status: 01 (arrived) or 02 (refused, with the reason).
    pub status: StatusEntry,
}

/// One edXML status (docs/domain.md §4): 01 arrived, 02 refused (with its reason), 03 registered,
/// 04 assigned, 05 in progress, 06 done, 13/15/16 recall.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusEntry {
    pub code: String,
    pub description: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
}

impl StatusEntry {
    /// 02: the receiving side refused the document; retrying the same bytes cannot help.
    pub fn is_refusal(&self) -> bool {
        self.code == "02"
    }
}

/// `GET /api/v1/documents/{receipt_id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusHistory {
    pub receipt_id: String,
    pub history: Vec<StatusEntry>,
}

/// The answer to `POST /api/v1/inbox/{inbox_id}/status` (with an `Idempotency-Key`): the status
/// an organ gave a document of its inbox, appended to the history its sender polls. The same
/// answer for every retry with the same key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusReceipt {
    pub status_id: String,
    pub inbox_id: String,
    pub idempotency_key: String,
    /// RFC 3339, UTC.
    pub recorded_at: String,
    pub status: StatusEntry,
}

/// One entry of `GET /api/v1/inbox`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InboxItem {
    /// The server's id; `GET /api/v1/inbox/{inbox_id}/edxml` gives the message.
    pub inbox_id: String,
    pub received_at: String,
    pub document_id: String,
    pub from_organ_id: String,
    pub from_name: String,
    pub subject: String,
    pub attachments: Vec<ReceiptAttachment>,
}

/// `GET /api/v1/inbox`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InboxList {
    pub items: Vec<InboxItem>,
}

/// The edXML `ContentId` that names a blob: `sha256:<hex>`.
pub fn content_id(sha256_hex: &str) -> String {
    format!("sha256:{sha256_hex}")
}

/// The SHA-256 named by a `ContentId`, when it is one of ours.
pub fn sha256_of_content_id(content_id: &str) -> Option<&str> {
    let hex = content_id.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then_some(hex)
}
