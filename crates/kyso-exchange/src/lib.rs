//! kyso-exchange: the reference provincial document-exchange endpoint, for the demo and for
//! tests. It serves exactly the protocol of docs/exchange-api.md (wire types from
//! `kyso_sync::protocol`): OAuth2 client credentials, resumable content-addressed blobs,
//! idempotent document submission with signature verification, status histories and inboxes,
//! plus seeded fault injection.

pub mod api_error;
pub mod blobs;
pub mod commands;
pub mod config;
pub mod conn;
pub mod server;
pub mod store;
pub mod verify;

/// Now, RFC 3339 in UTC with second precision ("2026-11-22T08:00:00Z").
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// A time as RFC 3339 in UTC with second precision.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
