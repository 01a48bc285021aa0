//! The user's settings for the exchange and the sync engine, in `KYSO_HOME/config.toml`:
//!
//! ```toml
//! [exchange]
//! url = "https://lgsp.example.gov.vn"   # http:// only on loopback
//! client_id = "ubnd-xa-abc"             # the kyso dialect
//! dialect = "kyso"                      # kyso | vdxp | lgsp-v1 (docs/exchange-dialects.md)
//! system_id = "000.00.00.H55"           # vdxp and lgsp-v1: the agency's organ code
//! username = "vanthu"                   # lgsp-v1
//! application_code = "KYSO"             # lgsp-v1
//! attachment_encoding = "pdf"           # vdxp and lgsp-v1: pdf | zip
//! max_document_mb = 50                  # vdxp and lgsp-v1: the largest package sent
//!
//! [sync]
//! workers = 4              # documents sent at once
//! backoff_base_ms = 1000   # first retry delay; doubles per attempt, with jitter
//! backoff_max_ms = 300000  # never waits longer than this between tries
//! poll_seconds = 120       # background sync: statuses, inbox, a reachable exchange
//! require_timestamp = false  # true: a document below its level waits for its timestamp
//! ```
//!
//! The secrets are not here: the client secret (kyso), the HMAC key (vdxp) or the
//! `X-SecretKey` (lgsp-v1) and lgsp-v1's password live in the OS keychain
//! ([`secret_account`], [`password_account`]).

use std::path::Path;
use std::time::Duration;

use kyso_core::settings::ConfigFile;
use serde::{Deserialize, Serialize};

use zeroize::Zeroizing;

use crate::error::SyncError;
use crate::package::AttachmentEncoding;
use crate::transport::{Dialect, Transport};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub exchange: ExchangeConfig,
    #[serde(default)]
    pub sync: SyncConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// None: Kyso's own protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// vdxp and lgsp-v1: the agency's organ code, which the edXML `From/OrganId` must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
    /// lgsp-v1: the login's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// lgsp-v1: the login's `applicationCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_code: Option<String>,
    /// vdxp and lgsp-v1: None is plain PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_encoding: Option<AttachmentEncoding>,
    /// vdxp and lgsp-v1: None is [`DEFAULT_MAX_DOCUMENT_MB`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_document_mb: Option<u64>,
}

/// The largest package sent whole (50 MiB, a common gateway limit: nginx's
/// `client_max_body_size` as these platforms configure it [I]).
pub const DEFAULT_MAX_DOCUMENT_MB: u64 = 50;

impl ExchangeConfig {
    pub fn dialect(&self) -> Dialect {
        self.dialect.unwrap_or_default()
    }

    pub fn attachment_encoding(&self) -> AttachmentEncoding {
        self.attachment_encoding.unwrap_or_default()
    }

    /// The package limit in bytes.
    pub fn max_document_bytes(&self) -> u64 {
        self.max_document_mb
            .unwrap_or(DEFAULT_MAX_DOCUMENT_MB)
            .saturating_mul(1024 * 1024)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConfig {
    #[serde(default = "default_workers")]
    pub workers: usize,
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// How often the background sync (desktop app, `kyso sync --watch`) looks for statuses,
    /// inbox documents and a reachable exchange.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
    /// A document whose timestamp is due is not sent until it has it (and says why);
    /// false: it is sent at the level it has when its timestamp cannot be had.
    #[serde(default)]
    pub require_timestamp: bool,
}

fn default_workers() -> usize {
    4
}
fn default_backoff_base_ms() -> u64 {
    1000
}
fn default_backoff_max_ms() -> u64 {
    300_000
}
/// Provincial platforms are polled every few minutes (docs/domain.md §4); two is a compromise
/// between news arriving soon and a laptop's battery.
fn default_poll_seconds() -> u64 {
    120
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            workers: default_workers(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            poll_seconds: default_poll_seconds(),
            require_timestamp: false,
        }
    }
}

impl SyncConfig {
    pub fn backoff(&self) -> crate::engine::Backoff {
        crate::engine::Backoff {
            base: Duration::from_millis(self.backoff_base_ms.max(1)),
            max: Duration::from_millis(self.backoff_max_ms.max(self.backoff_base_ms.max(1))),
        }
    }
}

/// The keys `kyso config set` accepts, as the user writes them.
pub const KEYS: &[&str] = &[
    "exchange.url",
    "exchange.client-id",
    "exchange.dialect",
    "exchange.system-id",
    "exchange.username",
    "exchange.application-code",
    "exchange.attachment-encoding",
    "exchange.max-document-mb",
    "sync.workers",
    "sync.backoff-base-ms",
    "sync.backoff-max-ms",
    "sync.poll-seconds",
    "sync.require-timestamp",
];

impl Config {
    /// Reads the configuration; a missing file is the default configuration.
    pub fn load(home: &Path) -> Result<Config, SyncError> {
        let file = ConfigFile::load(home)?;
        Ok(Config {
            exchange: file.section(home, "exchange")?,
            sync: file.section(home, "sync")?,
        })
    }

    /// Writes the configuration atomically (temp file, fsync, rename), keeping the file's
    /// other sections.
    pub fn save(&self, home: &Path) -> Result<(), SyncError> {
        let mut file = ConfigFile::load(home)?;
        file.set_section("exchange", &self.exchange);
        file.set_section("sync", &self.sync);
        Ok(file.save(home)?)
    }

    /// Sets one key ([`KEYS`]) from its text value, checking it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SyncError> {
        let invalid = |detail: String| SyncError::Config {
            path: key.to_string(),
            detail,
        };
        let number = |value: &str| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| invalid(format!("\"{value}\" is not a whole number")))
        };
        match key {
            "exchange.url" => {
                self.exchange.url = Some(crate::client::check_url(value)?);
            }
            "exchange.client-id" => {
                if value.trim().is_empty() {
                    return Err(invalid("the client id is empty".into()));
                }
                self.exchange.client_id = Some(value.trim().to_string());
            }
            "exchange.dialect" => {
                let dialect = Dialect::parse(value).ok_or_else(|| {
                    invalid(format!(
                        "\"{value}\" is not a dialect: kyso, vdxp or lgsp-v1"
                    ))
                })?;
                self.exchange.dialect = Some(dialect);
            }
            "exchange.system-id" => {
                let id = value.trim();
                if !crate::meta::is_organ_id(id) {
                    return Err(invalid(format!(
                        "\"{id}\" is not an agency code (e.g. 000.00.00.H55)"
                    )));
                }
                self.exchange.system_id = Some(id.to_string());
            }
            "exchange.username" | "exchange.application-code" => {
                let text = value.trim();
                if text.is_empty() {
                    return Err(invalid("the value is empty".into()));
                }
                match key {
                    "exchange.username" => self.exchange.username = Some(text.to_string()),
                    _ => self.exchange.application_code = Some(text.to_string()),
                }
            }
            "exchange.attachment-encoding" => {
                self.exchange.attachment_encoding =
                    Some(AttachmentEncoding::parse(value).ok_or_else(|| {
                        invalid(format!("\"{value}\" is not an encoding: pdf or zip"))
                    })?);
            }
            "exchange.max-document-mb" => {
                self.exchange.max_document_mb = Some(number(value)?.clamp(1, 4096));
            }
            "sync.workers" => self.sync.workers = number(value)?.clamp(1, 32) as usize,
            "sync.backoff-base-ms" => self.sync.backoff_base_ms = number(value)?.max(1),
            "sync.backoff-max-ms" => self.sync.backoff_max_ms = number(value)?.max(1),
            "sync.poll-seconds" => self.sync.poll_seconds = number(value)?.clamp(1, 86_400),
            "sync.require-timestamp" => {
                self.sync.require_timestamp = match value.trim() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" => false,
                    other => return Err(invalid(format!("\"{other}\" is not true or false"))),
                }
            }
            other => {
                return Err(invalid(format!(
                    "unknown setting \"{other}\"; known: {}",
                    KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The exchange's address and the account whose secret the keychain holds (the client id
    /// in the kyso dialect, the system id in the others), or a clear error naming the missing
    /// setting.
    pub fn exchange(&self) -> Result<(&str, &str), SyncError> {
        let Some(url) = &self.exchange.url else {
            return Err(SyncError::NotConfigured);
        };
        match self.exchange.dialect() {
            Dialect::Kyso => match &self.exchange.client_id {
                Some(id) => Ok((url, id)),
                None => Err(SyncError::NotConfigured),
            },
            Dialect::Vdxp | Dialect::LgspV1 => match &self.exchange.system_id {
                Some(id) => Ok((url, id)),
                None => Err(SyncError::SettingMissing {
                    key: "exchange.system-id",
                }),
            },
        }
    }

    /// lgsp-v1's user name, or the error naming the setting.
    pub fn username(&self) -> Result<&str, SyncError> {
        self.exchange
            .username
            .as_deref()
            .ok_or(SyncError::SettingMissing {
                key: "exchange.username",
            })
    }
}

/// The keychain account holding the secret of `account` (client id or system id) at `url`.
pub fn secret_account(url: &str, account: &str) -> String {
    format!("exchange:{account}@{url}")
}

/// The keychain account holding lgsp-v1's password of `username` at `url`.
pub fn password_account(url: &str, username: &str) -> String {
    format!("exchange-password:{username}@{url}")
}

/// Stores the secret in the OS keychain (never on disk).
pub fn store_secret(url: &str, account: &str, secret: &str) -> Result<(), SyncError> {
    Ok(kyso_keys::keychain::store_secret(
        &secret_account(url, account),
        secret,
    )?)
}

/// Stores lgsp-v1's password in the OS keychain.
pub fn store_password(url: &str, username: &str, password: &str) -> Result<(), SyncError> {
    Ok(kyso_keys::keychain::store_secret(
        &password_account(url, username),
        password,
    )?)
}

/// The configured exchange in its dialect, with its secrets from the keychain.
pub fn connect(config: &Config) -> Result<Box<dyn Transport>, SyncError> {
    let (url, account) = config.exchange()?;
    let secret =
        kyso_keys::keychain::load_secret(&secret_account(url, account))?.ok_or_else(|| {
            SyncError::NotLoggedIn {
                client_id: account.to_string(),
            }
        })?;
    let password = match config.exchange.dialect() {
        Dialect::LgspV1 => {
            let username = config.username()?;
            Some(
                kyso_keys::keychain::load_secret(&password_account(url, username))?.ok_or_else(
                    || SyncError::PasswordMissing {
                        username: username.to_string(),
                    },
                )?,
            )
        }
        _ => None,
    };
    transport_with(config, secret, password)
}

/// The configured exchange with the secrets given (`kyso login` checks them with it before
/// keeping them). lgsp-v1 needs the password.
pub fn transport_with(
    config: &Config,
    secret: Zeroizing<String>,
    password: Option<Zeroizing<String>>,
) -> Result<Box<dyn Transport>, SyncError> {
    let (url, account) = config.exchange()?;
    let exchange = &config.exchange;
    Ok(match exchange.dialect() {
        Dialect::Kyso => Box::new(crate::client::ExchangeClient::new(url, account, secret)?),
        Dialect::Vdxp => Box::new(crate::vdxp::VdxpClient::new(
            url,
            account,
            secret,
            exchange.attachment_encoding(),
            exchange.max_document_bytes(),
        )?),
        Dialect::LgspV1 => {
            let username = config.username()?;
            let password = password.ok_or_else(|| SyncError::PasswordMissing {
                username: username.to_string(),
            })?;
            Box::new(crate::lgsp_v1::LgspClient::new(
                url,
                crate::lgsp_v1::LgspCredentials {
                    system_id: account.to_string(),
                    secret_key: secret,
                    username: username.to_string(),
                    password,
                    application_code: exchange.application_code.clone().unwrap_or_default(),
                },
                exchange.attachment_encoding(),
                exchange.max_document_bytes(),
            )?)
        }
    })
}
