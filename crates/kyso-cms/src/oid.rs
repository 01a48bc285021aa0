//! Object identifiers used by this crate, in dotted form (for comparison with what the
//! BER reader returns) and, for those we write, with their DER contents octets.
//! A unit test checks that the two forms agree.

/// An OBJECT IDENTIFIER known at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oid {
    dotted: &'static str,
    der: &'static [u8],
}

impl Oid {
    const fn new(dotted: &'static str, der: &'static [u8]) -> Self {
        Oid { dotted, der }
    }

    /// Dotted decimal form, e.g. "1.2.840.113549.1.7.2".
    pub fn dotted(&self) -> &'static str {
        self.dotted
    }

    /// Contents octets of the DER encoding (without tag and length).
    pub fn der(&self) -> &'static [u8] {
        self.der
    }
}

// RFC 5652 §4, §5.1: content types.
/// id-data
pub const ID_DATA: Oid = Oid::new(
    "1.2.840.113549.1.7.1",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01],
);
/// id-signedData
pub const ID_SIGNED_DATA: Oid = Oid::new(
    "1.2.840.113549.1.7.2",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02],
);

// RFC 5652 §11: attributes.
/// id-contentType
pub const CONTENT_TYPE: Oid = Oid::new(
    "1.2.840.113549.1.9.3",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03],
);
/// id-messageDigest
pub const MESSAGE_DIGEST: Oid = Oid::new(
    "1.2.840.113549.1.9.4",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04],
);
/// id-signingTime (parsed only: PAdES baseline forbids it)
pub const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
/// id-aa-signingCertificate (RFC 2634 §5.4; parsed only)
pub const SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
/// id-aa-signingCertificateV2 (RFC 5035 §3)
pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new(
    "1.2.840.113549.1.9.16.2.47",
    &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x2F,
    ],
);
/// id-aa-timeStampToken (RFC 3161 Appendix A), an unsigned attribute
pub const TIMESTAMP_TOKEN: Oid = Oid::new(
    "1.2.840.113549.1.9.16.2.14",
    &[
        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0E,
    ],
);

// Digests: RFC 3370 §2.1 (SHA-1), RFC 5754 §2 (SHA-2).
/// id-sha1
pub const SHA1: Oid = Oid::new("1.3.14.3.2.26", &[0x2B, 0x0E, 0x03, 0x02, 0x1A]);
/// id-sha256
pub const SHA256: Oid = Oid::new(
    "2.16.840.1.101.3.4.2.1",
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
);
/// id-sha384
pub const SHA384: Oid = Oid::new(
    "2.16.840.1.101.3.4.2.2",
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
);
/// id-sha512
pub const SHA512: Oid = Oid::new(
    "2.16.840.1.101.3.4.2.3",
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
);

// RSA: RFC 8017 Appendix C, RFC 4055 §3.
/// rsaEncryption
pub const RSA_ENCRYPTION: Oid = Oid::new(
    "1.2.840.113549.1.1.1",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01],
);
/// id-RSASSA-PSS
pub const RSASSA_PSS: Oid = Oid::new(
    "1.2.840.113549.1.1.10",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A],
);
/// id-mgf1
pub const MGF1: Oid = Oid::new(
    "1.2.840.113549.1.1.8",
    &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08],
);
/// sha1WithRSAEncryption (parsed only)
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
/// sha256WithRSAEncryption (parsed only)
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// sha384WithRSAEncryption (parsed only)
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
/// sha512WithRSAEncryption (parsed only)
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";

// OCSP: RFC 6960 §4.2.1, §4.4.1, Appendix B; RFC 5940 §4.3; Adobe's PDF signature attribute.
/// id-pkix-ocsp-basic: the responseType of a BasicOCSPResponse (parsed only)
pub const OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954)
pub const OCSP_NONCE: Oid = Oid::new(
    "1.3.6.1.5.5.7.48.1.2",
    &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02],
);
/// id-ri-ocsp-response: an OCSPResponse among a SignedData's `crls` as
/// OtherRevocationInfoFormat (RFC 5940 §4.3; parsed only)
pub const RI_OCSP_RESPONSE: &str = "1.3.6.1.5.5.7.16.2";
/// adbe-revocationInfoArchival, the signed attribute in which Acrobat-style signers embed
/// CRLs and OCSP responses (ISO 32000-1 §12.8.3.3.2; parsed only)
pub const ADBE_REVOCATION_INFO_ARCHIVAL: &str = "1.2.840.113583.1.1.8";

// X.509 extensions: RFC 5280 §4.2.1.
/// id-ce-subjectKeyIdentifier
pub const EXT_SUBJECT_KEY_IDENTIFIER: &str = "2.5.29.14";
/// id-ce-keyUsage
pub const EXT_KEY_USAGE: &str = "2.5.29.15";
/// id-ce-basicConstraints
pub const EXT_BASIC_CONSTRAINTS: &str = "2.5.29.19";
/// id-ce-extKeyUsage
pub const EXT_EXTENDED_KEY_USAGE: &str = "2.5.29.37";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ber::decode_oid;

    #[test]
    fn dotted_and_der_agree() {
        for oid in [
            ID_DATA,
            ID_SIGNED_DATA,
            CONTENT_TYPE,
            MESSAGE_DIGEST,
            SIGNING_CERTIFICATE_V2,
            TIMESTAMP_TOKEN,
            SHA1,
            SHA256,
            SHA384,
            SHA512,
            RSA_ENCRYPTION,
            RSASSA_PSS,
            MGF1,
            OCSP_NONCE,
        ] {
            assert_eq!(decode_oid(oid.der()).unwrap(), oid.dotted());
        }
    }
}
