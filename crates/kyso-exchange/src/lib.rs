//! kyso-exchange: the reference provincial document-exchange endpoint, for the demo and for
//! tests. It serves exactly the protocol of docs/exchange-api.md (wire types from
//! `kyso_sync::protocol`): OAuth2 client credentials, resumable content-addressed blobs,
//! idempotent document submission with signature verification, status histories and inboxes,
//! plus seeded fault injection. With `serve --dialect vdxp|lgsp-v1` it is a test double of the
//! provincial platforms' dialects instead (docs/exchange-dialects.md), on the same store and
//! with the same faults.

pub mod api_error;
pub mod blobs;
pub mod commands;
pub mod config;
pub mod conn;
pub mod dates;
pub mod lgsp_v1;
pub mod packages;
pub mod server;
pub mod store;
pub mod vdxp;
pub mod verify;

/// Now, RFC 3339 in UTC with second precision ("2026-11-22T08:00:00Z").
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// A time as RFC 3339 in UTC with second precision: the client's own format
/// ([`kyso_sync::store::rfc3339`]), so both sides write times alike.
pub use kyso_sync::store::rfc3339;

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
