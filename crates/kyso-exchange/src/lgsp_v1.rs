//! The `lgsp-v1` double (`kyso-exchange serve --dialect lgsp-v1`): a provincial `/v1` REST axis
//! as docs/exchange-dialects.md describes it, with the wire types of `kyso_sync::lgsp_v1::wire`.
//!
//! - `POST /v1/auth/login?allow_anonymous=true` gives a JWT (HS256 under a key made at start,
//!   `exp` − `iat` = `token_ttl_seconds`, 30 minutes by default); the token is also recorded (by
//!   its hash) with its expiry, so a test can expire it behind the client's back.
//! - Every other call needs the token (else HTTP 401 `licenseInfo: invalid`, the words the real
//!   sandbox answers), and `X-SystemId`/`X-SecretKey` of the token's client (else code 15).
//! - `sendEdoc` (multipart `edocFile`, `messageType`) answers with the platform's codes: 10 a
//!   file that is not XML, 19 a `From/OrganId` that is not the `X-SystemId`, 18 a receiver no
//!   client speaks for, 23 a receiver in `locked_organs`, 21 an attachment whose base64 is
//!   broken, 22 an edXML missing what the standard requires, 20 injected
//!   (`faults.platform_error_rate`).
//! - A package stays listed for its receiver until `updateStatus done`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use kyso_sync::lgsp_v1::wire::{self, Envelope, ListedEdoc, LoginRequest, UpdateStatus};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::config::Client;
use crate::packages::{self, RouteError};
use crate::server::AppState;

type Shared = Arc<AppState>;

/// The routes, under the endpoint's root.
pub fn router(state: Shared) -> Router<Shared> {
    let limit = usize::try_from(state.config.max_blob_bytes).unwrap_or(usize::MAX);
    let authorized = Router::new()
        .route(
            wire::SEND_PATH,
            post(send_edoc).layer(DefaultBodyLimit::max(limit)),
        )
        .route(wire::LIST_PATH, get(list))
        .route(wire::GET_PATH, get(get_edoc))
        .route(wire::UPDATE_STATUS_PATH, post(update_status))
        .route_layer(middleware::from_fn_with_state(state, authenticate));
    Router::new()
        .route("/v1/auth/login", post(login))
        .merge(authorized)
}

fn envelope(status: StatusCode, code: i64, message: &str, data: serde_json::Value) -> Response {
    let body = Envelope {
        code,
        message: Some(message.to_string()),
        data,
        error_detail: serde_json::Value::Null,
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

fn refused(code: i64, message: &str) -> Response {
    envelope(StatusCode::OK, code, message, serde_json::Value::Null)
}

/// HTTP 401 as the real sandbox answers it.
fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"errorDetail":null,"code":401,"message":"Unauthorized","licenseInfo":"invalid","totalTime":0}"#,
    )
        .into_response()
}

async fn login(State(st): State<Shared>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<LoginRequest>(&body) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            400,
            "Yeu cau dang nhap khong hop le",
            serde_json::Value::Null,
        );
    };
    let Some(client) = st.config.login(
        &request.username,
        &request.password,
        &request.application_code,
    ) else {
        return envelope(
            StatusCode::UNAUTHORIZED,
            401,
            "Sai ten dang nhap hoac mat khau",
            serde_json::Value::Null,
        );
    };
    match st.issue_jwt(client) {
        Ok(token) => envelope(
            StatusCode::OK,
            wire::SUCCESS,
            "Thanh cong",
            serde_json::json!({ "token": token }),
        ),
        Err(e) => envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            &format!("internal: {e}"),
            serde_json::Value::Null,
        ),
    }
}

/// The token's client, whose system headers must match.
async fn authenticate(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        });
    let Some(client) = token.and_then(|t| st.jwt_client(&t)) else {
        return unauthorized();
    };
    // Compared as bytes: a secret key may hold UTF-8 (HTTP's obs-text), which `to_str` refuses.
    let (system, secret) = {
        let headers = req.headers();
        let bytes = |name: &str| {
            headers
                .get(name)
                .map(|v| v.as_bytes().to_vec())
                .unwrap_or_default()
        };
        (
            bytes(wire::SYSTEM_ID_HEADER),
            bytes(wire::SECRET_KEY_HEADER),
        )
    };
    if system != client.organ_id.as_bytes() || secret != client.client_secret.as_bytes() {
        return refused(
            wire::WRONG_SYSTEM_OR_SECRET,
            "SystemId hoac SecretKey khong dung",
        );
    }
    req.extensions_mut().insert(client);
    next.run(req).await
}

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: String,
    data: &'a [u8],
}

/// The parts of a `multipart/form-data` body (RFC 7578), read in memory.
fn multipart<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let start = find(rest, &delimiter)?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let content = &rest[head_end + 4..];
        let next = find(content, &[b"\r\n".as_slice(), &delimiter].concat())?;
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("name="))?
            .trim_matches('"')
            .to_string();
        parts.push(Part {
            name,
            data: &content[..next],
        });
        rest = &content[next + 2 + delimiter.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn send_edoc(
    State(st): State<Shared>,
    axum::Extension(client): axum::Extension<Client>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(parts) = multipart(content_type, &body) else {
        return refused(10, "Yeu cau phai la multipart/form-data co edocFile");
    };
    let Some(file) = parts.iter().find(|p| p.name == wire::FILE_FIELD) else {
        return refused(10, "Thieu tep edocFile");
    };
    let message_type = parts
        .iter()
        .find(|p| p.name == wire::MESSAGE_TYPE_FIELD)
        .and_then(|p| std::str::from_utf8(p.data).ok())
        .unwrap_or("edoc")
        .trim()
        .to_ascii_lowercase();
    let message_type = match message_type.as_str() {
        "edoc" => "edoc",
        "status" => "status",
        _ => return refused(10, "messageType khong hop le"),
    };
    if st.draw_platform_error() {
        return refused(20, "Loi he thong");
    }
    let data = file.data.to_vec();
    let sha256 = hex::encode(Sha256::digest(&data));
    let (routed, data) =
        match tokio::task::spawn_blocking(move || (packages::route(&data, message_type), data))
            .await
        {
            Ok((Ok(routed), data)) => (routed, data),
            Ok((Err(RouteError::Syntax(m)), _)) => {
                return refused(10, &format!("Tep khong hop le: {m}"));
            }
            Ok((Err(RouteError::Attachment(m)), _)) => {
                return refused(21, &format!("Loi xu ly tep: {m}"));
            }
            Ok((Err(RouteError::NotCompliant(m)), _)) => {
                return refused(22, &format!("edXML khong dung chuan: {m}"));
            }
            Err(e) => return refused(20, &format!("Loi he thong: {e}")),
        };
    if routed.from_organ_id != client.organ_id || !st.config.knows_organ(&routed.from_organ_id) {
        return refused(
            19,
            &format!("Don vi gui {} chua duoc dang ky", routed.from_organ_id),
        );
    }
    if let Some(unknown) = routed.recipients.iter().find(|o| !st.config.knows_organ(o)) {
        return refused(18, &format!("Don vi nhan {unknown} khong ton tai"));
    }
    if let Some(locked) = routed
        .recipients
        .iter()
        .find(|o| st.config.locked_organs.contains(o))
    {
        return refused(23, &format!("Don vi nhan {locked} dang bi khoa"));
    }
    let doc_id = uuid::Uuid::new_v4().to_string();
    match st.record_package(
        &doc_id,
        "lgsp-v1",
        &client.organ_id,
        &routed,
        &sha256,
        &data,
    ) {
        Ok(()) => envelope(
            StatusCode::OK,
            wire::SUCCESS,
            "Thanh cong",
            serde_json::json!({ "docId": doc_id }),
        ),
        Err(e) => refused(20, &format!("Loi he thong: {e}")),
    }
}

async fn list(
    State(st): State<Shared>,
    axum::Extension(client): axum::Extension<Client>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let message_type = match query
        .get("messageType")
        .map(|t| t.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("edoc") => "edoc",
        Some("status") => "status",
        Some(_) => return refused(10, "messageType khong hop le"),
    };
    let from = query
        .get("fromDate")
        .and_then(|d| crate::dates::day_start_ms(d))
        .unwrap_or(i64::MIN);
    let to = query
        .get("toDate")
        .and_then(|d| crate::dates::day_end_ms(d))
        .unwrap_or(i64::MAX);
    match st
        .store
        .waiting_packages(&client.organ_id, message_type, from, to)
    {
        Ok(waiting) => {
            let data: Vec<ListedEdoc> = waiting
                .into_iter()
                .map(|w| ListedEdoc {
                    doc_id: w.receiver_doc_id,
                    from: w.package.from_organ_id.clone(),
                    to: client.organ_id.clone(),
                    message_type: w.package.message_type.clone(),
                    service_type: "eDoc".into(),
                    status: w.status,
                    status_desc: String::new(),
                    created_time: crate::dates::vietnam_text(w.package.created_ms),
                    updated_time: w.updated_at,
                })
                .collect();
            envelope(
                StatusCode::OK,
                wire::SUCCESS,
                "Thanh cong",
                serde_json::to_value(data).unwrap_or_default(),
            )
        }
        Err(e) => refused(20, &format!("Loi he thong: {e}")),
    }
}

async fn get_edoc(
    State(st): State<Shared>,
    axum::Extension(client): axum::Extension<Client>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(doc_id) = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("docId"))
        .map(|(_, v)| v.clone())
    else {
        return refused(10, "Thieu docId");
    };
    let package = match st.store.delivered_package(&client.organ_id, &doc_id) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return envelope(
                StatusCode::NOT_FOUND,
                404,
                &format!("Khong tim thay van ban {doc_id}"),
                serde_json::Value::Null,
            );
        }
        Err(e) => return refused(20, &format!("Loi he thong: {e}")),
    };
    match tokio::fs::read(st.packages_dir.join(&package.doc_id)).await {
        Ok(bytes) => {
            let data = tokio::task::spawn_blocking(move || {
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .await
            .unwrap_or_default();
            envelope(
                StatusCode::OK,
                wire::SUCCESS,
                "Thanh cong",
                serde_json::json!({ "docId": doc_id, "data": data }),
            )
        }
        Err(e) => refused(20, &format!("Loi he thong: {e}")),
    }
}

async fn update_status(
    State(st): State<Shared>,
    axum::Extension(client): axum::Extension<Client>,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<UpdateStatus>(&body) else {
        return refused(10, "Yeu cau khong hop le: {docId, status}");
    };
    let status = request.status.to_ascii_lowercase();
    if !matches!(status.as_str(), "done" | "fail" | "processing") {
        return refused(10, "status phai la done, fail hoac processing");
    }
    match st
        .store
        .set_delivery_status(&client.organ_id, &request.doc_id, &status)
    {
        Ok(true) => envelope(
            StatusCode::OK,
            wire::SUCCESS,
            "Thanh cong",
            serde_json::Value::Null,
        ),
        Ok(false) => envelope(
            StatusCode::NOT_FOUND,
            404,
            &format!("Khong tim thay van ban {}", request.doc_id),
            serde_json::Value::Null,
        ),
        Err(e) => refused(20, &format!("Loi he thong: {e}")),
    }
}

/// A JWT (HS256) for `client` living `ttl` seconds.
pub fn make_jwt(key: &[u8], client: &Client, now: i64, ttl: u64) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let jti: u64 = rand::thread_rng().r#gen();
    let claims = serde_json::json!({
        "sub": client.client_id,
        "systemId": client.organ_id,
        "iat": now,
        "exp": now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
        "jti": format!("{jti:016x}"),
    });
    let payload = b64(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let signature = kyso_sync::vdxp::wire::hmac_hex(key, signing_input.as_bytes());
    let signature = b64(&hex::decode(signature).unwrap_or_default());
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_are_split() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"messageType\"\r\n\r\nedoc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"edocFile\"; filename=\"a.edxml\"\r\nContent-Type: application/xml\r\n\r\n<edXML/>\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "messageType");
        assert_eq!(parts[0].data, b"edoc");
        assert_eq!(parts[1].name, "edocFile");
        assert_eq!(parts[1].data, b"<edXML/>");
        assert!(multipart("multipart/form-data; boundary=other", body).is_none());
    }

    #[test]
    fn a_jwt_says_its_lifetime() {
        let client = crate::config::Config::default().clients[0].clone();
        let token = make_jwt(b"key", &client, 1000, 1800);
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(wire::jwt_lifetime(&token), Some(1800));
    }
}
