//! The sync engine: delivers the outbox to the exchange, polls statuses, fetches the inbox.
//!
//! Exactly once, whatever crashes (docs/architecture.md principle 8):
//! - the idempotency key and the edXML body are fixed at queue time, in the same transaction as
//!   the outbox row, so every retry sends the same request and the exchange answers with the
//!   same receipt;
//! - blobs are content-addressed and resumable, so an upload cut at any byte continues;
//! - the receipt and the new state are written in one transaction; a `kill -9` before it means
//!   the next run asks again and gets the same receipt.
//!
//! Transient failures are retried with exponential backoff and full jitter, and `Retry-After` is
//! honoured; permanent failures wait for the user ([`SyncError::is_transient`]).

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;
use time::OffsetDateTime;

use kyso_core::Level;

use crate::client::ExchangeClient;
use crate::edxml;
use crate::error::SyncError;
use crate::levels::{FileRaise, Raise, Upgrades, raise_due_files, raise_entry};
use crate::meta::{DocumentMeta, ResponseFor};
use crate::store::{OutboxEntry, OutboxState, Store};

/// The time source (docs/architecture.md principle 6).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The computer's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Exponential backoff: the n-th retry waits a random time in [d/2, d] with
/// d = min(max, base · 2ⁿ) ("equal jitter"), or `Retry-After` when the server asks for longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, attempts: u32, retry_after: Option<u64>, rng: &mut impl Rng) -> Duration {
        let exponential = self
            .base
            .saturating_mul(1u32 << attempts.min(20))
            .min(self.max);
        let half = exponential / 2;
        let jitter = Duration::from_millis(rng.gen_range(0..=half.as_millis() as u64));
        let delay = half + jitter;
        match retry_after {
            Some(seconds) => delay.max(Duration::from_secs(seconds)),
            None => delay,
        }
    }
}

/// How a sync run behaves.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Documents sent at once.
    pub workers: usize,
    pub backoff: Backoff,
    /// Seed of the jitter; `None` draws one.
    pub seed: Option<u64>,
    /// `run_until_idle` gives up waiting after this long (`None`: until the outbox is empty).
    pub deadline: Option<Duration>,
    /// Raises documents whose timestamp is due before they are sent ([`crate::levels`]);
    /// None: documents are sent as they are.
    pub upgrades: Option<Arc<Upgrades>>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            workers: 4,
            backoff: crate::config::SyncConfig::default().backoff(),
            seed: None,
            deadline: None,
            upgrades: None,
        }
    }
}

/// What one outbox entry became during a run.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub attachment_name: String,
    pub state: OutboxState,
    pub receipt_id: Option<String>,
    pub error_code: Option<String>,
    pub error: Option<String>,
    /// The level it was sent at (or stands at, still queued).
    pub level: Option<Level>,
    /// Still below its target level.
    pub timestamp_due: bool,
    /// What raising its level did, when it was due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raise: Option<Raise>,
}

/// The outcome of a sync run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// Entries the exchange now holds (receipt stored, status 01 or later).
    pub sent: usize,
    /// Entries refused (02) with the exchange's reason.
    pub refused: usize,
    /// Entries failed permanently, waiting for the user.
    pub failed: usize,
    /// Entries still queued after the run (will be retried).
    pub queued: usize,
    /// Transient failures met and scheduled for retry.
    pub retries: usize,
    /// New statuses recorded for earlier documents.
    pub statuses_added: usize,
    /// Documents raised to a higher level before they were sent.
    pub raised: usize,
    /// Documents not sent because their timestamp is due (`sync.require-timestamp`).
    pub waiting_for_timestamp: usize,
    pub deliveries: Vec<Delivery>,
    /// Signed files on disk whose level was raised, or could not be.
    pub files: Vec<FileRaise>,
}

/// Holds the store's sync lock for as long as it lives: one sync at a time per store, across
/// processes (the OS releases it if the process dies).
pub struct SyncLock {
    _file: File,
}

impl SyncLock {
    pub fn acquire(store_dir: &Path) -> Result<SyncLock, SyncError> {
        let path = store_dir.join("sync.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| SyncError::store_io(path.clone(), e))?;
        match file.try_lock() {
            Ok(()) => Ok(SyncLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(SyncError::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(SyncError::store_io(path, e)),
        }
    }
}

/// One pass: every due outbox entry is tried once (with `options.workers` at a time), then
/// the statuses of sent documents are polled.
pub fn sync_once(
    home: &Path,
    client: &ExchangeClient,
    options: &SyncOptions,
    clock: &dyn Clock,
) -> Result<SyncReport, SyncError> {
    let store = Store::open(home)?;
    let _lock = SyncLock::acquire(store.dir())?;
    let mut rng = rng_of(options);
    let mut report = SyncReport::default();
    let mut waiting = Vec::new();
    deliver_due(
        home,
        &store,
        client,
        options,
        clock,
        &mut rng,
        &mut report,
        &mut waiting,
    )?;
    raise_files(home, options, clock, &mut report)?;
    poll_statuses(home, client, clock, &mut report)?;
    count_queued(&store, &mut report)?;
    Ok(report)
}

/// Raises the signed files on disk whose timestamp is due.
fn raise_files(
    home: &Path,
    options: &SyncOptions,
    clock: &dyn Clock,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    if let Some(upgrades) = &options.upgrades {
        let mut store = Store::open(home)?;
        report
            .files
            .extend(raise_due_files(&mut store, upgrades, clock.now())?);
    }
    Ok(())
}

/// Runs passes until no entry is queued, sleeping until the next one is due; then polls
/// statuses once. Stops early at `options.deadline`.
pub fn sync_until_idle(
    home: &Path,
    client: &ExchangeClient,
    options: &SyncOptions,
    clock: &dyn Clock,
    mut progress: impl FnMut(&SyncReport),
) -> Result<SyncReport, SyncError> {
    let store = Store::open(home)?;
    let _lock = SyncLock::acquire(store.dir())?;
    let started = std::time::Instant::now();
    let mut rng = rng_of(options);
    let mut report = SyncReport::default();
    // Entries waiting for their timestamp: not what this run waits for.
    let mut waiting = Vec::new();
    loop {
        deliver_due(
            home,
            &store,
            client,
            options,
            clock,
            &mut rng,
            &mut report,
            &mut waiting,
        )?;
        progress(&report);
        let Some(next) = store.next_due_except(&waiting)? else {
            break;
        };
        let wait = (next - clock.now()).max(time::Duration::ZERO);
        let wait = Duration::try_from(wait).unwrap_or_default();
        if let Some(deadline) = options.deadline
            && started.elapsed() + wait > deadline
        {
            break;
        }
        std::thread::sleep(wait.min(Duration::from_secs(60)));
    }
    raise_files(home, options, clock, &mut report)?;
    poll_statuses(home, client, clock, &mut report)?;
    count_queued(&store, &mut report)?;
    Ok(report)
}

fn rng_of(options: &SyncOptions) -> StdRng {
    match options.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_entropy(),
    }
}

fn count_queued(store: &Store, report: &mut SyncReport) -> Result<(), SyncError> {
    report.queued = store.count(OutboxState::Queued)?;
    Ok(())
}

/// Sends every due entry; workers share a queue and each has its own database connection.
/// An error that concerns the whole exchange (wrong credentials, no secret) stops the run.
/// Entries left waiting for their timestamp are added to `waiting`.
#[allow(clippy::too_many_arguments)]
fn deliver_due(
    home: &Path,
    store: &Store,
    client: &ExchangeClient,
    options: &SyncOptions,
    clock: &dyn Clock,
    rng: &mut StdRng,
    report: &mut SyncReport,
    waiting: &mut Vec<i64>,
) -> Result<(), SyncError> {
    let due: VecDeque<OutboxEntry> = store.due(clock.now())?.into();
    if due.is_empty() {
        return Ok(());
    }
    let workers = options.workers.clamp(1, due.len());
    let queue = Mutex::new(due);
    let seeds: Vec<u64> = (0..workers).map(|_| rng.r#gen()).collect();
    let results: Vec<Result<Vec<(Delivery, bool)>, SyncError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .into_iter()
            .map(|seed| {
                let queue = &queue;
                scope.spawn(move || worker(home, client, options, clock, seed, queue))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SyncError::BadAnswer {
                        detail: "a sync worker stopped unexpectedly".into(),
                    })
                })
            })
            .collect()
    });
    let mut fatal = None;
    for result in results {
        match result {
            Ok(deliveries) => {
                for (delivery, retried) in deliveries {
                    if matches!(delivery.raise, Some(Raise::Raised { .. })) {
                        report.raised += 1;
                    }
                    if delivery.state == OutboxState::Queued
                        && delivery.timestamp_due
                        && options
                            .upgrades
                            .as_ref()
                            .is_some_and(|u| u.require_timestamp)
                    {
                        report.waiting_for_timestamp += 1;
                        waiting.push(delivery.id);
                    }
                    match delivery.state {
                        OutboxState::Sent => report.sent += 1,
                        OutboxState::Refused => report.refused += 1,
                        OutboxState::Failed => report.failed += 1,
                        OutboxState::Queued => {}
                    }
                    if retried {
                        report.retries += 1;
                    }
                    report.deliveries.push(delivery);
                }
            }
            Err(e) => fatal = Some(e),
        }
    }
    match fatal {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Errors that concern every document: stop, and leave every entry as it is.
fn is_fatal(e: &SyncError) -> bool {
    matches!(
        e,
        SyncError::InvalidClient
            | SyncError::NotLoggedIn { .. }
            | SyncError::Keychain(_)
            | SyncError::NotConfigured
            | SyncError::InsecureUrl { .. }
            | SyncError::Database(_)
            | SyncError::DiskFull { .. }
    )
}

fn worker(
    home: &Path,
    client: &ExchangeClient,
    options: &SyncOptions,
    clock: &dyn Clock,
    seed: u64,
    queue: &Mutex<VecDeque<OutboxEntry>>,
) -> Result<Vec<(Delivery, bool)>, SyncError> {
    let mut store = Store::open(home)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut done = Vec::new();
    loop {
        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some(entry) = next else {
            return Ok(done);
        };
        // A document whose timestamp is due is raised first, while the exchange cannot
        // have its message; with `sync.require-timestamp` it waits until it has it.
        let mut raise = None;
        let mut entry = entry;
        if entry.timestamp_due
            && let Some(upgrades) = &options.upgrades
            && (upgrades.can_timestamp() || upgrades.require_timestamp)
        {
            let (raised, what) = raise_entry(&mut store, upgrades, &entry, clock.now())?;
            entry = raised;
            raise = Some(what);
            if entry.timestamp_due && upgrades.require_timestamp && !entry.send_attempted {
                done.push((delivery_of(entry, raise), false));
                continue;
            }
        }
        let outcome = deliver(&store, client, &entry);
        let now = clock.now();
        let mut retried = false;
        match outcome {
            Ok(receipt) => store.record_receipt(entry.id, &receipt, now)?,
            Err(e) if is_fatal(&e) => {
                if let Ok(mut q) = queue.lock() {
                    q.clear();
                }
                return Err(e);
            }
            Err(e) if e.is_transient() => {
                let retry_after = match &e {
                    SyncError::Server { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let delay = options.backoff.delay(entry.attempts, retry_after, &mut rng);
                store.record_transient_failure(entry.id, &e, now, now + delay)?;
                retried = true;
            }
            Err(e) => store.record_permanent_failure(entry.id, &e, now)?,
        }
        let after = store.outbox_entry(entry.id)?;
        done.push((delivery_of(after, raise), retried));
    }
}

fn delivery_of(entry: OutboxEntry, raise: Option<Raise>) -> Delivery {
    // Waiting for a timestamp, the reason is the level's.
    let waiting = entry.state == OutboxState::Queued && entry.timestamp_due;
    let (error_code, error) = match (waiting, &entry.level_error_code) {
        (true, Some(_)) => (entry.level_error_code, entry.level_error),
        _ => (entry.last_error_code, entry.last_error),
    };
    Delivery {
        id: entry.id,
        attachment_name: entry.attachment_name,
        state: entry.state,
        receipt_id: entry.receipt_id,
        error_code,
        error,
        level: entry.level,
        timestamp_due: entry.timestamp_due,
        raise,
    }
}

/// Uploads the entry's file (resuming), then sends its stored edXML message.
fn deliver(
    store: &Store,
    client: &ExchangeClient,
    entry: &OutboxEntry,
) -> Result<crate::protocol::Receipt, SyncError> {
    client.upload_blob(store.files(), &entry.document_sha256, entry.size)?;
    let xml = store.edxml_of(entry.id)?;
    store.mark_send_attempted(entry.id)?;
    client.send_document(&entry.idempotency_key, &xml)
}

/// Asks the exchange for news of every sent document whose status may still change.
/// Transient failures are skipped (the next run asks again).
fn poll_statuses(
    home: &Path,
    client: &ExchangeClient,
    clock: &dyn Clock,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut store = Store::open(home)?;
    for entry in store.awaiting_status()? {
        let Some(receipt_id) = &entry.receipt_id else {
            continue;
        };
        match client.status(receipt_id) {
            Ok(history) => {
                report.statuses_added +=
                    store.record_statuses(entry.id, &history.history, clock.now())?;
            }
            Err(e) if is_fatal(&e) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(())
}

/// Downloads the documents addressed to the user's organ that the store does not hold yet:
/// the edXML message and every attachment, so they can be read and signed offline. Returns the
/// new inbox ids.
pub fn fetch_inbox(
    home: &Path,
    client: &ExchangeClient,
    clock: &dyn Clock,
) -> Result<Vec<i64>, SyncError> {
    let mut store = Store::open(home)?;
    let mut added = Vec::new();
    for item in client.inbox()?.items {
        if store.has_inbox(&item.inbox_id)? {
            continue;
        }
        let xml = client.inbox_edxml(&item.inbox_id)?;
        let message = edxml::parse(&xml)?;
        let mut attachments = Vec::new();
        for attachment in &item.attachments {
            let stored = match store.files().path_of(&attachment.sha256).exists() {
                true => crate::files::StoredFile {
                    sha256: attachment.sha256.clone(),
                    size: attachment.size,
                    path: store.files().path_of(&attachment.sha256),
                },
                false => client.download_blob(&attachment.sha256, store.files())?,
            };
            attachments.push((attachment.name.clone(), stored));
        }
        added.push(store.insert_inbox(&item, &message.meta, &xml, &attachments, clock.now())?);
    }
    Ok(added)
}

/// Queues `signed` as the reply to inbox document `inbox_id`: `ResponseFor` names the answered
/// document, and the reply goes to its sender unless `meta` says otherwise.
pub fn queue_reply(
    store: &mut Store,
    inbox_id: i64,
    signed: &Path,
    meta: DocumentMeta,
    now: OffsetDateTime,
) -> Result<OutboxEntry, SyncError> {
    let (entry, answered) = store.inbox_entry(inbox_id)?;
    let mut meta = meta;
    if meta.to.is_empty() {
        meta.to = vec![answered.from.clone()];
    }
    meta.response_for = Some(ResponseFor {
        organ_id: answered.from.organ_id.clone(),
        code: format!("{}/{}", answered.code_number, answered.code_notation),
        promulgation_date: answered.promulgation_date.clone(),
        document_id: entry.document_id.clone(),
    });
    store.queue(signed, &meta, now, Some(inbox_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_honours_retry_after() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for attempts in 0..8u32 {
            let full = (100u64 << attempts).min(2000);
            let d = backoff.delay(attempts, None, &mut rng).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "attempt {attempts}: {d} ms");
        }
        assert_eq!(
            backoff.delay(0, Some(5), &mut rng),
            Duration::from_secs(5),
            "Retry-After wins when longer"
        );
    }
}
