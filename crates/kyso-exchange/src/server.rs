//! The HTTP API of docs/exchange-api.md, on axum.

use std::collections::HashMap;
use std::future::Future;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Extension, Form, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use kyso_sync::Dialect;
use kyso_sync::edxml::{self, Message};
use kyso_sync::protocol::{
    API_PREFIX, EDXML_CONTENT_TYPE, IDEMPOTENCY_KEY, InboxList, MAX_CHUNK, Receipt,
    ReceiptAttachment, TOKEN_PATH, TokenResponse, UPLOAD_LENGTH, UPLOAD_OFFSET,
    sha256_of_content_id,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::api_error::{ApiError, code_for_status};
use crate::blobs::{BlobDir, is_sha256_hex};
use crate::config::{Client, Config};
use crate::conn::{Conn, KillableListener};
use crate::store::{NewDocument, Recorded, Store, StoreError, new_receipt_id};
use crate::verify::{PdfToCheck, first_status, is_pdf};
use kyso_sync::protocol::{StatusEntry, StatusReceipt};

/// Largest edXML message accepted by `POST /api/v1/documents` (attachments travel as blobs).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob folder: {0}")]
    Blobs(std::io::Error),
}

/// Who is calling: the client and the organ it speaks for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub organ_id: String,
    pub organ_name: String,
}

/// The faults that can be injected into a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Drop,
    Error500,
    Error503,
    Throttle,
    Delay,
}

/// Marks a request whose connection is to be dropped after a partial effect (a PATCH
/// stores half its chunk; a POST of a document records it and loses the answer).
#[derive(Debug, Clone, Copy)]
struct InjectedDrop;

/// Everything the handlers share.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub blobs: BlobDir,
    /// The protocol served (docs/exchange-dialects.md).
    pub dialect: Dialect,
    /// The bodies of the provincial dialects' packages.
    pub packages_dir: PathBuf,
    rng: Mutex<StdRng>,
    blob_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The key lgsp-v1's JWTs are signed with, made at start.
    jwt_key: [u8; 32],
}

type Shared = Arc<AppState>;

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    /// Opens the database at `db` and the blob folder next to it, for Kyso's protocol.
    pub fn open(config: Config, db: &Path) -> Result<AppState, ServeError> {
        AppState::open_dialect(config, db, Dialect::Kyso)
    }

    /// Opens the database at `db` and the blob folder next to it, serving `dialect`.
    pub fn open_dialect(
        config: Config,
        db: &Path,
        dialect: Dialect,
    ) -> Result<AppState, ServeError> {
        let store = Store::open(db)?;
        let blobs = BlobDir::for_database(db).map_err(ServeError::Blobs)?;
        let packages_dir = crate::packages::bodies_dir(db).map_err(ServeError::Blobs)?;
        let rng = StdRng::seed_from_u64(config.faults.seed);
        Ok(AppState {
            config,
            store,
            blobs,
            dialect,
            packages_dir,
            rng: Mutex::new(rng),
            blob_locks: Mutex::new(HashMap::new()),
            jwt_key: rand::thread_rng().r#gen(),
        })
    }

    /// Whether this sending request fails as the platform's own failure
    /// (`faults.platform_error_rate`).
    pub fn draw_platform_error(&self) -> bool {
        let rate = self.config.faults.platform_error_rate;
        rate > 0.0 && lock(&self.rng).r#gen::<f64>() < rate
    }

    /// Records a provincial dialect's package: its body as a file, then its rows.
    pub fn record_package(
        &self,
        doc_id: &str,
        dialect: &str,
        system: &str,
        routed: &crate::packages::Routed,
        sha256: &str,
        body: &[u8],
    ) -> Result<(), String> {
        crate::packages::write_body(&self.packages_dir, doc_id, body).map_err(|e| e.to_string())?;
        let now = crate::dates::now_ms();
        let record = crate::packages::PackageRecord {
            doc_id: doc_id.to_string(),
            dialect: dialect.to_string(),
            sender_system: system.to_string(),
            message_type: routed.message_type.to_string(),
            document_id: routed.document_id.clone(),
            notation: routed.notation.clone(),
            subject: routed.subject.clone(),
            from_organ_id: routed.from_organ_id.clone(),
            body_sha256: sha256.to_string(),
            size: body.len() as u64,
            created_at: crate::now_rfc3339(),
            created_ms: now,
            deliveries: Vec::new(),
        };
        self.store
            .record_package(&record, &routed.recipients)
            .map_err(|e| e.to_string())
    }

    /// A new lgsp-v1 JWT for `client`, recorded by its hash with its expiry.
    pub fn issue_jwt(&self, client: &Client) -> Result<String, StoreError> {
        let ttl = self.config.jwt_ttl_seconds;
        let now = now_ms();
        let token = crate::lgsp_v1::make_jwt(&self.jwt_key, client, now / 1000, ttl);
        let expires =
            now.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
        self.store
            .add_token(&token_hash(&token), &client.client_id, expires, now)?;
        Ok(token)
    }

    /// The client of a valid (recorded, unexpired) lgsp-v1 JWT.
    pub fn jwt_client(&self, token: &str) -> Option<Client> {
        let (client_id, expires) = self.store.token(&token_hash(token)).ok().flatten()?;
        if expires <= now_ms() {
            return None;
        }
        self.config
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned()
    }

    /// Draws this request's fault. Every request draws the same count of numbers, in the
    /// same order, so a seed gives the same faults to the same sequence of requests.
    pub fn draw_fault(&self) -> Option<Fault> {
        let f = &self.config.faults;
        if !f.any() {
            return None;
        }
        let mut rng = lock(&self.rng);
        let draws: [(f64, Fault); 5] = [
            (f.drop_rate, Fault::Drop),
            (f.error_500_rate, Fault::Error500),
            (f.error_503_rate, Fault::Error503),
            (f.throttle_rate, Fault::Throttle),
            (f.delay_rate, Fault::Delay),
        ];
        let mut chosen = None;
        for (rate, fault) in draws {
            let x: f64 = rng.r#gen();
            if chosen.is_none() && x < rate {
                chosen = Some(fault);
            }
        }
        chosen
    }

    /// A new access token for `client`. Tokens are kept in the database (by hash), so they
    /// survive a restart of the server.
    fn issue_token(&self, client: &Client) -> Result<TokenResponse, ApiError> {
        let bytes: [u8; 32] = rand::thread_rng().r#gen();
        let token = hex::encode(bytes);
        let ttl = self.config.token_ttl_seconds;
        let now = now_ms();
        let expires =
            now.saturating_add(i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX));
        self.store
            .add_token(&token_hash(&token), &client.client_id, expires, now)?;
        Ok(TokenResponse {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: ttl,
        })
    }

    fn caller(&self, token: &str) -> Result<Caller, ApiError> {
        let Some((client_id, expires)) = self.store.token(&token_hash(token))? else {
            return Err(ApiError::invalid_token("unknown access token"));
        };
        if expires <= now_ms() {
            return Err(ApiError::invalid_token(
                "the access token has expired: ask for a new one",
            ));
        }
        // The client may have been removed from the configuration since.
        let client = self
            .config
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .ok_or_else(|| ApiError::invalid_token("the token's client no longer exists"))?;
        Ok(Caller {
            client_id: client.client_id.clone(),
            organ_id: client.organ_id.clone(),
            organ_name: client.organ_name.clone(),
        })
    }

    fn blob_lock(&self, sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.blob_locks)
            .entry(sha256.to_string())
            .or_default()
            .clone()
    }
}

/// The application of the dialect served: routes, authentication, fault injection and error
/// bodies.
pub fn router(state: Shared) -> Router {
    match state.dialect {
        Dialect::Kyso => kyso_router(state),
        Dialect::Vdxp => dialect_router(state.clone(), crate::vdxp::router(state)),
        Dialect::LgspV1 => dialect_router(state.clone(), crate::lgsp_v1::router(state)),
    }
}

/// A provincial dialect's routes with the same fault injection.
fn dialect_router(state: Shared, routes: Router<Shared>) -> Router {
    routes
        .route_layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route") })
        .with_state(state)
}

/// Kyso's protocol (docs/exchange-api.md).
fn kyso_router(state: Shared) -> Router {
    let api = Router::new()
        .route(
            "/blobs/{sha256}",
            get(get_blob).head(head_blob).patch(patch_blob),
        )
        .route(
            "/documents",
            post(post_document).layer(DefaultBodyLimit::max(MAX_MESSAGE)),
        )
        .route("/documents/{receipt_id}/status", get(get_status))
        .route("/inbox", get(get_inbox))
        .route("/inbox/{inbox_id}/edxml", get(get_inbox_edxml))
        .route("/inbox/{inbox_id}/status", post(post_inbox_status))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route(TOKEN_PATH, post(token))
        .nest(API_PREFIX, api)
        .route_layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(middleware::map_response(json_errors))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn run(
    state: Shared,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(
        KillableListener::new(listener),
        app.into_make_service_with_connect_info::<Conn>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

// ---- middleware ----------------------------------------------------------------------

async fn inject_faults(
    State(st): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(fault) = st.draw_fault() else {
        return next.run(req).await;
    };
    let faults = &st.config.faults;
    match fault {
        Fault::Delay => {
            tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
            next.run(req).await
        }
        Fault::Error500 => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "injected_fault",
            "injected fault: internal server error",
        )
        .into_response(),
        Fault::Error503 => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "injected_fault",
            "injected fault: service unavailable",
        )
        .into_response(),
        Fault::Throttle => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "injected_fault",
            format!(
                "injected fault: too many requests, retry after {} s",
                faults.retry_after_seconds
            ),
        )
        .with_header(header::RETRY_AFTER, faults.retry_after_seconds)
        .into_response(),
        Fault::Drop => {
            // A PATCH stores the first half of its chunk and a document POST is recorded
            // before the connection drops (the worst moments for a client); any other request
            // is dropped before it is handled.
            let path = req.uri().path();
            let partial_effect = req.method() == Method::PATCH
                || (req.method() == Method::POST
                    && (path.ends_with("/documents") || path.ends_with("/sendEdoc")));
            if partial_effect {
                req.extensions_mut().insert(InjectedDrop);
                let _ = next.run(req).await;
            }
            conn.kill.fire();
            // Never sent: every write on the connection now fails.
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "injected_fault",
                "connection dropped",
            )
            .into_response()
        }
    }
}

async fn authenticate(
    State(st): State<Shared>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .ok_or_else(|| ApiError::invalid_token("an Authorization: Bearer token is required"))?;
    let caller = st.caller(&token)?;
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

/// Gives axum's own error answers (wrong method, body too large…) the JSON error body.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        String::from_utf8_lossy(&text).trim().to_string()
    };
    let mut out = ApiError::new(status, code_for_status(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

// ---- token -----------------------------------------------------------------------------

async fn token(
    State(st): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, ApiError> {
    let Form(form) = form.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("expected an application/x-www-form-urlencoded body: {e}"),
        )
    })?;
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type \"{other}\" is not supported: use client_credentials"),
            ));
        }
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ));
        }
    }
    // RFC 6749 §2.3.1: the credentials in the body, or with HTTP Basic.
    let (id, secret) = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => basic_credentials(&headers).unwrap_or_default(),
    };
    let Some(client) = st.config.authenticate(&id, &secret) else {
        // RFC 6749 §5.2: a 401 names the scheme the client may authenticate with.
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client id or wrong secret",
        )
        .with_header(header::WWW_AUTHENTICATE, "Basic realm=\"kyso-exchange\""));
    };
    let answer = st.issue_token(client)?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(answer),
    )
        .into_response())
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

// ---- blobs -----------------------------------------------------------------------------

fn check_sha(sha256: &str) -> Result<(), ApiError> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a blob is named by the lowercase hex SHA-256 of its bytes (64 digits)",
        ))
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("{name} must be a whole number"))),
    }
}

/// `Upload-Offset` and `Upload-Length` ([`UPLOAD_OFFSET`], [`UPLOAD_LENGTH`]) as header names.
const UPLOAD_OFFSET_HEADER: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH_HEADER: HeaderName = HeaderName::from_static("upload-length");

fn offset_headers(offset: u64, length: Option<u64>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET_HEADER, offset.into());
    if let Some(l) = length {
        h.insert(UPLOAD_LENGTH_HEADER, l.into());
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

fn offset_mismatch(held: u64, length: Option<u64>) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::CONFLICT,
        "offset_mismatch",
        format!("the server holds {held} bytes of this blob: continue from there"),
    )
    .with_header(UPLOAD_OFFSET_HEADER, held);
    if let Some(l) = length {
        e = e.with_header(UPLOAD_LENGTH_HEADER, l);
    }
    e
}

async fn head_blob(
    State(st): State<Shared>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    check_sha(&sha256)?;
    let row = st.store.blob(&sha256)?;
    if let Some(row) = row
        && row.complete
    {
        return Ok((StatusCode::OK, offset_headers(row.length, Some(row.length))).into_response());
    }
    let held = st.blobs.held(&sha256)?;
    if row.is_none() && held == 0 {
        return Err(ApiError::not_found("the server holds nothing of this blob"));
    }
    Ok((StatusCode::OK, offset_headers(held, row.map(|r| r.length))).into_response())
}

async fn patch_blob(
    State(st): State<Shared>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
    injected: Option<Extension<InjectedDrop>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (offset, length, declared) = match patch_headers(&st, &sha256, &headers) {
        Ok(v) => v,
        Err(e) => {
            drain(body).await;
            return Err(e);
        }
    };
    let guard = st.blob_lock(&sha256).lock_owned().await;
    // The rest runs in a task of its own: a client that goes away mid-chunk must not cancel
    // the bookkeeping (the bytes that arrived are kept, the file is synced).
    let task = tokio::spawn(async move {
        let result = match patch_precheck(&st, &sha256, offset, length, declared) {
            Ok(None) => {
                patch_write(
                    &st,
                    &sha256,
                    offset,
                    length,
                    declared,
                    injected.is_some(),
                    body,
                )
                .await
            }
            Ok(Some(answer)) => {
                drain(body).await;
                Ok(answer)
            }
            Err(e) => {
                drain(body).await;
                Err(e)
            }
        };
        drop(guard);
        result
    });
    match task.await {
        Ok(result) => result,
        Err(e) => Err(ApiError::internal("upload", e)),
    }
}

/// Reads and discards what is left of a request body (at most two chunks' worth), so that
/// an early answer (409, 413…) reaches a client that is still sending: without it the
/// connection is closed under the client, which sees a broken pipe instead of the answer.
async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(Ok(data)) = stream.next().await {
        total += data.len() as u64;
        if total > 2 * MAX_CHUNK {
            break;
        }
    }
}

/// Upload-Offset, Upload-Length and Content-Length of a PATCH, checked against the limits.
fn patch_headers(
    st: &AppState,
    sha256: &str,
    headers: &HeaderMap,
) -> Result<(u64, u64, Option<u64>), ApiError> {
    check_sha(sha256)?;
    let offset = header_u64(headers, UPLOAD_OFFSET)?
        .ok_or_else(|| ApiError::bad_request("Upload-Offset is required"))?;
    let length = header_u64(headers, UPLOAD_LENGTH)?
        .ok_or_else(|| ApiError::bad_request("Upload-Length is required"))?;
    if length > st.config.max_blob_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "blob_too_large",
            format!(
                "the blob has {length} bytes; this server takes at most {}",
                st.config.max_blob_bytes
            ),
        ));
    }
    let declared = header_u64(headers, header::CONTENT_LENGTH.as_str())?;
    if declared.is_some_and(|n| n > MAX_CHUNK) {
        return Err(chunk_too_large());
    }
    if offset > length || declared.is_some_and(|n| offset + n > length) {
        return Err(past_the_end(length));
    }
    Ok((offset, length, declared))
}

fn chunk_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "chunk_too_large",
        format!("a chunk has at most {MAX_CHUNK} bytes"),
    )
}

fn past_the_end(length: u64) -> ApiError {
    ApiError::bad_request(format!(
        "the chunk goes past the end of the blob (Upload-Length {length})"
    ))
}

/// With the blob's lock held, before the body is read: the answer when the chunk cannot be
/// taken (or is an empty chunk at the end of a complete blob), None when it can.
fn patch_precheck(
    st: &AppState,
    sha256: &str,
    offset: u64,
    length: u64,
    declared: Option<u64>,
) -> Result<Option<Response>, ApiError> {
    let row = st.store.blob(sha256)?;
    if let Some(row) = row
        && row.complete
    {
        if offset == row.length && declared.unwrap_or(0) == 0 {
            return Ok(Some(
                (
                    StatusCode::NO_CONTENT,
                    offset_headers(row.length, Some(row.length)),
                )
                    .into_response(),
            ));
        }
        return Err(offset_mismatch(row.length, Some(row.length)));
    }
    let held = st.blobs.held(sha256)?;
    if offset != held {
        return Err(offset_mismatch(held, row.map(|r| r.length)));
    }
    if let Some(row) = row
        && row.length != length
        && held > 0
    {
        return Err(ApiError::bad_request(format!(
            "Upload-Length {length} differs from the length given before ({})",
            row.length
        )));
    }
    Ok(None)
}

/// With the blob's lock held: writes the chunk as it arrives, and checks the digest when
/// the blob is complete.
async fn patch_write(
    st: &AppState,
    sha256: &str,
    offset: u64,
    length: u64,
    declared: Option<u64>,
    inject_drop: bool,
    body: Body,
) -> Result<Response, ApiError> {
    st.store.set_blob_length(sha256, length)?;
    let room = (length - offset).min(MAX_CHUNK);
    let stop_after = inject_drop.then(|| declared.unwrap_or(room).min(room) / 2);
    let written = write_chunk(
        &st.blobs.partial_path(sha256),
        offset,
        body,
        room,
        stop_after,
    )
    .await?;
    match written.end {
        End::Complete => {}
        End::TooLong => {
            return Err(if length - offset > MAX_CHUNK {
                chunk_too_large()
            } else {
                past_the_end(length)
            });
        }
        // The client is gone (or is about to be): the bytes that arrived are kept.
        End::Broken(e) => {
            return Err(ApiError::bad_request(format!(
                "the chunk was cut short after {} bytes: {e}",
                written.bytes
            )));
        }
        End::Stopped => {
            return Err(ApiError::bad_request(
                "connection dropped (fault injection)",
            ));
        }
    }
    let new_offset = offset + written.bytes;
    if new_offset == length {
        let blobs = st.blobs.clone();
        let sha = sha256.to_string();
        let ok = tokio::task::spawn_blocking(move || blobs.finish(&sha))
            .await
            .map_err(|e| ApiError::internal("digest check", e))??;
        if !ok {
            st.store.forget_blob(sha256)?;
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "digest_mismatch",
                "the uploaded bytes do not hash to the blob's name; the server discarded them",
            ));
        }
        st.store.mark_blob_complete(sha256, length)?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        offset_headers(new_offset, Some(length)),
    )
        .into_response())
}

/// How the body of a PATCH ended.
enum End {
    /// All of it was written.
    Complete,
    /// More bytes than the chunk may hold: nothing of it was kept.
    TooLong,
    /// The connection broke: what arrived was kept.
    Broken(String),
    /// Fault injection stopped reading half-way: what arrived was kept.
    Stopped,
}

struct Written {
    bytes: u64,
    end: End,
}

/// Appends the body to the partial file at `offset` as it arrives, at most `room` bytes
/// (or `stop_after`), then syncs the file.
async fn write_chunk(
    path: &Path,
    offset: u64,
    body: Body,
    room: u64,
    stop_after: Option<u64>,
) -> std::io::Result<Written> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .await?;
    file.seek(SeekFrom::Start(offset)).await?;
    let mut stream = body.into_data_stream();
    let mut bytes = 0u64;
    let end = loop {
        if stop_after == Some(bytes) {
            break End::Stopped;
        }
        let data: Bytes = match stream.next().await {
            None => break End::Complete,
            Some(Err(e)) => break End::Broken(e.to_string()),
            Some(Ok(data)) => data,
        };
        let mut take = data.len() as u64;
        if let Some(limit) = stop_after {
            take = take.min(limit - bytes);
        }
        if bytes + take > room {
            break End::TooLong;
        }
        file.write_all(&data[..take as usize]).await?;
        bytes += take;
    };
    if matches!(end, End::TooLong) {
        // Read the rest, so that the answer reaches the client (see `drain`).
        let mut extra = 0u64;
        while let Some(Ok(data)) = stream.next().await {
            extra += data.len() as u64;
            if extra > 2 * MAX_CHUNK {
                break;
            }
        }
        file.flush().await?;
        file.set_len(offset).await?;
        bytes = 0;
    }
    file.flush().await?;
    file.sync_data().await?;
    Ok(Written { bytes, end })
}

async fn get_blob(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    check_sha(&sha256)?;
    let complete = st.store.blob(&sha256)?.is_some_and(|r| r.complete);
    if !complete || !st.store.may_read_blob(&caller.organ_id, &sha256)? {
        return Err(ApiError::not_found(
            "no complete blob of a document your organ may read has this name",
        ));
    }
    let file = match tokio::fs::File::open(st.blobs.complete_path(&sha256)).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found("the blob's file is missing"));
        }
        Err(e) => return Err(e.into()),
    };
    let len = file.metadata().await?.len();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

// ---- documents -------------------------------------------------------------------------

fn invalid_edxml(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_edxml",
        message.into(),
    )
}

fn idempotency_conflict() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
        "this Idempotency-Key was already used for another message",
    )
}

/// What the exchange needs of a message besides a successful parse.
fn check_message(message: &Message) -> Result<Vec<String>, ApiError> {
    let mut missing = Vec::new();
    if message.document_id.trim().is_empty() {
        missing.push("DocumentId");
    }
    if message.meta.from.organ_id.trim().is_empty() {
        missing.push("From/OrganId");
    }
    if message.meta.to.is_empty() || message.meta.to.iter().any(|o| o.organ_id.is_empty()) {
        missing.push("To/OrganId");
    }
    if !missing.is_empty() {
        return Err(invalid_edxml(format!(
            "the message lacks {}",
            missing.join(", ")
        )));
    }
    // An agency code that is not one (QĐ 20/2020/QĐ-TTg) names an inbox nobody reads: the
    // sender must learn it now, not believe the document arrived.
    let organs = std::iter::once(("From", &message.meta.from))
        .chain(message.meta.to.iter().map(|o| ("To", o)));
    for (role, organ) in organs {
        if !kyso_sync::meta::is_organ_id(&organ.organ_id) {
            return Err(invalid_edxml(format!(
                "{role}/OrganId \"{}\" is not an agency code (e.g. 000.00.00.H35)",
                organ.organ_id
            )));
        }
    }
    if !message.attachments.is_empty() {
        return Err(invalid_edxml(
            "attachments travel as blobs: the message must not carry AttachmentEncoded",
        ));
    }
    let mut shas = Vec::new();
    for r in &message.references {
        let Some(sha) = sha256_of_content_id(&r.content_id) else {
            return Err(invalid_edxml(format!(
                "Reference \"{}\": ContentId \"{}\" is not sha256:<64 lowercase hex digits>",
                r.attachment_name, r.content_id
            )));
        };
        if r.attachment_name.trim().is_empty() {
            return Err(invalid_edxml(format!(
                "Reference {}: AttachmentName is empty",
                r.content_id
            )));
        }
        shas.push(sha.to_string());
    }
    Ok(shas)
}

async fn post_document(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::bad_request(
            "an Idempotency-Key header (a UUID, one per document) is required",
        ));
    }
    let body_sha256 = hex::encode(Sha256::digest(&body));
    if let Some(used) = st.store.key_use(&key)? {
        if used.client_id != caller.client_id || used.body_sha256 != body_sha256 {
            return Err(idempotency_conflict());
        }
        return match st.store.receipt(&used.receipt_id)? {
            Some(receipt) => Ok((StatusCode::OK, Json(receipt)).into_response()),
            None => Err(ApiError::internal(
                "database",
                format!("document {} has no status", used.receipt_id),
            )),
        };
    }

    let message = edxml::parse(&body).map_err(|e| invalid_edxml(e.to_string()))?;
    let shas = check_message(&message)?;
    // A client speaks for its own organ only: a message "From" another agency would land in
    // the recipients' inboxes under a name that did not send it.
    if message.meta.from.organ_id != caller.organ_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sender_mismatch",
            format!(
                "this client sends for the organ {}, not for From/OrganId {}",
                caller.organ_id, message.meta.from.organ_id
            ),
        ));
    }
    let mut attachments = Vec::new();
    let mut pdfs = Vec::new();
    for (reference, sha) in message.references.iter().zip(&shas) {
        let row = st.store.blob(sha)?;
        let Some(row) = row.filter(|r| r.complete) else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "attachment_missing",
                format!(
                    "the attachment \"{}\" (sha256:{sha}) is not uploaded completely",
                    reference.attachment_name
                ),
            ));
        };
        attachments.push(ReceiptAttachment {
            name: reference.attachment_name.clone(),
            sha256: sha.clone(),
            size: row.length,
        });
        if is_pdf(&reference.content_type, &reference.attachment_name) {
            pdfs.push(PdfToCheck {
                name: reference.attachment_name.clone(),
                path: st.blobs.complete_path(sha),
            });
        }
    }

    let options = st.config.verify_options(crate::now_unix());
    let status = tokio::task::spawn_blocking(move || first_status(&pdfs, &options))
        .await
        .map_err(|e| ApiError::internal("verification", e))?;
    let mut deliver_to: Vec<String> = Vec::new();
    if !status.is_refusal() {
        for organ in &message.meta.to {
            if !deliver_to.contains(&organ.organ_id) {
                deliver_to.push(organ.organ_id.clone());
            }
        }
    }
    let receipt = Receipt {
        receipt_id: new_receipt_id(),
        received_at: crate::now_rfc3339(),
        document_id: message.document_id.clone(),
        idempotency_key: key,
        attachments,
        status,
    };
    let new = NewDocument {
        receipt,
        body_sha256,
        client_id: caller.client_id.clone(),
        sender_organ_id: caller.organ_id.clone(),
        from_organ_id: message.meta.from.organ_id.clone(),
        from_name: message.meta.from.name.clone(),
        subject: message.meta.subject.clone(),
        edxml: body.to_vec(),
        deliver_to,
    };
    match st.store.record_document(&new)? {
        Recorded::New(receipt) => Ok((StatusCode::CREATED, Json(receipt)).into_response()),
        Recorded::Existing(receipt) => Ok((StatusCode::OK, Json(receipt)).into_response()),
        Recorded::Conflict => Err(idempotency_conflict()),
    }
}

async fn get_status(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(receipt_id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    match st.store.status_history(&receipt_id, &caller.organ_id)? {
        Some(history) => Ok(Json(history).into_response()),
        None => Err(ApiError::not_found(
            "no document sent by your organ has this receipt id",
        )),
    }
}

// ---- inbox -----------------------------------------------------------------------------

async fn get_inbox(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let items = st.store.inbox(&caller.organ_id)?;
    Ok(Json(InboxList { items }).into_response())
}

async fn get_inbox_edxml(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(inbox_id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    match st.store.inbox_edxml(&caller.organ_id, &inbox_id)? {
        Some(xml) => Ok(([(header::CONTENT_TYPE, EDXML_CONTENT_TYPE)], xml).into_response()),
        None => Err(ApiError::not_found(
            "your organ's inbox has no entry with this id",
        )),
    }
}

/// `POST /api/v1/inbox/{inbox_id}/status`: the receiving organ gives the document a status
/// (03 registered, 02 refused with its reason…), appended to the history its sender polls.
async fn post_inbox_status(
    State(st): State<Shared>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(inbox_id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::bad_request(
            "an Idempotency-Key header (a UUID, one per status) is required",
        ));
    }
    let body_sha256 = hex::encode(Sha256::digest(&body));
    if let Some((client_id, sha, json)) = st.store.inbox_status_key(&key)? {
        if client_id != caller.client_id || sha != body_sha256 {
            return Err(idempotency_conflict());
        }
        let receipt: StatusReceipt =
            serde_json::from_str(&json).map_err(|e| ApiError::internal("database", e))?;
        return Ok((StatusCode::OK, Json(receipt)).into_response());
    }
    let status: StatusEntry = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("expected a status as JSON: {e}")))?;
    if !crate::commands::STATUS_CODES.contains(&status.code.as_str()) || status.code == "01" {
        return Err(ApiError::bad_request(format!(
            "status code \"{}\" is not one an organ gives (02 03 04 05 06 13 15 16)",
            status.code
        )));
    }
    if status.description.trim().is_empty() {
        return Err(ApiError::bad_request(
            "a status needs its words in description (for a refusal, 02, the reason)",
        ));
    }
    let Some(document_receipt) = st.store.inbox_receipt(&caller.organ_id, &inbox_id)? else {
        return Err(ApiError::not_found(
            "your organ's inbox has no entry with this id",
        ));
    };
    let recorded_at = crate::now_rfc3339();
    let receipt = StatusReceipt {
        status_id: format!("S{}", uuid::Uuid::new_v4().simple()),
        inbox_id,
        idempotency_key: key,
        recorded_at: recorded_at.clone(),
        status: StatusEntry {
            timestamp: if status.timestamp.is_empty() {
                recorded_at
            } else {
                status.timestamp
            },
            ..status
        },
    };
    if st.store.record_inbox_status(
        &receipt,
        &caller.client_id,
        &body_sha256,
        document_receipt.as_deref(),
    )? {
        Ok((StatusCode::CREATED, Json(receipt)).into_response())
    } else {
        // A concurrent retry with the same key won the race: its receipt.
        match st.store.inbox_status_key(&receipt.idempotency_key)? {
            Some((client_id, sha, json)) if client_id == caller.client_id && sha == body_sha256 => {
                let receipt: StatusReceipt =
                    serde_json::from_str(&json).map_err(|e| ApiError::internal("database", e))?;
                Ok((StatusCode::OK, Json(receipt)).into_response())
            }
            _ => Err(idempotency_conflict()),
        }
    }
}
