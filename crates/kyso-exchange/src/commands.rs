//! The administration commands: `documents`, `set-status` and `send-to`. They work on the
//! database directly (SQLite in WAL mode: safe while the server runs).

use std::path::Path;

use kyso_sync::edxml::{self, Business, Message, Reference, TraceHeader};
use kyso_sync::meta::{DocumentMeta, Organ, SignerInfo, is_organ_id};
use kyso_sync::protocol::{InboxItem, ReceiptAttachment, StatusEntry, content_id};

use crate::blobs::BlobDir;
use crate::store::{DocumentRecord, NewInboxItem, Store, StoreError, new_inbox_id};

/// Failures of the commands.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("\"{0}\" is not an agency code under QĐ 20/2020/QĐ-TTg (e.g. 000.00.00.G22)")]
    OrganId(String),
    #[error("status code \"{0}\" is not one of 01 02 03 04 05 06 13 15 16 (docs/domain.md §4)")]
    StatusCode(String),
}

/// The status codes of docs/domain.md §4.
pub const STATUS_CODES: [&str; 9] = ["01", "02", "03", "04", "05", "06", "13", "15", "16"];

/// Every document received.
pub fn documents(db: &Path) -> Result<Vec<DocumentRecord>, CommandError> {
    Ok(Store::open(db)?.documents()?)
}

/// `documents` as text, one block per document.
pub fn documents_text(docs: &[DocumentRecord]) -> String {
    let mut out = String::new();
    if docs.is_empty() {
        out.push_str("no documents\n");
    }
    for d in docs {
        out.push_str(&format!(
            "{}  {}  key {}\n  {}  from {} ({}) by client {}\n  subject: {}\n",
            d.receipt_id,
            d.received_at,
            d.idempotency_key,
            d.document_id,
            d.from_organ_id,
            d.from_name,
            d.client_id,
            d.subject
        ));
        for a in &d.attachments {
            out.push_str(&format!(
                "  attachment {}  sha256 {}  {} bytes\n",
                a.name, a.sha256, a.size
            ));
        }
        for s in &d.statuses {
            out.push_str(&format!(
                "  status {}  {}  {}{}\n",
                s.code,
                s.timestamp,
                s.description,
                s.staff
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// Appends a status to a document's history.
pub fn set_status(
    db: &Path,
    receipt_id: &str,
    code: &str,
    description: &str,
    staff: Option<&str>,
) -> Result<StatusEntry, CommandError> {
    if !STATUS_CODES.contains(&code) {
        return Err(CommandError::StatusCode(code.to_string()));
    }
    let status = StatusEntry {
        code: code.to_string(),
        description: description.to_string(),
        timestamp: crate::now_rfc3339(),
        staff: staff.map(str::to_string),
    };
    Store::open(db)?.add_status(receipt_id, &status)?;
    Ok(status)
}

/// What `send-to` puts in an inbox.
#[derive(Debug, Clone)]
pub struct SendTo<'a> {
    pub organ_id: &'a str,
    pub organ_name: Option<&'a str>,
    pub file: &'a Path,
    pub subject: Option<&'a str>,
    pub from_organ_id: &'a str,
    pub from_name: &'a str,
}

/// Puts a document (the file as a blob and an edXML message naming it) into an organ's
/// inbox; gives the inbox id.
pub fn send_to(db: &Path, s: &SendTo<'_>) -> Result<String, CommandError> {
    for id in [s.organ_id, s.from_organ_id] {
        if !is_organ_id(id) {
            return Err(CommandError::OrganId(id.to_string()));
        }
    }
    let store = Store::open(db)?;
    let blobs = BlobDir::for_database(db).map_err(|source| CommandError::Io {
        path: db.to_path_buf(),
        source,
    })?;
    let (sha256, size) = blobs.import(s.file).map_err(|source| CommandError::Io {
        path: s.file.to_path_buf(),
        source,
    })?;
    store.mark_blob_complete(&sha256, size)?;

    let name = s
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document.pdf".into());
    let now = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let subject = s
        .subject
        .unwrap_or("Văn bản gửi thử từ kyso-exchange")
        .to_string();
    let meta = DocumentMeta {
        from: Organ {
            organ_id: s.from_organ_id.to_string(),
            name: s.from_name.to_string(),
            ..Organ::default()
        },
        to: vec![Organ {
            organ_id: s.organ_id.to_string(),
            name: s.organ_name.unwrap_or(s.organ_id).to_string(),
            ..Organ::default()
        }],
        // A number of the day's seconds: distinct enough for a demo.
        code_number: (now.unix_timestamp() % 100_000).to_string(),
        code_notation: "CV-TN".into(),
        promulgation_place: "Hà Nội".into(),
        promulgation_date: date,
        document_type: "1".into(),
        document_type_name: "Công văn".into(),
        subject: subject.clone(),
        signer: SignerInfo {
            competence: "TL. Chánh Văn phòng".into(),
            position: "Chánh Văn phòng".into(),
            full_name: "Nguyễn Văn An".into(),
        },
        ..DocumentMeta::default()
    };
    let message = Message {
        document_id: meta.document_id(),
        traces: vec![TraceHeader {
            organ_id: s.from_organ_id.to_string(),
            timestamp: crate::rfc3339(now),
        }],
        business: Business::default(),
        references: vec![Reference {
            content_id: content_id(&sha256),
            attachment_name: name.clone(),
            content_type: if name.to_ascii_lowercase().ends_with(".pdf") {
                "application/pdf".into()
            } else {
                "application/octet-stream".into()
            },
            description: subject.clone(),
        }],
        attachments: Vec::new(),
        meta,
    };
    let xml = edxml::to_xml(&message);
    let item = InboxItem {
        inbox_id: new_inbox_id(),
        received_at: crate::now_rfc3339(),
        document_id: message.document_id.clone(),
        from_organ_id: s.from_organ_id.to_string(),
        from_name: s.from_name.to_string(),
        subject,
        attachments: vec![ReceiptAttachment { name, sha256, size }],
    };
    let inbox_id = item.inbox_id.clone();
    store.add_inbox_item(&NewInboxItem {
        item,
        organ_id: s.organ_id.to_string(),
        edxml: xml.into_bytes(),
        receipt_id: None,
    })?;
    Ok(inbox_id)
}
