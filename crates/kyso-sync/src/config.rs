//! The user's settings for the exchange and the sync engine, in `KYSO_HOME/config.toml`:
//!
//! ```toml
//! [exchange]
//! url = "https://lgsp.example.gov.vn"   # http:// only on loopback
//! client_id = "ubnd-xa-abc"
//!
//! [sync]
//! workers = 4              # documents sent at once
//! backoff_base_ms = 1000   # first retry delay; doubles per attempt, with jitter
//! backoff_max_ms = 300000  # never waits longer than this between tries
//! poll_seconds = 120       # background sync: statuses, inbox, a reachable exchange
//! require_timestamp = false  # true: a document below its level waits for its timestamp
//! ```
//!
//! The client secret is not here: it lives in the OS keychain ([`secret_account`]).

use std::path::Path;
use std::time::Duration;

use kyso_core::settings::ConfigFile;
use serde::{Deserialize, Serialize};

use crate::error::SyncError;

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

    /// The exchange's address and client id, or a clear error naming the missing setting.
    pub fn exchange(&self) -> Result<(&str, &str), SyncError> {
        match (&self.exchange.url, &self.exchange.client_id) {
            (Some(url), Some(id)) => Ok((url, id)),
            _ => Err(SyncError::NotConfigured),
        }
    }
}

/// The keychain account holding the client secret of `client_id` at `url`.
pub fn secret_account(url: &str, client_id: &str) -> String {
    format!("exchange:{client_id}@{url}")
}

/// Stores the client secret in the OS keychain (never on disk).
pub fn store_secret(url: &str, client_id: &str, secret: &str) -> Result<(), SyncError> {
    Ok(kyso_keys::keychain::store_secret(
        &secret_account(url, client_id),
        secret,
    )?)
}

/// A client for the configured exchange, with its secret from the keychain.
pub fn client(config: &Config) -> Result<crate::client::ExchangeClient, SyncError> {
    let (url, client_id) = config.exchange()?;
    let secret =
        kyso_keys::keychain::load_secret(&secret_account(url, client_id))?.ok_or_else(|| {
            SyncError::NotLoggedIn {
                client_id: client_id.to_string(),
            }
        })?;
    crate::client::ExchangeClient::new(url, client_id, secret)
}
