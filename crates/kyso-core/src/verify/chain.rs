//! Certification path building and validation (RFC 5280 §6, simplified to what PAdES
//! validation needs): from the signer certificate up through issuers found among the CMS
//! certificates, the DSS, the user's stored intermediates and the anchors, each link's
//! signature verified, each certificate checked for validity at the signing time, CAs for
//! basicConstraints cA and keyCertSign. The path ends at a trust anchor (trusted) or not.

use kyso_cms::{CertificateInfo, SignedObject, verify::SignatureCheck};

use super::report::{Reason, Severity, rfc3339};

/// Longest path followed.
const MAX_DEPTH: usize = 10;

/// A candidate certificate and where it came from.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub cert: CertificateInfo,
    /// "cms", "dss", "store", "anchor", "command_line"
    pub source: &'static str,
}

/// The path found (signer first) and what is wrong with it.
#[derive(Debug, Clone)]
pub struct Chain {
    pub path: Vec<Candidate>,
    pub trusted: bool,
    pub reasons: Vec<Reason>,
}

/// Builds and validates the path of `leaf` at time `at` (Unix seconds).
/// `anchors` are trusted; `pool` holds the other certificates.
pub fn build(
    leaf: &CertificateInfo,
    leaf_source: &'static str,
    pool: &[Candidate],
    anchors: &[Candidate],
    at: i64,
    what: &str,
) -> Chain {
    let mut path = vec![Candidate {
        cert: leaf.clone(),
        source: leaf_source,
    }];
    let mut reasons = Vec::new();
    let mut trusted = false;
    while let Some(current) = path.last().map(|c| c.cert.clone()) {
        if let Some(anchor) = anchors
            .iter()
            .find(|a| a.cert.sha256_fingerprint_hex == current.sha256_fingerprint_hex)
        {
            if let Some(last) = path.last_mut() {
                last.source = anchor.source;
            }
            trusted = true;
            break;
        }
        if path.len() > MAX_DEPTH {
            reasons.push(Reason::new(
                "CHAIN_TOO_LONG",
                Severity::Indeterminate,
                format!("the {what} chain is longer than {MAX_DEPTH} certificates"),
            ));
            break;
        }
        let Ok(signed) = SignedObject::parse(&current.der) else {
            reasons.push(Reason::new(
                "CERT_MALFORMED",
                Severity::Invalid,
                format!("the certificate of {} cannot be read", current.subject),
            ));
            break;
        };
        let named: Vec<&Candidate> = anchors
            .iter()
            .chain(pool.iter())
            .filter(|c| {
                (c.cert.subject_der == current.issuer_der || c.cert.subject == current.issuer)
                    && c.cert.sha256_fingerprint_hex != current.sha256_fingerprint_hex
            })
            .collect();
        let mut issuer = None;
        let mut unsupported = None;
        for candidate in &named {
            match signed.verify_with(&candidate.cert) {
                SignatureCheck::Valid => {
                    issuer = Some((*candidate).clone());
                    break;
                }
                SignatureCheck::UnsupportedAlgorithm(a) | SignatureCheck::UnsupportedKey(a) => {
                    unsupported = Some(a)
                }
                _ => {}
            }
        }
        match issuer {
            Some(next) => {
                if path
                    .iter()
                    .any(|p| p.cert.sha256_fingerprint_hex == next.cert.sha256_fingerprint_hex)
                {
                    break;
                }
                check_ca(&next.cert, at, &mut reasons);
                path.push(next);
            }
            None => {
                if current.is_self_issued() && signed.verify_with(&current) == SignatureCheck::Valid
                {
                    reasons.push(Reason::new(
                        "CHAIN_UNTRUSTED_ROOT",
                        Severity::Indeterminate,
                        format!(
                            "the {what} chain ends at {}, which is not a trusted root",
                            current.subject
                        ),
                    ));
                } else if let Some(a) = unsupported {
                    reasons.push(Reason::new(
                        "UNSUPPORTED_ALGORITHM",
                        Severity::Indeterminate,
                        format!("the certificate of {} uses {a}", current.subject),
                    ));
                } else if !named.is_empty() {
                    reasons.push(Reason::new(
                        "CERT_SIGNATURE_INVALID",
                        Severity::Invalid,
                        format!(
                            "the signature on the certificate of {} does not verify with its issuer's key (corrupted or forged certificate)",
                            current.subject
                        ),
                    ));
                } else {
                    reasons.push(Reason::new(
                        "CHAIN_ISSUER_MISSING",
                        Severity::Indeterminate,
                        format!(
                            "the issuer of {} ({}) is not known: store it with `kyso trust add --intermediate`",
                            current.subject, current.issuer
                        ),
                    ));
                }
                break;
            }
        }
    }
    Chain {
        path,
        trusted,
        reasons,
    }
}

fn check_ca(cert: &CertificateInfo, at: i64, reasons: &mut Vec<Reason>) {
    if !cert.is_ca || cert.key_usage.is_some_and(|k| !k.key_cert_sign) {
        reasons.push(Reason::new(
            "CA_NOT_A_CA",
            Severity::Invalid,
            format!("{} issued a certificate but is not a CA", cert.subject),
        ));
    }
    check_validity(cert, at, "CA_CERT", reasons);
}

/// Validity at `at` (RFC 5280 §4.1.2.5).
pub fn check_validity(cert: &CertificateInfo, at: i64, prefix: &str, reasons: &mut Vec<Reason>) {
    if at > cert.not_after {
        reasons.push(Reason::new(
            if prefix == "CA_CERT" {
                "CA_CERT_EXPIRED_AT_SIGNING"
            } else {
                "CERT_EXPIRED_AT_SIGNING"
            },
            Severity::Invalid,
            format!(
                "the certificate of {} had expired ({}) at the signing time {}",
                cert.subject,
                rfc3339(cert.not_after),
                rfc3339(at)
            ),
        ));
    } else if at < cert.not_before {
        reasons.push(Reason::new(
            if prefix == "CA_CERT" {
                "CA_CERT_NOT_YET_VALID_AT_SIGNING"
            } else {
                "CERT_NOT_YET_VALID_AT_SIGNING"
            },
            Severity::Invalid,
            format!(
                "the certificate of {} was not yet valid ({}) at the signing time {}",
                cert.subject,
                rfc3339(cert.not_before),
                rfc3339(at)
            ),
        ));
    }
}
