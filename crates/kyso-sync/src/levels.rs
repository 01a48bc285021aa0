//! Raising documents to their target level when the PC is online (ETSI EN 319 142-1 §6):
//! a document signed offline is B-B with "timestamp due"; before the sync sends it, it gets
//! its document timestamp (and, for B-LT and B-LTA, its validation data) through
//! [`kyso_core::upgrade`].
//!
//! Exactly once still holds (docs/architecture.md principle 8): a queued document changes only
//! while the exchange cannot have seen its message (no send attempted), and then its new
//! bytes, its edXML message and a new idempotency key replace the old ones in one
//! transaction. A crash before that transaction leaves the entry as it was, still due; the
//! raised file, already in the content-addressed store, is simply made again next time.
//!
//! Signed files on the user's disk that are due ([`Store::timestamps_due`]) are raised in
//! place after the outbox — the same bytes as the sent copy when they are the same document
//! — but only while they are still the file that was signed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kyso_core::Level;
use kyso_core::sign::Shortfall;
use kyso_core::upgrade::{UpgradeContext, UpgradeOutcome, upgrade_file};
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::SyncError;
use crate::store::{DueFile, OutboxEntry, Store};

/// What the sync needs to raise levels.
pub struct Upgrades {
    /// The TSAs, the revocation fetcher, the trust store; None when they could not be set
    /// up, and `problem` says why.
    pub context: Option<UpgradeContext>,
    pub problem: Option<Shortfall>,
    /// `sync.require-timestamp`: a document below its target level is not sent.
    pub require_timestamp: bool,
    /// The TSAs could not be reached (or timed out, or limit requests) during this run: the
    /// other due documents are not made to wait for them again, each for the whole timeout.
    unavailable: Mutex<Option<Shortfall>>,
}

impl std::fmt::Debug for Upgrades {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgrades")
            .field(
                "timestamper",
                &self.context.as_ref().map(|c| c.timestamper.is_some()),
            )
            .field("problem", &self.problem)
            .field("require_timestamp", &self.require_timestamp)
            .finish()
    }
}

impl Upgrades {
    /// What one run can do: raise with `context` (None: `problem` says why not).
    pub fn new(
        context: Option<UpgradeContext>,
        problem: Option<Shortfall>,
        require_timestamp: bool,
    ) -> Upgrades {
        Upgrades {
            context,
            problem,
            require_timestamp,
            unavailable: Mutex::new(None),
        }
    }

    /// Upgrades `input` into `output` at `target`, unless the TSAs were found unavailable
    /// earlier in this run; a failure that says they are is remembered.
    fn upgrade(
        &self,
        input: &Path,
        output: &Path,
        target: Level,
    ) -> Result<UpgradeOutcome, Shortfall> {
        if let Some(down) = self.unavailable.lock().ok().and_then(|u| u.clone()) {
            return Err(down);
        }
        let Some(context) = &self.context else {
            return Err(self.problem.clone().unwrap_or_else(not_configured));
        };
        upgrade_file(input, output, target, context).map_err(|e| {
            let s = shortfall(&e, self);
            if matches!(
                s.code.as_str(),
                "TSA_UNREACHABLE" | "TSA_TIMEOUT" | "TSA_RATE_LIMITED"
            ) && let Ok(mut u) = self.unavailable.lock()
            {
                *u = Some(s.clone());
            }
            s
        })
    }
    /// Whether a TSA is set up: without one, a due document cannot be raised and is sent
    /// as it is (or waits, with `sync.require-timestamp`, saying why).
    pub fn can_timestamp(&self) -> bool {
        self.context
            .as_ref()
            .is_some_and(|c| c.timestamper.is_some())
    }

    /// From the settings of `home` (`[tsa]`, the trust store, `sync.require-timestamp`).
    pub fn from_settings(home: &Path, require_timestamp: bool) -> Arc<Upgrades> {
        let (context, problem) = match UpgradeContext::from_settings(home, &[], |_| {}) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(Shortfall::from(&e))),
        };
        Arc::new(Upgrades::new(context, problem, require_timestamp))
    }
}

/// Records in the store of `home` each signed file below its target level (a timestamp is
/// due), as `kyso sign` and the desktop app leave them.
pub fn record_due(home: &Path, outcomes: &[kyso_core::SignOutcome]) -> Result<(), SyncError> {
    let short: Vec<&kyso_core::SignOutcome> = outcomes
        .iter()
        .filter(|o| o.level < o.target_level)
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    let mut store = Store::open(home)?;
    for o in short {
        let error = o
            .shortfall
            .as_ref()
            .map(|s| (s.code.as_str(), s.message.as_str()));
        store.record_timestamp_due(
            &o.output,
            &o.output_sha256_hex,
            o.level,
            o.target_level,
            error,
            OffsetDateTime::now_utc(),
        )?;
    }
    Ok(())
}

/// What happened to one document's level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Raise {
    /// Raised to `level` (possibly still below the target, when a step was not possible).
    Raised { level: Option<Level> },
    /// Not raised: why.
    Failed { code: String, message: String },
    /// The exchange may have the message already: sent as it is.
    Frozen,
}

/// Raises a queued entry that is due; returns the entry as it now stands and what happened.
pub(crate) fn raise_entry(
    store: &mut Store,
    upgrades: &Upgrades,
    entry: &OutboxEntry,
    now: OffsetDateTime,
) -> Result<(OutboxEntry, Raise), SyncError> {
    if entry.send_attempted {
        return Ok((entry.clone(), Raise::Frozen));
    }
    let target = entry.target_level.unwrap_or(Level::Bt);
    let input = store.files().path_of(&entry.document_sha256);
    let made = store
        .files()
        .tmp_dir()?
        .join(format!("{}.pdf", uuid::Uuid::new_v4()));
    let upgraded = upgrades.upgrade(&input, &made, target);
    let raise = match upgraded {
        Err(s) => {
            let _ = std::fs::remove_file(&made);
            Raise::Failed {
                code: s.code,
                message: s.message,
            }
        }
        Ok(outcome) => {
            let stored = store.files().adopt(&made, &outcome.output_sha256_hex)?;
            if store.replace_document(entry.id, &stored, outcome.after, now)? {
                copy_to_due_files(
                    store,
                    &entry.document_sha256,
                    &stored.path,
                    outcome.after,
                    now,
                )?;
                Raise::Raised {
                    level: outcome.after,
                }
            } else {
                Raise::Frozen
            }
        }
    };
    if let Raise::Failed { code, message } = &raise {
        let retry = upgrades
            .require_timestamp
            .then(|| now + time::Duration::seconds(RETRY_SECONDS));
        store.record_level_failure(entry.id, code, message, retry, now)?;
    }
    Ok((store.outbox_entry(entry.id)?, raise))
}

/// With `sync.require-timestamp`, a document whose timestamp could not be had is tried
/// again after this long.
const RETRY_SECONDS: i64 = 60;

fn not_configured() -> Shortfall {
    Shortfall::from(&kyso_core::timestamp::TsaFailure::NotConfigured)
}

/// The failure of an upgrade; "no TSA" is explained by the set-up problem when there was one.
fn shortfall(e: &kyso_core::Error, upgrades: &Upgrades) -> Shortfall {
    match (&upgrades.problem, e.code()) {
        (Some(problem), "TSA_NOT_CONFIGURED") => problem.clone(),
        _ => Shortfall::from(e),
    }
}

/// One signed file raised in place (or not), for the sync report.
#[derive(Debug, Clone, Serialize)]
pub struct FileRaise {
    pub path: PathBuf,
    #[serde(flatten)]
    pub raise: Raise,
}

/// Raises the signed files on disk that are due, in place; a file that is gone, or no
/// longer the file that was signed, is forgotten.
pub fn raise_due_files(
    store: &mut Store,
    upgrades: &Upgrades,
    now: OffsetDateTime,
) -> Result<Vec<FileRaise>, SyncError> {
    let mut done = Vec::new();
    for due in store.timestamps_due()? {
        if !still_signed_file(&due) {
            store.clear_timestamp_due(&due.path)?;
            continue;
        }
        let result = upgrades.upgrade(&due.path, &due.path, due.target_level);
        let raise = match result {
            Ok(outcome) => {
                record_file_level(
                    store,
                    &due,
                    &outcome.output_sha256_hex,
                    outcome.after,
                    None,
                    now,
                )?;
                Raise::Raised {
                    level: outcome.after,
                }
            }
            Err(s) => {
                let sha = due.sha256.clone();
                record_file_level(
                    store,
                    &due,
                    &sha,
                    due.level,
                    Some((&s.code, &s.message)),
                    now,
                )?;
                Raise::Failed {
                    code: s.code,
                    message: s.message,
                }
            }
        };
        done.push(FileRaise {
            path: due.path.clone(),
            raise,
        });
    }
    Ok(done)
}

/// After a file was raised (or failed to be): still due at its new level, or done.
fn record_file_level(
    store: &mut Store,
    due: &DueFile,
    sha256: &str,
    level: Option<Level>,
    error: Option<(&str, &str)>,
    now: OffsetDateTime,
) -> Result<(), SyncError> {
    match level {
        Some(l) if l < due.target_level => {
            store.record_timestamp_due(&due.path, sha256, l, due.target_level, error, now)
        }
        _ if error.is_some() => store.record_timestamp_due(
            &due.path,
            sha256,
            level.unwrap_or(Level::Bb),
            due.target_level,
            error,
            now,
        ),
        _ => store.clear_timestamp_due(&due.path),
    }
}

/// Whether the file at the due record's path still has the bytes that were signed.
fn still_signed_file(due: &DueFile) -> bool {
    sha256_of(&due.path).is_some_and(|sha| sha == due.sha256)
}

fn sha256_of(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(_) => return None,
        }
    }
    Some(hex::encode(hasher.finalize()))
}

/// The outbox copy of a document was raised: the user's signed file with the same bytes as
/// before gets the raised bytes too (written next to it, then renamed), so that the copy
/// kept and the copy sent are one document with one timestamp.
fn copy_to_due_files(
    store: &mut Store,
    old_sha256: &str,
    raised: &Path,
    level: Option<Level>,
    now: OffsetDateTime,
) -> Result<(), SyncError> {
    for due in store.timestamps_due()? {
        if due.sha256 != old_sha256 || !still_signed_file(&due) {
            continue;
        }
        if replace_with_copy(&due.path, raised).is_ok()
            && let Some(sha) = sha256_of(&due.path)
        {
            record_file_level(store, &due, &sha, level, None, now)?;
        }
    }
    Ok(())
}

/// Replaces `target` by a copy of `source`, atomically, keeping `target`'s permissions.
fn replace_with_copy(target: &Path, source: &Path) -> std::io::Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let permissions = std::fs::metadata(target)?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".kyso-")
        .suffix(".kyso-tmp")
        .tempfile_in(&dir)?;
    std::io::copy(&mut std::fs::File::open(source)?, tmp.as_file_mut())?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(())
}
