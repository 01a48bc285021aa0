//! The packages of the provincial dialects' doubles (`serve --dialect vdxp|lgsp-v1`,
//! docs/exchange-dialects.md): one row per package sent (its `DocId`, sender, kind, edXML
//! `DocumentId`, hash), one per recipient (the receiver's `docId` and its transport status:
//! `initial` until `updateStatus done`), and the body as a file next to the database
//! (`DB.blobs/packages/<DocId>`). Routing, as the platforms do: a document goes to each
//! `To/OrganId`, a status package to its `ResponseFor/OrganId`.
//!
//! A package, its file and its deliveries are recorded together: the file is renamed into place
//! before the rows are committed, so a row never names a missing file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use kyso_sync::edxml;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::store::{Store, StoreError};

/// What a received package is, read from its edXML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// `edoc` or `status`.
    pub message_type: &'static str,
    /// `From/OrganId`.
    pub from_organ_id: String,
    /// The edXML `DocumentId` (a document), `ResponseFor/DocumentId` (a status).
    pub document_id: String,
    /// "number/notation" (what the SDK's sent list calls `notation`).
    pub notation: String,
    pub subject: String,
    /// The organs it is delivered to.
    pub recipients: Vec<String>,
}

/// Why a package cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// Not XML, or not edXML at all.
    Syntax(String),
    /// edXML, but a required element is missing or wrong.
    NotCompliant(String),
    /// An attachment's base64 cannot be decoded.
    Attachment(String),
}

/// Reads a package of kind `message_type` (`edoc` or `status`).
pub fn route(body: &[u8], message_type: &str) -> Result<Routed, RouteError> {
    let classify = |e: edxml::EdxmlError| match e.code {
        "EDXML_SYNTAX" => RouteError::Syntax(e.message),
        "EDXML_BASE64" => RouteError::Attachment(e.message),
        _ => RouteError::NotCompliant(e.message),
    };
    if message_type.eq_ignore_ascii_case("status") {
        let status = edxml::parse_status(body).map_err(classify)?;
        return Ok(Routed {
            message_type: "status",
            from_organ_id: status.from.organ_id.clone(),
            document_id: status.response_for.document_id.clone(),
            notation: status.response_for.code.clone(),
            subject: format!("{} {}", status.status_code, status.description),
            recipients: vec![status.response_for.organ_id],
        });
    }
    let message = edxml::parse(body).map_err(classify)?;
    let mut recipients: Vec<String> = Vec::new();
    for organ in &message.meta.to {
        if organ.organ_id.trim().is_empty() {
            return Err(RouteError::NotCompliant("a To has no OrganId".into()));
        }
        if !recipients.contains(&organ.organ_id) {
            recipients.push(organ.organ_id.clone());
        }
    }
    if recipients.is_empty() {
        return Err(RouteError::NotCompliant("the message has no To".into()));
    }
    for reference in &message.references {
        let id = reference
            .content_id
            .strip_prefix("cid:")
            .unwrap_or(&reference.content_id);
        let found = message.attachments.iter().any(|a| {
            a.reference.content_id == id || a.reference.content_id == reference.content_id
        });
        if !found {
            return Err(RouteError::NotCompliant(format!(
                "the manifest names {} but AttachmentEncoded does not carry it",
                reference.content_id
            )));
        }
    }
    Ok(Routed {
        message_type: "edoc",
        from_organ_id: message.meta.from.organ_id.clone(),
        document_id: message.document_id.clone(),
        notation: format!(
            "{}/{}",
            message.meta.code_number, message.meta.code_notation
        ),
        subject: message.meta.subject.clone(),
        recipients,
    })
}

/// A package as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageRecord {
    pub doc_id: String,
    pub dialect: String,
    pub sender_system: String,
    pub message_type: String,
    pub document_id: String,
    pub notation: String,
    pub subject: String,
    pub from_organ_id: String,
    pub body_sha256: String,
    pub size: u64,
    pub created_at: String,
    pub created_ms: i64,
    pub deliveries: Vec<Delivery>,
}

/// One recipient of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub receiver_doc_id: String,
    pub organ_id: String,
    /// `initial`, `processing`, `done` or `fail`.
    pub status: String,
    pub updated_at: String,
}

/// A package waiting for an organ, as its received list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub receiver_doc_id: String,
    pub package: PackageRecord,
    pub status: String,
    pub updated_at: String,
}

/// The folder of package bodies next to the database.
pub fn bodies_dir(db: &Path) -> io::Result<PathBuf> {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".blobs");
    let dir = db.with_file_name(name).join("packages");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes a body into `dir` under `doc_id` (temporary file, fsync, rename).
pub fn write_body(dir: &Path, doc_id: &str, body: &[u8]) -> io::Result<PathBuf> {
    let path = dir.join(doc_id);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(body)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}

const PACKAGE_COLUMNS: &str = "doc_id, dialect, sender_system, message_type, document_id, \
     notation, subject, from_organ_id, body_sha256, size, created_at, created_ms";

fn package_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PackageRecord> {
    Ok(PackageRecord {
        doc_id: r.get(0)?,
        dialect: r.get(1)?,
        sender_system: r.get(2)?,
        message_type: r.get(3)?,
        document_id: r.get(4)?,
        notation: r.get(5)?,
        subject: r.get(6)?,
        from_organ_id: r.get(7)?,
        body_sha256: r.get(8)?,
        size: r.get::<_, i64>(9)? as u64,
        created_at: r.get(10)?,
        created_ms: r.get(11)?,
        deliveries: Vec::new(),
    })
}

impl Store {
    /// Records a package whose body is already in place, and a delivery to each recipient,
    /// in one transaction.
    pub fn record_package(
        &self,
        package: &PackageRecord,
        recipients: &[String],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO packages ({PACKAGE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ),
            params![
                package.doc_id,
                package.dialect,
                package.sender_system,
                package.message_type,
                package.document_id,
                package.notation,
                package.subject,
                package.from_organ_id,
                package.body_sha256,
                package.size as i64,
                package.created_at,
                package.created_ms
            ],
        )?;
        for organ in recipients {
            tx.execute(
                "INSERT INTO package_deliveries (receiver_doc_id, doc_id, organ_id, status,
                     updated_at)
                 VALUES (?1, ?2, ?3, 'initial', ?4)",
                params![
                    uuid::Uuid::new_v4().to_string(),
                    package.doc_id,
                    organ,
                    package.created_at
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Packages waiting for `organ_id` (not `done`), of kind `message_type`, created between
    /// the two times (Unix ms, inclusive), oldest first.
    pub fn waiting_packages(
        &self,
        organ_id: &str,
        message_type: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Waiting>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT d.receiver_doc_id, d.status, d.updated_at, {}
             FROM package_deliveries d JOIN packages p ON p.doc_id = d.doc_id
             WHERE d.organ_id = ?1 AND d.status <> 'done' AND p.message_type = ?2
                 AND p.created_ms BETWEEN ?3 AND ?4
             ORDER BY p.created_ms, d.rowid",
            PACKAGE_COLUMNS
                .split(", ")
                .map(|c| format!("p.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let rows = stmt.query_map(params![organ_id, message_type, from_ms, to_ms], |r| {
            let package = PackageRecord {
                doc_id: r.get(3)?,
                dialect: r.get(4)?,
                sender_system: r.get(5)?,
                message_type: r.get(6)?,
                document_id: r.get(7)?,
                notation: r.get(8)?,
                subject: r.get(9)?,
                from_organ_id: r.get(10)?,
                body_sha256: r.get(11)?,
                size: r.get::<_, i64>(12)? as u64,
                created_at: r.get(13)?,
                created_ms: r.get(14)?,
                deliveries: Vec::new(),
            };
            Ok(Waiting {
                receiver_doc_id: r.get(0)?,
                status: r.get(1)?,
                updated_at: r.get(2)?,
                package,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The package delivered to `organ_id` under `receiver_doc_id`.
    pub fn delivered_package(
        &self,
        organ_id: &str,
        receiver_doc_id: &str,
    ) -> Result<Option<PackageRecord>, StoreError> {
        let conn = self.conn();
        let doc_id: Option<String> = conn
            .query_row(
                "SELECT doc_id FROM package_deliveries WHERE receiver_doc_id = ?1
                 AND organ_id = ?2",
                params![receiver_doc_id, organ_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(doc_id) = doc_id else {
            return Ok(None);
        };
        Ok(conn
            .query_row(
                &format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE doc_id = ?1"),
                params![doc_id],
                package_row,
            )
            .optional()?)
    }

    /// Sets the transport status of a delivery to `organ_id`; false when there is none.
    pub fn set_delivery_status(
        &self,
        organ_id: &str,
        receiver_doc_id: &str,
        status: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE package_deliveries SET status = ?3, updated_at = ?4
             WHERE receiver_doc_id = ?1 AND organ_id = ?2",
            params![receiver_doc_id, organ_id, status, crate::now_rfc3339()],
        )? == 1)
    }

    /// The packages `sender_system` sent, of kind `message_type`, since `from_ms`, oldest
    /// first, with their deliveries.
    pub fn sent_packages(
        &self,
        sender_system: &str,
        message_type: &str,
        from_ms: i64,
    ) -> Result<Vec<PackageRecord>, StoreError> {
        let mut out = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages
                 WHERE sender_system = ?1 AND message_type = ?2 AND created_ms >= ?3
                 ORDER BY created_ms, rowid"
            ))?;
            let rows =
                stmt.query_map(params![sender_system, message_type, from_ms], package_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for p in &mut out {
            p.deliveries = self.deliveries(&p.doc_id)?;
        }
        Ok(out)
    }

    fn deliveries(&self, doc_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT receiver_doc_id, organ_id, status, updated_at FROM package_deliveries
             WHERE doc_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![doc_id], |r| {
            Ok(Delivery {
                receiver_doc_id: r.get(0)?,
                organ_id: r.get(1)?,
                status: r.get(2)?,
                updated_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Every package, oldest first (`kyso-exchange packages`).
    pub fn packages(&self) -> Result<Vec<PackageRecord>, StoreError> {
        let mut out = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages ORDER BY created_ms, rowid"
            ))?;
            let rows = stmt.query_map([], package_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for p in &mut out {
            p.deliveries = self.deliveries(&p.doc_id)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(doc_id: &str, kind: &str, at: i64) -> PackageRecord {
        PackageRecord {
            doc_id: doc_id.into(),
            dialect: "vdxp".into(),
            sender_system: "000.00.00.H35".into(),
            message_type: kind.into(),
            document_id: "000.00.00.H35,2026/11/20,1/QĐ-UBND".into(),
            notation: "1/QĐ-UBND".into(),
            subject: "S".into(),
            from_organ_id: "000.00.00.H35".into(),
            body_sha256: "ab".repeat(32),
            size: 10,
            created_at: "2026-11-22T08:00:00Z".into(),
            created_ms: at,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn a_package_stays_listed_until_done() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("x.db")).expect("open");
        let peer = "000.01.35.H35".to_string();
        store
            .record_package(&package("p1", "edoc", 10), std::slice::from_ref(&peer))
            .expect("record");
        store
            .record_package(&package("p2", "status", 20), std::slice::from_ref(&peer))
            .expect("record");
        let waiting = store
            .waiting_packages(&peer, "edoc", 0, i64::MAX)
            .expect("list");
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].package.doc_id, "p1");
        let id = waiting[0].receiver_doc_id.clone();
        assert!(
            store
                .delivered_package("000.00.00.H35", &id)
                .expect("q")
                .is_none()
        );
        assert!(
            store
                .set_delivery_status(&peer, &id, "processing")
                .expect("set")
        );
        assert_eq!(
            store
                .waiting_packages(&peer, "edoc", 0, i64::MAX)
                .expect("list")
                .len(),
            1
        );
        assert!(store.set_delivery_status(&peer, &id, "done").expect("set"));
        assert!(
            store
                .waiting_packages(&peer, "edoc", 0, i64::MAX)
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            store
                .sent_packages("000.00.00.H35", "status", 0)
                .expect("sent")
                .len(),
            1
        );
        assert!(
            store
                .sent_packages("000.00.00.H35", "edoc", 11)
                .expect("sent")
                .is_empty()
        );
    }
}
