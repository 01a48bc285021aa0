//! PKCS#12 (.p12/.pfx) files (RFC 7292) as a key source.
//!
//! Decoding and decryption are p12-keystore's: legacy files (PBE-SHA1-3DES keys, PBE-SHA1-RC2-40
//! certificates, HMAC-SHA1 MAC) and modern ones (PBES2: PBKDF2 + AES-256-CBC, HMAC-SHA256 MAC).
//! Passwords are UTF-8 strings: p12-keystore turns them into the NUL-terminated BMPString of
//! RFC 7292 Appendix B.1 for the MAC and the PKCS#12 KDF, and passes the UTF-8 bytes to PBKDF2
//! (what OpenSSL does). The empty password "" is the two-byte NUL terminator, as OpenSSL writes
//! it with `-passout pass:`; files made with a truly absent password (zero bytes) are not read.
//!
//! We choose the signer certificate ourselves: the one whose public key matches the private key
//! (never by localKeyId or friendly name alone), and order the rest as a chain.

use std::fmt;
use std::path::Path;

use kyso_cms::ber::{self, universal};
use kyso_cms::{CertificateInfo, DigestAlgorithm, SignatureScheme};
use p12_keystore::{Pkcs12Archive, PrivateKeyBag};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::rsa_sign::sign_rsa;
use crate::signer::Signer;

/// Files larger than this are not PKCS#12 key files.
const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// A signer backed by an RSA key from a PKCS#12 file, held in memory
/// (`rsa::RsaPrivateKey` zeroizes itself on drop).
pub struct Pkcs12Signer {
    key: RsaPrivateKey,
    public: RsaPublicKey,
    certificate: CertificateInfo,
    chain: Vec<Vec<u8>>,
    source_name: String,
}

impl fmt::Debug for Pkcs12Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12Signer")
            .field("source_name", &self.source_name)
            .field("subject", &self.certificate.subject)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs12Signer {
    /// Opens a .p12/.pfx file.
    pub fn open(path: &Path, password: &str) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let source_name = path.display().to_string();
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_FILE_LEN {
            return Err(KeyError::NotPkcs12 { source_name });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        Self::from_bytes(&bytes, password, &source_name)
    }

    /// Reads PKCS#12 bytes; `source_name` (usually the file name) appears in error messages.
    pub fn from_bytes(bytes: &[u8], password: &str, source_name: &str) -> Result<Self, KeyError> {
        Self::from_bytes_with_key(bytes, password, source_name, None)
    }

    /// Like [`Pkcs12Signer::from_bytes`]; `key` (1-based) chooses among several private keys.
    /// Without it a file holding several keys is refused with `P12_SEVERAL_KEYS`, listing them.
    pub fn from_bytes_with_key(
        bytes: &[u8],
        password: &str,
        source_name: &str,
        key: Option<usize>,
    ) -> Result<Self, KeyError> {
        let name = || source_name.to_string();
        // PKCS#12 passwords are BMPStrings (RFC 7292 Appendix B.1): a character outside the
        // Basic Multilingual Plane cannot be the password of a file we can read.
        if password.chars().any(|c| u32::from(c) > 0xFFFF) {
            return Err(KeyError::WrongPassword {
                source_name: name(),
            });
        }
        let has_mac = match pfx_shape(bytes) {
            PfxShape::Pfx { has_mac } => has_mac,
            PfxShape::Damaged => {
                return Err(KeyError::Malformed {
                    source_name: name(),
                    detail: "the file is truncated or damaged".into(),
                });
            }
            PfxShape::NotPfx => {
                return Err(KeyError::NotPkcs12 {
                    source_name: name(),
                });
            }
        };
        let archive = Pkcs12Archive::from_pkcs12(bytes, password)
            .map_err(|e| map_p12_error(e, has_mac, source_name))?;

        let certs: Vec<CertificateInfo> = archive
            .certs
            .iter()
            .filter_map(|bag| CertificateInfo::from_der(bag.cert.as_der()).ok())
            .collect();

        let mut keys: Vec<&PrivateKeyBag> = Vec::new();
        for bag in &archive.keys {
            if !keys.iter().any(|k| k.key.as_der() == bag.key.as_der()) {
                keys.push(bag);
            }
        }
        let bag = match (keys.as_slice(), key) {
            ([], _) => {
                return Err(KeyError::NoPrivateKey {
                    source_name: name(),
                });
            }
            (all, Some(index)) => match index.checked_sub(1).and_then(|i| all.get(i)) {
                Some(bag) => *bag,
                None => {
                    return Err(KeyError::KeyIndexOutOfRange {
                        source_name: name(),
                        index,
                        count: all.len(),
                    });
                }
            },
            ([one], None) => *one,
            (several, None) => {
                return Err(KeyError::SeveralKeys {
                    source_name: name(),
                    keys: several
                        .iter()
                        .enumerate()
                        .map(|(i, b)| format!("{}: {}", i + 1, describe_key(b, &certs)))
                        .collect(),
                });
            }
        };

        let algorithm = bag.key.oid().to_string();
        if algorithm != RSA_ENCRYPTION {
            return Err(KeyError::UnsupportedKey {
                source_name: name(),
                algorithm: key_algorithm_name(&algorithm),
            });
        }
        let key = rsa_key_from_pkcs8(bag.key.as_der()).map_err(|detail| KeyError::Malformed {
            source_name: name(),
            detail,
        })?;
        let public = key.to_public_key();

        let signer_index = certs
            .iter()
            .position(|c| c.rsa_public_key().is_ok_and(|p| p == public))
            .ok_or_else(|| KeyError::NoMatchingCertificate {
                source_name: name(),
            })?;
        let chain = order_chain(&certs, signer_index);
        let certificate =
            certs
                .into_iter()
                .nth(signer_index)
                .ok_or_else(|| KeyError::NoMatchingCertificate {
                    source_name: name(),
                })?;

        Ok(Pkcs12Signer {
            key,
            public,
            certificate,
            chain,
            source_name: source_name.to_string(),
        })
    }

    /// The signer certificate, parsed.
    pub fn certificate_info(&self) -> &CertificateInfo {
        &self.certificate
    }

    /// Builds a signer from a PKCS#8 `PrivateKeyInfo` (RFC 5958 §2), the signer certificate and
    /// the rest of the chain, as the vault stores them. The key must match the certificate.
    pub fn from_parts(
        pkcs8_der: &[u8],
        certificate_der: &[u8],
        chain: Vec<Vec<u8>>,
        source_name: &str,
    ) -> Result<Self, KeyError> {
        let malformed = |detail: String| KeyError::Malformed {
            source_name: source_name.to_string(),
            detail,
        };
        let key = rsa_key_from_pkcs8(pkcs8_der).map_err(malformed)?;
        let public = key.to_public_key();
        let certificate = CertificateInfo::from_der(certificate_der)?;
        if !certificate.rsa_public_key().is_ok_and(|p| p == public) {
            return Err(KeyError::NoMatchingCertificate {
                source_name: source_name.to_string(),
            });
        }
        Ok(Pkcs12Signer {
            key,
            public,
            certificate,
            chain,
            source_name: source_name.to_string(),
        })
    }

    /// The private key as PKCS#8 `PrivateKeyInfo` DER (RFC 5958 §2), in a zeroizing buffer.
    pub fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        use rsa::pkcs8::EncodePrivateKey;
        let doc = self
            .key
            .to_pkcs8_der()
            .map_err(|e| KeyError::SigningFailed(format!("cannot encode the key: {e}")))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The label given when opening (usually the file path).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
}

impl Signer for Pkcs12Signer {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate.der
    }

    fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        scheme: SignatureScheme,
    ) -> Result<Vec<u8>, KeyError> {
        sign_rsa(&self.key, &self.public, data, digest, scheme)
    }

    fn signature_len(&self) -> usize {
        self.public.size()
    }
}

/// What the outer structure of a file looks like.
enum PfxShape {
    /// A PFX; whether macData is present.
    Pfx { has_mac: bool },
    /// Starts like a PFX (SEQUENCE, version 3) but is cut short or damaged.
    Damaged,
    /// Something else.
    NotPfx,
}

/// `PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }`
/// (RFC 7292 §4).
fn pfx_shape(bytes: &[u8]) -> PfxShape {
    let Ok((pfx, _)) = ber::parse_tlv(bytes) else {
        // SEQUENCE header (short, long or indefinite length) followed by INTEGER 3.
        let header = match bytes.get(1) {
            Some(&l) if l <= 0x80 => 2,
            Some(&l) => 2 + usize::from(l & 0x7F),
            None => return PfxShape::NotPfx,
        };
        let looks_like_pfx = bytes.first() == Some(&0x30)
            && bytes.get(header..header + 3) == Some(&[0x02, 0x01, 0x03][..]);
        return if looks_like_pfx {
            PfxShape::Damaged
        } else {
            PfxShape::NotPfx
        };
    };
    let shape = || -> Option<bool> {
        if !pfx.is_universal(universal::SEQUENCE) {
            return None;
        }
        let mut r = pfx.children();
        r.next_tlv().ok()??.integer_bytes().ok()?;
        let auth_safe = r.next_tlv().ok()??;
        if !auth_safe.is_universal(universal::SEQUENCE) {
            return None;
        }
        let content_type = auth_safe.children().next_tlv().ok()??.oid().ok()?;
        // id-data, or id-signedData (public-key integrity mode)
        if content_type != "1.2.840.113549.1.7.1" && content_type != "1.2.840.113549.1.7.2" {
            return None;
        }
        Some(r.next_tlv().ok()?.is_some())
    };
    match shape() {
        Some(has_mac) => PfxShape::Pfx { has_mac },
        None => PfxShape::NotPfx,
    }
}

/// Turns p12-keystore's errors into ours. A MAC mismatch means a wrong password; so does a
/// decryption failure in a file without MAC (there is no other way to tell).
fn map_p12_error(e: p12_keystore::error::Error, has_mac: bool, source_name: &str) -> KeyError {
    use p12_keystore::error::Error as E;
    let source_name = source_name.to_string();
    match e {
        E::MacError(_) => KeyError::WrongPassword { source_name },
        E::UnsupportedEncryptionScheme
        | E::UnsupportedMacAlgorithm
        | E::UnsupportedContentType
        | E::UnsupportedCertificateType
        | E::InvalidVersion => KeyError::UnsupportedEncryption {
            source_name,
            detail: e.to_string(),
        },
        E::Pkcs5Error(_)
        | E::UnpadError
        | E::InvalidPrivateKey
        | E::DerError(_)
        | E::InvalidData
        | E::InvalidLength
            if !has_mac =>
        {
            KeyError::WrongPassword { source_name }
        }
        other => KeyError::Malformed {
            source_name,
            detail: other.to_string(),
        },
    }
}

/// Unwraps PKCS#8 `PrivateKeyInfo` (RFC 5208 §5) leniently and decodes the RSAPrivateKey
/// inside (RFC 8017 Appendix A.1.2). The intermediate copy is zeroized.
fn rsa_key_from_pkcs8(der: &[u8]) -> Result<RsaPrivateKey, String> {
    let (info, _) = ber::parse_tlv(der).map_err(|e| e.to_string())?;
    let mut r = info.children();
    r.expect(universal::INTEGER, "PrivateKeyInfo.version")
        .map_err(|e| e.to_string())?;
    r.expect(universal::SEQUENCE, "PrivateKeyInfo.privateKeyAlgorithm")
        .map_err(|e| e.to_string())?;
    let octets = r
        .expect(universal::OCTET_STRING, "PrivateKeyInfo.privateKey")
        .map_err(|e| e.to_string())?;
    let inner = Zeroizing::new(octets.octets().map_err(|e| e.to_string())?.into_owned());
    let key = RsaPrivateKey::from_pkcs1_der(&inner)
        .map_err(|_| "the RSA private key cannot be decoded".to_string())?;
    key.validate()
        .map_err(|_| "the RSA private key is inconsistent".to_string())?;
    Ok(key)
}

fn key_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "EC (ECDSA)".into(),
        "1.3.101.112" => "Ed25519".into(),
        "1.3.101.113" => "Ed448".into(),
        "1.2.840.10040.4.1" => "DSA".into(),
        "1.2.840.113549.1.1.10" => "RSA-PSS-only".into(),
        "1.2.643.7.1.1.1.1" | "1.2.643.7.1.1.1.2" => "GOST".into(),
        other => format!("unknown ({other})"),
    }
}

/// "Nguyễn Văn An (friendly name …)" for the SeveralKeys message.
fn describe_key(bag: &PrivateKeyBag, certs: &[CertificateInfo]) -> String {
    let subject = rsa_key_from_pkcs8(bag.key.as_der()).ok().and_then(|key| {
        let public = key.to_public_key();
        certs
            .iter()
            .find(|c| c.rsa_public_key().is_ok_and(|p| p == public))
            .map(|c| c.subject.clone())
    });
    match (subject, &bag.friendly_name) {
        (Some(s), _) => s,
        (None, Some(f)) => format!("\"{f}\" without certificate"),
        (None, None) => format!(
            "a {} key without certificate",
            key_algorithm_name(&bag.key.oid().to_string())
        ),
    }
}

/// Other certificates, signer excluded and duplicates dropped, ordered signer's issuer first,
/// then its issuer, and so on; certificates outside that path follow in file order.
fn order_chain(certs: &[CertificateInfo], signer_index: usize) -> Vec<Vec<u8>> {
    let Some(signer) = certs.get(signer_index) else {
        return Vec::new();
    };
    let mut rest: Vec<&CertificateInfo> = Vec::new();
    for c in certs {
        if c.der != signer.der && !rest.iter().any(|r| r.der == c.der) {
            rest.push(c);
        }
    }
    let mut chain: Vec<Vec<u8>> = Vec::new();
    let mut current = signer;
    while !current.is_self_issued() {
        let Some(pos) = rest
            .iter()
            .position(|c| c.subject_der == current.issuer_der)
        else {
            break;
        };
        let issuer = rest.remove(pos);
        chain.push(issuer.der.clone());
        current = issuer;
    }
    chain.extend(rest.into_iter().map(|c| c.der.clone()));
    chain
}
