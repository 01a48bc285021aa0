//! "Kiểm tra": the verification of a PDF the user chose, with kyso-core's verifier (online
//! when it can fetch CRLs and OCSP answers, with the user's trust store), and the report
//! saved as JSON (docs/verify-json.md, as `kyso verify --json` writes it) or as a PDF.

use std::sync::Arc;

use tauri::{AppHandle, State};

use crate::commands::blocking;
use crate::dto::{ErrorDto, VerifyReportDto};
use crate::files::{self, Files, Kind};

fn verify(path: &std::path::Path) -> Result<kyso_core::VerifyReport, ErrorDto> {
    let options = kyso_core::VerifyOptions {
        store: Some(kyso_core::TrustStore::default_location()),
        fetcher: Some(Arc::new(kyso_core::verify::HttpFetcher::default())),
        ..kyso_core::VerifyOptions::offline(time::OffsetDateTime::now_utc().unix_timestamp())
    };
    kyso_core::verify_file(path, &options).map_err(|e| ErrorDto::of(&e))
}

/// Verifies every signature of the document.
#[tauri::command]
pub async fn verify_document(
    path: String,
    files: State<'_, Arc<Files>>,
) -> Result<VerifyReportDto, ErrorDto> {
    let path = files.check(&path)?;
    blocking(move || Ok(VerifyReportDto::from(&verify(&path)?))).await
}

/// Verifies the document again and saves the report where the user chooses, as JSON
/// (docs/verify-json.md, as `kyso verify --json` writes it) or as a PDF in the window's
/// language (the lines `kyso verify` prints); the path written, or None when the dialog was
/// cancelled.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    path: String,
    format: String,
    files: State<'_, Arc<Files>>,
) -> Result<Option<String>, ErrorDto> {
    let path = files.check(&path)?;
    let files = files.inner().clone();
    blocking(move || {
        let report = verify(&path)?;
        let (kind, extension) = match format.as_str() {
            "pdf" => (Kind::Pdf, "verify.pdf"),
            _ => (Kind::Json, "verify.json"),
        };
        let suggested = path.with_extension(extension);
        let Some(target) = files::save(&app, &files, kind, Some(&suggested)) else {
            return Ok(None);
        };
        let bytes = if kind == Kind::Pdf {
            let vietnam = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
            let now = time::OffsetDateTime::now_utc().to_offset(vietnam);
            let now = now.replace_nanosecond(0).unwrap_or(now);
            let made_at = now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            kyso_core::verify::report_pdf::report_pdf(
                &report,
                crate::settings::window_lang(),
                &made_at,
            )
            .map_err(|e| ErrorDto::of(&e))?
        } else {
            serde_json::to_vec_pretty(&report)
                .map_err(|e| ErrorDto::new(crate::dto::codes::INTERNAL, e.to_string()))?
        };
        let unwritable = |e: std::io::Error| {
            ErrorDto::about_file(
                "OUTPUT_UNWRITABLE",
                &target,
                format!("{}: cannot write the report: {e}", target.display()),
            )
        };
        let out = kyso_core::output::OutputFile::create_next_to(&target).map_err(unwritable)?;
        std::io::Write::write_all(&mut out.file(), &bytes).map_err(unwritable)?;
        out.commit().map_err(unwritable)?;
        Ok(Some(target.display().to_string()))
    })
    .await
}
