//! The VDXP double (`kyso-exchange serve --dialect vdxp`): the VNPT SDK's protocol as
//! docs/exchange-dialects.md describes it, with the wire types of `kyso_sync::vdxp::wire`.
//!
//! - Every request's `XroadVnpt-*` headers are checked against `XroadVnpt-hash-header` (HMAC-SHA256
//!   under the system's secret, the client's `client_secret`); a bad or missing signature is
//!   HTTP 401 with `status: FAIL`. Stale and extra headers are tolerated, parameter names
//!   compare without regard to case (`docid`, `docId`), and the timestamp's freshness is not
//!   checked (the SDK sets it once per service object).
//! - `sendEdoc`: `from` must be the `systemid` (else `FAIL`, "Don vi gui … khong dung voi ma da
//!   dang ky: …"), and so must the edXML `From/OrganId`; `hash-file` must be the body's SHA-256
//!   (leading zeros dropped or not); a document goes to each `To/OrganId`, a status package to
//!   its `ResponseFor/OrganId`.
//! - A package stays in a receiver's list until `updateStatus done`.
//!
//! The double's `ErrorCode` values are its own [I]: the real ones are not public.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use kyso_sync::vdxp::wire::{
    self, BasicAnswer, EdocAnswer, ReceivedItem, ReceivedListAnswer, SendAnswer, SentItem,
    SentListAnswer, SignedParams,
};
use sha2::{Digest, Sha256};

use crate::packages::{self, PackageRecord, RouteError};
use crate::server::AppState;

type Shared = Arc<AppState>;

/// The double's error codes [I].
const BAD_HASH_FILE: &str = "1";
const SENDER_MISMATCH: &str = "2";
const INVALID_EDXML: &str = "3";
const UNKNOWN_RECEIVER: &str = "4";
const NOT_FOUND: &str = "5";
const BAD_REQUEST: &str = "6";
const PLATFORM_ERROR: &str = "20";
const INTERNAL: &str = "99";

/// The routes, under the endpoint's root (e.g. `…/XrdAdapter/adapter`).
pub fn router(state: Shared) -> Router<Shared> {
    let limit = usize::try_from(state.config.max_blob_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route(
            wire::SEND_PATH,
            post(send_edoc).layer(DefaultBodyLimit::max(limit)),
        )
        .route(wire::RECEIVED_LIST_PATH, post(received_list))
        .route(wire::SENT_LIST_PATH, post(sent_list))
        .route(wire::GET_PATH, post(get_edoc))
        .route(wire::UPDATE_STATUS_PATH, post(update_status))
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

fn fail(code: &str, description: impl Into<String>) -> BasicAnswer {
    BasicAnswer {
        status: wire::FAIL.into(),
        error_code: code.into(),
        error_desc: description.into(),
    }
}

fn ok() -> BasicAnswer {
    BasicAnswer {
        status: wire::OK.into(),
        error_code: wire::SUCCESS_CODE.into(),
        error_desc: "Success".into(),
    }
}

/// The signed parameters of a request, or the 401 answer.
fn signed(st: &AppState, headers: &HeaderMap) -> Result<SignedParams, Box<Response>> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let secret_of = |system: &str| {
        st.config
            .system(system)
            .map(|c| c.client_secret.as_bytes().to_vec())
    };
    wire::verify_request(header, secret_of).map_err(|e| {
        Box::new(json(
            StatusCode::UNAUTHORIZED,
            &fail("401", format!("Xac thuc khong thanh cong: {e}")),
        ))
    })
}

async fn send_edoc(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match signed(&st, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let system = params.system_id().to_string();
    let answer = |a: BasicAnswer| {
        json(
            StatusCode::OK,
            &SendAnswer {
                status: a.status,
                error_code: a.error_code,
                error_desc: a.error_desc,
                doc_id: String::new(),
            },
        )
    };
    let from = params.get("from").unwrap_or("").to_string();
    if from != system {
        return answer(fail(
            SENDER_MISMATCH,
            wire::sender_mismatch_text(&from, &system),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(&body));
    match params.get("hash-file") {
        Some(hash) if wire::hash_file_matches(hash, &sha256) => {}
        _ => return answer(fail(BAD_HASH_FILE, "hash-file khong khop voi noi dung tep")),
    }
    let message_type = match params.get("messagetype").unwrap_or("edoc") {
        t if t.eq_ignore_ascii_case("status") => "status",
        t if t.eq_ignore_ascii_case("edoc") => "edoc",
        other => {
            return answer(fail(
                BAD_REQUEST,
                format!("messagetype {other} khong hop le"),
            ));
        }
    };
    if st.draw_platform_error() {
        return answer(fail(PLATFORM_ERROR, "Loi he thong, vui long thu lai sau"));
    }
    let body_for_parse = body.clone();
    let routed =
        match tokio::task::spawn_blocking(move || packages::route(&body_for_parse, message_type))
            .await
        {
            Ok(Ok(routed)) => routed,
            Ok(Err(
                RouteError::Syntax(m) | RouteError::NotCompliant(m) | RouteError::Attachment(m),
            )) => {
                return answer(fail(
                    INVALID_EDXML,
                    format!("Goi tin edXML khong hop le: {m}"),
                ));
            }
            Err(e) => return answer(fail(INTERNAL, format!("internal: {e}"))),
        };
    if routed.from_organ_id != system {
        return answer(fail(
            SENDER_MISMATCH,
            wire::sender_mismatch_text(&routed.from_organ_id, &system),
        ));
    }
    if let Some(unknown) = routed.recipients.iter().find(|o| !st.config.knows_organ(o)) {
        return answer(fail(
            UNKNOWN_RECEIVER,
            format!("Khong tim thay don vi nhan {unknown}"),
        ));
    }
    let doc_id = uuid::Uuid::new_v4().to_string();
    match st.record_package(&doc_id, "vdxp", &system, &routed, &sha256, &body) {
        Ok(()) => json(
            StatusCode::OK,
            &SendAnswer {
                status: wire::OK.into(),
                error_code: wire::SUCCESS_CODE.into(),
                error_desc: "Success".into(),
                doc_id,
            },
        ),
        Err(e) => answer(fail(INTERNAL, format!("internal: {e}"))),
    }
}

/// `messagetype` (default `edoc`).
fn message_type_of(params: &SignedParams) -> Result<&'static str, Box<Response>> {
    match params.get("messagetype").unwrap_or("edoc") {
        t if t.eq_ignore_ascii_case("status") => Ok("status"),
        t if t.eq_ignore_ascii_case("edoc") => Ok("edoc"),
        other => Err(Box::new(json(
            StatusCode::OK,
            &fail(BAD_REQUEST, format!("messagetype {other} khong hop le")),
        ))),
    }
}

async fn received_list(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let params = match signed(&st, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let message_type = match message_type_of(&params) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let from = params
        .get("fromDate")
        .and_then(crate::dates::day_start_ms)
        .unwrap_or(i64::MIN);
    let to = params
        .get("toDate")
        .and_then(crate::dates::day_end_ms)
        .unwrap_or(i64::MAX);
    match st
        .store
        .waiting_packages(params.system_id(), message_type, from, to)
    {
        Ok(waiting) => {
            let data = waiting
                .into_iter()
                .map(|w| ReceivedItem {
                    doc_id: w.receiver_doc_id,
                    service_type: "eDoc".into(),
                    message_type: w.package.message_type.clone(),
                    from: w.package.from_organ_id.clone(),
                    to: params.system_id().to_string(),
                    status: w.status.clone(),
                    status_desc: status_words(&w.status).into(),
                    created_time: crate::dates::vietnam_text(w.package.created_ms),
                    updated_time: w.updated_at,
                })
                .collect();
            json(
                StatusCode::OK,
                &ReceivedListAnswer {
                    status: wire::OK.into(),
                    error_code: wire::SUCCESS_CODE.into(),
                    error_desc: "Success".into(),
                    data: Some(data),
                },
            )
        }
        Err(e) => json(StatusCode::OK, &fail(INTERNAL, format!("internal: {e}"))),
    }
}

fn status_words(status: &str) -> &'static str {
    match status {
        "initial" => "Chua nhan",
        "processing" => "Dang xu ly",
        "done" => "Da nhan",
        "fail" => "Loi",
        _ => "",
    }
}

async fn sent_list(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let params = match signed(&st, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let message_type = match message_type_of(&params) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let from = params
        .get("fromDate")
        .and_then(crate::dates::day_start_ms)
        .unwrap_or(i64::MIN);
    match st
        .store
        .sent_packages(params.system_id(), message_type, from)
    {
        Ok(sent) => {
            let mut data = Vec::new();
            for package in sent {
                for delivery in &package.deliveries {
                    data.push(sent_item(&package, delivery, st.config.sent_list_hashes));
                }
            }
            json(
                StatusCode::OK,
                &SentListAnswer {
                    status: wire::OK.into(),
                    error_code: wire::SUCCESS_CODE.into(),
                    error_desc: "Success".into(),
                    data: Some(data),
                },
            )
        }
        Err(e) => json(StatusCode::OK, &fail(INTERNAL, format!("internal: {e}"))),
    }
}

fn sent_item(
    package: &PackageRecord,
    delivery: &packages::Delivery,
    with_hashes: bool,
) -> SentItem {
    SentItem {
        service_type: "eDoc".into(),
        message_type: package.message_type.clone(),
        sender_doc_id: package.doc_id.clone(),
        receiver_doc_id: delivery.receiver_doc_id.clone(),
        from_code: package.sender_system.clone(),
        to_code: delivery.organ_id.clone(),
        title: package.subject.clone(),
        notation: package.notation.clone(),
        sent_time: crate::dates::vietnam_text(package.created_ms),
        received_time: if delivery.status == "done" {
            delivery.updated_at.clone()
        } else {
            String::new()
        },
        send_status: "sent".into(),
        send_status_desc: "Da gui".into(),
        receive_status: delivery.status.clone(),
        receive_status_desc: status_words(&delivery.status).into(),
        document_id: with_hashes.then(|| package.document_id.clone()),
        hash_file: with_hashes.then(|| package.body_sha256.clone()),
    }
}

async fn get_edoc(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let params = match signed(&st, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(doc_id) = params.get("docId").map(str::to_string) else {
        return json(StatusCode::OK, &fail(BAD_REQUEST, "Thieu docId"));
    };
    let package = match st.store.delivered_package(params.system_id(), &doc_id) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return json(
                StatusCode::OK,
                &fail(NOT_FOUND, format!("Khong tim thay van ban {doc_id}")),
            );
        }
        Err(e) => return json(StatusCode::OK, &fail(INTERNAL, format!("internal: {e}"))),
    };
    let path = st.packages_dir.join(&package.doc_id);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let data = tokio::task::spawn_blocking(move || {
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .await
            .unwrap_or_default();
            json(
                StatusCode::OK,
                &EdocAnswer {
                    status: wire::OK.into(),
                    error_code: wire::SUCCESS_CODE.into(),
                    error_desc: "Success".into(),
                    data: Some(data),
                },
            )
        }
        Err(e) => json(StatusCode::OK, &fail(INTERNAL, format!("internal: {e}"))),
    }
}

async fn update_status(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let params = match signed(&st, &headers) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let (Some(doc_id), Some(status)) = (params.get("docId"), params.get("status")) else {
        return json(
            StatusCode::OK,
            &fail(BAD_REQUEST, "Thieu docId hoac status"),
        );
    };
    let status = status.to_ascii_lowercase();
    if !matches!(status.as_str(), "done" | "fail" | "processing") {
        return json(
            StatusCode::OK,
            &fail(BAD_REQUEST, format!("status {status} khong hop le")),
        );
    }
    match st
        .store
        .set_delivery_status(params.system_id(), doc_id, &status)
    {
        Ok(true) => json(StatusCode::OK, &ok()),
        Ok(false) => json(
            StatusCode::OK,
            &fail(NOT_FOUND, format!("Khong tim thay van ban {doc_id}")),
        ),
        Err(e) => json(StatusCode::OK, &fail(INTERNAL, format!("internal: {e}"))),
    }
}
