//! edXML messages (QCVN 102:2016/BTTTT, docs/domain.md §4): the one module that knows element
//! names, namespaces and codes. A province's variant of the schema is a change here and nowhere
//! else.
//!
//! # The document as written
//!
//! No public XSD of QCVN 102:2016 was found; the layout follows docs/domain.md §4 (three
//! independent implementations and the official SDK sample `edoc_new.edxml` agree). [`to_xml`]
//! writes it the way the published samples do: the root `edXML` declares the namespace as the
//! default one, `edXMLEnvelope` binds the prefix `edXML:` and every element inside the envelope
//! carries it, and `AttachmentEncoded` (a sibling of the envelope) is written unprefixed, in the
//! default namespace. All of these are the same namespace, [`NAMESPACE`]:
//!
//! ```text
//! <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
//!   <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
//!     <edXML:edXMLHeader>
//!       <edXML:MessageHeader>From, To…, DocumentId, Code, PromulgationInfo, DocumentType,
//!         Subject, Content, SignerInfo, DueDate, OtherInfo{Priority}, ResponseFor,
//!         SteeringType</edXML:MessageHeader>
//!       <edXML:TraceHeaderList>TraceHeader…, Bussiness</edXML:TraceHeaderList>
//!     </edXML:edXMLHeader>
//!     <edXML:edXMLBody><edXML:edXMLManifest version="1.0">Reference…</edXML:edXMLManifest>
//!     </edXML:edXMLBody>
//!   </edXML:edXMLEnvelope>
//!   <AttachmentEncoded><Attachment>…</Attachment></AttachmentEncoded>
//! </edXML>
//! ```
//!
//! A status message (QCVN 102:2016 status codes 01–16, docs/domain.md §4) has the same root and
//! envelope with `edXMLHeader/Status` in place of the message header; the platforms built on
//! the VNPT SDK carry it as a "status package" instead, a `MessageHeader` holding the status
//! fields ([`status_package_to_xml`]). [`parse_status`] reads both.
//!
//! # Dates
//!
//! [`DocumentMeta`] and [`ResponseFor`] hold dates as `yyyy-mm-dd`. In edXML, `PromulgationDate`
//! and `DueDate` are written `dd/MM/yyyy`, the form the C# implementations of the exchange use.
//! Reading accepts `dd/MM/yyyy`, `yyyy/MM/dd` (what the Java and TypeScript implementations write)
//! and `yyyy-mm-dd`, and gives `yyyy-mm-dd`; any other text is kept as written (and
//! [`DocumentMeta::validate`] reports it). `DocumentId` keeps its own `yyyy/MM/dd` and is never
//! rewritten; trace and status timestamps are kept as written.
//!
//! # Reading
//!
//! [`parse`] and [`parse_status`] are strict where integrators report rejections
//! (docs/domain.md §4): the namespace of every element read and the wrapper elements
//! (`edXMLEnvelope`, `edXMLHeader`, `MessageHeader`, `TraceHeaderList`, `edXMLBody`,
//! `edXMLManifest`). They are lenient on what carries no meaning: element order, indentation and
//! whitespace around values, the prefix used (prefixed and default-namespace forms are the same
//! document), unknown elements (`DigitalSignature`, `ToPlaces`, `TypeDetail`, …), attributes. Where
//! one element is expected and several appear, the first counts. An optional element that is empty
//! (`<edXML:Email/>`, as some implementations write) reads as absent, so `Some("")` is not a value
//! to write.
//!
//! A DOCTYPE is refused outright (no DTD, hence no entity expansion and no XXE); so are entity
//! references other than XML's five, characters XML 1.0 forbids, and nesting deeper than
//! 64 elements. Parsing is one pass over the input into a flat arena, without recursion.
//!
//! Text values round-trip exactly: leading or trailing whitespace and carriage returns are
//! written as character references, which whitespace trimming and end-of-line normalisation leave
//! alone. Characters XML cannot carry at all (C0 controls other than tab and newline) are written
//! as U+FFFD.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, PAD_INDIFFERENT, STANDARD};
use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::meta::{DocumentMeta, Organ, ResponseFor, SignerInfo};

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

/// The prefix [`to_xml`] binds to [`NAMESPACE`] on `edXMLEnvelope`, as the published samples do.
const PREFIX: &str = "edXML:";

/// The deepest element nesting [`parse`] accepts; edXML itself needs seven levels.
const MAX_DEPTH: usize = 64;

/// `version` of `edXMLManifest` in the published samples.
const MANIFEST_VERSION: &str = "1.0";

/// Highest `Priority` (4 hỏa tốc hẹn giờ), `SteeringType` and `BussinessDocType` (3 replace).
const MAX_PRIORITY: u8 = 4;
const MAX_STEERING_TYPE: u8 = 2;
const MAX_BUSINESS_DOC_TYPE: u8 = 3;

/// Base64 as written by others: padding optional, line breaks removed beforehand.
const BASE64_LENIENT: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, PAD_INDIFFERENT);

// ---------------------------------------------------------------------------------------------
// Writing

/// The whole document message of QCVN 102:2016 (docs/domain.md §4), with `message.attachments`
/// embedded as base64 in `AttachmentEncoded` when there are any (the element is omitted when
/// there are none). Optional fields that are `None` (or empty) are omitted; dates are written
/// `dd/MM/yyyy` (see the module documentation).
///
/// `parse(to_xml(m).as_bytes()) == Ok(m)` for every message that [`parse`] itself returns (the
/// fuzz target `edxml_parser` checks it), and for a message built in code when its metadata
/// passes [`DocumentMeta::validate`] and, beyond what `validate` checks: its text holds only
/// characters XML can carry (C0 controls, U+FFFE and U+FFFF come back as U+FFFD), no optional
/// field is `Some("")` (it comes back as `None`), `document_id` is not empty, and
/// `business.doc_type` is at most 3.
pub fn to_xml(message: &Message) -> String {
    let mut x = document_head(message);
    if !message.attachments.is_empty() {
        x.prefix = "";
        x.open(1, "AttachmentEncoded");
        for attachment in &message.attachments {
            attachment_open(&mut x, &attachment.reference);
            STANDARD.encode_string(&attachment.data, &mut x.s);
            attachment_close(&mut x, &attachment.reference);
        }
        x.close(1, "AttachmentEncoded");
    }
    x.s.push_str("</edXML>\n");
    x.s
}

/// The same document as [`to_xml`], written to `out`, with the given attachments embedded in
/// `AttachmentEncoded` (QCVN 102:2016, docs/domain.md §4): each one's bytes are read from its
/// reader and encoded as base64 on the way, a few kilobytes at a time, so a large PDF is never held
/// in memory. `message.attachments` is ignored here; the references given name the attachments.
pub fn write_message<W: std::io::Write>(
    message: &Message,
    attachments: &mut [(&Reference, &mut dyn std::io::Read)],
    out: W,
) -> std::io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    out.write_all(document_head(message).s.as_bytes())?;
    if !attachments.is_empty() {
        let mut x = XmlBuf::new("");
        x.open(1, "AttachmentEncoded");
        out.write_all(x.s.as_bytes())?;
        for (reference, reader) in attachments.iter_mut() {
            let mut x = XmlBuf::new("");
            attachment_open(&mut x, reference);
            out.write_all(x.s.as_bytes())?;
            {
                let mut encoder = base64::write::EncoderWriter::new(&mut out, &STANDARD);
                copy_into(reader, &mut encoder)?;
                encoder.finish()?;
            }
            let mut x = XmlBuf::new("");
            attachment_close(&mut x, reference);
            out.write_all(x.s.as_bytes())?;
        }
        let mut x = XmlBuf::new("");
        x.close(1, "AttachmentEncoded");
        out.write_all(x.s.as_bytes())?;
    }
    out.write_all(b"</edXML>\n")?;
    out.flush()
}

/// A status message (QCVN 102:2016, docs/domain.md §4): the same root and envelope as a document,
/// with `edXMLHeader/Status` holding `ResponseFor`, `From`, `StatusCode`, `Description`,
/// `Timestamp` and, when `staff` is set, `StaffInfo/Staff`.
pub fn status_to_xml(status: &StatusMessage) -> String {
    let mut x = XmlBuf::new(PREFIX);
    x.document_start();
    x.open(2, "edXMLHeader");
    x.open(3, "Status");
    write_response_for(&mut x, 4, &status.response_for);
    write_organ(&mut x, 4, "From", &status.from);
    x.leaf(4, "StatusCode", &status.status_code);
    x.leaf(4, "Description", &status.description);
    x.leaf(4, "Timestamp", &status.timestamp);
    if let Some(staff) = status.staff.as_deref().filter(|s| !s.is_empty()) {
        x.open(4, "StaffInfo");
        x.leaf(5, "Staff", staff);
        x.close(4, "StaffInfo");
    }
    x.close(3, "Status");
    x.close(2, "edXMLHeader");
    x.close(1, "edXMLEnvelope");
    x.s.push_str("</edXML>\n");
    x.s
}

/// A status package as the VNPT SDK's platforms carry it (docs/domain.md §4, and
/// docs/exchange-dialects.md): the same root and envelope, with `edXMLHeader/MessageHeader`
/// holding `From`, `ResponseFor`, `StaffInfo` (when `staff` is set), `StatusCode`,
/// `Description` and `Timestamp`, in that order, and no body. `timestamp` is written as given
/// (these platforms use `yyyy/MM/dd HH:mm:ss`, [`package_timestamp`]). [`parse_status`] reads
/// it, and the `Status` layout of [`status_to_xml`].
pub fn status_package_to_xml(status: &StatusMessage) -> String {
    let mut x = XmlBuf::new(PREFIX);
    x.document_start();
    x.open(2, "edXMLHeader");
    x.open(3, "MessageHeader");
    write_organ(&mut x, 4, "From", &status.from);
    write_response_for(&mut x, 4, &status.response_for);
    if let Some(staff) = status.staff.as_deref().filter(|s| !s.is_empty()) {
        x.open(4, "StaffInfo");
        x.leaf(5, "Staff", staff);
        x.close(4, "StaffInfo");
    }
    x.leaf(4, "StatusCode", &status.status_code);
    x.leaf(4, "Description", &status.description);
    x.leaf(4, "Timestamp", &status.timestamp);
    x.close(3, "MessageHeader");
    x.close(2, "edXMLHeader");
    x.close(1, "edXMLEnvelope");
    x.s.push_str("</edXML>\n");
    x.s
}

/// A time as status packages and trace headers of the VNPT SDK write it: `yyyy/MM/dd HH:mm:ss`
/// in Vietnam's time (UTC+7) [I: the SDK formats the JVM's local time, which is Vietnam's on
/// the platforms' servers].
pub fn package_timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(VIETNAM);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A status timestamp as read (`yyyy/MM/dd HH:mm:ss` or `dd/MM/yyyy HH:mm:ss`, Vietnam's time)
/// as RFC 3339 in UTC, the form Kyso's status history keeps; any other text is kept as it is
/// (RFC 3339 already, or a form nobody documented).
pub fn timestamp_to_rfc3339(text: &str) -> String {
    let text = text.trim();
    let (date, clock) = match text.split_once(' ') {
        Some(parts) => parts,
        None => return text.to_string(),
    };
    let ymd = date_parts(date, b'/', [0, 5, 8])
        .map(|[y, m, d]| (y, m, d))
        .or_else(|| date_parts(date, b'/', [0, 3, 6]).map(|[d, m, y]| (y, m, d)));
    let Some((year, month, day)) = ymd else {
        return text.to_string();
    };
    let hms: Vec<&str> = clock.split(':').collect();
    let numbers = (|| {
        let year: i32 = year.parse().ok()?;
        let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
        let day: u8 = day.parse().ok()?;
        let [h, m, s] = hms.as_slice() else {
            return None;
        };
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        let clock = time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, s.parse().ok()?).ok()?;
        Some(time::PrimitiveDateTime::new(date, clock).assume_offset(VIETNAM))
    })();
    match numbers {
        Some(t) => {
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
        None => text.to_string(),
    }
}

/// UTC+7, Vietnam's time (no daylight saving).
const VIETNAM: time::UtcOffset = match time::UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => time::UtcOffset::UTC,
};

/// `io::copy` for a reader behind `&mut dyn Read` (an 8 KiB buffer at a time).
fn copy_into(reader: &mut dyn Read, out: &mut dyn Write) -> io::Result<u64> {
    io::copy(reader, out)
}

/// Everything up to and including `</edXML:edXMLEnvelope>`.
fn document_head(message: &Message) -> XmlBuf {
    let meta = &message.meta;
    let mut x = XmlBuf::new(PREFIX);
    x.document_start();
    x.open(2, "edXMLHeader");
    x.open(3, "MessageHeader");
    let d = 4;
    write_organ(&mut x, d, "From", &meta.from);
    for to in &meta.to {
        write_organ(&mut x, d, "To", to);
    }
    x.leaf(d, "DocumentId", &message.document_id);
    x.open(d, "Code");
    x.leaf(d + 1, "CodeNumber", &meta.code_number);
    x.leaf(d + 1, "CodeNotation", &meta.code_notation);
    x.close(d, "Code");
    x.open(d, "PromulgationInfo");
    x.leaf(d + 1, "Place", &meta.promulgation_place);
    x.leaf(
        d + 1,
        "PromulgationDate",
        &date_to_edxml(&meta.promulgation_date),
    );
    x.close(d, "PromulgationInfo");
    x.open(d, "DocumentType");
    x.leaf(d + 1, "Type", &meta.document_type);
    x.leaf(d + 1, "TypeName", &meta.document_type_name);
    x.close(d, "DocumentType");
    x.leaf(d, "Subject", &meta.subject);
    x.optional(d, "Content", meta.content.as_deref());
    x.open(d, "SignerInfo");
    x.leaf(d + 1, "Competence", &meta.signer.competence);
    x.leaf(d + 1, "Position", &meta.signer.position);
    x.leaf(d + 1, "FullName", &meta.signer.full_name);
    x.close(d, "SignerInfo");
    if let Some(due) = meta.due_date.as_deref().filter(|s| !s.is_empty()) {
        x.leaf(d, "DueDate", &date_to_edxml(due));
    }
    x.open(d, "OtherInfo");
    x.leaf(d + 1, "Priority", &meta.priority.to_string());
    x.close(d, "OtherInfo");
    if let Some(reply) = meta.response_for.as_ref().filter(|r| !is_blank(r)) {
        write_response_for(&mut x, d, reply);
    }
    x.leaf(d, "SteeringType", &meta.steering_type.to_string());
    x.close(3, "MessageHeader");

    x.open(3, "TraceHeaderList");
    for trace in &message.traces {
        x.open(4, "TraceHeader");
        x.leaf(5, "OrganId", &trace.organ_id);
        x.leaf(5, "Timestamp", &trace.timestamp);
        x.close(4, "TraceHeader");
    }
    x.open(4, "Bussiness");
    x.leaf(
        5,
        "BussinessDocType",
        &message.business.doc_type.to_string(),
    );
    x.optional(5, "BussinessDocReason", message.business.reason.as_deref());
    x.close(4, "Bussiness");
    x.close(3, "TraceHeaderList");
    x.close(2, "edXMLHeader");

    x.open(2, "edXMLBody");
    x.open_with(
        3,
        "edXMLManifest",
        &format!(" version=\"{MANIFEST_VERSION}\""),
    );
    for reference in &message.references {
        x.open(4, "Reference");
        x.leaf(5, "Description", &reference.description);
        x.leaf(5, "AttachmentName", &reference.attachment_name);
        x.leaf(5, "ContentType", &reference.content_type);
        x.leaf(5, "ContentId", &reference.content_id);
        x.close(4, "Reference");
    }
    x.close(3, "edXMLManifest");
    x.close(2, "edXMLBody");
    x.close(1, "edXMLEnvelope");
    x
}

/// `From`, `To` (and the status's `From`): an organ's fields in the order of docs/domain.md §4.
fn write_organ(x: &mut XmlBuf, depth: usize, name: &str, organ: &Organ) {
    x.open(depth, name);
    let d = depth + 1;
    x.leaf(d, "OrganId", &organ.organ_id);
    x.optional(d, "OrganizationInCharge", organ.in_charge.as_deref());
    x.leaf(d, "OrganName", &organ.name);
    x.optional(d, "OrganAdd", organ.address.as_deref());
    x.optional(d, "Email", organ.email.as_deref());
    x.optional(d, "Telephone", organ.telephone.as_deref());
    x.optional(d, "Fax", organ.fax.as_deref());
    x.optional(d, "Website", organ.website.as_deref());
    x.close(depth, name);
}

fn write_response_for(x: &mut XmlBuf, depth: usize, reply: &ResponseFor) {
    x.open(depth, "ResponseFor");
    x.leaf(depth + 1, "OrganId", &reply.organ_id);
    x.leaf(depth + 1, "Code", &reply.code);
    x.leaf(
        depth + 1,
        "PromulgationDate",
        &date_to_edxml(&reply.promulgation_date),
    );
    x.leaf(depth + 1, "DocumentId", &reply.document_id);
    x.close(depth, "ResponseFor");
}

/// `ResponseFor` with nothing in it: not written, and read back as no `ResponseFor`.
fn is_blank(reply: &ResponseFor) -> bool {
    reply.organ_id.is_empty()
        && reply.code.is_empty()
        && reply.promulgation_date.is_empty()
        && reply.document_id.is_empty()
}

/// `AttachmentEncoded/Attachment` up to the opening `ContentTransferEncoded` tag (the published
/// samples write these elements unprefixed, in the default namespace).
fn attachment_open(x: &mut XmlBuf, reference: &Reference) {
    x.open(2, "Attachment");
    x.leaf(3, "ContentType", &reference.content_type);
    x.leaf(3, "ContentId", &reference.content_id);
    x.leaf(3, "Description", &reference.description);
    x.indent(3);
    x.s.push_str("<ContentTransferEncoded>");
}

fn attachment_close(x: &mut XmlBuf, reference: &Reference) {
    x.s.push_str("</ContentTransferEncoded>\n");
    x.leaf(3, "AttachmentName", &reference.attachment_name);
    x.close(2, "Attachment");
}

/// The text of an XML document under construction, indented by two spaces per level.
struct XmlBuf {
    s: String,
    /// Written before every element name: `edXML:` inside the envelope, nothing outside.
    prefix: &'static str,
}

impl XmlBuf {
    fn new(prefix: &'static str) -> XmlBuf {
        XmlBuf {
            s: String::new(),
            prefix,
        }
    }

    /// The declaration, the root and the opening envelope tag.
    fn document_start(&mut self) {
        self.s
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.s.push_str("<edXML xmlns=\"");
        self.s.push_str(NAMESPACE);
        self.s
            .push_str("\">\n  <edXML:edXMLEnvelope xmlns:edXML=\"");
        self.s.push_str(NAMESPACE);
        self.s.push_str("\">\n");
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.s.push_str("  ");
        }
    }

    fn tag(&mut self, closing: bool, name: &str) {
        self.s.push_str(if closing { "</" } else { "<" });
        self.s.push_str(self.prefix);
        self.s.push_str(name);
    }

    fn open(&mut self, depth: usize, name: &str) {
        self.open_with(depth, name, "");
    }

    fn open_with(&mut self, depth: usize, name: &str, attributes: &str) {
        self.indent(depth);
        self.tag(false, name);
        self.s.push_str(attributes);
        self.s.push_str(">\n");
    }

    fn close(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.tag(true, name);
        self.s.push_str(">\n");
    }

    /// `<name>value</name>`, or `<name/>` when the value is empty.
    fn leaf(&mut self, depth: usize, name: &str, value: &str) {
        self.indent(depth);
        self.tag(false, name);
        if value.is_empty() {
            self.s.push_str("/>\n");
            return;
        }
        self.s.push('>');
        escape_text(&mut self.s, value);
        self.tag(true, name);
        self.s.push_str(">\n");
    }

    /// An optional element: omitted when `None` or empty.
    fn optional(&mut self, depth: usize, name: &str, value: Option<&str>) {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.leaf(depth, name, value);
        }
    }
}

/// XML's white space (S in XML 1.0 §2.3).
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XML 1.0's Char production (§2.2).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Character data for an element's content. Leading and trailing white space and every
/// carriage return become character references, so that [`parse`] (which trims literal white
/// space and normalises line ends, as XML does) reads back exactly `value`; characters XML
/// cannot carry become U+FFFD.
fn escape_text(out: &mut String, value: &str) {
    use std::fmt::Write as _;
    let body_start = value.len() - value.trim_start_matches(is_xml_space).len();
    let body_end = value.trim_end_matches(is_xml_space).len();
    for (i, c) in value.char_indices() {
        if i < body_start || i >= body_end || c == '\r' {
            let _ = write!(out, "&#x{:X};", u32::from(c));
            continue;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `yyyy-mm-dd` (as [`DocumentMeta`] holds dates) to `dd/MM/yyyy` (as edXML carries them); any
/// other text is written as it is.
fn date_to_edxml(date: &str) -> String {
    match date_parts(date, b'-', [0, 5, 8]) {
        Some([year, month, day]) => format!("{day}/{month}/{year}"),
        None => date.to_string(),
    }
}

/// `dd/MM/yyyy` or `yyyy/MM/dd` (both in use by exchange implementations) to `yyyy-mm-dd`; any
/// other text (including `yyyy-mm-dd` itself) is kept as written.
fn date_from_edxml(date: &str) -> String {
    if let Some([day, month, year]) = date_parts(date, b'/', [0, 3, 6]) {
        return format!("{year}-{month}-{day}");
    }
    if let Some([year, month, day]) = date_parts(date, b'/', [0, 5, 8]) {
        return format!("{year}-{month}-{day}");
    }
    date.to_string()
}

/// The three digit groups of a 10-character date whose groups start at `starts` and are
/// separated by `sep` (e.g. `[0, 5, 8]` for `yyyy-mm-dd`).
fn date_parts(date: &str, sep: u8, starts: [usize; 3]) -> Option<[&str; 3]> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 {
        return None;
    }
    let seps = [starts[1] - 1, starts[2] - 1];
    let shape_ok = bytes.iter().enumerate().all(|(i, &b)| {
        if seps.contains(&i) {
            b == sep
        } else {
            b.is_ascii_digit()
        }
    });
    if !shape_ok {
        return None;
    }
    // Every byte is ASCII, so these are character boundaries.
    Some([
        &date[starts[0]..starts[1] - 1],
        &date[starts[1]..starts[2] - 1],
        &date[starts[2]..],
    ])
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads a document message (QCVN 102:2016, docs/domain.md §4) back into a [`Message`], decoding
/// any embedded attachments. Errors: `EDXML_SYNTAX` (malformed XML, not UTF-8, a DOCTYPE or an
/// unknown entity), `EDXML_NAMESPACE` (an element read is not in [`NAMESPACE`]), `EDXML_MISSING` (a
/// wrapper element, `From/OrganId`, `DocumentId`, `Code` or `Subject` is missing or empty),
/// `EDXML_VALUE` (`Priority`, `SteeringType` or `BussinessDocType` is not one of its numeric
/// codes), `EDXML_BASE64` (an attachment is not valid base64).
pub fn parse(xml: &[u8]) -> Result<Message, EdxmlError> {
    let tree = read_tree(xml)?;
    let root = tree.root()?;
    let envelope = tree.required(root, "edXMLEnvelope")?;
    let header = tree.required(envelope, "edXMLHeader")?;
    let mh = tree.required(header, "MessageHeader")?;
    let trace_list = tree.required(header, "TraceHeaderList")?;
    let body = tree.required(envelope, "edXMLBody")?;
    let manifest = tree.required(body, "edXMLManifest")?;

    let from_id = tree.required(mh, "From")?;
    let from = tree.organ(from_id)?;
    if from.organ_id.is_empty() {
        return Err(tree.missing_text(from_id, "OrganId"));
    }
    let mut to = Vec::new();
    for id in tree.all(mh, "To")? {
        to.push(tree.organ(id)?);
    }
    let document_id = tree.required_text(mh, "DocumentId")?;
    let code = tree.required(mh, "Code")?;
    let (place, promulgation_date) = match tree.first(mh, "PromulgationInfo")? {
        Some(info) => (
            tree.text(info, "Place")?,
            date_from_edxml(&tree.text(info, "PromulgationDate")?),
        ),
        None => (String::new(), String::new()),
    };
    let (document_type, document_type_name) = match tree.first(mh, "DocumentType")? {
        Some(t) => (tree.text(t, "Type")?, tree.text(t, "TypeName")?),
        None => (String::new(), String::new()),
    };
    let signer = match tree.first(mh, "SignerInfo")? {
        Some(s) => SignerInfo {
            competence: tree.text(s, "Competence")?,
            position: tree.text(s, "Position")?,
            full_name: tree.text(s, "FullName")?,
        },
        None => SignerInfo::default(),
    };
    let priority = match tree.first(mh, "OtherInfo")? {
        Some(other) => tree.code(other, "Priority", MAX_PRIORITY)?,
        None => 0,
    };
    let response_for = match tree.first(mh, "ResponseFor")? {
        Some(id) => Some(tree.response_for(id)?).filter(|r| !is_blank(r)),
        None => None,
    };
    let meta = DocumentMeta {
        from,
        to,
        code_number: tree.text(code, "CodeNumber")?,
        code_notation: tree.text(code, "CodeNotation")?,
        promulgation_place: place,
        promulgation_date,
        document_type,
        document_type_name,
        subject: tree.required_text(mh, "Subject")?,
        content: tree.optional(mh, "Content")?,
        signer,
        priority,
        due_date: tree.optional(mh, "DueDate")?.map(|d| date_from_edxml(&d)),
        steering_type: tree.code(mh, "SteeringType", MAX_STEERING_TYPE)?,
        response_for,
    };

    let mut traces = Vec::new();
    for id in tree.all(trace_list, "TraceHeader")? {
        traces.push(TraceHeader {
            organ_id: tree.text(id, "OrganId")?,
            timestamp: tree.text(id, "Timestamp")?,
        });
    }
    let business = match tree.first(trace_list, "Bussiness")? {
        Some(id) => Business {
            doc_type: tree.code(id, "BussinessDocType", MAX_BUSINESS_DOC_TYPE)?,
            reason: tree.optional(id, "BussinessDocReason")?,
        },
        None => Business::default(),
    };

    let mut references = Vec::new();
    for id in tree.all(manifest, "Reference")? {
        references.push(tree.reference(id)?);
    }

    let mut attachments = Vec::new();
    if let Some(encoded) = tree.first(root, "AttachmentEncoded")? {
        for (i, id) in tree.all(encoded, "Attachment")?.into_iter().enumerate() {
            let reference = tree.reference(id)?;
            let data_id = tree.required(id, "ContentTransferEncoded")?;
            let data = decode_base64(&tree.elements[data_id].text).map_err(|e| {
                EdxmlError::new(
                    "EDXML_BASE64",
                    format!(
                        "<ContentTransferEncoded> of attachment {} ({}) is not valid base64: {e}",
                        i + 1,
                        short(&reference.attachment_name)
                    ),
                )
            })?;
            attachments.push(Attachment { reference, data });
        }
    }

    Ok(Message {
        meta,
        document_id,
        traces,
        business,
        references,
        attachments,
    })
}

/// Reads a status message ([`status_to_xml`]'s layout, or [`status_package_to_xml`]'s). Errors
/// as for [`parse`]: a missing `Status` (or `MessageHeader/StatusCode`), `ResponseFor/DocumentId`, `From/OrganId` or `StatusCode` is `EDXML_MISSING`; a
/// `StatusCode` other than `01` … `16` is `EDXML_VALUE` (a one-digit code is read as `0N`).
pub fn parse_status(xml: &[u8]) -> Result<StatusMessage, EdxmlError> {
    let tree = read_tree(xml)?;
    let root = tree.root()?;
    let envelope = tree.required(root, "edXMLEnvelope")?;
    let header = tree.required(envelope, "edXMLHeader")?;
    // `Status` (Kyso's first layout), or a `MessageHeader` holding a `StatusCode` (the status
    // package of the VNPT SDK's platforms, [`status_package_to_xml`]).
    let status = match tree.first(header, "Status")? {
        Some(status) => status,
        None => match tree.first(header, "MessageHeader")? {
            Some(mh) if tree.first(mh, "StatusCode")?.is_some() => mh,
            _ => tree.required(header, "Status")?,
        },
    };

    let reply = tree.required(status, "ResponseFor")?;
    let response_for = tree.response_for(reply)?;
    if response_for.document_id.is_empty() {
        return Err(tree.missing_text(reply, "DocumentId"));
    }
    let from_id = tree.required(status, "From")?;
    let from = tree.organ(from_id)?;
    if from.organ_id.is_empty() {
        return Err(tree.missing_text(from_id, "OrganId"));
    }
    let code = tree.required_text(status, "StatusCode")?;
    let number = (code.len() <= 2 && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| code.parse::<u8>().ok())
        .flatten()
        .filter(|n| (1..=16).contains(n))
        .ok_or_else(|| {
            EdxmlError::new(
                "EDXML_VALUE",
                format!(
                    "<StatusCode> must be a status code 01 … 16, found \"{}\"",
                    short(&code)
                ),
            )
        })?;
    let staff = match tree.first(status, "StaffInfo")? {
        Some(info) => tree.optional(info, "Staff")?,
        None => None,
    };
    Ok(StatusMessage {
        response_for,
        from,
        status_code: format!("{number:02}"),
        description: tree.text(status, "Description")?,
        timestamp: tree.text(status, "Timestamp")?,
        staff,
    })
}

/// Base64 as exchanged: white space (line breaks) ignored, padding optional.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.contains(is_xml_space) {
        let compact: String = text.chars().filter(|c| !is_xml_space(*c)).collect();
        BASE64_LENIENT.decode(compact)
    } else {
        BASE64_LENIENT.decode(text)
    }
}

impl EdxmlError {
    fn new(code: &'static str, message: impl Into<String>) -> EdxmlError {
        EdxmlError {
            code,
            message: message.into(),
        }
    }
}

fn syntax(message: impl Into<String>) -> EdxmlError {
    EdxmlError::new("EDXML_SYNTAX", message)
}

/// At most 60 characters of something taken from the input, for an error message.
fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// No namespace (an unprefixed element where no default namespace is declared).
const NO_NAMESPACE: u32 = u32::MAX;
/// [`NAMESPACE`]'s number in [`Tree::namespaces`].
const EDXML_NAMESPACE: u32 = 0;
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// One element: its resolved name and its own text (white space around it trimmed).
struct Element {
    namespace: u32,
    local: String,
    text: String,
    children: Vec<usize>,
}

/// The elements of a document in order of their start tags (the root is 0), each naming its
/// children by index: no recursion is needed to build, read or drop it.
struct Tree {
    elements: Vec<Element>,
    namespaces: Vec<String>,
    namespace_ids: HashMap<String, u32>,
}

/// An element whose end tag has not been read yet.
struct Open {
    element: usize,
    /// The prefixes it declared (`""` for the default namespace), undone at its end.
    declared: Vec<String>,
    /// Whether any content has been kept yet (leading literal white space is dropped).
    started: bool,
    /// How many bytes at the end of the text are literal white space (dropped at the end).
    trailing: usize,
}

impl Open {
    /// Character data as written: white space at either end of the element's text is dropped.
    fn literal(&mut self, text: &mut String, piece: &str) {
        let piece = if self.started {
            piece
        } else {
            piece.trim_start_matches(is_xml_space)
        };
        if piece.is_empty() {
            return;
        }
        self.started = true;
        text.push_str(piece);
        let body = piece.trim_end_matches(is_xml_space).len();
        if body == 0 {
            self.trailing += piece.len();
        } else {
            self.trailing = piece.len() - body;
        }
    }

    /// A character reference or CDATA: kept whole, white space included.
    fn kept(&mut self, text: &mut String, piece: &str) {
        if piece.is_empty() {
            return;
        }
        self.started = true;
        text.push_str(piece);
        self.trailing = 0;
    }
}

/// One pass of quick-xml's reader over the message into a [`Tree`], resolving namespaces.
fn read_tree(xml: &[u8]) -> Result<Tree, EdxmlError> {
    let text = std::str::from_utf8(xml).map_err(|e| {
        syntax(format!(
            "the message is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if let Some((offset, c)) = text.char_indices().find(|(_, c)| !is_xml_char(*c)) {
        return Err(syntax(format!(
            "character U+{:04X} at byte {offset} is not allowed in XML",
            u32::from(c)
        )));
    }
    let mut tree = Tree {
        elements: Vec::new(),
        namespaces: vec![NAMESPACE.to_string()],
        namespace_ids: HashMap::from([(NAMESPACE.to_string(), EDXML_NAMESPACE)]),
    };
    let mut bindings: HashMap<String, Vec<u32>> = HashMap::new();
    let mut open: Vec<Open> = Vec::new();
    let mut reader = Reader::from_str(text);
    loop {
        let event = reader.read_event().map_err(|e| {
            syntax(format!(
                "malformed XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(start) => tree.start(&start, &mut bindings, &mut open)?,
            Event::Empty(start) => {
                tree.start(&start, &mut bindings, &mut open)?;
                tree.end(&mut bindings, &mut open);
            }
            Event::End(_) => tree.end(&mut bindings, &mut open),
            Event::Text(t) => {
                let content = t.xml10_content();
                match open.last_mut() {
                    Some(o) => o.literal(&mut tree.elements[o.element].text, &content),
                    None if content.trim_matches(is_xml_space).is_empty() => {}
                    None => return Err(syntax("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                let Some(o) = open.last_mut() else {
                    return Err(syntax("CDATA outside the root element"));
                };
                o.kept(&mut tree.elements[o.element].text, &content);
            }
            Event::GeneralRef(r) => {
                let Some(o) = open.last_mut() else {
                    return Err(syntax("a reference outside the root element"));
                };
                let element = &mut tree.elements[o.element];
                let c = resolve_reference(&r, &element.local)?;
                let mut buf = [0u8; 4];
                o.kept(&mut element.text, c.encode_utf8(&mut buf));
            }
            Event::DocType(_) => {
                return Err(syntax(
                    "a DOCTYPE is not allowed in an edXML message (no DTD, no entities)",
                ));
            }
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding =
                        encoding.map_err(|e| syntax(format!("bad XML declaration: {e}")))?;
                    if !encoding.eq_ignore_ascii_case("utf-8")
                        && !encoding.eq_ignore_ascii_case("utf8")
                    {
                        return Err(syntax(format!(
                            "the XML declaration names encoding \"{}\"; edXML messages are UTF-8",
                            short(&encoding)
                        )));
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(o) = open.last() {
        return Err(syntax(format!(
            "the message ends before </{}> (truncated)",
            short(&tree.elements[o.element].local)
        )));
    }
    if tree.elements.is_empty() {
        return Err(syntax("the message has no root element"));
    }
    Ok(tree)
}

/// The character an entity or character reference stands for: XML's five predefined entities
/// and character references only, as there is no DTD to declare others.
fn resolve_reference(
    reference: &quick_xml::events::BytesRef<'_>,
    element: &str,
) -> Result<char, EdxmlError> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            _ => Err(syntax(format!(
                "&{}; in <{}> is not a valid XML character reference",
                short(name),
                short(element)
            ))),
        };
    }
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(syntax(format!(
            "the entity reference &{}; in <{}> is not allowed (an edXML message has no DTD)",
            short(name),
            short(element)
        ))),
    }
}

impl Tree {
    fn intern(&mut self, uri: &str) -> u32 {
        if let Some(&id) = self.namespace_ids.get(uri) {
            return id;
        }
        let id = self.namespaces.len() as u32;
        self.namespaces.push(uri.to_string());
        self.namespace_ids.insert(uri.to_string(), id);
        id
    }

    /// A start tag: its namespace declarations, its resolved name, its place in the tree.
    fn start(
        &mut self,
        start: &BytesStart<'_>,
        bindings: &mut HashMap<String, Vec<u32>>,
        open: &mut Vec<Open>,
    ) -> Result<(), EdxmlError> {
        let qname = start.name().0;
        if open.is_empty() && !self.elements.is_empty() {
            return Err(syntax(format!(
                "<{}> after the end of the root element",
                short(qname)
            )));
        }
        if open.len() >= MAX_DEPTH {
            return Err(syntax(format!(
                "<{}> is nested deeper than {MAX_DEPTH} elements",
                short(qname)
            )));
        }
        let mut declared = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute
                .map_err(|e| syntax(format!("bad attribute in <{}>: {e}", short(qname))))?;
            let key = attribute.key.0;
            let prefix = match key.strip_prefix("xmlns") {
                Some("") => "",
                Some(rest) => match rest.strip_prefix(':') {
                    Some(prefix) => prefix,
                    None => continue,
                },
                None => continue,
            };
            let uri = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| {
                    syntax(format!(
                        "bad attribute {} in <{}>: {e}",
                        short(key),
                        short(qname)
                    ))
                })?;
            if prefix == "xml" || prefix == "xmlns" {
                continue;
            }
            let id = if uri.is_empty() {
                if !prefix.is_empty() {
                    return Err(EdxmlError::new(
                        "EDXML_NAMESPACE",
                        format!(
                            "<{}> declares the prefix {} with an empty namespace",
                            short(qname),
                            short(prefix)
                        ),
                    ));
                }
                NO_NAMESPACE
            } else {
                self.intern(&uri)
            };
            bindings.entry(prefix.to_string()).or_default().push(id);
            declared.push(prefix.to_string());
        }
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        let namespace = if prefix == "xml" {
            self.intern(XML_NAMESPACE)
        } else {
            match bindings.get(prefix).and_then(|ids| ids.last()) {
                Some(&id) => id,
                None if prefix.is_empty() => NO_NAMESPACE,
                None => {
                    return Err(EdxmlError::new(
                        "EDXML_NAMESPACE",
                        format!("the prefix of <{}> is not declared", short(qname)),
                    ));
                }
            }
        };
        let id = self.elements.len();
        self.elements.push(Element {
            namespace,
            local: local.to_string(),
            text: String::new(),
            children: Vec::new(),
        });
        if let Some(parent) = open.last() {
            self.elements[parent.element].children.push(id);
        }
        open.push(Open {
            element: id,
            declared,
            started: false,
            trailing: 0,
        });
        Ok(())
    }

    /// An end tag (quick-xml has checked it matches): trailing white space dropped, the
    /// element's namespace declarations undone.
    fn end(&mut self, bindings: &mut HashMap<String, Vec<u32>>, open: &mut Vec<Open>) {
        let Some(o) = open.pop() else {
            return;
        };
        let text = &mut self.elements[o.element].text;
        text.truncate(text.len().saturating_sub(o.trailing));
        for prefix in o.declared {
            if let Some(ids) = bindings.get_mut(&prefix) {
                ids.pop();
            }
        }
    }

    /// The root, which must be `edXML` in [`NAMESPACE`].
    fn root(&self) -> Result<usize, EdxmlError> {
        let root = &self.elements[0];
        if root.local != "edXML" {
            return Err(EdxmlError::new(
                "EDXML_MISSING",
                format!("the root element is <{}>, not <edXML>", short(&root.local)),
            ));
        }
        if root.namespace != EDXML_NAMESPACE {
            return Err(self.wrong_namespace(0));
        }
        Ok(0)
    }

    fn wrong_namespace(&self, id: usize) -> EdxmlError {
        let element = &self.elements[id];
        let found = match self.namespaces.get(element.namespace as usize) {
            Some(uri) => format!("is in namespace \"{}\"", short(uri)),
            None => "has no namespace".to_string(),
        };
        EdxmlError::new(
            "EDXML_NAMESPACE",
            format!(
                "<{}> {found}; edXML elements are in {NAMESPACE}",
                short(&element.local)
            ),
        )
    }

    /// The children of `parent` called `name`; one in another namespace is an error.
    fn all(&self, parent: usize, name: &str) -> Result<Vec<usize>, EdxmlError> {
        let mut found = Vec::new();
        for &child in &self.elements[parent].children {
            let element = &self.elements[child];
            if element.local == name {
                if element.namespace != EDXML_NAMESPACE {
                    return Err(self.wrong_namespace(child));
                }
                found.push(child);
            }
        }
        Ok(found)
    }

    /// The first child of `parent` called `name`, if any.
    fn first(&self, parent: usize, name: &str) -> Result<Option<usize>, EdxmlError> {
        for &child in &self.elements[parent].children {
            let element = &self.elements[child];
            if element.local == name {
                if element.namespace != EDXML_NAMESPACE {
                    return Err(self.wrong_namespace(child));
                }
                return Ok(Some(child));
            }
        }
        Ok(None)
    }

    fn required(&self, parent: usize, name: &str) -> Result<usize, EdxmlError> {
        self.first(parent, name)?.ok_or_else(|| {
            EdxmlError::new(
                "EDXML_MISSING",
                format!(
                    "<{}> has no <{name}> element",
                    short(&self.elements[parent].local)
                ),
            )
        })
    }

    fn missing_text(&self, parent: usize, name: &str) -> EdxmlError {
        EdxmlError::new(
            "EDXML_MISSING",
            format!(
                "<{}/{name}> is missing or empty",
                short(&self.elements[parent].local)
            ),
        )
    }

    /// The text of child `name`; empty when there is no such child.
    fn text(&self, parent: usize, name: &str) -> Result<String, EdxmlError> {
        Ok(self
            .first(parent, name)?
            .map(|id| self.elements[id].text.clone())
            .unwrap_or_default())
    }

    /// The text of child `name`; `None` when there is no such child or it is empty.
    fn optional(&self, parent: usize, name: &str) -> Result<Option<String>, EdxmlError> {
        Ok(Some(self.text(parent, name)?).filter(|t| !t.is_empty()))
    }

    fn required_text(&self, parent: usize, name: &str) -> Result<String, EdxmlError> {
        let text = self.text(parent, name)?;
        if text.is_empty() {
            return Err(self.missing_text(parent, name));
        }
        Ok(text)
    }

    /// A numeric code 0 … `max`; 0 when the element is absent or empty.
    fn code(&self, parent: usize, name: &str, max: u8) -> Result<u8, EdxmlError> {
        let text = self.text(parent, name)?;
        if text.is_empty() {
            return Ok(0);
        }
        (text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u8>().ok())
            .flatten()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                EdxmlError::new(
                    "EDXML_VALUE",
                    format!(
                        "<{name}> must be a number from 0 to {max}, found \"{}\"",
                        short(&text)
                    ),
                )
            })
    }

    fn organ(&self, id: usize) -> Result<Organ, EdxmlError> {
        Ok(Organ {
            organ_id: self.text(id, "OrganId")?,
            name: self.text(id, "OrganName")?,
            in_charge: self.optional(id, "OrganizationInCharge")?,
            address: self.optional(id, "OrganAdd")?,
            email: self.optional(id, "Email")?,
            telephone: self.optional(id, "Telephone")?,
            fax: self.optional(id, "Fax")?,
            website: self.optional(id, "Website")?,
        })
    }

    fn response_for(&self, id: usize) -> Result<ResponseFor, EdxmlError> {
        Ok(ResponseFor {
            organ_id: self.text(id, "OrganId")?,
            code: self.text(id, "Code")?,
            promulgation_date: date_from_edxml(&self.text(id, "PromulgationDate")?),
            document_id: self.text(id, "DocumentId")?,
        })
    }

    /// The four fields `Reference` and `Attachment` share.
    fn reference(&self, id: usize) -> Result<Reference, EdxmlError> {
        Ok(Reference {
            content_id: self.text(id, "ContentId")?,
            attachment_name: self.text(id, "AttachmentName")?,
            content_type: self.text(id, "ContentType")?,
            description: self.text(id, "Description")?,
        })
    }
}
