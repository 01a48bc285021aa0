//! The vault: a soft identity's PKCS#8 key (RFC 5958) and certificate chain, encrypted with
//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, RFC 8439 AEAD) under a random 256-bit key kept
//! by the OS keychain, in `KYSO_HOME/vault/<id>.vault` (file 0600, folder 0700).
//!
//! With a signing PIN the payload is encrypted twice: first under a key derived from the PIN
//! with Argon2id (RFC 9106 §3; the keychain key is Argon2's secret input K, so the PIN alone
//! is useless too), then under the keychain key. The outer tag tells a damaged file
//! (`VAULT_TAMPERED`), the inner one a wrong PIN (`PIN_WRONG`). A stolen keychain entry alone
//! cannot sign.
//!
//! File layout (all integers big-endian; the whole header is the AEAD's associated data, with
//! the identity id, so blobs cannot be swapped between identities):
//! ```text
//! "KYSOVLT1" | flags u8 (1 = PIN) | [salt 16 | m_kib u32 | t u32 | p u32] | nonce 24 | ciphertext
//! inner (PIN): nonce 24 | ciphertext
//! payload:     len u32 | PKCS#8 DER | count u32 | (len u32 | certificate DER)*  (signer first)
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::keychain::KEY_LEN;

const MAGIC: &[u8; 8] = b"KYSOVLT1";
const FLAG_PIN: u8 = 1;
const NONCE_LEN: usize = 24;
const SALT_LEN: usize = 16;

/// Argon2id cost (RFC 9106 §4, second recommended option: t=3, 64 MiB; p=1 here since one
/// PIN check runs at a time on modest office PCs).
const ARGON2_M_KIB: u32 = 64 * 1024;
const ARGON2_T: u32 = 3;
const ARGON2_P: u32 = 1;

/// What a vault file holds, decrypted.
pub struct VaultContents {
    /// PKCS#8 PrivateKeyInfo DER.
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// Signer certificate DER.
    pub certificate: Vec<u8>,
    /// Other certificates, signer's issuer first.
    pub chain: Vec<Vec<u8>>,
}

/// The vault folder.
pub fn vault_dir() -> PathBuf {
    crate::home::kyso_home().join("vault")
}

/// The file of identity `id`.
pub fn vault_path(id: &str) -> PathBuf {
    vault_dir().join(format!("{id}.vault"))
}

fn encode_payload(contents: &VaultContents) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        contents.pkcs8.len() + contents.certificate.len() + 4096,
    ));
    let mut push = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    push(&contents.pkcs8);
    let count = (1 + contents.chain.len()) as u32;
    // Count is not length-prefixed data: write it directly.
    let mut rest = Vec::new();
    rest.extend_from_slice(&count.to_be_bytes());
    for der in std::iter::once(&contents.certificate).chain(contents.chain.iter()) {
        rest.extend_from_slice(&(der.len() as u32).to_be_bytes());
        rest.extend_from_slice(der);
    }
    out.extend_from_slice(&rest);
    out
}

fn read_u32(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    let b = bytes.get(*pos..pos.checked_add(4)?)?;
    *pos += 4;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn read_chunk<'a>(bytes: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = read_u32(bytes, pos)?;
    let chunk = bytes.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    Some(chunk)
}

fn decode_payload(bytes: &[u8]) -> Option<VaultContents> {
    let mut pos = 0;
    let pkcs8 = Zeroizing::new(read_chunk(bytes, &mut pos)?.to_vec());
    let count = read_u32(bytes, &mut pos)?;
    let mut certs = Vec::new();
    for _ in 0..count.min(64) {
        certs.push(read_chunk(bytes, &mut pos)?.to_vec());
    }
    if certs.is_empty() || pos != bytes.len() {
        return None;
    }
    let certificate = certs.remove(0);
    Some(VaultContents {
        pkcs8,
        certificate,
        chain: certs,
    })
}

/// Argon2id(PIN, salt, K = keychain key) → 32 bytes (RFC 9106 §3.1).
fn pin_key(
    pin: &str,
    salt: &[u8],
    keychain_key: &[u8; KEY_LEN],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let params = argon2::Params::new(m, t, p, Some(KEY_LEN))
        .map_err(|e| KeyError::SigningFailed(format!("Argon2 parameters: {e}")))?;
    let argon = argon2::Argon2::new_with_secret(
        keychain_key,
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    )
    .map_err(|e| KeyError::SigningFailed(format!("Argon2: {e}")))?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| KeyError::SigningFailed(format!("Argon2: {e}")))?;
    Ok(out)
}

fn seal(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| KeyError::SigningFailed("encryption failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let nonce = sealed.get(..NONCE_LEN)?;
    let body = sealed.get(NONCE_LEN..)?;
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
        .map(Zeroizing::new)
}

/// Encrypts `contents` for identity `id`.
pub fn seal_contents(
    id: &str,
    contents: &VaultContents,
    keychain_key: &[u8; KEY_LEN],
    pin: Option<&str>,
) -> Result<Vec<u8>, KeyError> {
    let payload = encode_payload(contents);
    let mut header = MAGIC.to_vec();
    let plaintext = match pin {
        None => {
            header.push(0);
            payload
        }
        Some(pin) => {
            header.push(FLAG_PIN);
            let mut salt = [0u8; SALT_LEN];
            OsRng.fill_bytes(&mut salt);
            header.extend_from_slice(&salt);
            for v in [ARGON2_M_KIB, ARGON2_T, ARGON2_P] {
                header.extend_from_slice(&v.to_be_bytes());
            }
            let inner_key = pin_key(pin, &salt, keychain_key, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?;
            let aad = aad(&header, id);
            Zeroizing::new(seal(&inner_key, &aad, &payload)?)
        }
    };
    let aad = aad(&header, id);
    let sealed = seal(keychain_key, &aad, &plaintext)?;
    header.extend_from_slice(&sealed);
    Ok(header)
}

fn aad(header: &[u8], id: &str) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// Whether the blob needs a PIN (header only; not authenticated until opened).
pub fn needs_pin(blob: &[u8]) -> bool {
    blob.get(MAGIC.len()) == Some(&FLAG_PIN)
}

/// Decrypts a vault file's bytes. `identity` and `path` name it in errors.
pub fn open_contents(
    id: &str,
    blob: &[u8],
    keychain_key: &[u8; KEY_LEN],
    pin: Option<&str>,
    identity: &str,
    path: &Path,
) -> Result<VaultContents, KeyError> {
    let tampered = || KeyError::VaultTampered {
        identity: identity.to_string(),
        path: path.to_path_buf(),
    };
    if blob.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(tampered());
    }
    let flags = *blob.get(MAGIC.len()).ok_or_else(tampered)?;
    let mut pos = MAGIC.len() + 1;
    let mut argon = None;
    if flags == FLAG_PIN {
        let salt = blob.get(pos..pos + SALT_LEN).ok_or_else(tampered)?;
        pos += SALT_LEN;
        let m = read_u32(blob, &mut pos).ok_or_else(tampered)? as u32;
        let t = read_u32(blob, &mut pos).ok_or_else(tampered)? as u32;
        let p = read_u32(blob, &mut pos).ok_or_else(tampered)? as u32;
        argon = Some((salt, m, t, p));
    } else if flags != 0 {
        return Err(tampered());
    }
    let header = &blob[..pos];
    let aad = aad(header, id);
    let plaintext = open(keychain_key, &aad, &blob[pos..]).ok_or_else(tampered)?;
    let payload = match argon {
        None => plaintext,
        Some((salt, m, t, p)) => {
            let pin = pin.ok_or_else(|| KeyError::PinRequired {
                identity: identity.to_string(),
            })?;
            // The outer tag verified, so these parameters are ours; still bound them.
            if m > 1024 * 1024 || t > 16 || p > 16 {
                return Err(tampered());
            }
            let inner_key = pin_key(pin, salt, keychain_key, m, t, p)?;
            open(&inner_key, &aad, &plaintext).ok_or_else(|| KeyError::PinWrong {
                identity: identity.to_string(),
            })?
        }
    };
    decode_payload(&payload).ok_or_else(tampered)
}

/// Writes `bytes` to `path` owner-only: temp file in the same folder, fsync, rename, fsync of
/// the folder (docs/architecture.md principle 8).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    crate::home::create_private_dir(dir).map_err(io)?;
    let mut name = [0u8; 8];
    OsRng.fill_bytes(&mut name);
    let tmp = dir.join(format!(".tmp-{}", hex::encode(name)));
    let result = (|| -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents() -> VaultContents {
        VaultContents {
            pkcs8: Zeroizing::new(b"private key bytes".to_vec()),
            certificate: b"cert".to_vec(),
            chain: vec![b"inter".to_vec(), b"root".to_vec()],
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; KEY_LEN];
        let p = Path::new("x.vault");
        let blob = seal_contents("id1", &contents(), &key, None).unwrap();
        assert!(!needs_pin(&blob));
        let back = open_contents("id1", &blob, &key, None, "id1", p).unwrap();
        assert_eq!(&back.pkcs8[..], b"private key bytes");
        assert_eq!(back.chain.len(), 2);
        // Wrong id (swapped blob), wrong key, flipped byte: all tampered.
        for (id, k, flip) in [
            ("id2", key, None),
            ("id1", [8u8; KEY_LEN], None),
            ("id1", key, Some(40)),
        ] {
            let mut b = blob.clone();
            if let Some(i) = flip {
                b[i] ^= 1;
            }
            let e = open_contents(id, &b, &k, None, id, p).err().unwrap();
            assert_eq!(e.code(), "VAULT_TAMPERED");
        }
    }

    #[test]
    fn pin_layer() {
        let key = [9u8; KEY_LEN];
        let p = Path::new("x.vault");
        let blob = seal_contents("id", &contents(), &key, Some("1234")).unwrap();
        assert!(needs_pin(&blob));
        let ok = open_contents("id", &blob, &key, Some("1234"), "id", p).unwrap();
        assert_eq!(ok.certificate, b"cert");
        let e = open_contents("id", &blob, &key, Some("1235"), "id", p)
            .err()
            .unwrap();
        assert_eq!(e.code(), "PIN_WRONG");
        let e = open_contents("id", &blob, &key, None, "id", p)
            .err()
            .unwrap();
        assert_eq!(e.code(), "PIN_REQUIRED");
        let e = open_contents("id", &blob, &[1u8; KEY_LEN], Some("1234"), "id", p)
            .err()
            .unwrap();
        assert_eq!(e.code(), "VAULT_TAMPERED");
    }
}
