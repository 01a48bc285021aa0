//! Kyso desktop shell: a thin Tauri layer over kyso-core.
//!
//! Commands live in [`commands`], the data that crosses IPC in [`dto`], the background sync
//! of the outbox in [`sync`].

pub mod commands;
pub mod dto;
pub mod signers;
pub mod sync;

#[cfg(test)]
mod bindings;

/// Build and run the app; returns when the last window closes.
pub fn run() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            use tauri::Manager;
            let service = sync::SyncService::start(app.handle());
            app.manage(service);
            app.manage(std::sync::Arc::new(signers::OpenSigners::default()));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::engine_info,
            commands::suggest_output,
            commands::sign_pdf,
            commands::identity_list,
            commands::identity_import,
            commands::identity_lock,
            commands::outbox_list,
            commands::meta_defaults,
            commands::queue_document,
            commands::outbox_retry,
            commands::sync_now,
            commands::sync_status,
        ])
        .run(tauri::generate_context!())
}
