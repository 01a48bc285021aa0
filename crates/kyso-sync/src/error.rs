//! kyso-sync's errors: each has a stable code (docs/architecture.md principle 5) and says, in words
//! an official understands, what went wrong and whether anything was lost (it never is).

use std::path::PathBuf;

use kyso_core::messages::{Coded, Params, param};

use crate::meta::FieldProblem;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{}: cannot read the file: {source}", path.display())]
    ReadInput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the disk holding Kyso's store is full; nothing was queued and nothing was lost", path.display())]
    DiskFull { path: PathBuf },
    #[error("{}: cannot write to Kyso's store: {source}", path.display())]
    StoreIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the local store: {0}")]
    Database(rusqlite::Error),
    #[error("the local store was written by a newer Kyso (schema {found}, this one knows {known})")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{}: the metadata file cannot be read: {detail}", path.display())]
    MetaSyntax { path: PathBuf, detail: String },
    #[error("{}: the metadata is incomplete: {}", path.display(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    MetaInvalid {
        path: PathBuf,
        problems: Vec<FieldProblem>,
    },
    #[error("{}: not a PDF document", path.display())]
    NotPdf { path: PathBuf },
    #[error(
        "no exchange is configured: run `kyso config set exchange.url URL` and `kyso config set exchange.client-id ID`"
    )]
    NotConfigured,
    #[error(
        "the exchange address {url} is not allowed: use https://, or http:// only for this computer (127.0.0.1, localhost)"
    )]
    InsecureUrl { url: String },
    #[error("{path}: the configuration file cannot be read: {detail}")]
    Config { path: String, detail: String },
    #[error("no client secret for {client_id} is stored: run `kyso login --secret-file FILE`")]
    NotLoggedIn { client_id: String },
    #[error("the exchange refused the client id or secret: run `kyso login` with the right secret")]
    InvalidClient,
    #[error("the OS keychain: {0}")]
    Keychain(#[from] kyso_keys::KeyError),
    #[error(transparent)]
    Settings(#[from] kyso_core::settings::SettingsError),
    #[error("the exchange cannot be reached: {detail}")]
    Unreachable { detail: String },
    #[error("the exchange answered {status} ({code}): {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        /// Seconds from `Retry-After`, when given.
        retry_after: Option<u64>,
    },
    #[error("the exchange sent an answer Kyso cannot read: {detail}")]
    BadAnswer { detail: String },
    #[error("no document {id} in the {what}")]
    NotFound { what: &'static str, id: String },
    #[error("another `kyso sync` is running for this store")]
    Busy,
    #[error(
        "document {id} may already be at the exchange (a send was attempted): it cannot be cancelled"
    )]
    NotCancellable { id: i64 },
    #[error("{0}")]
    Edxml(#[from] crate::edxml::EdxmlError),
    #[error("the exchange cannot be reached, nothing was sent: {detail}")]
    Offline { detail: String },
    #[error(
        "{name}: {size} bytes, over the exchange's limit of {limit} bytes (exchange.max-document-mb); nothing was sent"
    )]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error(
        "the document may already be at the exchange (an attempt got no answer and the exchange cannot tell): {reason}; check with the recipient, then `kyso outbox retry` to send it again"
    )]
    MaybeSent { reason: String },
    #[error("the exchange refused it ({platform_code}): {message}")]
    Platform {
        /// Kyso's code for the platform's answer (docs/exchange-dialects.md).
        code: &'static str,
        /// The platform's own code, as it answered.
        platform_code: String,
        /// The platform's words.
        message: String,
    },
    #[error(
        "the exchange refused the user name or password: run `kyso login` with the right password"
    )]
    LoginRefused,
    #[error("no password for {username} is stored: run `kyso login --password-file FILE`")]
    PasswordMissing { username: String },
    #[error("the exchange setting {key} is missing: run `kyso config set {key} VALUE`")]
    SettingMissing { key: &'static str },
    #[error("inbox document {id} already has status {code}")]
    StatusAlreadyGiven { id: i64, code: String },
    #[error("\"{code}\" is not a status to give: 02, 03, 04, 05, 06, 13, 15 or 16")]
    StatusCode { code: String },
    #[error("status 02 (refused) needs the reason (--description)")]
    ReasonRequired,
}

impl SyncError {
    /// A stable code: scripts and the UI rely on it, so codes never change meaning.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::ReadInput { .. } => "INPUT_UNREADABLE",
            SyncError::DiskFull { .. } => "STORE_DISK_FULL",
            SyncError::StoreIo { .. } => "STORE_IO",
            SyncError::Database(_) => "STORE_DATABASE",
            SyncError::SchemaTooNew { .. } => "STORE_SCHEMA_TOO_NEW",
            SyncError::MetaSyntax { .. } => "META_SYNTAX",
            SyncError::MetaInvalid { .. } => "META_INVALID",
            SyncError::NotPdf { .. } => "NOT_A_PDF",
            SyncError::NotConfigured => "EXCHANGE_NOT_CONFIGURED",
            SyncError::InsecureUrl { .. } => "EXCHANGE_INSECURE_URL",
            SyncError::Config { .. } => "CONFIG_INVALID",
            SyncError::Settings(e) => e.code(),
            SyncError::NotLoggedIn { .. } => "EXCHANGE_NOT_LOGGED_IN",
            SyncError::InvalidClient => "EXCHANGE_INVALID_CLIENT",
            SyncError::Keychain(e) => e.code(),
            SyncError::Unreachable { .. } => "EXCHANGE_UNREACHABLE",
            SyncError::Server { .. } => "EXCHANGE_ERROR",
            SyncError::BadAnswer { .. } => "EXCHANGE_BAD_ANSWER",
            SyncError::NotFound { .. } => "NOT_FOUND",
            SyncError::Busy => "SYNC_BUSY",
            SyncError::NotCancellable { .. } => "OUTBOX_NOT_CANCELLABLE",
            SyncError::Edxml(e) => e.code,
            SyncError::Offline { .. } => "EXCHANGE_UNREACHABLE",
            SyncError::TooLarge { .. } => "DOCUMENT_TOO_LARGE",
            SyncError::MaybeSent { .. } => "EXCHANGE_MAYBE_SENT",
            SyncError::Platform { code, .. } => code,
            SyncError::LoginRefused => "EXCHANGE_LOGIN_REFUSED",
            SyncError::PasswordMissing { .. } => "EXCHANGE_PASSWORD_MISSING",
            SyncError::SettingMissing { .. } => "EXCHANGE_SETTING_MISSING",
            SyncError::StatusAlreadyGiven { .. } => "INBOX_STATUS_GIVEN",
            SyncError::StatusCode { .. } => "INBOX_STATUS_CODE",
            SyncError::ReasonRequired => "INBOX_STATUS_REASON",
        }
    }

    /// The named values of the message (kyso_core::messages' placeholders): `file` where the
    /// error names a file or folder, `url` the exchange's address, `detail` the English cause.
    pub fn params(&self) -> Params {
        let file = |path: &std::path::Path| param("file", path.display());
        match self {
            SyncError::ReadInput { path, source } | SyncError::StoreIo { path, source } => {
                vec![file(path), param("detail", source)]
            }
            SyncError::DiskFull { path } | SyncError::NotPdf { path } => vec![file(path)],
            SyncError::Database(e) => vec![param("detail", e)],
            SyncError::SchemaTooNew { found, known } => {
                vec![param("found", found), param("known", known)]
            }
            SyncError::MetaSyntax { path, detail } => vec![file(path), param("detail", detail)],
            SyncError::MetaInvalid { path, problems } => vec![
                file(path),
                param("count", problems.len()),
                param(
                    "detail",
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message_en))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ],
            SyncError::NotConfigured | SyncError::InvalidClient | SyncError::Busy => Vec::new(),
            SyncError::InsecureUrl { url } => vec![param("url", url)],
            SyncError::Config { path, detail } => {
                vec![param("file", path), param("detail", detail)]
            }
            SyncError::NotLoggedIn { client_id } => vec![param("client_id", client_id)],
            SyncError::Keychain(e) => e.params(),
            SyncError::Settings(e) => e.params(),
            SyncError::Unreachable { detail } | SyncError::BadAnswer { detail } => {
                vec![param("detail", detail)]
            }
            SyncError::Server {
                status,
                code,
                message,
                ..
            } => vec![
                param("status", status),
                param("server_code", code),
                param("detail", message),
            ],
            SyncError::NotFound { what, id } => vec![param("what", what), param("id", id)],
            SyncError::NotCancellable { id } => vec![param("id", id)],
            SyncError::Edxml(e) => vec![param("detail", &e.message)],
            SyncError::Offline { detail } => vec![param("detail", detail)],
            SyncError::TooLarge { name, size, limit } => vec![
                param("name", name),
                param("size_mb", format!("{:.1}", *size as f64 / 1_048_576.0)),
                param("limit_mb", format!("{:.0}", *limit as f64 / 1_048_576.0)),
            ],
            SyncError::MaybeSent { reason } => vec![param("detail", reason)],
            SyncError::Platform {
                platform_code,
                message,
                ..
            } => vec![
                param("server_code", platform_code),
                param("detail", message),
            ],
            SyncError::LoginRefused | SyncError::ReasonRequired => Vec::new(),
            SyncError::PasswordMissing { username } => vec![param("username", username)],
            SyncError::SettingMissing { key } => vec![param("key", key)],
            SyncError::StatusAlreadyGiven { id, code } => {
                vec![param("id", id), param("code", code)]
            }
            SyncError::StatusCode { code } => vec![param("code", code)],
        }
    }

    /// Whether trying again later may succeed (RFC 9110 status semantics, docs/exchange-api.md
    /// §6). Everything else waits for the user.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Server { status, code, .. } => {
                matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
                    || code == "attachment_missing"
                    || code == "offset_mismatch"
                    || code == "invalid_token"
                    || code == "digest_mismatch"
            }
            SyncError::BadAnswer { .. } => true,
            SyncError::Offline { .. } => true,
            SyncError::Platform { code, .. } => {
                matches!(
                    *code,
                    "EXCHANGE_PLATFORM_ERROR" | "EXCHANGE_FILE_PROCESSING"
                )
            }
            _ => false,
        }
    }

    /// Whether the request of a failed attempt may have been processed all the same: the
    /// connection broke after it was sent, a gateway timed out (502, 504), the server failed
    /// (500), or the answer could not be read. False when the platform answered that it did not
    /// take it (a refusal, 429, 503) or when nothing was sent (no connection).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } | SyncError::BadAnswer { .. } => true,
            SyncError::Server { status, .. } => !matches!(status, 400..=499 | 503),
            _ => false,
        }
    }

    /// Classifies an I/O error while writing into the store.
    pub(crate) fn store_io(path: PathBuf, source: std::io::Error) -> SyncError {
        if is_disk_full(&source) {
            SyncError::DiskFull { path }
        } else {
            SyncError::StoreIo { path, source }
        }
    }
}

/// ENOSPC / EDQUOT (or the Windows equivalents).
pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

impl Coded for SyncError {
    fn code(&self) -> &'static str {
        SyncError::code(self)
    }
    fn params(&self) -> Params {
        SyncError::params(self)
    }
}

impl SyncError {
    /// A database error of the store in `dir`: SQLITE_FULL is the disk-full case (the
    /// transaction was rolled back: nothing changed); anything else stays a database error.
    pub(crate) fn database(e: rusqlite::Error, dir: &std::path::Path) -> SyncError {
        match &e {
            rusqlite::Error::SqliteFailure(code, _)
                if code.code == rusqlite::ErrorCode::DiskFull =>
            {
                SyncError::DiskFull {
                    path: dir.to_path_buf(),
                }
            }
            _ => SyncError::Database(e),
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    /// Where no store folder is at hand (`?` on a query): the default store's.
    fn from(e: rusqlite::Error) -> SyncError {
        SyncError::database(e, &kyso_keys::home::kyso_home().join("store"))
    }
}

#[cfg(test)]
mod tests {
    use kyso_core::messages::{Lang, Problem, has, placeholders};

    use super::*;

    /// Every error renders in both languages from kyso-core's catalogue, each placeholder
    /// filled.
    #[test]
    fn every_error_renders_in_both_languages() {
        let io = || std::io::Error::other("x");
        let file = || PathBuf::from("store");
        let problems = crate::DocumentMeta::default().validate();
        assert!(!problems.is_empty());
        let errors = vec![
            SyncError::ReadInput {
                path: file(),
                source: io(),
            },
            SyncError::DiskFull { path: file() },
            SyncError::StoreIo {
                path: file(),
                source: io(),
            },
            SyncError::Database(rusqlite::Error::InvalidQuery),
            SyncError::SchemaTooNew { found: 9, known: 3 },
            SyncError::MetaSyntax {
                path: file(),
                detail: "x".into(),
            },
            SyncError::MetaInvalid {
                path: file(),
                problems,
            },
            SyncError::NotPdf { path: file() },
            SyncError::NotConfigured,
            SyncError::InsecureUrl {
                url: "http://x".into(),
            },
            SyncError::Config {
                path: "c.toml".into(),
                detail: "x".into(),
            },
            SyncError::NotLoggedIn {
                client_id: "c".into(),
            },
            SyncError::InvalidClient,
            SyncError::Keychain(kyso_keys::KeyError::KeychainLocked { detail: "x".into() }),
            SyncError::Settings(kyso_core::settings::SettingsError::Value {
                key: "k".into(),
                detail: "x".into(),
            }),
            SyncError::Unreachable { detail: "x".into() },
            SyncError::Server {
                status: 500,
                code: "oops".into(),
                message: "x".into(),
                retry_after: None,
            },
            SyncError::BadAnswer { detail: "x".into() },
            SyncError::NotFound {
                what: "outbox",
                id: "7".into(),
            },
            SyncError::Busy,
            SyncError::NotCancellable { id: 7 },
            SyncError::Edxml(crate::edxml::EdxmlError {
                code: "EDXML_SYNTAX",
                message: "x".into(),
            }),
            SyncError::Offline { detail: "x".into() },
            SyncError::TooLarge {
                name: "qd.pdf".into(),
                size: 60 << 20,
                limit: 50 << 20,
            },
            SyncError::MaybeSent { reason: "x".into() },
            SyncError::LoginRefused,
            SyncError::PasswordMissing {
                username: "u".into(),
            },
            SyncError::SettingMissing {
                key: "exchange.system-id",
            },
            SyncError::StatusAlreadyGiven {
                id: 3,
                code: "03".into(),
            },
            SyncError::StatusCode { code: "99".into() },
            SyncError::ReasonRequired,
        ];
        let mut errors = errors;
        for code in crate::lgsp_v1::wire::KYSO_CODES
            .iter()
            .map(|(_, code, _)| *code)
            .chain(["EXCHANGE_SENDER_MISMATCH", "EXCHANGE_PLATFORM_REFUSED"])
        {
            errors.push(SyncError::Platform {
                code,
                platform_code: "22".into(),
                message: "x".into(),
            });
        }
        for e in &errors {
            let p = Problem::of(e);
            for lang in Lang::ALL {
                assert!(has(lang, &p.code), "{}: no {lang} text", p.code);
                let text = p.message(lang);
                assert!(placeholders(&text).is_empty(), "{}: {text}", p.code);
            }
        }
    }

    /// The metadata problems take their texts from the catalogue, in both languages.
    #[test]
    fn metadata_problems_are_said_in_both_languages() {
        let meta = crate::DocumentMeta {
            priority: 9,
            promulgation_date: "20/11/2026".into(),
            ..Default::default()
        };
        let problems = meta.validate();
        let date = problems
            .iter()
            .find(|p| p.code == "META_DATE")
            .expect("META_DATE");
        assert!(date.message_vi.contains("“20/11/2026” không phải là ngày"));
        assert!(date.message_en.contains("“20/11/2026” is not a date"));
        let priority = problems
            .iter()
            .find(|p| p.field == "priority")
            .expect("priority");
        assert!(priority.message_vi.contains("hỏa tốc"), "{priority:?}");
        assert!(priority.message_en.contains("express"), "{priority:?}");
        let missing = problems
            .iter()
            .find(|p| p.code == "META_MISSING")
            .expect("META_MISSING");
        assert_eq!(missing.message_vi, "chưa có giá trị");
    }
}
