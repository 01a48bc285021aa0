//! What Kyso reads of a token's CK_TOKEN_INFO (PKCS#11 v2.40 §5.5, Table 8): its label,
//! maker, model, serial and the user-PIN flags.
//!
//! `cryptoki`'s `get_token_info` refuses the whole structure when one field it parses is
//! malformed. Real modules do that: opencryptoki 3.8 (Debian 12) sets CKF_CLOCK_ON_TOKEN and
//! writes `"12:35:24"` where `utcTime` must be `YYYYMMDDhhmmss00`. Kyso never uses the clock,
//! so when the parse fails (and the call itself did not), the structure is read again
//! straight from the module's function list and only the fields above are taken.

use cryptoki::context::Pkcs11;
use cryptoki::error::Error as CkError;
use cryptoki::slot::Slot;
use cryptoki_sys::{
    CK_FLAGS, CK_FUNCTION_LIST, CK_RV, CK_SLOT_ID, CK_TOKEN_INFO, CKF_USER_PIN_COUNT_LOW,
    CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED, CKR_OK,
};

/// The token facts Kyso uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts {
    pub label: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    flags: CK_FLAGS,
}

impl TokenFacts {
    /// CKF_USER_PIN_COUNT_LOW: a wrong PIN since the last successful login.
    pub fn user_pin_count_low(&self) -> bool {
        self.flags & CKF_USER_PIN_COUNT_LOW != 0
    }

    /// CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks the token.
    pub fn user_pin_final_try(&self) -> bool {
        self.flags & CKF_USER_PIN_FINAL_TRY != 0
    }

    /// CKF_USER_PIN_LOCKED.
    pub fn user_pin_locked(&self) -> bool {
        self.flags & CKF_USER_PIN_LOCKED != 0
    }

    fn from_raw(info: &CK_TOKEN_INFO) -> TokenFacts {
        TokenFacts {
            label: padded_text(&info.label),
            manufacturer: padded_text(&info.manufacturerID),
            model: padded_text(&info.model),
            serial: padded_text(&info.serialNumber),
            flags: info.flags,
        }
    }
}

/// A blank-padded CK_UTF8CHAR field as text: padding (spaces, and the NULs some modules use)
/// removed, invalid UTF-8 replaced.
pub fn padded_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches([' ', '\0'])
        .trim()
        .to_string()
}

/// Reads the token facts of `slot` in the module loaded from `path` as `ctx`.
pub fn read(ctx: &Pkcs11, path: &str, slot: Slot) -> Result<TokenFacts, CkError> {
    match ctx.get_token_info(slot) {
        Ok(info) => Ok(TokenFacts {
            label: info.label().trim().to_string(),
            manufacturer: info.manufacturer_id().trim().to_string(),
            model: info.model().trim().to_string(),
            serial: info.serial_number().trim().to_string(),
            flags: raw_flags(&info),
        }),
        // The module answered with an error (no token, removed…): that is the answer.
        Err(e @ CkError::Pkcs11(..)) => Err(e),
        // The module answered, and `cryptoki` could not parse a field we do not use.
        Err(parse) => read_raw(path, slot).ok_or(parse),
    }
}

/// The three PIN flags of a parsed TokenInfo, as CK_FLAGS bits.
fn raw_flags(info: &cryptoki::slot::TokenInfo) -> CK_FLAGS {
    let mut flags: CK_FLAGS = 0;
    for (set, bit) in [
        (info.user_pin_count_low(), CKF_USER_PIN_COUNT_LOW),
        (info.user_pin_final_try(), CKF_USER_PIN_FINAL_TRY),
        (info.user_pin_locked(), CKF_USER_PIN_LOCKED),
    ] {
        if set {
            flags |= bit;
        }
    }
    flags
}

/// C_GetTokenInfo through the module's own function list (C_GetFunctionList, §5.2). The
/// module is already loaded and initialised by `cryptoki`: opening it again only takes a
/// reference to the same library, released when this returns.
fn read_raw(path: &str, slot: Slot) -> Option<TokenFacts> {
    type GetFunctionList = unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV;
    // SAFETY: the library is the PKCS#11 module cryptoki loaded from the same path, so its
    // initialisers already ran; C_GetFunctionList and C_GetTokenInfo have the PKCS#11 ABI
    // declared by cryptoki-sys, the list pointer is checked for null, and the CK_TOKEN_INFO
    // buffer is ours, sized by the same bindings.
    unsafe {
        let library = libloading::Library::new(path).ok()?;
        let get_list: libloading::Symbol<GetFunctionList> =
            library.get(b"C_GetFunctionList\0").ok()?;
        let mut list: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
        if get_list(&mut list) != CKR_OK || list.is_null() {
            return None;
        }
        let get_token_info = (*list).C_GetTokenInfo?;
        let mut info = CK_TOKEN_INFO::default();
        if get_token_info(CK_SLOT_ID::from(slot), &mut info) != CKR_OK {
            return None;
        }
        Some(TokenFacts::from_raw(&info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_with_spaces_or_nuls_is_removed() {
        assert_eq!(padded_text(b"kyso                            "), "kyso");
        assert_eq!(
            padded_text(b"Kyso test soft token\0\0\0\0\0\0"),
            "Kyso test soft token"
        );
        assert_eq!(padded_text("Token Hà Nội   ".as_bytes()), "Token Hà Nội");
    }

    #[test]
    fn pin_flags_are_read_from_the_raw_structure() {
        let mut info = CK_TOKEN_INFO::default();
        info.label[..4].copy_from_slice(b"kyso");
        info.label[4..].fill(b' ');
        info.flags = CKF_USER_PIN_FINAL_TRY;
        let facts = TokenFacts::from_raw(&info);
        assert_eq!(facts.label, "kyso");
        assert!(facts.user_pin_final_try());
        assert!(!facts.user_pin_count_low() && !facts.user_pin_locked());
    }
}
