//! The background sync of the outbox (kyso_sync::Background), owned by the app: it starts
//! with the window, delivers whenever the exchange can be reached, and tells the window what
//! happened through the `sync-status` event. No sync logic here.

use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Emitter};

use crate::dto::SyncStatusDto;

/// The name of the event the window listens to.
pub const STATUS_EVENT: &str = "sync-status";

/// Managed state: the running loop and the last status it reported.
pub struct SyncService {
    background: kyso_sync::Background,
    last: Arc<Mutex<Option<SyncStatusDto>>>,
}

impl SyncService {
    /// Starts the loop on the store under `KYSO_HOME`.
    pub fn start(app: &AppHandle) -> SyncService {
        let last = Arc::new(Mutex::new(None));
        let (handle, shared) = (app.clone(), last.clone());
        let background = kyso_sync::Background::start(
            &kyso_keys::home::kyso_home(),
            Arc::new(kyso_sync::SystemClock),
            move |status: &kyso_sync::SyncStatus| {
                let dto = SyncStatusDto::from(status);
                if let Ok(mut slot) = shared.lock() {
                    *slot = Some(dto.clone());
                }
                // The window may be gone while the app closes: nothing to tell then.
                let _ = handle.emit(STATUS_EVENT, dto);
            },
        );
        SyncService { background, last }
    }

    /// A pass now: a document was queued, or the user asked.
    pub fn wake(&self) {
        self.background.wake();
    }

    /// What the last pass reported (none yet right after start).
    pub fn last(&self) -> Option<SyncStatusDto> {
        self.last.lock().ok().and_then(|slot| slot.clone())
    }
}
