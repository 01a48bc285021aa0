//! Data that crosses the IPC boundary between the webview and Rust.
//!
//! Every type here derives `ts_rs::TS`; the TypeScript declarations in
//! `ui/src/lib/bindings/` are generated from them by the `export_bindings` test
//! (`cargo test -p kyso-desktop export_bindings`), never written by hand.
//!
//! Secrets: [`SignRequest::password`] is the only secret that ever crosses, and
//! only inward. It is held in a zeroizing string, has no `Serialize` impl (so it
//! cannot be sent back), and `Debug` redacts it. Private keys never cross.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

/// What the header shows: the engine's and the app's versions.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
    /// `kyso_core::VERSION`.
    pub engine_version: String,
    /// The desktop shell's own version.
    pub app_version: String,
}

/// Ask for the default output path of an input PDF.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SuggestOutputRequest {
    pub input: String,
}

/// The default output path: `<stem>.signed.pdf` next to the input.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SuggestOutputResponse {
    pub output: String,
}

/// Sign one PDF with an identity (vault or token), or with a PKCS#12 file.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// The PDF to sign (never modified).
    pub input: String,
    /// Where the signed copy goes.
    pub output: String,
    /// The identity to sign with (an id from `identity_list`); when absent, the .p12 file.
    #[serde(default)]
    #[ts(optional)]
    pub identity_id: Option<String>,
    /// The PIN of the identity's token, or its vault signing PIN, when it needs one and is not
    /// unlocked yet. Crosses once, inward; zeroized on drop.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub pin: Option<Zeroizing<String>>,
    /// The .p12 / .pfx file holding the signer's key and certificate (without an identity).
    #[serde(default)]
    pub p12_path: String,
    /// Password of the .p12 file. Crosses once, inward; zeroized on drop.
    #[serde(default)]
    #[ts(type = "string")]
    pub password: Zeroizing<String>,
    /// Optional /Reason of the signature.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    /// Optional /Location of the signature.
    #[serde(default)]
    #[ts(optional)]
    pub location: Option<String>,
}

impl std::fmt::Debug for SignRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignRequest")
            .field("input", &self.input)
            .field("output", &self.output)
            .field("identity_id", &self.identity_id)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("p12_path", &self.p12_path)
            .field("password", &"<redacted>")
            .field("reason", &self.reason)
            .field("location", &self.location)
            .finish()
    }
}

/// An identity the official can sign with (public data only; kyso_keys::Identity).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDto {
    pub id: String,
    pub label: String,
    /// Subject DN exactly as in the certificate (Vietnamese UTF-8).
    pub subject: String,
    pub issuer: String,
    /// `yyyy-mm-dd`.
    pub valid_from: String,
    pub valid_to: String,
    /// `vault` (key in this computer's keychain) or `token` (USB token).
    pub source: String,
    #[ts(optional)]
    pub token_label: Option<String>,
    /// Signing asks for a PIN (a token, or a vault identity with a signing PIN)…
    pub needs_pin: bool,
    /// …unless the token is already unlocked in this session.
    pub unlocked: bool,
    pub is_default: bool,
}

/// The identities, and which one is the default.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IdentityListDto {
    pub identities: Vec<IdentityDto>,
}

/// Import a .p12 into the vault (its key then lives under this computer's keychain).
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportIdentityRequest {
    pub p12_path: String,
    /// The .p12 password: used once, never stored. Zeroized on drop.
    #[ts(type = "string")]
    pub password: Zeroizing<String>,
    #[serde(default)]
    #[ts(optional)]
    pub label: Option<String>,
    /// An optional signing PIN asked before every use of this identity. Zeroized on drop.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub pin: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for ImportIdentityRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportIdentityRequest")
            .field("p12_path", &self.p12_path)
            .field("password", &"<redacted>")
            .field("label", &self.label)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What one signature produced (mirrors `kyso_core::SignOutcome`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignResult {
    pub input: String,
    pub output: String,
    pub field_name: String,
    pub signer_subject: String,
    pub output_sha256_hex: String,
    /// Size of the signed file. A JS number is exact up to 2^53 bytes (8 PiB).
    #[ts(type = "number")]
    pub bytes_written: u64,
    /// The PAdES level reached: "B-B", "B-T", "B-LT", "B-LTA".
    pub level: String,
    /// The level asked for by the settings.
    pub target_level: String,
    /// Below the target: the code (TSA_UNREACHABLE…) and the engine's reason; the
    /// timestamp is added at the next sync.
    #[ts(optional)]
    pub shortfall: Option<ErrorDto>,
}

impl From<kyso_core::SignOutcome> for SignResult {
    fn from(o: kyso_core::SignOutcome) -> Self {
        Self {
            input: o.input.display().to_string(),
            output: o.output.display().to_string(),
            field_name: o.field_name,
            signer_subject: o.signer_subject,
            output_sha256_hex: o.output_sha256_hex,
            bytes_written: o.bytes_written,
            level: o.level.name().to_owned(),
            target_level: o.target_level.name().to_owned(),
            shortfall: o.shortfall.map(|s| ErrorDto::new(&s.code, s.message)),
        }
    }
}

/// An error as the UI sees it: a stable code (the UI maps it to Vietnamese and
/// English text) and the engine's English message (names the file and cause).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
    /// For `META_INVALID`: every problem of the metadata, each naming its field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub problems: Option<Vec<FieldProblemDto>>,
}

impl ErrorDto {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            problems: None,
        }
    }
}

impl From<kyso_core::Error> for ErrorDto {
    fn from(e: kyso_core::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<kyso_keys::KeyError> for ErrorDto {
    fn from(e: kyso_keys::KeyError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<kyso_sync::SyncError> for ErrorDto {
    fn from(e: kyso_sync::SyncError) -> Self {
        let problems = match &e {
            kyso_sync::SyncError::MetaInvalid { problems, .. } => Some(
                problems
                    .iter()
                    .map(|p| FieldProblemDto {
                        field: p.field.clone(),
                        code: p.code.to_owned(),
                        message_vi: p.message_vi.clone(),
                        message_en: p.message_en.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        Self {
            code: e.code().to_owned(),
            message: e.to_string(),
            problems,
        }
    }
}

/// One problem in the metadata of a document to send (kyso_sync::FieldProblem).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldProblemDto {
    /// The field as the metadata names it, e.g. `from.organ_id`, `to[0].name`.
    pub field: String,
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

/// An agency (`From`, `To` of edXML): its code under QĐ 20/2020/QĐ-TTg and its name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrganDto {
    pub organ_id: String,
    pub name: String,
}

/// What the official fills in before a signed document goes to the exchange: the edXML
/// header of kyso_sync::DocumentMeta, flattened for a form. Dates are `yyyy-mm-dd`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentMetaDto {
    pub from: OrganDto,
    pub to: Vec<OrganDto>,
    pub code_number: String,
    pub code_notation: String,
    pub promulgation_place: String,
    pub promulgation_date: String,
    /// The numeric document type code, with its name (e.g. "1", "Quyết định").
    pub document_type: String,
    pub document_type_name: String,
    pub subject: String,
    pub signer_competence: String,
    pub signer_position: String,
    pub signer_full_name: String,
    /// 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
    pub priority: u8,
    #[serde(default)]
    #[ts(optional)]
    pub due_date: Option<String>,
}

fn organ_to_core(o: OrganDto) -> kyso_sync::Organ {
    kyso_sync::Organ {
        organ_id: o.organ_id.trim().to_owned(),
        name: o.name.trim().to_owned(),
        ..Default::default()
    }
}

fn organ_from_core(o: &kyso_sync::Organ) -> OrganDto {
    OrganDto {
        organ_id: o.organ_id.clone(),
        name: o.name.clone(),
    }
}

impl From<DocumentMetaDto> for kyso_sync::DocumentMeta {
    fn from(m: DocumentMetaDto) -> Self {
        kyso_sync::DocumentMeta {
            from: organ_to_core(m.from),
            to: m
                .to
                .into_iter()
                .filter(|o| !(o.organ_id.trim().is_empty() && o.name.trim().is_empty()))
                .map(organ_to_core)
                .collect(),
            code_number: m.code_number.trim().to_owned(),
            code_notation: m.code_notation.trim().to_owned(),
            promulgation_place: m.promulgation_place.trim().to_owned(),
            promulgation_date: m.promulgation_date.trim().to_owned(),
            document_type: m.document_type.trim().to_owned(),
            document_type_name: m.document_type_name.trim().to_owned(),
            subject: m.subject.trim().to_owned(),
            signer: kyso_sync::SignerInfo {
                competence: m.signer_competence.trim().to_owned(),
                position: m.signer_position.trim().to_owned(),
                full_name: m.signer_full_name.trim().to_owned(),
            },
            priority: m.priority,
            due_date: m
                .due_date
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty()),
            ..Default::default()
        }
    }
}

impl From<&kyso_sync::DocumentMeta> for DocumentMetaDto {
    fn from(m: &kyso_sync::DocumentMeta) -> Self {
        DocumentMetaDto {
            from: organ_from_core(&m.from),
            to: m.to.iter().map(organ_from_core).collect(),
            code_number: m.code_number.clone(),
            code_notation: m.code_notation.clone(),
            promulgation_place: m.promulgation_place.clone(),
            promulgation_date: m.promulgation_date.clone(),
            document_type: m.document_type.clone(),
            document_type_name: m.document_type_name.clone(),
            subject: m.subject.clone(),
            signer_competence: m.signer.competence.clone(),
            signer_position: m.signer.position.clone(),
            signer_full_name: m.signer.full_name.clone(),
            priority: m.priority,
            due_date: m.due_date.clone(),
        }
    }
}

/// Put a signed PDF in the outbox with its metadata.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueueRequest {
    /// The signed PDF; the store keeps its own copy.
    pub file: String,
    pub meta: DocumentMetaDto,
}

/// One document of the outbox, as the outbox list shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItemDto {
    #[ts(type = "number")]
    pub id: i64,
    pub attachment_name: String,
    pub document_id: String,
    pub subject: String,
    /// `queued`, `sent`, `refused` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub queued_at: String,
    #[ts(optional)]
    pub receipt_id: Option<String>,
    /// The newest edXML status: code (01, 02, 03…), its text and time.
    #[ts(optional)]
    pub status_code: Option<String>,
    #[ts(optional)]
    pub status_description: Option<String>,
    #[ts(optional)]
    pub status_time: Option<String>,
    #[ts(optional)]
    pub error_code: Option<String>,
    #[ts(optional)]
    pub error: Option<String>,
    /// The document's PAdES level ("B-B"…), when it holds a PAdES signature.
    #[ts(optional)]
    pub level: Option<String>,
    /// Below its target level: the sync adds the timestamp before sending it.
    pub timestamp_due: bool,
}

impl From<kyso_sync::OutboxEntry> for OutboxItemDto {
    fn from(e: kyso_sync::OutboxEntry) -> Self {
        let state = match e.state {
            kyso_sync::OutboxState::Queued => "queued",
            kyso_sync::OutboxState::Sent => "sent",
            kyso_sync::OutboxState::Refused => "refused",
            kyso_sync::OutboxState::Failed => "failed",
        };
        OutboxItemDto {
            id: e.id,
            attachment_name: e.attachment_name,
            document_id: e.document_id,
            subject: e.subject,
            state: state.to_owned(),
            attempts: e.attempts,
            queued_at: e.queued_at,
            receipt_id: e.receipt_id,
            status_code: e.status.as_ref().map(|s| s.code.clone()),
            status_description: e.status.as_ref().map(|s| s.description.clone()),
            status_time: e.status.map(|s| s.timestamp),
            // Waiting for its timestamp, the reason is the level's.
            error_code: match (e.timestamp_due, &e.level_error_code) {
                (true, Some(_)) => e.level_error_code,
                _ => e.last_error_code,
            },
            error: match (e.timestamp_due, &e.level_error) {
                (true, Some(_)) => e.level_error,
                _ => e.last_error,
            },
            level: e.level.map(|l| l.name().to_owned()),
            timestamp_due: e.timestamp_due,
        }
    }
}

/// Where the background sync stands (kyso_sync::SyncStatus); also the `sync-status` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusDto {
    /// `not-configured`, `not-logged-in`, `offline`, `online`, `error` or `busy`.
    pub connection: String,
    #[ts(optional)]
    pub exchange_url: Option<String>,
    pub last_attempt: String,
    #[ts(optional)]
    pub last_success: Option<String>,
    #[ts(optional)]
    pub error_code: Option<String>,
    #[ts(optional)]
    pub error: Option<String>,
    pub queued: u32,
    pub needs_attention: u32,
    pub inbox_added: u32,
}

impl From<&kyso_sync::SyncStatus> for SyncStatusDto {
    fn from(s: &kyso_sync::SyncStatus) -> Self {
        let connection = serde_json::to_value(s.connection)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        SyncStatusDto {
            connection,
            exchange_url: s.exchange_url.clone(),
            last_attempt: s.last_attempt.clone(),
            last_success: s.last_success.clone(),
            error_code: s.error_code.clone(),
            error: s.error.clone(),
            queued: u32::try_from(s.queued).unwrap_or(u32::MAX),
            needs_attention: u32::try_from(s.needs_attention).unwrap_or(u32::MAX),
            inbox_added: u32::try_from(s.inbox_added).unwrap_or(u32::MAX),
        }
    }
}

/// Error codes raised by the shell itself (not by the engine).
pub mod codes {
    /// A required field (input, output, .p12) was empty.
    pub const MISSING_FIELD: &str = "DESKTOP_MISSING_FIELD";
    /// The background task running the engine died (a bug).
    pub const INTERNAL: &str = "DESKTOP_INTERNAL";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_request_debug_never_shows_the_password() {
        let req: SignRequest = serde_json::from_value(serde_json::json!({
            "input": "a.pdf", "output": "a.signed.pdf", "p12Path": "me.p12",
            "password": "hunter2-bí-mật"
        }))
        .expect("valid request");
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(req.password.as_str(), "hunter2-bí-mật");
        assert_eq!(req.reason, None);
    }

    #[test]
    fn pins_never_show_in_debug() {
        let req: SignRequest = serde_json::from_value(serde_json::json!({
            "input": "a.pdf", "output": "a.signed.pdf", "identityId": "abc", "pin": "4321-mã-pin"
        }))
        .expect("valid request");
        let shown = format!("{req:?}");
        assert!(!shown.contains("4321"), "{shown}");
        assert_eq!(req.pin.as_deref().map(String::as_str), Some("4321-mã-pin"));
        let import: ImportIdentityRequest = serde_json::from_value(serde_json::json!({
            "p12Path": "me.p12", "password": "p12-bí-mật", "pin": "9876"
        }))
        .expect("valid request");
        let shown = format!("{import:?}");
        assert!(
            !shown.contains("p12-bí-mật") && !shown.contains("9876"),
            "{shown}"
        );
    }
}
