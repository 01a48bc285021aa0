//! The files the window may use: only those the user picked in a dialog or dropped on the
//! window, and what Kyso made from them (signed copies, inbox attachments opened). The
//! webview never names an arbitrary path: commands that read a file check it here first, so
//! a page that went wrong (a hostile PDF in pdf.js) cannot read the disk.
//!
//! Dialogs are native and opened from Rust. WebDriver cannot drive them, so the end-to-end
//! tests answer them instead: with `KYSO_TEST_DIALOGS=DIR`, a pick reads the paths in
//! `DIR/pick` (one per line, the file removed once read; empty: cancelled) and a save reads
//! `DIR/save`. The variable is the test's, set where the app is started; nothing in the
//! window can set it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::dto::{DocumentDto, ErrorDto, codes};

/// The event a drop on the window sends to it: the PDFs dropped, described.
pub const DROPPED_EVENT: &str = "documents-dropped";

/// Paths the user chose, canonical.
#[derive(Default)]
pub struct Files {
    allowed: Mutex<HashSet<PathBuf>>,
}

impl Files {
    /// Allows `path` (and returns its canonical form).
    pub fn allow(&self, path: &Path) -> PathBuf {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Ok(mut allowed) = self.allowed.lock() {
            allowed.insert(canonical.clone());
        }
        canonical
    }

    /// `path` if the user chose it, else `FILE_NOT_CHOSEN`.
    pub fn check(&self, path: &str) -> Result<PathBuf, ErrorDto> {
        let given = Path::new(path);
        let canonical = given.canonicalize().map_err(|e| {
            ErrorDto::about_file(
                "INPUT_UNREADABLE",
                given,
                format!("{path}: cannot read the file: {e}"),
            )
        })?;
        let known = self
            .allowed
            .lock()
            .map(|a| a.contains(&canonical))
            .unwrap_or(false);
        if known {
            Ok(canonical)
        } else {
            Err(ErrorDto::about_file(
                codes::FILE_NOT_CHOSEN,
                given,
                format!(
                    "{path}: this file was not chosen in Kyso (pick it or drop it on the window)"
                ),
            ))
        }
    }
}

/// What a dialog is for: its filters and title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pdfs,
    P12,
    Image,
    Certificate,
    Folder,
    Json,
    Pdf,
}

impl Kind {
    pub fn parse(name: &str) -> Result<Kind, ErrorDto> {
        Ok(match name {
            "pdfs" => Kind::Pdfs,
            "p12" => Kind::P12,
            "image" => Kind::Image,
            "certificate" => Kind::Certificate,
            "folder" => Kind::Folder,
            "json" => Kind::Json,
            "pdf" => Kind::Pdf,
            other => {
                return Err(ErrorDto::new(
                    codes::INTERNAL,
                    format!("unknown kind of file {other:?}"),
                ));
            }
        })
    }

    fn filter(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Kind::Pdfs | Kind::Pdf => Some(("PDF", &["pdf", "PDF"])),
            Kind::P12 => Some(("PKCS#12 (.p12, .pfx)", &["p12", "pfx", "P12", "PFX"])),
            Kind::Image => Some(("PNG, JPEG", &["png", "jpg", "jpeg", "PNG", "JPG", "JPEG"])),
            Kind::Certificate => Some((
                "X.509 (.pem, .cer, .crt, .der)",
                &["pem", "cer", "crt", "der"],
            )),
            Kind::Json => Some(("JSON", &["json"])),
            Kind::Folder => None,
        }
    }
}

/// The test's answer to a dialog (`KYSO_TEST_DIALOGS`), when it gave one.
fn test_answer(name: &str) -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("KYSO_TEST_DIALOGS")?;
    let file = Path::new(&dir).join(name);
    let text = std::fs::read_to_string(&file).ok()?;
    let _ = std::fs::remove_file(&file);
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect(),
    )
}

/// Opens the native dialog to pick files (or a folder) of `kind`; the paths are allowed.
pub fn pick<R: Runtime>(app: &AppHandle<R>, files: &Files, kind: Kind) -> Vec<PathBuf> {
    let picked: Vec<PathBuf> = match test_answer("pick") {
        Some(paths) => paths,
        None => {
            let mut dialog = app.dialog().file();
            if let Some((name, extensions)) = kind.filter() {
                dialog = dialog.add_filter(name, extensions);
            }
            let chosen = match kind {
                Kind::Folder => dialog.blocking_pick_folder().map(|p| vec![p]),
                Kind::Pdfs => dialog.blocking_pick_files(),
                _ => dialog.blocking_pick_file().map(|p| vec![p]),
            };
            chosen
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.into_path().ok())
                .collect()
        }
    };
    picked.iter().map(|p| files.allow(p)).collect()
}

/// Opens the native dialog to choose where to save a file of `kind`, starting from
/// `suggested`; the path is allowed.
pub fn save<R: Runtime>(
    app: &AppHandle<R>,
    files: &Files,
    kind: Kind,
    suggested: Option<&Path>,
) -> Option<PathBuf> {
    let chosen = match test_answer("save") {
        Some(paths) => paths.into_iter().next(),
        None => {
            let mut dialog = app.dialog().file();
            if let Some((name, extensions)) = kind.filter() {
                dialog = dialog.add_filter(name, extensions);
            }
            if let Some(s) = suggested {
                if let Some(dir) = s.parent().filter(|d| !d.as_os_str().is_empty()) {
                    dialog = dialog.set_directory(dir);
                }
                if let Some(name) = s.file_name() {
                    dialog = dialog.set_file_name(name.to_string_lossy());
                }
            }
            dialog.blocking_save_file().and_then(|p| p.into_path().ok())
        }
    }?;
    // A new file cannot be canonicalized yet: allow it as given, and its folder's form.
    if let Ok(mut allowed) = files.allowed.lock() {
        allowed.insert(chosen.clone());
        if let (Some(dir), Some(name)) = (chosen.parent(), chosen.file_name())
            && let Ok(dir) = dir.canonicalize()
        {
            allowed.insert(dir.join(name));
        }
    }
    Some(chosen)
}

/// A PDF as the window lists it; a file Kyso cannot read is described with its error.
pub fn describe(path: &Path) -> DocumentDto {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match kyso_core::inspect_file(path, None) {
        Ok(info) => DocumentDto {
            path: path.display().to_string(),
            name,
            size_bytes: size,
            pages: info.pages,
            signatures: info.signatures.len() as u32,
            awaiting_number: awaiting_number(&info),
            encrypted: info.encryption.is_some(),
            error: None,
        },
        Err(e) => DocumentDto {
            path: path.display().to_string(),
            name,
            size_bytes: size,
            pages: 0,
            signatures: 0,
            awaiting_number: false,
            encrypted: e.code() == "PDF_PASSWORD_REQUIRED",
            error: Some(e.into()),
        },
    }
}

/// A leader-signed document whose number field is still empty: the clerk's next task.
fn awaiting_number(info: &kyso_core::DocumentInfo) -> bool {
    !info.signatures.is_empty()
        && info
            .fields
            .iter()
            .any(|f| f.name == kyso_core::appearance::NUMBER_FIELD && !f.filled)
}

/// A drop on the window: the PDFs among the dropped paths are allowed and sent to it.
pub fn dropped<R: Runtime>(app: &AppHandle<R>, files: &Files, paths: &[PathBuf]) {
    let documents: Vec<DocumentDto> = paths
        .iter()
        .filter(|p| crate::commands::is_pdf(p))
        .map(|p| describe(&files.allow(p)))
        .collect();
    if !documents.is_empty() {
        let _ = app.emit(DROPPED_EVENT, documents);
    }
}

/// Bytes `begin..end` of an allowed file (pdf.js reads a PDF by ranges: the first page of a
/// large file shows without reading the rest).
pub fn read_range(path: &Path, begin: u64, end: u64) -> Result<Vec<u8>, ErrorDto> {
    use std::io::{Read, Seek, SeekFrom};
    const MAX_RANGE: u64 = 16 << 20;
    let unreadable = |e: std::io::Error| {
        ErrorDto::about_file(
            "INPUT_UNREADABLE",
            path,
            format!("{}: cannot read the file: {e}", path.display()),
        )
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let end = end.min(len).min(begin.saturating_add(MAX_RANGE));
    let mut buffer = vec![0u8; end.saturating_sub(begin) as usize];
    file.seek(SeekFrom::Start(begin)).map_err(unreadable)?;
    file.read_exact(&mut buffer).map_err(unreadable)?;
    Ok(buffer)
}
