// Pure i18n lookup: no Svelte, no DOM, so it is unit-tested directly.
import vi from "../i18n/vi.json";
import en from "../i18n/en.json";

export type Dict = Record<string, string>;
export const LANGS = ["vi", "en"] as const;
export type Lang = (typeof LANGS)[number];
/** Vietnamese is the first and default language. */
export const DEFAULT_LANG: Lang = "vi";

export const DICTS: Record<Lang, Dict> = { vi, en };

export function isLang(value: unknown): value is Lang {
  return typeof value === "string" && (LANGS as readonly string[]).includes(value);
}

/** Replace `{name}` placeholders; unknown placeholders are left as they are. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * Text for `key` in `lang`; falls back to the default language (Vietnamese),
 * then to the key itself so a missing string is visible, never blank.
 */
export function translate(
  lang: Lang,
  key: string,
  params?: Record<string, string | number>,
  dicts: Record<Lang, Dict> = DICTS,
): string {
  const text = dicts[lang][key] ?? dicts[DEFAULT_LANG][key] ?? key;
  return format(text, params);
}

/** A moment as the official reads it: `dd/mm/yyyy hh:mm:ss` in Vietnamese, the same in English. */
export function formatTime(iso: string | undefined | null, lang: Lang): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

// The one catalogue of messages, shared with the `kyso` command (crates/kyso-core/messages):
// every stable error code and verification reason, in both languages. Errors from Rust
// arrive already worded from it (`ErrorDto.vi`, `.en`); the UI uses it directly only for
// errors it finds itself (the IPC failing).
import catalogueVi from "../../../crates/kyso-core/messages/vi.json";
import catalogueEn from "../../../crates/kyso-core/messages/en.json";

export const CATALOGUE: Record<Lang, Dict> = { vi: catalogueVi, en: catalogueEn };

/** The catalogue's text of `code` in `lang` with its values; the code itself if unknown. */
export function catalogueText(lang: Lang, code: string, params: Record<string, string> = {}): string {
  const template = CATALOGUE[lang][code] ?? CATALOGUE[lang === "vi" ? "en" : "vi"][code];
  return template === undefined ? code : format(template, params);
}

/** What an error says, in the window's language first, then the other one. */
export function errorLines(error: { vi: string; en: string }, lang: Lang): { first: string; second: string } {
  return lang === "vi" ? { first: error.vi, second: error.en } : { first: error.en, second: error.vi };
}
