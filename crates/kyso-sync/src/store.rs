//! The local store: one SQLite database (WAL, versioned migrations) under
//! `KYSO_HOME/store/`, next to the content-addressed files ([`crate::files`]).
//!
//! Every state change is one transaction (docs/architecture.md principle 8). Queueing copies the
//! file into the store first (fsynced and renamed), then inserts the document and its outbox row in
//! one transaction, with the idempotency key and the exact edXML message that every retry will
//! send. A crash in between leaves a stored file that nothing references, never a row that
//! references a missing file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use time::OffsetDateTime;

use kyso_core::Level;

use crate::edxml;
use crate::error::SyncError;
use crate::files::{FileStore, StoredFile};
use crate::meta::{DocumentMeta, ResponseFor};
use crate::protocol::{self, Receipt, StatusEntry};
use crate::transport::Delivered;

/// Versioned schema; `PRAGMA user_version` is the number of migrations applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE documents (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    stored_at   TEXT NOT NULL
);
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    document_sha256  TEXT NOT NULL REFERENCES documents(sha256),
    attachment_name  TEXT NOT NULL,
    document_id      TEXT NOT NULL,
    subject          TEXT NOT NULL,
    meta_json        TEXT NOT NULL,
    edxml            BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'refused', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    last_error_code  TEXT,
    last_error       TEXT,
    reply_to_inbox   INTEGER REFERENCES inbox(id),
    queued_at        TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE TABLE upload_attempts (
    id         INTEGER PRIMARY KEY,
    outbox_id  INTEGER NOT NULL REFERENCES outbox(id),
    at         TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT
);
CREATE TABLE receipts (
    outbox_id     INTEGER PRIMARY KEY REFERENCES outbox(id),
    receipt_id    TEXT NOT NULL UNIQUE,
    received_at   TEXT NOT NULL,
    receipt_json  TEXT NOT NULL
);
CREATE TABLE status_history (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES outbox(id),
    code         TEXT NOT NULL,
    description  TEXT NOT NULL,
    timestamp    TEXT NOT NULL,
    staff        TEXT,
    UNIQUE (outbox_id, code, timestamp)
);
CREATE TABLE inbox (
    id             INTEGER PRIMARY KEY,
    server_id      TEXT NOT NULL UNIQUE,
    document_id    TEXT NOT NULL,
    from_organ_id  TEXT NOT NULL,
    from_name      TEXT NOT NULL,
    subject        TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    meta_json      TEXT NOT NULL,
    edxml          BLOB NOT NULL,
    fetched_at     TEXT NOT NULL
);
CREATE TABLE inbox_attachments (
    inbox_id  INTEGER NOT NULL REFERENCES inbox(id),
    name      TEXT NOT NULL,
    sha256    TEXT NOT NULL REFERENCES documents(sha256),
    size      INTEGER NOT NULL,
    PRIMARY KEY (inbox_id, sha256)
);
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE outbox ADD COLUMN level TEXT;
ALTER TABLE outbox ADD COLUMN target_level TEXT;
ALTER TABLE outbox ADD COLUMN timestamp_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN level_error_code TEXT;
ALTER TABLE outbox ADD COLUMN level_error TEXT;
ALTER TABLE outbox ADD COLUMN send_attempted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE timestamps_due (
    path             TEXT PRIMARY KEY,
    sha256           TEXT NOT NULL,
    level            TEXT,
    target_level     TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    last_error_code  TEXT,
    last_error       TEXT
);
CREATE INDEX timestamps_due_sha ON timestamps_due(sha256);
"#,
    // Dialects without an idempotency key (docs/decisions.md, "Exactly once over protocols
    // without an idempotency key"): an attempt records the hash of the body it sends and stays
    // "awaiting an answer" until one is recorded; statuses given to inbox documents have an
    // outbox of their own.
    r#"
ALTER TABLE outbox ADD COLUMN awaiting_answer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN wire_sha256 TEXT;
ALTER TABLE outbox ADD COLUMN attempted_at_ms INTEGER;
CREATE INDEX outbox_document_id ON outbox(document_id);
CREATE TABLE status_outbox (
    id               INTEGER PRIMARY KEY,
    inbox_id         INTEGER NOT NULL REFERENCES inbox(id),
    idempotency_key  TEXT NOT NULL UNIQUE,
    code             TEXT NOT NULL,
    description      TEXT NOT NULL,
    staff            TEXT,
    timestamp        TEXT NOT NULL,
    xml              BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    awaiting_answer  INTEGER NOT NULL DEFAULT 0,
    wire_sha256      TEXT,
    attempted_at_ms  INTEGER,
    platform_id      TEXT,
    last_error_code  TEXT,
    last_error       TEXT,
    queued_at        TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (inbox_id, code)
);
CREATE INDEX status_outbox_due ON status_outbox(state, next_attempt_ms);
"#,
];

/// Where an outbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting to be sent (also after a transient failure, until `next_attempt`).
    Queued,
    /// The exchange holds it: a receipt is stored.
    Sent,
    /// The exchange refused it (status 02); the reason is kept. Not retried.
    Refused,
    /// A permanent failure other than 02 (e.g. the server found the message malformed).
    /// Not retried until the user asks (`kyso outbox retry`).
    Failed,
}

impl OutboxState {
    /// The name stored in the `state` column.
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sent => "sent",
            OutboxState::Refused => "refused",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> OutboxState {
        match text {
            "sent" => OutboxState::Sent,
            "refused" => OutboxState::Refused,
            "failed" => OutboxState::Failed,
            _ => OutboxState::Queued,
        }
    }
}

/// One queued document, as `kyso outbox` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub idempotency_key: String,
    pub document_sha256: String,
    pub attachment_name: String,
    pub size: u64,
    pub document_id: String,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: u32,
    /// RFC 3339; when the next try is due (queued entries).
    pub next_attempt: String,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub receipt_id: Option<String>,
    pub received_at: Option<String>,
    /// The newest status, oldest-first history in [`Store::statuses`].
    pub status: Option<StatusEntry>,
    pub reply_to_inbox: Option<i64>,
    pub queued_at: String,
    /// The document's PAdES level when it was queued or last raised; None when it holds no
    /// PAdES signature.
    pub level: Option<Level>,
    /// The level it should reach before it is sent ([`kyso_core::settings::SigningSettings`]).
    pub target_level: Option<Level>,
    /// Below its target: the sync raises it before sending it ("timestamp due").
    pub timestamp_due: bool,
    /// Why the last try to raise it failed (a TSA_… or LTV_… code and the reason).
    pub level_error_code: Option<String>,
    pub level_error: Option<String>,
    /// The exchange may have seen the message (its idempotency key): the document can no
    /// longer change, whatever its level.
    pub send_attempted: bool,
    /// An attempt was sent and no answer recorded since: before sending again, a dialect
    /// without an idempotency key asks the platform whether it holds it.
    pub awaiting_answer: bool,
    /// SHA-256 of the body of the last attempt (dialects without an idempotency key).
    pub wire_sha256: Option<String>,
    /// When the last attempt was sent (Unix ms).
    #[serde(skip)]
    pub attempted_at_ms: Option<i64>,
}

/// A status given to an inbox document (01 on arrival, the official's 03, 02 with its
/// reason…), waiting to be sent or sent.
#[derive(Debug, Clone, Serialize)]
pub struct StatusOutboxEntry {
    pub id: i64,
    pub inbox_id: i64,
    /// The platform's id of the inbox document.
    pub inbox_server_id: String,
    /// The inbox document's `DocumentId`.
    pub document_id: String,
    pub idempotency_key: String,
    pub code: String,
    pub description: String,
    pub staff: Option<String>,
    /// As written in the status package.
    pub timestamp: String,
    /// "queued", "sent" or "failed".
    pub state: String,
    pub attempts: u32,
    pub awaiting_answer: bool,
    pub wire_sha256: Option<String>,
    #[serde(skip)]
    pub attempted_at_ms: Option<i64>,
    /// The platform's id of the status package, once sent.
    pub platform_id: Option<String>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub queued_at: String,
}

/// A status to queue: its code, words, who gave it, the time written in it, and the package.
#[derive(Debug, Clone)]
pub struct NewStatus {
    pub code: String,
    pub description: String,
    pub staff: Option<String>,
    pub timestamp: String,
    pub xml: Vec<u8>,
}

/// A signed file on the user's disk below its target level ("timestamp due"), recorded when
/// it was signed without a trusted time; the sync or `kyso upgrade` raises it.
#[derive(Debug, Clone, Serialize)]
pub struct DueFile {
    pub path: PathBuf,
    /// The file as signed: it is raised only while it still has these bytes.
    pub sha256: String,
    pub level: Option<Level>,
    pub target_level: Level,
    pub recorded_at: String,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
}

/// One document fetched from the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    pub id: i64,
    pub server_id: String,
    pub document_id: String,
    pub from_organ_id: String,
    pub from_name: String,
    pub subject: String,
    pub received_at: String,
    /// The document this one answers (`ResponseFor`), when it is a reply.
    pub response_for: Option<ResponseFor>,
    pub attachments: Vec<InboxAttachment>,
    /// The statuses given to it (01 on arrival, the official's), oldest first.
    pub statuses: Vec<StatusOutboxEntry>,
}

/// A fetched attachment, readable offline at `path`.
#[derive(Debug, Clone, Serialize)]
pub struct InboxAttachment {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub path: PathBuf,
}

/// The local store. One per process and thread (open another for another thread).
pub struct Store {
    conn: Connection,
    files: FileStore,
    dir: PathBuf,
    home: PathBuf,
}

const OUTBOX_COLUMNS: &str = "o.id, o.idempotency_key, o.document_sha256, o.attachment_name, \
     d.size, o.document_id, o.subject, o.state, o.attempts, o.next_attempt_ms, \
     o.last_error_code, o.last_error, r.receipt_id, r.received_at, o.reply_to_inbox, o.queued_at, \
     s.code, s.description, s.timestamp, s.staff, o.level, o.target_level, o.timestamp_due, \
     o.level_error_code, o.level_error, o.send_attempted, o.awaiting_answer, o.wire_sha256, \
     o.attempted_at_ms";

/// Each entry with its document, its receipt and its newest status, in one query.
const OUTBOX_FROM: &str = "outbox o JOIN documents d ON d.sha256 = o.document_sha256 \
     LEFT JOIN receipts r ON r.outbox_id = o.id \
     LEFT JOIN status_history s ON s.id = \
         (SELECT MAX(id) FROM status_history WHERE outbox_id = o.id)";

const INBOX_COLUMNS: &str =
    "id, server_id, document_id, from_organ_id, from_name, subject, received_at, meta_json";

impl Store {
    /// Opens (creating and migrating when needed) the store under `home`
    /// (`KYSO_HOME/store`).
    pub fn open(home: &Path) -> Result<Store, SyncError> {
        let dir = home.join("store");
        kyso_keys::home::create_private_dir(&dir)
            .map_err(|e| SyncError::store_io(dir.clone(), e))?;
        let conn =
            Connection::open(dir.join("kyso.db")).map_err(|e| SyncError::database(e, &dir))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit survives a power cut, not only a crash of the process.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            files: FileStore::new(&dir),
            dir,
            home: home.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The content-addressed files.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    fn migrate(&mut self) -> Result<(), SyncError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(SyncError::SchemaTooNew {
                found: version,
                known,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Copies `file` into the store and queues it for the exchange with `meta`, which must
    /// already be valid. Returns the new outbox entry. `reply_to` names the inbox entry this
    /// document answers.
    pub fn queue(
        &mut self,
        file: &Path,
        meta: &DocumentMeta,
        now: OffsetDateTime,
        reply_to: Option<i64>,
    ) -> Result<OutboxEntry, SyncError> {
        let problems = meta.validate();
        if !problems.is_empty() {
            return Err(SyncError::MetaInvalid {
                path: file.to_path_buf(),
                problems,
            });
        }
        check_pdf_header(file)?;
        let stored = self.files.put_file(file)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "document.pdf".to_string());
        let key = uuid::Uuid::new_v4().to_string();
        let level = stored_level(&stored.path);
        let target = self.target_level_of(&stored.sha256)?;
        let due = level.is_some_and(|l| l < target);
        let message = message_for(meta, &stored, &name, now);
        let xml = edxml::to_xml(&message);
        let meta_json = serde_json::to_string(meta).unwrap_or_default();
        let now_text = rfc3339(now);
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SyncError::database(e, &self.dir))?;
        insert_document(&tx, &stored, &now_text)?;
        tx.execute(
            "INSERT INTO outbox (idempotency_key, document_sha256, attachment_name, document_id,
                 subject, meta_json, edxml, state, next_attempt_ms, reply_to_inbox, queued_at,
                 updated_at, level, target_level, timestamp_due)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9, ?10, ?10, ?11, ?12, ?13)",
            params![
                key,
                stored.sha256,
                name,
                message.document_id,
                meta.subject,
                meta_json,
                xml.as_bytes(),
                unix_ms(now),
                reply_to,
                now_text,
                level.map(Level::name),
                target.name(),
                due
            ],
        )?;
        let id = tx.last_insert_rowid();
        set_setting(
            &tx,
            "meta_defaults",
            &serde_json::to_string(&meta.as_defaults()).unwrap_or_default(),
        )?;
        tx.commit().map_err(|e| SyncError::database(e, &self.dir))?;
        self.outbox_entry(id)
    }

    /// The metadata defaults remembered from the last queued document.
    pub fn meta_defaults(&self) -> Result<DocumentMeta, SyncError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'meta_defaults'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    /// Every outbox entry, newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, SyncError> {
        self.query_outbox("1 = 1 ORDER BY o.id DESC", params![])
    }

    /// One outbox entry.
    pub fn outbox_entry(&self, id: i64) -> Result<OutboxEntry, SyncError> {
        self.query_outbox("o.id = ?1", params![id])?
            .pop()
            .ok_or(SyncError::NotFound {
                what: "outbox",
                id: id.to_string(),
            })
    }

    /// Queued entries due at `now`, oldest first.
    pub fn due(&self, now: OffsetDateTime) -> Result<Vec<OutboxEntry>, SyncError> {
        self.query_outbox(
            "o.state = 'queued' AND o.next_attempt_ms <= ?1 ORDER BY o.id",
            params![unix_ms(now)],
        )
    }

    /// When the earliest queued entry is due, if any is queued.
    pub fn next_due(&self) -> Result<Option<OffsetDateTime>, SyncError> {
        let ms: Option<i64> = self.conn.query_row(
            "SELECT MIN(next_attempt_ms) FROM outbox WHERE state = 'queued'",
            [],
            |row| row.get(0),
        )?;
        Ok(ms.map(from_unix_ms))
    }

    /// When the earliest queued entry not in `except` is due, if any.
    pub fn next_due_except(&self, except: &[i64]) -> Result<Option<OffsetDateTime>, SyncError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, next_attempt_ms FROM outbox WHERE state = 'queued'")?;
        let rows =
            statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))?;
        let mut next: Option<i64> = None;
        for row in rows {
            let (id, ms) = row?;
            if !except.contains(&id) {
                next = Some(next.map_or(ms, |n| n.min(ms)));
            }
        }
        Ok(next.map(from_unix_ms))
    }

    /// Sent entries whose status may still change (neither refused nor finished).
    pub fn awaiting_status(&self) -> Result<Vec<OutboxEntry>, SyncError> {
        let entries = self.query_outbox("o.state = 'sent' ORDER BY o.id", params![])?;
        Ok(entries
            .into_iter()
            .filter(|e| {
                e.status
                    .as_ref()
                    .is_none_or(|s| !matches!(s.code.as_str(), "02" | "06" | "15"))
            })
            .collect())
    }

    /// The exact edXML message stored for an entry at queue time.
    pub fn edxml_of(&self, id: i64) -> Result<Vec<u8>, SyncError> {
        Ok(self
            .conn
            .query_row("SELECT edxml FROM outbox WHERE id = ?1", [id], |row| {
                row.get(0)
            })?)
    }

    /// The history of statuses of an entry, oldest first.
    pub fn statuses(&self, id: i64) -> Result<Vec<StatusEntry>, SyncError> {
        let mut statement = self.conn.prepare(
            "SELECT code, description, timestamp, staff FROM status_history
             WHERE outbox_id = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([id], |row| {
            Ok(StatusEntry {
                code: row.get(0)?,
                description: row.get(1)?,
                timestamp: row.get(2)?,
                staff: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The upload attempts of an entry: (time, outcome, detail), oldest first.
    pub fn attempts(&self, id: i64) -> Result<Vec<(String, String, Option<String>)>, SyncError> {
        let mut statement = self.conn.prepare(
            "SELECT at, outcome, detail FROM upload_attempts WHERE outbox_id = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A transient failure: counts the attempt and schedules the next one. `answered`: the
    /// platform answered the attempt that was sent (it does not hold it), so the next one needs
    /// no lookup.
    pub fn record_transient_failure(
        &mut self,
        id: i64,
        error: &SyncError,
        now: OffsetDateTime,
        next_attempt: OffsetDateTime,
        answered: bool,
    ) -> Result<(), SyncError> {
        let tx = self.conn.transaction()?;
        log_attempt(&tx, id, now, "retry", Some(&error.to_string()))?;
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2,
                 last_error_code = ?3, last_error = ?4, updated_at = ?5,
                 awaiting_answer = CASE WHEN ?6 THEN 0 ELSE awaiting_answer END
             WHERE id = ?1 AND state = 'queued'",
            params![
                id,
                unix_ms(next_attempt),
                error.code(),
                error.to_string(),
                rfc3339(now),
                answered
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A permanent failure: the entry waits for the user. `answered` as for
    /// [`Store::record_transient_failure`].
    pub fn record_permanent_failure(
        &mut self,
        id: i64,
        error: &SyncError,
        now: OffsetDateTime,
        answered: bool,
    ) -> Result<(), SyncError> {
        let tx = self.conn.transaction()?;
        log_attempt(&tx, id, now, "failed", Some(&error.to_string()))?;
        tx.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error_code = ?2,
                 last_error = ?3, updated_at = ?4,
                 awaiting_answer = CASE WHEN ?5 THEN 0 ELSE awaiting_answer END
             WHERE id = ?1 AND state = 'queued'",
            params![id, error.code(), error.to_string(), rfc3339(now), answered],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The exchange holds the document: stores the receipt and its first status, and moves the
    /// entry to `sent` (or `refused` for 02), in one transaction.
    pub fn record_receipt(
        &mut self,
        id: i64,
        receipt: &Receipt,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        self.record_delivered(
            id,
            &Delivered {
                receipt_id: receipt.receipt_id.clone(),
                received_at: receipt.received_at.clone(),
                status: Some(receipt.status.clone()),
                answer: serde_json::to_value(receipt).unwrap_or_default(),
            },
            now,
        )
    }

    /// The platform holds the document (it answered, or a lookup found it): stores its id and
    /// answer and the first status when it gave one, and moves the entry to `sent` (or
    /// `refused` for 02), in one transaction. A platform that gives no first status leaves the
    /// history empty until status packages arrive.
    pub fn record_delivered(
        &mut self,
        id: i64,
        delivered: &Delivered,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        let tx = self.conn.transaction()?;
        let refused = delivered.status.as_ref().is_some_and(|s| s.is_refusal());
        let state = if refused { "refused" } else { "sent" };
        log_attempt(&tx, id, now, state, Some(&delivered.receipt_id))?;
        tx.execute(
            "INSERT INTO receipts (outbox_id, receipt_id, received_at, receipt_json)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (outbox_id) DO NOTHING",
            params![
                id,
                delivered.receipt_id,
                delivered.received_at,
                delivered.answer.to_string()
            ],
        )?;
        if let Some(status) = &delivered.status {
            insert_status(&tx, id, status)?;
        }
        let (code, error) = match &delivered.status {
            Some(status) if refused => (Some("EXCHANGE_REFUSED"), Some(status.description.clone())),
            _ => (None, None),
        };
        tx.execute(
            "UPDATE outbox SET state = ?2, attempts = attempts + 1, last_error_code = ?3,
                 last_error = ?4, updated_at = ?5, awaiting_answer = 0
             WHERE id = ?1",
            params![id, state, code, error, rfc3339(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// An attempt is about to leave with a body whose SHA-256 is `wire_sha256`: from now on the
    /// platform may hold it, until an answer is recorded.
    pub fn mark_attempt(
        &self,
        id: i64,
        wire_sha256: &str,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        self.conn.execute(
            "UPDATE outbox SET send_attempted = 1, awaiting_answer = 1, wire_sha256 = ?2,
                 attempted_at_ms = ?3
             WHERE id = ?1",
            params![id, wire_sha256, unix_ms(now)],
        )?;
        Ok(())
    }

    /// The newest sent (or refused) entry whose `DocumentId` is `document_id`: where a status
    /// package about it belongs.
    pub fn sent_entry_for_document(&self, document_id: &str) -> Result<Option<i64>, SyncError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM outbox WHERE document_id = ?1 AND state IN ('sent', 'refused')
                 ORDER BY id DESC LIMIT 1",
                [document_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Adds statuses polled from the exchange (already known ones are ignored). A later 02
    /// moves the entry to `refused`.
    pub fn record_statuses(
        &mut self,
        id: i64,
        history: &[StatusEntry],
        now: OffsetDateTime,
    ) -> Result<usize, SyncError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        for status in history {
            added += insert_status(&tx, id, status)?;
            if status.is_refusal() {
                tx.execute(
                    "UPDATE outbox SET state = 'refused', last_error_code = 'EXCHANGE_REFUSED',
                         last_error = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, status.description, rfc3339(now)],
                )?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// The user's action on a refused or failed entry: send it again; on a queued one: try
    /// it now rather than at its next attempt. A refused document gets a new idempotency key
    /// (the exchange keeps the refused one under the old key).
    pub fn retry(&mut self, id: i64, now: OffsetDateTime) -> Result<OutboxEntry, SyncError> {
        let entry = self.outbox_entry(id)?;
        let tx = self.conn.transaction()?;
        if entry.state == OutboxState::Refused {
            tx.execute(
                "UPDATE outbox SET idempotency_key = ?2 WHERE id = ?1",
                params![id, uuid::Uuid::new_v4().to_string()],
            )?;
            tx.execute("DELETE FROM receipts WHERE outbox_id = ?1", [id])?;
        }
        // "May have been sent": the user checked and asks to send it again, with no lookup.
        if entry.state == OutboxState::Failed
            && entry.last_error_code.as_deref() == Some("EXCHANGE_MAYBE_SENT")
        {
            tx.execute("UPDATE outbox SET awaiting_answer = 0 WHERE id = ?1", [id])?;
        }
        if matches!(
            entry.state,
            OutboxState::Refused | OutboxState::Failed | OutboxState::Queued
        ) {
            log_attempt(&tx, id, now, "user-retry", None)?;
            tx.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_ms = ?2, updated_at = ?3
                 WHERE id = ?1",
                params![id, unix_ms(now), rfc3339(now)],
            )?;
        }
        tx.commit()?;
        self.outbox_entry(id)
    }

    /// The user's action on a queued entry: take it out of the outbox, while the exchange
    /// cannot have its message (no send attempted). Its stored file stays (other entries
    /// may share it). Err `OUTBOX_NOT_CANCELLABLE` once a send was attempted or it was sent.
    pub fn cancel(&mut self, id: i64) -> Result<(), SyncError> {
        let entry = self.outbox_entry(id)?;
        if entry.state != OutboxState::Queued || entry.send_attempted {
            return Err(SyncError::NotCancellable { id });
        }
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM upload_attempts WHERE outbox_id = ?1", [id])?;
        let deleted = tx.execute(
            "DELETE FROM outbox WHERE id = ?1 AND state = 'queued' AND send_attempted = 0",
            [id],
        )?;
        if deleted != 1 {
            return Err(SyncError::NotCancellable { id });
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the inbox already holds the server's document `server_id`.
    pub fn has_inbox(&self, server_id: &str) -> Result<bool, SyncError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM inbox WHERE server_id = ?1",
                [server_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Records a fetched inbox document whose attachments are already in the file store
    /// (`server_id` is the platform's id of it), with the status `arrival` (01) queued in the
    /// same transaction when the dialect wants one sent.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_inbox(
        &mut self,
        server_id: &str,
        received_at: &str,
        document_id: &str,
        meta: &DocumentMeta,
        xml: &[u8],
        attachments: &[(String, StoredFile)],
        arrival: Option<&NewStatus>,
        now: OffsetDateTime,
    ) -> Result<i64, SyncError> {
        let now_text = rfc3339(now);
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SyncError::database(e, &self.dir))?;
        tx.execute(
            "INSERT INTO inbox (server_id, document_id, from_organ_id, from_name, subject,
                 received_at, meta_json, edxml, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                server_id,
                document_id,
                meta.from.organ_id,
                meta.from.name,
                meta.subject,
                received_at,
                serde_json::to_string(meta).unwrap_or_default(),
                xml,
                now_text
            ],
        )?;
        let id = tx.last_insert_rowid();
        if let Some(status) = arrival {
            insert_status_outbox(&tx, id, status, now)?;
        }
        for (name, stored) in attachments {
            insert_document(&tx, stored, &now_text)?;
            tx.execute(
                "INSERT OR IGNORE INTO inbox_attachments (inbox_id, name, sha256, size)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id, name, stored.sha256, stored.size as i64],
            )?;
        }
        tx.commit().map_err(|e| SyncError::database(e, &self.dir))?;
        Ok(id)
    }

    /// Every fetched inbox document, newest first.
    pub fn inbox(&self) -> Result<Vec<InboxEntry>, SyncError> {
        Ok(self
            .query_inbox("1 = 1 ORDER BY id DESC", params![])?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// One fetched inbox document and the metadata of its message.
    pub fn inbox_entry(&self, id: i64) -> Result<(InboxEntry, DocumentMeta), SyncError> {
        self.query_inbox("id = ?1", params![id])?
            .pop()
            .ok_or(SyncError::NotFound {
                what: "inbox",
                id: id.to_string(),
            })
    }

    /// Inbox entries (with their attachments) and the metadata of their messages.
    fn query_inbox(
        &self,
        condition: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(InboxEntry, DocumentMeta)>, SyncError> {
        let sql = format!("SELECT {INBOX_COLUMNS} FROM inbox WHERE {condition}");
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map(params, |row| {
            let meta: DocumentMeta =
                serde_json::from_str(&row.get::<_, String>(7)?).unwrap_or_default();
            let entry = InboxEntry {
                response_for: meta.response_for.clone(),
                id: row.get(0)?,
                server_id: row.get(1)?,
                document_id: row.get(2)?,
                from_organ_id: row.get(3)?,
                from_name: row.get(4)?,
                subject: row.get(5)?,
                received_at: row.get(6)?,
                attachments: Vec::new(),
                statuses: Vec::new(),
            };
            Ok((entry, meta))
        })?;
        let mut entries: Vec<(InboxEntry, DocumentMeta)> = rows.collect::<Result<_, _>>()?;
        for (entry, _) in &mut entries {
            entry.attachments = self.inbox_attachments(entry.id)?;
            entry.statuses = self.statuses_given(entry.id)?;
        }
        Ok(entries)
    }

    fn inbox_attachments(&self, id: i64) -> Result<Vec<InboxAttachment>, SyncError> {
        let mut statement = self.conn.prepare(
            "SELECT name, sha256, size FROM inbox_attachments WHERE inbox_id = ?1 ORDER BY name",
        )?;
        let rows = statement.query_map([id], |row| {
            let sha256: String = row.get(1)?;
            Ok(InboxAttachment {
                name: row.get(0)?,
                path: self.files.path_of(&sha256),
                sha256,
                size: row.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn query_outbox(
        &self,
        condition: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<OutboxEntry>, SyncError> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM {OUTBOX_FROM} WHERE {condition}");
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map(params, |row| {
            Ok(OutboxEntry {
                id: row.get(0)?,
                idempotency_key: row.get(1)?,
                document_sha256: row.get(2)?,
                attachment_name: row.get(3)?,
                size: row.get::<_, i64>(4)? as u64,
                document_id: row.get(5)?,
                subject: row.get(6)?,
                state: OutboxState::parse(&row.get::<_, String>(7)?),
                attempts: row.get(8)?,
                next_attempt: rfc3339(from_unix_ms(row.get(9)?)),
                last_error_code: row.get(10)?,
                last_error: row.get(11)?,
                receipt_id: row.get(12)?,
                received_at: row.get(13)?,
                status: match row.get::<_, Option<String>>(16)? {
                    Some(code) => Some(StatusEntry {
                        code,
                        description: row.get(17)?,
                        timestamp: row.get(18)?,
                        staff: row.get(19)?,
                    }),
                    None => None,
                },
                reply_to_inbox: row.get(14)?,
                queued_at: row.get(15)?,
                level: parse_level(row.get(20)?),
                target_level: parse_level(row.get(21)?),
                timestamp_due: row.get(22)?,
                level_error_code: row.get(23)?,
                level_error: row.get(24)?,
                send_attempted: row.get(25)?,
                awaiting_answer: row.get(26)?,
                wire_sha256: row.get(27)?,
                attempted_at_ms: row.get(28)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The level a document should reach before it is sent: the target recorded when it
    /// was signed (its identity's), else the `[signing]` setting.
    fn target_level_of(&self, sha256: &str) -> Result<Level, SyncError> {
        let recorded: Option<String> = self
            .conn
            .query_row(
                "SELECT target_level FROM timestamps_due WHERE sha256 = ?1 LIMIT 1",
                [sha256],
                |row| row.get(0),
            )
            .optional()?;
        match parse_level(recorded) {
            Some(level) => Ok(level),
            None => {
                let tsa = kyso_core::timestamp::TsaSettings::load(&self.home)?;
                Ok(kyso_core::settings::SigningSettings::load(&self.home)?
                    .level_for(None, !tsa.urls.is_empty()))
            }
        }
    }

    /// Records that the signed file at `path` (with these bytes) is below its target level.
    pub fn record_timestamp_due(
        &mut self,
        path: &Path,
        sha256: &str,
        level: Level,
        target: Level,
        error: Option<(&str, &str)>,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.conn.execute(
            "INSERT INTO timestamps_due (path, sha256, level, target_level, recorded_at,
                 last_error_code, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, level = excluded.level,
                 target_level = excluded.target_level, recorded_at = excluded.recorded_at,
                 last_error_code = excluded.last_error_code, last_error = excluded.last_error",
            params![
                path.to_string_lossy(),
                sha256,
                level.name(),
                target.name(),
                rfc3339(now),
                error.map(|e| e.0),
                error.map(|e| e.1)
            ],
        )?;
        Ok(())
    }

    /// The signed files below their target level, oldest first.
    pub fn timestamps_due(&self) -> Result<Vec<DueFile>, SyncError> {
        let mut statement = self.conn.prepare(
            "SELECT path, sha256, level, target_level, recorded_at, last_error_code, last_error
             FROM timestamps_due ORDER BY recorded_at, path",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(DueFile {
                path: PathBuf::from(row.get::<_, String>(0)?),
                sha256: row.get(1)?,
                level: parse_level(row.get(2)?),
                target_level: parse_level(row.get(3)?).unwrap_or(Level::Bt),
                recorded_at: row.get(4)?,
                last_error_code: row.get(5)?,
                last_error: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The file at `path` is at its target level, or no longer the file that was signed.
    pub fn clear_timestamp_due(&mut self, path: &Path) -> Result<(), SyncError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.conn.execute(
            "DELETE FROM timestamps_due WHERE path = ?1",
            [path.to_string_lossy()],
        )?;
        Ok(())
    }

    /// The sync is about to send the entry's message: from now on the exchange may know
    /// its idempotency key, and the document must not change.
    pub fn mark_send_attempted(&self, id: i64) -> Result<(), SyncError> {
        self.conn.execute(
            "UPDATE outbox SET send_attempted = 1 WHERE id = ?1 AND send_attempted = 0",
            [id],
        )?;
        Ok(())
    }

    /// Raising the entry's level failed: why, and (when it must wait for its timestamp,
    /// `sync.require-timestamp`) when to try again. Not an upload attempt.
    pub fn record_level_failure(
        &mut self,
        id: i64,
        code: &str,
        message: &str,
        retry_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        let tx = self.conn.transaction()?;
        log_attempt(&tx, id, now, "level", Some(&format!("[{code}] {message}")))?;
        tx.execute(
            "UPDATE outbox SET level_error_code = ?2, level_error = ?3, updated_at = ?4
             WHERE id = ?1",
            params![id, code, message, rfc3339(now)],
        )?;
        if let Some(at) = retry_at {
            tx.execute(
                "UPDATE outbox SET next_attempt_ms = ?2 WHERE id = ?1 AND state = 'queued'",
                params![id, unix_ms(at)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a queued entry's document by its raised version `stored` (already in the
    /// file store) at `level`, in one transaction: its hash, its edXML message and its
    /// idempotency key are new. Refused (Ok(false)) once a send was attempted, when the
    /// exchange may already hold the old message.
    pub fn replace_document(
        &mut self,
        id: i64,
        stored: &StoredFile,
        level: Option<Level>,
        now: OffsetDateTime,
    ) -> Result<bool, SyncError> {
        let entry = self.outbox_entry(id)?;
        if entry.send_attempted || entry.state != OutboxState::Queued {
            return Ok(false);
        }
        let meta: DocumentMeta = serde_json::from_str(&self.conn.query_row(
            "SELECT meta_json FROM outbox WHERE id = ?1",
            [id],
            |row| row.get::<_, String>(0),
        )?)
        .unwrap_or_default();
        let mut message = message_for(&meta, stored, &entry.attachment_name, now);
        // The document keeps its identity: only its bytes changed.
        message.document_id = entry.document_id.clone();
        let xml = edxml::to_xml(&message);
        let target = entry.target_level.unwrap_or(Level::Bt);
        let due = level.is_some_and(|l| l < target);
        let now_text = rfc3339(now);
        let tx = self
            .conn
            .transaction()
            .map_err(|e| SyncError::database(e, &self.dir))?;
        insert_document(&tx, stored, &now_text)?;
        let changed = tx.execute(
            "UPDATE outbox SET document_sha256 = ?2, edxml = ?3, idempotency_key = ?4,
                 level = ?5, timestamp_due = ?6, level_error_code = NULL, level_error = NULL,
                 updated_at = ?7
             WHERE id = ?1 AND send_attempted = 0 AND state = 'queued'",
            params![
                id,
                stored.sha256,
                xml.as_bytes(),
                uuid::Uuid::new_v4().to_string(),
                level.map(Level::name),
                due,
                now_text
            ],
        )?;
        log_attempt(
            &tx,
            id,
            now,
            "level",
            Some(&format!("raised to {}", level.map_or("?", Level::name))),
        )?;
        tx.commit().map_err(|e| SyncError::database(e, &self.dir))?;
        Ok(changed == 1)
    }

    /// Queues a status about inbox document `inbox_id`; `INBOX_STATUS_GIVEN` when it already
    /// has this code.
    pub fn queue_status(
        &mut self,
        inbox_id: i64,
        status: &NewStatus,
        now: OffsetDateTime,
    ) -> Result<StatusOutboxEntry, SyncError> {
        let tx = self.conn.transaction()?;
        let id = insert_status_outbox(&tx, inbox_id, status, now)?.ok_or_else(|| {
            SyncError::StatusAlreadyGiven {
                id: inbox_id,
                code: status.code.clone(),
            }
        })?;
        tx.commit()?;
        self.status_outbox_entry(id)
    }

    fn query_status_outbox(
        &self,
        condition: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<StatusOutboxEntry>, SyncError> {
        let sql = format!(
            "SELECT s.id, s.inbox_id, i.server_id, i.document_id, s.idempotency_key, s.code,
                    s.description, s.staff, s.timestamp, s.state, s.attempts, s.awaiting_answer,
                    s.wire_sha256, s.attempted_at_ms, s.platform_id, s.last_error_code,
                    s.last_error, s.queued_at
             FROM status_outbox s JOIN inbox i ON i.id = s.inbox_id WHERE {condition}"
        );
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map(params, |row| {
            Ok(StatusOutboxEntry {
                id: row.get(0)?,
                inbox_id: row.get(1)?,
                inbox_server_id: row.get(2)?,
                document_id: row.get(3)?,
                idempotency_key: row.get(4)?,
                code: row.get(5)?,
                description: row.get(6)?,
                staff: row.get(7)?,
                timestamp: row.get(8)?,
                state: row.get(9)?,
                attempts: row.get(10)?,
                awaiting_answer: row.get(11)?,
                wire_sha256: row.get(12)?,
                attempted_at_ms: row.get(13)?,
                platform_id: row.get(14)?,
                last_error_code: row.get(15)?,
                last_error: row.get(16)?,
                queued_at: row.get(17)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn status_outbox_entry(&self, id: i64) -> Result<StatusOutboxEntry, SyncError> {
        self.query_status_outbox("s.id = ?1", params![id])?
            .pop()
            .ok_or(SyncError::NotFound {
                what: "status outbox",
                id: id.to_string(),
            })
    }

    /// The statuses given to an inbox document, oldest first.
    pub fn statuses_given(&self, inbox_id: i64) -> Result<Vec<StatusOutboxEntry>, SyncError> {
        self.query_status_outbox("s.inbox_id = ?1 ORDER BY s.id", params![inbox_id])
    }

    /// Queued statuses due at `now`, oldest first.
    pub fn due_statuses(&self, now: OffsetDateTime) -> Result<Vec<StatusOutboxEntry>, SyncError> {
        self.query_status_outbox(
            "s.state = 'queued' AND s.next_attempt_ms <= ?1 ORDER BY s.id",
            params![unix_ms(now)],
        )
    }

    /// The status package stored for a queued status.
    pub fn status_xml(&self, id: i64) -> Result<Vec<u8>, SyncError> {
        Ok(self
            .conn
            .query_row("SELECT xml FROM status_outbox WHERE id = ?1", [id], |row| {
                row.get(0)
            })?)
    }

    /// A status package is about to leave (see [`Store::mark_attempt`]).
    pub fn mark_status_attempt(
        &self,
        id: i64,
        wire_sha256: &str,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        self.conn.execute(
            "UPDATE status_outbox SET awaiting_answer = 1, wire_sha256 = ?2, attempted_at_ms = ?3
             WHERE id = ?1",
            params![id, wire_sha256, unix_ms(now)],
        )?;
        Ok(())
    }

    /// The platform holds the status package.
    pub fn record_status_delivered(
        &mut self,
        id: i64,
        delivered: &Delivered,
        now: OffsetDateTime,
    ) -> Result<(), SyncError> {
        self.conn.execute(
            "UPDATE status_outbox SET state = 'sent', attempts = attempts + 1, awaiting_answer = 0,
                 platform_id = ?2, last_error_code = NULL, last_error = NULL, updated_at = ?3
             WHERE id = ?1",
            params![id, delivered.receipt_id, rfc3339(now)],
        )?;
        Ok(())
    }

    /// A status package failed: tried again at `next_attempt`, or (None) it waits for the
    /// user. `answered` as for [`Store::record_transient_failure`].
    pub fn record_status_failure(
        &mut self,
        id: i64,
        error: &SyncError,
        now: OffsetDateTime,
        next_attempt: Option<OffsetDateTime>,
        answered: bool,
    ) -> Result<(), SyncError> {
        self.conn.execute(
            "UPDATE status_outbox SET attempts = attempts + 1,
                 state = CASE WHEN ?2 IS NULL THEN 'failed' ELSE state END,
                 next_attempt_ms = COALESCE(?2, next_attempt_ms),
                 last_error_code = ?3, last_error = ?4, updated_at = ?5,
                 awaiting_answer = CASE WHEN ?6 THEN 0 ELSE awaiting_answer END
             WHERE id = ?1 AND state = 'queued'",
            params![
                id,
                next_attempt.map(unix_ms),
                error.code(),
                error.to_string(),
                rfc3339(now),
                answered
            ],
        )?;
        Ok(())
    }

    /// The user's action on a failed status: send it again (after "may have been sent", with
    /// no lookup).
    pub fn retry_status(
        &mut self,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<StatusOutboxEntry, SyncError> {
        self.conn.execute(
            "UPDATE status_outbox SET state = 'queued', next_attempt_ms = ?2, updated_at = ?3,
                 awaiting_answer = CASE WHEN last_error_code = 'EXCHANGE_MAYBE_SENT' THEN 0
                                        ELSE awaiting_answer END
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            params![id, unix_ms(now), rfc3339(now)],
        )?;
        self.status_outbox_entry(id)
    }

    /// How many outbox entries are in `state`.
    pub fn count(&self, state: OutboxState) -> Result<usize, SyncError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = ?1",
            [state.as_str()],
            |row| row.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// A name stored in a level column.
fn parse_level(text: Option<String>) -> Option<Level> {
    text.and_then(|t| t.parse().ok())
}

/// A stored document's level, read offline; None when it holds no PAdES signature (or
/// cannot be read: it is then sent as it is).
fn stored_level(path: &Path) -> Option<Level> {
    kyso_core::level::file_level(path).ok().flatten()
}

/// The edXML message of a queued document: its header from `meta`, one trace entry for the
/// sending organ, and one manifest reference naming the stored file by its SHA-256.
fn message_for(
    meta: &DocumentMeta,
    stored: &StoredFile,
    name: &str,
    now: OffsetDateTime,
) -> edxml::Message {
    edxml::Message {
        meta: meta.clone(),
        document_id: meta.document_id(),
        traces: vec![edxml::TraceHeader {
            organ_id: meta.from.organ_id.clone(),
            timestamp: rfc3339(now),
        }],
        business: edxml::Business::default(),
        references: vec![edxml::Reference {
            content_id: protocol::content_id(&stored.sha256),
            attachment_name: name.to_string(),
            content_type: "application/pdf".to_string(),
            description: meta.subject.clone(),
        }],
        attachments: Vec::new(),
    }
}

/// A PDF starts with `%PDF-` within its first 1024 bytes (ISO 32000-2 §7.5.2, as readers
/// tolerate). Anything else is refused before it is copied.
fn check_pdf_header(path: &Path) -> Result<(), SyncError> {
    use std::io::Read;
    let mut head = [0u8; 1024];
    let mut file = std::fs::File::open(path).map_err(|e| SyncError::ReadInput {
        path: path.to_path_buf(),
        source: e,
    })?;
    let n = file.read(&mut head).map_err(|e| SyncError::ReadInput {
        path: path.to_path_buf(),
        source: e,
    })?;
    if memchr_pdf(&head[..n]) {
        Ok(())
    } else {
        Err(SyncError::NotPdf {
            path: path.to_path_buf(),
        })
    }
}

fn memchr_pdf(head: &[u8]) -> bool {
    head.windows(5).any(|w| w == b"%PDF-")
}

fn insert_document(tx: &Transaction, stored: &StoredFile, now: &str) -> Result<(), SyncError> {
    tx.execute(
        "INSERT OR IGNORE INTO documents (sha256, size, stored_at) VALUES (?1, ?2, ?3)",
        params![stored.sha256, stored.size as i64, now],
    )?;
    Ok(())
}

fn insert_status(tx: &Transaction, id: i64, status: &StatusEntry) -> Result<usize, SyncError> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO status_history (outbox_id, code, description, timestamp, staff)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id,
            status.code,
            status.description,
            status.timestamp,
            status.staff
        ],
    )?)
}

/// Inserts a queued status; None when the document already has this code.
fn insert_status_outbox(
    tx: &Transaction,
    inbox_id: i64,
    status: &NewStatus,
    now: OffsetDateTime,
) -> Result<Option<i64>, SyncError> {
    let now_text = rfc3339(now);
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO status_outbox (inbox_id, idempotency_key, code, description, staff,
             timestamp, xml, state, next_attempt_ms, queued_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9, ?9)",
        params![
            inbox_id,
            uuid::Uuid::new_v4().to_string(),
            status.code,
            status.description,
            status.staff,
            status.timestamp,
            status.xml,
            unix_ms(now),
            now_text
        ],
    )?;
    Ok((inserted == 1).then(|| tx.last_insert_rowid()))
}

fn log_attempt(
    tx: &Transaction,
    id: i64,
    now: OffsetDateTime,
    outcome: &str,
    detail: Option<&str>,
) -> Result<(), SyncError> {
    tx.execute(
        "INSERT INTO upload_attempts (outbox_id, at, outcome, detail) VALUES (?1, ?2, ?3, ?4)",
        params![id, rfc3339(now), outcome, detail],
    )?;
    Ok(())
}

fn set_setting(tx: &Transaction, key: &str, value: &str) -> Result<(), SyncError> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// RFC 3339 in UTC, to the second.
pub fn rfc3339(t: OffsetDateTime) -> String {
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

fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store written by the first schema (before levels) opens, migrated: its entries
    /// have no level and are not due; once a send was attempted, a document cannot change.
    #[test]
    fn a_store_of_the_first_schema_is_migrated_and_a_sent_message_is_frozen() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("store");
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("kyso.db")).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO documents VALUES ('ab', 3, 't');
                 INSERT INTO outbox (idempotency_key, document_sha256, attachment_name,
                     document_id, subject, meta_json, edxml, state, next_attempt_ms,
                     queued_at, updated_at)
                 VALUES ('k', 'ab', 'a.pdf', 'd', 's', '{}', x'00', 'queued', 0, 't', 't');",
            )
            .unwrap();
        }
        let mut store = Store::open(home.path()).unwrap();
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let entry = store.outbox_entry(1).unwrap();
        assert_eq!(
            (entry.level, entry.timestamp_due, entry.send_attempted),
            (None, false, false)
        );
        store.mark_send_attempted(1).unwrap();
        assert!(store.outbox_entry(1).unwrap().send_attempted);
        let raised = StoredFile {
            sha256: "cd".into(),
            size: 4,
            path: dir.join("cd"),
        };
        let now = OffsetDateTime::now_utc();
        assert!(
            !store
                .replace_document(1, &raised, Some(Level::Bt), now)
                .unwrap(),
            "the exchange may hold the old message: the document stays as sent"
        );
        assert_eq!(store.outbox_entry(1).unwrap().document_sha256, "ab");
        // Nor can it be cancelled; one never tried can.
        assert_eq!(
            store.cancel(1).unwrap_err().code(),
            "OUTBOX_NOT_CANCELLABLE"
        );
        store
            .conn
            .execute_batch(
                "INSERT INTO outbox (idempotency_key, document_sha256, attachment_name,
                     document_id, subject, meta_json, edxml, state, next_attempt_ms,
                     queued_at, updated_at)
                 VALUES ('k2', 'ab', 'b.pdf', 'd2', 's', '{}', x'00', 'queued', 0, 't', 't');",
            )
            .unwrap();
        store.cancel(2).unwrap();
        assert!(store.outbox_entry(2).is_err());
        assert_eq!(store.outbox().unwrap().len(), 1);
    }

    /// An attempt stays "awaiting an answer" through failures that may have reached the
    /// platform, until an answer or the user's "send it again" after "may have been sent".
    #[test]
    fn an_attempt_awaits_its_answer_until_one_is_recorded() {
        let home = tempfile::tempdir().unwrap();
        let mut store = Store::open(home.path()).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO documents VALUES ('ab', 3, 't');
                 INSERT INTO outbox (idempotency_key, document_sha256, attachment_name,
                     document_id, subject, meta_json, edxml, state, next_attempt_ms,
                     queued_at, updated_at)
                 VALUES ('k', 'ab', 'a.pdf', 'd', 's', '{}', x'00', 'queued', 0, 't', 't');",
            )
            .unwrap();
        let now = OffsetDateTime::now_utc();
        store.mark_attempt(1, "feed", now).unwrap();
        let e = store.outbox_entry(1).unwrap();
        assert!(e.awaiting_answer && e.send_attempted);
        assert_eq!(e.wire_sha256.as_deref(), Some("feed"));
        assert!(e.attempted_at_ms.is_some());
        let lost = SyncError::Unreachable {
            detail: "reset".into(),
        };
        assert!(lost.outcome_unknown());
        store
            .record_transient_failure(1, &lost, now, now, !lost.outcome_unknown())
            .unwrap();
        assert!(
            store.outbox_entry(1).unwrap().awaiting_answer,
            "may be held"
        );
        let maybe = SyncError::MaybeSent { reason: "x".into() };
        store
            .record_permanent_failure(1, &maybe, now, false)
            .unwrap();
        let e = store.outbox_entry(1).unwrap();
        assert_eq!(e.state, OutboxState::Failed);
        assert!(e.awaiting_answer);
        store.retry(1, now).unwrap();
        let e = store.outbox_entry(1).unwrap();
        assert_eq!(e.state, OutboxState::Queued);
        assert!(!e.awaiting_answer, "the user chose to send it again");
        store.mark_attempt(1, "feed", now).unwrap();
        let busy = SyncError::Server {
            status: 503,
            code: "x".into(),
            message: "x".into(),
            retry_after: None,
        };
        store
            .record_transient_failure(1, &busy, now, now, !busy.outcome_unknown())
            .unwrap();
        assert!(
            !store.outbox_entry(1).unwrap().awaiting_answer,
            "503: not taken"
        );
        store.mark_attempt(1, "feed", now).unwrap();
        store
            .record_delivered(
                1,
                &Delivered {
                    receipt_id: "D1".into(),
                    received_at: "t".into(),
                    status: None,
                    answer: serde_json::Value::Null,
                },
                now,
            )
            .unwrap();
        let e = store.outbox_entry(1).unwrap();
        assert_eq!((e.state, e.awaiting_answer), (OutboxState::Sent, false));
        assert_eq!(e.receipt_id.as_deref(), Some("D1"));
        assert!(e.status.is_none(), "no first status from such a platform");
        assert_eq!(store.sent_entry_for_document("d").unwrap(), Some(1));
    }
}
