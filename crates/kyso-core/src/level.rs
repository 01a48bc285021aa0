//! The PAdES baseline levels (ETSI EN 319 142-1 §6): what a signed document proves, and for
//! how long.
//!
//! - **B-B**: a signature.
//! - **B-T**: and a trusted time, from a signature timestamp (an unsigned attribute of the
//!   CMS) or a document timestamp added after it (§6.3, `/SubFilter /ETSI.RFC3161`).
//! - **B-LT**: and the validation data (certificates, CRLs, OCSP responses) in the
//!   document security store, so that it verifies once the CA's servers are gone.
//! - **B-LTA**: and a document timestamp over that data, renewed before its certificate
//!   expires.

use serde::{Deserialize, Deserializer, Serialize};

use std::path::Path;

use crate::verify::report::VerifyReport;
use crate::verify::{VerifyError, VerifyOptions, verify_file};

/// A PAdES baseline level; they are ordered, B-B lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    #[serde(rename = "B-B")]
    Bb,
    #[serde(rename = "B-T")]
    Bt,
    #[serde(rename = "B-LT")]
    Blt,
    #[serde(rename = "B-LTA")]
    Blta,
}

impl Level {
    /// The level's name: "B-B", "B-T", "B-LT", "B-LTA".
    pub fn name(self) -> &'static str {
        match self {
            Level::Bb => "B-B",
            Level::Bt => "B-T",
            Level::Blt => "B-LT",
            Level::Blta => "B-LTA",
        }
    }

    /// Whether the level asks for a trusted time (B-T and above).
    pub fn needs_timestamp(self) -> bool {
        self >= Level::Bt
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    /// "b-t" or "B-T" (also without the "b-": "t", "lta").
    fn from_str(s: &str) -> Result<Level, String> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.strip_prefix("b-").unwrap_or(&lower) {
            "b" => Ok(Level::Bb),
            "t" => Ok(Level::Bt),
            "lt" => Ok(Level::Blt),
            "lta" => Ok(Level::Blta),
            _ => Err(format!(
                "\"{}\" is not a level: b-b, b-t, b-lt or b-lta",
                s.trim()
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The lowest level of a document's signatures (its document timestamps aside), as the
/// verifier names them; None when it holds no PAdES signature.
pub fn document_level(report: &VerifyReport) -> Option<Level> {
    report
        .signatures
        .iter()
        .filter(|s| s.kind == "signature")
        .filter_map(|s| s.level)
        .map(|name| name.parse().unwrap_or(Level::Bb))
        .min()
}

/// The level of the PDF at `path`, read offline; None when it holds no PAdES signature.
pub fn file_level(path: &Path) -> Result<Option<Level>, VerifyError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(document_level(&verify_file(
        path,
        &VerifyOptions::offline(now),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_in_either_case_and_order() {
        assert_eq!("b-lta".parse::<Level>(), Ok(Level::Blta));
        assert_eq!("B-T".parse::<Level>(), Ok(Level::Bt));
        assert_eq!("lt".parse::<Level>(), Ok(Level::Blt));
        assert!("b-x".parse::<Level>().is_err());
        assert!(Level::Bb < Level::Bt && Level::Blt < Level::Blta);
        assert!(!Level::Bb.needs_timestamp() && Level::Bt.needs_timestamp());
    }
}
