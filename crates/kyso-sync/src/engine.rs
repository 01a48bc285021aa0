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
//! Over a dialect without an idempotency key ([`Transport::resends_safely`] false), an attempt
//! records the SHA-256 of the body it sends and stays "awaiting an answer" until one is
//! recorded; before sending again, the engine asks the platform what it holds
//! ([`Transport::find_sent`]): found, its id is the receipt; not held, it is sent; unknown, the
//! entry waits for the user as "may have been sent" (`EXCHANGE_MAYBE_SENT`), never resent
//! silently (docs/decisions.md).
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

use crate::edxml::{self, StatusMessage};
use crate::error::SyncError;
use crate::levels::{FileRaise, Raise, Upgrades, raise_due_files, raise_entry};
use crate::meta::{DocumentMeta, Organ, ResponseFor};
use crate::store::{NewStatus, OutboxEntry, OutboxState, StatusOutboxEntry, Store};
use crate::transport::{
    Delivered, LastAttempt, Lookup, Outgoing, PackageKind, SentDocument, Transport,
};

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
    /// Statuses given to inbox documents and sent during the run.
    pub statuses_sent: usize,
    /// Statuses that failed permanently (waiting for the user).
    pub statuses_failed: usize,
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
    client: &dyn Transport,
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
    deliver_statuses_locked(home, client, options, clock, &mut rng, &mut report)?;
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
    client: &dyn Transport,
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
    deliver_statuses_locked(home, client, options, clock, &mut rng, &mut report)?;
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
    client: &dyn Transport,
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
            | SyncError::LoginRefused
            | SyncError::PasswordMissing { .. }
            | SyncError::SettingMissing { .. }
    )
}

fn worker(
    home: &Path,
    client: &dyn Transport,
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
        let outcome = deliver(&store, client, &entry, clock);
        let now = clock.now();
        let mut retried = false;
        match outcome {
            Ok(delivered) => store.record_delivered(entry.id, &delivered, now)?,
            Err(Failure { error, .. }) if is_fatal(&error) => {
                if let Ok(mut q) = queue.lock() {
                    q.clear();
                }
                return Err(error);
            }
            Err(Failure { error, answered }) if error.is_transient() => {
                let delay = options
                    .backoff
                    .delay(entry.attempts, retry_after(&error), &mut rng);
                store.record_transient_failure(entry.id, &error, now, now + delay, answered)?;
                retried = true;
            }
            Err(Failure { error, answered }) => {
                store.record_permanent_failure(entry.id, &error, now, answered)?
            }
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

/// A failed delivery: the error, and whether the platform answered the attempt sent (so it
/// does not hold it). False when the failure came before anything was sent: a lookup still
/// pending stays pending.
struct Failure {
    error: SyncError,
    answered: bool,
}

fn before_sending(error: SyncError) -> Failure {
    Failure {
        error,
        answered: false,
    }
}

fn retry_after(error: &SyncError) -> Option<u64> {
    match error {
        SyncError::Server { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// Sends one outbox entry or status: first, when an earlier attempt got no answer and the
/// dialect cannot resend safely, asks the platform whether it holds it; then makes the body,
/// records its hash (the attempt may now reach the platform), and sends it.
fn send_exactly_once(
    client: &dyn Transport,
    outgoing: &Outgoing<'_>,
    pending: Option<LastAttempt<'_>>,
    mark: impl FnOnce(&str) -> Result<(), SyncError>,
) -> Result<Delivered, Failure> {
    if let Some(last) = pending
        && !client.resends_safely()
    {
        match client.find_sent(outgoing, &last).map_err(before_sending)? {
            Lookup::Held(delivered) => return Ok(delivered),
            Lookup::NotHeld => {}
            Lookup::Unknown { reason } => {
                return Err(before_sending(SyncError::MaybeSent { reason }));
            }
        }
    }
    let prepared = client.prepare(outgoing).map_err(before_sending)?;
    mark(&prepared.sha256).map_err(before_sending)?;
    client.send(outgoing, &prepared).map_err(|error| Failure {
        answered: !error.outcome_unknown(),
        error,
    })
}

/// The last attempt of an entry still awaiting its answer.
fn pending_attempt(
    awaiting: bool,
    sha256: Option<&str>,
    at_ms: Option<i64>,
) -> Option<LastAttempt<'_>> {
    awaiting.then(|| LastAttempt {
        sha256,
        at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms.unwrap_or(0)) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    })
}

/// Sends the entry's stored document (for Kyso's protocol: uploads its blob, resuming, then
/// its stored edXML message).
fn deliver(
    store: &Store,
    client: &dyn Transport,
    entry: &OutboxEntry,
    clock: &dyn Clock,
) -> Result<Delivered, Failure> {
    let xml = store.edxml_of(entry.id).map_err(before_sending)?;
    let tmp_dir = store.files().tmp_dir().map_err(before_sending)?;
    let outgoing = Outgoing {
        kind: PackageKind::Document,
        key: &entry.idempotency_key,
        document_id: &entry.document_id,
        edxml: &xml,
        file: Some((&entry.document_sha256, entry.size)),
        inbox_server_id: None,
        files: store.files(),
        tmp_dir: &tmp_dir,
    };
    let pending = pending_attempt(
        entry.awaiting_answer,
        entry.wire_sha256.as_deref(),
        entry.attempted_at_ms,
    );
    send_exactly_once(client, &outgoing, pending, |sha256| {
        store.mark_attempt(entry.id, sha256, clock.now())
    })
}

/// Sends the due statuses given to inbox documents, one at a time (they are few), with the
/// store's sync lock held by the caller.
fn deliver_statuses_locked(
    home: &Path,
    client: &dyn Transport,
    options: &SyncOptions,
    clock: &dyn Clock,
    rng: &mut StdRng,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut store = Store::open(home)?;
    for status in store.due_statuses(clock.now())? {
        let outcome = deliver_status(&store, client, &status, clock);
        let now = clock.now();
        match outcome {
            Ok(delivered) => {
                store.record_status_delivered(status.id, &delivered, now)?;
                report.statuses_sent += 1;
            }
            Err(Failure { error, .. }) if is_fatal(&error) => return Err(error),
            Err(Failure { error, answered }) if error.is_transient() => {
                let delay = options
                    .backoff
                    .delay(status.attempts, retry_after(&error), rng);
                store.record_status_failure(status.id, &error, now, Some(now + delay), answered)?;
                report.retries += 1;
            }
            Err(Failure { error, answered }) => {
                store.record_status_failure(status.id, &error, now, None, answered)?;
                report.statuses_failed += 1;
            }
        }
    }
    Ok(())
}

fn deliver_status(
    store: &Store,
    client: &dyn Transport,
    status: &StatusOutboxEntry,
    clock: &dyn Clock,
) -> Result<Delivered, Failure> {
    let xml = store.status_xml(status.id).map_err(before_sending)?;
    let tmp_dir = store.files().tmp_dir().map_err(before_sending)?;
    let outgoing = Outgoing {
        kind: PackageKind::Status,
        key: &status.idempotency_key,
        document_id: &status.document_id,
        edxml: &xml,
        file: None,
        inbox_server_id: Some(&status.inbox_server_id),
        files: store.files(),
        tmp_dir: &tmp_dir,
    };
    let pending = pending_attempt(
        status.awaiting_answer,
        status.wire_sha256.as_deref(),
        status.attempted_at_ms,
    );
    send_exactly_once(client, &outgoing, pending, |sha256| {
        store.mark_status_attempt(status.id, sha256, clock.now())
    })
}

/// Sends the statuses given to inbox documents that are due (`kyso inbox fetch` and `kyso
/// inbox status` send them at once; a sync sends them too).
pub fn deliver_statuses(
    home: &Path,
    client: &dyn Transport,
    options: &SyncOptions,
    clock: &dyn Clock,
) -> Result<SyncReport, SyncError> {
    let store = Store::open(home)?;
    let _lock = SyncLock::acquire(store.dir())?;
    let mut rng = rng_of(options);
    let mut report = SyncReport::default();
    deliver_statuses_locked(home, client, options, clock, &mut rng, &mut report)?;
    Ok(report)
}

/// Asks the exchange for news of every sent document whose status may still change, and
/// records it; what a dialect asks to acknowledge is acknowledged once recorded (a crash in
/// between brings the same news again, which the history already holds). Transient failures
/// are skipped (the next run asks again).
fn poll_statuses(
    home: &Path,
    client: &dyn Transport,
    clock: &dyn Clock,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    poll(home, client, clock, None, false, report)
}

fn poll(
    home: &Path,
    client: &dyn Transport,
    clock: &dyn Clock,
    only: Option<i64>,
    strict: bool,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let mut store = Store::open(home)?;
    let mut awaiting = store.awaiting_status()?;
    if let Some(id) = only {
        awaiting.retain(|e| e.id == id);
    }
    let sent: Vec<SentDocument<'_>> = awaiting
        .iter()
        .filter_map(|entry| {
            entry.receipt_id.as_deref().map(|receipt_id| SentDocument {
                outbox_id: entry.id,
                receipt_id,
            })
        })
        .collect();
    let news = match client.poll_statuses(&sent) {
        Ok(news) => news,
        Err(e) if strict || is_fatal(&e) => return Err(e),
        Err(_) => return Ok(()),
    };
    for item in news {
        let outbox_id = match (item.outbox_id, &item.document_id) {
            (Some(id), _) => Some(id),
            (None, Some(document_id)) => store.sent_entry_for_document(document_id)?,
            (None, None) => None,
        };
        if let Some(id) = outbox_id {
            report.statuses_added += store.record_statuses(id, &item.statuses, clock.now())?;
        }
        if let Some(platform_id) = &item.acknowledge {
            match client.acknowledge(platform_id) {
                Ok(()) => {}
                Err(e) if is_fatal(&e) => return Err(e),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

/// Asks for news of sent documents now (`kyso status`; `only`: of this outbox entry, where the
/// dialect asks per document): the statuses recorded. Unlike a sync, a failure is the answer.
pub fn refresh_statuses(
    home: &Path,
    client: &dyn Transport,
    clock: &dyn Clock,
    only: Option<i64>,
) -> Result<usize, SyncError> {
    let mut report = SyncReport::default();
    poll(home, client, clock, only, true, &mut report)?;
    Ok(report.statuses_added)
}

/// Downloads the documents addressed to the user's organ that the store does not hold yet:
/// the edXML message and every attachment, so they can be read and signed offline; where the
/// dialect wants it, queues status 01 "đã đến" for each, in the same transaction, and then
/// acknowledges it to the platform (which stops listing it). Returns the new inbox ids.
pub fn fetch_inbox(
    home: &Path,
    client: &dyn Transport,
    clock: &dyn Clock,
) -> Result<Vec<i64>, SyncError> {
    let mut store = Store::open(home)?;
    let mut added = Vec::new();
    for item in client.inbox()? {
        if store.has_inbox(&item.server_id)? {
            // Stored before, and the acknowledgement may have been lost: again.
            acknowledge(client, &item.server_id)?;
            continue;
        }
        let fetched = match client.fetch(&item, store.files()) {
            Ok(fetched) => fetched,
            Err(e) if is_fatal(&e) || e.is_transient() => return Err(e),
            // A package Kyso cannot read stays on the platform, unacknowledged; the others
            // are not held up by it.
            Err(_) => continue,
        };
        let now = clock.now();
        let arrival = match client.sends_arrival_status() {
            true => Some(status_for(
                &fetched.message.meta,
                &fetched.message.document_id,
                "01",
                "Đã đến",
                None,
                None,
                now,
            )),
            false => None,
        };
        added.push(store.insert_inbox(
            &item.server_id,
            &item.received_at,
            &fetched.message.document_id,
            &fetched.message.meta,
            &fetched.xml,
            &fetched.attachments,
            arrival.as_ref(),
            now,
        )?);
        acknowledge(client, &item.server_id)?;
    }
    Ok(added)
}

/// Acknowledges a stored inbox package; a failure other than the credentials' is left for the
/// next fetch (the package is listed again and acknowledged then).
fn acknowledge(client: &dyn Transport, server_id: &str) -> Result<(), SyncError> {
    match client.acknowledge(server_id) {
        Err(e) if is_fatal(&e) => Err(e),
        _ => Ok(()),
    }
}

/// The status codes an official gives to a received document (docs/domain.md §4); 01 is
/// Kyso's on arrival.
pub const GIVEN_STATUS_CODES: [&str; 8] = ["02", "03", "04", "05", "06", "13", "15", "16"];

/// The words of a status code (docs/domain.md §4).
pub fn status_words(code: &str) -> &'static str {
    match code {
        "01" => "Đã đến",
        "02" => "Từ chối tiếp nhận",
        "03" => "Đã tiếp nhận",
        "04" => "Phân công",
        "05" => "Đang xử lý",
        "06" => "Hoàn thành",
        "13" => "Yêu cầu lấy lại",
        "15" => "Đồng ý lấy lại",
        "16" => "Từ chối lấy lại",
        _ => "",
    }
}

/// The status package answering the document with `meta` and `document_id`: `ResponseFor` names
/// it, `From` is the organ that received it (`ours` among its recipients, else the first).
fn status_for(
    meta: &DocumentMeta,
    document_id: &str,
    code: &str,
    description: &str,
    staff: Option<&str>,
    ours: Option<&str>,
    now: OffsetDateTime,
) -> NewStatus {
    let from = meta
        .to
        .iter()
        .find(|o| Some(o.organ_id.as_str()) == ours)
        .or_else(|| meta.to.first())
        .cloned()
        .unwrap_or_else(|| Organ {
            organ_id: ours.unwrap_or_default().to_string(),
            ..Organ::default()
        });
    let timestamp = edxml::package_timestamp(now);
    let message = StatusMessage {
        response_for: ResponseFor {
            organ_id: meta.from.organ_id.clone(),
            code: format!("{}/{}", meta.code_number, meta.code_notation),
            promulgation_date: meta.promulgation_date.clone(),
            document_id: document_id.to_string(),
        },
        from,
        status_code: code.to_string(),
        description: description.to_string(),
        timestamp: timestamp.clone(),
        staff: staff.map(str::to_string),
    };
    NewStatus {
        code: code.to_string(),
        description: description.to_string(),
        staff: staff.map(str::to_string),
        timestamp,
        xml: edxml::status_package_to_xml(&message).into_bytes(),
    }
}

/// Queues the official's status about inbox document `inbox_id` (03 registered, 02 refused with
/// its reason, …; [`GIVEN_STATUS_CODES`]). An empty description takes the code's words; 02 needs
/// the reason. `ours` is the organ's code, to name it among several recipients.
pub fn queue_status(
    store: &mut Store,
    inbox_id: i64,
    code: &str,
    description: Option<&str>,
    staff: Option<&str>,
    ours: Option<&str>,
    now: OffsetDateTime,
) -> Result<StatusOutboxEntry, SyncError> {
    let code = match code.trim() {
        c if c.len() == 1 && c.bytes().all(|b| b.is_ascii_digit()) => format!("0{c}"),
        c => c.to_string(),
    };
    if !GIVEN_STATUS_CODES.contains(&code.as_str()) {
        return Err(SyncError::StatusCode { code });
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if code == "02" && description.is_none() {
        return Err(SyncError::ReasonRequired);
    }
    let (entry, meta) = store.inbox_entry(inbox_id)?;
    let status = status_for(
        &meta,
        &entry.document_id,
        &code,
        description.unwrap_or(status_words(&code)),
        staff.map(str::trim).filter(|s| !s.is_empty()),
        ours,
        now,
    );
    store.queue_status(inbox_id, &status, now)
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
