//! Data that crosses the IPC boundary between the webview and Rust.
//!
//! Every type here derives `ts_rs::TS`; the TypeScript declarations in
//! `ui/src/lib/bindings/` are generated from them by the `export_bindings` test
//! (`cargo test -p kyso-desktop export_bindings`), never written by hand.
//!
//! Secrets: the .p12 passwords and PINs of [`SignBatchRequest`] and [`ImportIdentityRequest`],
//! and the exchange secret given to `exchange_login`, are the only secrets that ever cross,
//! and only inward. Each is held in a zeroizing string, has no `Serialize` impl (so it cannot
//! be sent back), and `Debug` redacts it. Private keys never cross.

use kyso_core::messages::{Coded, Lang, Problem};
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
    /// Days until the certificate expires (negative once expired): warned at 30.
    #[ts(type = "number")]
    pub expires_in_days: i64,
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
            shortfall: o.shortfall.map(|s| ErrorDto::from(s.problem())),
        }
    }
}

/// An error as the UI sees it: its stable code, what it says in each language (rendered
/// from the one catalogue, `kyso_core::messages`, that the CLI uses too), and the engine's
/// English text (names the file and the cause; shown beside, searchable).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    pub code: String,
    /// The catalogue's Vietnamese text, with the error's values (the file, the subject…).
    pub vi: String,
    /// The catalogue's English text.
    pub en: String,
    /// The error's own English text: the cause in detail.
    pub message: String,
    /// For `META_INVALID`: every problem of the metadata, each naming its field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub problems: Option<Vec<FieldProblemDto>>,
}

impl ErrorDto {
    /// An error the shell finds itself: the catalogue's text of `code`, `message` beside it.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self::from(Problem::new(code, Vec::new(), message))
    }

    /// An error the shell finds itself about `file` (named first when the text does not).
    pub fn about_file(code: &str, file: &std::path::Path, message: impl Into<String>) -> Self {
        Self::from(Problem::new(
            code,
            vec![("file", file.display().to_string())],
            message,
        ))
    }

    /// An error of one of the engine's error types, with its values.
    pub fn of(e: &impl Coded) -> Self {
        Self::from(Problem::of(e))
    }
}

impl From<Problem> for ErrorDto {
    fn from(p: Problem) -> Self {
        Self {
            vi: p.message(Lang::Vi),
            en: p.message(Lang::En),
            code: p.code,
            message: p.english,
            problems: None,
        }
    }
}

impl From<kyso_core::Error> for ErrorDto {
    fn from(e: kyso_core::Error) -> Self {
        Self::of(&e)
    }
}

impl From<kyso_keys::KeyError> for ErrorDto {
    fn from(e: kyso_keys::KeyError) -> Self {
        Self::of(&e)
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
            problems,
            ..Self::of(&e)
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

/// A PDF the user chose, as the window lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentDto {
    pub path: String,
    pub name: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
    #[ts(type = "number")]
    pub pages: u64,
    pub signatures: u32,
    /// Signed by a leader, its number field still empty: the clerk's to do.
    pub awaiting_number: bool,
    pub encrypted: bool,
    /// Kyso cannot read it (not a PDF, damaged…).
    #[ts(optional)]
    pub error: Option<ErrorDto>,
}

/// A box on a page as displayed, from its top left, in points (kyso_core's DisplayedBox);
/// `page` from 1.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BoxDto {
    #[ts(type = "number")]
    pub page: u64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub page_width: f64,
    pub page_height: f64,
}

impl From<kyso_core::appearance::DisplayedBox> for BoxDto {
    fn from(b: kyso_core::appearance::DisplayedBox) -> Self {
        BoxDto {
            page: b.page,
            x: b.x,
            y: b.y,
            width: b.width,
            height: b.height,
            page_width: b.page_width,
            page_height: b.page_height,
        }
    }
}

impl From<BoxDto> for kyso_core::appearance::DisplayedBox {
    fn from(b: BoxDto) -> Self {
        kyso_core::appearance::DisplayedBox {
            page: b.page,
            x: b.x,
            y: b.y,
            width: b.width,
            height: b.height,
            page_width: b.page_width,
            page_height: b.page_height,
        }
    }
}

/// What a visible signature looks like (NĐ 30/2020 templates). Images are paths the user
/// picked; absent, the ones remembered for the identity are used.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppearanceDto {
    /// `leader`, `seal`, `attachment`, `copy` or `text`.
    pub template: String,
    #[serde(default)]
    #[ts(optional)]
    pub image: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub seal: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub seal_size_mm: Option<f64>,
    #[serde(default)]
    #[ts(optional)]
    pub doc_number: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub copy_form: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub text: Option<String>,
}

/// Where would this signature go on this document?
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    pub path: String,
    pub appearance: AppearanceDto,
    /// The identity whose name the leader's signature goes above.
    #[serde(default)]
    #[ts(optional)]
    pub identity_id: Option<String>,
}

/// The box the template chose, and whether it found its place (the signer's name, the
/// leader's signature); when not, a box in the right column of the last page to move.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewDto {
    #[serde(rename = "box")]
    #[ts(rename = "box")]
    pub shown: BoxDto,
    pub found: bool,
}

/// One document of a batch, and where its signature goes when the user placed it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignFileDto {
    pub input: String,
    /// Else `<stem>.signed.pdf` in the output folder (the settings), or beside the input.
    #[serde(default)]
    #[ts(optional)]
    pub output: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub placement: Option<BoxDto>,
}

/// Sign documents ("Ký", "Ký tất cả"): progress comes as `sign-progress` events.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignBatchRequest {
    /// Chosen by the window, to tell its events apart and to cancel.
    pub batch_id: String,
    pub files: Vec<SignFileDto>,
    #[serde(default)]
    #[ts(optional)]
    pub identity_id: Option<String>,
    /// Crosses once, inward; zeroized on drop.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub pin: Option<Zeroizing<String>>,
    #[serde(default)]
    pub p12_path: String,
    /// Crosses once, inward; zeroized on drop.
    #[serde(default)]
    #[ts(type = "string")]
    pub password: Zeroizing<String>,
    /// None: an invisible signature.
    #[serde(default)]
    #[ts(optional)]
    pub appearance: Option<AppearanceDto>,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub location: Option<String>,
}

impl std::fmt::Debug for SignBatchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignBatchRequest")
            .field("batch_id", &self.batch_id)
            .field("files", &self.files)
            .field("identity_id", &self.identity_id)
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .field("p12_path", &self.p12_path)
            .field("password", &"<redacted>")
            .field("appearance", &self.appearance)
            .finish_non_exhaustive()
    }
}

/// One step of a batch: file `index` of `total` is being signed, was signed, failed, or
/// was not signed because the batch was cancelled.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignProgressDto {
    pub batch_id: String,
    pub index: u32,
    pub total: u32,
    /// `signing`, `signed`, `failed` or `cancelled`.
    pub state: String,
    #[ts(optional)]
    pub result: Option<SignResult>,
    #[ts(optional)]
    pub error: Option<ErrorDto>,
}

/// How a batch ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignBatchSummary {
    pub signed: u32,
    pub failed: u32,
    pub cancelled: u32,
}

/// One reason of a verification: its code, its severity, the Vietnamese words for it and
/// the engine's English detail.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReasonDto {
    pub code: String,
    /// `info`, `indeterminate`, `altered` or `invalid`.
    pub severity: String,
    /// The reason in each language, from the catalogue (with its values: the issuer…).
    pub vi: String,
    pub en: String,
    /// What to do about it, when there is a fix (`kyso trust add`…), in each language.
    #[ts(optional)]
    pub advice_vi: Option<String>,
    #[ts(optional)]
    pub advice_en: Option<String>,
    /// The engine's English detail.
    pub detail: String,
}

/// One change after a signature.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDto {
    pub kind: String,
    pub allowed: bool,
    pub detail: String,
}

/// One signature or document timestamp of a verified PDF.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignatureDto {
    pub field: String,
    /// `signature` or `document_timestamp`.
    pub kind: String,
    /// `valid`, `indeterminate`, `altered` or `invalid`.
    pub verdict: String,
    #[ts(optional)]
    pub level: Option<String>,
    #[ts(optional)]
    pub signer: Option<String>,
    #[ts(optional)]
    pub issuer: Option<String>,
    /// RFC 3339, and where it comes from: `timestamp`, `claimed`, `verification_time`.
    #[ts(optional)]
    pub time: Option<String>,
    #[ts(optional)]
    pub time_source: Option<String>,
    pub trusted: bool,
    #[ts(optional)]
    pub revocation: Option<String>,
    /// `none`, `allowed` or `not_permitted`.
    pub modifications: String,
    pub changes: Vec<ChangeDto>,
    pub reasons: Vec<ReasonDto>,
    #[ts(optional)]
    pub widget: Option<BoxDto>,
}

/// The verification of one PDF.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReportDto {
    pub path: String,
    pub verdict: String,
    pub reasons: Vec<ReasonDto>,
    pub signatures: Vec<SignatureDto>,
}

fn reason_dto(r: &kyso_core::verify::report::Reason) -> ReasonDto {
    let severity = serde_json::to_value(r.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    ReasonDto {
        code: r.code.to_owned(),
        severity,
        vi: r.message(Lang::Vi),
        en: r.message(Lang::En),
        advice_vi: r.advice_text(Lang::Vi),
        advice_en: r.advice_text(Lang::En),
        detail: r.detail.clone(),
    }
}

fn name_of<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<&kyso_core::VerifyReport> for VerifyReportDto {
    fn from(r: &kyso_core::VerifyReport) -> Self {
        VerifyReportDto {
            path: r.path.display().to_string(),
            verdict: name_of(r.verdict),
            reasons: r.reasons.iter().map(reason_dto).collect(),
            signatures: r
                .signatures
                .iter()
                .map(|s| SignatureDto {
                    field: s.field.clone(),
                    kind: s.kind.to_owned(),
                    verdict: name_of(s.verdict),
                    level: s.level.map(str::to_owned),
                    signer: s
                        .signer
                        .as_ref()
                        .map(|c| c.common_name.clone().unwrap_or_else(|| c.subject.clone())),
                    issuer: s.signer.as_ref().map(|c| c.issuer.clone()),
                    time: s.signing_time.as_ref().map(|t| t.time.clone()),
                    time_source: s.signing_time.as_ref().map(|t| name_of(t.source)),
                    trusted: s.chain.as_ref().is_some_and(|c| c.trusted),
                    revocation: s.revocation.as_ref().map(|r| r.status.to_owned()),
                    modifications: s.modifications.status.to_owned(),
                    changes: s
                        .modifications
                        .changes
                        .iter()
                        .map(|c| ChangeDto {
                            kind: c.kind.to_owned(),
                            allowed: c.allowed,
                            detail: c.detail.clone(),
                        })
                        .collect(),
                    reasons: s.reasons.iter().map(reason_dto).collect(),
                    widget: s.widget.map(BoxDto::from),
                })
                .collect(),
        }
    }
}

/// A document fetched from the inbox.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxItemDto {
    #[ts(type = "number")]
    pub id: i64,
    pub document_id: String,
    pub from_name: String,
    pub subject: String,
    pub received_at: String,
    /// It answers a document this agency sent.
    pub is_reply: bool,
    pub attachments: Vec<InboxAttachmentDto>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxAttachmentDto {
    pub name: String,
    pub sha256: String,
    #[ts(type = "number")]
    pub size_bytes: u64,
}

impl From<kyso_sync::InboxEntry> for InboxItemDto {
    fn from(e: kyso_sync::InboxEntry) -> Self {
        InboxItemDto {
            id: e.id,
            document_id: e.document_id,
            from_name: e.from_name,
            subject: e.subject,
            received_at: e.received_at,
            is_reply: e.response_for.is_some(),
            attachments: e
                .attachments
                .into_iter()
                .map(|a| InboxAttachmentDto {
                    name: a.name,
                    sha256: a.sha256,
                    size_bytes: a.size,
                })
                .collect(),
        }
    }
}

/// Reply to an inbox document with a signed PDF.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRequest {
    #[ts(type = "number")]
    pub inbox_id: i64,
    pub file: String,
    pub meta: DocumentMetaDto,
}

/// The settings the window shows and changes (secrets excepted: they stay in the keychain).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    #[ts(optional)]
    pub exchange_url: Option<String>,
    #[ts(optional)]
    pub client_id: Option<String>,
    /// The platform's dialect: `kyso`, `vdxp` or `lgsp-v1` (docs/exchange-dialects.md).
    pub dialect: String,
    /// vdxp and lgsp-v1: the agency's organ code (the edXML `From/OrganId`).
    #[ts(optional)]
    pub system_id: Option<String>,
    /// lgsp-v1: the login's user name and `applicationCode`.
    #[ts(optional)]
    pub username: Option<String>,
    #[ts(optional)]
    pub application_code: Option<String>,
    /// vdxp and lgsp-v1: `pdf` or `zip`, how attachments travel in the edXML.
    pub attachment_encoding: String,
    /// vdxp and lgsp-v1: the largest package sent, in MB.
    #[ts(type = "number")]
    pub max_document_mb: u64,
    /// The exchange's secret (and lgsp-v1's password) is in the keychain.
    pub logged_in: bool,
    pub tsa_urls: Vec<String>,
    /// `B-B`, `B-T`, `B-LT`, `B-LTA`: what a new signature is brought to.
    pub level: String,
    pub require_timestamp: bool,
    /// Where signed copies go; absent: beside their input.
    #[ts(optional)]
    pub output_folder: Option<String>,
    #[ts(optional)]
    pub signature_image: Option<String>,
    #[ts(optional)]
    pub seal_image: Option<String>,
    /// The first-run screen was finished or skipped.
    pub welcomed: bool,
    /// The language of the window: `vi` or `en` (`ui.lang`, shared with the `kyso` command).
    pub lang: String,
}

/// Change one setting (`kyso config set` keys, plus `desktop.output-folder` and
/// `desktop.welcomed`); `identityId` for those kept per identity (signing.level,
/// appearance.image, appearance.seal).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingRequest {
    pub key: String,
    pub value: String,
    #[serde(default)]
    #[ts(optional)]
    pub identity_id: Option<String>,
}

/// A certificate of the trust store.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrustEntryDto {
    pub id: String,
    /// `anchor` or `intermediate`.
    pub kind: String,
    pub subject: String,
    pub not_after: String,
    pub sha256: String,
}

/// What "Kiểm tra thiết bị ký số" found: each known PKCS#11 module of this computer.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenDiagnosisDto {
    pub modules: Vec<TokenModuleDto>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenModuleDto {
    /// The driver's name (docs/tokens.md) and the module's path.
    pub vendor: String,
    pub path: String,
    pub present: bool,
    pub slots: Vec<TokenSlotDto>,
    #[ts(optional)]
    pub error: Option<ErrorDto>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenSlotDto {
    pub slot: String,
    #[ts(optional)]
    pub token_label: Option<String>,
    pub certificates: Vec<String>,
    /// The PIN's state as the token tells it: `ok`, `count-low`, `final-try`, `locked`.
    pub pin: String,
}

/// The clerk's number and date into the fields the leader's signature reserved.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StampRequest {
    pub path: String,
    /// Else `<stem>.stamped.pdf` beside it... or the output folder.
    #[serde(default)]
    #[ts(optional)]
    pub output: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub number: Option<String>,
    /// `yyyy-mm-dd`.
    #[serde(default)]
    #[ts(optional)]
    pub date: Option<String>,
}

/// Error codes raised by the shell itself (not by the engine).
pub mod codes {
    /// A required field (input, output, .p12) was empty.
    pub const MISSING_FIELD: &str = "DESKTOP_MISSING_FIELD";
    /// The background task running the engine died (a bug).
    pub const INTERNAL: &str = "DESKTOP_INTERNAL";
    /// A path the user did not pick or drop.
    pub const FILE_NOT_CHOSEN: &str = "DESKTOP_FILE_NOT_CHOSEN";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_batch_debug_never_shows_the_password_or_pin() {
        let req: SignBatchRequest = serde_json::from_value(serde_json::json!({
            "batchId": "b1", "files": [{"input": "a.pdf"}], "p12Path": "me.p12",
            "password": "hunter2-bí-mật", "pin": "4321-mã-pin"
        }))
        .expect("valid request");
        let shown = format!("{req:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("4321"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
        assert_eq!(req.password.as_str(), "hunter2-bí-mật");
        assert_eq!(req.pin.as_deref().map(String::as_str), Some("4321-mã-pin"));
        assert!(req.appearance.is_none(), "no appearance: invisible");
    }

    #[test]
    fn import_debug_never_shows_the_password_or_pin() {
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
