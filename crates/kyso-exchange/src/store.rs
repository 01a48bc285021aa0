//! The endpoint's database (SQLite, WAL): blobs' declared lengths, documents with their
//! idempotency keys, attachments and status histories, and the organs' inboxes.
//!
//! A document, its attachments, its first status and its inbox entries are written in one
//! transaction; the idempotency key is `UNIQUE`, so two concurrent retries can never create
//! two documents.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use kyso_sync::protocol::{InboxItem, Receipt, ReceiptAttachment, StatusEntry, StatusHistory};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// Database failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database: the schema version {0} is newer than this program knows")]
    Version(i64),
    #[error("no document has the receipt id {0}")]
    NoSuchReceipt(String),
}

/// 1: Kyso's protocol; 2: the provincial dialects' packages and the statuses organs give their
/// inbox documents (every table `IF NOT EXISTS`, so a version-1 database is brought up by the
/// same statements).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS blobs (
    sha256       TEXT PRIMARY KEY,
    length       INTEGER NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    completed_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    receipt_id      TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    body_sha256     TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    sender_organ_id TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    from_organ_id   TEXT NOT NULL,
    from_name       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    edxml           BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    receipt_id TEXT NOT NULL REFERENCES documents(receipt_id),
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (receipt_id, position)
);
CREATE INDEX IF NOT EXISTS attachments_sha256 ON attachments(sha256);
CREATE TABLE IF NOT EXISTS statuses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id  TEXT NOT NULL REFERENCES documents(receipt_id),
    code        TEXT NOT NULL,
    description TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    staff       TEXT
);
CREATE INDEX IF NOT EXISTS statuses_receipt ON statuses(receipt_id, id);
CREATE TABLE IF NOT EXISTS inbox (
    inbox_id      TEXT PRIMARY KEY,
    organ_id      TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    document_id   TEXT NOT NULL,
    from_organ_id TEXT NOT NULL,
    from_name     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    edxml         BLOB NOT NULL,
    receipt_id    TEXT REFERENCES documents(receipt_id)
);
CREATE INDEX IF NOT EXISTS inbox_organ ON inbox(organ_id);
CREATE TABLE IF NOT EXISTS inbox_attachments (
    inbox_id TEXT NOT NULL REFERENCES inbox(inbox_id),
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    size     INTEGER NOT NULL,
    PRIMARY KEY (inbox_id, position)
);
CREATE INDEX IF NOT EXISTS inbox_attachments_sha256 ON inbox_attachments(sha256);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    expires_ms   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox_statuses (
    idempotency_key TEXT PRIMARY KEY,
    status_id       TEXT NOT NULL UNIQUE,
    inbox_id        TEXT NOT NULL REFERENCES inbox(inbox_id),
    client_id       TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    status_json     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    doc_id        TEXT PRIMARY KEY,
    dialect       TEXT NOT NULL,
    sender_system TEXT NOT NULL,
    message_type  TEXT NOT NULL,
    document_id   TEXT NOT NULL,
    notation      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    from_organ_id TEXT NOT NULL,
    body_sha256   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS packages_sender ON packages(sender_system, message_type, created_ms);
CREATE TABLE IF NOT EXISTS package_deliveries (
    receiver_doc_id TEXT PRIMARY KEY,
    doc_id          TEXT NOT NULL REFERENCES packages(doc_id),
    organ_id        TEXT NOT NULL,
    status          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS package_deliveries_organ ON package_deliveries(organ_id, status);
"#;

/// What the database knows of a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRow {
    pub length: u64,
    pub complete: bool,
}

/// A document accepted by `POST /api/v1/documents`, ready to be recorded.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub receipt: Receipt,
    pub body_sha256: String,
    pub client_id: String,
    pub sender_organ_id: String,
    pub from_organ_id: String,
    pub from_name: String,
    pub subject: String,
    pub edxml: Vec<u8>,
    /// The organs whose inbox gets the document (empty when it was refused).
    pub deliver_to: Vec<String>,
}

/// The outcome of recording a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Written now.
    New(Receipt),
    /// The key was already used for the same message (by a concurrent retry): its receipt.
    Existing(Receipt),
    /// The key was already used for another message, or by another client.
    Conflict,
}

/// The first record of an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub receipt_id: String,
    pub body_sha256: String,
    pub client_id: String,
}

/// An inbox entry to add (`send-to`, or delivery of a posted document).
#[derive(Debug, Clone)]
pub struct NewInboxItem {
    pub item: InboxItem,
    pub organ_id: String,
    pub edxml: Vec<u8>,
    pub receipt_id: Option<String>,
}

/// One document as `kyso-exchange documents` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentRecord {
    pub receipt_id: String,
    pub idempotency_key: String,
    pub document_id: String,
    pub received_at: String,
    pub client_id: String,
    pub sender_organ_id: String,
    pub from_organ_id: String,
    pub from_name: String,
    pub subject: String,
    pub body_sha256: String,
    pub attachments: Vec<ReceiptAttachment>,
    pub statuses: Vec<StatusEntry>,
}

/// The database, shared by the request handlers. Every operation is short and holds the
/// connection's lock without awaiting.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating when needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Version(version));
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- blobs ---------------------------------------------------------------------

    pub fn blob(&self, sha256: &str) -> Result<Option<BlobRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT length, complete FROM blobs WHERE sha256 = ?1",
                params![sha256],
                |r| {
                    Ok(BlobRow {
                        length: r.get::<_, i64>(0)? as u64,
                        complete: r.get::<_, i64>(1)? != 0,
                    })
                },
            )
            .optional()?)
    }

    /// Records (or changes, while the blob is incomplete) the declared length.
    pub fn set_blob_length(&self, sha256: &str, length: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO blobs (sha256, length, complete, created_at) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT(sha256) DO UPDATE SET length = excluded.length WHERE complete = 0",
            params![sha256, length as i64, crate::now_rfc3339()],
        )?;
        Ok(())
    }

    pub fn mark_blob_complete(&self, sha256: &str, length: u64) -> Result<(), StoreError> {
        let now = crate::now_rfc3339();
        self.conn().execute(
            "INSERT INTO blobs (sha256, length, complete, created_at, completed_at)
             VALUES (?1, ?2, 1, ?3, ?3)
             ON CONFLICT(sha256) DO UPDATE SET length = excluded.length, complete = 1,
                 completed_at = excluded.completed_at",
            params![sha256, length as i64, now],
        )?;
        Ok(())
    }

    pub fn forget_blob(&self, sha256: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM blobs WHERE sha256 = ?1 AND complete = 0",
            params![sha256],
        )?;
        Ok(())
    }

    /// Whether `organ` may download the blob: it belongs to a document the organ sent, or
    /// to one in its inbox.
    pub fn may_read_blob(&self, organ_id: &str, sha256: &str) -> Result<bool, StoreError> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM attachments a JOIN documents d USING (receipt_id)
                            WHERE a.sha256 = ?1 AND d.sender_organ_id = ?2)
                 OR EXISTS (SELECT 1 FROM inbox_attachments a JOIN inbox i USING (inbox_id)
                            WHERE a.sha256 = ?1 AND i.organ_id = ?2)",
            params![sha256, organ_id],
            |r| r.get(0),
        )?)
    }

    // ---- access tokens -------------------------------------------------------------

    /// Records an access token (by its SHA-256: the database never holds usable tokens) and
    /// forgets the expired ones.
    pub fn add_token(
        &self,
        token_sha256: &str,
        client_id: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute("DELETE FROM tokens WHERE expires_ms <= ?1", params![now_ms])?;
        conn.execute(
            "INSERT INTO tokens (token_sha256, client_id, expires_ms) VALUES (?1, ?2, ?3)",
            params![token_sha256, client_id, expires_ms],
        )?;
        Ok(())
    }

    /// The client and expiry (Unix milliseconds) of a token.
    pub fn token(&self, token_sha256: &str) -> Result<Option<(String, i64)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT client_id, expires_ms FROM tokens WHERE token_sha256 = ?1",
                params![token_sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    // ---- documents -----------------------------------------------------------------

    pub fn key_use(&self, idempotency_key: &str) -> Result<Option<KeyUse>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT receipt_id, body_sha256, client_id FROM documents
                 WHERE idempotency_key = ?1",
                params![idempotency_key],
                |r| {
                    Ok(KeyUse {
                        receipt_id: r.get(0)?,
                        body_sha256: r.get(1)?,
                        client_id: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// The receipt given when the document was recorded (its first status).
    pub fn receipt(&self, receipt_id: &str) -> Result<Option<Receipt>, StoreError> {
        receipt_in(&self.conn(), receipt_id)
    }

    /// Records a document, its attachments, its first status and its inbox entries in one
    /// transaction.
    pub fn record_document(&self, doc: &NewDocument) -> Result<Recorded, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let r = &doc.receipt;
        let inserted = tx.execute(
            "INSERT INTO documents (receipt_id, idempotency_key, body_sha256, client_id,
                 sender_organ_id, document_id, from_organ_id, from_name, subject, received_at,
                 edxml)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(idempotency_key) DO NOTHING",
            params![
                r.receipt_id,
                r.idempotency_key,
                doc.body_sha256,
                doc.client_id,
                doc.sender_organ_id,
                r.document_id,
                doc.from_organ_id,
                doc.from_name,
                doc.subject,
                r.received_at,
                doc.edxml,
            ],
        )?;
        if inserted == 0 {
            // A concurrent request with the same key won the race.
            let existing: Option<(String, String, String)> = tx
                .query_row(
                    "SELECT receipt_id, body_sha256, client_id FROM documents
                     WHERE idempotency_key = ?1",
                    params![r.idempotency_key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            return Ok(match existing {
                Some((id, sha, client)) if sha == doc.body_sha256 && client == doc.client_id => {
                    match receipt_in(&tx, &id)? {
                        Some(receipt) => Recorded::Existing(receipt),
                        None => Recorded::Conflict,
                    }
                }
                _ => Recorded::Conflict,
            });
        }
        for (i, a) in r.attachments.iter().enumerate() {
            tx.execute(
                "INSERT INTO attachments (receipt_id, position, name, sha256, size)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.receipt_id, i as i64, a.name, a.sha256, a.size as i64],
            )?;
        }
        insert_status(&tx, &r.receipt_id, &r.status)?;
        for organ in &doc.deliver_to {
            let item = InboxItem {
                inbox_id: new_inbox_id(),
                received_at: r.received_at.clone(),
                document_id: r.document_id.clone(),
                from_organ_id: doc.from_organ_id.clone(),
                from_name: doc.from_name.clone(),
                subject: doc.subject.clone(),
                attachments: r.attachments.clone(),
            };
            insert_inbox(
                &tx,
                &NewInboxItem {
                    item,
                    organ_id: organ.clone(),
                    edxml: doc.edxml.clone(),
                    receipt_id: Some(r.receipt_id.clone()),
                },
            )?;
        }
        tx.commit()?;
        Ok(Recorded::New(r.clone()))
    }

    /// The status history of a document sent by `organ_id` (None: no such document for it).
    pub fn status_history(
        &self,
        receipt_id: &str,
        organ_id: &str,
    ) -> Result<Option<StatusHistory>, StoreError> {
        let conn = self.conn();
        let sender: Option<String> = conn
            .query_row(
                "SELECT sender_organ_id FROM documents WHERE receipt_id = ?1",
                params![receipt_id],
                |r| r.get(0),
            )
            .optional()?;
        if sender.as_deref() != Some(organ_id) {
            return Ok(None);
        }
        Ok(Some(StatusHistory {
            receipt_id: receipt_id.to_string(),
            history: statuses_in(&conn, receipt_id)?,
        }))
    }

    /// Appends a status to a document's history (`kyso-exchange set-status`).
    pub fn add_status(&self, receipt_id: &str, status: &StatusEntry) -> Result<(), StoreError> {
        let conn = self.conn();
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE receipt_id = ?1)",
            params![receipt_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NoSuchReceipt(receipt_id.to_string()));
        }
        insert_status(&conn, receipt_id, status)
    }

    /// Every document received, oldest first.
    pub fn documents(&self) -> Result<Vec<DocumentRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT receipt_id, idempotency_key, document_id, received_at, client_id,
                    sender_organ_id, from_organ_id, from_name, subject, body_sha256
             FROM documents ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DocumentRecord {
                receipt_id: r.get(0)?,
                idempotency_key: r.get(1)?,
                document_id: r.get(2)?,
                received_at: r.get(3)?,
                client_id: r.get(4)?,
                sender_organ_id: r.get(5)?,
                from_organ_id: r.get(6)?,
                from_name: r.get(7)?,
                subject: r.get(8)?,
                body_sha256: r.get(9)?,
                attachments: Vec::new(),
                statuses: Vec::new(),
            })
        })?;
        let mut out = rows.collect::<Result<Vec<_>, _>>()?;
        for d in &mut out {
            d.attachments = attachments_in(&conn, "attachments", "receipt_id", &d.receipt_id)?;
            d.statuses = statuses_in(&conn, &d.receipt_id)?;
        }
        Ok(out)
    }

    // ---- inbox ---------------------------------------------------------------------

    pub fn add_inbox_item(&self, new: &NewInboxItem) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        insert_inbox(&tx, new)?;
        tx.commit()?;
        Ok(())
    }

    /// What is addressed to `organ_id`, oldest first.
    pub fn inbox(&self, organ_id: &str) -> Result<Vec<InboxItem>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT inbox_id, received_at, document_id, from_organ_id, from_name, subject
             FROM inbox WHERE organ_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![organ_id], |r| {
            Ok(InboxItem {
                inbox_id: r.get(0)?,
                received_at: r.get(1)?,
                document_id: r.get(2)?,
                from_organ_id: r.get(3)?,
                from_name: r.get(4)?,
                subject: r.get(5)?,
                attachments: Vec::new(),
            })
        })?;
        let mut out = rows.collect::<Result<Vec<_>, _>>()?;
        for item in &mut out {
            item.attachments =
                attachments_in(&conn, "inbox_attachments", "inbox_id", &item.inbox_id)?;
        }
        Ok(out)
    }

    /// Whether `organ_id`'s inbox holds `inbox_id`, and the receipt of the document it came
    /// from (None: put there by `send-to`).
    pub fn inbox_receipt(
        &self,
        organ_id: &str,
        inbox_id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT receipt_id FROM inbox WHERE inbox_id = ?1 AND organ_id = ?2",
                params![inbox_id, organ_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The status recorded under an idempotency key: (client, body hash, receipt JSON).
    pub fn inbox_status_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT client_id, body_sha256, status_json FROM inbox_statuses
                 WHERE idempotency_key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// Records a status an organ gave an inbox document, and appends it to the history of the
    /// document it came from (when it came through the exchange), in one transaction. False
    /// when the key was used already.
    pub fn record_inbox_status(
        &self,
        receipt: &kyso_sync::protocol::StatusReceipt,
        client_id: &str,
        body_sha256: &str,
        document_receipt: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO inbox_statuses (idempotency_key, status_id, inbox_id,
                 client_id, body_sha256, recorded_at, status_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                receipt.idempotency_key,
                receipt.status_id,
                receipt.inbox_id,
                client_id,
                body_sha256,
                receipt.recorded_at,
                serde_json::to_string(receipt).unwrap_or_default()
            ],
        )?;
        if inserted == 1
            && let Some(receipt_id) = document_receipt
        {
            insert_status(&tx, receipt_id, &receipt.status)?;
        }
        tx.commit()?;
        Ok(inserted == 1)
    }

    /// The edXML message of an inbox entry of `organ_id`.
    pub fn inbox_edxml(
        &self,
        organ_id: &str,
        inbox_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT edxml FROM inbox WHERE inbox_id = ?1 AND organ_id = ?2",
                params![inbox_id, organ_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// A new inbox id: `I` and 32 hex digits.
pub fn new_inbox_id() -> String {
    format!("I{}", uuid::Uuid::new_v4().simple())
}

/// A new receipt id: `R` and 32 hex digits.
pub fn new_receipt_id() -> String {
    format!("R{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn insert_status(
    conn: &Connection,
    receipt_id: &str,
    status: &StatusEntry,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO statuses (receipt_id, code, description, timestamp, staff)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            receipt_id,
            status.code,
            status.description,
            status.timestamp,
            status.staff
        ],
    )?;
    Ok(())
}

fn insert_inbox(conn: &Connection, new: &NewInboxItem) -> Result<(), StoreError> {
    let i = &new.item;
    conn.execute(
        "INSERT INTO inbox (inbox_id, organ_id, received_at, document_id, from_organ_id,
             from_name, subject, edxml, receipt_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            i.inbox_id,
            new.organ_id,
            i.received_at,
            i.document_id,
            i.from_organ_id,
            i.from_name,
            i.subject,
            new.edxml,
            new.receipt_id
        ],
    )?;
    for (pos, a) in i.attachments.iter().enumerate() {
        conn.execute(
            "INSERT INTO inbox_attachments (inbox_id, position, name, sha256, size)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![i.inbox_id, pos as i64, a.name, a.sha256, a.size as i64],
        )?;
    }
    Ok(())
}

fn statuses_in(conn: &Connection, receipt_id: &str) -> Result<Vec<StatusEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT code, description, timestamp, staff FROM statuses
         WHERE receipt_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![receipt_id], |r| {
        Ok(StatusEntry {
            code: r.get(0)?,
            description: r.get(1)?,
            timestamp: r.get(2)?,
            staff: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// `table` is one of two constants, never request data.
fn attachments_in(
    conn: &Connection,
    table: &str,
    key: &str,
    id: &str,
) -> Result<Vec<ReceiptAttachment>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT name, sha256, size FROM {table} WHERE {key} = ?1 ORDER BY position"
    ))?;
    let rows = stmt.query_map(params![id], |r| {
        Ok(ReceiptAttachment {
            name: r.get(0)?,
            sha256: r.get(1)?,
            size: r.get::<_, i64>(2)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn receipt_in(conn: &Connection, receipt_id: &str) -> Result<Option<Receipt>, StoreError> {
    let head: Option<(String, String, String)> = conn
        .query_row(
            "SELECT received_at, document_id, idempotency_key FROM documents
             WHERE receipt_id = ?1",
            params![receipt_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((received_at, document_id, idempotency_key)) = head else {
        return Ok(None);
    };
    let Some(status) = statuses_in(conn, receipt_id)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(Receipt {
        receipt_id: receipt_id.to_string(),
        received_at,
        document_id,
        idempotency_key,
        attachments: attachments_in(conn, "attachments", "receipt_id", receipt_id)?,
        status,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(key: &str) -> Receipt {
        Receipt {
            receipt_id: new_receipt_id(),
            received_at: "2026-11-22T08:00:00Z".into(),
            document_id: "000.00.00.H35,2026/11/20,1/QĐ-UBND".into(),
            idempotency_key: key.into(),
            attachments: vec![ReceiptAttachment {
                name: "a.pdf".into(),
                sha256: "ab".repeat(32),
                size: 3,
            }],
            status: StatusEntry {
                code: "01".into(),
                description: "Đã đến".into(),
                timestamp: "2026-11-22T08:00:00Z".into(),
                staff: None,
            },
        }
    }

    fn doc(key: &str, body: &str) -> NewDocument {
        NewDocument {
            receipt: receipt(key),
            body_sha256: body.into(),
            client_id: "demo".into(),
            sender_organ_id: "000.00.00.H35".into(),
            from_organ_id: "000.00.00.H35".into(),
            from_name: "UBND".into(),
            subject: "S".into(),
            edxml: b"<edXML/>".to_vec(),
            deliver_to: vec!["000.01.35.H35".into()],
        }
    }

    #[test]
    fn one_document_per_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("x.db")).expect("open");
        let first = doc("k1", "h1");
        let Recorded::New(r1) = store.record_document(&first).expect("record") else {
            panic!("not new");
        };
        assert_eq!(
            store.receipt(&r1.receipt_id).expect("read"),
            Some(r1.clone())
        );
        match store.record_document(&doc("k1", "h1")).expect("record") {
            Recorded::Existing(r) => assert_eq!(r, r1),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store.record_document(&doc("k1", "h2")).expect("record"),
            Recorded::Conflict
        );
        assert_eq!(store.documents().expect("list").len(), 1);
        assert_eq!(store.inbox("000.01.35.H35").expect("inbox").len(), 1);
        assert!(
            store
                .may_read_blob("000.00.00.H35", &"ab".repeat(32))
                .expect("q")
        );
        assert!(
            store
                .may_read_blob("000.01.35.H35", &"ab".repeat(32))
                .expect("q")
        );
        assert!(
            !store
                .may_read_blob("000.02.35.H35", &"ab".repeat(32))
                .expect("q")
        );
        let later = StatusEntry {
            code: "03".into(),
            description: "Đã tiếp nhận".into(),
            timestamp: "2026-11-22T09:00:00Z".into(),
            staff: Some("Văn thư".into()),
        };
        store.add_status(&r1.receipt_id, &later).expect("status");
        let h = store
            .status_history(&r1.receipt_id, "000.00.00.H35")
            .expect("history")
            .expect("some");
        assert_eq!(h.history.len(), 2);
        // The receipt keeps its first status.
        assert_eq!(
            store.receipt(&r1.receipt_id).expect("read"),
            Some(r1.clone())
        );
        assert!(
            store
                .status_history(&r1.receipt_id, "000.01.35.H35")
                .expect("history")
                .is_none()
        );
        assert!(matches!(
            store.add_status("Rnone", &later),
            Err(StoreError::NoSuchReceipt(_))
        ));
    }
}
