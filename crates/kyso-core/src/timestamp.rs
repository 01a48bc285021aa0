//! A trusted time (RFC 3161) from the TSAs of the settings: tried in order, each with its
//! own authentication, policy and rate limit, a long timeout (the government TSA takes from
//! 2 s to over 2 minutes), 429 `Retry-After` respected. The protocol — request, answer
//! checks — is kyso-cms's ([`kyso_cms::tsp`]); this module is the policy around it, and the
//! network is passed in ([`HttpPost`], [`UreqPost`] for the real one).
//!
//! ```toml
//! [tsa]
//! urls = ["https://tsa.ca.gov.vn", "http://tsa2.example"]   # tried in this order
//! timeout_seconds = 180
//! rate_per_minute = 20      # per TSA, shared by every Kyso process of this KYSO_HOME
//! policy = "1.2.3.4"        # reqPolicy, optional
//! hash = "sha256"           # sha256 | sha384 | sha512 (never SHA-1)
//!
//! [tsa.auth."https://tsa.ca.gov.vn"]
//! kind = "basic"            # basic (user + password) | bearer (a token)
//! user = "ubnd-quang-ngai"  # the password or token is in the OS keychain (`kyso tsa login`)
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kyso_cms::DigestAlgorithm;
use kyso_cms::tsp::{CheckedTimestamp, TimestampRequest, TspError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::settings::{ConfigFile, SettingsError};

/// The government TSA can take over two minutes (docs/domain.md §3): wait long by default.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 180;

/// The `[tsa]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TsaSettings {
    pub urls: Vec<String>,
    pub timeout_seconds: u64,
    /// Requests per minute to each TSA; 0: no limit.
    pub rate_per_minute: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub hash: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub auth: BTreeMap<String, TsaAuth>,
}

impl Default for TsaSettings {
    fn default() -> Self {
        TsaSettings {
            urls: Vec::new(),
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            rate_per_minute: 0,
            policy: None,
            hash: "sha256".into(),
            auth: BTreeMap::new(),
        }
    }
}

/// How a TSA wants to be authenticated; the secret is in the OS keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsaAuth {
    /// "basic" or "bearer".
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The keys of `[tsa]` that `kyso config set` accepts.
pub const TSA_KEYS: &[&str] = &[
    "tsa.urls",
    "tsa.timeout-seconds",
    "tsa.rate-per-minute",
    "tsa.policy",
    "tsa.hash",
];

impl TsaSettings {
    pub const SECTION: &'static str = "tsa";

    pub fn load(home: &Path) -> Result<TsaSettings, SettingsError> {
        ConfigFile::load(home)?.section(home, Self::SECTION)
    }

    pub fn save(&self, home: &Path) -> Result<(), SettingsError> {
        let mut file = ConfigFile::load(home)?;
        file.set_section(Self::SECTION, self);
        file.save(home)
    }

    /// Sets one key ([`TSA_KEYS`]) from its text.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingsError> {
        let invalid = |detail: String| SettingsError::Value {
            key: key.to_string(),
            detail,
        };
        let value = value.trim();
        match key {
            "tsa.urls" => {
                let urls: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
                    .collect();
                if let Some(bad) = urls
                    .iter()
                    .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
                {
                    return Err(invalid(format!(
                        "{bad}: a TSA address starts with http:// or https://"
                    )));
                }
                self.urls = urls;
            }
            "tsa.timeout-seconds" => {
                self.timeout_seconds = value
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=3600).contains(s))
                    .ok_or_else(|| invalid(format!("\"{value}\": give 1 to 3600 seconds")))?;
            }
            "tsa.rate-per-minute" => {
                self.rate_per_minute = value
                    .parse()
                    .map_err(|_| invalid(format!("\"{value}\" is not a whole number")))?;
            }
            "tsa.policy" => {
                let ok = value.split('.').count() >= 2
                    && value
                        .split('.')
                        .all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()));
                self.policy = if value.is_empty() {
                    None
                } else if ok {
                    Some(value.to_string())
                } else {
                    return Err(invalid(format!("\"{value}\" is not a dotted OID")));
                };
            }
            "tsa.hash" => {
                hash_algorithm(value).map_err(&invalid)?;
                self.hash = value.to_ascii_lowercase();
            }
            other => {
                return Err(invalid(format!(
                    "unknown setting \"{other}\"; known: {}",
                    TSA_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// The digest a TSA is asked to stamp with; SHA-1 is refused (some TSAs refuse it too, and a
/// SHA-1 imprint proves little).
pub fn hash_algorithm(name: &str) -> Result<DigestAlgorithm, String> {
    match name.to_ascii_lowercase().as_str() {
        "sha256" | "sha-256" => Ok(DigestAlgorithm::Sha256),
        "sha384" | "sha-384" => Ok(DigestAlgorithm::Sha384),
        "sha512" | "sha-512" => Ok(DigestAlgorithm::Sha512),
        "sha1" | "sha-1" => Err("SHA-1 is not used for timestamps: use sha256".into()),
        other => Err(format!("\"{other}\": sha256, sha384 or sha512")),
    }
}

/// The keychain account holding the password or token of the TSA at `url`.
pub fn secret_account(url: &str) -> String {
    format!("tsa:{url}")
}

/// Why no TSA gave a time. Each has a stable code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TsaFailure {
    #[error("no TSA is configured: `kyso config set tsa.urls URL[,URL…]`")]
    NotConfigured,
    #[error("{url}: the TSA cannot be reached: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url}: the TSA did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("{url}: the TSA refused the request: {text}")]
    Rejected { url: String, text: String },
    #[error("{url}: the TSA's answer cannot be used: {detail}")]
    BadResponse { url: String, detail: String },
    #[error("{url}: the TSA stamped other data than was sent (wrong message imprint)")]
    WrongImprint { url: String },
    #[error(
        "{url}: the TSA's answer is not for this request (wrong nonce): replayed or misdirected"
    )]
    WrongNonce { url: String },
    #[error("{url}: the answer is not signed by a time-stamping authority: {detail}")]
    NotATsa { url: String, detail: String },
    #[error(
        "{url}: the TSA needs a login, refused the one given, or none is stored: `kyso tsa login {url}`"
    )]
    Auth { url: String },
    #[error("{url}: the TSA's password or token cannot be read from the OS keychain: {detail}")]
    Secret { url: String, detail: String },
    #[error("{url}: the TSA limits requests: try again in {seconds} s")]
    RateLimited { url: String, seconds: u64 },
}

impl TsaFailure {
    pub fn code(&self) -> &'static str {
        match self {
            TsaFailure::NotConfigured => "TSA_NOT_CONFIGURED",
            TsaFailure::Unreachable { .. } => "TSA_UNREACHABLE",
            TsaFailure::Timeout { .. } => "TSA_TIMEOUT",
            TsaFailure::Rejected { .. } => "TSA_REJECTED",
            TsaFailure::BadResponse { .. } => "TSA_BAD_RESPONSE",
            TsaFailure::WrongImprint { .. } => "TSA_WRONG_IMPRINT",
            TsaFailure::WrongNonce { .. } => "TSA_WRONG_NONCE",
            TsaFailure::NotATsa { .. } => "TSA_NOT_A_TSA",
            TsaFailure::Auth { .. } | TsaFailure::Secret { .. } => "TSA_AUTH",
            TsaFailure::RateLimited { .. } => "TSA_RATE_LIMITED",
        }
    }

    /// The named values of the message (the catalogue's placeholders): `url` is the TSA's
    /// address, `detail` the English cause.
    pub fn params(&self) -> crate::messages::Params {
        use crate::messages::param;
        match self {
            TsaFailure::NotConfigured => Vec::new(),
            TsaFailure::Unreachable { url, detail }
            | TsaFailure::BadResponse { url, detail }
            | TsaFailure::NotATsa { url, detail }
            | TsaFailure::Secret { url, detail } => {
                vec![param("url", url), param("detail", detail)]
            }
            TsaFailure::Rejected { url, text } => vec![param("url", url), param("detail", text)],
            TsaFailure::Timeout { url, seconds } | TsaFailure::RateLimited { url, seconds } => {
                vec![param("url", url), param("seconds", seconds)]
            }
            TsaFailure::WrongImprint { url }
            | TsaFailure::WrongNonce { url }
            | TsaFailure::Auth { url } => vec![param("url", url)],
        }
    }

    fn from_tsp(url: &str, e: TspError) -> TsaFailure {
        let url = url.to_string();
        match e {
            TspError::Rejected {
                status,
                text,
                failures,
            } => {
                // The status, the TSA's own words when it gave some, and the failInfo names.
                let mut said = kyso_cms::tsp::status_name(status).to_string();
                if !text.is_empty() {
                    said.push_str(&format!(": {text}"));
                }
                if !failures.is_empty() {
                    said.push_str(&format!(" [{}]", failures.join(", ")));
                }
                TsaFailure::Rejected { url, text: said }
            }
            TspError::WrongImprint => TsaFailure::WrongImprint { url },
            TspError::WrongNonce => TsaFailure::WrongNonce { url },
            TspError::NotATsa(detail) => TsaFailure::NotATsa { url, detail },
            other => TsaFailure::BadResponse {
                url,
                detail: other.to_string(),
            },
        }
    }
}

/// An HTTP answer.
pub struct HttpAnswer {
    pub status: u16,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

/// Why an HTTP request got no answer.
pub enum HttpFailure {
    Timeout,
    Unreachable(String),
}

/// POSTs a request: the network, passed in (docs/architecture.md principle 6).
pub trait HttpPost: Send + Sync {
    fn post(
        &self,
        url: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpAnswer, HttpFailure>;
}

/// The real network: HTTP/1.1 and HTTPS (rustls) with ureq. One agent for the process (its
/// TLS configuration is built once, its connections are reused), the timeout per request.
#[derive(Debug, Default)]
pub struct UreqPost;

fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(concat!("kyso/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent()
    })
}

impl HttpPost for UreqPost {
    fn post(
        &self,
        url: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpAnswer, HttpFailure> {
        let mut request = agent()
            .post(url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", content_type);
        if let Some(a) = authorization {
            request = request.header("Authorization", a);
        }
        let mut response = request.send(body).map_err(|e| match e {
            ureq::Error::Timeout(_) => HttpFailure::Timeout,
            other => HttpFailure::Unreachable(other.to_string()),
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(kyso_cms::tsp::MAX_RESPONSE_LEN as u64)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::Timeout(_) => HttpFailure::Timeout,
                other => HttpFailure::Unreachable(other.to_string()),
            })?;
        Ok(HttpAnswer {
            status,
            retry_after,
            body,
        })
    }
}

/// What the user sees while a TSA is slow.
#[derive(Debug, Clone)]
pub enum TsaProgress {
    /// Asking `url` (the `index`-th of `count`).
    Asking {
        url: String,
        index: usize,
        count: usize,
    },
    /// Waiting: a rate limit or a `Retry-After`.
    Waiting { url: String, seconds: u64 },
    /// `url` failed; the next one is tried. `reason` is `failure`'s English text.
    Failed {
        url: String,
        reason: String,
        failure: TsaFailure,
    },
}

/// Where [`TsaProgress`] goes.
type ProgressFn = dyn Fn(&TsaProgress) + Send + Sync;

/// One configured TSA.
struct Tsa {
    url: String,
    /// The `Authorization` header value, with its secret; Err when the secret is missing.
    authorization: Result<Option<Zeroizing<String>>, TsaFailure>,
}

/// Gets timestamps from the configured TSAs.
pub struct Timestamper {
    tsas: Vec<Tsa>,
    hash: DigestAlgorithm,
    policy: Option<String>,
    timeout: Duration,
    rate: Option<RateLimit>,
    transport: Arc<dyn HttpPost>,
    progress: Option<Box<ProgressFn>>,
}

impl std::fmt::Debug for Timestamper {
    // The TSAs by address: their secrets stay out of logs (docs/architecture.md principle 7).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timestamper")
            .field(
                "tsas",
                &self.tsas.iter().map(|t| t.url.as_str()).collect::<Vec<_>>(),
            )
            .field("hash", &self.hash.name())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Timestamper {
    /// From the settings in `home`; `urls` given on the command line replace the settings'.
    /// Secrets of TSAs that need them come from the OS keychain. None: no TSA configured.
    pub fn from_settings(
        home: &Path,
        urls: &[String],
        transport: Arc<dyn HttpPost>,
    ) -> Result<Option<Timestamper>, crate::Error> {
        let settings =
            TsaSettings::load(home).map_err(|source| crate::Error::Settings { source })?;
        let urls: Vec<String> = if urls.is_empty() {
            settings.urls.clone()
        } else {
            urls.to_vec()
        };
        if urls.is_empty() {
            return Ok(None);
        }
        let hash = hash_algorithm(&settings.hash).map_err(|detail| crate::Error::Settings {
            source: SettingsError::Value {
                key: "tsa.hash".into(),
                detail,
            },
        })?;
        let mut tsas = Vec::new();
        for url in urls {
            // A TSA whose secret cannot be had fails alone, when its turn comes: the next
            // one is tried.
            let authorization = match settings.auth.get(&url) {
                None => Ok(None),
                Some(auth) => match kyso_keys::keychain::load_secret(&secret_account(&url)) {
                    Ok(Some(secret)) => Ok(Some(authorization_header(auth, &secret))),
                    Ok(None) => Err(TsaFailure::Auth { url: url.clone() }),
                    Err(e) => Err(TsaFailure::Secret {
                        url: url.clone(),
                        detail: e.to_string(),
                    }),
                },
            };
            tsas.push(Tsa { url, authorization });
        }
        Ok(Some(Timestamper {
            tsas,
            hash,
            policy: settings.policy.clone(),
            timeout: Duration::from_secs(settings.timeout_seconds.max(1)),
            rate: (settings.rate_per_minute > 0).then(|| RateLimit {
                file: home.join("tsa-requests.json"),
                per_minute: settings.rate_per_minute,
            }),
            transport,
            progress: None,
        }))
    }

    /// TSAs by address only, with no authentication and no rate limit (tests, tools).
    pub fn new(urls: Vec<String>, transport: Arc<dyn HttpPost>, timeout: Duration) -> Timestamper {
        Timestamper {
            tsas: urls
                .into_iter()
                .map(|url| Tsa {
                    url,
                    authorization: Ok(None),
                })
                .collect(),
            hash: DigestAlgorithm::Sha256,
            policy: None,
            timeout,
            rate: None,
            transport,
            progress: None,
        }
    }

    /// Calls `progress` as TSAs are asked, waited for and given up on.
    pub fn with_progress(
        mut self,
        progress: impl Fn(&TsaProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The digest the TSAs are asked to stamp.
    pub fn hash(&self) -> DigestAlgorithm {
        self.hash
    }

    fn tell(&self, p: TsaProgress) {
        if let Some(progress) = &self.progress {
            progress(&p);
        }
    }

    /// A token over `imprint` (a digest of [`Timestamper::hash`]): from the first TSA that
    /// gives a good one; else the last failure.
    pub fn stamp(&self, imprint: &[u8]) -> Result<CheckedTimestamp, TsaFailure> {
        let mut last = TsaFailure::NotConfigured;
        for (i, tsa) in self.tsas.iter().enumerate() {
            self.tell(TsaProgress::Asking {
                url: tsa.url.clone(),
                index: i + 1,
                count: self.tsas.len(),
            });
            match self.stamp_with(tsa, imprint) {
                Ok(t) => return Ok(t),
                Err(e) => {
                    self.tell(TsaProgress::Failed {
                        url: tsa.url.clone(),
                        reason: e.to_string(),
                        failure: e.clone(),
                    });
                    last = e;
                }
            }
        }
        Err(last)
    }

    fn stamp_with(&self, tsa: &Tsa, imprint: &[u8]) -> Result<CheckedTimestamp, TsaFailure> {
        let url = tsa.url.as_str();
        let authorization = tsa.authorization.clone()?;
        let deadline = Instant::now() + self.timeout;
        let left = || deadline.saturating_duration_since(Instant::now());
        if let Some(rate) = &self.rate {
            let wait = rate
                .acquire(url, left())
                .map_err(|seconds| TsaFailure::RateLimited {
                    url: url.to_string(),
                    seconds,
                })?;
            if !wait.is_zero() {
                self.tell(TsaProgress::Waiting {
                    url: url.to_string(),
                    seconds: wait.as_secs(),
                });
            }
        }
        let request =
            TimestampRequest::with_random_nonce(self.hash, imprint, self.policy.as_deref())
                .map_err(|e| TsaFailure::from_tsp(url, e))?;
        loop {
            let sent = unix_now();
            let answer = self
                .transport
                .post(
                    url,
                    "application/timestamp-query",
                    authorization.as_deref().map(String::as_str),
                    request.der(),
                    left().max(Duration::from_millis(1)),
                )
                .map_err(|e| match e {
                    HttpFailure::Timeout => TsaFailure::Timeout {
                        url: url.to_string(),
                        seconds: self.timeout.as_secs(),
                    },
                    HttpFailure::Unreachable(detail) => TsaFailure::Unreachable {
                        url: url.to_string(),
                        detail,
                    },
                })?;
            let received = unix_now();
            match answer.status {
                200 => {
                    return kyso_cms::tsp::check_response(&answer.body, &request, sent, received)
                        .map_err(|e| TsaFailure::from_tsp(url, e));
                }
                401 | 403 => {
                    return Err(TsaFailure::Auth {
                        url: url.to_string(),
                    });
                }
                429 | 503 => {
                    // Wait as asked, when the wait fits in the time left; never hammer.
                    let seconds =
                        answer
                            .retry_after
                            .unwrap_or(if answer.status == 429 { 60 } else { 0 });
                    if answer.status == 503 && answer.retry_after.is_none() {
                        return Err(TsaFailure::Unreachable {
                            url: url.to_string(),
                            detail: "503 Service Unavailable".into(),
                        });
                    }
                    let wait = Duration::from_secs(seconds);
                    if wait >= left() {
                        return Err(TsaFailure::RateLimited {
                            url: url.to_string(),
                            seconds,
                        });
                    }
                    self.tell(TsaProgress::Waiting {
                        url: url.to_string(),
                        seconds,
                    });
                    std::thread::sleep(wait);
                }
                // The request is not accepted (wrong address, method, size): say so, as a
                // refusal; a server error is a TSA that cannot serve now.
                other @ 400..=499 => {
                    return Err(TsaFailure::Rejected {
                        url: url.to_string(),
                        text: format!("HTTP {other}"),
                    });
                }
                other => {
                    return Err(TsaFailure::Unreachable {
                        url: url.to_string(),
                        detail: format!("HTTP {other}"),
                    });
                }
            }
        }
    }
}

fn authorization_header(auth: &TsaAuth, secret: &str) -> Zeroizing<String> {
    use base64::Engine;
    match auth.kind.as_str() {
        "bearer" => Zeroizing::new(format!("Bearer {secret}")),
        _ => {
            let pair = Zeroizing::new(format!("{}:{secret}", auth.user.as_deref().unwrap_or("")));
            Zeroizing::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
            ))
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A per-TSA budget of requests per minute, shared by every process of one `KYSO_HOME`
/// through a small file of recent request times, locked while it is read and written.
struct RateLimit {
    file: PathBuf,
    per_minute: u32,
}

impl RateLimit {
    /// Records a request to `url` now, or after the wait that keeps it within the budget;
    /// Err(seconds) when that wait would not fit in `left`.
    fn acquire(&self, url: &str, left: Duration) -> Result<Duration, u64> {
        let lock_path = self.file.with_extension("lock");
        let Ok(lock) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
        else {
            return Ok(Duration::ZERO);
        };
        if lock.lock().is_err() {
            return Ok(Duration::ZERO);
        }
        let mut log: BTreeMap<String, Vec<u64>> = std::fs::File::open(&self.file)
            .ok()
            .and_then(|mut f| {
                let mut text = String::new();
                f.read_to_string(&mut text).ok()?;
                serde_json::from_str(&text).ok()
            })
            .unwrap_or_default();
        let now_ms = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        };
        let times = log.entry(url.to_string()).or_default();
        let mut now = now_ms();
        times.retain(|t| now.saturating_sub(*t) < 60_000);
        let mut waited = Duration::ZERO;
        if times.len() >= self.per_minute as usize {
            let oldest = times[times.len() - self.per_minute as usize];
            let wait = Duration::from_millis((oldest + 60_000).saturating_sub(now));
            if wait >= left {
                return Err(wait.as_secs().max(1));
            }
            std::thread::sleep(wait);
            waited = wait;
            now = now_ms();
            times.retain(|t| now.saturating_sub(*t) < 60_000);
        }
        times.push(now);
        if let Ok(text) = serde_json::to_string(&log)
            && let Ok(mut f) = std::fs::File::create(&self.file)
        {
            let _ = f.write_all(text.as_bytes());
        }
        let _ = lock.unlock();
        Ok(waited)
    }
}

impl crate::messages::Coded for TsaFailure {
    fn code(&self) -> &'static str {
        TsaFailure::code(self)
    }
    fn params(&self) -> crate::messages::Params {
        TsaFailure::params(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsa_settings_are_checked_when_set_and_kept_beside_the_others() {
        let home = tempfile::tempdir().unwrap();
        let mut s = TsaSettings::load(home.path()).unwrap();
        assert_eq!(s.timeout_seconds, DEFAULT_TIMEOUT_SECONDS);
        s.set("tsa.urls", " https://tsa.ca.gov.vn , http://127.0.0.1:9/ ")
            .unwrap();
        assert_eq!(s.urls, ["https://tsa.ca.gov.vn", "http://127.0.0.1:9/"]);
        assert!(s.set("tsa.urls", "ftp://tsa").is_err());
        assert!(s.set("tsa.hash", "sha1").is_err(), "SHA-1 is never used");
        s.set("tsa.hash", "SHA-384").unwrap();
        assert!(s.set("tsa.policy", "1.2.x").is_err());
        s.set("tsa.policy", "1.3.6.1.4.1.59999.1").unwrap();
        assert!(s.set("tsa.timeout-seconds", "0").is_err());
        s.save(home.path()).unwrap();
        let back = TsaSettings::load(home.path()).unwrap();
        assert_eq!(back, s);
        assert_eq!(hash_algorithm(&back.hash), Ok(DigestAlgorithm::Sha384));
    }
}
