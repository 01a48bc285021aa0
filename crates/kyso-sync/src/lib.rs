//! kyso-sync: the local store (SQLite inbox and outbox, content-addressed files), edXML
//! packaging (QCVN 102:2016), the exchange client and the sync engine. Offline first: a queued
//! document reaches the exchange exactly once, whatever crashes or drops in between
//! (ARCHITECTURE principle 8).

pub mod edxml;
pub mod meta;
pub mod protocol;

pub use meta::{DocumentMeta, FieldProblem, Organ, ResponseFor, SignerInfo};
