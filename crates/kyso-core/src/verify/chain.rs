//! Certification path building and validation (RFC 5280 §6, simplified to what PAdES
//! validation needs): from the signer certificate up through issuers found among the CMS
//! certificates, the DSS, the user's stored intermediates and the anchors, each link's
//! signature verified, each certificate checked for validity at the signing time, CAs for
//! basicConstraints cA and keyCertSign. The path ends at a trust anchor (trusted) or not.

use kyso_cms::{CertificateInfo, SignedObject, verify::SignatureCheck};

use super::report::{Reason, Severity, rfc3339};
use crate::messages::{self, Lang};

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
                    reasons.push(
                        Reason::new(
                            "CHAIN_UNTRUSTED_ROOT",
                            Severity::Indeterminate,
                            format!(
                                "the {what} chain ends at {}, which is not a trusted root",
                                current.subject
                            ),
                        )
                        .with_param("subject", &current.subject)
                        .with_advice(ADVICE_TRUST_ROOT),
                    );
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
                    reasons.push(issuer_missing(&current));
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

/// `CHAIN_ISSUER_MISSING` for a path that stops at `last`, whose issuer Kyso does not hold:
/// names the missing issuer by its subject, and leads with the likelier fix. The issuer of a
/// CA certificate is usually a root (add it as a trust anchor, `kyso trust add`); the issuer
/// of an end-entity certificate usually an intermediate CA (`kyso trust add --intermediate`).
/// The other fix is mentioned too.
pub fn issuer_missing(last: &CertificateInfo) -> Reason {
    let advice = if last.is_ca {
        ADVICE_TRUST_ANCHOR
    } else {
        ADVICE_TRUST_INTERMEDIATE
    };
    let params = [
        ("subject", last.subject.as_str()),
        ("issuer", last.issuer.as_str()),
    ];
    let detail = format!(
        "{} {}",
        messages::text(Lang::En, "CHAIN_ISSUER_MISSING", &params),
        messages::text(Lang::En, advice, &params)
    );
    Reason::new("CHAIN_ISSUER_MISSING", Severity::Indeterminate, detail)
        .with_param("subject", &last.subject)
        .with_param("issuer", &last.issuer)
        .with_advice(advice)
}

/// The advice when the missing issuer is likely a root: add it as a trust anchor.
pub const ADVICE_TRUST_ANCHOR: &str = "advice.trust_add_anchor";
/// The advice when the chain ends at a root that is not trusted: trust it, if it should be.
pub const ADVICE_TRUST_ROOT: &str = "advice.trust_add_root";
/// The advice when the missing issuer is likely an intermediate CA: store it as one.
pub const ADVICE_TRUST_INTERMEDIATE: &str = "advice.trust_add_intermediate";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(subject: &str, issuer: &str, is_ca: bool) -> CertificateInfo {
        CertificateInfo {
            subject: subject.into(),
            subject_common_name: None,
            subject_organization: None,
            subject_email: None,
            issuer: issuer.into(),
            issuer_common_name: None,
            serial_hex: "01".into(),
            not_before: 0,
            not_after: i64::MAX,
            key_usage: None,
            extended_key_usage: None,
            is_ca,
            subject_key_identifier: None,
            public_key: kyso_cms::PublicKeyInfo::Rsa { bits: 2048 },
            sha256_fingerprint_hex: subject.into(),
            der: Vec::new(),
            issuer_der: issuer.as_bytes().to_vec(),
            subject_der: subject.as_bytes().to_vec(),
            serial_der: Vec::new(),
            spki_der: Vec::new(),
        }
    }

    #[test]
    fn an_end_entity_without_its_issuer_asks_for_the_intermediate_first() {
        let signer = certificate("CN=Nguyễn Văn An", "CN=Kyso Test Sub CA", false);
        let r = issuer_missing(&signer);
        assert_eq!(r.code, "CHAIN_ISSUER_MISSING");
        assert_eq!(r.severity, Severity::Indeterminate);
        assert_eq!(r.advice, Some(ADVICE_TRUST_INTERMEDIATE));
        assert_eq!(r.params["issuer"], "CN=Kyso Test Sub CA");
        assert_eq!(r.params["subject"], "CN=Nguyễn Văn An");
        // The English detail names the missing issuer and leads with --intermediate.
        let intermediate = r.detail.find("`kyso trust add --intermediate FILE`");
        let anchor = r.detail.find("`kyso trust add FILE`");
        assert!(r.detail.contains("CN=Kyso Test Sub CA"), "{}", r.detail);
        assert!(
            intermediate.is_some() && anchor.is_some() && intermediate < anchor,
            "{}",
            r.detail
        );
        // Vietnamese too: the issuer named, the intermediate first, the anchor mentioned.
        let vi = r.advice_text(Lang::Vi).unwrap_or_default();
        let first = vi.find("--intermediate");
        let other = vi.find("`kyso trust add TỆP`");
        assert!(vi.contains("CN=Kyso Test Sub CA"), "{vi}");
        assert!(first.is_some() && other.is_some() && first < other, "{vi}");
        assert!(r.message(Lang::Vi).contains("CN=Kyso Test Sub CA"));
    }

    #[test]
    fn a_ca_without_its_issuer_asks_for_the_root_as_a_trust_anchor_first() {
        let intermediate = certificate("CN=Kyso Test Sub CA", "CN=Kyso Test Root CA", true);
        let r = issuer_missing(&intermediate);
        assert_eq!(r.advice, Some(ADVICE_TRUST_ANCHOR));
        assert_eq!(r.params["issuer"], "CN=Kyso Test Root CA");
        let anchor = r.detail.find("`kyso trust add FILE`");
        let intermediate = r.detail.find("`kyso trust add --intermediate FILE`");
        assert!(r.detail.contains("CN=Kyso Test Root CA"), "{}", r.detail);
        assert!(
            anchor.is_some() && intermediate.is_some() && anchor < intermediate,
            "{}",
            r.detail
        );
        let vi = r.advice_text(Lang::Vi).unwrap_or_default();
        let first = vi.find("`kyso trust add TỆP`");
        let other = vi.find("--intermediate");
        assert!(
            vi.contains("CN=Kyso Test Root CA") && vi.contains("CA gốc"),
            "{vi}"
        );
        assert!(first.is_some() && other.is_some() && first < other, "{vi}");
        let en = r.advice_text(Lang::En).unwrap_or_default();
        assert!(
            en.contains("root CA") && en.contains("trust anchor"),
            "{en}"
        );
    }
}
