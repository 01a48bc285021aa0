//! RFC 3161 time-stamp tokens (§2.4.2): a SignedData whose eContent is a TSTInfo.
//!
//! ```text
//! TSTInfo ::= SEQUENCE { version INTEGER, policy TSAPolicyId, messageImprint MessageImprint,
//!     serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//!     ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
//!     tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
//! MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
//! ```

use crate::algorithm::AlgorithmIdentifier;
use crate::ber::{self, universal};
use crate::error::CmsError;
use crate::time::parse_time;

/// id-ct-TSTInfo (RFC 3161 §2.4.2)
pub const ID_CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";

/// A TSTInfo as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TstInfo {
    /// policy, dotted OID.
    pub policy: String,
    /// messageImprint.hashAlgorithm
    pub imprint_algorithm: AlgorithmIdentifier,
    /// messageImprint.hashedMessage
    pub imprint: Vec<u8>,
    /// serialNumber, uppercase hex.
    pub serial_hex: String,
    /// genTime, Unix seconds.
    pub gen_time: i64,
}

impl TstInfo {
    /// Parses the DER TSTInfo (the token's eContent).
    pub fn from_der(der: &[u8]) -> Result<Self, CmsError> {
        let (seq, _) = ber::parse_tlv(der)?;
        let seq = seq.expect_universal(universal::SEQUENCE, "TSTInfo")?;
        let mut r = seq.children();
        let _version = r.read("TSTInfo.version")?.uint()?;
        let policy = r.read("TSTInfo.policy")?.oid()?;
        let imprint = r.expect(universal::SEQUENCE, "TSTInfo.messageImprint")?;
        let mut m = imprint.children();
        let imprint_algorithm = AlgorithmIdentifier::parse(&m.read("hashAlgorithm")?)?;
        let hashed = m
            .expect(universal::OCTET_STRING, "hashedMessage")?
            .octets()?
            .into_owned();
        let serial = r.read("TSTInfo.serialNumber")?.integer_bytes()?;
        let gen_time = parse_time(&r.read("TSTInfo.genTime")?)?;
        Ok(TstInfo {
            policy,
            imprint_algorithm,
            imprint: hashed,
            serial_hex: serial.iter().map(|b| format!("{b:02X}")).collect(),
            gen_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        for input in [&b""[..], b"\x30\x00", b"\x30\x03\x02\x01\x01"] {
            assert!(TstInfo::from_der(input).is_err());
        }
    }
}
