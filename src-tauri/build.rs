//! Declares the app's own commands once, so each needs an explicit grant in
//! capabilities/*.json (an undeclared command is unreachable from the webview).

use std::path::Path;

const DIST: &str = "../ui/dist";

fn main() {
    ensure_frontend_dist();
    let attrs =
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
            "engine_info",
            "pick_documents",
            "pick_path",
            "document_info",
            "document_range",
            "open_document",
            "reveal_document",
            "sample_document",
            "preview_signature",
            "sign_batch",
            "sign_cancel",
            "verify_document",
            "export_report",
            "outbox_list",
            "meta_defaults",
            "queue_document",
            "outbox_retry",
            "outbox_cancel",
            "sync_now",
            "sync_status",
            "inbox_list",
            "inbox_open",
            "reply_document",
            "identity_list",
            "identity_import",
            "identity_remove",
            "identity_set_default",
            "identity_export",
            "identity_add_token",
            "identity_lock",
            "token_diagnose",
            "settings_get",
            "settings_set",
            "exchange_login",
            "trust_list",
            "trust_add",
            "trust_remove",
            "stamp_document",
        ]));
    if let Err(e) = tauri_build::try_build(attrs) {
        // Build scripts report failures by panicking; say what to do first.
        panic!("tauri-build failed: {e:#}\n(hint: build the UI first: scripts/build-desktop.sh)");
    }
}

/// `generate_context!` refuses to compile without `ui/dist`. A shipping build
/// (feature `custom-protocol`) must have the real UI, so it fails with a hint;
/// any other build (`cargo test --workspace`, clippy on a fresh checkout) gets
/// a placeholder page instead of a compile error.
fn ensure_frontend_dist() {
    println!("cargo:rerun-if-changed={DIST}");
    const PLACEHOLDER: &str = "<!doctype html><meta charset=\"utf-8\"><title>Kyso</title>\
        <p>UI not built. Run <code>scripts/build-desktop.sh</code>.</p>\n";
    let dist = Path::new(DIST);
    let index = std::fs::read_to_string(dist.join("index.html")).ok();
    if std::env::var_os("CARGO_FEATURE_CUSTOM_PROTOCOL").is_some() {
        if index.is_none() || index.as_deref() == Some(PLACEHOLDER) {
            panic!("{DIST} holds no built UI: build it first (scripts/build-desktop.sh)");
        }
        return;
    }
    if index.is_some() {
        return;
    }
    let page = PLACEHOLDER;
    if let Err(e) =
        std::fs::create_dir_all(dist).and_then(|()| std::fs::write(dist.join("index.html"), page))
    {
        panic!("cannot create placeholder {DIST}/index.html: {e}");
    }
}
