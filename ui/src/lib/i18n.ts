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

/**
 * Text for an error code in `lang`, or `undefined` when this language has no
 * specific text for it (the caller then shows the generic sentence plus the
 * engine's English message). No fallback across languages here on purpose.
 */
export function errorText(
  lang: Lang,
  code: string,
  dicts: Record<Lang, Dict> = DICTS,
): string | undefined {
  return dicts[lang][`errors.${code}`];
}

/** Both-language view of an error, as the result panel shows it. */
export function describeError(
  code: string,
  englishMessage: string,
  dicts: Record<Lang, Dict> = DICTS,
): { vi: string; en: string; specific: boolean } {
  const viText = errorText("vi", code, dicts);
  return {
    vi: viText ?? translate("vi", "errors.generic", { code }, dicts),
    en: englishMessage,
    specific: viText !== undefined,
  };
}
