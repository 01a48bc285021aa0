//! The one error type of this crate. Every variant has a stable [`KeyError::code`] that the UI
//! maps to Vietnamese and English text. Messages name the file and the cause in plain words and
//! never contain a password or key material.

use std::path::PathBuf;

use kyso_cms::CmsError;
use thiserror::Error;

/// Everything that can go wrong while opening a key source, checking its certificate or signing.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },

    /// The bytes are not a PKCS#12 (PFX) structure at all.
    #[error("{source_name} is not a PKCS#12 (.p12/.pfx) certificate file")]
    NotPkcs12 {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// The integrity check or the decryption failed with this password.
    #[error("the password for {source_name} is wrong")]
    WrongPassword {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// A PKCS#12 file that looks like one but cannot be decoded.
    #[error("{source_name} is damaged or not a valid PKCS#12 file ({detail})")]
    Malformed {
        /// File name or other label of the key source.
        source_name: String,
        /// What the decoder said.
        detail: String,
    },

    /// Encryption or integrity algorithm we cannot read.
    #[error("{source_name} uses an encryption method that is not supported ({detail})")]
    UnsupportedEncryption {
        /// File name or other label of the key source.
        source_name: String,
        /// What the decoder said.
        detail: String,
    },

    /// Certificates only (exported without the private key).
    #[error(
        "{source_name} holds certificates but no private key; export it again with the private key"
    )]
    NoPrivateKey {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// The private key has no certificate in the file.
    #[error("{source_name} holds a private key but not the certificate that belongs to it")]
    NoMatchingCertificate {
        /// File name or other label of the key source.
        source_name: String,
    },

    /// A key that is not RSA (EC, Ed25519, DSA...).
    #[error("{source_name} holds a {algorithm} key; only RSA keys are supported")]
    UnsupportedKey {
        /// File name or other label of the key source.
        source_name: String,
        /// The key algorithm, by name when known, else its OID.
        algorithm: String,
    },

    /// More than one private key: we do not guess which one to use.
    #[error("{source_name} holds {} private keys ({}); choose one with --key N (1 = the first)", keys.len(), keys.join("; "))]
    SeveralKeys {
        /// File name or other label of the key source.
        source_name: String,
        /// One description per key (the certificate subject or the friendly name).
        keys: Vec<String>,
    },

    /// notAfter is in the past (RFC 5280 §4.1.2.5).
    #[error("the certificate of {subject} expired on {date}")]
    CertExpired {
        /// Certificate subject.
        subject: String,
        /// notAfter, YYYY-MM-DD (UTC).
        date: String,
    },

    /// notBefore is in the future.
    #[error("the certificate of {subject} is not valid before {date}")]
    CertNotYetValid {
        /// Certificate subject.
        subject: String,
        /// notBefore, YYYY-MM-DD (UTC).
        date: String,
    },

    /// keyUsage present without digitalSignature and nonRepudiation (RFC 5280 §4.2.1.3).
    #[error(
        "the certificate of {subject} is not meant for signatures (its key usage allows neither digitalSignature nor nonRepudiation)"
    )]
    CertKeyUsage {
        /// Certificate subject.
        subject: String,
    },

    /// RSA key shorter than 2048 bits.
    #[error(
        "the certificate of {subject} has an RSA key of {bits} bits; at least 2048 are required"
    )]
    CertWeakKey {
        /// Certificate subject.
        subject: String,
        /// Modulus length.
        bits: usize,
    },

    /// A digest we refuse for new signatures (SHA-1).
    #[error("{0} is not allowed for new signatures")]
    UnsupportedDigest(&'static str),

    /// The RSA operation failed or its result did not verify.
    #[error("signing failed: {0}")]
    SigningFailed(String),

    /// The .p12 holds several keys and `--key N` named none of them.
    #[error(
        "{source_name} holds {count} private keys; key number {index} does not exist (choose 1 to {count})"
    )]
    KeyIndexOutOfRange {
        /// File name or other label of the key source.
        source_name: String,
        /// The 1-based number asked for.
        index: usize,
        /// How many keys the file holds.
        count: usize,
    },

    /// No OS keychain could be reached (no Secret Service, no session bus...). Nothing was stored.
    #[error("the OS keychain is not available ({detail}); nothing was stored or read")]
    KeychainUnavailable {
        /// What the keychain library said.
        detail: String,
    },

    /// The keychain is there but locked (or refused access).
    #[error("the OS keychain is locked or refused access ({detail}); unlock it and try again")]
    KeychainLocked {
        /// What the keychain library said.
        detail: String,
    },

    /// The identity's key is gone from the keychain (deleted behind Kyso's back).
    #[error(
        "the keychain entry of identity {identity} is missing; the identity cannot sign any more: remove it and import the .p12 again"
    )]
    VaultKeyMissing {
        /// Identity id and label.
        identity: String,
    },

    /// The encrypted file of a vault identity is missing.
    #[error("the vault file of identity {identity} is missing ({})", path.display())]
    VaultFileMissing {
        /// Identity id and label.
        identity: String,
        /// The expected file.
        path: PathBuf,
    },

    /// The vault file was changed or damaged: the AEAD tag does not verify.
    #[error("the vault file of identity {identity} ({}) was changed or damaged and will not be used", path.display())]
    VaultTampered {
        /// Identity id and label.
        identity: String,
        /// The file.
        path: PathBuf,
    },

    /// The signing PIN of a vault identity (or of a token) is wrong.
    #[error("wrong PIN for identity {identity}")]
    PinWrong {
        /// Identity id and label.
        identity: String,
    },

    /// A PIN is needed and none was given (no KYSO_PIN, no --pin-file, no terminal), or it
    /// was dropped after the idle timeout.
    #[error("identity {identity} needs a PIN: use KYSO_PIN, --pin-file or a terminal")]
    PinRequired {
        /// Identity id and label.
        identity: String,
    },

    /// No identity with this id (or label).
    #[error("no identity {id}; `kyso id list` shows them")]
    IdentityNotFound {
        /// What the user typed.
        id: String,
    },

    /// Several identities match what the user typed.
    #[error("{id} matches several identities ({}); use the full id", matches.join(", "))]
    IdentityAmbiguous {
        /// What the user typed.
        id: String,
        /// The matching ids.
        matches: Vec<String>,
    },

    /// The same certificate from the same source is already an identity.
    #[error("this certificate is already identity {id}")]
    IdentityExists {
        /// The existing identity.
        id: String,
    },

    /// Neither an identity nor a .p12 was named and no default identity is set.
    #[error("no identity given and no default identity set (`kyso id default ID`)")]
    NoDefaultIdentity,

    /// The identity registry file cannot be read.
    #[error("the identity list {} is damaged ({detail})", path.display())]
    RegistryDamaged {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        detail: String,
    },

    /// The PKCS#11 module cannot be loaded or initialised.
    #[error("cannot load the token driver {module} ({detail})")]
    TokenModule {
        /// The module path.
        module: String,
        /// What the loader or C_Initialize said.
        detail: String,
    },

    /// The token is not plugged in (or was removed).
    #[error("token {token} is not present (unplugged or removed)")]
    TokenAbsent {
        /// Token label.
        token: String,
    },

    /// The user PIN of the token is locked (PKCS#11 v2.40 §5.1 CKF_USER_PIN_LOCKED).
    #[error(
        "the PIN of token {token} is locked after too many wrong tries; only the issuer can unlock it"
    )]
    TokenPinLocked {
        /// Token label.
        token: String,
    },

    /// Wrong token PIN; never retried automatically.
    #[error("wrong PIN for token {token}{}", remaining.describe())]
    TokenPinWrong {
        /// Token label.
        token: String,
        /// What the token says about the tries left.
        remaining: crate::token::PinTries,
    },

    /// No private key (with the given id) on the token, or no certificate for it.
    #[error("token {token} has no signing key{}", key_id.as_deref().map(|k| format!(" with id {k}")).unwrap_or_default())]
    TokenKeyNotFound {
        /// Token label.
        token: String,
        /// The key id asked for, hex.
        key_id: Option<String>,
    },

    /// Several keys on the token and no --key-id.
    #[error("token {token} holds several keys ({}); choose one with --key-id", key_ids.join(", "))]
    TokenSeveralKeys {
        /// Token label.
        token: String,
        /// Their ids, hex.
        key_ids: Vec<String>,
    },

    /// Any other PKCS#11 failure.
    #[error("token {token}: {detail}")]
    TokenFailed {
        /// Token label.
        token: String,
        /// The function and return value.
        detail: String,
    },

    /// A certificate or CMS error from kyso-cms.
    #[error(transparent)]
    Cms(#[from] CmsError),
}

impl KeyError {
    /// Stable machine-readable code, never changed once published.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Io { .. } => "IO",
            KeyError::NotPkcs12 { .. } => "P12_NOT_PKCS12",
            KeyError::WrongPassword { .. } => "P12_WRONG_PASSWORD",
            KeyError::Malformed { .. } => "P12_MALFORMED",
            KeyError::UnsupportedEncryption { .. } => "P12_UNSUPPORTED_ENCRYPTION",
            KeyError::NoPrivateKey { .. } => "P12_NO_PRIVATE_KEY",
            KeyError::NoMatchingCertificate { .. } => "P12_NO_MATCHING_CERTIFICATE",
            KeyError::UnsupportedKey { .. } => "P12_UNSUPPORTED_KEY",
            KeyError::SeveralKeys { .. } => "P12_SEVERAL_KEYS",
            KeyError::CertExpired { .. } => "CERT_EXPIRED",
            KeyError::CertNotYetValid { .. } => "CERT_NOT_YET_VALID",
            KeyError::CertKeyUsage { .. } => "CERT_KEY_USAGE",
            KeyError::CertWeakKey { .. } => "CERT_WEAK_KEY",
            KeyError::UnsupportedDigest(_) => "SIGN_UNSUPPORTED_DIGEST",
            KeyError::SigningFailed(_) => "SIGN_FAILED",
            KeyError::KeyIndexOutOfRange { .. } => "P12_KEY_INDEX",
            KeyError::KeychainUnavailable { .. } => "KEYCHAIN_UNAVAILABLE",
            KeyError::KeychainLocked { .. } => "KEYCHAIN_LOCKED",
            KeyError::VaultKeyMissing { .. } => "VAULT_KEY_MISSING",
            KeyError::VaultFileMissing { .. } => "VAULT_FILE_MISSING",
            KeyError::VaultTampered { .. } => "VAULT_TAMPERED",
            KeyError::PinWrong { .. } => "PIN_WRONG",
            KeyError::PinRequired { .. } => "PIN_REQUIRED",
            KeyError::IdentityNotFound { .. } => "IDENTITY_NOT_FOUND",
            KeyError::IdentityAmbiguous { .. } => "IDENTITY_AMBIGUOUS",
            KeyError::IdentityExists { .. } => "IDENTITY_EXISTS",
            KeyError::NoDefaultIdentity => "NO_DEFAULT_IDENTITY",
            KeyError::RegistryDamaged { .. } => "IDENTITY_LIST_DAMAGED",
            KeyError::TokenModule { .. } => "TOKEN_MODULE",
            KeyError::TokenAbsent { .. } => "TOKEN_ABSENT",
            KeyError::TokenPinLocked { .. } => "TOKEN_PIN_LOCKED",
            KeyError::TokenPinWrong { remaining, .. } => remaining.code(),
            KeyError::TokenKeyNotFound { .. } => "TOKEN_KEY_NOT_FOUND",
            KeyError::TokenSeveralKeys { .. } => "TOKEN_SEVERAL_KEYS",
            KeyError::TokenFailed { .. } => "TOKEN_FAILED",
            KeyError::Cms(e) => e.code(),
        }
    }

    /// The named values of the message (the catalogue's placeholders): `file` is the key
    /// source (a .p12 file's name), `detail` the English cause. Never a secret.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let s = |v: &str| v.to_string();
        match self {
            KeyError::Io { path, source } => vec![
                ("file", path.display().to_string()),
                ("detail", source.to_string()),
            ],
            KeyError::NotPkcs12 { source_name }
            | KeyError::WrongPassword { source_name }
            | KeyError::NoPrivateKey { source_name }
            | KeyError::NoMatchingCertificate { source_name } => vec![("file", s(source_name))],
            KeyError::Malformed {
                source_name,
                detail,
            }
            | KeyError::UnsupportedEncryption {
                source_name,
                detail,
            } => vec![("file", s(source_name)), ("detail", s(detail))],
            KeyError::UnsupportedKey {
                source_name,
                algorithm,
            } => vec![("file", s(source_name)), ("algorithm", s(algorithm))],
            KeyError::SeveralKeys { source_name, keys } => vec![
                ("file", s(source_name)),
                ("count", keys.len().to_string()),
                ("keys", keys.join("; ")),
            ],
            KeyError::CertExpired { subject, date }
            | KeyError::CertNotYetValid { subject, date } => {
                vec![("subject", s(subject)), ("date", s(date))]
            }
            KeyError::CertKeyUsage { subject } => vec![("subject", s(subject))],
            KeyError::CertWeakKey { subject, bits } => {
                vec![("subject", s(subject)), ("bits", bits.to_string())]
            }
            KeyError::UnsupportedDigest(algorithm) => vec![("algorithm", s(algorithm))],
            KeyError::SigningFailed(detail) => vec![("detail", s(detail))],
            KeyError::KeyIndexOutOfRange {
                source_name,
                index,
                count,
            } => vec![
                ("file", s(source_name)),
                ("index", index.to_string()),
                ("count", count.to_string()),
            ],
            KeyError::KeychainUnavailable { detail } | KeyError::KeychainLocked { detail } => {
                vec![("detail", s(detail))]
            }
            KeyError::VaultKeyMissing { identity }
            | KeyError::PinWrong { identity }
            | KeyError::PinRequired { identity } => vec![("identity", s(identity))],
            KeyError::VaultFileMissing { identity, path }
            | KeyError::VaultTampered { identity, path } => vec![
                ("identity", s(identity)),
                ("file", path.display().to_string()),
            ],
            KeyError::IdentityNotFound { id } | KeyError::IdentityExists { id } => {
                vec![("id", s(id))]
            }
            KeyError::IdentityAmbiguous { id, matches } => {
                vec![("id", s(id)), ("matches", matches.join(", "))]
            }
            KeyError::NoDefaultIdentity => Vec::new(),
            KeyError::RegistryDamaged { path, detail } => {
                vec![("file", path.display().to_string()), ("detail", s(detail))]
            }
            KeyError::TokenModule { module, detail } => {
                vec![("module", s(module)), ("detail", s(detail))]
            }
            KeyError::TokenAbsent { token } | KeyError::TokenPinLocked { token } => {
                vec![("token", s(token))]
            }
            // The wrong-PIN texts are shared with vault identities: the token is the identity.
            KeyError::TokenPinWrong { token, .. } => {
                vec![("token", s(token)), ("identity", s(token))]
            }
            KeyError::TokenKeyNotFound { token, key_id } => vec![
                ("token", s(token)),
                ("key_id", key_id.clone().unwrap_or_default()),
            ],
            KeyError::TokenSeveralKeys { token, key_ids } => {
                vec![("token", s(token)), ("key_ids", key_ids.join(", "))]
            }
            KeyError::TokenFailed { token, detail } => {
                vec![("token", s(token)), ("detail", s(detail))]
            }
            KeyError::Cms(e) => e.params(),
        }
    }
}
