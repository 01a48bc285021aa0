//! Identities: what the user signs as. Each is a certificate plus where its key lives, the
//! vault (a soft certificate imported from a .p12) or a PKCS#11 token. The list is the JSON
//! file `KYSO_HOME/identities.json` (public data only: certificates, labels, token names);
//! keys never appear in it.

use std::path::{Path, PathBuf};

use kyso_cms::{CertificateInfo, PublicKeyInfo};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::check::format_date;
use crate::error::KeyError;
use crate::keychain;
use crate::pkcs12::Pkcs12Signer;
use crate::signer::Signer;
use crate::vault::{self, VaultContents};

/// Where an identity's private key lives.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// Encrypted under `KYSO_HOME/vault/`, its key in the OS keychain.
    Vault {
        /// Whether a signing PIN also wraps the file.
        pin: bool,
    },
    /// On a PKCS#11 token.
    Token {
        /// Path of the PKCS#11 module.
        module: String,
        /// Token label (CK_TOKEN_INFO.label, trimmed).
        token_label: String,
        /// Token serial number, when the token reports one.
        token_serial: String,
        /// CKA_ID of the key and certificate, hex.
        key_id: String,
    },
}

/// One identity, as listed and shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identity {
    /// Stable id (16 hex digits).
    pub id: String,
    /// The user's name for it.
    pub label: String,
    /// Subject DN, exactly as in the certificate (Vietnamese UTF-8).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// notBefore, YYYY-MM-DD (UTC).
    pub valid_from: String,
    /// notAfter, YYYY-MM-DD (UTC).
    pub valid_to: String,
    /// "RSA" or the algorithm OID.
    pub key_algorithm: String,
    /// Modulus bits for RSA.
    pub key_bits: Option<usize>,
    /// keyUsage bits by RFC 5280 name; empty when the extension is absent.
    pub key_usage: Vec<String>,
    /// SHA-256 of the certificate DER, hex.
    pub sha256_fingerprint: String,
    /// Vault or token.
    pub source: Source,
    /// Certificate DER, hex (public).
    pub certificate: String,
}

impl Identity {
    /// Builds the model from a certificate.
    pub fn from_certificate(
        id: String,
        label: String,
        cert: &CertificateInfo,
        source: Source,
    ) -> Self {
        let (key_algorithm, key_bits) = match &cert.public_key {
            PublicKeyInfo::Rsa { bits } => ("RSA".to_string(), Some(*bits)),
            PublicKeyInfo::Other { oid } => (oid.clone(), None),
        };
        let key_usage = cert
            .key_usage
            .as_ref()
            .map(|ku| {
                [
                    (ku.digital_signature, "digitalSignature"),
                    (ku.non_repudiation, "nonRepudiation"),
                    (ku.key_encipherment, "keyEncipherment"),
                    (ku.data_encipherment, "dataEncipherment"),
                    (ku.key_agreement, "keyAgreement"),
                    (ku.key_cert_sign, "keyCertSign"),
                    (ku.crl_sign, "cRLSign"),
                ]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, name)| name.to_string())
                .collect()
            })
            .unwrap_or_default();
        Identity {
            id,
            label,
            subject: cert.subject.clone(),
            issuer: cert.issuer.clone(),
            serial: cert.serial_hex.clone(),
            valid_from: format_date(cert.not_before),
            valid_to: format_date(cert.not_after),
            key_algorithm,
            key_bits,
            key_usage,
            sha256_fingerprint: cert.sha256_fingerprint_hex.clone(),
            source,
            certificate: hex::encode(&cert.der),
        }
    }

    /// "id (label)" for messages.
    pub fn display_name(&self) -> String {
        format!("{} ({})", self.id, self.label)
    }

    /// The certificate DER.
    pub fn certificate_der(&self) -> Result<Vec<u8>, KeyError> {
        hex::decode(&self.certificate).map_err(|e| KeyError::RegistryDamaged {
            path: registry_path(),
            detail: format!("certificate of {}: {e}", self.id),
        })
    }

    /// The certificate as PEM (RFC 7468 §5).
    pub fn certificate_pem(&self) -> Result<String, KeyError> {
        Ok(pem_encode("CERTIFICATE", &self.certificate_der()?))
    }
}

/// The identity list on disk.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Registry {
    /// Id of the default identity.
    #[serde(default)]
    pub default: Option<String>,
    /// All identities, in import order.
    #[serde(default)]
    pub identities: Vec<Identity>,
}

/// `KYSO_HOME/identities.json`.
pub fn registry_path() -> PathBuf {
    crate::home::kyso_home().join("identities.json")
}

/// An exclusive lock on the identity list, held from `load` to `save` by every change, so
/// two Kyso processes (the desktop app and a `kyso id` command) never lose each other's
/// change. Released when dropped, or by the OS if the process dies.
pub struct RegistryLock {
    _file: std::fs::File,
}

/// Waits for, then takes, the identity list's lock (`KYSO_HOME/identities.lock`).
pub fn lock_registry() -> Result<RegistryLock, KeyError> {
    let home = crate::home::kyso_home();
    crate::home::create_private_dir(&home).map_err(|source| KeyError::Io {
        path: home.clone(),
        source,
    })?;
    let path = home.join("identities.lock");
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|source| KeyError::Io { path, source })?;
    Ok(RegistryLock { _file: file })
}

impl Registry {
    /// Reads the list (empty when the file does not exist yet).
    pub fn load() -> Result<Self, KeyError> {
        let path = registry_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| KeyError::RegistryDamaged {
                path: path.clone(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Registry::default()),
            Err(source) => Err(KeyError::Io { path, source }),
        }
    }

    /// Writes the list atomically, owner-only.
    pub fn save(&self) -> Result<(), KeyError> {
        let path = registry_path();
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| KeyError::RegistryDamaged {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        vault::write_private_file(&path, &bytes)
    }

    /// Finds an identity by full id, unique id prefix (4+ digits) or exact label.
    pub fn find(&self, query: &str) -> Result<&Identity, KeyError> {
        if let Some(i) = self.identities.iter().find(|i| i.id == query) {
            return Ok(i);
        }
        let matches: Vec<&Identity> = self
            .identities
            .iter()
            .filter(|i| (query.len() >= 4 && i.id.starts_with(query)) || i.label == query)
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(KeyError::IdentityNotFound {
                id: query.to_string(),
            }),
            several => Err(KeyError::IdentityAmbiguous {
                id: query.to_string(),
                matches: several.iter().map(|i| i.display_name()).collect(),
            }),
        }
    }

    fn find_mut(&mut self, query: &str) -> Result<&mut Identity, KeyError> {
        let id = self.find(query)?.id.clone();
        self.identities
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or(KeyError::IdentityNotFound { id })
    }

    /// The default identity, if one is set.
    pub fn default_identity(&self) -> Result<&Identity, KeyError> {
        let id = self.default.as_deref().ok_or(KeyError::NoDefaultIdentity)?;
        self.find(id)
    }

    fn check_new(&self, fingerprint: &str, source: &Source) -> Result<(), KeyError> {
        let same_kind = |s: &Source| {
            matches!(
                (s, source),
                (Source::Vault { .. }, Source::Vault { .. })
                    | (Source::Token { .. }, Source::Token { .. })
            )
        };
        match self
            .identities
            .iter()
            .find(|i| i.sha256_fingerprint == fingerprint && same_kind(&i.source))
        {
            Some(existing) => Err(KeyError::IdentityExists {
                id: existing.display_name(),
            }),
            None => Ok(()),
        }
    }

    /// Adds an identity; the first one becomes the default.
    pub fn add(&mut self, identity: Identity) -> Result<(), KeyError> {
        self.check_new(&identity.sha256_fingerprint, &identity.source)?;
        if self.default.is_none() {
            self.default = Some(identity.id.clone());
        }
        self.identities.push(identity);
        self.save()
    }
}

/// A new random identity id.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Imports a .p12 into the vault. The .p12 password is used once and never stored. The
/// keychain entry is written first: when no keychain is reachable nothing is stored at all.
///
/// A certificate that could never sign is refused at once rather than at the first
/// signature: expired at `now_unix` (`CERT_EXPIRED`), without a signing key usage
/// (`CERT_KEY_USAGE`), or with a weak key (`CERT_WEAK_KEY`). One not valid yet may be
/// imported ahead of its start.
pub fn import_p12(
    p12_bytes: &[u8],
    password: &str,
    source_name: &str,
    key_index: Option<usize>,
    label: Option<&str>,
    pin: Option<&str>,
    now_unix: i64,
) -> Result<Identity, KeyError> {
    let signer = Pkcs12Signer::from_bytes_with_key(p12_bytes, password, source_name, key_index)?;
    let cert = signer.certificate_info().clone();
    match crate::check_certificate_usable(&cert, now_unix) {
        Ok(_) | Err(KeyError::CertNotYetValid { .. }) => {}
        Err(e) => return Err(e),
    }
    let _lock = lock_registry()?;
    let mut registry = Registry::load()?;
    let source = Source::Vault { pin: pin.is_some() };
    registry.check_new(&cert.sha256_fingerprint_hex, &source)?;

    let id = new_id();
    let label = label
        .map(str::to_string)
        .or_else(|| cert.subject_common_name.clone())
        .unwrap_or_else(|| cert.subject.clone());
    let contents = VaultContents {
        pkcs8: signer.pkcs8_der()?,
        certificate: cert.der.clone(),
        chain: signer.chain_der().to_vec(),
    };
    let mut key = Zeroizing::new([0u8; keychain::KEY_LEN]);
    OsRng.fill_bytes(key.as_mut());
    let blob = vault::seal_contents(&id, &contents, &key, pin)?;
    drop(contents);

    keychain::store_key(&id, &key)?;
    let identity = Identity::from_certificate(id.clone(), label, &cert, source);
    let stored = vault::write_private_file(&vault::vault_path(&id), &blob)
        .and_then(|()| registry.add(identity.clone()));
    if let Err(e) = stored {
        let _ = std::fs::remove_file(vault::vault_path(&id));
        let _ = keychain::delete_key(&id);
        return Err(e);
    }
    Ok(identity)
}

/// Renames an identity.
pub fn rename(query: &str, label: &str) -> Result<Identity, KeyError> {
    let _lock = lock_registry()?;
    let mut registry = Registry::load()?;
    let identity = registry.find_mut(query)?;
    identity.label = label.to_string();
    let out = identity.clone();
    registry.save()?;
    Ok(out)
}

/// Makes an identity the default one.
pub fn set_default(query: &str) -> Result<Identity, KeyError> {
    let _lock = lock_registry()?;
    let mut registry = Registry::load()?;
    let identity = registry.find(query)?.clone();
    registry.default = Some(identity.id.clone());
    registry.save()?;
    Ok(identity)
}

/// Removes an identity: its keychain entry and vault file (vault), or only the reference
/// (token: the key stays on the token).
pub fn remove(query: &str) -> Result<Identity, KeyError> {
    let _lock = lock_registry()?;
    let mut registry = Registry::load()?;
    let identity = registry.find(query)?.clone();
    if let Source::Vault { .. } = identity.source {
        keychain::delete_key(&identity.id)?;
        let path = vault::vault_path(&identity.id);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(KeyError::Io { path, source }),
        }
    }
    registry.identities.retain(|i| i.id != identity.id);
    if registry.default.as_deref() == Some(identity.id.as_str()) {
        registry.default = None;
    }
    registry.save()?;
    Ok(identity)
}

/// A vault identity opened for signing: the key decrypted in memory (zeroized on drop).
pub struct VaultSigner {
    inner: Pkcs12Signer,
}

impl std::fmt::Debug for VaultSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSigner")
            .field("identity", &self.inner.source_name())
            .finish_non_exhaustive()
    }
}

impl VaultSigner {
    /// Opens a vault identity: keychain key, then the file, then (if set) the PIN layer.
    pub fn open(identity: &Identity, pin: Option<&str>) -> Result<Self, KeyError> {
        let Source::Vault { .. } = identity.source else {
            return Err(KeyError::IdentityNotFound {
                id: identity.id.clone(),
            });
        };
        let name = identity.display_name();
        let path = vault::vault_path(&identity.id);
        let blob = read_vault_file(&path, &name)?;
        let key = keychain::load_key(&identity.id, &name)?;
        let contents = vault::open_contents(&identity.id, &blob, &key, pin, &name, &path)?;
        let inner = Pkcs12Signer::from_parts(
            &contents.pkcs8,
            &contents.certificate,
            contents.chain,
            &name,
        )
        .map_err(|_| KeyError::VaultTampered {
            identity: name.clone(),
            path: path.clone(),
        })?;
        Ok(VaultSigner { inner })
    }

    /// The signer certificate.
    pub fn certificate_info(&self) -> &CertificateInfo {
        self.inner.certificate_info()
    }
}

/// Whether the vault file of `identity` needs a PIN.
pub fn vault_needs_pin(identity: &Identity) -> bool {
    matches!(identity.source, Source::Vault { pin: true })
}

/// Whether signing with `identity` needs a PIN: a token always, a vault identity when it was
/// imported with a signing PIN.
pub fn needs_pin(identity: &Identity) -> bool {
    match identity.source {
        Source::Vault { pin } => pin,
        Source::Token { .. } => true,
    }
}

/// Opens `identity` for signing, whatever holds its key: the vault (keychain key, file, and
/// the signing PIN when it has one) or its token (logged in with `pin`, once; a wrong PIN is
/// an error, never retried). A PIN that is needed and missing is `PIN_REQUIRED`. A token
/// forgets its PIN after `idle_timeout` without a signature. The one way the CLI and the
/// desktop open an identity.
pub fn open_signer(
    identity: &Identity,
    pin: Option<Zeroizing<String>>,
    idle_timeout: std::time::Duration,
) -> Result<Box<dyn Signer>, KeyError> {
    let pin = match pin {
        Some(pin) => Some(pin),
        None if needs_pin(identity) => {
            return Err(KeyError::PinRequired {
                identity: identity.display_name(),
            });
        }
        None => None,
    };
    match identity.source {
        Source::Vault { pin: with_pin } => {
            let pin = if with_pin { pin.as_deref() } else { None };
            Ok(Box::new(VaultSigner::open(
                identity,
                pin.map(String::as_str),
            )?))
        }
        Source::Token { .. } => {
            let pin = pin.ok_or_else(|| KeyError::PinRequired {
                identity: identity.display_name(),
            })?;
            Ok(Box::new(crate::TokenSigner::open(
                identity,
                pin,
                idle_timeout,
            )?))
        }
    }
}

fn read_vault_file(path: &Path, name: &str) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            KeyError::VaultFileMissing {
                identity: name.to_string(),
                path: path.to_path_buf(),
            }
        } else {
            KeyError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

impl Signer for VaultSigner {
    fn certificate_der(&self) -> &[u8] {
        self.inner.certificate_der()
    }
    fn chain_der(&self) -> &[Vec<u8>] {
        self.inner.chain_der()
    }
    fn sign(
        &self,
        data: &[u8],
        digest: kyso_cms::DigestAlgorithm,
        scheme: kyso_cms::SignatureScheme,
    ) -> Result<Vec<u8>, KeyError> {
        self.inner.sign(data, digest, scheme)
    }
    fn signature_len(&self) -> usize {
        self.inner.signature_len()
    }
}

/// PEM with 64-character lines (RFC 7468 §2).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for chunk in der.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem() {
        let p = pem_encode("X", b"hello");
        assert_eq!(p, "-----BEGIN X-----\naGVsbG8=\n-----END X-----\n");
        assert!(pem_encode("X", b"hell").contains("aGVsbA=="));
        assert!(pem_encode("X", b"hel").contains("aGVs\n"));
    }
}
