//! "Chứng thư số": the identities of this computer (vault and token) — list, import, remove,
//! make default, export the certificate, lock the tokens — and "Kiểm tra thiết bị ký số",
//! which looks for the PKCS#11 modules of the known token drivers itself.

use std::sync::Arc;

use tauri::{AppHandle, State};

use crate::commands::{blocking, non_empty};
use crate::dto::{
    ErrorDto, IdentityDto, IdentityListDto, ImportIdentityRequest, TokenDiagnosisDto,
    TokenModuleDto, TokenSlotDto,
};
use crate::files::{self, Files, Kind};
use crate::signers::OpenSigners;

/// The identities, the default one first in the registry's eyes.
pub fn identities(signers: &OpenSigners) -> Result<IdentityListDto, ErrorDto> {
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
                expires_in_days: days_until(&i.valid_to),
            }
        })
        .collect();
    Ok(IdentityListDto { identities })
}

/// Days from today to `yyyy-mm-dd` (negative once past): the 30-day expiry warning.
fn days_until(date: &str) -> i64 {
    let parsed = time::Date::parse(
        date,
        &time::macros::format_description!("[year]-[month]-[day]"),
    );
    match parsed {
        Ok(d) => (d - time::OffsetDateTime::now_utc().date()).whole_days(),
        Err(_) => i64::MAX,
    }
}

/// The identities of this computer: vault (keychain) and token ones.
#[tauri::command]
pub async fn identity_list(
    signers: State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || identities(&signers)).await
}

/// Imports a .p12 the user picked into the vault: the key goes under this computer's
/// keychain, the password is used once and never kept. Gives the new list.
#[tauri::command]
pub async fn identity_import(
    request: ImportIdentityRequest,
    files: State<'_, Arc<Files>>,
    signers: State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let path = files.check(&request.p12_path)?;
    let signers = signers.inner().clone();
    blocking(move || {
        let bytes = std::fs::read(&path).map_err(|e| {
            ErrorDto::new(
                "INPUT_UNREADABLE",
                format!("{}: cannot read the file: {e}", path.display()),
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
            &path.display().to_string(),
            None,
            non_empty(&request.label).as_deref(),
            pin,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )?;
        identities(&signers)
    })
    .await
}

/// Removes an identity (a vault one's key leaves the keychain; a token's stays on it).
#[tauri::command]
pub async fn identity_remove(
    id: String,
    signers: State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || {
        signers.forget(&id);
        kyso_keys::identity::remove(&id)?;
        identities(&signers)
    })
    .await
}

/// Makes an identity the default one.
#[tauri::command]
pub async fn identity_set_default(
    id: String,
    signers: State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || {
        kyso_keys::identity::set_default(&id)?;
        identities(&signers)
    })
    .await
}

/// Saves an identity's certificate (PEM) where the user chooses; the path, or None.
#[tauri::command]
pub async fn identity_export(
    app: AppHandle,
    id: String,
    files: State<'_, Arc<Files>>,
) -> Result<Option<String>, ErrorDto> {
    let files = files.inner().clone();
    blocking(move || {
        let registry = kyso_keys::Registry::load()?;
        let identity = registry.find(&id)?;
        let pem = identity.certificate_pem()?;
        let suggested = std::path::PathBuf::from(format!("{}.pem", identity.label));
        let Some(target) = files::save(&app, &files, Kind::Certificate, Some(&suggested)) else {
            return Ok(None);
        };
        std::fs::write(&target, pem).map_err(|e| {
            ErrorDto::about_file(
                "OUTPUT_UNWRITABLE",
                &target,
                format!("{}: cannot write the certificate: {e}", target.display()),
            )
        })?;
        Ok(Some(target.display().to_string()))
    })
    .await
}

/// Registers a token's key as an identity, by its certificate (no PIN: certificates are
/// public objects on the token); `keyId` chooses among several.
#[tauri::command]
pub async fn identity_add_token(
    module: String,
    token_label: String,
    key_id: Option<String>,
    signers: State<'_, Arc<OpenSigners>>,
) -> Result<IdentityListDto, ErrorDto> {
    let signers = signers.inner().clone();
    blocking(move || {
        // A module is a library Kyso loads: only the known drivers' (the diagnosis lists them).
        if !kyso_keys::token::known_modules()
            .iter()
            .any(|(_, p)| *p == module)
        {
            return Err(ErrorDto::new(
                "TOKEN_MODULE",
                format!("{module} is not the module of a known token driver"),
            ));
        }
        kyso_keys::token::add_token_identity(&module, &token_label, key_id.as_deref(), None)?;
        identities(&signers)
    })
    .await
}

/// Logs out of every token: the next signature asks for the PIN again.
#[tauri::command]
pub fn identity_lock(signers: State<'_, Arc<OpenSigners>>) {
    signers.lock_all();
}

/// "Kiểm tra thiết bị ký số": each known driver's module — present or not — and, for those
/// present, its slots: the token inserted, its certificates, the state of its PIN.
#[tauri::command]
pub async fn token_diagnose() -> Result<TokenDiagnosisDto, ErrorDto> {
    blocking(|| {
        let modules = kyso_keys::token::known_modules()
            .into_iter()
            .map(|(vendor, path)| {
                let present = std::path::Path::new(&path).exists();
                if !present {
                    return TokenModuleDto {
                        vendor,
                        path,
                        present,
                        slots: Vec::new(),
                        error: None,
                    };
                }
                match kyso_keys::token::list(&path) {
                    Ok(slots) => TokenModuleDto {
                        vendor,
                        path,
                        present,
                        slots: slots
                            .into_iter()
                            .map(|s| TokenSlotDto {
                                slot: format!("{} — {}", s.slot, s.description),
                                token_label: s.token.as_ref().map(|t| t.label.clone()),
                                certificates: s
                                    .token
                                    .as_ref()
                                    .map(|t| {
                                        t.certificates
                                            .iter()
                                            .filter(|c| !c.is_ca)
                                            .map(|c| format!("{} ({})", c.subject, c.valid_to))
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                                pin: match &s.token {
                                    Some(t) if t.pin_locked => "locked",
                                    Some(t) if t.pin_final_try => "final-try",
                                    Some(t) if t.pin_count_low => "count-low",
                                    _ => "ok",
                                }
                                .to_owned(),
                            })
                            .collect(),
                        error: None,
                    },
                    Err(e) => TokenModuleDto {
                        vendor,
                        path,
                        present,
                        slots: Vec::new(),
                        error: Some(e.into()),
                    },
                }
            })
            .collect();
        Ok(TokenDiagnosisDto { modules })
    })
    .await
}
