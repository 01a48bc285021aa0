//! Whether a certificate may be used for a new signature now: validity period
//! (RFC 5280 §4.1.2.5), key usage (RFC 5280 §4.2.1.3) and key size.

use kyso_cms::{CertificateInfo, PublicKeyInfo};

use crate::error::KeyError;

/// Smallest RSA modulus accepted for new signatures.
pub const MIN_RSA_BITS: usize = 2048;
/// Warn when the certificate expires within this many days.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Something the user should know but that does not prevent signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateWarning {
    /// notAfter is less than [`EXPIRY_WARNING_DAYS`] away.
    ExpiresSoon {
        /// Whole days left (0 on the last day).
        days_left: i64,
    },
}

impl std::fmt::Display for CertificateWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateWarning::ExpiresSoon { days_left } => {
                write!(
                    f,
                    "[CERT_EXPIRES_SOON] the signing certificate expires in {days_left} day(s)"
                )
            }
        }
    }
}

impl CertificateWarning {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CertificateWarning::ExpiresSoon { .. } => "CERT_EXPIRES_SOON",
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            CertificateWarning::ExpiresSoon { days_left } => vec![("days", days_left.to_string())],
        }
    }
}

/// Checks that `info` can sign at `now_unix`. Errors: `CERT_NOT_YET_VALID`, `CERT_EXPIRED`,
/// `CERT_KEY_USAGE` (keyUsage present without digitalSignature and nonRepudiation),
/// `CERT_WEAK_KEY` (RSA below 2048 bits). Warning: expires within 30 days.
pub fn check_certificate_usable(
    info: &CertificateInfo,
    now_unix: i64,
) -> Result<Vec<CertificateWarning>, KeyError> {
    let subject = || info.subject.clone();
    if now_unix < info.not_before {
        return Err(KeyError::CertNotYetValid {
            subject: subject(),
            date: format_date(info.not_before),
        });
    }
    if now_unix > info.not_after {
        return Err(KeyError::CertExpired {
            subject: subject(),
            date: format_date(info.not_after),
        });
    }
    if let Some(ku) = &info.key_usage
        && !ku.digital_signature
        && !ku.non_repudiation
    {
        return Err(KeyError::CertKeyUsage { subject: subject() });
    }
    if let PublicKeyInfo::Rsa { bits } = info.public_key
        && bits < MIN_RSA_BITS
    {
        return Err(KeyError::CertWeakKey {
            subject: subject(),
            bits,
        });
    }
    let mut warnings = Vec::new();
    let days_left = (info.not_after - now_unix) / 86_400;
    if days_left < EXPIRY_WARNING_DAYS {
        warnings.push(CertificateWarning::ExpiresSoon { days_left });
    }
    Ok(warnings)
}

/// YYYY-MM-DD (UTC) of a Unix time (H. Hinnant's civil_from_days).
pub fn format_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kyso_cms::KeyUsage;

    fn info() -> CertificateInfo {
        CertificateInfo {
            subject: "CN=Nguyễn Văn An".into(),
            subject_common_name: Some("Nguyễn Văn An".into()),
            subject_organization: None,
            subject_email: None,
            issuer: "CN=CA".into(),
            issuer_common_name: Some("CA".into()),
            serial_hex: "01".into(),
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
            key_usage: Some(KeyUsage {
                digital_signature: true,
                non_repudiation: true,
                ..KeyUsage::default()
            }),
            extended_key_usage: None,
            is_ca: false,
            subject_key_identifier: None,
            public_key: PublicKeyInfo::Rsa { bits: 2048 },
            sha256_fingerprint_hex: String::new(),
            der: Vec::new(),
            issuer_der: Vec::new(),
            subject_der: Vec::new(),
            serial_der: Vec::new(),
            spki_der: Vec::new(),
        }
    }

    #[test]
    fn usable_and_warnings() {
        let c = info();
        assert_eq!(check_certificate_usable(&c, 1_750_000_000).unwrap(), vec![]);
        let soon = check_certificate_usable(&c, 1_800_000_000 - 10 * 86_400 - 5).unwrap();
        assert_eq!(
            soon,
            vec![CertificateWarning::ExpiresSoon { days_left: 10 }]
        );
        assert_eq!(soon[0].code(), "CERT_EXPIRES_SOON");
        let last = check_certificate_usable(&c, 1_800_000_000).unwrap();
        assert_eq!(last, vec![CertificateWarning::ExpiresSoon { days_left: 0 }]);
    }

    #[test]
    fn errors() {
        let c = info();
        let e = check_certificate_usable(&c, 1_800_000_001).unwrap_err();
        assert_eq!(e.code(), "CERT_EXPIRED");
        assert!(e.to_string().contains("2027-01-15"), "{e}");
        let e = check_certificate_usable(&c, 1_600_000_000).unwrap_err();
        assert_eq!(e.code(), "CERT_NOT_YET_VALID");

        let mut c2 = info();
        c2.key_usage = Some(KeyUsage {
            key_encipherment: true,
            ..KeyUsage::default()
        });
        assert_eq!(
            check_certificate_usable(&c2, 1_750_000_000)
                .unwrap_err()
                .code(),
            "CERT_KEY_USAGE"
        );
        c2.key_usage = Some(KeyUsage {
            non_repudiation: true,
            ..KeyUsage::default()
        });
        assert!(check_certificate_usable(&c2, 1_750_000_000).is_ok());
        c2.key_usage = None;
        assert!(check_certificate_usable(&c2, 1_750_000_000).is_ok());

        let mut c3 = info();
        c3.public_key = PublicKeyInfo::Rsa { bits: 1024 };
        let e = check_certificate_usable(&c3, 1_750_000_000).unwrap_err();
        assert_eq!(e.code(), "CERT_WEAK_KEY");
        assert!(e.to_string().contains("1024"));
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(1_709_208_000), "2024-02-29");
        assert_eq!(format_date(-86_400), "1969-12-31");
    }
}
