//! The VDXP dialect: the VNPT SDK's protocol, spoken by the national document axis and the
//! provinces built on it (docs/exchange-dialects.md, docs/domain.md §4). Its wire format is in
//! [`wire`].
//!
//! - A document travels inside its edXML ([`crate::package`]), `POST /sendEdoc` as an octet
//!   stream streamed from a temporary file, with `hash-file` its SHA-256; the answer's `DocId`
//!   is the receipt.
//! - There is no idempotency key. Before sending again what got no answer, [`find_sent`] asks
//!   `getSentEdocList` and matches the edXML `DocumentId` and the package's hash.
//! - Statuses travel both ways as status packages (`messagetype: status`); the inbox is
//!   `getReceivedEdocList`, `getEdoc`, and `updateStatus done` once a package is stored.
//!
//! [`find_sent`]: Transport::find_sent

pub mod wire;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::client::{check_url, header_u64, new_agent, unreachable};
use crate::edxml;
use crate::error::SyncError;
use crate::files::FileStore;
use crate::package::{self, AttachmentEncoding};
use crate::protocol::StatusEntry;
use crate::store::rfc3339;
use crate::transport::{
    Delivered, Dialect, Fetched, Incoming, LastAttempt, Lookup, Outgoing, PackageKind, Prepared,
    SentDocument, StatusNews, Transport,
};

/// A client of one VDXP endpoint (`exchange.url`, e.g. `https://host/XrdAdapter/adapter`).
pub struct VdxpClient {
    agent: ureq::Agent,
    base: String,
    system_id: String,
    secret: Zeroizing<String>,
    encoding: AttachmentEncoding,
    max_bytes: u64,
}

impl std::fmt::Debug for VdxpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VdxpClient")
            .field("base", &self.base)
            .field("system_id", &self.system_id)
            .finish_non_exhaustive()
    }
}

/// The body of a call.
enum Body<'a> {
    None,
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

impl VdxpClient {
    pub fn new(
        url: &str,
        system_id: &str,
        secret: Zeroizing<String>,
        encoding: AttachmentEncoding,
        max_bytes: u64,
    ) -> Result<VdxpClient, SyncError> {
        Ok(VdxpClient {
            agent: new_agent(),
            base: check_url(url)?,
            system_id: system_id.to_string(),
            secret,
            encoding,
            max_bytes,
        })
    }

    /// One call: the logical headers `params` after `systemid` and `timestamp`, signed.
    fn call(
        &self,
        path: &str,
        params: &[(&str, &str)],
        content_type: &str,
        body: Body<'_>,
    ) -> Result<Vec<u8>, SyncError> {
        let stamp = wire::timestamp(time::OffsetDateTime::now_utc());
        let mut all = vec![("systemid", self.system_id.as_str()), ("timestamp", &stamp)];
        all.extend_from_slice(params);
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        for (name, value) in wire::signed_headers(&all, self.secret.as_bytes()) {
            request = request.header(name, value);
        }
        let result = match body {
            Body::None => request.send_empty(),
            Body::Bytes(bytes) => request.send(bytes),
            Body::File(path) => {
                let file =
                    std::fs::File::open(path).map_err(|e| SyncError::store_io(path.into(), e))?;
                request.send(file)
            }
        };
        let mut response = result.map_err(unreachable)?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(SyncError::InvalidClient);
        }
        if !(200..300).contains(&status) {
            return Err(SyncError::Server {
                status,
                code: format!("http_{status}"),
                message: response
                    .status()
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_string(),
                retry_after: header_u64(&response, "Retry-After"),
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(self.answer_limit())
            .read_to_vec()
            .map_err(unreachable)
    }

    /// The largest answer read: a whole package in base64, in JSON.
    fn answer_limit(&self) -> u64 {
        self.max_bytes.saturating_mul(2).saturating_add(1 << 20)
    }

    fn list(&self, message_type: &str) -> Result<Vec<wire::ReceivedItem>, SyncError> {
        let body = self.call(
            wire::RECEIVED_LIST_PATH,
            &[("servicetype", "eDoc"), ("messagetype", message_type)],
            "application/json",
            Body::None,
        )?;
        let answer: wire::ReceivedListAnswer = wire::parse_answer(&body).map_err(bad_answer)?;
        check(&answer.status, &answer.error_code, &answer.error_desc)?;
        Ok(answer.data.unwrap_or_default())
    }

    /// The whole edXML of a listed package.
    fn get_edoc(&self, doc_id: &str) -> Result<Vec<u8>, SyncError> {
        let body = self.call(
            wire::GET_PATH,
            &[("docId", doc_id)],
            "application/json",
            Body::None,
        )?;
        let answer: wire::EdocAnswer = wire::parse_answer(&body).map_err(bad_answer)?;
        check(&answer.status, &answer.error_code, &answer.error_desc)?;
        let data = answer.data.unwrap_or_default();
        let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| SyncError::BadAnswer {
                detail: format!("getEdoc {doc_id}: data is not base64: {e}"),
            })
    }
}

fn bad_answer(e: wire::AnswerError) -> SyncError {
    SyncError::BadAnswer { detail: e.0 }
}

/// `status: FAIL` (or an `ErrorCode` other than "0") as Kyso's error.
fn check(status: &str, code: &str, description: &str) -> Result<(), SyncError> {
    let ok =
        status.eq_ignore_ascii_case(wire::OK) && (code.is_empty() || code == wire::SUCCESS_CODE);
    if ok {
        return Ok(());
    }
    let kyso = if wire::is_sender_mismatch(description) {
        "EXCHANGE_SENDER_MISMATCH"
    } else {
        "EXCHANGE_PLATFORM_REFUSED"
    };
    Err(SyncError::Platform {
        code: kyso,
        platform_code: code.to_string(),
        message: description.to_string(),
    })
}

impl Transport for VdxpClient {
    fn dialect(&self) -> Dialect {
        Dialect::Vdxp
    }

    fn resends_safely(&self) -> bool {
        false
    }

    fn check_login(&self) -> Result<(), SyncError> {
        self.list("edoc").map(|_| ())
    }

    fn prepare(&self, outgoing: &Outgoing<'_>) -> Result<Prepared, SyncError> {
        package::prepare(outgoing, self.encoding, self.max_bytes)
    }

    fn send(&self, outgoing: &Outgoing<'_>, prepared: &Prepared) -> Result<Delivered, SyncError> {
        let message_type = message_type(outgoing.kind);
        let params = [
            ("from", self.system_id.as_str()),
            ("servicetype", "eDoc"),
            ("messagetype", message_type),
            ("hash-file", prepared.sha256.as_str()),
        ];
        let body = match &prepared.body {
            Some(path) => Body::File(path),
            None => Body::Bytes(outgoing.edxml),
        };
        let answer = self.call(wire::SEND_PATH, &params, "application/octet-stream", body)?;
        let parsed: wire::SendAnswer = wire::parse_answer(&answer).map_err(bad_answer)?;
        check(&parsed.status, &parsed.error_code, &parsed.error_desc)?;
        if parsed.doc_id.is_empty() {
            return Err(SyncError::BadAnswer {
                detail: "sendEdoc answered OK without a DocId".into(),
            });
        }
        Ok(Delivered {
            receipt_id: parsed.doc_id.clone(),
            received_at: rfc3339(time::OffsetDateTime::now_utc()),
            status: None,
            answer: serde_json::to_value(&parsed).unwrap_or_default(),
        })
    }

    /// `getSentEdocList` from the day before the lost attempt; a package held is one whose
    /// `hashFile` is the attempt's and whose `DocumentId` (when listed) is the document's. An
    /// entry of the same kind that lists neither could be it: the lookup cannot tell.
    fn find_sent(
        &self,
        outgoing: &Outgoing<'_>,
        last: &LastAttempt<'_>,
    ) -> Result<Lookup, SyncError> {
        let Some(sha256) = last.sha256 else {
            return Ok(Lookup::Unknown {
                reason: "the package of the attempt was not recorded".into(),
            });
        };
        let from = crate::lgsp_v1::list_date(last.at - time::Duration::days(1));
        let body = self.call(
            wire::SENT_LIST_PATH,
            &[
                ("servicetype", "eDoc"),
                ("messagetype", message_type(outgoing.kind)),
                ("fromDate", &from),
            ],
            "application/json",
            Body::None,
        )?;
        let answer: wire::SentListAnswer = wire::parse_answer(&body).map_err(bad_answer)?;
        check(&answer.status, &answer.error_code, &answer.error_desc)?;
        Ok(match_sent(
            &answer.data.unwrap_or_default(),
            &self.system_id,
            message_type(outgoing.kind),
            outgoing.document_id,
            sha256,
        ))
    }

    fn poll_statuses(&self, _sent: &[SentDocument<'_>]) -> Result<Vec<StatusNews>, SyncError> {
        let listed = self.list("status")?.into_iter().map(|item| item.doc_id);
        read_statuses(listed, |doc_id| self.get_edoc(doc_id))
    }

    fn inbox(&self) -> Result<Vec<Incoming>, SyncError> {
        Ok(self
            .list("edoc")?
            .into_iter()
            .map(|item| Incoming {
                server_id: item.doc_id,
                received_at: item.created_time,
                from_organ_id: item.from,
            })
            .collect())
    }

    fn fetch(&self, item: &Incoming, files: &FileStore) -> Result<Fetched, SyncError> {
        let xml = self.get_edoc(&item.server_id)?;
        fetched_package(&xml, files, self.max_bytes)
    }

    fn acknowledge(&self, server_id: &str) -> Result<(), SyncError> {
        let body = self.call(
            wire::UPDATE_STATUS_PATH,
            &[("docId", server_id), ("status", "done")],
            "application/json",
            Body::None,
        )?;
        let answer: wire::BasicAnswer = wire::parse_answer(&body).map_err(bad_answer)?;
        check(&answer.status, &answer.error_code, &answer.error_desc)
    }

    fn sends_arrival_status(&self) -> bool {
        true
    }
}

pub(crate) fn message_type(kind: PackageKind) -> &'static str {
    match kind {
        PackageKind::Document => "edoc",
        PackageKind::Status => "status",
    }
}

/// Finds the package of a lost attempt in the sent list (see [`Transport::find_sent`]).
pub fn match_sent(
    items: &[wire::SentItem],
    system_id: &str,
    message_type: &str,
    document_id: &str,
    sha256: &str,
) -> Lookup {
    let mut uncertain = false;
    for item in items {
        let same_kind =
            item.message_type.is_empty() || item.message_type.eq_ignore_ascii_case(message_type);
        let ours = item.from_code.is_empty() || item.from_code == system_id;
        if !same_kind || !ours {
            continue;
        }
        match (&item.hash_file, &item.document_id) {
            (Some(hash), document) => {
                let same_document = document.as_deref().is_none_or(|d| d == document_id);
                if same_document && wire::hash_file_matches(hash, sha256) {
                    if item.sender_doc_id.is_empty() {
                        uncertain = true;
                        continue;
                    }
                    return Lookup::Held(Delivered {
                        receipt_id: item.sender_doc_id.clone(),
                        received_at: rfc3339(time::OffsetDateTime::now_utc()),
                        status: None,
                        answer: serde_json::to_value(item).unwrap_or_default(),
                    });
                }
            }
            (None, Some(document)) => uncertain |= document == document_id,
            (None, None) => uncertain = true,
        }
    }
    if uncertain {
        Lookup::Unknown {
            reason: "the platform's list of sent packages does not give their hashes".into(),
        }
    } else {
        Lookup::NotHeld
    }
}

/// The status packages a provincial platform listed (`doc_ids`), each fetched with `get_edoc`
/// and read; one that cannot be fetched now is left for the next poll.
pub(crate) fn read_statuses(
    doc_ids: impl IntoIterator<Item = String>,
    get_edoc: impl Fn(&str) -> Result<Vec<u8>, SyncError>,
) -> Result<Vec<StatusNews>, SyncError> {
    let mut news = Vec::new();
    for doc_id in doc_ids {
        let xml = match get_edoc(&doc_id) {
            Ok(xml) => xml,
            Err(e) if e.is_transient() => continue,
            Err(e) => return Err(e),
        };
        news.push(status_news(&xml, &doc_id));
    }
    Ok(news)
}

/// A status package as news; one that cannot be read is acknowledged all the same (it would be
/// listed for ever) and brings no status.
pub(crate) fn status_news(xml: &[u8], platform_id: &str) -> StatusNews {
    match edxml::parse_status(xml) {
        Ok(status) => StatusNews {
            outbox_id: None,
            document_id: Some(status.response_for.document_id.clone()),
            statuses: vec![StatusEntry {
                code: status.status_code,
                description: status.description,
                timestamp: edxml::timestamp_to_rfc3339(&status.timestamp),
                staff: status.staff,
            }],
            acknowledge: Some(platform_id.to_string()),
        },
        Err(_) => StatusNews {
            outbox_id: None,
            document_id: None,
            statuses: Vec::new(),
            acknowledge: Some(platform_id.to_string()),
        },
    }
}

/// A received package's files into the file store; the message kept without its attachments.
pub(crate) fn fetched_package(
    xml: &[u8],
    files: &FileStore,
    max_bytes: u64,
) -> Result<Fetched, SyncError> {
    let (message, received) = package::read(xml, max_bytes)?;
    let mut attachments = Vec::new();
    for file in received {
        let stored = files.put_reader(&mut &file.data[..], std::path::Path::new(&file.name))?;
        attachments.push((file.name, stored));
    }
    Ok(Fetched {
        xml: edxml::to_xml(&message).into_bytes(),
        message,
        attachments,
    })
}
