// Typed wrappers over the Tauri commands. Types come from ./bindings, which are
// generated from src-tauri/src/dto.rs; never edit them by hand.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  DocumentMetaDto,
  EngineInfo,
  ErrorDto,
  FieldProblemDto,
  IdentityListDto,
  ImportIdentityRequest,
  OutboxItemDto,
  QueueRequest,
  SignRequest,
  SignResult,
  SuggestOutputRequest,
  SuggestOutputResponse,
  SyncStatusDto,
} from "./bindings";

export function engineInfo(): Promise<EngineInfo> {
  return invoke<EngineInfo>("engine_info");
}

export async function suggestOutput(input: string): Promise<string> {
  const request: SuggestOutputRequest = { input };
  const res = await invoke<SuggestOutputResponse>("suggest_output", { request });
  return res.output;
}

/** Sign; rejects with an ErrorDto (see toErrorDto). */
export function signPdf(request: SignRequest): Promise<SignResult> {
  return invoke<SignResult>("sign_pdf", { request });
}

/** The identities of this computer (vault and token). */
export function identityList(): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_list");
}

/** Import a .p12 into the vault; gives the new list. */
export function identityImport(request: ImportIdentityRequest): Promise<IdentityListDto> {
  return invoke<IdentityListDto>("identity_import", { request });
}

/** Log out of every token: the next signature asks for the PIN. */
export function identityLock(): Promise<void> {
  return invoke<void>("identity_lock");
}

/** The outbox, newest first. */
export function outboxList(): Promise<OutboxItemDto[]> {
  return invoke<OutboxItemDto[]>("outbox_list");
}

/** The metadata remembered from the last document sent. */
export function metaDefaults(): Promise<DocumentMetaDto> {
  return invoke<DocumentMetaDto>("meta_defaults");
}

/** Queue a signed PDF for the exchange; rejects with META_INVALID and its problems. */
export function queueDocument(request: QueueRequest): Promise<OutboxItemDto> {
  return invoke<OutboxItemDto>("queue_document", { request });
}

/** Send a refused or failed document again. */
export function outboxRetry(id: number): Promise<OutboxItemDto> {
  return invoke<OutboxItemDto>("outbox_retry", { id });
}

/** Ask the background sync for a pass now. */
export function syncNow(): Promise<void> {
  return invoke<void>("sync_now");
}

/** The background sync's last status (null before its first pass). */
export function syncStatus(): Promise<SyncStatusDto | null> {
  return invoke<SyncStatusDto | null>("sync_status");
}

/** Called after every pass of the background sync. */
export function onSyncStatus(handler: (status: SyncStatusDto) => void): Promise<UnlistenFn> {
  return listen<SyncStatusDto>("sync-status", (event) => handler(event.payload));
}

function isProblem(p: unknown): p is FieldProblemDto {
  if (typeof p !== "object" || p === null) return false;
  const r = p as Record<string, unknown>;
  return ["field", "code", "messageVi", "messageEn"].every((k) => typeof r[k] === "string");
}

/** Normalise whatever a rejected invoke gave us into an ErrorDto. */
export function toErrorDto(e: unknown): ErrorDto {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const { code, message, problems } = e as Record<string, unknown>;
    if (typeof code === "string" && typeof message === "string") {
      return Array.isArray(problems) && problems.every(isProblem)
        ? { code, message, problems }
        : { code, message };
    }
  }
  return { code: "DESKTOP_IPC", message: e instanceof Error ? e.message : String(e) };
}
