//! The `lgsp-v1` dialect: a provincial REST axis (`/v1`, Lạng Sơn style; docs/exchange-dialects.md,
//! docs/domain.md §4). Its wire format is in [`wire`].
//!
//! - A JWT from `POST /v1/auth/login` (username, password, application code), renewed before it
//!   expires and once on a 401; every call also carries `X-SystemId` and `X-SecretKey`.
//! - A document travels inside its edXML ([`crate::package`]), uploaded as the `edocFile` part
//!   of a `multipart/form-data` body streamed from a temporary file.
//! - No idempotency key, and no listing of what this system sent was found: after an attempt
//!   without an answer the lookup cannot tell, and the outbox says "có thể đã gửi" (may have
//!   been sent) and waits for the user ([`Lookup::Unknown`]).
//! - The envelope's codes become Kyso's codes ([`wire::KYSO_CODES`]).

pub mod wire;

use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::client::{check_url, header_u64, new_agent, unreachable};
use crate::error::SyncError;
use crate::files::FileStore;
use crate::package::{self, AttachmentEncoding};
use crate::store::rfc3339;
use crate::transport::{
    Delivered, Dialect, Fetched, Incoming, LastAttempt, Lookup, Outgoing, Prepared, SentDocument,
    StatusNews, Transport,
};

/// Credentials of one `/v1` axis.
pub struct LgspCredentials {
    pub system_id: String,
    pub secret_key: Zeroizing<String>,
    pub username: String,
    pub password: Zeroizing<String>,
    pub application_code: String,
}

/// A client of one `/v1` endpoint.
pub struct LgspClient {
    agent: ureq::Agent,
    base: String,
    credentials: LgspCredentials,
    token: Mutex<Option<(Zeroizing<String>, Instant)>>,
    encoding: AttachmentEncoding,
    max_bytes: u64,
}

impl std::fmt::Debug for LgspClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LgspClient")
            .field("base", &self.base)
            .field("system_id", &self.credentials.system_id)
            .field("username", &self.credentials.username)
            .finish_non_exhaustive()
    }
}

/// A date of the list's `fromDate`/`toDate` (`YYYY/MM/DD`, Vietnam's day).
pub fn list_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC));
    format!("{:04}/{:02}/{:02}", t.year(), u8::from(t.month()), t.day())
}

/// How far back the lists look: items stay listed until acknowledged, but a platform filters
/// by date [I].
const LIST_DAYS: i64 = 30;

/// What a request sends.
enum Body<'a> {
    None,
    Json(Vec<u8>),
    /// `multipart/form-data`: the boundary, the head, the file, the tail.
    Multipart {
        boundary: String,
        head: Vec<u8>,
        file: Option<&'a std::path::Path>,
        bytes: &'a [u8],
        tail: Vec<u8>,
    },
}

impl LgspClient {
    pub fn new(
        url: &str,
        credentials: LgspCredentials,
        encoding: AttachmentEncoding,
        max_bytes: u64,
    ) -> Result<LgspClient, SyncError> {
        Ok(LgspClient {
            agent: new_agent(),
            base: check_url(url)?,
            credentials,
            token: Mutex::new(None),
            encoding,
            max_bytes,
        })
    }

    /// A token: the cached one while it has some life left, else a new login.
    fn token(&self) -> Result<Zeroizing<String>, SyncError> {
        if let Ok(guard) = self.token.lock()
            && let Some((token, renew_at)) = guard.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let login = wire::LoginRequest {
            username: self.credentials.username.clone(),
            password: self.credentials.password.to_string(),
            application_code: self.credentials.application_code.clone(),
        };
        let body = Zeroizing::new(serde_json::to_vec(&login).unwrap_or_default());
        let mut response = self
            .agent
            .post(format!("{}{}", self.base, wire::LOGIN_PATH))
            .content_type("application/json")
            .send(&body[..])
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(SyncError::LoginRefused);
        }
        server_error(&response)?;
        let envelope = self.read_envelope(&mut response)?;
        if envelope.code != wire::SUCCESS {
            return Err(SyncError::LoginRefused);
        }
        let token = Zeroizing::new(wire::token_of(&envelope).map_err(bad_answer)?);
        let lifetime = wire::jwt_lifetime(&token).unwrap_or(wire::TOKEN_LIFETIME_SECONDS);
        // Renewed when a tenth of its life is left (at most a minute before it expires).
        let margin = (lifetime / 10).min(60);
        let renew_at = Instant::now() + Duration::from_secs(lifetime.saturating_sub(margin));
        if let Ok(mut guard) = self.token.lock() {
            *guard = Some((token.clone(), renew_at));
        }
        Ok(token)
    }

    fn forget_token(&self) {
        if let Ok(mut guard) = self.token.lock() {
            *guard = None;
        }
    }

    /// One call with the token and the system's headers; a 401 gets a new token once.
    fn call(&self, method: &str, path: &str, body: &Body<'_>) -> Result<wire::Envelope, SyncError> {
        for attempt in 0..2 {
            let token = self.token()?;
            let url = format!("{}{path}", self.base);
            let bearer = format!("Bearer {}", token.as_str());
            let result = match (method, body) {
                ("GET", _) => self
                    .agent
                    .get(&url)
                    .header("Authorization", &bearer)
                    .header(wire::SYSTEM_ID_HEADER, &self.credentials.system_id)
                    .header(
                        wire::SECRET_KEY_HEADER,
                        self.credentials.secret_key.as_str(),
                    )
                    .call(),
                (_, body) => {
                    let request = self
                        .agent
                        .post(&url)
                        .header("Authorization", &bearer)
                        .header(wire::SYSTEM_ID_HEADER, &self.credentials.system_id)
                        .header(
                            wire::SECRET_KEY_HEADER,
                            self.credentials.secret_key.as_str(),
                        );
                    match body {
                        Body::None => request.send_empty(),
                        Body::Json(bytes) => {
                            request.content_type("application/json").send(&bytes[..])
                        }
                        Body::Multipart {
                            boundary,
                            head,
                            file,
                            bytes,
                            tail,
                        } => {
                            let content: Box<dyn Read> = match file {
                                Some(path) => Box::new(
                                    std::fs::File::open(path)
                                        .map_err(|e| SyncError::store_io(path.to_path_buf(), e))?,
                                ),
                                None => Box::new(std::io::Cursor::new(bytes.to_vec())),
                            };
                            let length = match file {
                                Some(path) => std::fs::metadata(path)
                                    .map_err(|e| SyncError::store_io(path.to_path_buf(), e))?
                                    .len(),
                                None => bytes.len() as u64,
                            };
                            let total = head.len() as u64 + length + tail.len() as u64;
                            let reader = std::io::Cursor::new(head.clone())
                                .chain(content)
                                .chain(std::io::Cursor::new(tail.clone()));
                            request
                                .header(
                                    "Content-Type",
                                    format!("multipart/form-data; boundary={boundary}"),
                                )
                                .header("Content-Length", total.to_string())
                                .send(ureq::SendBody::from_owned_reader(reader))
                        }
                    }
                }
            };
            let mut response = result.map_err(unreachable)?;
            if response.status().as_u16() == 401 {
                self.forget_token();
                if attempt == 0 {
                    continue;
                }
                return Err(SyncError::InvalidClient);
            }
            server_error(&response)?;
            let envelope = self.read_envelope(&mut response)?;
            return check(envelope);
        }
        Err(SyncError::InvalidClient)
    }

    fn read_envelope(
        &self,
        response: &mut ureq::http::Response<ureq::Body>,
    ) -> Result<wire::Envelope, SyncError> {
        let bytes = response
            .body_mut()
            .with_config()
            .limit(self.max_bytes.saturating_mul(2).saturating_add(1 << 20))
            .read_to_vec()
            .map_err(unreachable)?;
        wire::parse_envelope(&bytes).map_err(bad_answer)
    }

    fn list(&self, message_type: &str) -> Result<Vec<wire::ListedEdoc>, SyncError> {
        let now = time::OffsetDateTime::now_utc();
        let path = format!(
            "{}?messageType={message_type}&fromDate={}&toDate={}",
            wire::LIST_PATH,
            list_date(now - time::Duration::days(LIST_DAYS)),
            list_date(now + time::Duration::days(1)),
        );
        let envelope = self.call("GET", &path, &Body::None)?;
        wire::list_of(&envelope).map_err(bad_answer)
    }

    fn get_edoc(&self, doc_id: &str) -> Result<Vec<u8>, SyncError> {
        let path = format!("{}?docId={}", wire::GET_PATH, query_escape(doc_id));
        let envelope = self.call("GET", &path, &Body::None)?;
        let text = wire::edoc_base64_of(&envelope).map_err(bad_answer)?;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| SyncError::BadAnswer {
                detail: format!("getEdoc {doc_id}: data is not base64: {e}"),
            })
    }
}

/// Letters, digits and `-._~` as they are; everything else percent-encoded.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn bad_answer(e: wire::AnswerError) -> SyncError {
    SyncError::BadAnswer { detail: e.0 }
}

/// A 5xx or other non-2xx status (other than 401) as [`SyncError::Server`].
fn server_error(response: &ureq::http::Response<ureq::Body>) -> Result<(), SyncError> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(SyncError::Server {
        status,
        code: format!("http_{status}"),
        message: response
            .status()
            .canonical_reason()
            .unwrap_or("error")
            .to_string(),
        retry_after: header_u64(response, "Retry-After"),
    })
}

/// An envelope whose `code` is not 0 as Kyso's error.
fn check(envelope: wire::Envelope) -> Result<wire::Envelope, SyncError> {
    if envelope.code == wire::SUCCESS {
        return Ok(envelope);
    }
    if envelope.code == wire::WRONG_SYSTEM_OR_SECRET {
        return Err(SyncError::InvalidClient);
    }
    let message = envelope.message.clone().unwrap_or_default();
    let code = wire::kyso_code(envelope.code)
        .map(|(code, _)| code)
        .unwrap_or("EXCHANGE_PLATFORM_REFUSED");
    Err(SyncError::Platform {
        code,
        platform_code: envelope.code.to_string(),
        message,
    })
}

impl Transport for LgspClient {
    fn dialect(&self) -> Dialect {
        Dialect::LgspV1
    }

    fn resends_safely(&self) -> bool {
        false
    }

    fn check_login(&self) -> Result<(), SyncError> {
        self.list("edoc").map(|_| ())
    }

    fn prepare(&self, outgoing: &Outgoing<'_>) -> Result<Prepared, SyncError> {
        package::prepare(outgoing, self.encoding, self.max_bytes)
    }

    fn send(&self, outgoing: &Outgoing<'_>, prepared: &Prepared) -> Result<Delivered, SyncError> {
        let message_type = crate::vdxp::message_type(outgoing.kind);
        let boundary = format!("kyso-{}", uuid::Uuid::new_v4().simple());
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{message_type}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"edoc.edxml\"\r\n\
             Content-Type: application/xml\r\n\r\n",
            wire::MESSAGE_TYPE_FIELD,
            wire::FILE_FIELD,
        )
        .into_bytes();
        let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
        let body = Body::Multipart {
            boundary,
            head,
            file: prepared.body.as_deref(),
            bytes: outgoing.edxml,
            tail,
        };
        let envelope = self.call("POST", wire::SEND_PATH, &body)?;
        let doc_id = wire::doc_id_of(&envelope).map_err(bad_answer)?;
        Ok(Delivered {
            receipt_id: doc_id,
            received_at: rfc3339(time::OffsetDateTime::now_utc()),
            status: None,
            answer: serde_json::to_value(&envelope).unwrap_or_default(),
        })
    }

    fn find_sent(
        &self,
        _outgoing: &Outgoing<'_>,
        _last: &LastAttempt<'_>,
    ) -> Result<Lookup, SyncError> {
        Ok(Lookup::Unknown {
            reason: "lgsp-v1 has no list of the documents a system sent".into(),
        })
    }

    fn poll_statuses(&self, _sent: &[SentDocument<'_>]) -> Result<Vec<StatusNews>, SyncError> {
        let listed = self.list("status")?.into_iter().map(|item| item.doc_id);
        crate::vdxp::read_statuses(listed, |doc_id| self.get_edoc(doc_id))
    }

    fn inbox(&self) -> Result<Vec<Incoming>, SyncError> {
        Ok(self
            .list("edoc")?
            .into_iter()
            .map(|item| Incoming {
                server_id: item.doc_id,
                received_at: item.created_time,
                from_organ_id: item.from,
            })
            .collect())
    }

    fn fetch(&self, item: &Incoming, files: &FileStore) -> Result<Fetched, SyncError> {
        let xml = self.get_edoc(&item.server_id)?;
        crate::vdxp::fetched_package(&xml, files, self.max_bytes)
    }

    fn acknowledge(&self, server_id: &str) -> Result<(), SyncError> {
        let body = serde_json::to_vec(&wire::UpdateStatus {
            doc_id: server_id.to_string(),
            status: "done".into(),
        })
        .unwrap_or_default();
        self.call("POST", wire::UPDATE_STATUS_PATH, &Body::Json(body))
            .map(|_| ())
    }

    fn sends_arrival_status(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_dates_are_vietnam_days() {
        let t = time::macros::datetime!(2026-11-21 18:30:00 UTC);
        assert_eq!(list_date(t), "2026/11/22");
        assert_eq!(query_escape("a b/ç"), "a%20b%2F%C3%A7");
    }
}
