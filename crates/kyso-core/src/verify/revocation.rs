//! Revocation checking (RFC 5280 §6.3 with CRLs, RFC 6960 with OCSP). For every certificate
//! of the path but the anchor, the sources are tried in this order until one proves its
//! status:
//!
//! 1. embedded OCSP responses: the DSS `/OCSPs` (ETSI EN 319 142-1 §5.4.2), the CMS signed
//!    attribute adbe-revocationInfoArchival and OCSP responses among the CMS `crls`
//!    (RFC 5940 §4.3);
//! 2. embedded CRLs: the CMS `crls`, adbe-revocationInfoArchival, the DSS `/CRLs`;
//! 3. when online and allowed: the OCSP responders of the certificate's authorityInfoAccess
//!    (HTTP POST, RFC 6960 Appendix A.1);
//! 4. when online and allowed: its CRL distribution points (HTTP GET).
//!
//! The network is passed in as a [`Fetcher`] (docs/architecture.md principle 6). A CRL counts
//! only when signed by the issuer; an OCSP response only when signed by the issuer or by a
//! delegated responder the issuer certified for OCSP signing (RFC 6960 §4.2.2.2).
//!
//! Freshness (ETSI EN 319 102-1 §5.2.5, RFC 5280 §5.1.2.4-5, RFC 6960 §4.2.2.1): the status
//! must be proven at `t`, the signature's proven time (a verified timestamp) when there is
//! one, else the verification time. "Not revoked" counts only from data that is current at
//! `t`: thisUpdate not after now (plus [`CLOCK_SKEW`]) and nextUpdate not before `t`; data
//! without nextUpdate only when produced at or after `t` (minus the skew). Older data is not
//! proof of good status (`REVOCATION_STALE`, info; the certificate then stays
//! `REVOCATION_UNKNOWN` unless another source proves it). A revocation is a revocation
//! however old the data that reports it; one after the proven time does not count
//! (ETSI EN 319 102-1 §5.6.2.4).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kyso_cms::ocsp::{self, crl_reason_name};
use kyso_cms::{
    BasicOcspResponse, CertStatus, CertificateExtensions, CertificateInfo, Crl, NonceCheck,
    OcspRequest, OcspResponse, ResponderCheck, ResponseStatus, SingleResponse,
};

use super::chain::Candidate;
use super::report::{Reason, RevocationReport, Severity, rfc3339};

/// Largest CRL or OCSP response fetched.
const MAX_RESPONSE: usize = 32 << 20;

/// Clock difference tolerated between us and a CA or responder, in seconds.
pub const CLOCK_SKEW: i64 = 300;

/// CRLReason certificateHold (RFC 5280 §5.3.1): a suspension, which may be lifted.
const CERTIFICATE_HOLD: u64 = 6;

/// Where revocation data came from, as the report names it (docs/verify-json.md).
pub mod source {
    /// A CRL in the CMS (`crls` or adbe-revocationInfoArchival).
    pub const CRL_CMS: &str = "cms";
    /// A CRL in the DSS `/CRLs`.
    pub const CRL_DSS: &str = "dss";
    /// A CRL fetched from a distribution point.
    pub const CRL_FETCHED: &str = "fetched";
    /// An OCSP response in the file: DSS `/OCSPs`, the CMS.
    pub const OCSP_EMBEDDED: &str = "ocsp-embedded";
    /// An OCSP response fetched from the certificate's responder.
    pub const OCSP_FETCHED: &str = "ocsp-fetched";
}

/// Fetches revocation data over the network.
pub trait Fetcher: Send + Sync {
    /// GETs `url` (a CRL); Err carries an English reason.
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
    /// POSTs `body`, of media type `content_type`, to `url` and returns the response body
    /// (an OCSP request, RFC 6960 Appendix A.1); Err carries an English reason.
    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, String>;
}

/// Plain HTTP/1.0 (CRL distribution points and OCSP responders are `http:` by convention,
/// RFC 5280 §4.2.1.13, RFC 6960 Appendix A: CRLs and responses are signed, transport
/// security adds nothing).
pub struct HttpFetcher {
    pub timeout: Duration,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        HttpFetcher {
            timeout: Duration::from_secs(15),
        }
    }
}

impl HttpFetcher {
    /// Sends one request (`head` given the path and host) and returns the body of a 200.
    fn exchange(
        &self,
        url: &str,
        head: impl FnOnce(&str, &str) -> String,
        body: &[u8],
    ) -> Result<Vec<u8>, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// is fetched"))?;
        let (host_port, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:80")
        };
        let host = host_port.split(':').next().unwrap_or(host_port);
        let addrs: Vec<_> = std::net::ToSocketAddrs::to_socket_addrs(&addr)
            .map_err(|e| format!("{url}: {e}"))?
            .collect();
        let first = addrs.first().ok_or_else(|| format!("{url}: no address"))?;
        let mut stream =
            TcpStream::connect_timeout(first, self.timeout).map_err(|e| format!("{url}: {e}"))?;
        let _ = stream.set_read_timeout(Some(self.timeout));
        let _ = stream.set_write_timeout(Some(self.timeout));
        let mut request = head(path, host).into_bytes();
        request.extend_from_slice(body);
        stream
            .write_all(&request)
            .map_err(|e| format!("{url}: {e}"))?;
        let mut response = Vec::new();
        stream
            .take(MAX_RESPONSE as u64)
            .read_to_end(&mut response)
            .map_err(|e| format!("{url}: {e}"))?;
        let split = memchr_find(&response, b"\r\n\r\n")
            .ok_or_else(|| format!("{url}: bad HTTP response"))?;
        let status_line = String::from_utf8_lossy(&response[..split]);
        let ok = status_line
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code == "200");
        if !ok {
            return Err(format!(
                "{url}: {}",
                status_line.lines().next().unwrap_or("no status")
            ));
        }
        Ok(response[split + 4..].to_vec())
    }
}

impl Fetcher for HttpFetcher {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        self.exchange(
            url,
            |path, host| {
                format!(
                    "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: kyso\r\nConnection: close\r\n\r\n"
                )
            },
            &[],
        )
    }

    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        self.exchange(
            url,
            |path, host| {
                format!(
                    "POST {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: kyso\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            },
            body,
        )
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Revocation data available offline.
#[derive(Default)]
pub struct Embedded {
    /// (DER CRL, [`source::CRL_CMS`] or [`source::CRL_DSS`])
    pub crls: Vec<(Vec<u8>, &'static str)>,
    /// OCSPResponses (or bare BasicOCSPResponses) from the DSS and the CMS.
    pub ocsps: Vec<Vec<u8>>,
    /// Certificates found in the file (CMS, DSS): delegated OCSP responders may be among
    /// them when a response does not carry its own.
    pub certs: Vec<CertificateInfo>,
}

/// What one piece of revocation data says about one certificate.
enum Says {
    /// Revoked at `time`; `detail` names the data.
    Revoked {
        time: i64,
        /// CRLReason code.
        reason: Option<u64>,
        /// When the data was issued and until when it is current.
        this_update: i64,
        next_update: Option<i64>,
        /// Names the data ("OCSP response of …", "CRL of …").
        what: String,
    },
    /// Not revoked as of `this_update` (valid until `next_update`).
    Good {
        this_update: i64,
        next_update: Option<i64>,
        what: String,
    },
}

/// Why a CRL could not be had from a distribution point.
#[derive(Clone)]
enum CrlFailure {
    Fetch(String),
    Read(String),
}

/// The status of one certificate, once proven.
enum Proof {
    Good,
    Revoked(Reason),
}

struct Checker<'a> {
    embedded_ocsps: Vec<BasicOcspResponse>,
    embedded_crls: Vec<(Crl, &'static str)>,
    certs: &'a [CertificateInfo],
    fetcher: Option<&'a dyn Fetcher>,
    proven_time: Option<i64>,
    now: i64,
    /// Fetched CRLs by URL (a delegated responder's CRL is often its subject's too).
    fetched_crls: Vec<(String, Result<Crl, CrlFailure>)>,
    reasons: Vec<Reason>,
}

/// Checks every non-anchor certificate of `path` (signer first). `proven_time` is a time
/// the signature is proven to exist at (a verified timestamp), if any; `now` is the
/// verification time (Unix seconds).
pub fn check(
    path: &[Candidate],
    embedded: &Embedded,
    fetcher: Option<&dyn Fetcher>,
    proven_time: Option<i64>,
    now: i64,
) -> (RevocationReport, Vec<Reason>) {
    let mut checker = Checker {
        embedded_ocsps: embedded
            .ocsps
            .iter()
            .filter_map(|der| OcspResponse::from_der(der).ok())
            .filter(|r| r.status == ResponseStatus::Successful)
            .filter_map(|r| r.basic)
            .collect(),
        embedded_crls: embedded
            .crls
            .iter()
            .filter_map(|(der, src)| Crl::from_der(der).ok().map(|c| (c, *src)))
            .collect(),
        certs: &embedded.certs,
        fetcher,
        proven_time,
        now,
        fetched_crls: Vec::new(),
        reasons: Vec::new(),
    };
    let mut sources: Vec<&'static str> = Vec::new();
    let mut status = "good";
    let mut any_source = false;
    for pair in path.windows(2) {
        let (cert, issuer) = (&pair[0].cert, &pair[1].cert);
        let (proof, saw_data) = checker.certificate(cert, issuer);
        let ext = CertificateExtensions::from_der(&cert.der).unwrap_or_default();
        let advertised = !ext.crl_urls.is_empty() || !ext.ocsp_urls.is_empty();
        match proof {
            Some((proof, src)) => {
                any_source = true;
                if !sources.contains(&src) {
                    sources.push(src);
                }
                if let Proof::Revoked(reason) = proof {
                    status = "revoked";
                    checker.reasons.push(reason);
                }
            }
            None if advertised || saw_data => {
                if status == "good" {
                    status = "unknown";
                }
                checker.reasons.push(Reason::new(
                    "REVOCATION_UNKNOWN",
                    Severity::Indeterminate,
                    format!(
                        "no revocation data proves the status of the certificate of {}{}",
                        cert.subject,
                        if fetcher.is_none() {
                            " (offline: only embedded data was used)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            None => {}
        }
    }
    if status == "good" && !any_source {
        status = "no_source";
    }
    (RevocationReport { status, sources }, checker.reasons)
}

impl Checker<'_> {
    /// The time the status must be proven at.
    fn at(&self) -> i64 {
        self.proven_time.unwrap_or(self.now)
    }

    /// The first proof of `cert`'s status (and its source), and whether any authentic data
    /// about it was seen at all.
    fn certificate(
        &mut self,
        cert: &CertificateInfo,
        issuer: &CertificateInfo,
    ) -> (Option<(Proof, &'static str)>, bool) {
        let mut saw_data = false;

        // 1. Embedded OCSP responses.
        let mut says = Vec::new();
        let ocsps = std::mem::take(&mut self.embedded_ocsps);
        for basic in &ocsps {
            // Only an authenticated answer counts as data about the certificate: a forged
            // response added to the DSS must not turn a certificate that names no source
            // into an unknown one.
            if let Some(single) = basic.find(issuer, cert)
                && let Some(said) =
                    self.ocsp_says(basic, single, issuer, cert, "embedded OCSP response")
            {
                saw_data = true;
                says.push(said);
            }
        }
        self.embedded_ocsps = ocsps;
        if let Some(proof) = self.decide(cert, says) {
            return (Some((proof, source::OCSP_EMBEDDED)), true);
        }

        // 2. Embedded CRLs.
        for src in [source::CRL_CMS, source::CRL_DSS] {
            let says: Vec<Says> = self
                .embedded_crls
                .iter()
                .filter(|(crl, s)| *s == src && crl.verify_issued_by(issuer))
                .map(|(crl, _)| crl_says(crl, cert, src))
                .collect();
            saw_data |= !says.is_empty();
            if let Some(proof) = self.decide(cert, says) {
                return (Some((proof, src)), true);
            }
        }

        let Some(fetcher) = self.fetcher else {
            return (None, saw_data);
        };
        let ext = CertificateExtensions::from_der(&cert.der).unwrap_or_default();

        // 3. The OCSP responders.
        for url in &ext.ocsp_urls {
            let says = self.fetch_ocsp(fetcher, url, issuer, cert);
            saw_data |= !says.is_empty();
            if let Some(proof) = self.decide(cert, says) {
                return (Some((proof, source::OCSP_FETCHED)), true);
            }
        }

        // 4. The CRL distribution points.
        for url in &ext.crl_urls {
            let says = match self.fetch_crl(url) {
                Ok(crl) if crl.verify_issued_by(issuer) => vec![crl_says(&crl, cert, url)],
                Ok(_) => {
                    self.reasons.push(Reason::new(
                        "CRL_NOT_FROM_ISSUER",
                        Severity::Info,
                        format!("the CRL at {url} is not signed by {}", issuer.subject),
                    ));
                    continue;
                }
                Err(reason) => {
                    self.reasons.push(reason);
                    continue;
                }
            };
            saw_data = true;
            if let Some(proof) = self.decide(cert, says) {
                return (Some((proof, source::CRL_FETCHED)), true);
            }
        }
        (None, saw_data)
    }

    /// What a SingleResponse about `cert` says, if its signer may answer for `issuer`.
    fn ocsp_says(
        &mut self,
        basic: &BasicOcspResponse,
        single: &SingleResponse,
        issuer: &CertificateInfo,
        cert: &CertificateInfo,
        what: &str,
    ) -> Option<Says> {
        match basic.check_responder(issuer, self.certs) {
            ResponderCheck::Issuer => {}
            ResponderCheck::Delegated {
                cert: responder,
                nocheck,
            } => {
                if !nocheck && self.responder_revoked(&responder, issuer) {
                    self.reasons.push(Reason::new(
                        "OCSP_NOT_FROM_ISSUER",
                        Severity::Info,
                        format!(
                            "the {what} about {} is signed by {}, whose certificate is revoked",
                            cert.subject, responder.subject
                        ),
                    ));
                    return None;
                }
            }
            ResponderCheck::NotAuthorized(why) => {
                self.reasons.push(Reason::new(
                    "OCSP_NOT_FROM_ISSUER",
                    Severity::Info,
                    format!("the {what} about {} is not used: {why}", cert.subject),
                ));
                return None;
            }
            ResponderCheck::Unsupported(a) => {
                self.reasons.push(Reason::new(
                    "OCSP_NOT_FROM_ISSUER",
                    Severity::Info,
                    format!("the {what} about {} cannot be verified: {a}", cert.subject),
                ));
                return None;
            }
        }
        let responder = basic.responder_id.to_string();
        match single.status {
            CertStatus::Good => Some(Says::Good {
                this_update: single.this_update,
                next_update: single.next_update,
                what: format!("the {what} by {responder}"),
            }),
            CertStatus::Revoked { time, reason } => Some(Says::Revoked {
                time,
                reason,
                this_update: single.this_update,
                next_update: single.next_update,
                what: format!("the {what} by {responder}"),
            }),
            CertStatus::Unknown => {
                self.reasons.push(Reason::new(
                    "OCSP_CERT_UNKNOWN",
                    Severity::Info,
                    format!(
                        "the OCSP responder {responder} does not know the certificate of {}",
                        cert.subject
                    ),
                ));
                None
            }
        }
    }

    /// POSTs an OCSP request for `cert` to `url` and reads what the answer says.
    fn fetch_ocsp(
        &mut self,
        fetcher: &dyn Fetcher,
        url: &str,
        issuer: &CertificateInfo,
        cert: &CertificateInfo,
    ) -> Vec<Says> {
        let nonce = ocsp::random_nonce();
        let request = match OcspRequest::new(issuer, cert, nonce.as_ref().map(|n| &n[..])) {
            Ok(r) => r,
            Err(e) => {
                self.reasons.push(Reason::new(
                    "OCSP_FETCH_FAILED",
                    Severity::Info,
                    format!("cannot ask {url} about {}: {e}", cert.subject),
                ));
                return Vec::new();
            }
        };
        let body = match fetcher.post(url, ocsp::REQUEST_CONTENT_TYPE, &request.der) {
            Ok(body) => body,
            Err(e) => {
                self.reasons.push(Reason::new(
                    "OCSP_FETCH_FAILED",
                    Severity::Info,
                    format!("cannot ask the OCSP responder: {e}"),
                ));
                return Vec::new();
            }
        };
        let response = match OcspResponse::from_der(&body) {
            Ok(r) => r,
            Err(e) => {
                self.reasons.push(Reason::new(
                    "OCSP_MALFORMED",
                    Severity::Info,
                    format!("the OCSP response of {url} cannot be read: {e}"),
                ));
                return Vec::new();
            }
        };
        let Some(basic) = response
            .basic
            .filter(|_| response.status == ResponseStatus::Successful)
        else {
            self.reasons.push(Reason::new(
                "OCSP_RESPONDER_ERROR",
                Severity::Info,
                format!(
                    "the OCSP responder at {url} answered {} about {}",
                    response.status, cert.subject
                ),
            ));
            return Vec::new();
        };
        if request.check_nonce(&basic) == NonceCheck::Mismatch {
            self.reasons.push(Reason::new(
                "OCSP_NONCE_MISMATCH",
                Severity::Info,
                format!(
                    "the OCSP response of {url} does not echo the request's nonce (replayed or misdirected)"
                ),
            ));
            return Vec::new();
        }
        let Some(single) = basic.find(issuer, cert) else {
            self.reasons.push(Reason::new(
                "OCSP_RESPONDER_ERROR",
                Severity::Info,
                format!(
                    "the OCSP response of {url} holds no answer about {}",
                    cert.subject
                ),
            ));
            return Vec::new();
        };
        let single = single.clone();
        self.ocsp_says(
            &basic,
            &single,
            issuer,
            cert,
            &format!("OCSP response of {url}"),
        )
        .into_iter()
        .collect()
    }

    /// GETs the CRL at `url` (once per run); Err is the reason to report.
    fn fetch_crl(&mut self, url: &str) -> Result<Crl, Reason> {
        let result = match self.fetched_crls.iter().find(|(u, _)| u == url) {
            Some((_, r)) => r.clone(),
            None => {
                let r = match self.fetcher {
                    Some(f) => f.get(url).map_err(CrlFailure::Fetch),
                    None => Err(CrlFailure::Fetch(format!("{url}: offline"))),
                }
                .and_then(|der| Crl::from_der(&der).map_err(|e| CrlFailure::Read(e.to_string())));
                self.fetched_crls.push((url.to_string(), r.clone()));
                r
            }
        };
        result.map_err(|failure| match failure {
            CrlFailure::Fetch(e) => Reason::new(
                "CRL_FETCH_FAILED",
                Severity::Info,
                format!("cannot fetch the CRL: {e}"),
            ),
            CrlFailure::Read(e) => Reason::new(
                "CRL_MALFORMED",
                Severity::Info,
                format!("the CRL at {url} cannot be read: {e}"),
            ),
        })
    }

    /// Whether a delegated responder without id-pkix-ocsp-nocheck is listed on a CRL of its
    /// CA: an embedded one, or (online) one from its own distribution points. When no CRL
    /// says anything, the responder is accepted (RFC 6960 §4.2.2.2.1 leaves the check to
    /// the client's policy).
    fn responder_revoked(&mut self, responder: &CertificateInfo, issuer: &CertificateInfo) -> bool {
        if self
            .embedded_crls
            .iter()
            .any(|(crl, _)| crl.verify_issued_by(issuer) && crl.find(responder).is_some())
        {
            return true;
        }
        if self.fetcher.is_none() {
            return false;
        }
        let ext = CertificateExtensions::from_der(&responder.der).unwrap_or_default();
        ext.crl_urls.iter().any(|url| {
            self.fetch_crl(url)
                .is_ok_and(|crl| crl.verify_issued_by(issuer) && crl.find(responder).is_some())
        })
    }

    /// The proof among what one kind of source says, if any: a revocation before the proven
    /// time (from any data, however old, but a suspension only from current data), else a
    /// revocation after it (the signature is proven to predate it), else "not revoked" from
    /// data that is current at [`Self::at`]. Stale data is reported and proves nothing.
    fn decide(&mut self, cert: &CertificateInfo, says: Vec<Says>) -> Option<Proof> {
        let mut revoked_later = false;
        let mut fresh = false;
        let mut stale = None;
        for s in says {
            match s {
                Says::Revoked {
                    time,
                    reason,
                    this_update,
                    next_update,
                    what,
                } => {
                    let old = self.staleness(this_update, next_update);
                    if self.proven_time.is_some_and(|t| time > t) {
                        revoked_later = true;
                    } else if reason == Some(CERTIFICATE_HOLD)
                        && let Some(why) = old
                    {
                        // A suspension in old data may have been lifted since.
                        stale = Some(format!("{what} (on hold): {why}"));
                    } else {
                        return Some(Proof::Revoked(Reason::new(
                            "CERT_REVOKED",
                            Severity::Invalid,
                            format!(
                                "the certificate of {} was revoked on {} ({}; {what})",
                                cert.subject,
                                rfc3339(time),
                                reason.map_or("no reason given", crl_reason_name)
                            ),
                        )));
                    }
                }
                Says::Good {
                    this_update,
                    next_update,
                    what,
                } => match self.staleness(this_update, next_update) {
                    None => fresh = true,
                    Some(why) => stale = Some(format!("{what}: {why}")),
                },
            }
        }
        if revoked_later || fresh {
            return Some(Proof::Good);
        }
        if let Some(why) = stale {
            self.reasons.push(Reason::new(
                "REVOCATION_STALE",
                Severity::Info,
                format!(
                    "the revocation data about {} is not current at {}, so it does not prove the certificate was not revoked ({why})",
                    cert.subject,
                    rfc3339(self.at())
                ),
            ));
        }
        None
    }

    /// Why data issued at `this_update`, valid until `next_update`, does not tell the
    /// status at [`Self::at`]; None when it does.
    fn staleness(&self, this_update: i64, next_update: Option<i64>) -> Option<String> {
        let at = self.at();
        if this_update > self.now + CLOCK_SKEW {
            return Some(format!(
                "thisUpdate {} is in the future",
                rfc3339(this_update)
            ));
        }
        match next_update {
            Some(next) if next < at => Some(format!(
                "thisUpdate {}, nextUpdate {}",
                rfc3339(this_update),
                rfc3339(next)
            )),
            Some(_) => None,
            None if this_update + CLOCK_SKEW < at => Some(format!(
                "thisUpdate {} and no nextUpdate",
                rfc3339(this_update)
            )),
            None => None,
        }
    }
}

/// What a CRL signed by `cert`'s issuer says about it.
fn crl_says(crl: &Crl, cert: &CertificateInfo, from: &str) -> Says {
    match crl.find(cert) {
        Some(entry) => Says::Revoked {
            time: entry.revocation_time,
            reason: entry.reason,
            this_update: crl.this_update,
            next_update: crl.next_update,
            what: format!("the CRL of {} ({from})", crl.issuer),
        },
        None => Says::Good {
            this_update: crl.this_update,
            next_update: crl.next_update,
            what: format!("the CRL of {} ({from})", crl.issuer),
        },
    }
}

/// Whether `cert` names revocation sources.
pub fn advertises_sources(cert: &CertificateInfo) -> bool {
    CertificateExtensions::from_der(&cert.der)
        .is_ok_and(|e| !e.crl_urls.is_empty() || !e.ocsp_urls.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(proven_time: Option<i64>, now: i64) -> Checker<'static> {
        Checker {
            embedded_ocsps: Vec::new(),
            embedded_crls: Vec::new(),
            certs: &[],
            fetcher: None,
            proven_time,
            now,
            fetched_crls: Vec::new(),
            reasons: Vec::new(),
        }
    }

    #[test]
    fn freshness_at_the_verification_time() {
        let now = 1_800_000_000;
        let c = checker(None, now);
        let day = 86_400;
        // Current: thisUpdate ≤ now ≤ nextUpdate.
        assert_eq!(c.staleness(now - day, Some(now + day)), None);
        // nextUpdate passed: stale.
        assert!(c.staleness(now - 2 * day, Some(now - 1)).is_some());
        // Issued in the future (beyond the skew): stale; within the skew: fine.
        assert!(c.staleness(now + CLOCK_SKEW + 1, Some(now + day)).is_some());
        assert_eq!(c.staleness(now + 60, Some(now + day)), None);
        // No nextUpdate: only when produced now (within the skew).
        assert_eq!(c.staleness(now - 60, None), None);
        assert!(c.staleness(now - CLOCK_SKEW - 1, None).is_some());
    }

    #[test]
    fn freshness_at_a_proven_time() {
        let (proven, now) = (1_700_000_000, 1_800_000_000);
        let c = checker(Some(proven), now);
        let day = 86_400;
        // Data current at the proven time, long expired now: proves the status then.
        assert_eq!(c.staleness(proven - day, Some(proven + day)), None);
        // Issued after the proven time, expired now: still proof (the signature predates it).
        assert_eq!(c.staleness(proven + day, Some(proven + 2 * day)), None);
        assert_eq!(c.staleness(proven + day, None), None);
        // Expired before the proven time: stale.
        assert!(c.staleness(proven - 2 * day, Some(proven - day)).is_some());
        assert!(c.staleness(proven - day, None).is_some());
    }
}
