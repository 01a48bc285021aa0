//! A PDF's user or owner password (ISO 32000-2 §7.6.4) as the engine holds it: zeroized when
//! dropped, never shown by `Debug` (docs/architecture.md principle 7: options structs are
//! printed in diagnostics).

use zeroize::Zeroizing;

/// A password; `Debug` prints `<redacted>`.
#[derive(Clone, Default)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(text: impl Into<String>) -> Password {
        Password(Zeroizing::new(text.into()))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl From<Zeroizing<String>> for Password {
    fn from(text: Zeroizing<String>) -> Password {
        Password(text)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::Password;

    #[test]
    fn debug_never_shows_the_password() {
        let options = crate::SignOptions {
            pdf_password: Some(Password::new("mật-khẩu-42")),
            ..Default::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("mật-khẩu-42"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert_eq!(
            options.pdf_password.as_ref().map(Password::as_str),
            Some("mật-khẩu-42")
        );
    }
}
