// The file pickers the forms share (Tauri's dialog plugin): each gives a path, or null when
// the user cancels.
import { open } from "@tauri-apps/plugin-dialog";
import { t } from "./locale.svelte";

async function pickOne(filter: string, extensions: string[]): Promise<string | null> {
  const picked = await open({ multiple: false, directory: false, filters: [{ name: t(filter), extensions }] });
  return typeof picked === "string" ? picked : null;
}

/** A PDF to open. */
export function pickPdf(): Promise<string | null> {
  return pickOne("dialog.pdfFilter", ["pdf", "PDF"]);
}

/** A PKCS#12 certificate file (.p12, .pfx). */
export function pickP12File(): Promise<string | null> {
  return pickOne("dialog.p12Filter", ["p12", "pfx", "P12", "PFX"]);
}
