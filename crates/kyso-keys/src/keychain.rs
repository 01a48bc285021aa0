//! The OS keychain, through the `keyring` crate: macOS Keychain, Windows Credential Manager,
//! the Secret Service (gnome-keyring, KWallet) on Linux. It holds one random 256-bit key per
//! vault identity and nothing else, far below Windows' 2,560-byte limit per secret.
//!
//! The in-memory mock store of `keyring` is never used: on Linux the Secret Service store is
//! named explicitly, so a build without it does not compile instead of silently forgetting
//! every key (docs/testing.md §2).

use zeroize::Zeroizing;

use crate::error::KeyError;

/// Environment variable that suffixes the service name (`kyso-<suffix>`), so that tests never
/// touch a real user's entries.
pub const SERVICE_SUFFIX_VAR: &str = "KYSO_KEYCHAIN_SERVICE";

/// Length of a vault key in bytes (256 bits).
pub const KEY_LEN: usize = 32;

/// The service name under which Kyso's entries are stored.
pub fn service_name() -> String {
    match std::env::var(SERVICE_SUFFIX_VAR) {
        Ok(suffix) if !suffix.is_empty() => format!("kyso-{suffix}"),
        _ => "kyso".to_string(),
    }
}

fn use_platform_store() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        keyring::set_default_credential_builder(
            keyring::secret_service::default_credential_builder(),
        );
        #[cfg(target_os = "macos")]
        keyring::set_default_credential_builder(keyring::macos::default_credential_builder());
        #[cfg(target_os = "windows")]
        keyring::set_default_credential_builder(keyring::windows::default_credential_builder());
    });
}

fn entry(account: &str) -> Result<keyring::Entry, KeyError> {
    use_platform_store();
    keyring::Entry::new(&service_name(), account).map_err(map_error)
}

/// Turns `keyring` errors into ours. `NoEntry` is handled by the callers.
fn map_error(e: keyring::Error) -> KeyError {
    match e {
        keyring::Error::NoStorageAccess(inner) => KeyError::KeychainLocked {
            detail: inner.to_string(),
        },
        // Secret Service refuses to create an item in a locked collection with a plain D-Bus
        // error, which keyring reports as a platform failure.
        other if other.to_string().to_lowercase().contains("locked") => KeyError::KeychainLocked {
            detail: other.to_string(),
        },
        other => KeyError::KeychainUnavailable {
            detail: other.to_string(),
        },
    }
}

/// Stores `key` under `account` (an identity id).
pub fn store_key(account: &str, key: &[u8; KEY_LEN]) -> Result<(), KeyError> {
    entry(account)?.set_secret(key).map_err(map_error)
}

/// Reads the key of `account`; `identity` names it in the missing-entry error.
pub fn load_key(account: &str, identity: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let secret = Zeroizing::new(entry(account)?.get_secret().map_err(|e| match e {
        keyring::Error::NoEntry => KeyError::VaultKeyMissing {
            identity: identity.to_string(),
        },
        other => map_error(other),
    })?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if secret.len() != KEY_LEN {
        // Something else overwrote the entry: as good as missing.
        return Err(KeyError::VaultKeyMissing {
            identity: identity.to_string(),
        });
    }
    key.copy_from_slice(&secret);
    Ok(key)
}

/// Deletes the entry of `account`; an entry already gone is not an error.
pub fn delete_key(account: &str) -> Result<(), KeyError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_error(e)),
    }
}

/// Stores a short secret that is not a vault key (e.g. the exchange's OAuth2 client secret)
/// under `account`. Secrets stay far below Windows' 2,560-byte limit.
pub fn store_secret(account: &str, secret: &str) -> Result<(), KeyError> {
    entry(account)?.set_password(secret).map_err(map_error)
}

/// Reads the secret stored under `account`; `None` when there is none.
pub fn load_secret(account: &str) -> Result<Option<Zeroizing<String>>, KeyError> {
    match entry(account)?.get_password() {
        Ok(secret) => Ok(Some(Zeroizing::new(secret))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(map_error(e)),
    }
}
