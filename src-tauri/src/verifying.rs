//! "Kiểm tra": the verification of a PDF the user chose, with kyso-core's verifier (online
//! when it can fetch CRLs and OCSP answers, with the user's trust store), and the report
//! saved as JSON (docs/verify-json.md, as `kyso verify --json` writes it).

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

/// Verifies the document again and saves the report where the user chooses (JSON); the
/// path written, or None when the dialog was cancelled.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    path: String,
    files: State<'_, Arc<Files>>,
) -> Result<Option<String>, ErrorDto> {
    let path = files.check(&path)?;
    let files = files.inner().clone();
    blocking(move || {
        let report = verify(&path)?;
        let suggested = path.with_extension("verify.json");
        let Some(target) = files::save(&app, &files, Kind::Json, Some(&suggested)) else {
            return Ok(None);
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| ErrorDto::new(crate::dto::codes::INTERNAL, e.to_string()))?;
        std::fs::write(&target, text).map_err(|e| {
            ErrorDto::new(
                "OUTPUT_UNWRITABLE",
                format!("{}: cannot write the report: {e}", target.display()),
            )
        })?;
        Ok(Some(target.display().to_string()))
    })
    .await
}
