//! edXML messages (QCVN 102:2016/BTTTT, DOMAIN.md §4): the one module that knows element names,
//! namespaces and codes. A province's variant of the schema is a change here and nowhere else.
//!
//! CONTRACT (fixed; the bodies are being written): the types and function signatures below
//! are what the rest of the workspace uses.

use crate::meta::{DocumentMeta, ResponseFor};

/// The QCVN 102:2016 namespace.
pub const NAMESPACE: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

/// `edXMLBody/edXMLManifest/Reference`: one attachment named by the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub content_id: String,
    pub attachment_name: String,
    pub content_type: String,
    pub description: String,
}

/// `AttachmentEncoded/Attachment`, decoded (only in messages that embed their attachments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub reference: Reference,
    pub data: Vec<u8>,
}

/// `TraceHeaderList/TraceHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub organ_id: String,
    /// As written in the message (e.g. `2026-11-22T08:00:00+07:00`).
    pub timestamp: String,
}

/// `TraceHeaderList/Bussiness` (sic, the standard's spelling).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Business {
    /// `BussinessDocType`: 0 new, 1 recall, 2 update, 3 replace.
    pub doc_type: u8,
    pub reason: Option<String>,
}

/// A document message: header (from [`DocumentMeta`]), trace, manifest, attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub meta: DocumentMeta,
    /// `DocumentId`, normally `meta.document_id()`.
    pub document_id: String,
    pub traces: Vec<TraceHeader>,
    pub business: Business,
    pub references: Vec<Reference>,
    /// Empty when attachments travel separately (the exchange API's blobs).
    pub attachments: Vec<Attachment>,
}

/// A status message (`Status`: ResponseFor, From, StatusCode, Description, Timestamp, StaffInfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub response_for: ResponseFor,
    pub from: crate::meta::Organ,
    /// "01" … "16".
    pub status_code: String,
    pub description: String,
    pub timestamp: String,
    pub staff: Option<String>,
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("edXML: {message}")]
pub struct EdxmlError {
    /// Stable: `EDXML_SYNTAX`, `EDXML_NAMESPACE`, `EDXML_MISSING`, `EDXML_VALUE`, `EDXML_BASE64`.
    pub code: &'static str,
    pub message: String,
}

// Functions (signatures fixed):
// pub fn to_xml(message: &Message) -> String
// pub fn write_message<W: std::io::Write>(message: &Message, attachments: &mut [(&Reference, &mut dyn std::io::Read)], out: W) -> std::io::Result<()>
// pub fn parse(xml: &[u8]) -> Result<Message, EdxmlError>
// pub fn status_to_xml(status: &StatusMessage) -> String
// pub fn parse_status(xml: &[u8]) -> Result<StatusMessage, EdxmlError>
