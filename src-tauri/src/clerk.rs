//! "Văn thư": the clerk's number and date into the fields the leader's signature reserved
//! (kyso-core's `stamp`, form filling that every validator permits after that signature).
//! The seal that follows is a signature with the `seal` template ([`crate::signing`]).

use std::path::PathBuf;
use std::sync::Arc;

use tauri::State;

use crate::commands::{blocking, non_empty};
use crate::dto::{DocumentDto, ErrorDto, StampRequest};
use crate::files::{self, Files};

/// Writes the number and the date into a leader-signed document: the stamped copy beside it
/// (`<stem>.stamped.pdf`, or in the output folder), described as the window lists it.
#[tauri::command]
pub async fn stamp_document(
    request: StampRequest,
    files: State<'_, Arc<Files>>,
) -> Result<DocumentDto, ErrorDto> {
    let input = files.check(&request.path)?;
    let files = files.inner().clone();
    blocking(move || {
        let date = non_empty(&request.date)
            .map(|d| kyso_core::stamp::parse_date(&d))
            .transpose()
            .map_err(|e| ErrorDto::new("STAMP_DATE_INVALID", e))?;
        let output = match non_empty(&request.output) {
            Some(o) => PathBuf::from(o),
            None => stamped_path(&input),
        };
        let outcome = kyso_core::stamp::stamp_file(
            &input,
            &output,
            &kyso_core::stamp::StampRequest {
                number: non_empty(&request.number),
                date,
                pdf_password: None,
            },
        )?;
        Ok(files::describe(&files.allow(&outcome.output)))
    })
    .await
}

/// `<stem>.stamped.pdf` in the output folder, or beside the input.
fn stamped_path(input: &std::path::Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().replace(".signed", ""))
        .unwrap_or_else(|| "document".into());
    let name = format!("{stem}.stamped.pdf");
    match crate::settings::output_folder() {
        Some(dir) => dir.join(name),
        None => input.with_file_name(name),
    }
}
