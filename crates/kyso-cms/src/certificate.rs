//! Facts about an X.509 certificate (RFC 5280 §4.1), read with the lenient BER reader.
//!
//! Only what signing and verification need: names, serial, validity, key usage, the public key,
//! and the raw DER pieces that go into a CMS IssuerAndSerialNumber (RFC 5652 §5.3) and an
//! ESS IssuerSerial (RFC 5035 §4). Signatures on the certificate itself are not checked here.

use rsa::{BigUint, RsaPublicKey};

use crate::algorithm::AlgorithmIdentifier;
use crate::ber::{self, Tlv, universal};
use crate::digest::DigestAlgorithm;
use crate::error::CmsError;
use crate::name::parse_name;
use crate::oid;
use crate::time::parse_time;

/// Largest RSA modulus we accept for verification, in bits.
pub const MAX_RSA_BITS: usize = 16_384;
/// Smallest RSA modulus we agree to compute with, in bits (signing policy is stricter and
/// lives in kyso-keys; this only keeps degenerate keys out of the RSA arithmetic).
pub const MIN_RSA_BITS: usize = 512;

/// The keyUsage extension (RFC 5280 §4.2.1.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// digitalSignature (0)
    pub digital_signature: bool,
    /// nonRepudiation / contentCommitment (1)
    pub non_repudiation: bool,
    /// keyEncipherment (2)
    pub key_encipherment: bool,
    /// dataEncipherment (3)
    pub data_encipherment: bool,
    /// keyAgreement (4)
    pub key_agreement: bool,
    /// keyCertSign (5)
    pub key_cert_sign: bool,
    /// cRLSign (6)
    pub crl_sign: bool,
    /// encipherOnly (7)
    pub encipher_only: bool,
    /// decipherOnly (8)
    pub decipher_only: bool,
}

/// The subject public key, as far as we care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKeyInfo {
    /// rsaEncryption key with this modulus size.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// Anything else.
    Other {
        /// Dotted OID of the SubjectPublicKeyInfo algorithm.
        oid: String,
    },
}

/// The longest issuer path [`CertificateInfo::issuer_path`] follows: a chain longer than
/// this is not a chain but a loop.
pub const MAX_ISSUER_PATH: usize = 8;

/// What we know about a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject, RFC 4514-like, most specific first: "CN=Nguyễn Văn An, O=…, C=VN".
    pub subject: String,
    /// The subject's most specific commonName.
    pub subject_common_name: Option<String>,
    /// The subject's organizationName (O), if any.
    pub subject_organization: Option<String>,
    /// The subject's emailAddress, if any.
    pub subject_email: Option<String>,
    /// Issuer, same format as `subject`.
    pub issuer: String,
    /// The issuer's most specific commonName.
    pub issuer_common_name: Option<String>,
    /// Serial number, uppercase hex without sign padding.
    pub serial_hex: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// keyUsage, when the extension is present.
    pub key_usage: Option<KeyUsage>,
    /// extKeyUsage purposes (dotted OIDs), when the extension is present.
    pub extended_key_usage: Option<Vec<String>>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// subjectKeyIdentifier, when present.
    pub subject_key_identifier: Option<Vec<u8>>,
    /// The public key.
    pub public_key: PublicKeyInfo,
    /// SHA-256 of the DER, uppercase hex.
    pub sha256_fingerprint_hex: String,
    /// The certificate as given.
    pub der: Vec<u8>,
    /// Raw encoding of the issuer Name (for IssuerAndSerialNumber, RFC 5652 §10.2.4).
    pub issuer_der: Vec<u8>,
    /// Raw encoding of the subject Name.
    pub subject_der: Vec<u8>,
    /// Raw encoding of the serialNumber INTEGER, tag and length included.
    pub serial_der: Vec<u8>,
    /// Raw encoding of the SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Strips sign-padding zero bytes from INTEGER contents (keeps at least one byte).
pub(crate) fn integer_magnitude(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    if skip == bytes.len() {
        bytes
            .get(bytes.len().saturating_sub(1)..)
            .unwrap_or_default()
    } else {
        &bytes[skip..]
    }
}

fn bit_length(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        Some(&first) if first != 0 => {
            (magnitude.len() - 1) * 8 + (8 - first.leading_zeros() as usize)
        }
        _ => 0,
    }
}

/// RSA modulus and public exponent, big-endian magnitudes.
struct RsaComponents {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// Reads `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// (RFC 8017 Appendix A.1.1) from a SubjectPublicKeyInfo's BIT STRING.
fn rsa_components(spki: &Tlv<'_>) -> Result<Option<RsaComponents>, CmsError> {
    let mut r = spki.children();
    let alg = AlgorithmIdentifier::parse(&r.read("SubjectPublicKeyInfo.algorithm")?)?;
    if alg.oid != oid::RSA_ENCRYPTION.dotted() {
        return Ok(None);
    }
    let bits = r
        .read("SubjectPublicKeyInfo.subjectPublicKey")?
        .bit_string()?;
    let (key, _) = ber::parse_tlv(bits.bytes)?;
    let key = key.expect_universal(universal::SEQUENCE, "RSAPublicKey")?;
    let mut k = key.children();
    let n = k.read("RSAPublicKey.modulus")?.integer_bytes()?;
    let e = k.read("RSAPublicKey.publicExponent")?.integer_bytes()?;
    if n[0] & 0x80 != 0 || e[0] & 0x80 != 0 {
        return Err(CmsError::malformed("negative RSA modulus or exponent"));
    }
    Ok(Some(RsaComponents {
        n: integer_magnitude(n).to_vec(),
        e: integer_magnitude(e).to_vec(),
    }))
}

impl CertificateInfo {
    /// Reads a certificate (DER, or BER as some old tools wrote it).
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        Self::parse(der).map_err(|e| match e {
            CmsError::Malformed(m) => CmsError::CertificateMalformed(m),
            other => other,
        })
    }

    fn parse(input: &[u8]) -> Result<Self, CmsError> {
        let (cert, rest) = ber::parse_tlv(input)?;
        if !rest.is_empty() {
            return Err(CmsError::malformed("data after the certificate"));
        }
        let cert = cert.expect_universal(universal::SEQUENCE, "Certificate")?;
        let mut c = cert.children();
        let tbs = c.expect(universal::SEQUENCE, "TBSCertificate")?;
        let mut t = tbs.children();
        let _version = t.optional_context(0)?;
        let serial = t.read("serialNumber")?;
        let serial_bytes = serial.integer_bytes()?;
        let _signature = t.expect(universal::SEQUENCE, "TBSCertificate.signature")?;
        let issuer = t.expect(universal::SEQUENCE, "issuer")?;
        let validity = t.expect(universal::SEQUENCE, "validity")?;
        let subject = t.expect(universal::SEQUENCE, "subject")?;
        let spki = t.expect(universal::SEQUENCE, "subjectPublicKeyInfo")?;
        let _issuer_uid = t.optional_context(1)?;
        let _subject_uid = t.optional_context(2)?;
        let extensions = t.optional_context(3)?;

        let issuer_text = parse_name(&issuer)?;
        let subject_text = parse_name(&subject)?;
        let mut v = validity.children();
        let not_before = parse_time(&v.read("notBefore")?)?;
        let not_after = parse_time(&v.read("notAfter")?)?;

        let public_key = match rsa_components(&spki)? {
            Some(key) => PublicKeyInfo::Rsa {
                bits: bit_length(&key.n),
            },
            None => {
                let mut s = spki.children();
                let alg = AlgorithmIdentifier::parse(&s.read("SubjectPublicKeyInfo.algorithm")?)?;
                PublicKeyInfo::Other { oid: alg.oid }
            }
        };

        let mut info = CertificateInfo {
            subject: subject_text.display,
            subject_common_name: subject_text.common_name,
            subject_organization: subject_text.organization,
            subject_email: subject_text.email,
            issuer: issuer_text.display,
            issuer_common_name: issuer_text.common_name,
            serial_hex: hex_upper(integer_magnitude(serial_bytes)),
            not_before,
            not_after,
            key_usage: None,
            extended_key_usage: None,
            is_ca: false,
            subject_key_identifier: None,
            public_key,
            sha256_fingerprint_hex: hex_upper(&DigestAlgorithm::Sha256.digest(cert.raw)),
            der: cert.raw.to_vec(),
            issuer_der: issuer.raw.to_vec(),
            subject_der: subject.raw.to_vec(),
            serial_der: serial.raw.to_vec(),
            spki_der: spki.raw.to_vec(),
        };
        if let Some(extensions) = extensions {
            info.read_extensions(&extensions)?;
        }
        Ok(info)
    }

    /// Extensions (RFC 5280 §4.2): `[3] EXPLICIT SEQUENCE OF Extension`.
    fn read_extensions(&mut self, explicit: &Tlv<'_>) -> Result<(), CmsError> {
        let list = explicit
            .children()
            .expect(universal::SEQUENCE, "Extensions")?;
        let mut r = list.children();
        while let Some(ext) = r.next_tlv()? {
            let ext = ext.expect_universal(universal::SEQUENCE, "Extension")?;
            let mut e = ext.children();
            let ext_oid = e.read("Extension.extnID")?.oid()?;
            let _critical = e.optional_universal(universal::BOOLEAN)?;
            let value = e.expect(universal::OCTET_STRING, "Extension.extnValue")?;
            let value = value.octets()?;
            match ext_oid.as_str() {
                oid::EXT_KEY_USAGE => self.key_usage = Some(parse_key_usage(&value)?),
                oid::EXT_SUBJECT_KEY_IDENTIFIER => {
                    let (ski, _) = ber::parse_tlv(&value)?;
                    let ski =
                        ski.expect_universal(universal::OCTET_STRING, "SubjectKeyIdentifier")?;
                    self.subject_key_identifier = Some(ski.octets()?.into_owned());
                }
                oid::EXT_BASIC_CONSTRAINTS => {
                    let (bc, _) = ber::parse_tlv(&value)?;
                    let bc = bc.expect_universal(universal::SEQUENCE, "BasicConstraints")?;
                    let mut b = bc.children();
                    if let Some(ca) = b.optional_universal(universal::BOOLEAN)? {
                        self.is_ca = ca.boolean()?;
                    }
                }
                oid::EXT_EXTENDED_KEY_USAGE => {
                    let (eku, _) = ber::parse_tlv(&value)?;
                    let eku = eku.expect_universal(universal::SEQUENCE, "ExtKeyUsageSyntax")?;
                    let mut purposes = Vec::new();
                    let mut p = eku.children();
                    while let Some(purpose) = p.next_tlv()? {
                        purposes.push(purpose.oid()?);
                    }
                    self.extended_key_usage = Some(purposes);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The RSA public key, for verifying signatures.
    pub fn rsa_public_key(&self) -> Result<RsaPublicKey, CmsError> {
        let (spki, _) = ber::parse_tlv(&self.spki_der)?;
        let Some(RsaComponents { n, e }) = rsa_components(&spki)? else {
            return Err(CmsError::UnsupportedKey(format!(
                "the certificate of {} does not hold an RSA key",
                self.subject
            )));
        };
        let bits = bit_length(&n);
        if bits < MIN_RSA_BITS {
            return Err(CmsError::UnsupportedKey(format!(
                "RSA key of {bits} bits is too small"
            )));
        }
        RsaPublicKey::new_with_max_size(
            BigUint::from_bytes_be(&n),
            BigUint::from_bytes_be(&e),
            MAX_RSA_BITS,
        )
        .map_err(|err| CmsError::UnsupportedKey(format!("RSA key rejected: {err}")))
    }

    /// The serialNumber's contents octets (two's complement).
    pub fn serial_bytes(&self) -> &[u8] {
        self.serial_der
            .get(header_len(&self.serial_der)..)
            .unwrap_or_default()
    }

    /// Subject and issuer are the same Name (a root or a self-issued certificate).
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// This certificate's issuers found in `pool`, nearest first: walking up by issuer Name =
    /// subject Name (raw bytes, RFC 5280 §4.1.2.4) until a self-issued certificate (included),
    /// a missing link, a certificate met before, or [`MAX_ISSUER_PATH`] steps. Signatures are
    /// not checked: this gathers the certificates a signer embeds, the verifier judges them.
    pub fn issuer_path<'a>(&self, pool: &'a [CertificateInfo]) -> Vec<&'a CertificateInfo> {
        let mut path: Vec<&CertificateInfo> = Vec::new();
        let mut current = self;
        while !current.is_self_issued() && path.len() < MAX_ISSUER_PATH {
            let Some(issuer) = pool
                .iter()
                .find(|c| c.subject_der == current.issuer_der && c.der != current.der)
            else {
                break;
            };
            if issuer.der == self.der || path.iter().any(|p| p.der == issuer.der) {
                break;
            }
            path.push(issuer);
            current = issuer;
        }
        path
    }

    /// Whether this certificate is the one named by an issuer Name and serial number
    /// (CMS IssuerAndSerialNumber, ESS IssuerSerial). Names compare by raw bytes, then by
    /// their decoded text (a PrintableString and a UTF8String of the same text match).
    pub fn matches_issuer_serial(&self, issuer_name_der: &[u8], serial: &[u8]) -> bool {
        if integer_magnitude(serial) != integer_magnitude(self.serial_bytes()) {
            return false;
        }
        if issuer_name_der == self.issuer_der.as_slice() {
            return true;
        }
        match ber::parse_tlv(issuer_name_der) {
            Ok((tlv, _)) => parse_name(&tlv).is_ok_and(|n| n.display == self.issuer),
            Err(_) => false,
        }
    }
}

fn header_len(der: &[u8]) -> usize {
    match ber::parse_tlv(der) {
        Ok((tlv, _)) => tlv.raw.len() - tlv.contents.len(),
        Err(_) => der.len(),
    }
}

/// `KeyUsage ::= BIT STRING` (RFC 5280 §4.2.1.3).
fn parse_key_usage(value: &[u8]) -> Result<KeyUsage, CmsError> {
    let (tlv, _) = ber::parse_tlv(value)?;
    let bits = tlv.bit_string()?;
    Ok(KeyUsage {
        digital_signature: bits.bit(0),
        non_repudiation: bits.bit(1),
        key_encipherment: bits.bit(2),
        data_encipherment: bits.bit(3),
        key_agreement: bits.bit(4),
        key_cert_sign: bits.bit(5),
        crl_sign: bits.bit(6),
        encipher_only: bits.bit(7),
        decipher_only: bits.bit(8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_rejected_with_cert_code() {
        for input in [&b""[..], b"\x30\x00", b"\x30\x03\x30\x01\x00", b"hello"] {
            let err = CertificateInfo::from_der(input).unwrap_err();
            assert_eq!(err.code(), "CERT_MALFORMED", "{input:?}");
        }
    }

    #[test]
    fn magnitude_and_bits() {
        assert_eq!(integer_magnitude(&[0, 0x80, 1]), &[0x80, 1]);
        assert_eq!(integer_magnitude(&[0, 0]), &[0]);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[]), 0);
    }
}
