//! "Cài đặt": the settings of `KYSO_HOME/config.toml` (each layer's section through its own
//! type, as `kyso config set` does), the exchange's login, the trust store. The shell's own
//! section is `[desktop]`: where signed copies go.

use std::path::PathBuf;
use std::sync::Arc;

use kyso_core::messages::Lang;
use kyso_core::settings::{
    AppearanceSettings, ConfigFile, SettingsError, SigningSettings, UiSettings,
};
use kyso_core::timestamp::TsaSettings;
use kyso_core::{TrustKind, TrustStore};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::commands::{blocking, required};
use crate::dto::{ErrorDto, SettingRequest, SettingsDto, TrustEntryDto};
use crate::files::{self, Files, Kind};

/// The `[desktop]` section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DesktopSettings {
    /// Signed copies go here (`<stem>.signed.pdf`); None: beside their input.
    #[serde(skip_serializing_if = "Option::is_none")]
    output_folder: Option<PathBuf>,
    /// The first-run screen was finished or skipped: the window opens on "Ký số".
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    welcomed: bool,
}

const SECTION: &str = "desktop";

fn home() -> PathBuf {
    kyso_keys::home::kyso_home()
}

fn settings_error(e: SettingsError) -> ErrorDto {
    ErrorDto::of(&e)
}

fn desktop_settings() -> Result<DesktopSettings, ErrorDto> {
    let home = home();
    ConfigFile::load(&home)
        .and_then(|f| f.section(&home, SECTION))
        .map_err(settings_error)
}

/// The window's language, as the `kyso` command chooses its own: KYSO_LANG, then `ui.lang`,
/// then Vietnamese (never the system's locale).
pub fn window_lang() -> Lang {
    std::env::var("KYSO_LANG")
        .ok()
        .and_then(|l| Lang::parse(&l))
        .or_else(|| UiSettings::load(&home()).ok().and_then(|u| u.lang))
        .unwrap_or_default()
}

/// Where signed copies go, when the user chose a folder.
pub fn output_folder() -> Option<PathBuf> {
    desktop_settings().ok().and_then(|s| s.output_folder)
}

fn snapshot() -> Result<SettingsDto, ErrorDto> {
    let home = home();
    let sync = kyso_sync::Config::load(&home)?;
    let tsa = TsaSettings::load(&home).map_err(settings_error)?;
    let level = kyso_core::settings::target_level(&home, None, false).map_err(settings_error)?;
    let appearance = AppearanceSettings::load(&home).map_err(settings_error)?;
    let kept = |account: String| {
        kyso_keys::keychain::load_secret(&account)
            .ok()
            .flatten()
            .is_some()
    };
    let logged_in = match sync.exchange() {
        Ok((url, account)) => {
            kept(kyso_sync::config::secret_account(url, account))
                && match sync.exchange.dialect() {
                    kyso_sync::Dialect::LgspV1 => sync.username().is_ok_and(|username| {
                        kept(kyso_sync::config::password_account(url, username))
                    }),
                    _ => true,
                }
        }
        Err(_) => false,
    };
    let exchange = &sync.exchange;
    let desktop = desktop_settings()?;
    Ok(SettingsDto {
        lang: window_lang().code().to_owned(),
        exchange_url: exchange.url.clone(),
        client_id: exchange.client_id.clone(),
        dialect: exchange.dialect().name().to_owned(),
        system_id: exchange.system_id.clone(),
        username: exchange.username.clone(),
        application_code: exchange.application_code.clone(),
        attachment_encoding: exchange.attachment_encoding().name().to_owned(),
        max_document_mb: exchange.max_document_bytes() / (1024 * 1024),
        logged_in,
        tsa_urls: tsa.urls,
        level: level.name().to_owned(),
        require_timestamp: sync.sync.require_timestamp,
        output_folder: desktop.output_folder.map(|p| p.display().to_string()),
        welcomed: desktop.welcomed,
        signature_image: appearance.image.map(|p| p.display().to_string()),
        seal_image: appearance.seal.map(|p| p.display().to_string()),
    })
}

/// The settings as they stand.
#[tauri::command]
pub async fn settings_get() -> Result<SettingsDto, ErrorDto> {
    blocking(snapshot).await
}

/// Sets one setting, through the layer that owns it; the settings as they now stand.
#[tauri::command]
pub async fn settings_set(request: SettingRequest) -> Result<SettingsDto, ErrorDto> {
    blocking(move || {
        let home = home();
        let key = request.key.as_str();
        let identity = request.identity_id.as_deref();
        if let Some(name) = key.strip_prefix("desktop.") {
            let mut file = ConfigFile::load(&home).map_err(settings_error)?;
            let mut desktop: DesktopSettings =
                file.section(&home, SECTION).map_err(settings_error)?;
            let value = request.value.trim();
            match name {
                "output-folder" if value.is_empty() => desktop.output_folder = None,
                "output-folder" => desktop.output_folder = Some(PathBuf::from(value)),
                "welcomed" => {
                    desktop.welcomed = value.parse().map_err(|_| {
                        settings_error(SettingsError::Value {
                            key: key.to_owned(),
                            detail: "true or false".into(),
                        })
                    })?
                }
                _ => {
                    return Err(settings_error(SettingsError::Value {
                        key: key.to_owned(),
                        detail: "unknown setting (desktop.output-folder, desktop.welcomed)".into(),
                    }));
                }
            }
            file.set_section(SECTION, &desktop);
            file.save(&home).map_err(settings_error)?;
        } else if key.starts_with("appearance.") {
            let mut a = AppearanceSettings::load(&home).map_err(settings_error)?;
            match identity {
                Some(id) => a.set_for_identity(key, &request.value, id),
                None => a.set(key, &request.value),
            }
            .map_err(settings_error)?;
            a.save(&home).map_err(settings_error)?;
        } else if key.starts_with("signing.") {
            let mut s = SigningSettings::load(&home).map_err(settings_error)?;
            s.set(key, &request.value, identity)
                .map_err(settings_error)?;
            s.save(&home).map_err(settings_error)?;
        } else if key.starts_with("ui.") {
            let mut u = UiSettings::load(&home).map_err(settings_error)?;
            u.set(key, &request.value).map_err(settings_error)?;
            u.save(&home).map_err(settings_error)?;
        } else if key.starts_with("tsa.") {
            let mut t = TsaSettings::load(&home).map_err(settings_error)?;
            t.set(key, &request.value).map_err(settings_error)?;
            t.save(&home).map_err(settings_error)?;
        } else {
            let mut c = kyso_sync::Config::load(&home)?;
            c.set(key, &request.value)?;
            c.save(&home)?;
        }
        snapshot()
    })
    .await
}

/// Stores the exchange's secret (and lgsp-v1's password) in the OS keychain (never on disk),
/// after checking them with the platform when it answers, in its dialect: as `kyso login`.
#[tauri::command]
pub async fn exchange_login(
    secret: zeroize::Zeroizing<String>,
    password: Option<zeroize::Zeroizing<String>>,
) -> Result<SettingsDto, ErrorDto> {
    blocking(move || {
        let secret = zeroize::Zeroizing::new(required(secret.as_str(), "secret")?.to_owned());
        let config = kyso_sync::Config::load(&home())?;
        let (url, account) = config.exchange()?;
        let password = match config.exchange.dialect() {
            kyso_sync::Dialect::LgspV1 => {
                let given = password.as_ref().map(|p| p.as_str()).unwrap_or_default();
                Some(zeroize::Zeroizing::new(
                    required(given, "password")?.to_owned(),
                ))
            }
            _ => None,
        };
        let transport =
            kyso_sync::config::transport_with(&config, secret.clone(), password.clone())?;
        match transport.check_login() {
            Ok(()) => {}
            // Offline: kept all the same, checked at the next sync.
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        kyso_sync::config::store_secret(url, account, &secret)?;
        if let Some(password) = &password {
            kyso_sync::config::store_password(url, config.username()?, password)?;
        }
        snapshot()
    })
    .await
}

/// The trust store: anchors and intermediates.
#[tauri::command]
pub async fn trust_list() -> Result<Vec<TrustEntryDto>, ErrorDto> {
    blocking(|| {
        let store = TrustStore::default_location();
        let mut out = Vec::new();
        for (kind, name) in [
            (TrustKind::Anchor, "anchor"),
            (TrustKind::Intermediate, "intermediate"),
        ] {
            for e in store.list_kind(kind) {
                out.push(TrustEntryDto {
                    id: e.id,
                    kind: name.to_owned(),
                    subject: e.subject,
                    not_after: e.not_after,
                    sha256: e.sha256,
                })
            }
        }
        Ok(out)
    })
    .await
}

/// Picks a certificate file and adds it to the trust store as an anchor or an intermediate.
#[tauri::command]
pub async fn trust_add(
    app: AppHandle,
    intermediate: bool,
    files: State<'_, Arc<Files>>,
) -> Result<Vec<TrustEntryDto>, ErrorDto> {
    let files = files.inner().clone();
    let picked = blocking(move || Ok(files::pick(&app, &files, Kind::Certificate))).await?;
    if let Some(path) = picked.first() {
        let path = path.clone();
        blocking(move || {
            let kind = if intermediate {
                TrustKind::Intermediate
            } else {
                TrustKind::Anchor
            };
            TrustStore::default_location()
                .add_file(&path, kind)
                .map_err(|e| ErrorDto::of(&e))?;
            Ok(())
        })
        .await?;
    }
    trust_list().await
}

/// Removes a certificate from the trust store.
#[tauri::command]
pub async fn trust_remove(id: String) -> Result<Vec<TrustEntryDto>, ErrorDto> {
    blocking(move || {
        TrustStore::default_location()
            .remove(&id)
            .map_err(|e| ErrorDto::of(&e))?;
        Ok(())
    })
    .await?;
    trust_list().await
}
