//! Kyso desktop shell: a thin Tauri layer over kyso-core.
//!
//! Commands live in [`commands`], the data that crosses IPC in [`dto`].

pub mod commands;
pub mod dto;

#[cfg(test)]
mod bindings;

/// Build and run the app; returns when the last window closes.
pub fn run() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::engine_info,
            commands::suggest_output,
            commands::sign_pdf,
        ])
        .run(tauri::generate_context!())
}
