// Pure helpers for sending documents to the exchange: no Svelte, no DOM, unit-tested.
import type { DocumentMetaDto, FieldProblemDto, OutboxItemDto } from "./bindings";

/** Today in the computer's time zone, `yyyy-mm-dd` (the form's default promulgation date). */
export function today(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The form for a new document: the remembered sender, recipients, type and signer, with
 * this document's own fields (number, date, subject) fresh. Always at least one recipient row.
 */
export function newDocumentForm(defaults: DocumentMetaDto | null, now: Date = new Date()): DocumentMetaDto {
  const d = defaults;
  return {
    from: { organId: d?.from.organId ?? "", name: d?.from.name ?? "" },
    to: d && d.to.length > 0 ? d.to.map((o) => ({ ...o })) : [{ organId: "", name: "" }],
    codeNumber: "",
    codeNotation: d?.codeNotation ?? "",
    promulgationPlace: d?.promulgationPlace ?? "",
    promulgationDate: today(now),
    documentType: d?.documentType ?? "",
    documentTypeName: d?.documentTypeName ?? "",
    subject: "",
    signerCompetence: d?.signerCompetence ?? "",
    signerPosition: d?.signerPosition ?? "",
    signerFullName: d?.signerFullName ?? "",
    priority: 0,
    dueDate: undefined,
  };
}

/**
 * The problems the engine reported for one form field. `field` is the engine's name
 * (`from.organ_id`, `to[0].name`, `signer.full_name`, …); `to` also matches problems about
 * the recipient list as a whole.
 */
export function problemsFor(field: string, problems: FieldProblemDto[] | undefined): FieldProblemDto[] {
  return (problems ?? []).filter((p) => p.field === field);
}

/** Outbox states, in the order a document goes through them. */
export const OUTBOX_STATES = ["queued", "sent", "refused", "failed"] as const;

/** The edXML statuses that read as a state of their own (QĐ 28/2018: 01 đã đến, 02 từ chối, 03 tiếp nhận). */
const STATUS_STATES: Record<string, string> = { "01": "arrived", "02": "refused", "03": "registered" };

/**
 * The i18n key of an outbox item's state, in words: chờ gửi, đang gửi (while the sync is
 * sending), đã đến, đã tiếp nhận, bị từ chối, gửi không thành công.
 */
export function stateKey(item: Pick<OutboxItemDto, "state"> & { statusCode?: string }, sending = false): string {
  if (item.state === "queued" && sending) return "outbox.state.sending";
  if (item.state === "sent" && item.statusCode && item.statusCode in STATUS_STATES) {
    return `outbox.state.${STATUS_STATES[item.statusCode]}`;
  }
  return (OUTBOX_STATES as readonly string[]).includes(item.state) ? `outbox.state.${item.state}` : "outbox.state.unknown";
}

/** Whether the user can still withdraw the item: queued, and no send of it was tried. */
export function canCancel(item: Pick<OutboxItemDto, "state" | "attempts">): boolean {
  return item.state === "queued" && item.attempts === 0;
}

/** Whether the user can send the item again (refused by the exchange, or failed for good). */
export function canRetry(item: Pick<OutboxItemDto, "state">): boolean {
  return item.state === "refused" || item.state === "failed";
}

/** The i18n key of the background sync's connection state. */
export function connectionKey(connection: string | undefined): string {
  const known = ["not-configured", "not-logged-in", "offline", "online", "error", "busy"];
  return connection && known.includes(connection) ? `sync.connection.${connection}` : "sync.connection.starting";
}
