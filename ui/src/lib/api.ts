// Typed wrappers over the Tauri commands. Types come from ./bindings, which are
// generated from src-tauri/src/dto.rs; never edit them by hand. Every decision (signing,
// placement, verification, sync) is the core's: these only carry requests and answers.
import { invoke } from "@tauri-apps/api/core";
import { catalogueText } from "./i18n";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  DocumentDto,
  DocumentMetaDto,
  EngineInfo,
  ErrorDto,
  FieldProblemDto,
  IdentityListDto,
  ImportIdentityRequest,
  InboxItemDto,
  OutboxItemDto,
  PreviewDto,
  PreviewRequest,
  QueueRequest,
  ReplyRequest,
  SettingRequest,
  SettingsDto,
  SignBatchRequest,
  SignBatchSummary,
  SignProgressDto,
  StampRequest,
  SyncStatusDto,
  TokenDiagnosisDto,
  TrustEntryDto,
  VerifyReportDto,
} from "./bindings";

export function engineInfo(): Promise<EngineInfo> {
  return invoke<EngineInfo>("engine_info");
}

// --- files the user chose -------------------------------------------------------------

/** The native dialog for PDFs; the chosen ones, described (empty when cancelled). */
export function pickDocuments(): Promise<DocumentDto[]> {
  return invoke<DocumentDto[]>("pick_documents");
}

/** What a file picker is for. */
export type PathKind = "p12" | "image" | "certificate" | "folder" | "json" | "pdf";

/** The native dialog for one file (or a folder); null when cancelled. */
export function pickPath(kind: PathKind): Promise<string | null> {
  return invoke<string | null>("pick_path", { kind });
}

/** A chosen document described again. */
export function documentInfo(path: string): Promise<DocumentDto> {
  return invoke<DocumentDto>("document_info", { path });
}

/** Bytes `begin..end` of a chosen document (the preview reads by ranges). */
export async function documentRange(path: string, begin: number, end: number): Promise<Uint8Array> {
  const bytes = await invoke<ArrayBuffer | number[]>("document_range", { path, begin, end });
  return bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : Uint8Array.from(bytes);
}

export function openDocument(path: string): Promise<void> {
  return invoke<void>("open_document", { path });
}

export function revealDocument(path: string): Promise<void> {
  return invoke<void>("reveal_document", { path });
}

/** The first run's sample document, copied into the user's Kyso folder and chosen. */
export function sampleDocument(): Promise<DocumentDto> {
  return invoke<DocumentDto>("sample_document");
}

/** PDFs dropped on the window. */
export function onDocumentsDropped(handler: (docs: DocumentDto[]) => void): Promise<UnlistenFn> {
  return listen<DocumentDto[]>("documents-dropped", (event) => handler(event.payload));
}

// --- signing ---------------------------------------------------------------------------

/** Where the template's signature would go on the document. */
export function previewSignature(request: PreviewRequest): Promise<PreviewDto> {
  return invoke<PreviewDto>("preview_signature", { request });
}

/** Signs the documents in turn; progress as `sign-progress` events. */
export function signBatch(request: SignBatchRequest): Promise<SignBatchSummary> {
  return invoke<SignBatchSummary>("sign_batch", { request });
}

/** Stops the batch before its next document. */
export function signCancel(batchId: string): Promise<void> {
  return invoke<void>("sign_cancel", { batchId });
}

export function onSignProgress(handler: (p: SignProgressDto) => void): Promise<UnlistenFn> {
  return listen<SignProgressDto>("sign-progress", (event) => handler(event.payload));
}

/** The clerk's number and date into the reserved fields: the stamped copy. */
export function stampDocument(request: StampRequest): Promise<DocumentDto> {
  return invoke<DocumentDto>("stamp_document", { request });
}

// --- verification ----------------------------------------------------------------------

export function verifyDocument(path: string): Promise<VerifyReportDto> {
  return invoke<VerifyReportDto>("verify_document", { path });
}

/** Saves the report as JSON where the user chooses; the path, or null. */
/** The report saved where the user chooses, as JSON or as a PDF in the window's language. */
export function exportReport(path: string, format: "json" | "pdf"): Promise<string | null> {
  return invoke<string | null>("export_report", { path, format });
}

// --- identities ------------------------------------------------------------------------

export function identityList(): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_list");
}

export function identityImport(request: ImportIdentityRequest): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_import", { request });
}

export function identityRemove(id: string): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_remove", { id });
}

export function identitySetDefault(id: string): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_set_default", { id });
}

/** Saves the certificate (PEM) where the user chooses; the path, or null. */
export function identityExport(id: string): Promise<string | null> {
  return invoke<string | null>("identity_export", { id });
}

export function identityAddToken(module: string, tokenLabel: string, keyId?: string): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_add_token", { module, tokenLabel, keyId: keyId ?? null });
}

/** Logs out of every token: the next signature asks for the PIN. */
export function identityLock(): Promise<void> {
  return invoke<void>("identity_lock");
}

export function tokenDiagnose(): Promise<TokenDiagnosisDto> {
  return invoke<TokenDiagnosisDto>("token_diagnose");
}

// --- settings --------------------------------------------------------------------------

export function settingsGet(): Promise<SettingsDto> {
  return invoke<SettingsDto>("settings_get");
}

export function settingsSet(request: SettingRequest): Promise<SettingsDto> {
  return invoke<SettingsDto>("settings_set", { request });
}

/** Stores the exchange's secret (and an lgsp-v1 platform's password) in the keychain. */
export function exchangeLogin(secret: string, password?: string): Promise<SettingsDto> {
  return invoke<SettingsDto>("exchange_login", { secret, password: password || null });
}

export function trustList(): Promise<TrustEntryDto[]> {
  return invoke<TrustEntryDto[]>("trust_list");
}

/** Picks a certificate and adds it as a trust anchor (or an intermediate). */
export function trustAdd(intermediate: boolean): Promise<TrustEntryDto[]> {
  return invoke<TrustEntryDto[]>("trust_add", { intermediate });
}

export function trustRemove(id: string): Promise<TrustEntryDto[]> {
  return invoke<TrustEntryDto[]>("trust_remove", { id });
}

// --- outbox, inbox, sync ---------------------------------------------------------------

export function outboxList(): Promise<OutboxItemDto[]> {
  return invoke<OutboxItemDto[]>("outbox_list");
}

export function metaDefaults(): Promise<DocumentMetaDto> {
  return invoke<DocumentMetaDto>("meta_defaults");
}

/** Queue a signed PDF; rejects with META_INVALID and its problems. */
export function queueDocument(request: QueueRequest): Promise<OutboxItemDto> {
  return invoke<OutboxItemDto>("queue_document", { request });
}

export function outboxRetry(id: number): Promise<OutboxItemDto> {
  return invoke<OutboxItemDto>("outbox_retry", { id });
}

export function outboxCancel(id: number): Promise<OutboxItemDto[]> {
  return invoke<OutboxItemDto[]>("outbox_cancel", { id });
}

export function inboxList(): Promise<InboxItemDto[]> {
  return invoke<InboxItemDto[]>("inbox_list");
}

/** An inbox attachment as a document of the window. */
export function inboxOpen(id: number, sha256: string): Promise<DocumentDto> {
  return invoke<DocumentDto>("inbox_open", { id, sha256 });
}

export function replyDocument(request: ReplyRequest): Promise<OutboxItemDto> {
  return invoke<OutboxItemDto>("reply_document", { request });
}

export function syncNow(): Promise<void> {
  return invoke<void>("sync_now");
}

export function syncStatus(): Promise<SyncStatusDto | null> {
  return invoke<SyncStatusDto | null>("sync_status");
}

export function onSyncStatus(handler: (status: SyncStatusDto) => void): Promise<UnlistenFn> {
  return listen<SyncStatusDto>("sync-status", (event) => handler(event.payload));
}

// --- errors ----------------------------------------------------------------------------

function isProblem(p: unknown): p is FieldProblemDto {
  if (typeof p !== "object" || p === null) return false;
  const r = p as Record<string, unknown>;
  return ["field", "code", "messageVi", "messageEn"].every((k) => typeof r[k] === "string");
}

/** Normalise whatever a rejected invoke gave us into an ErrorDto. */
export function toErrorDto(e: unknown): ErrorDto {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const { code, message, vi, en, problems } = e as Record<string, unknown>;
    if (typeof code === "string" && typeof message === "string") {
      const worded = {
        code,
        message,
        vi: typeof vi === "string" ? vi : catalogueText("vi", code),
        en: typeof en === "string" ? en : catalogueText("en", code),
      };
      return Array.isArray(problems) && problems.every(isProblem) ? { ...worded, problems } : worded;
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: "DESKTOP_IPC", message, vi: catalogueText("vi", "DESKTOP_IPC"), en: catalogueText("en", "DESKTOP_IPC") };
}
