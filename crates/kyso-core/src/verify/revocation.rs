//! Revocation checking with CRLs (RFC 5280 §5, §6.3): from the CMS `crls` field, the DSS
//! `/CRLs` (ETSI EN 319 142-1 §5.4.2) and, when online and allowed, the CRL distribution
//! points, fetched through a [`Fetcher`] (principle 6: the network is passed in).
//! OCSP responses (RFC 6960) are not interpreted yet: a certificate whose only source is
//! OCSP is reported as `unknown`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kyso_cms::{CertificateExtensions, CertificateInfo, Crl};

use super::chain::Candidate;
use super::report::{Reason, RevocationReport, Severity, rfc3339};

/// Largest CRL fetched.
const MAX_CRL: usize = 32 << 20;

/// Fetches revocation data over the network.
pub trait Fetcher: Send + Sync {
    /// GETs `url`; Err carries an English reason.
    fn get(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// Plain HTTP/1.0 GET (CRL distribution points are `http:` by convention, RFC 5280
/// §4.2.1.13: CRLs are signed, transport security adds nothing).
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

impl Fetcher for HttpFetcher {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
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
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: kyso\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| format!("{url}: {e}"))?;
        let mut response = Vec::new();
        stream
            .take(MAX_CRL as u64)
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

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Revocation data available offline.
#[derive(Default)]
pub struct Embedded {
    /// (DER CRL, "cms" or "dss")
    pub crls: Vec<(Vec<u8>, &'static str)>,
    /// OCSP responses present (not interpreted yet).
    pub ocsp_count: usize,
}

/// Checks every non-anchor certificate of `path` (signer first). `proven_time` is a time
/// the signature is proven to exist at (a verified timestamp), if any: a revocation after
/// it does not invalidate the signature (ETSI EN 319 102-1 §5.6.2.4).
pub fn check(
    path: &[Candidate],
    embedded: &Embedded,
    fetcher: Option<&dyn Fetcher>,
    proven_time: Option<i64>,
) -> (RevocationReport, Vec<Reason>) {
    let mut reasons = Vec::new();
    let mut sources: Vec<&'static str> = Vec::new();
    let mut status = "good";
    let mut any_source = false;
    let parsed: Vec<(Crl, &'static str)> = embedded
        .crls
        .iter()
        .filter_map(|(der, src)| Crl::from_der(der).ok().map(|c| (c, *src)))
        .collect();
    for pair in path.windows(2) {
        let (cert, issuer) = (&pair[0].cert, &pair[1].cert);
        let ext = CertificateExtensions::from_der(&cert.der).unwrap_or_default();
        let advertised = !ext.crl_urls.is_empty() || !ext.ocsp_urls.is_empty();
        let mut found: Option<(Crl, &'static str)> = parsed
            .iter()
            .find(|(crl, _)| crl.verify_issued_by(issuer))
            .cloned();
        if found.is_none()
            && let Some(fetcher) = fetcher
        {
            for url in &ext.crl_urls {
                match fetcher.get(url).map(|der| Crl::from_der(&der)) {
                    Ok(Ok(crl)) if crl.verify_issued_by(issuer) => {
                        found = Some((crl, "fetched"));
                        break;
                    }
                    Ok(Ok(_)) => reasons.push(Reason::new(
                        "CRL_NOT_FROM_ISSUER",
                        Severity::Info,
                        format!("the CRL at {url} is not signed by {}", issuer.subject),
                    )),
                    Ok(Err(e)) => reasons.push(Reason::new(
                        "CRL_MALFORMED",
                        Severity::Info,
                        format!("the CRL at {url} cannot be read: {e}"),
                    )),
                    Err(e) => reasons.push(Reason::new(
                        "CRL_FETCH_FAILED",
                        Severity::Info,
                        format!("cannot fetch the CRL: {e}"),
                    )),
                }
            }
        }
        match found {
            Some((crl, src)) => {
                any_source = true;
                if !sources.contains(&src) {
                    sources.push(src);
                }
                if let Some(entry) = crl.find(cert) {
                    let after_proof = proven_time.is_some_and(|t| entry.revocation_time > t);
                    if !after_proof {
                        status = "revoked";
                        reasons.push(Reason::new(
                            "CERT_REVOKED",
                            Severity::Invalid,
                            format!(
                                "the certificate of {} was revoked on {} (CRL of {})",
                                cert.subject,
                                rfc3339(entry.revocation_time),
                                crl.issuer
                            ),
                        ));
                    }
                }
            }
            None if advertised => {
                if status == "good" {
                    status = "unknown";
                }
                reasons.push(Reason::new(
                    "REVOCATION_UNKNOWN",
                    Severity::Indeterminate,
                    format!(
                        "no revocation data for the certificate of {}{}",
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
    (RevocationReport { status, sources }, reasons)
}

/// Whether `cert` names revocation sources.
pub fn advertises_sources(cert: &CertificateInfo) -> bool {
    CertificateExtensions::from_der(&cert.der)
        .is_ok_and(|e| !e.crl_urls.is_empty() || !e.ocsp_urls.is_empty())
}
