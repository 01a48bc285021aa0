// The current UI language as shared reactive state (Svelte 5 runes).
import { DEFAULT_LANG, isLang, translate, type Lang } from "./i18n";

const STORAGE_KEY = "kyso.lang";

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // Storage may be unavailable; the default is fine.
  }
  return DEFAULT_LANG;
}

export const locale = $state<{ lang: Lang }>({ lang: initialLang() });

export function setLang(lang: Lang): void {
  locale.lang = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // Not persisted; still switched for this session.
  }
  if (typeof document !== "undefined") document.documentElement.lang = lang;
}

/** Translate in the current language (reactive inside templates and $derived). */
export function t(key: string, params?: Record<string, string | number>): string {
  return translate(locale.lang, key, params);
}
