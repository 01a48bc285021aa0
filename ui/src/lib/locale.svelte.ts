// The current UI language as shared reactive state (Svelte 5 runes). It is the `ui.lang`
// setting of KYSO_HOME/config.toml, shared with the `kyso` command: Vietnamese until the
// official chooses English, whatever the system's locale.
import { settingsSet } from "./api";
import { DEFAULT_LANG, isLang, translate, type Lang } from "./i18n";

export const locale = $state<{ lang: Lang }>({ lang: DEFAULT_LANG });

/** Shows the window in `lang` (the settings as loaded say which). */
export function applyLang(lang: string): void {
  if (!isLang(lang)) return;
  locale.lang = lang;
  if (typeof document !== "undefined") document.documentElement.lang = lang;
}

/** The official's choice: shown at once, and remembered in `ui.lang`. */
export function setLang(lang: Lang): void {
  applyLang(lang);
  settingsSet({ key: "ui.lang", value: lang }).catch(() => {
    // Not remembered; still switched for this session.
  });
}

/** Translate in the current language (reactive inside templates and $derived). */
export function t(key: string, params?: Record<string, string | number>): string {
  return translate(locale.lang, key, params);
}
