//! The boundary between the sync engine and one exchange dialect (docs/exchange-dialects.md):
//! what the engine asks of a platform, whatever its wire format. Three dialects implement it:
//! Kyso's own protocol ([`crate::client`], docs/exchange-api.md), the VNPT SDK's ([`crate::vdxp`])
//! and the provincial `/v1` REST axis ([`crate::lgsp_v1`]).
//!
//! The exactly-once bookkeeping is not here: it stays in the engine and the store
//! (docs/decisions.md, "Exactly once over protocols without an idempotency key"). A dialect
//! only says whether resending is harmless ([`Transport::resends_safely`]), and, when it is
//! not, what the platform already holds ([`Transport::find_sent`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::edxml::Message;
use crate::error::SyncError;
use crate::files::{FileStore, StoredFile};
use crate::protocol::StatusEntry;

/// The dialects Kyso speaks (`exchange.dialect`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dialect {
    /// Kyso's own protocol (docs/exchange-api.md): blobs, then an idempotent message.
    #[default]
    #[serde(rename = "kyso")]
    Kyso,
    /// The VNPT SDK's (`SDKVXP`): the national document axis and the provinces built on it.
    #[serde(rename = "vdxp")]
    Vdxp,
    /// A provincial REST axis (`/v1`, Lạng Sơn style).
    #[serde(rename = "lgsp-v1")]
    LgspV1,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Kyso, Dialect::Vdxp, Dialect::LgspV1];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Kyso => "kyso",
            Dialect::Vdxp => "vdxp",
            Dialect::LgspV1 => "lgsp-v1",
        }
    }

    pub fn parse(text: &str) -> Option<Dialect> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of edXML a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageKind {
    /// A document (`messagetype: edoc`).
    Document,
    /// A status package (`messagetype: status`).
    Status,
}

/// Something the outbox sends: a document, or a status about an inbox document. Everything in
/// it was fixed when it was queued.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub kind: PackageKind,
    /// The idempotency key (Kyso's protocol).
    pub key: &'a str,
    /// The edXML `DocumentId` (a document), or the `ResponseFor/DocumentId` (a status).
    pub document_id: &'a str,
    /// The message stored at queue time: for a document, its manifest names the stored file by
    /// `sha256:`; for a status, the status package itself.
    pub edxml: &'a [u8],
    /// The stored file of a document (`sha256`, size).
    pub file: Option<(&'a str, u64)>,
    /// A status: the platform's id of the inbox document it answers.
    pub inbox_server_id: Option<&'a str>,
    pub files: &'a FileStore,
    /// Where packages are written before they are sent (the store's `tmp/`).
    pub tmp_dir: &'a Path,
}

/// A body ready to be sent; its SHA-256 is recorded before it leaves.
#[derive(Debug)]
pub struct Prepared {
    /// What this attempt will send (the edXML body): its SHA-256 and size.
    pub sha256: String,
    pub size: u64,
    /// The body's temporary file, when the dialect builds one.
    pub body: Option<tempfile::TempPath>,
}

/// The platform holds what was sent: its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// The platform's id: Kyso's receipt id, the `DocId` of VDXP and `/v1`.
    pub receipt_id: String,
    /// RFC 3339, UTC.
    pub received_at: String,
    /// The first status, when the platform gives one (Kyso's exchange: 01, or 02 with the
    /// reason); the others learn statuses from status packages.
    pub status: Option<StatusEntry>,
    /// The answer as received (kept with the receipt).
    pub answer: serde_json::Value,
}

/// What a platform already holds of an attempt that had no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Found: this is its receipt.
    Held(Delivered),
    /// The platform's list of what this system sent does not have it: sending is safe.
    NotHeld,
    /// The platform cannot tell: the outbox says "may have been sent" and waits for the user.
    Unknown { reason: String },
}

/// The last attempt whose answer was lost.
#[derive(Debug, Clone, Copy)]
pub struct LastAttempt<'a> {
    /// SHA-256 of the body sent.
    pub sha256: Option<&'a str>,
    /// When it was sent.
    pub at: time::OffsetDateTime,
}

/// A document or status waiting for us on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The platform's id (Kyso's inbox id, the receiver's `docId`).
    pub server_id: String,
    /// RFC 3339 when known, else as the platform wrote it.
    pub received_at: String,
    /// What the listing says, when it says it (Kyso's exchange does; the others only once the
    /// package is read).
    pub from_organ_id: String,
}

/// A fetched inbox document: its message (attachments taken out), the edXML kept in the store,
/// and its files, already in the file store.
#[derive(Debug)]
pub struct Fetched {
    pub message: Message,
    pub xml: Vec<u8>,
    pub attachments: Vec<(String, StoredFile)>,
}

/// News about a sent document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusNews {
    /// The outbox entry, when the dialect knows it (Kyso's exchange: by receipt).
    pub outbox_id: Option<i64>,
    /// Otherwise the `ResponseFor/DocumentId` of a status package.
    pub document_id: Option<String>,
    pub statuses: Vec<StatusEntry>,
    /// The platform's id to acknowledge once the statuses are recorded.
    pub acknowledge: Option<String>,
}

/// A sent document whose statuses may still change.
#[derive(Debug, Clone, Copy)]
pub struct SentDocument<'a> {
    pub outbox_id: i64,
    pub receipt_id: &'a str,
}

/// One exchange dialect. Blocking; shared by the sync workers.
pub trait Transport: Send + Sync {
    fn dialect(&self) -> Dialect;

    /// Sending the same thing twice is harmless (the protocol has an idempotency key), so an
    /// attempt without an answer is simply repeated.
    fn resends_safely(&self) -> bool;

    /// The credentials work (`kyso login` checks them before keeping them).
    fn check_login(&self) -> Result<(), SyncError>;

    /// Makes the body of an attempt (and whatever must precede it: Kyso's blobs).
    fn prepare(&self, outgoing: &Outgoing<'_>) -> Result<Prepared, SyncError>;

    /// Sends a prepared body.
    fn send(&self, outgoing: &Outgoing<'_>, prepared: &Prepared) -> Result<Delivered, SyncError>;

    /// Before sending again what was sent without an answer: does the platform hold it?
    fn find_sent(
        &self,
        outgoing: &Outgoing<'_>,
        last: &LastAttempt<'_>,
    ) -> Result<Lookup, SyncError>;

    /// News about sent documents.
    fn poll_statuses(&self, sent: &[SentDocument<'_>]) -> Result<Vec<StatusNews>, SyncError>;

    /// The documents waiting in the organ's inbox.
    fn inbox(&self) -> Result<Vec<Incoming>, SyncError>;

    /// Downloads one, its files into `files`.
    fn fetch(&self, item: &Incoming, files: &FileStore) -> Result<Fetched, SyncError>;

    /// Tells the platform that what it listed under `server_id` was received (transport only;
    /// no business status), so it is not listed again.
    fn acknowledge(&self, server_id: &str) -> Result<(), SyncError>;

    /// Whether the receiving side sends status 01 "đã đến" itself for each fetched document
    /// (Kyso's exchange gives 01 on arrival: false).
    fn sends_arrival_status(&self) -> bool;
}
