//! The standard security handler (ISO 32000-2 §7.6.4): RC4 40–128 (R2–R4),
//! AES-128 (V4, AESV2) and AES-256 (V5, R5 and R6, AESV3).
//!
//! Kyso decrypts what it reads and encrypts what it writes with the same file key,
//! so the strings of a signature update stay consistent with the rest of the file.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use md5::{Digest as _, Md5};
use rc4::{KeyInit, StreamCipher};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object, ObjectId};

/// The 32-byte padding string of Algorithm 2 (§7.6.4.3.2).
const PASSWORD_PADDING: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

/// How strings or streams are encrypted (§7.6.5, crypt filter /CFM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptMethod {
    Identity,
    Rc4,
    AesV2,
    AesV3,
}

/// Which password opened the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    User,
    Owner,
}

/// An opened standard security handler holding the file encryption key.
pub struct SecurityHandler {
    pub version: i64,
    pub revision: i64,
    pub key_bits: usize,
    pub string_method: CryptMethod,
    pub stream_method: CryptMethod,
    /// The /P permission flags (§7.6.4.2, Table 22).
    pub permissions: i32,
    pub authentication: Authentication,
    file_key: Vec<u8>,
}

impl Drop for SecurityHandler {
    fn drop(&mut self) {
        self.file_key.iter_mut().for_each(|b| *b = 0);
    }
}

impl std::fmt::Debug for SecurityHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityHandler")
            .field("version", &self.version)
            .field("revision", &self.revision)
            .field("string_method", &self.string_method)
            .finish_non_exhaustive()
    }
}

/// Bit 6 of /P: modify annotations and fill form fields.
const PERMISSION_ANNOTATE: i32 = 1 << 5;
/// Bit 9 of /P: fill existing form fields, signature fields included (R ≥ 3).
const PERMISSION_FILL_FORMS: i32 = 1 << 8;

impl SecurityHandler {
    /// Opens the handler with `password` tried as the user then the owner password.
    /// `None` tries the empty user password.
    pub fn open(encrypt: &Dictionary, first_id: &[u8], password: Option<&str>) -> Result<Self> {
        let filter = encrypt.get_name(b"Filter").unwrap_or(b"");
        if filter != b"Standard" {
            return Err(PdfError::UnsupportedEncryption(format!(
                "security handler /{}",
                String::from_utf8_lossy(filter)
            )));
        }
        let version = encrypt.get_int(b"V").unwrap_or(0);
        let revision = encrypt.get_int(b"R").unwrap_or(0);
        let permissions = encrypt.get_int(b"P").unwrap_or(-1) as i32;
        let owner_hash = string_bytes(encrypt, b"O")?;
        let user_hash = string_bytes(encrypt, b"U")?;
        let encrypt_metadata = !matches!(
            encrypt.get(b"EncryptMetadata"),
            Some(Object::Boolean(false))
        );

        let (string_method, stream_method, key_bits) = match version {
            1 => (CryptMethod::Rc4, CryptMethod::Rc4, 40),
            2 => {
                let bits = encrypt.get_int(b"Length").unwrap_or(40).clamp(40, 128) as usize;
                (CryptMethod::Rc4, CryptMethod::Rc4, bits)
            }
            4 | 5 => {
                let strings = crypt_filter_method(encrypt, b"StrF")?;
                let streams = crypt_filter_method(encrypt, b"StmF")?;
                let bits = if version == 5 { 256 } else { 128 };
                (strings, streams, bits)
            }
            other => {
                return Err(PdfError::UnsupportedEncryption(format!("/V {other}")));
            }
        };

        let password_text = password.unwrap_or("");
        let mut handler = SecurityHandler {
            version,
            revision,
            key_bits,
            string_method,
            stream_method,
            permissions,
            authentication: Authentication::User,
            file_key: Vec::new(),
        };
        if revision >= 5 {
            let oe = string_bytes(encrypt, b"OE")?;
            let ue = string_bytes(encrypt, b"UE")?;
            let pw = prepare_password_r6(password_text);
            if let Some(key) = r6_user_key(revision, &pw, &user_hash, &ue) {
                handler.file_key = key;
            } else if let Some(key) = r6_owner_key(revision, &pw, &owner_hash, &user_hash, &oe) {
                handler.file_key = key;
                handler.authentication = Authentication::Owner;
            } else {
                return Err(password_error(password));
            }
        } else {
            let pw = latin1_password(password_text);
            let key_len = key_bits / 8;
            let ctx = LegacyContext {
                revision,
                key_len,
                owner_hash: &owner_hash,
                permissions,
                first_id,
                encrypt_metadata,
            };
            if let Some(key) = ctx.authenticate_user(&user_hash, &pw) {
                handler.file_key = key;
            } else if let Some(key) = ctx.authenticate_owner(&user_hash, &pw) {
                handler.file_key = key;
                handler.authentication = Authentication::Owner;
            } else {
                return Err(password_error(password));
            }
        }
        Ok(handler)
    }

    /// Whether a new signature field may be added (Table 22, bit 6), or an existing one
    /// filled (bit 6 or bit 9). The owner may do anything.
    pub fn allows_signing(&self, new_field: bool) -> bool {
        if self.authentication == Authentication::Owner {
            return true;
        }
        if new_field {
            self.permissions & PERMISSION_ANNOTATE != 0
        } else {
            self.permissions & (PERMISSION_ANNOTATE | PERMISSION_FILL_FORMS) != 0
        }
    }

    fn object_key(&self, id: ObjectId, method: CryptMethod) -> Vec<u8> {
        if method == CryptMethod::AesV3 {
            return self.file_key.clone();
        }
        // Algorithm 1 (§7.6.3.2).
        let mut hasher = Md5::new();
        hasher.update(&self.file_key);
        hasher.update(&id.number.to_le_bytes()[..3]);
        hasher.update(id.generation.to_le_bytes());
        if method == CryptMethod::AesV2 {
            hasher.update(b"sAlT");
        }
        let digest = hasher.finalize();
        digest[..(self.file_key.len() + 5).min(16)].to_vec()
    }

    pub fn decrypt_string(&self, id: ObjectId, data: &[u8]) -> Result<Vec<u8>> {
        self.decrypt(id, data, self.string_method)
    }

    pub fn decrypt_stream(&self, id: ObjectId, data: &[u8]) -> Result<Vec<u8>> {
        self.decrypt(id, data, self.stream_method)
    }

    pub fn encrypt_string(&self, id: ObjectId, data: &[u8]) -> Vec<u8> {
        self.encrypt(id, data, self.string_method)
    }

    pub fn encrypt_stream(&self, id: ObjectId, data: &[u8]) -> Vec<u8> {
        self.encrypt(id, data, self.stream_method)
    }

    fn decrypt(&self, id: ObjectId, data: &[u8], method: CryptMethod) -> Result<Vec<u8>> {
        let key = self.object_key(id, method);
        match method {
            CryptMethod::Identity => Ok(data.to_vec()),
            CryptMethod::Rc4 => Ok(rc4_apply(&key, data)),
            CryptMethod::AesV2 | CryptMethod::AesV3 => {
                if data.is_empty() {
                    return Ok(Vec::new());
                }
                if data.len() < 16 || !data.len().is_multiple_of(16) {
                    return Err(PdfError::damaged(format!(
                        "bad AES-encrypted data in object {id}"
                    )));
                }
                let (iv, body) = data.split_at(16);
                aes_cbc_decrypt(&key, iv, body)
                    .ok_or_else(|| PdfError::damaged(format!("bad AES padding in object {id}")))
            }
        }
    }

    fn encrypt(&self, id: ObjectId, data: &[u8], method: CryptMethod) -> Vec<u8> {
        let key = self.object_key(id, method);
        match method {
            CryptMethod::Identity => data.to_vec(),
            CryptMethod::Rc4 => rc4_apply(&key, data),
            CryptMethod::AesV2 | CryptMethod::AesV3 => {
                let iv: [u8; 16] = rand::random();
                let mut out = iv.to_vec();
                out.extend_from_slice(&aes_cbc_encrypt(&key, &iv, data));
                out
            }
        }
    }
}

fn password_error(password: Option<&str>) -> PdfError {
    if password.is_none() {
        PdfError::PasswordRequired
    } else {
        PdfError::WrongPassword
    }
}

fn string_bytes(dict: &Dictionary, key: &[u8]) -> Result<Vec<u8>> {
    match dict.get(key) {
        Some(Object::String(s)) => Ok(s.bytes.clone()),
        _ => Err(PdfError::damaged(format!(
            "encryption dictionary lacks /{}",
            String::from_utf8_lossy(key)
        ))),
    }
}

fn crypt_filter_method(encrypt: &Dictionary, which: &[u8]) -> Result<CryptMethod> {
    let name = encrypt.get_name(which).unwrap_or(b"Identity");
    if name == b"Identity" {
        return Ok(CryptMethod::Identity);
    }
    let filter = encrypt
        .get(b"CF")
        .and_then(Object::as_dict)
        .and_then(|cf| cf.get(name))
        .and_then(Object::as_dict)
        .ok_or_else(|| PdfError::damaged("crypt filter not found"))?;
    match filter.get_name(b"CFM").unwrap_or(b"None") {
        b"V2" => Ok(CryptMethod::Rc4),
        b"AESV2" => Ok(CryptMethod::AesV2),
        b"AESV3" => Ok(CryptMethod::AesV3),
        b"None" => Ok(CryptMethod::Identity),
        other => Err(PdfError::UnsupportedEncryption(format!(
            "crypt filter /{}",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// Passwords for R2–R4 are PDFDocEncoding; Latin-1 is its printable subset.
fn latin1_password(password: &str) -> Vec<u8> {
    if password.chars().all(|c| (c as u32) < 256) {
        password.chars().map(|c| c as u8).collect()
    } else {
        password.as_bytes().to_vec()
    }
}

/// R6 passwords: UTF-8 (after SASLprep, which is the identity for the usual passwords), ≤ 127 bytes.
fn prepare_password_r6(password: &str) -> Vec<u8> {
    let bytes = password.as_bytes();
    bytes[..bytes.len().min(127)].to_vec()
}

fn pad_password(password: &[u8]) -> [u8; 32] {
    let mut out = PASSWORD_PADDING;
    let n = password.len().min(32);
    out[..n].copy_from_slice(&password[..n]);
    out[n..].copy_from_slice(&PASSWORD_PADDING[..32 - n]);
    out
}

fn rc4_apply(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    // RC4 keys here are 5 to 16 bytes.
    macro_rules! run {
        ($n:ty) => {{
            if let Ok(mut cipher) = rc4::Rc4::<$n>::new_from_slice(key) {
                cipher.apply_keystream(&mut out);
            }
        }};
    }
    use rc4::consts::*;
    match key.len() {
        5 => run!(U5),
        6 => run!(U6),
        7 => run!(U7),
        8 => run!(U8),
        9 => run!(U9),
        10 => run!(U10),
        11 => run!(U11),
        12 => run!(U12),
        13 => run!(U13),
        14 => run!(U14),
        15 => run!(U15),
        _ => run!(U16),
    }
    out
}

fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .ok(),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .ok(),
        _ => None,
    }
}

fn aes_cbc_encrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Vec<u8> {
    match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data))
            .unwrap_or_default(),
        _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data))
            .unwrap_or_default(),
    }
}

struct LegacyContext<'a> {
    revision: i64,
    key_len: usize,
    owner_hash: &'a [u8],
    permissions: i32,
    first_id: &'a [u8],
    encrypt_metadata: bool,
}

impl LegacyContext<'_> {
    /// Algorithm 2: the file key from a user password.
    fn file_key(&self, password: &[u8]) -> Vec<u8> {
        let mut hasher = Md5::new();
        hasher.update(pad_password(password));
        hasher.update(&self.owner_hash[..self.owner_hash.len().min(32)]);
        hasher.update(self.permissions.to_le_bytes());
        hasher.update(self.first_id);
        if self.revision >= 4 && !self.encrypt_metadata {
            hasher.update([0xFF; 4]);
        }
        let mut key = hasher.finalize().to_vec();
        let n = if self.revision == 2 {
            5
        } else {
            self.key_len.clamp(5, 16)
        };
        if self.revision >= 3 {
            for _ in 0..50 {
                key = Md5::digest(&key[..n]).to_vec();
            }
        }
        key.truncate(n);
        key
    }

    /// Algorithms 4 and 5: the /U value a key produces.
    fn user_hash(&self, key: &[u8]) -> Vec<u8> {
        if self.revision == 2 {
            rc4_apply(key, &PASSWORD_PADDING)
        } else {
            let mut hasher = Md5::new();
            hasher.update(PASSWORD_PADDING);
            hasher.update(self.first_id);
            let mut value = hasher.finalize().to_vec();
            for i in 0..20u8 {
                let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
                value = rc4_apply(&k, &value);
            }
            value
        }
    }

    /// Algorithm 6.
    fn authenticate_user(&self, user_hash: &[u8], password: &[u8]) -> Option<Vec<u8>> {
        let key = self.file_key(password);
        let expected = self.user_hash(&key);
        let compare = if self.revision == 2 { 32 } else { 16 };
        if user_hash.len() >= compare
            && expected.len() >= compare
            && expected[..compare] == user_hash[..compare]
        {
            Some(key)
        } else {
            None
        }
    }

    /// Algorithm 7: recover the user password from /O with the owner password.
    fn authenticate_owner(&self, user_hash: &[u8], password: &[u8]) -> Option<Vec<u8>> {
        let mut digest = Md5::digest(pad_password(password)).to_vec();
        let n = if self.revision == 2 {
            5
        } else {
            self.key_len.clamp(5, 16)
        };
        if self.revision >= 3 {
            for _ in 0..50 {
                digest = Md5::digest(&digest[..n]).to_vec();
            }
        }
        let rc4_key = &digest[..n];
        let mut user_password = self.owner_hash[..self.owner_hash.len().min(32)].to_vec();
        if self.revision == 2 {
            user_password = rc4_apply(rc4_key, &user_password);
        } else {
            for i in (0..20u8).rev() {
                let k: Vec<u8> = rc4_key.iter().map(|b| b ^ i).collect();
                user_password = rc4_apply(&k, &user_password);
            }
        }
        self.authenticate_user(user_hash, &user_password)
    }
}

/// Algorithm 2.B (ISO 32000-2 §7.6.4.3.4): the R6 hash; R5 uses plain SHA-256.
fn hash_r6(revision: i64, password: &[u8], salt: &[u8], user_key: &[u8]) -> [u8; 32] {
    let mut k: Vec<u8> = {
        let mut h = Sha256::new();
        h.update(password);
        h.update(salt);
        h.update(user_key);
        h.finalize().to_vec()
    };
    if revision == 5 {
        let mut out = [0u8; 32];
        out.copy_from_slice(&k[..32]);
        return out;
    }
    let mut round = 0u32;
    loop {
        let mut k1 = Vec::with_capacity(64 * (password.len() + k.len() + user_key.len()));
        for _ in 0..64 {
            k1.extend_from_slice(password);
            k1.extend_from_slice(&k);
            k1.extend_from_slice(user_key);
        }
        let mut e = k1;
        let encryptor = cbc::Encryptor::<aes::Aes128>::new_from_slices(&k[..16], &k[16..32]);
        let Ok(encryptor) = encryptor else {
            return [0u8; 32];
        };
        let len = e.len();
        if encryptor
            .encrypt_padded_mut::<NoPadding>(&mut e, len)
            .is_err()
        {
            return [0u8; 32];
        }
        let sum: u32 = e[..16].iter().map(|&b| u32::from(b)).sum();
        k = match sum % 3 {
            0 => Sha256::digest(&e).to_vec(),
            1 => Sha384::digest(&e).to_vec(),
            _ => Sha512::digest(&e).to_vec(),
        };
        let last = u32::from(*e.last().unwrap_or(&0));
        round += 1;
        if round >= 64 && last <= round - 32 {
            break;
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&k[..32]);
    out
}

fn aes256_no_iv_decrypt(key: &[u8; 32], data: &[u8]) -> Option<Vec<u8>> {
    if data.len() != 32 {
        return None;
    }
    let mut buf = data.to_vec();
    cbc::Decryptor::<aes::Aes256>::new_from_slices(key, &[0u8; 16])
        .ok()?
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .ok()
        .map(<[u8]>::to_vec)
}

/// Algorithm 2.A, user branch.
fn r6_user_key(revision: i64, password: &[u8], u: &[u8], ue: &[u8]) -> Option<Vec<u8>> {
    if u.len() < 48 {
        return None;
    }
    if hash_r6(revision, password, &u[32..40], &[]) != u[..32] {
        return None;
    }
    let intermediate = hash_r6(revision, password, &u[40..48], &[]);
    aes256_no_iv_decrypt(&intermediate, ue)
}

/// Algorithm 2.A, owner branch.
fn r6_owner_key(revision: i64, password: &[u8], o: &[u8], u: &[u8], oe: &[u8]) -> Option<Vec<u8>> {
    if o.len() < 48 || u.len() < 48 {
        return None;
    }
    if hash_r6(revision, password, &o[32..40], &u[..48]) != o[..32] {
        return None;
    }
    let intermediate = hash_r6(revision, password, &o[40..48], &u[..48]);
    aes256_no_iv_decrypt(&intermediate, oe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_is_its_own_inverse() {
        let key = b"0123456789abcdef";
        let data = b"Kyso signs documents";
        assert_eq!(rc4_apply(key, &rc4_apply(key, data)), data);
    }

    #[test]
    fn aes_round_trip() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        let enc = aes_cbc_encrypt(&key, &iv, b"hello");
        assert_eq!(aes_cbc_decrypt(&key, &iv, &enc).unwrap(), b"hello");
    }
}
