//! The background sync of the outbox (kyso_sync::Background), owned by the app: it starts
//! with the window, delivers whenever the exchange can be reached, and tells the window what
//! happened through the `sync-status` event; the tray's tooltip says the same, and a desktop
//! notification tells the official when a document is registered (03) or refused (02). No
//! sync logic here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;

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
        let seen: Mutex<Option<HashMap<i64, String>>> = Mutex::new(None);
        let (handle, shared) = (app.clone(), last.clone());
        let background = kyso_sync::Background::start(
            &kyso_keys::home::kyso_home(),
            Arc::new(kyso_sync::SystemClock),
            move |status: &kyso_sync::SyncStatus| {
                let dto = SyncStatusDto::from(status);
                if let Ok(mut slot) = shared.lock() {
                    *slot = Some(dto.clone());
                }
                if let Some(tray) = handle.tray_by_id("kyso") {
                    let _ = tray.set_tooltip(Some(format!(
                        "Kyso — {} · {} chờ gửi / queued",
                        dto.connection, dto.queued
                    )));
                }
                if let Ok(mut seen) = seen.lock() {
                    notify_news(&handle, &mut seen);
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

/// A desktop notification for each document whose newest status became 03 (registered) or
/// 02 (refused) since the last pass; the first pass only learns the statuses.
fn notify_news(app: &AppHandle, seen: &mut Option<HashMap<i64, String>>) {
    let Ok(outbox) = kyso_sync::Store::open(&kyso_keys::home::kyso_home()).and_then(|s| s.outbox())
    else {
        return;
    };
    let now: HashMap<i64, String> = outbox
        .iter()
        .filter_map(|e| e.status.as_ref().map(|s| (e.id, s.code.clone())))
        .collect();
    if let Some(before) = seen.as_ref() {
        for e in &outbox {
            let Some(status) = &e.status else { continue };
            if before.get(&e.id) == Some(&status.code) {
                continue;
            }
            let title = match status.code.as_str() {
                "03" => "Văn bản đã được tiếp nhận / Document registered",
                "02" => "Văn bản bị từ chối / Document refused",
                _ => continue,
            };
            let _ = app
                .notification()
                .builder()
                .title(title)
                .body(format!("{} — {}", e.attachment_name, status.description))
                .show();
        }
    }
    *seen = Some(now);
}
