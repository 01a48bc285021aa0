//! Tauri commands: DTO in, one kyso-core call, DTO out. No signing logic here.

use std::path::Path;

use std::sync::Arc;

use crate::dto::{
    DocumentMetaDto, EngineInfo, ErrorDto, IdentityDto, IdentityListDto, ImportIdentityRequest,
    OutboxItemDto, QueueRequest, SignRequest, SignResult, SuggestOutputRequest,
    SuggestOutputResponse, SyncStatusDto, codes,
};
use crate::signers::OpenSigners;
use crate::sync::SyncService;

/// The engine's version, for the header.
#[tauri::command]
pub fn engine_info() -> EngineInfo {
    EngineInfo {
        engine_version: kyso_core::VERSION.to_owned(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// Default output path for an input: `<stem>.signed.pdf` in the input's folder.
#[tauri::command]
pub fn suggest_output(request: SuggestOutputRequest) -> SuggestOutputResponse {
    let input = Path::new(request.input.trim());
    let output = match input.file_stem() {
        Some(_) => kyso_core::default_output_path(input, None)
            .display()
            .to_string(),
        None => String::new(),
    };
    SuggestOutputResponse { output }
}

/// Sign a PDF with an identity (vault or token) or a .p12 file. Runs off the UI thread; the
/// password and PIN are zeroized when `request` drops at the end of the blocking task.
#[tauri::command]
pub async fn sign_pdf(
    request: SignRequest,
    signers: tauri::State<'_, Arc<OpenSigners>>,
) -> Result<SignResult, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || sign_blocking(request, &signers)).await
}

fn sign_blocking(mut req: SignRequest, signers: &OpenSigners) -> Result<SignResult, ErrorDto> {
    let input = required(&req.input, "input PDF")?.to_owned();
    let output = required(&req.output, "output path")?.to_owned();
    let signer: Arc<dyn kyso_keys::Signer> = match req.identity_id.as_deref() {
        Some(id) => {
            let registry = kyso_keys::Registry::load()?;
            let identity = registry.find(id)?.clone();
            signers.open(&identity, req.pin.take())?
        }
        None => {
            let p12 = required(&req.p12_path, ".p12 file")?;
            Arc::new(kyso_keys::Pkcs12Signer::open(
                Path::new(p12),
                req.password.as_str(),
            )?)
        }
    };
    let options = kyso_core::SignOptions {
        reason: non_empty(&req.reason),
        location: non_empty(&req.location),
        // The user's stored intermediates complete a chain the key source lacks.
        intermediates: kyso_core::TrustStore::default_location().intermediates_der(),
        ..Default::default()
    };
    // The level of the settings (per identity), a trusted time when a TSA answers; when
    // none does, the document is signed all the same and its timestamp is due.
    let home = kyso_keys::home::kyso_home();
    let target = kyso_core::settings::target_level(&home, req.identity_id.as_deref(), false)
        .map_err(|e| ErrorDto::new(e.code(), e.to_string()))?;
    let context = if target.needs_timestamp() {
        kyso_core::upgrade::UpgradeContext::from_settings(&home, &[], |_| {})?
    } else {
        kyso_core::upgrade::UpgradeContext::offline()
    };
    let outcome = kyso_core::upgrade::sign_at_level(
        Path::new(&input),
        Path::new(&output),
        signer.as_ref(),
        &options,
        target,
        &context,
    );
    if let Ok(o) = &outcome {
        // Not fatal: the file is signed; the outbox computes the level again when queued.
        let _ = kyso_sync::levels::record_due(&home, std::slice::from_ref(o));
    }
    if outcome.is_err()
        && let Some(id) = &req.identity_id
    {
        // A token session that failed (PIN forgotten after the idle time, token pulled out)
        // is dropped: the next attempt asks for the PIN again.
        signers.forget(id);
    }
    Ok(outcome?.into())
}

/// The identities of this computer: vault (keychain) and token ones.
#[tauri::command]
pub async fn identity_list(
    signers: tauri::State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || identities(&signers)).await
}

fn identities(signers: &OpenSigners) -> Result<IdentityListDto, ErrorDto> {
    let registry = kyso_keys::Registry::load()?;
    let identities = registry
        .identities
        .iter()
        .map(|i| {
            let token_label = match &i.source {
                kyso_keys::Source::Token { token_label, .. } => Some(token_label.clone()),
                kyso_keys::Source::Vault { .. } => None,
            };
            IdentityDto {
                id: i.id.clone(),
                label: i.label.clone(),
                subject: i.subject.clone(),
                issuer: i.issuer.clone(),
                valid_from: i.valid_from.clone(),
                valid_to: i.valid_to.clone(),
                source: if token_label.is_some() {
                    "token"
                } else {
                    "vault"
                }
                .to_owned(),
                token_label,
                needs_pin: kyso_keys::identity::needs_pin(i),
                unlocked: signers.is_unlocked(&i.id),
                is_default: registry.default.as_deref() == Some(i.id.as_str()),
            }
        })
        .collect();
    Ok(IdentityListDto { identities })
}

/// Imports a .p12 into the vault: the key goes under this computer's keychain, the password
/// is used once and never kept. Gives the new list.
#[tauri::command]
pub async fn identity_import(
    request: ImportIdentityRequest,
    signers: tauri::State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || {
        let path = required(&request.p12_path, ".p12 file")?;
        let bytes = std::fs::read(path).map_err(|e| {
            ErrorDto::new(
                "INPUT_UNREADABLE",
                format!("{path}: cannot read the file: {e}"),
            )
        })?;
        let pin = request
            .pin
            .as_deref()
            .map(|p| p.as_str())
            .filter(|p| !p.is_empty());
        kyso_keys::identity::import_p12(
            &bytes,
            request.password.as_str(),
            path,
            None,
            non_empty(&request.label).as_deref(),
            pin,
        )?;
        identities(&signers)
    })
    .await
}

/// Logs out of every token: the next signature asks for the PIN again.
#[tauri::command]
pub fn identity_lock(signers: tauri::State<'_, Arc<OpenSigners>>) {
    signers.lock_all();
}

/// Runs `work` off the UI thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ErrorDto> + Send + 'static,
) -> Result<T, ErrorDto> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ErrorDto::new(codes::INTERNAL, format!("background task failed: {e}")))?
}

fn open_store() -> Result<kyso_sync::Store, ErrorDto> {
    Ok(kyso_sync::Store::open(&kyso_keys::home::kyso_home())?)
}

/// The outbox, newest first.
#[tauri::command]
pub async fn outbox_list() -> Result<Vec<OutboxItemDto>, ErrorDto> {
    blocking(|| {
        Ok(open_store()?
            .outbox()?
            .into_iter()
            .map(Into::into)
            .collect())
    })
    .await
}

/// The metadata remembered from the last document sent (sender, recipients, signer…).
#[tauri::command]
pub async fn meta_defaults() -> Result<DocumentMetaDto, ErrorDto> {
    blocking(|| Ok(DocumentMetaDto::from(&open_store()?.meta_defaults()?))).await
}

/// Puts a signed PDF in the outbox (the store keeps a copy) and wakes the background sync.
#[tauri::command]
pub async fn queue_document(
    request: QueueRequest,
    sync: tauri::State<'_, SyncService>,
) -> Result<OutboxItemDto, ErrorDto> {
    let entry = blocking(move || {
        let file = required(&request.file, "signed PDF")?.to_owned();
        let meta = kyso_sync::DocumentMeta::from(request.meta);
        let entry = open_store()?.queue(
            Path::new(&file),
            &meta,
            time::OffsetDateTime::now_utc(),
            None,
        )?;
        Ok(OutboxItemDto::from(entry))
    })
    .await?;
    sync.wake();
    Ok(entry)
}

/// Sends a refused or failed document again, after the user fixed the cause.
#[tauri::command]
pub async fn outbox_retry(
    id: i64,
    sync: tauri::State<'_, SyncService>,
) -> Result<OutboxItemDto, ErrorDto> {
    let entry = blocking(move || {
        Ok(OutboxItemDto::from(
            open_store()?.retry(id, time::OffsetDateTime::now_utc())?,
        ))
    })
    .await?;
    sync.wake();
    Ok(entry)
}

/// "Sync now": the background sync runs a pass at once.
#[tauri::command]
pub fn sync_now(sync: tauri::State<'_, SyncService>) {
    sync.wake();
}

/// The last status of the background sync (also sent as the `sync-status` event).
#[tauri::command]
pub fn sync_status(sync: tauri::State<'_, SyncService>) -> Option<SyncStatusDto> {
    sync.last()
}

fn required<'a>(value: &'a str, what: &str) -> Result<&'a str, ErrorDto> {
    match value.trim() {
        "" => Err(ErrorDto::new(
            codes::MISSING_FIELD,
            format!("no {what} was given"),
        )),
        v => Ok(v),
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggest(input: &str) -> String {
        suggest_output(SuggestOutputRequest {
            input: input.into(),
        })
        .output
    }

    #[test]
    fn suggested_output_sits_next_to_the_input() {
        assert_eq!(
            suggest("/home/an/Công văn 12.pdf"),
            "/home/an/Công văn 12.signed.pdf"
        );
        assert_eq!(suggest("/tmp/a.b.PDF"), "/tmp/a.b.signed.pdf");
        assert_eq!(suggest("report"), "report.signed.pdf");
        assert_eq!(suggest(""), "");
    }

    #[test]
    fn engine_info_reports_the_core_version() {
        assert_eq!(engine_info().engine_version, kyso_core::VERSION);
    }

    #[test]
    fn missing_fields_are_reported_with_a_code() {
        let req: SignRequest = serde_json::from_value(serde_json::json!({
            "input": " ", "output": "o.pdf", "p12Path": "k.p12", "password": "x"
        }))
        .expect("valid request");
        let err = sign_blocking(req, &OpenSigners::default()).expect_err("empty input must fail");
        assert_eq!(err.code, codes::MISSING_FIELD);
    }
}
