//! PKCS#11 tokens (USB tokens of the VGCA, SafeNet, bit4id...) through `cryptoki`.
//!
//! References are to PKCS#11 Base Specification v2.40: C_Initialize §5.4, token flags
//! (CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED) §5.5 Table 8, C_Login §5.6, object search
//! §5.7, C_Sign §5.11; mechanisms CKM_RSA_PKCS and CKM_RSA_PKCS_PSS from PKCS#11 Current
//! Mechanisms v2.40 §2.1.6 and §2.1.10.
//!
//! The PIN is given once, held in a zeroizing string while the signer lives, and dropped on
//! [`TokenSigner::lock`], on drop, and after an idle timeout. A wrong PIN is never retried: the
//! error carries what the token says about the tries left.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::MechanismType;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kyso_cms::{CertificateInfo, DigestAlgorithm, SignatureScheme, digest_info};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
use serde::Serialize;
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::identity::{Identity, Registry, Source, new_id};
use crate::signer::Signer;
use crate::token_info::{self, TokenFacts};

/// Default idle time after which the PIN is forgotten.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// What the token reports about the user PIN tries left (PKCS#11 v2.40 §5.5, Table 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PinTries {
    /// The token does not say.
    Unknown,
    /// CKF_USER_PIN_COUNT_LOW: at least one wrong PIN since the last success.
    CountLow,
    /// CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks the token.
    FinalTry,
}

impl PinTries {
    /// From the token flags.
    pub fn from_info(info: &TokenFacts) -> Self {
        Self::from_flags(info.user_pin_count_low(), info.user_pin_final_try())
    }

    /// From the two flags.
    pub fn from_flags(count_low: bool, final_try: bool) -> Self {
        if final_try {
            PinTries::FinalTry
        } else if count_low {
            PinTries::CountLow
        } else {
            PinTries::Unknown
        }
    }

    /// Text appended to the wrong-PIN message.
    pub fn describe(&self) -> &'static str {
        match self {
            PinTries::Unknown => "; it was not retried",
            PinTries::CountLow => "; the token reports few tries left",
            PinTries::FinalTry => "; ONE try left: another wrong PIN locks the token for good",
        }
    }

    /// Stable code of the wrong-PIN error.
    pub fn code(&self) -> &'static str {
        match self {
            PinTries::Unknown => "PIN_WRONG",
            PinTries::CountLow => "TOKEN_PIN_COUNT_LOW",
            PinTries::FinalTry => "TOKEN_PIN_FINAL_TRY",
        }
    }
}

/// A loaded and initialised PKCS#11 module.
#[derive(Clone, Debug)]
pub struct Module {
    ctx: Pkcs11,
    path: String,
}

impl Module {
    /// Loads `path` and calls C_Initialize with CKF_OS_LOCKING_OK (§5.4).
    pub fn load(path: &str) -> Result<Self, KeyError> {
        let failed = |detail: String| KeyError::TokenModule {
            module: path.to_string(),
            detail,
        };
        let ctx = Pkcs11::new(path).map_err(|e| failed(e.to_string()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(failed(e.to_string())),
        }
        Ok(Module {
            ctx,
            path: path.to_string(),
        })
    }

    /// The slot whose token has this label (and serial, when given).
    /// The token facts of `slot` ([`token_info::read`]).
    fn token_facts(&self, slot: Slot) -> Result<TokenFacts, CkError> {
        token_info::read(&self.ctx, &self.path, slot)
    }

    fn find_slot(&self, label: &str, serial: Option<&str>) -> Result<(Slot, TokenFacts), KeyError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(|e| map_error(e, label))?;
        for slot in slots {
            let Ok(info) = self.token_facts(slot) else {
                continue;
            };
            if info.label == label && serial.is_none_or(|s| s.is_empty() || info.serial == s) {
                return Ok((slot, info));
            }
        }
        Err(KeyError::TokenAbsent {
            token: label.to_string(),
        })
    }
}

/// One slot, as listed by `kyso token list`.
#[derive(Debug, Serialize)]
pub struct SlotListing {
    /// Slot id.
    pub slot: u64,
    /// CK_SLOT_INFO.slotDescription.
    pub description: String,
    /// The token in it.
    pub token: Option<TokenListing>,
}

/// A token and its certificates (public objects; no PIN needed).
#[derive(Debug, Serialize)]
pub struct TokenListing {
    /// Label.
    pub label: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// CKF_USER_PIN_COUNT_LOW.
    pub pin_count_low: bool,
    /// CKF_USER_PIN_FINAL_TRY.
    pub pin_final_try: bool,
    /// CKF_USER_PIN_LOCKED.
    pub pin_locked: bool,
    /// Certificates on the token.
    pub certificates: Vec<TokenCertificate>,
}

/// A certificate object on a token.
#[derive(Debug, Serialize)]
pub struct TokenCertificate {
    /// CKA_ID, hex: the key with the same id is the certificate's key.
    pub key_id: String,
    /// CKA_LABEL.
    pub label: String,
    /// Subject DN.
    pub subject: String,
    /// notAfter, YYYY-MM-DD.
    pub valid_to: String,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// SHA-256 fingerprint, hex.
    pub sha256_fingerprint: String,
}

/// Lists the slots with a token, and their certificates.
pub fn list(module_path: &str) -> Result<Vec<SlotListing>, KeyError> {
    let module = Module::load(module_path)?;
    let slots = module
        .ctx
        .get_slots_with_token()
        .map_err(|e| map_error(e, module_path))?;
    let mut out = Vec::new();
    for slot in slots {
        let description = module
            .ctx
            .get_slot_info(slot)
            .map(|i| token_info::padded_text(i.slot_description().as_bytes()))
            .unwrap_or_default();
        let token = match module.token_facts(slot) {
            Ok(info) => {
                let label = info.label.clone();
                let certificates = module
                    .ctx
                    .open_ro_session(slot)
                    .ok()
                    .and_then(|s| certificates(&s, &label).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(id, cert_label, cert)| TokenCertificate {
                        key_id: hex::encode(id),
                        label: cert_label,
                        subject: cert.subject.clone(),
                        valid_to: crate::check::format_date(cert.not_after),
                        is_ca: cert.is_ca,
                        sha256_fingerprint: cert.sha256_fingerprint_hex.clone(),
                    })
                    .collect();
                Some(TokenListing {
                    label,
                    manufacturer: info.manufacturer.clone(),
                    model: info.model.clone(),
                    serial: info.serial.clone(),
                    pin_count_low: info.user_pin_count_low(),
                    pin_final_try: info.user_pin_final_try(),
                    pin_locked: info.user_pin_locked(),
                    certificates,
                })
            }
            Err(_) => None,
        };
        out.push(SlotListing {
            slot: slot.id(),
            description,
            token,
        });
    }
    Ok(out)
}

/// Certificate objects visible in `session`: (CKA_ID, CKA_LABEL, parsed certificate).
fn certificates(
    session: &Session,
    token: &str,
) -> Result<Vec<(Vec<u8>, String, CertificateInfo)>, KeyError> {
    let handles = session
        .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
        .map_err(|e| map_error(e, token))?;
    let mut out = Vec::new();
    for h in handles {
        let attrs = session
            .get_attributes(
                h,
                &[
                    AttributeType::Id,
                    AttributeType::Label,
                    AttributeType::Value,
                ],
            )
            .map_err(|e| map_error(e, token))?;
        let (mut id, mut label, mut value) = (Vec::new(), String::new(), Vec::new());
        for a in attrs {
            match a {
                Attribute::Id(v) => id = v,
                Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
                Attribute::Value(v) => value = v,
                _ => {}
            }
        }
        if let Ok(cert) = CertificateInfo::from_der(&value) {
            out.push((id, label, cert));
        }
    }
    Ok(out)
}

/// Registers a token key as an identity, by its certificate (no PIN needed: certificates are
/// public objects). `key_id` (hex) chooses among several end-entity certificates.
pub fn add_token_identity(
    module_path: &str,
    token_label: &str,
    key_id: Option<&str>,
    label: Option<&str>,
) -> Result<Identity, KeyError> {
    let module = Module::load(module_path)?;
    let (slot, info) = module.find_slot(token_label, None)?;
    let session = module
        .ctx
        .open_ro_session(slot)
        .map_err(|e| map_error(e, token_label))?;
    let certs = certificates(&session, token_label)?;
    let wanted = key_id.map(|k| k.to_ascii_lowercase());
    let mut candidates: Vec<&(Vec<u8>, String, CertificateInfo)> = certs
        .iter()
        .filter(|(id, _, cert)| match &wanted {
            Some(k) => hex::encode(id) == *k,
            None => !cert.is_ca,
        })
        .collect();
    let (id, _, cert) = match candidates.len() {
        0 => {
            return Err(KeyError::TokenKeyNotFound {
                token: token_label.to_string(),
                key_id: wanted,
            });
        }
        1 => candidates.remove(0),
        _ => {
            return Err(KeyError::TokenSeveralKeys {
                token: token_label.to_string(),
                key_ids: candidates
                    .iter()
                    .map(|(id, _, c)| format!("{} {}", hex::encode(id), c.subject))
                    .collect(),
            });
        }
    };
    let source = Source::Token {
        module: module.path.clone(),
        token_label: token_label.to_string(),
        token_serial: info.serial.clone(),
        key_id: hex::encode(id),
    };
    let label = label
        .map(str::to_string)
        .or_else(|| cert.subject_common_name.clone())
        .unwrap_or_else(|| cert.subject.clone());
    let identity = Identity::from_certificate(new_id(), label, cert, source);
    let _lock = crate::identity::lock_registry()?;
    let mut registry = Registry::load()?;
    registry.add(identity.clone())?;
    Ok(identity)
}

/// Writes a certificate object onto a token next to the key with CKA_ID `key_id` (needs the
/// user PIN). Used to provision test tokens and tokens delivered without their certificate.
pub fn store_certificate(
    module_path: &str,
    token_label: &str,
    pin: &str,
    key_id: &[u8],
    label: &str,
    der: &[u8],
) -> Result<(), KeyError> {
    let module = Module::load(module_path)?;
    let (slot, _) = module.find_slot(token_label, None)?;
    let session = module
        .ctx
        .open_rw_session(slot)
        .map_err(|e| map_error(e, token_label))?;
    login(&module, &session, slot, token_label, pin)?;
    let cert = CertificateInfo::from_der(der)?;
    session
        .create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(cryptoki::object::CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Id(key_id.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Subject(cert.subject_der.clone()),
            Attribute::Issuer(cert.issuer_der.clone()),
            Attribute::SerialNumber(cert.serial_der.clone()),
            Attribute::Value(der.to_vec()),
        ])
        .map_err(|e| map_error(e, token_label))?;
    Ok(())
}

fn login(
    module: &Module,
    session: &Session,
    slot: Slot,
    token: &str,
    pin: &str,
) -> Result<(), KeyError> {
    let info = module.token_facts(slot).map_err(|e| map_error(e, token))?;
    if info.user_pin_locked() {
        return Err(KeyError::TokenPinLocked {
            token: token.to_string(),
        });
    }
    let auth = AuthPin::new(pin.into());
    match session.login(UserType::User, Some(&auth)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
            // Never retried: read the flags the token set after this failure (§5.5).
            let remaining = module
                .token_facts(slot)
                .map(|i| {
                    if i.user_pin_locked() {
                        None
                    } else {
                        Some(PinTries::from_info(&i))
                    }
                })
                .unwrap_or(Some(PinTries::Unknown));
            match remaining {
                Some(remaining) => Err(KeyError::TokenPinWrong {
                    token: token.to_string(),
                    remaining,
                }),
                None => Err(KeyError::TokenPinLocked {
                    token: token.to_string(),
                }),
            }
        }
        Err(e) => Err(map_error(e, token)),
    }
}

/// PKCS#11 return values to our codes: a removed or absent token is `TOKEN_ABSENT` so that a
/// batch reports it as such for each file left.
fn map_error(e: CkError, token: &str) -> KeyError {
    let token = token.to_string();
    match e {
        CkError::Pkcs11(
            RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::SlotIdInvalid
            | RvError::TokenNotRecognized,
            _,
        ) => KeyError::TokenAbsent { token },
        CkError::Pkcs11(RvError::PinLocked, _) => KeyError::TokenPinLocked { token },
        CkError::Pkcs11(RvError::UserNotLoggedIn, _) => KeyError::PinRequired { identity: token },
        other => KeyError::TokenFailed {
            token,
            detail: other.to_string(),
        },
    }
}

struct TokenState {
    session: Option<Session>,
    pin: Option<Zeroizing<String>>,
    last_used: Instant,
}

/// A key on a token, logged in once for the whole batch.
pub struct TokenSigner {
    /// Keeps the PKCS#11 module loaded while the signer lives.
    _module: Module,
    slot: Slot,
    token: String,
    key: ObjectHandle,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    public: RsaPublicKey,
    idle_timeout: Duration,
    state: Mutex<TokenState>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// Finds the token of `identity`, logs in with `pin` (once; a wrong PIN is an error, never
    /// retried) and finds the private key. The chain is the other certificates on the token
    /// that issue the signer's, when present.
    pub fn open(
        identity: &Identity,
        pin: Zeroizing<String>,
        idle_timeout: Duration,
    ) -> Result<Self, KeyError> {
        let Source::Token {
            module,
            token_label,
            token_serial,
            key_id,
        } = &identity.source
        else {
            return Err(KeyError::IdentityNotFound {
                id: identity.id.clone(),
            });
        };
        let module = Module::load(module)?;
        let (slot, _) = module.find_slot(token_label, Some(token_serial))?;
        let session = module
            .ctx
            .open_ro_session(slot)
            .map_err(|e| map_error(e, token_label))?;
        login(&module, &session, slot, token_label, &pin)?;
        let id = hex::decode(key_id).map_err(|_| KeyError::TokenKeyNotFound {
            token: token_label.clone(),
            key_id: Some(key_id.clone()),
        })?;
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(id.clone()),
            ])
            .map_err(|e| map_error(e, token_label))?
            .into_iter()
            .next()
            .ok_or_else(|| KeyError::TokenKeyNotFound {
                token: token_label.clone(),
                key_id: Some(key_id.clone()),
            })?;
        let certs = certificates(&session, token_label)?;
        let signer_cert = certs
            .iter()
            .find(|(cid, _, _)| *cid == id)
            .map(|(_, _, c)| c.clone())
            .map_or_else(
                || CertificateInfo::from_der(&identity.certificate_der()?).map_err(KeyError::from),
                Ok,
            )?;
        let public = signer_cert.rsa_public_key()?;
        let on_token: Vec<CertificateInfo> = certs.into_iter().map(|(_, _, c)| c).collect();
        let chain: Vec<Vec<u8>> = signer_cert
            .issuer_path(&on_token)
            .into_iter()
            .map(|c| c.der.clone())
            .collect();
        Ok(TokenSigner {
            _module: module,
            slot,
            token: token_label.clone(),
            key,
            certificate: signer_cert.der.clone(),
            chain,
            public,
            idle_timeout,
            state: Mutex::new(TokenState {
                session: Some(session),
                pin: Some(pin),
                last_used: Instant::now(),
            }),
        })
    }

    /// Logs out and forgets the PIN; later signatures fail with `PIN_REQUIRED`.
    pub fn lock(&self) {
        if let Ok(mut state) = self.state.lock() {
            lock_state(&mut state);
        }
    }

    /// The slot the token sits in.
    pub fn slot(&self) -> Slot {
        self.slot
    }
}

fn lock_state(state: &mut TokenState) {
    if let Some(session) = state.session.take() {
        let _ = session.logout();
    }
    state.pin = None;
}

impl Drop for TokenSigner {
    fn drop(&mut self) {
        self.lock();
    }
}

impl Signer for TokenSigner {
    fn certificate_der(&self) -> &[u8] {
        &self.certificate
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
        if !digest.allowed_for_new_signatures() {
            return Err(KeyError::UnsupportedDigest(digest.name()));
        }
        let mut state = self
            .state
            .lock()
            .map_err(|_| KeyError::SigningFailed("token state poisoned".into()))?;
        if state.last_used.elapsed() > self.idle_timeout {
            lock_state(&mut state);
        }
        if state.pin.is_none() {
            return Err(KeyError::PinRequired {
                identity: self.token.clone(),
            });
        }
        let session = state
            .session
            .as_ref()
            .ok_or_else(|| KeyError::PinRequired {
                identity: self.token.clone(),
            })?;
        let hash = digest.digest(data);
        let (hash_mech, mgf) = match digest {
            DigestAlgorithm::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
            DigestAlgorithm::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
            _ => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        };
        let signature = match scheme {
            // CKM_RSA_PKCS over the DigestInfo: what every token supports.
            SignatureScheme::RsaPkcs1v15 => {
                let info = digest_info(digest, &hash);
                let sig = session
                    .sign(&Mechanism::RsaPkcs, self.key, &info)
                    .map_err(|e| map_error(e, &self.token))?;
                self.public
                    .verify(Pkcs1v15Sign::new_unprefixed(), &info, &sig)
                    .map_err(|_| {
                        KeyError::SigningFailed("the token's signature did not verify".into())
                    })?;
                sig
            }
            // CKM_RSA_PKCS_PSS over the hash, MGF1 with the same hash, salt = hash length.
            SignatureScheme::RsaPss => {
                let params = PkcsPssParams {
                    hash_alg: hash_mech,
                    mgf,
                    s_len: (hash.len() as u64).into(),
                };
                let sig = session
                    .sign(&Mechanism::RsaPkcsPss(params), self.key, &hash)
                    .map_err(|e| map_error(e, &self.token))?;
                let ok = match digest {
                    DigestAlgorithm::Sha384 => {
                        self.public.verify(Pss::new::<Sha384>(), &hash, &sig)
                    }
                    DigestAlgorithm::Sha512 => {
                        self.public.verify(Pss::new::<Sha512>(), &hash, &sig)
                    }
                    _ => self.public.verify(Pss::new::<Sha256>(), &hash, &sig),
                };
                ok.map_err(|_| {
                    KeyError::SigningFailed("the token's signature did not verify".into())
                })?;
                sig
            }
        };
        state.last_used = Instant::now();
        Ok(signature)
    }

    fn signature_len(&self) -> usize {
        self.public.size()
    }
}

/// The PKCS#11 modules of the token drivers Kyso knows (docs/tokens.md), by vendor, with the
/// paths their installers use on this operating system; `KYSO_PKCS11_MODULE` adds one.
pub fn known_modules() -> Vec<(String, String)> {
    #[cfg(target_os = "windows")]
    let known: &[(&str, &str)] = &[
        (
            "SafeNet Authentication Client",
            r"C:\Windows\System32\eTPKCS11.dll",
        ),
        ("bit4id (VGCA Token)", r"C:\Windows\System32\bit4ipki.dll"),
        ("OpenSC", r"C:\Windows\System32\opensc-pkcs11.dll"),
        ("SoftHSM2", r"C:\SoftHSM2\lib\softhsm2-x64.dll"),
    ];
    #[cfg(target_os = "macos")]
    let known: &[(&str, &str)] = &[
        (
            "SafeNet Authentication Client",
            "/usr/local/lib/libeTPkcs11.dylib",
        ),
        (
            "bit4id (VGCA Token)",
            "/Library/bit4id/pkcs11/libbit4ipki.dylib",
        ),
        ("OpenSC", "/Library/OpenSC/lib/opensc-pkcs11.so"),
        ("SoftHSM2", "/opt/homebrew/lib/softhsm/libsofthsm2.so"),
        ("SoftHSM2", "/usr/local/lib/softhsm/libsofthsm2.so"),
    ];
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let known: &[(&str, &str)] = &[
        ("SafeNet Authentication Client", "/usr/lib/libeTPkcs11.so"),
        ("bit4id (VGCA Token)", "/usr/lib/bit4id/libbit4ipki.so"),
        ("OpenSC", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
        ("SoftHSM2", "/usr/lib/softhsm/libsofthsm2.so"),
    ];
    let mut modules: Vec<(String, String)> = known
        .iter()
        .map(|(vendor, path)| (vendor.to_string(), path.to_string()))
        .collect();
    if let Ok(extra) = std::env::var("KYSO_PKCS11_MODULE")
        && !extra.trim().is_empty()
        && !modules.iter().any(|(_, p)| *p == extra)
    {
        modules.insert(0, ("KYSO_PKCS11_MODULE".into(), extra));
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_tries() {
        assert_eq!(PinTries::from_flags(false, false).code(), "PIN_WRONG");
        assert_eq!(
            PinTries::from_flags(true, false).code(),
            "TOKEN_PIN_COUNT_LOW"
        );
        assert_eq!(
            PinTries::from_flags(true, true).code(),
            "TOKEN_PIN_FINAL_TRY"
        );
        assert!(PinTries::FinalTry.describe().contains("ONE try left"));
    }
}
