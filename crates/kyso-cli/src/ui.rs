//! What the `kyso` command says, in the language chosen for this run: Vietnamese unless
//! `--lang en`, `KYSO_LANG=en` or the setting `ui.lang` says English, never from the system
//! locale. Every text comes from kyso-core's catalogue ([`kyso_core::messages`]).
//!
//! Errors print as `kyso: [CODE] text`, then, indented on the next line, the English cause:
//! in Vietnamese the error's whole English text (searchable), in English its cause alone
//! when it has one.

use std::sync::OnceLock;

use kyso_core::messages::{self, Coded, Lang, Params, Problem};

/// The environment variable that chooses the language (`vi` or `en`).
pub const LANG_VAR: &str = "KYSO_LANG";

static LANG: OnceLock<Lang> = OnceLock::new();

/// Chooses the language of this run: `flag` (`--lang`), else `KYSO_LANG`, else the setting
/// `ui.lang` of `home`, else Vietnamese. A `KYSO_LANG` that is neither is said and ignored.
pub fn init(flag: Option<Lang>, home: &std::path::Path) -> Lang {
    let from_env = std::env::var(LANG_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let mut warning = None;
    let lang = match flag {
        Some(lang) => lang,
        None => match from_env.as_deref().map(|v| (v, Lang::parse(v))) {
            Some((_, Some(lang))) => lang,
            other => {
                if let Some((value, None)) = other {
                    warning = Some(value.to_string());
                }
                kyso_core::settings::UiSettings::load(home)
                    .ok()
                    .and_then(|s| s.lang)
                    .unwrap_or_default()
            }
        },
    };
    let lang = *LANG.get_or_init(|| lang);
    if let Some(value) = warning {
        eprintln!(
            "kyso: {}",
            tp(
                "cli.lang.invalid_env",
                &[("var", LANG_VAR), ("value", &value)]
            )
        );
    }
    lang
}

/// The language of this run (Vietnamese before [`init`]).
pub fn lang() -> Lang {
    LANG.get().copied().unwrap_or_default()
}

/// The catalogue's text of `key`.
pub fn t(key: &str) -> String {
    messages::text(lang(), key, &[])
}

/// The catalogue's text of `key` with its placeholders filled.
pub fn tp(key: &str, params: &[(&str, &str)]) -> String {
    messages::text(lang(), key, params)
}

/// An error of the CLI itself, with its code and parameters; `english` is its English text.
pub fn problem(code: &str, params: Params, english: impl Into<String>) -> Problem {
    Problem::new(code, params, english)
}

/// The lines that say `p`: `[CODE] text`, then the English cause (see the module's doc).
pub fn describe(p: &Problem) -> String {
    let lang = lang();
    let mut out = format!("[{}] {}", p.code, p.message(lang));
    let english = match lang {
        Lang::Vi => Some(p.english.as_str()),
        Lang::En => p.detail(),
    };
    if let Some(english) = english.filter(|e| !e.is_empty()) {
        out.push_str("\n      ");
        out.push_str(english);
    }
    let hint_key = format!("cli.hint.{}", p.code);
    if messages::has(lang, &hint_key) {
        out.push_str("\n      → ");
        out.push_str(&messages::text(lang, &hint_key, &pairs(&p.params)));
    }
    out
}

/// Prints `p` on standard error, after `kyso: `.
pub fn report(p: &Problem) {
    eprintln!("kyso: {}", describe(p));
}

/// Prints an error of one of Kyso's error types on standard error.
pub fn report_error<E: Coded + ?Sized>(e: &E) {
    report(&Problem::of(e));
}

/// The JSON of an error: `ok: false`, its `code`, `error` (English, as always), `message` in
/// the chosen language, and its `params`.
pub fn json_error(p: &Problem) -> serde_json::Value {
    serde_json::json!({
        "ok": false,
        "code": p.code,
        "error": p.english,
        "message": p.message(lang()),
        "params": p.params_json(),
    })
}

/// `params` as `(&str, &str)` pairs, for [`tp`].
pub fn pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    params.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// `OK` / `FAIL` (`XONG` / `LỖI`): the status word that starts a line of a batch, padded so
/// that the lines align.
pub fn status_word(key: &str) -> String {
    format!("{:<6}", t(key))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use kyso_core::messages::{Lang, has};

    /// The catalogue keys under `cli.` written whole (quoted) in the CLI's sources.
    fn keys_in_sources() -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src").flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for (i, _) in text.match_indices("\"cli.") {
                let rest = &text[i + 1..];
                let end = rest.find('"').unwrap_or(0);
                let key = &rest[..end];
                // `format!("cli.outbox.state.{state}")`: the families are checked below.
                if !key.contains('{') && !key.ends_with('.') {
                    keys.insert(key.to_string());
                }
            }
        }
        keys
    }

    #[test]
    fn every_text_the_cli_says_is_in_the_catalogue() {
        let mut keys = keys_in_sources();
        assert!(keys.contains("cli.prompt.p12_password"), "{keys:?}");
        assert!(keys.len() > 100, "the scan found only {keys:?}");
        // Keys made from a value: every value they can take.
        for state in ["queued", "sent", "refused", "failed"] {
            keys.insert(format!("cli.outbox.state.{state}"));
        }
        for step in ["document_timestamp", "dss"] {
            keys.insert(format!("cli.upgrade.step.{step}"));
        }
        for c in [
            kyso_sync::Connection::NotConfigured,
            kyso_sync::Connection::NotLoggedIn,
            kyso_sync::Connection::Offline,
            kyso_sync::Connection::Online,
            kyso_sync::Connection::Error,
            kyso_sync::Connection::Busy,
        ] {
            let name = serde_json::to_value(c).unwrap_or_default();
            keys.insert(format!(
                "cli.sync.connection.{}",
                name.as_str().unwrap_or("?")
            ));
        }
        for state in [
            kyso_sync::OutboxState::Queued,
            kyso_sync::OutboxState::Sent,
            kyso_sync::OutboxState::Refused,
            kyso_sync::OutboxState::Failed,
        ] {
            let name = format!("{state:?}").to_lowercase();
            keys.insert(format!("cli.outbox.state.{name}"));
        }
        let missing: Vec<String> = keys
            .iter()
            .flat_map(|k| {
                Lang::ALL
                    .into_iter()
                    .filter(|lang| !has(*lang, k))
                    .map(move |lang| format!("{k} ({lang})"))
            })
            .collect();
        assert!(missing.is_empty(), "texts missing: {missing:?}");
    }

    #[test]
    fn an_error_is_said_with_its_code_and_english_beside_it() {
        let p = super::problem(
            "P12_WRONG_PASSWORD",
            vec![("file", "a.p12".to_string())],
            "the password for a.p12 is wrong",
        );
        // Before `init`, the language is Vietnamese.
        assert_eq!(super::lang(), Lang::Vi);
        assert_eq!(
            super::describe(&p),
            "[P12_WRONG_PASSWORD] Mật khẩu tệp chứng thư số a.p12 không đúng.\n      the password for a.p12 is wrong"
        );
        let json = super::json_error(&p);
        assert_eq!(json["code"], "P12_WRONG_PASSWORD");
        assert_eq!(json["error"], "the password for a.p12 is wrong");
        assert_eq!(json["params"]["file"], "a.p12");
        assert_eq!(json["ok"], false);
    }
}
