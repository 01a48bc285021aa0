//! kyso-sync: the local store (SQLite inbox and outbox, content-addressed files), edXML
//! packaging (QCVN 102:2016), the exchange clients of each dialect (docs/exchange-dialects.md)
//! and the sync engine. Offline first: a queued
//! document reaches the exchange exactly once, whatever crashes or drops in between
//! (docs/architecture.md principle 8).

pub mod background;
pub mod client;
pub mod config;
pub mod edxml;
pub mod engine;
pub mod error;
pub mod files;
pub mod levels;
pub mod lgsp_v1;
pub mod meta;
pub mod package;
pub mod protocol;
pub mod store;
pub mod transport;
pub mod vdxp;
pub mod zip;

pub use background::{Background, Connection, SyncStatus};
pub use client::ExchangeClient;
pub use config::Config;
pub use engine::{Backoff, Clock, SyncOptions, SyncReport, SystemClock};
pub use error::SyncError;
pub use levels::Upgrades;
pub use meta::{DocumentMeta, FieldProblem, Organ, ResponseFor, SignerInfo};
pub use store::{DueFile, InboxEntry, OutboxEntry, OutboxState, StatusOutboxEntry, Store};
pub use transport::{Dialect, Transport};
