// Pure helpers over the documents a screen lists: no Svelte, no DOM, unit-tested.
import type { DocumentDto, SignProgressDto } from "./bindings";

/** `docs` with `added` appended, a path already listed replaced by its new description. */
export function mergeDocuments(docs: DocumentDto[], added: DocumentDto[]): DocumentDto[] {
  const out = [...docs];
  for (const doc of added) {
    const i = out.findIndex((d) => d.path === doc.path);
    if (i >= 0) out[i] = doc;
    else out.push(doc);
  }
  return out;
}

/** A size in words: bytes, KB, MB. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The state of each file of a batch, from its progress events. */
export type FileState = "waiting" | SignProgressDto["state"];

/** How far a batch is: files done (signed, failed or cancelled) of all, in percent. */
export function batchPercent(states: FileState[]): number {
  if (states.length === 0) return 0;
  const done = states.filter((s) => s === "signed" || s === "failed" || s === "cancelled").length;
  return Math.round((100 * done) / states.length);
}

/** A batch id unique in this window. */
export function newBatchId(now: number = Date.now()): string {
  return `b${now.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
