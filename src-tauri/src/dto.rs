//! Data that crosses the IPC boundary between the webview and Rust.
//!
//! Every type here derives `ts_rs::TS`; the TypeScript declarations in
//! `ui/src/lib/bindings/` are generated from them by the `export_bindings` test
//! (`cargo test -p kyso-desktop export_bindings`), never written by hand.
//!
//! Secrets: [`SignRequest::password`] is the only secret that ever crosses, and
//! only inward. It is held in a zeroizing string, has no `Serialize` impl (so it
//! cannot be sent back), and `Debug` redacts it. Private keys never cross.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

/// What the header shows: the engine's and the app's versions.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
    /// `kyso_core::VERSION`.
    pub engine_version: String,
    /// The desktop shell's own version.
    pub app_version: String,
}

/// Ask for the default output path of an input PDF.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SuggestOutputRequest {
    pub input: String,
}

/// The default output path: `<stem>.signed.pdf` next to the input.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SuggestOutputResponse {
    pub output: String,
}

/// Sign one PDF with a PKCS#12 file.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// The PDF to sign (never modified).
    pub input: String,
    /// Where the signed copy goes.
    pub output: String,
    /// The .p12 / .pfx file holding the signer's key and certificate.
    pub p12_path: String,
    /// Password of the .p12 file. Crosses once, inward; zeroized on drop.
    #[ts(type = "string")]
    pub password: Zeroizing<String>,
    /// Optional /Reason of the signature.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    /// Optional /Location of the signature.
    #[serde(default)]
    #[ts(optional)]
    pub location: Option<String>,
}

impl std::fmt::Debug for SignRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignRequest")
            .field("input", &self.input)
            .field("output", &self.output)
            .field("p12_path", &self.p12_path)
            .field("password", &"<redacted>")
            .field("reason", &self.reason)
            .field("location", &self.location)
            .finish()
    }
}

/// What one signature produced (mirrors `kyso_core::SignOutcome`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignResult {
    pub input: String,
    pub output: String,
    pub field_name: String,
    pub signer_subject: String,
    pub output_sha256_hex: String,
    /// Size of the signed file. A JS number is exact up to 2^53 bytes (8 PiB).
    #[ts(type = "number")]
    pub bytes_written: u64,
}

impl From<kyso_core::SignOutcome> for SignResult {
    fn from(o: kyso_core::SignOutcome) -> Self {
        Self {
            input: o.input.display().to_string(),
            output: o.output.display().to_string(),
            field_name: o.field_name,
            signer_subject: o.signer_subject,
            output_sha256_hex: o.output_sha256_hex,
            bytes_written: o.bytes_written,
        }
    }
}

/// An error as the UI sees it: a stable code (the UI maps it to Vietnamese and
/// English text) and the engine's English message (names the file and cause).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
}

impl ErrorDto {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<kyso_core::Error> for ErrorDto {
    fn from(e: kyso_core::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<kyso_keys::KeyError> for ErrorDto {
    fn from(e: kyso_keys::KeyError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// Error codes raised by the shell itself (not by the engine).
pub mod codes {
    /// A required field (input, output, .p12) was empty.
    pub const MISSING_FIELD: &str = "DESKTOP_MISSING_FIELD";
    /// The background task running the engine died (a bug).
    pub const INTERNAL: &str = "DESKTOP_INTERNAL";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_request_debug_never_shows_the_password() {
        let req: SignRequest = serde_json::from_value(serde_json::json!({
            "input": "a.pdf", "output": "a.signed.pdf", "p12Path": "me.p12",
            "password": "hunter2-bí-mật"
        }))
        .expect("valid request");
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(req.password.as_str(), "hunter2-bí-mật");
        assert_eq!(req.reason, None);
    }
}
