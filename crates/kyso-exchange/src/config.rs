//! The endpoint's configuration (TOML): the clients allowed in, token lifetime, blob limit,
//! trust anchors and fault injection.
//!
//! ```toml
//! token_ttl_seconds = 3600          # default 3600 (kyso), 1800 (lgsp-v1's JWT)
//! max_blob_bytes = 1073741824       # default 1 GiB
//! trust_anchors = ["root.pem"]      # PEM or DER, relative to this file's folder
//! locked_organs = []                # lgsp-v1: receivers answered with code 23
//! sent_list_hashes = true           # vdxp: getSentEdocList also gives documentId, hashFile
//!
//! [[clients]]
//! client_id = "demo"                # kyso: the client id; lgsp-v1: the user name
//! client_secret = "demo-secret"     # kyso: the secret; vdxp: the HMAC key; lgsp-v1: X-SecretKey
//! organ_id = "000.00.00.H35"        # vdxp and lgsp-v1: the systemId
//! organ_name = "Ủy ban nhân dân tỉnh Hà Nam"
//! password = "…"                    # lgsp-v1: the login's password
//! application_code = "KYSO"         # lgsp-v1: the login's applicationCode (any when absent)
//!
//! [faults]                          # each rate is a probability per request (0.0 ..= 1.0)
//! seed = 42
//! drop_rate = 0.0
//! error_500_rate = 0.0
//! error_503_rate = 0.0
//! throttle_rate = 0.0               # 429 with Retry-After: retry_after_seconds
//! retry_after_seconds = 1
//! delay_rate = 0.0
//! delay_ms = 500
//! platform_error_rate = 0.0         # vdxp: FAIL, lgsp-v1: code 20, without storing anything
//! ```

use std::path::{Path, PathBuf};

use kyso_core::trust::read_certificate_file;
use kyso_core::verify::VerifyOptions;
use serde::Deserialize;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the configuration: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("trust anchor: {0}")]
    Anchor(#[from] kyso_core::TrustError),
}

/// One client allowed to use the API, and the organ it speaks for.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub client_id: String,
    pub client_secret: String,
    pub organ_id: String,
    #[serde(default)]
    pub organ_name: String,
    /// lgsp-v1: the login's password.
    #[serde(default)]
    pub password: Option<String>,
    /// lgsp-v1: the login's `applicationCode`; any is accepted when absent.
    #[serde(default)]
    pub application_code: Option<String>,
}

/// Fault injection: each rate is the probability that one request gets that fault, drawn
/// from an RNG seeded with `seed` (runs are reproducible).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    pub seed: u64,
    pub drop_rate: f64,
    pub error_500_rate: f64,
    pub error_503_rate: f64,
    pub throttle_rate: f64,
    pub retry_after_seconds: u64,
    pub delay_rate: f64,
    pub delay_ms: u64,
    /// The provincial dialects: a sending request answered as the platform's own failure
    /// (vdxp `FAIL`, lgsp-v1 code 20), nothing stored.
    pub platform_error_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 0,
            drop_rate: 0.0,
            error_500_rate: 0.0,
            error_503_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_seconds: 1,
            delay_rate: 0.0,
            delay_ms: 500,
            platform_error_rate: 0.0,
        }
    }
}

impl Faults {
    pub fn any(&self) -> bool {
        [
            self.drop_rate,
            self.error_500_rate,
            self.error_503_rate,
            self.throttle_rate,
            self.delay_rate,
        ]
        .iter()
        .any(|r| *r > 0.0)
    }
}

fn default_ttl() -> u64 {
    3600
}

fn default_true() -> bool {
    true
}

fn default_max_blob() -> u64 {
    1 << 30
}

/// The configuration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    clients: Vec<Client>,
    #[serde(default)]
    token_ttl_seconds: Option<u64>,
    #[serde(default)]
    locked_organs: Vec<String>,
    #[serde(default = "default_true")]
    sent_list_hashes: bool,
    #[serde(default = "default_max_blob")]
    max_blob_bytes: u64,
    #[serde(default)]
    trust_anchors: Vec<PathBuf>,
    #[serde(default)]
    faults: Faults,
}

/// The configuration in use.
#[derive(Clone)]
pub struct Config {
    pub clients: Vec<Client>,
    /// The kyso dialect's token lifetime.
    pub token_ttl_seconds: u64,
    /// lgsp-v1's JWT lifetime.
    pub jwt_ttl_seconds: u64,
    /// lgsp-v1: receivers that are locked (code 23).
    pub locked_organs: Vec<String>,
    /// vdxp: `getSentEdocList` gives each package's `documentId` and `hashFile` too.
    pub sent_list_hashes: bool,
    pub max_blob_bytes: u64,
    /// The anchors' files, resolved against the configuration's folder.
    pub trust_anchor_files: Vec<PathBuf>,
    pub anchors: Vec<kyso_cms::CertificateInfo>,
    pub faults: Faults,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "clients",
                &self
                    .clients
                    .iter()
                    .map(|c| &c.client_id)
                    .collect::<Vec<_>>(),
            )
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .field("jwt_ttl_seconds", &self.jwt_ttl_seconds)
            .field("locked_organs", &self.locked_organs)
            .field("sent_list_hashes", &self.sent_list_hashes)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .field("trust_anchor_files", &self.trust_anchor_files)
            .field("faults", &self.faults)
            .finish()
    }
}

/// lgsp-v1's JWT lives 30 minutes (docs/domain.md §4).
pub const DEFAULT_JWT_TTL: u64 = 30 * 60;

/// The default organ (the demo client's).
pub const DEFAULT_ORGAN_ID: &str = "000.00.00.H35";
pub const DEFAULT_ORGAN_NAME: &str = "Ủy ban nhân dân tỉnh Hà Nam";

impl Default for Config {
    /// No configuration file: one client `demo`/`demo-secret` for organ 000.00.00.H35, no
    /// faults, no anchors (so every signed PDF is refused as untrusted).
    fn default() -> Self {
        Config {
            clients: vec![Client {
                client_id: "demo".into(),
                client_secret: "demo-secret".into(),
                organ_id: DEFAULT_ORGAN_ID.into(),
                organ_name: DEFAULT_ORGAN_NAME.into(),
                password: Some("demo-password".into()),
                application_code: None,
            }],
            token_ttl_seconds: default_ttl(),
            jwt_ttl_seconds: DEFAULT_JWT_TTL,
            locked_organs: Vec::new(),
            sent_list_hashes: true,
            max_blob_bytes: default_max_blob(),
            trust_anchor_files: Vec::new(),
            anchors: Vec::new(),
            faults: Faults::default(),
        }
    }
}

impl Config {
    /// Reads and checks a configuration file and loads its trust anchors.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml(&text, path, base)
    }

    /// Parses `text` (read from `path`); anchor paths are relative to `base`.
    pub fn from_toml(text: &str, path: &Path, base: &Path) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let clients = if file.clients.is_empty() {
            Config::default().clients
        } else {
            file.clients
        };
        for (i, c) in clients.iter().enumerate() {
            if c.client_id.is_empty() || c.client_secret.is_empty() {
                return Err(invalid(format!(
                    "clients[{i}]: client_id and client_secret must not be empty"
                )));
            }
            if !kyso_sync::meta::is_organ_id(&c.organ_id) {
                return Err(invalid(format!(
                    "clients[{i}]: organ_id \"{}\" is not an agency code (e.g. 000.00.00.H35)",
                    c.organ_id
                )));
            }
            if clients[..i].iter().any(|o| o.client_id == c.client_id) {
                return Err(invalid(format!(
                    "clients[{i}]: client_id \"{}\" appears twice",
                    c.client_id
                )));
            }
        }
        let f = &file.faults;
        for (name, rate) in [
            ("drop_rate", f.drop_rate),
            ("error_500_rate", f.error_500_rate),
            ("error_503_rate", f.error_503_rate),
            ("throttle_rate", f.throttle_rate),
            ("delay_rate", f.delay_rate),
            ("platform_error_rate", f.platform_error_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(invalid(format!(
                    "faults.{name} must be a probability between 0 and 1, not {rate}"
                )));
            }
        }
        if file.token_ttl_seconds == Some(0) {
            return Err(invalid("token_ttl_seconds must be at least 1".into()));
        }
        let trust_anchor_files: Vec<PathBuf> = file
            .trust_anchors
            .iter()
            .map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    base.join(p)
                }
            })
            .collect();
        let mut anchors = Vec::new();
        for p in &trust_anchor_files {
            anchors.extend(read_certificate_file(p)?);
        }
        Ok(Config {
            clients,
            token_ttl_seconds: file.token_ttl_seconds.unwrap_or(default_ttl()),
            jwt_ttl_seconds: file.token_ttl_seconds.unwrap_or(DEFAULT_JWT_TTL),
            locked_organs: file.locked_organs,
            sent_list_hashes: file.sent_list_hashes,
            max_blob_bytes: file.max_blob_bytes,
            trust_anchor_files,
            anchors,
            faults: file.faults,
        })
    }

    /// The client with these credentials (compared in constant time per client).
    pub fn authenticate(&self, client_id: &str, secret: &str) -> Option<&Client> {
        self.clients
            .iter()
            .find(|c| c.client_id == client_id && constant_time_eq(&c.client_secret, secret))
    }

    /// The client whose organ (vdxp and lgsp-v1: the systemId) is `organ_id`.
    pub fn system(&self, organ_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.organ_id == organ_id)
    }

    /// Whether `organ_id` is an organ some client speaks for (a registered unit).
    pub fn knows_organ(&self, organ_id: &str) -> bool {
        self.system(organ_id).is_some()
    }

    /// lgsp-v1's login: the client with this user name and password (and application code,
    /// when the client has one).
    pub fn login(&self, username: &str, password: &str, application_code: &str) -> Option<&Client> {
        self.clients.iter().find(|c| {
            c.client_id == username
                && c.password
                    .as_deref()
                    .is_some_and(|p| constant_time_eq(p, password))
                && c.application_code
                    .as_deref()
                    .is_none_or(|code| code == application_code)
        })
    }

    /// Offline verification options with this configuration's anchors only (never the
    /// user's trust store, never the network).
    pub fn verify_options(&self, now: i64) -> VerifyOptions {
        VerifyOptions {
            password: None,
            extra_anchors: self.anchors.clone(),
            store: None,
            fetcher: None,
            now,
            evidence: None,
            digests: None,
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_faults() {
        let c = Config::from_toml(
            "[faults]\nseed = 7\ndrop_rate = 0.5\n",
            Path::new("x.toml"),
            Path::new("."),
        )
        .expect("parses");
        assert_eq!(c.clients[0].client_id, "demo");
        assert_eq!(c.token_ttl_seconds, 3600);
        assert_eq!(c.max_blob_bytes, 1 << 30);
        assert_eq!(c.faults.seed, 7);
        assert_eq!(c.faults.retry_after_seconds, 1);
        assert!(c.faults.any());
        assert!(c.authenticate("demo", "demo-secret").is_some());
        assert!(c.authenticate("demo", "demo-secreT").is_none());
    }

    #[test]
    fn bad_values_are_refused() {
        for text in [
            "[faults]\ndrop_rate = 2.0\n",
            "[[clients]]\nclient_id = \"a\"\nclient_secret = \"b\"\norgan_id = \"H35\"\n",
            "typo = 1\n",
            "token_ttl_seconds = 0\n",
        ] {
            assert!(
                Config::from_toml(text, Path::new("x.toml"), Path::new(".")).is_err(),
                "{text}"
            );
        }
    }
}
