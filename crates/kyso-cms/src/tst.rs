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
use crate::ber::{self, Tlv, universal};
use crate::certificate::integer_magnitude;
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
    /// genTime, Unix seconds (fractions dropped).
    pub gen_time: i64,
    /// accuracy, when given.
    pub accuracy: Option<Accuracy>,
    /// nonce: the INTEGER's magnitude (leading zero octets stripped), when given.
    pub nonce: Option<Vec<u8>>,
}

/// How far genTime may be from the true time (RFC 3161 §2.4.2).
///
/// ```text
/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL,
///     millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }
/// ```
/// (the module has IMPLICIT TAGS; absent fields are 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accuracy {
    /// seconds
    pub seconds: u64,
    /// millis
    pub millis: u64,
    /// micros
    pub micros: u64,
}

impl Accuracy {
    /// The accuracy in whole seconds, rounded up (saturating).
    pub fn ceil_seconds(&self) -> u64 {
        let sub = self
            .millis
            .saturating_mul(1_000)
            .saturating_add(self.micros);
        self.seconds.saturating_add(sub.div_ceil(1_000_000))
    }

    fn parse(seq: &Tlv<'_>) -> Result<Self, CmsError> {
        let mut out = Accuracy::default();
        let mut r = seq.children();
        if let Some(seconds) = r.optional_universal(universal::INTEGER)? {
            out.seconds = seconds.uint()?;
        }
        if let Some(millis) = r.optional_context(0)? {
            out.millis = implicit_uint(&millis, "Accuracy.millis")?;
        }
        if let Some(micros) = r.optional_context(1)? {
            out.micros = implicit_uint(&micros, "Accuracy.micros")?;
        }
        Ok(out)
    }
}

/// A non-negative `[n] IMPLICIT INTEGER` that fits in 64 bits; the explicit form some
/// TSAs wrote by mistake (`[n]` constructed around an INTEGER) is accepted too.
fn implicit_uint(tlv: &Tlv<'_>, what: &str) -> Result<u64, CmsError> {
    if tlv.tag.constructed {
        return tlv.children().read(what)?.uint();
    }
    let bytes = tlv.contents;
    if bytes.is_empty() || bytes[0] & 0x80 != 0 {
        return Err(CmsError::malformed(format!("{what}: empty or negative")));
    }
    let significant = integer_magnitude(bytes);
    if significant.len() > 8 {
        return Err(CmsError::malformed(format!("{what}: too large")));
    }
    Ok(significant
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
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
        let accuracy = match r.optional_universal(universal::SEQUENCE)? {
            Some(seq) => Some(Accuracy::parse(&seq)?),
            None => None,
        };
        let _ordering = r.optional_universal(universal::BOOLEAN)?;
        let nonce = match r.optional_universal(universal::INTEGER)? {
            Some(n) => Some(integer_magnitude(n.integer_bytes()?).to_vec()),
            None => None,
        };
        // tsa [0] and extensions [1] are not interpreted.
        Ok(TstInfo {
            policy,
            imprint_algorithm,
            imprint: hashed,
            serial_hex: serial.iter().map(|b| format!("{b:02X}")).collect(),
            gen_time,
            accuracy,
            nonce,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    fn tst_info(tail: &[&[u8]]) -> Vec<u8> {
        let imprint = der::sequence(&[
            &der::sequence(&[&der::oid(&crate::oid::SHA256)]),
            &der::octet_string(&[7; 32]),
        ]);
        let mut parts: Vec<&[u8]> = Vec::new();
        let version = der::uint(1);
        let policy = der::tlv(6, &[0x2A, 0x03]);
        let serial = der::uint(0x1234);
        let gen_time = der::tlv(0x18, b"20260101000000.5Z");
        parts.extend([&version[..], &policy, &imprint, &serial, &gen_time]);
        parts.extend_from_slice(tail);
        der::sequence(&parts)
    }

    #[test]
    fn reads_accuracy_ordering_and_nonce() {
        // accuracy { seconds 1, millis [0] 500 }, ordering FALSE, nonce 0x0080FF, tsa [0].
        let accuracy = der::sequence(&[&der::uint(1), &der::tlv(0x80, &[0x01, 0xF4])]);
        let ordering = der::tlv(0x01, &[0x00]);
        let nonce = der::tlv(0x02, &[0x00, 0x80, 0xFF]);
        let tsa = der::context(0, &der::context(4, &der::sequence(&[])));
        let t = TstInfo::from_der(&tst_info(&[&accuracy, &ordering, &nonce, &tsa])).unwrap();
        assert_eq!(t.policy, "1.2.3");
        assert_eq!(t.serial_hex, "1234");
        assert_eq!(t.gen_time, 1_767_225_600);
        assert_eq!(
            t.accuracy,
            Some(Accuracy {
                seconds: 1,
                millis: 500,
                micros: 0
            })
        );
        assert_eq!(t.accuracy.unwrap().ceil_seconds(), 2);
        assert_eq!(t.nonce.as_deref(), Some(&[0x80, 0xFF][..]));

        // Only a nonce; then nothing optional at all.
        let t = TstInfo::from_der(&tst_info(&[&der::uint(5)])).unwrap();
        assert_eq!((t.accuracy, t.nonce), (None, Some(vec![5])));
        let t = TstInfo::from_der(&tst_info(&[])).unwrap();
        assert_eq!((t.accuracy, t.nonce), (None, None));
        // Explicitly tagged micros (a known TSA bug) is read too.
        let accuracy = der::sequence(&[&der::context(1, &der::uint(3))]);
        let t = TstInfo::from_der(&tst_info(&[&accuracy])).unwrap();
        assert_eq!(t.accuracy.unwrap().micros, 3);
        assert_eq!(t.accuracy.unwrap().ceil_seconds(), 1);
        // A negative millis is an error.
        let accuracy = der::sequence(&[&der::tlv(0x80, &[0xFF])]);
        assert!(TstInfo::from_der(&tst_info(&[&accuracy])).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        for input in [&b""[..], b"\x30\x00", b"\x30\x03\x02\x01\x01"] {
            assert!(TstInfo::from_der(input).is_err());
        }
    }
}
