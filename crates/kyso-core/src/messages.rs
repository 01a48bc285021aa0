//! The one catalogue of the texts Kyso shows people, in Vietnamese and English: every stable
//! error code, every verification reason code, and the CLI's own texts under dotted keys
//! (`cli.sign.done`, `cli.prompt.p12_password`…). The CLI and the desktop app both render
//! from it, so no text is written twice.
//!
//! The catalogue is two flat JSON files, `messages/vi.json` and `messages/en.json` (key →
//! template with `{name}` placeholders), embedded here and parsed once. The desktop's UI may
//! import the same files directly.
//!
//! Vietnamese is the default language whatever the system locale ([`Lang::default`]).
//!
//! An error is shown through a [`Problem`]: its stable code, its parameters (named values such
//! as `file`, `subject`, `date`, and `detail`, the English cause) and its English text (the
//! error's `Display`, which stays the text for logs and searches). The catalogue templates
//! never use `{detail}`: the cause is shown beside the text (docs/decisions.md).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

/// The Vietnamese catalogue as shipped (flat JSON: key → template).
pub const VI_JSON: &str = include_str!("../messages/vi.json");
/// The English catalogue as shipped (flat JSON: key → template).
pub const EN_JSON: &str = include_str!("../messages/en.json");

/// The language of what Kyso says. Vietnamese unless the user chose English.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Tiếng Việt: the default.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Both languages, Vietnamese first.
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    /// `vi` or `en` (any case; a region such as `vi-VN` or `en_US` is accepted and ignored).
    pub fn parse(text: &str) -> Option<Lang> {
        let text = text.trim().to_ascii_lowercase();
        let primary = text.split(['-', '_', '.']).next().unwrap_or("");
        match primary {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's code: `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The other language (the runtime fallback for a missing text).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::parse(s).ok_or_else(|| format!("\"{s}\" is not a language: vi or en"))
    }
}

/// One language's catalogue: key → template.
pub type Catalogue = BTreeMap<String, String>;

/// Parses a catalogue file (a flat JSON object of strings).
pub fn parse_catalogue(json: &str) -> Result<Catalogue, serde_json::Error> {
    serde_json::from_str(json)
}

/// The catalogue of `lang`, parsed on first use. A file that does not parse (a bug the tests
/// catch) gives an empty catalogue: every text then falls back as [`text`] says.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static VI: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| parse_catalogue(VI_JSON).unwrap_or_default()),
        Lang::En => EN.get_or_init(|| parse_catalogue(EN_JSON).unwrap_or_default()),
    }
}

/// The template of `key` in `lang`, as written in the catalogue.
pub fn template(lang: Lang, key: &str) -> Option<&'static str> {
    catalogue(lang).get(key).map(String::as_str)
}

/// Whether `lang` has a text for `key`.
pub fn has(lang: Lang, key: &str) -> bool {
    catalogue(lang).contains_key(key)
}

/// The text of `key` in `lang` with its `{name}` placeholders filled from `params`. A key
/// missing in `lang` (a bug: the tests require both) falls back to the other language, then
/// to the key itself, so something is always shown.
pub fn text(lang: Lang, key: &str, params: &[(&str, &str)]) -> String {
    match template(lang, key).or_else(|| template(lang.other(), key)) {
        Some(t) => fill(t, params),
        None => key.to_string(),
    }
}

/// Replaces each `{name}` of `template` by its value in `params`; a placeholder without a
/// value is left as it is (visible, never silently blank).
pub fn fill(template: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                match params.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names of a template (`{file}` → `file`).
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                names.insert(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The parameters a message of an error or a finding carries: named values, in order.
pub type Params = Vec<(&'static str, String)>;

/// Parameters whose value names what the message is about: when the text does not place
/// them, the message starts with them (`a.pdf: Tệp PDF bị hỏng…`).
const PREFIX_PARAMS: [&str; 2] = ["file", "url"];

/// An error with a stable code, as every error type of Kyso is: the code, the parameters
/// of its message, and (through `Display`) its English text.
pub trait Coded: fmt::Display {
    /// The stable code (`P12_WRONG_PASSWORD`…), a key of the catalogue.
    fn code(&self) -> &'static str;
    /// The named values of the message: `file` where the error names a file, `detail` for
    /// the English cause, and the values the catalogue's text places (`subject`, `date`…).
    fn params(&self) -> Params;
}

/// An error as the user is told it, in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The stable code.
    pub code: String,
    /// The named values of the message.
    pub params: Params,
    /// The English text (the error's `Display`): shown beside the Vietnamese one, searchable.
    pub english: String,
}

impl Problem {
    /// An error of one of Kyso's error types.
    pub fn of<E: Coded + ?Sized>(e: &E) -> Problem {
        Problem {
            code: e.code().to_string(),
            params: e.params(),
            english: e.to_string(),
        }
    }

    /// An error built where it is reported (the CLI's own codes).
    pub fn new(code: impl Into<String>, params: Params, english: impl Into<String>) -> Problem {
        Problem {
            code: code.into(),
            params,
            english: english.into(),
        }
    }

    /// The value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The English cause (`detail`), when the error has one.
    pub fn detail(&self) -> Option<&str> {
        self.param("detail").filter(|d| !d.is_empty())
    }

    /// The catalogue's text of the code in `lang`, with its parameters; the file (or URL) the
    /// error is about first when the text does not name it.
    pub fn message(&self, lang: Lang) -> String {
        let params: Vec<(&str, &str)> = self.params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let body = text(lang, &self.code, &params);
        let used = template(lang, &self.code)
            .map(placeholders)
            .unwrap_or_default();
        let prefix: Vec<&str> = PREFIX_PARAMS
            .iter()
            .filter(|name| !used.contains(**name))
            .filter_map(|name| self.param(name))
            .filter(|v| !v.is_empty())
            .collect();
        if prefix.is_empty() {
            body
        } else {
            format!("{}: {body}", prefix.join(": "))
        }
    }

    /// The parameters as a JSON object (for `--json`: machine-readable beside the code).
    pub fn params_json(&self) -> serde_json::Value {
        params_json(&self.params)
    }
}

/// Named values as a JSON object of strings.
pub fn params_json(params: &[(&'static str, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        params
            .iter()
            .map(|(n, v)| ((*n).to_string(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// `(name, value)` pairs from anything printable, for building [`Params`].
pub fn param(name: &'static str, value: impl fmt::Display) -> (&'static str, String) {
    (name, value.to_string())
}

/// `params` of an error wrapped in another that names the file it was working on: the inner
/// error's parameters, then `file` unless the inner error already names one.
pub fn with_file(mut params: Params, file: &std::path::Path) -> Params {
    if !params.iter().any(|(n, _)| *n == "file") {
        params.insert(0, ("file", file.display().to_string()));
    }
    params
}

// The error types of the lower crates, which cannot depend on this one.

impl Coded for kyso_pdf::PdfError {
    fn code(&self) -> &'static str {
        kyso_pdf::PdfError::code(self)
    }
    fn params(&self) -> Params {
        kyso_pdf::PdfError::params(self)
    }
}

impl Coded for kyso_pdf::signature::PlanError {
    fn code(&self) -> &'static str {
        kyso_pdf::signature::PlanError::code(self)
    }
    fn params(&self) -> Params {
        kyso_pdf::signature::PlanError::params(self)
    }
}

impl Coded for kyso_pdf::appearance::AppearanceError {
    fn code(&self) -> &'static str {
        kyso_pdf::appearance::AppearanceError::code(self)
    }
    fn params(&self) -> Params {
        kyso_pdf::appearance::AppearanceError::params(self)
    }
}

impl Coded for kyso_cms::CmsError {
    fn code(&self) -> &'static str {
        kyso_cms::CmsError::code(self)
    }
    fn params(&self) -> Params {
        kyso_cms::CmsError::params(self)
    }
}

impl Coded for kyso_cms::tsp::TspError {
    fn code(&self) -> &'static str {
        kyso_cms::tsp::TspError::code(self)
    }
    fn params(&self) -> Params {
        kyso_cms::tsp::TspError::params(self)
    }
}

impl Coded for kyso_keys::KeyError {
    fn code(&self) -> &'static str {
        kyso_keys::KeyError::code(self)
    }
    fn params(&self) -> Params {
        kyso_keys::KeyError::params(self)
    }
}

impl Coded for kyso_keys::CertificateWarning {
    fn code(&self) -> &'static str {
        kyso_keys::CertificateWarning::code(self)
    }
    fn params(&self) -> Params {
        kyso_keys::CertificateWarning::params(self)
    }
}

#[cfg(test)]
mod tests;
