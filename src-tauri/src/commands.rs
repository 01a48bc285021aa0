//! Tauri commands: DTO in, one kyso-core or kyso-sync call, DTO out. No signing logic here.
//! This module holds the app's own commands (its version, the files the user picks, open
//! and show in folder) and what every command module shares; the screens' commands are in
//! [`crate::signing`], [`crate::verifying`], [`crate::mailbox`], [`crate::identities`],
//! [`crate::settings`] and [`crate::clerk`].

use std::path::Path;
use std::sync::Arc;

use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::dto::{DocumentDto, EngineInfo, ErrorDto, codes};
use crate::files::{self, Files, Kind};

/// The engine's version, for the header.
#[tauri::command]
pub fn engine_info() -> EngineInfo {
    EngineInfo {
        engine_version: kyso_core::VERSION.to_owned(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// Picks PDFs in the native dialog; they become the window's documents.
#[tauri::command]
pub async fn pick_documents(
    app: AppHandle,
    files: State<'_, Arc<Files>>,
) -> Result<Vec<DocumentDto>, ErrorDto> {
    let files = files.inner().clone();
    blocking(move || {
        Ok(files::pick(&app, &files, Kind::Pdfs)
            .iter()
            .map(|p| files::describe(p))
            .collect())
    })
    .await
}

/// Picks one file (or a folder) of a kind: `p12`, `image`, `certificate`, `folder`. Its
/// path, or None when the dialog was cancelled.
#[tauri::command]
pub async fn pick_path(
    app: AppHandle,
    kind: String,
    files: State<'_, Arc<Files>>,
) -> Result<Option<String>, ErrorDto> {
    let kind = Kind::parse(&kind)?;
    let files = files.inner().clone();
    blocking(move || {
        Ok(files::pick(&app, &files, kind)
            .first()
            .map(|p| p.display().to_string()))
    })
    .await
}

/// A chosen document, described again (after it changed: signed, stamped).
#[tauri::command]
pub async fn document_info(
    path: String,
    files: State<'_, Arc<Files>>,
) -> Result<DocumentDto, ErrorDto> {
    let path = files.check(&path)?;
    blocking(move || Ok(files::describe(&path))).await
}

/// Bytes `begin..end` of a chosen document, for the preview (pdf.js reads by ranges).
#[tauri::command]
pub async fn document_range(
    path: String,
    begin: u64,
    end: u64,
    files: State<'_, Arc<Files>>,
) -> Result<tauri::ipc::Response, ErrorDto> {
    let path = files.check(&path)?;
    let bytes = blocking(move || files::read_range(&path, begin, end)).await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Opens a chosen document with the computer's PDF reader.
#[tauri::command]
pub fn open_document(
    app: AppHandle,
    path: String,
    files: State<'_, Arc<Files>>,
) -> Result<(), ErrorDto> {
    let path = files.check(&path)?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| {
            ErrorDto::new(
                codes::INTERNAL,
                format!("cannot open {}: {e}", path.display()),
            )
        })
}

/// Shows a chosen document in its folder.
#[tauri::command]
pub fn reveal_document(
    app: AppHandle,
    path: String,
    files: State<'_, Arc<Files>>,
) -> Result<(), ErrorDto> {
    let path = files.check(&path)?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        ErrorDto::new(
            codes::INTERNAL,
            format!("cannot show {}: {e}", path.display()),
        )
    })
}

/// The sample document of the first run (assets/samples, made by
/// scripts/make-sample-document.py): a one-page decision signed by "Nguyễn Văn An".
const SAMPLE_PDF: &[u8] = include_bytes!("../../assets/samples/van-ban-mau.pdf");

/// "Thử với văn bản mẫu": the sample document, copied into `KYSO_HOME/samples/` (the user's
/// own copy to sign, never the app's), chosen and described.
#[tauri::command]
pub async fn sample_document(files: State<'_, Arc<Files>>) -> Result<DocumentDto, ErrorDto> {
    let files = files.inner().clone();
    blocking(move || {
        let dir = kyso_keys::home::kyso_home().join("samples");
        let path = dir.join("van-ban-mau.pdf");
        let unwritable = |e: std::io::Error| {
            ErrorDto::about_file(
                "OUTPUT_UNWRITABLE",
                &path,
                format!("{}: cannot write the sample document: {e}", path.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(unwritable)?;
        if std::fs::read(&path).ok().as_deref() != Some(SAMPLE_PDF) {
            let out = kyso_core::output::OutputFile::create_next_to(&path).map_err(unwritable)?;
            std::io::Write::write_all(&mut out.file(), SAMPLE_PDF).map_err(unwritable)?;
            out.commit().map_err(unwritable)?;
        }
        Ok(files::describe(&files.allow(&path)))
    })
    .await
}

/// Runs `work` off the UI thread.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ErrorDto> + Send + 'static,
) -> Result<T, ErrorDto> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ErrorDto::new(codes::INTERNAL, format!("background task failed: {e}")))?
}

/// `value`, or `DESKTOP_MISSING_FIELD` naming `what` when it is empty.
pub fn required<'a>(value: &'a str, what: &str) -> Result<&'a str, ErrorDto> {
    match value.trim() {
        "" => Err(ErrorDto::new(
            codes::MISSING_FIELD,
            format!("no {what} was given"),
        )),
        v => Ok(v),
    }
}

/// The trimmed value, None when empty.
pub fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether `path` names a PDF by its extension.
pub fn is_pdf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("pdf"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_info_reports_the_core_version() {
        assert_eq!(engine_info().engine_version, kyso_core::VERSION);
    }

    #[test]
    fn only_chosen_files_are_readable() {
        let dir = std::env::temp_dir().join(format!("kyso-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (chosen, other) = (dir.join("a.pdf"), dir.join("b.pdf"));
        std::fs::write(&chosen, b"%PDF-1.7\n").unwrap();
        std::fs::write(&other, b"%PDF-1.7\n").unwrap();
        let files = Files::default();
        files.allow(&chosen);
        assert!(files.check(&chosen.display().to_string()).is_ok());
        // Another name for the chosen file is the chosen file; another file is not.
        let dotted = dir.join(".").join("a.pdf");
        assert!(files.check(&dotted.display().to_string()).is_ok());
        let refused = files.check(&other.display().to_string()).unwrap_err();
        assert_eq!(refused.code, codes::FILE_NOT_CHOSEN);
        assert_eq!(files::read_range(&chosen, 0, 4).unwrap(), b"%PDF");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_fields_are_reported_with_a_code() {
        assert_eq!(
            required("  ", "input PDF").unwrap_err().code,
            codes::MISSING_FIELD
        );
        assert_eq!(non_empty(&Some("  x ".into())).as_deref(), Some("x"));
    }
}
