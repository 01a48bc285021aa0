//! "Ký số": where a signature would go, and signing one document or many with progress and
//! cancel. Every decision is kyso-core's (templates, placement, level, timestamps); the
//! shell turns DTOs into its requests and its outcomes into events.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kyso_core::appearance::{AppearanceRequest, Particulars, Placement, Template};
use kyso_core::settings::AppearanceSettings;
use kyso_core::upgrade::UpgradeContext;
use tauri::{AppHandle, Emitter, State};

use crate::commands::{blocking, non_empty, required};
use crate::dto::{
    AppearanceDto, ErrorDto, PreviewDto, PreviewRequest, SignBatchRequest, SignBatchSummary,
    SignProgressDto, SignResult,
};
use crate::files::Files;
use crate::signers::OpenSigners;

/// The event of each step of a batch.
pub const PROGRESS_EVENT: &str = "sign-progress";
/// The event of a slow TSA (asking, waiting, falling back).
pub const TSA_EVENT: &str = "tsa-progress";

/// The batches the user cancelled (checked between documents: each document is written
/// beside its output and renamed, so a cancelled batch leaves no partial file).
#[derive(Default)]
pub struct Batches {
    cancelled: Mutex<HashSet<String>>,
}

impl Batches {
    fn cancel(&self, id: &str) {
        if let Ok(mut c) = self.cancelled.lock() {
            c.insert(id.to_owned());
        }
    }

    fn is_cancelled(&self, id: &str) -> bool {
        self.cancelled.lock().is_ok_and(|c| c.contains(id))
    }

    fn forget(&self, id: &str) {
        if let Ok(mut c) = self.cancelled.lock() {
            c.remove(id);
        }
    }
}

fn home() -> PathBuf {
    kyso_keys::home::kyso_home()
}

/// The template and images asked for, with what the settings remember for the identity.
fn appearance_request(
    dto: &AppearanceDto,
    identity: Option<&str>,
) -> Result<AppearanceRequest, ErrorDto> {
    let template: Template = dto
        .template
        .parse()
        .map_err(|e: String| ErrorDto::new("APPEARANCE_INCOMPLETE", e))?;
    let settings = AppearanceSettings::load(&home()).map_err(|e| ErrorDto::of(&e))?;
    let mut request = AppearanceRequest::new(template);
    request.image = non_empty(&dto.image).map(PathBuf::from);
    request.seal = non_empty(&dto.seal).map(PathBuf::from);
    request.seal_size_mm = dto.seal_size_mm;
    request.doc_number = non_empty(&dto.doc_number);
    request.copy_form = non_empty(&dto.copy_form);
    request.text = non_empty(&dto.text);
    request.settings = settings;
    request.identity = identity.map(str::to_owned);
    Ok(request)
}

/// What the identity's certificate says of the signer (for the anchor: the name).
fn particulars_of(identity: Option<&str>) -> Result<Particulars, ErrorDto> {
    let Some(id) = identity else {
        return Ok(Particulars::default());
    };
    let registry = kyso_keys::Registry::load()?;
    let der = registry.find(id)?.certificate_der()?;
    Particulars::of_certificate_der(&der, String::new())
        .map_err(|e| ErrorDto::new("CERT_MALFORMED", e))
}

/// Where the signature of the template would go on the document, before it is signed: the
/// signer's name (leader), the leader's image (seal), the top right of page 1 (marks).
#[tauri::command]
pub async fn preview_signature(
    request: PreviewRequest,
    files: State<'_, Arc<Files>>,
) -> Result<PreviewDto, ErrorDto> {
    let path = files.check(&request.path)?;
    blocking(move || {
        let appearance = appearance_request(&request.appearance, request.identity_id.as_deref())?;
        let who = particulars_of(request.identity_id.as_deref())?;
        let (shown, found) = kyso_core::appearance::preview_file(&path, &appearance, &who, None)?;
        Ok(PreviewDto {
            shown: shown.into(),
            found,
        })
    })
    .await
}

/// Signs every document of the batch in turn, each written beside its output then renamed;
/// a `sign-progress` event for each step. A failing document does not stop the others;
/// cancel stops before the next one.
#[tauri::command]
pub async fn sign_batch(
    app: AppHandle,
    mut request: SignBatchRequest,
    files: State<'_, Arc<Files>>,
    signers: State<'_, Arc<OpenSigners>>,
    batches: State<'_, Arc<Batches>>,
) -> Result<SignBatchSummary, ErrorDto> {
    // Only documents the user chose are signed.
    let mut inputs = Vec::new();
    for f in &request.files {
        inputs.push(files.check(&f.input)?);
    }
    let files = files.inner().clone();
    let signers = signers.inner().clone();
    let batches = batches.inner().clone();
    let p12 = match request.identity_id {
        None => Some(files.check(required(&request.p12_path, ".p12 file")?)?),
        Some(_) => None,
    };
    blocking(move || {
        let signer: Arc<dyn kyso_keys::Signer> = match (&request.identity_id, &p12) {
            (Some(id), _) => {
                let registry = kyso_keys::Registry::load()?;
                let identity = registry.find(id)?.clone();
                signers
                    .open(&identity, request.pin.take())
                    .inspect_err(|_| signers.forget(id))?
            }
            (None, Some(p12)) => Arc::new(kyso_keys::Pkcs12Signer::open(
                p12,
                request.password.as_str(),
            )?),
            (None, None) => unreachable!("a .p12 is required without an identity"),
        };
        let identity = request.identity_id.as_deref();
        let home = home();
        let target = kyso_core::settings::target_level(&home, identity, false)
            .map_err(|e| ErrorDto::of(&e))?;
        let tsa_app = app.clone();
        let context = if target.needs_timestamp() {
            UpgradeContext::from_settings(&home, &[], move |p| {
                let _ = tsa_app.emit(TSA_EVENT, format!("{p:?}"));
            })?
        } else {
            UpgradeContext::offline()
        };
        let appearance = request
            .appearance
            .as_ref()
            .map(|a| appearance_request(a, identity))
            .transpose()?;
        let folder = crate::settings::output_folder();
        let total = request.files.len() as u32;
        let mut summary = SignBatchSummary {
            signed: 0,
            failed: 0,
            cancelled: 0,
        };
        let emit =
            |index: usize, state: &str, result: Option<SignResult>, error: Option<ErrorDto>| {
                let _ = app.emit(
                    PROGRESS_EVENT,
                    SignProgressDto {
                        batch_id: request.batch_id.clone(),
                        index: index as u32,
                        total,
                        state: state.to_owned(),
                        result,
                        error,
                    },
                );
            };
        let mut outcomes = Vec::new();
        for (index, (file, input)) in request.files.iter().zip(&inputs).enumerate() {
            if batches.is_cancelled(&request.batch_id) {
                summary.cancelled += 1;
                emit(index, "cancelled", None, None);
                continue;
            }
            emit(index, "signing", None, None);
            let output = match non_empty(&file.output) {
                Some(o) => PathBuf::from(o),
                None => kyso_core::default_output_path(input, folder.as_deref()),
            };
            let signed = sign_one(
                input,
                &output,
                signer.as_ref(),
                &request,
                appearance.as_ref(),
                file.placement.map(Into::into),
                target,
                &context,
            );
            match signed {
                Ok(outcome) => {
                    files.allow(&outcome.output);
                    outcomes.push(outcome.clone());
                    summary.signed += 1;
                    emit(index, "signed", Some(outcome.into()), None);
                }
                Err(e) => {
                    summary.failed += 1;
                    emit(index, "failed", None, Some(e));
                }
            }
        }
        batches.forget(&request.batch_id);
        // Not fatal: the files are signed; the outbox computes the level again when queued.
        let _ = kyso_sync::levels::record_due(&home, &outcomes);
        if summary.signed == 0
            && summary.failed > 0
            && let Some(id) = identity
        {
            // A token session that failed (PIN forgotten after the idle time, token pulled
            // out) is dropped: the next attempt asks for the PIN again.
            signers.forget(id);
        }
        Ok(summary)
    })
    .await
}

#[allow(clippy::too_many_arguments)]
fn sign_one(
    input: &Path,
    output: &Path,
    signer: &dyn kyso_keys::Signer,
    request: &SignBatchRequest,
    appearance: Option<&AppearanceRequest>,
    placement: Option<kyso_core::appearance::DisplayedBox>,
    target: kyso_core::Level,
    context: &UpgradeContext,
) -> Result<kyso_core::SignOutcome, ErrorDto> {
    let appearance = match (appearance, placement) {
        (Some(a), Some(shown)) => {
            let mut a = a.clone();
            a.placement = kyso_core::appearance::placement_of_file(input, &shown, None)?;
            Some(a)
        }
        (Some(a), None) => {
            let mut a = a.clone();
            a.placement = Placement::Auto;
            Some(a)
        }
        (None, _) => None,
    };
    let options = kyso_core::SignOptions {
        reason: non_empty(&request.reason),
        location: non_empty(&request.location),
        // The user's stored intermediates complete a chain the key source lacks.
        intermediates: kyso_core::TrustStore::default_location().intermediates_der(),
        appearance,
        ..Default::default()
    };
    Ok(kyso_core::upgrade::sign_at_level(
        input, output, signer, &options, target, context,
    )?)
}

/// "Hủy": the batch stops before its next document.
#[tauri::command]
pub fn sign_cancel(batch_id: String, batches: State<'_, Arc<Batches>>) {
    batches.cancel(&batch_id);
}
