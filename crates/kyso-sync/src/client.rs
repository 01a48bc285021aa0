//! The exchange client: the HTTP side of docs/exchange-api.md, blocking (`ureq`), one call per
//! protocol step. It knows nothing of the store's states; the sync engine decides what to do
//! with each answer ([`SyncError::is_transient`]).

use std::io::{Read, Seek, SeekFrom};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use sha2::{Digest, Sha256};

use crate::error::SyncError;
use crate::files::{FileStore, StoredFile};
use crate::protocol::{
    self, BlobState, ErrorBody, InboxList, Receipt, StatusHistory, TokenResponse,
};
use crate::transport::{
    Delivered, Dialect, Fetched, Incoming, LastAttempt, Lookup, Outgoing, PackageKind, Prepared,
    SentDocument, StatusNews, Transport,
};

/// Largest JSON or edXML answer read into memory (blobs are streamed).
const MAX_MESSAGE: u64 = 16 * 1024 * 1024;
/// A token is renewed this long before it expires, so it never expires mid-request.
const TOKEN_MARGIN: Duration = Duration::from_secs(10);

/// Credentials and address of one exchange endpoint.
pub struct ExchangeClient {
    agent: ureq::Agent,
    base: String,
    client_id: String,
    secret: Zeroizing<String>,
    token: Mutex<Option<(Zeroizing<String>, Instant)>>,
    chunk_size: u64,
}

impl std::fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("base", &self.base)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Plain HTTP only to this computer (docs/exchange-api.md, transport).
pub fn check_url(url: &str) -> Result<String, SyncError> {
    let base = url.trim_end_matches('/').to_string();
    let insecure = || SyncError::InsecureUrl {
        url: url.to_string(),
    };
    if base.starts_with("https://") {
        return Ok(base);
    }
    let rest = base.strip_prefix("http://").ok_or_else(insecure)?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if matches!(host, "127.0.0.1" | "::1" | "localhost") {
        Ok(base)
    } else {
        Err(insecure())
    }
}

impl ExchangeClient {
    /// A client for the endpoint at `url` (https://, or http:// on loopback).
    pub fn new(
        url: &str,
        client_id: &str,
        secret: Zeroizing<String>,
    ) -> Result<ExchangeClient, SyncError> {
        let base = check_url(url)?;
        let agent = new_agent();
        Ok(ExchangeClient {
            agent,
            base,
            client_id: client_id.to_string(),
            secret,
            token: Mutex::new(None),
            chunk_size: protocol::MAX_CHUNK,
        })
    }

    /// Uploads at most `bytes` per request (tests use small chunks to exercise resumption).
    pub fn with_chunk_size(mut self, bytes: u64) -> ExchangeClient {
        self.chunk_size = bytes.clamp(1, protocol::MAX_CHUNK);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, protocol::API_PREFIX, path)
    }

    /// A valid bearer token: the cached one, or a new one (RFC 6749 §4.4).
    fn token(&self) -> Result<Zeroizing<String>, SyncError> {
        if let Ok(guard) = self.token.lock()
            && let Some((token, expires)) = guard.as_ref()
            && Instant::now() + TOKEN_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let response = self
            .agent
            .post(format!("{}{}", self.base, protocol::TOKEN_PATH))
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.secret.as_str()),
            ])
            .map_err(unreachable)?;
        if response.status().as_u16() == 401 {
            return Err(SyncError::InvalidClient);
        }
        let mut response = success(response)?;
        let answer: TokenResponse = read_json(&mut response)?;
        let token = Zeroizing::new(answer.access_token);
        let expires = Instant::now() + Duration::from_secs(answer.expires_in);
        if let Ok(mut guard) = self.token.lock() {
            *guard = Some((token.clone(), expires));
        }
        Ok(token)
    }

    fn forget_token(&self) {
        if let Ok(mut guard) = self.token.lock() {
            *guard = None;
        }
    }

    /// Runs `request` with a bearer token; on 401 `invalid_token` (expired or revoked) gets a
    /// new token once and runs it again.
    fn authorized(
        &self,
        request: impl Fn(&str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, SyncError> {
        for attempt in 0..2 {
            let token = self.token()?;
            let bearer = format!("Bearer {}", token.as_str());
            let response = request(&bearer).map_err(unreachable)?;
            if response.status().as_u16() == 401 && attempt == 0 {
                self.forget_token();
                continue;
            }
            return success(response);
        }
        Err(SyncError::InvalidClient)
    }

    /// What the exchange holds of a blob; `None` when nothing.
    pub fn blob_state(&self, sha256: &str) -> Result<Option<BlobState>, SyncError> {
        let url = self.url(&format!("/blobs/{sha256}"));
        match self.authorized(|bearer| self.agent.head(&url).header("Authorization", bearer).call())
        {
            Ok(response) => {
                let offset = header_u64(&response, protocol::UPLOAD_OFFSET).unwrap_or(0);
                let length = header_u64(&response, protocol::UPLOAD_LENGTH).unwrap_or(0);
                Ok(Some(BlobState {
                    sha256: sha256.to_string(),
                    offset,
                    length,
                    complete: length > 0 && offset == length,
                }))
            }
            Err(SyncError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uploads a stored file, resuming from whatever the exchange already holds. Reads one
    /// chunk at a time: memory stays flat whatever the file size.
    pub fn upload_blob(&self, files: &FileStore, sha256: &str, size: u64) -> Result<(), SyncError> {
        let mut offset = match self.blob_state(sha256)? {
            Some(state) if state.complete => return Ok(()),
            Some(state) => state.offset,
            None => 0,
        };
        let mut file = files.open(sha256)?;
        let url = self.url(&format!("/blobs/{sha256}"));
        let mut buffer = vec![0u8; self.chunk_size.min(size.max(1)) as usize];
        // Each pass either sends a chunk or learns the server's offset: bounded by the number
        // of chunks plus a few resynchronisations.
        let max_requests = size / self.chunk_size + 8;
        for _ in 0..max_requests {
            if offset >= size && size > 0 {
                return Ok(());
            }
            let length = (size - offset).min(self.chunk_size) as usize;
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_exact(&mut buffer[..length]))
                .map_err(|e| SyncError::StoreIo {
                    path: files.path_of(sha256),
                    source: e,
                })?;
            let chunk = &buffer[..length];
            let result = self.authorized(|bearer| {
                self.agent
                    .patch(&url)
                    .header("Authorization", bearer)
                    .header(protocol::UPLOAD_OFFSET, offset.to_string())
                    .header(protocol::UPLOAD_LENGTH, size.to_string())
                    .content_type("application/octet-stream")
                    .send(chunk)
            });
            match result {
                Ok(response) => {
                    offset = header_u64(&response, protocol::UPLOAD_OFFSET)
                        .unwrap_or(offset + length as u64);
                    if size == 0 {
                        return Ok(());
                    }
                }
                Err(SyncError::Server {
                    status: 409,
                    ref code,
                    ..
                }) if code == "offset_mismatch" => {
                    offset = match self.blob_state(sha256)? {
                        Some(state) if state.complete => return Ok(()),
                        Some(state) => state.offset,
                        None => 0,
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Err(SyncError::BadAnswer {
            detail: format!("the upload of {sha256} does not progress"),
        })
    }

    /// Sends the edXML message of a document whose blobs are uploaded. Every retry with the
    /// same key gets the same receipt.
    pub fn send_document(&self, idempotency_key: &str, edxml: &[u8]) -> Result<Receipt, SyncError> {
        let url = self.url("/documents");
        let mut response = self.authorized(|bearer| {
            self.agent
                .post(&url)
                .header("Authorization", bearer)
                .header(protocol::IDEMPOTENCY_KEY, idempotency_key)
                .content_type(protocol::EDXML_CONTENT_TYPE)
                .send(edxml)
        })?;
        read_json(&mut response)
    }

    /// The status history of a sent document.
    pub fn status(&self, receipt_id: &str) -> Result<StatusHistory, SyncError> {
        let url = self.url(&format!("/documents/{receipt_id}/status"));
        let mut response =
            self.authorized(|bearer| self.agent.get(&url).header("Authorization", bearer).call())?;
        read_json(&mut response)
    }

    /// The documents addressed to this client's organ.
    pub fn inbox(&self) -> Result<InboxList, SyncError> {
        let url = self.url("/inbox");
        let mut response =
            self.authorized(|bearer| self.agent.get(&url).header("Authorization", bearer).call())?;
        read_json(&mut response)
    }

    /// The edXML message of an inbox document.
    pub fn inbox_edxml(&self, inbox_id: &str) -> Result<Vec<u8>, SyncError> {
        let url = self.url(&format!("/inbox/{inbox_id}/edxml"));
        let mut response =
            self.authorized(|bearer| self.agent.get(&url).header("Authorization", bearer).call())?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_MESSAGE)
            .read_to_vec()
            .map_err(unreachable)
    }

    /// Gives a status about an inbox document (03 registered, 02 refused with its reason…):
    /// appended to the history of the document it answers, once per key.
    pub fn send_inbox_status(
        &self,
        inbox_id: &str,
        idempotency_key: &str,
        status: &protocol::StatusEntry,
    ) -> Result<protocol::StatusReceipt, SyncError> {
        let url = self.url(&format!("/inbox/{inbox_id}/status"));
        let body = serde_json::to_vec(status).unwrap_or_default();
        let mut response = self.authorized(|bearer| {
            self.agent
                .post(&url)
                .header("Authorization", bearer)
                .header(protocol::IDEMPOTENCY_KEY, idempotency_key)
                .content_type("application/json")
                .send(&body[..])
        })?;
        read_json(&mut response)
    }

    /// Downloads a blob into the file store, streamed, and checks its SHA-256.
    pub fn download_blob(&self, sha256: &str, files: &FileStore) -> Result<StoredFile, SyncError> {
        let url = self.url(&format!("/blobs/{sha256}"));
        let response =
            self.authorized(|bearer| self.agent.get(&url).header("Authorization", bearer).call())?;
        let mut reader = response.into_body().into_reader();
        let stored = files.put_reader(&mut reader, std::path::Path::new(&url))?;
        if stored.sha256 != sha256 {
            return Err(SyncError::BadAnswer {
                detail: format!(
                    "the blob {sha256} arrived with the SHA-256 {}",
                    stored.sha256
                ),
            });
        }
        Ok(stored)
    }
}

/// Kyso's own protocol as a dialect (docs/exchange-api.md): a document is its blob, uploaded and
/// resumed, then its message under its idempotency key, so every retry gets the same receipt and
/// resending is harmless; a status about an inbox document is posted to that entry, under its
/// own key.
impl Transport for ExchangeClient {
    fn dialect(&self) -> Dialect {
        Dialect::Kyso
    }

    fn resends_safely(&self) -> bool {
        true
    }

    fn check_login(&self) -> Result<(), SyncError> {
        self.inbox().map(|_| ())
    }

    fn prepare(&self, outgoing: &Outgoing<'_>) -> Result<Prepared, SyncError> {
        if let (PackageKind::Document, Some((sha256, size))) = (outgoing.kind, outgoing.file) {
            self.upload_blob(outgoing.files, sha256, size)?;
        }
        Ok(Prepared {
            sha256: hex::encode(Sha256::digest(outgoing.edxml)),
            size: outgoing.edxml.len() as u64,
            body: None,
        })
    }

    fn send(&self, outgoing: &Outgoing<'_>, _prepared: &Prepared) -> Result<Delivered, SyncError> {
        match outgoing.kind {
            PackageKind::Document => {
                let receipt = self.send_document(outgoing.key, outgoing.edxml)?;
                Ok(Delivered {
                    receipt_id: receipt.receipt_id.clone(),
                    received_at: receipt.received_at.clone(),
                    status: Some(receipt.status.clone()),
                    answer: serde_json::to_value(&receipt).unwrap_or_default(),
                })
            }
            PackageKind::Status => {
                let inbox_id = outgoing.inbox_server_id.unwrap_or("");
                let status = crate::edxml::parse_status(outgoing.edxml)?;
                let entry = protocol::StatusEntry {
                    code: status.status_code,
                    description: status.description,
                    timestamp: crate::edxml::timestamp_to_rfc3339(&status.timestamp),
                    staff: status.staff,
                };
                let receipt = self.send_inbox_status(inbox_id, outgoing.key, &entry)?;
                Ok(Delivered {
                    receipt_id: receipt.status_id.clone(),
                    received_at: receipt.recorded_at.clone(),
                    status: None,
                    answer: serde_json::to_value(&receipt).unwrap_or_default(),
                })
            }
        }
    }

    fn find_sent(
        &self,
        _outgoing: &Outgoing<'_>,
        _last: &LastAttempt<'_>,
    ) -> Result<Lookup, SyncError> {
        // Never asked: resending under the same key is the lookup.
        Ok(Lookup::NotHeld)
    }

    fn poll_statuses(&self, sent: &[SentDocument<'_>]) -> Result<Vec<StatusNews>, SyncError> {
        let mut news = Vec::new();
        for document in sent {
            match self.status(document.receipt_id) {
                Ok(history) => news.push(StatusNews {
                    outbox_id: Some(document.outbox_id),
                    document_id: None,
                    statuses: history.history,
                    acknowledge: None,
                }),
                Err(e) if e.is_transient() => {}
                Err(SyncError::Server { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(news)
    }

    fn inbox(&self) -> Result<Vec<Incoming>, SyncError> {
        Ok(ExchangeClient::inbox(self)?
            .items
            .into_iter()
            .map(|item| Incoming {
                server_id: item.inbox_id,
                received_at: item.received_at,
                from_organ_id: item.from_organ_id,
            })
            .collect())
    }

    fn fetch(&self, item: &Incoming, files: &FileStore) -> Result<Fetched, SyncError> {
        let xml = self.inbox_edxml(&item.server_id)?;
        let message = crate::edxml::parse(&xml)?;
        let mut attachments = Vec::new();
        for reference in &message.references {
            let Some(sha256) = protocol::sha256_of_content_id(&reference.content_id) else {
                continue;
            };
            let path = files.path_of(sha256);
            let stored = match std::fs::metadata(&path) {
                Ok(meta) => StoredFile {
                    sha256: sha256.to_string(),
                    size: meta.len(),
                    path,
                },
                Err(_) => self.download_blob(sha256, files)?,
            };
            attachments.push((reference.attachment_name.clone(), stored));
        }
        Ok(Fetched {
            message,
            xml,
            attachments,
        })
    }

    fn acknowledge(&self, _server_id: &str) -> Result<(), SyncError> {
        // Kyso's inbox lists every document for good; the store knows what it fetched.
        Ok(())
    }

    fn sends_arrival_status(&self) -> bool {
        false
    }
}

/// The HTTP agent of every dialect: blocking, answers of any status returned as they are.
pub(crate) fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .timeout_per_write(Some(Duration::from_secs(60)))
        .user_agent(concat!("kyso/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// A failed HTTP exchange: [`SyncError::Offline`] when no connection was made (nothing was
/// sent), [`SyncError::Unreachable`] when it broke later (the request may have arrived).
pub(crate) fn unreachable(e: ureq::Error) -> SyncError {
    use ureq::Timeout;
    let before_sending = match &e {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::AddrNotAvailable
                | std::io::ErrorKind::NetworkUnreachable
                | std::io::ErrorKind::HostUnreachable
        ),
        _ => false,
    };
    if before_sending {
        SyncError::Offline {
            detail: e.to_string(),
        }
    } else {
        SyncError::Unreachable {
            detail: e.to_string(),
        }
    }
}

/// Turns a non-2xx answer into [`SyncError::Server`] with the server's code and message.
pub(crate) fn success(
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<ureq::http::Response<ureq::Body>, SyncError> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let retry_after = header_u64(&response, "Retry-After");
    let body: Option<ErrorBody> = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_json()
        .ok();
    let (code, message) = match body {
        Some(b) => (b.error, b.message),
        None => (
            format!("http_{status}"),
            response
                .status()
                .canonical_reason()
                .unwrap_or("error")
                .to_string(),
        ),
    };
    if status == 401 && code == "invalid_client" {
        return Err(SyncError::InvalidClient);
    }
    Err(SyncError::Server {
        status,
        code,
        message,
        retry_after,
    })
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    response: &mut ureq::http::Response<ureq::Body>,
) -> Result<T, SyncError> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_MESSAGE)
        .read_json()
        .map_err(|e| match e {
            ureq::Error::Json(e) => SyncError::BadAnswer {
                detail: e.to_string(),
            },
            other => unreachable(other),
        })
}

pub(crate) fn header_u64(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://lgsp.hanam.gov.vn/",
            "http://127.0.0.1:8765",
            "http://localhost:1/x",
            "http://[::1]:80",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://lgsp.hanam.gov.vn",
            "http://127.0.0.1.evil.example",
            "ftp://127.0.0.1",
            "http://localhost.evil:80",
        ] {
            assert_eq!(
                check_url(bad).unwrap_err().code(),
                "EXCHANGE_INSECURE_URL",
                "{bad}"
            );
        }
    }
}
