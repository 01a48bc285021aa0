//! Kyso desktop shell: a thin Tauri layer over kyso-core and kyso-sync.
//!
//! The screens' commands live in [`signing`], [`verifying`], [`mailbox`], [`identities`],
//! [`settings`] and [`clerk`]; the files the window may read in [`files`]; the data that
//! crosses IPC in [`dto`]; the background sync of the outbox in [`sync`]. The window's
//! close button hides it: the sync keeps running in the tray until "Thoát" (Quit).

pub mod clerk;
pub mod commands;
pub mod dto;
pub mod files;
pub mod identities;
pub mod mailbox;
pub mod settings;
pub mod signers;
pub mod signing;
pub mod sync;
pub mod verifying;

#[cfg(test)]
mod bindings;

use std::sync::Arc;

use tauri::Manager;

/// Build and run the app; returns when the user quits.
pub fn run() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            main_window(app)?;
            let service = sync::SyncService::start(app.handle());
            app.manage(service);
            app.manage(Arc::new(signers::OpenSigners::default()));
            app.manage(Arc::new(files::Files::default()));
            app.manage(Arc::new(signing::Batches::default()));
            if let Err(e) = tray(app) {
                // No system tray (a bare X server): the app works, closing quits it.
                eprintln!("kyso-desktop: no tray icon: {e}");
            }
            Ok(())
        })
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                let app = window.app_handle();
                if let Some(files) = app.try_state::<Arc<files::Files>>() {
                    files::dropped(app, &files, paths);
                }
            }
            tauri::WindowEvent::CloseRequested { api, .. } if app_has_tray(window.app_handle()) => {
                // The sync keeps running in the tray.
                api.prevent_close();
                let _ = window.hide();
            }
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::engine_info,
            commands::pick_documents,
            commands::pick_path,
            commands::document_info,
            commands::document_range,
            commands::open_document,
            commands::reveal_document,
            commands::sample_document,
            signing::preview_signature,
            signing::sign_batch,
            signing::sign_cancel,
            verifying::verify_document,
            verifying::export_report,
            mailbox::outbox_list,
            mailbox::meta_defaults,
            mailbox::queue_document,
            mailbox::outbox_retry,
            mailbox::outbox_cancel,
            mailbox::sync_now,
            mailbox::sync_status,
            mailbox::inbox_list,
            mailbox::inbox_open,
            mailbox::reply_document,
            identities::identity_list,
            identities::identity_import,
            identities::identity_remove,
            identities::identity_set_default,
            identities::identity_export,
            identities::identity_add_token,
            identities::identity_lock,
            identities::token_diagnose,
            settings::settings_get,
            settings::settings_set,
            settings::exchange_login,
            settings::trust_list,
            settings::trust_add,
            settings::trust_remove,
            clerk::stamp_document,
        ])
        .run(tauri::generate_context!())
}

/// The window. Made here rather than in tauri.conf.json so that the webview's own data (its
/// caches and storage) lives under `KYSO_HOME` with the rest of Kyso's state.
fn main_window(app: &mut tauri::App) -> tauri::Result<()> {
    tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
        .title("Kyso — Ký số")
        .inner_size(1240.0, 760.0)
        .min_inner_size(800.0, 560.0)
        .data_directory(kyso_keys::home::kyso_home().join("webview"))
        .build()?;
    Ok(())
}

/// Whether the tray icon was made (then closing the window only hides it).
fn app_has_tray<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> bool {
    app.tray_by_id(TRAY_ID).is_some()
}

const TRAY_ID: &str = "kyso";

/// The tray icon: the sync's state in its tooltip ([`sync`] updates it), and Open, Sync now,
/// Quit.
fn tray(app: &mut tauri::App) -> tauri::Result<()> {
    use tauri::menu::{Menu, MenuItem};
    use tauri::tray::TrayIconBuilder;
    let open = MenuItem::with_id(app, "open", "Mở Kyso / Open", true, None::<&str>)?;
    let sync_now = MenuItem::with_id(app, "sync", "Đồng bộ ngay / Sync now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Thoát / Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &sync_now, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Kyso")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.show();
                    let _ = w.set_focus();
                }
            }
            "sync" => {
                if let Some(s) = app.try_state::<sync::SyncService>() {
                    s.wake();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}
