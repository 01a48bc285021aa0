//! The sync engine running on its own: the desktop app and `kyso sync --watch` start one, and
//! it delivers the outbox whenever the exchange can be reached, without the official asking.
//!
//! Each pass reads the configuration and the keychain again (the user may log in or change the
//! address at any time), sends every due document ([`crate::engine::sync_once`]), polls the
//! statuses of sent ones and fetches the inbox. Then it sleeps until the earliest of: the next
//! retry that is due, the poll interval (`sync.poll-seconds`), or [`Background::wake`] (the user
//! queued a document, or pressed "sync now"). When the exchange cannot be reached it tries
//! again after the poll interval at the latest, so a PC that comes back online delivers within
//! that time.
//!
//! Every pass ends with a [`SyncStatus`] given to the caller's `notify`, which the desktop
//! turns into an event for the window.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::config::Config;
use crate::engine::{self, Clock, SyncOptions, SyncReport};
use crate::error::SyncError;
use crate::store::{OutboxState, Store, rfc3339};

/// Where the connection to the exchange stands after a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connection {
    /// No exchange address or client id is set.
    NotConfigured,
    /// The client secret is not in the keychain, or the exchange refused it.
    NotLoggedIn,
    /// The exchange could not be reached; documents wait in the outbox.
    Offline,
    /// The last pass reached the exchange.
    Online,
    /// Something else stopped the pass (the store, the keychain); see the error.
    Error,
    /// Another Kyso process (a `kyso sync`) is sending this outbox right now.
    Busy,
}

/// How soon to look again while another process holds the store's sync lock.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// What the last pass did, and what the outbox holds now.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub connection: Connection,
    /// The configured exchange, when there is one.
    pub exchange_url: Option<String>,
    /// RFC 3339, UTC.
    pub last_attempt: String,
    /// When a pass last reached the exchange (RFC 3339), if ever in this run.
    pub last_success: Option<String>,
    pub error_code: Option<String>,
    pub error: Option<String>,
    /// Documents delivered during the last pass.
    pub sent: usize,
    /// Documents that wait to be sent (including those waiting for a retry).
    pub queued: usize,
    /// Documents refused (02) or failed permanently: they wait for the user.
    pub needs_attention: usize,
    /// New inbox documents fetched by the last pass.
    pub inbox_added: usize,
    /// New statuses recorded by the last pass.
    pub statuses_added: usize,
}

#[derive(Debug, Default)]
struct Control {
    wake: bool,
    stop: bool,
}

struct Shared {
    control: Mutex<Control>,
    signal: Condvar,
}

impl Shared {
    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running background sync. Dropping it stops the thread (after its current pass).
pub struct Background {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// How the background loop paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The longest sleep between two passes (statuses and the inbox are polled this often).
    pub poll: Duration,
    /// The shortest sleep between two passes, so a burst of wake-ups costs one pass.
    pub min_gap: Duration,
}

impl Background {
    /// Starts the loop for the store under `home`. `notify` gets the status after every pass,
    /// on the loop's own thread.
    pub fn start(
        home: &Path,
        clock: Arc<dyn Clock>,
        notify: impl Fn(&SyncStatus) + Send + 'static,
    ) -> Background {
        let shared = Arc::new(Shared {
            control: Mutex::new(Control::default()),
            signal: Condvar::new(),
        });
        let loop_shared = shared.clone();
        let home = home.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("kyso-sync".into())
            .spawn(move || run(&home, &*clock, &loop_shared, &notify))
            .ok();
        Background { shared, thread }
    }

    /// Runs a pass now (or right after the current one).
    pub fn wake(&self) {
        self.shared.control().wake = true;
        self.shared.signal.notify_all();
    }

    /// Stops the loop and waits for its current pass to end.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.control().stop = true;
        self.shared.signal.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(home: &Path, clock: &dyn Clock, shared: &Shared, notify: &dyn Fn(&SyncStatus)) {
    let mut last_success = None;
    loop {
        shared.control().wake = false;
        let (status, pacing) = pass(home, clock, &mut last_success);
        notify(&status);
        let wait = match status.connection {
            // Each document that failed has its own retry time (backoff); the earliest one
            // wakes the loop.
            Connection::Online | Connection::Offline => next_wait(home, clock, pacing),
            // Nothing can be sent until the user acts (logs in, configures) or the store is
            // usable again: look again after the poll interval, or when woken.
            Connection::NotConfigured | Connection::NotLoggedIn | Connection::Error => pacing.poll,
            Connection::Busy => pacing.poll.min(BUSY_RETRY),
        };
        let mut control = shared.control();
        if !control.stop && !control.wake {
            control = shared
                .signal
                .wait_timeout_while(control, wait, |c| !c.stop && !c.wake)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        if control.stop {
            return;
        }
        drop(control);
        std::thread::sleep(pacing.min_gap);
    }
}

/// How long to sleep: until the earliest queued document is due, at most the poll interval.
fn next_wait(home: &Path, clock: &dyn Clock, pacing: Pacing) -> Duration {
    let due = Store::open(home)
        .and_then(|store| store.next_due())
        .ok()
        .flatten();
    match due {
        Some(at) => Duration::try_from(at - clock.now())
            .unwrap_or_default()
            .min(pacing.poll),
        None => pacing.poll,
    }
}

/// One pass: configuration, credentials, delivery and statuses, inbox.
fn pass(home: &Path, clock: &dyn Clock, last_success: &mut Option<String>) -> (SyncStatus, Pacing) {
    let now = rfc3339(clock.now());
    let config = Config::load(home).unwrap_or_default();
    let pacing = Pacing {
        poll: Duration::from_secs(config.sync.poll_seconds.max(1)),
        min_gap: Duration::from_millis(200),
    };
    let mut status = SyncStatus {
        connection: Connection::Online,
        exchange_url: config.exchange.url.clone(),
        last_attempt: now.clone(),
        last_success: last_success.clone(),
        error_code: None,
        error: None,
        sent: 0,
        queued: 0,
        needs_attention: 0,
        inbox_added: 0,
        statuses_added: 0,
    };
    match deliver_and_fetch(home, &config, clock) {
        Ok((report, inbox_added)) => {
            status.sent = report.sent;
            status.statuses_added = report.statuses_added;
            status.inbox_added = inbox_added;
            // Every document failing with an unreachable exchange is a pass that did not
            // reach it, even though the pass itself "succeeded".
            let unreachable = report.sent == 0
                && report.deliveries.iter().any(|d| {
                    d.error_code.as_deref() == Some("EXCHANGE_UNREACHABLE")
                        && d.state == OutboxState::Queued
                });
            if unreachable {
                status.connection = Connection::Offline;
                status.error_code = Some("EXCHANGE_UNREACHABLE".into());
                status.error = report.deliveries.iter().find_map(|d| d.error.clone());
            } else {
                *last_success = Some(now);
                status.last_success = last_success.clone();
            }
        }
        Err(SyncError::Busy) => status.connection = Connection::Busy,
        Err(e) => {
            status.connection = match &e {
                SyncError::NotConfigured => Connection::NotConfigured,
                SyncError::NotLoggedIn { .. }
                | SyncError::InvalidClient
                | SyncError::LoginRefused
                | SyncError::PasswordMissing { .. } => Connection::NotLoggedIn,
                SyncError::SettingMissing { .. } => Connection::NotConfigured,
                e if e.is_transient() => Connection::Offline,
                _ => Connection::Error,
            };
            status.error_code = Some(e.code().to_string());
            status.error = Some(e.to_string());
        }
    }
    if let Ok(store) = Store::open(home) {
        let count = |state| store.count(state).unwrap_or(0);
        status.queued = count(OutboxState::Queued);
        status.needs_attention = count(OutboxState::Refused) + count(OutboxState::Failed);
    }
    (status, pacing)
}

fn deliver_and_fetch(
    home: &Path,
    config: &Config,
    clock: &dyn Clock,
) -> Result<(SyncReport, usize), SyncError> {
    let client = crate::config::connect(config)?;
    let client = client.as_ref();
    let options = SyncOptions {
        workers: config.sync.workers,
        backoff: config.sync.backoff(),
        seed: None,
        deadline: None,
        upgrades: Some(crate::levels::Upgrades::from_settings(
            home,
            config.sync.require_timestamp,
        )),
    };
    let mut report = engine::sync_once(home, client, &options, clock)?;
    let added = engine::fetch_inbox(home, client, clock)?;
    // The 01 "đã đến" of what just arrived leaves now, not at the next pass.
    if !added.is_empty() {
        let statuses = engine::deliver_statuses(home, client, &options, clock)?;
        report.statuses_sent += statuses.statuses_sent;
    }
    Ok((report, added.len()))
}
