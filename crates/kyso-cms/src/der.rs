//! A small strict DER writer (ITU-T X.690 §10): definite minimal lengths, SET OF sorted.
//!
//! Only what CMS SignedData needs: low tag numbers, concatenation of already-encoded parts.
//! Everything here is infallible; callers build values from parts they already validated.

use crate::oid::Oid;

/// Tag bytes used when writing (low-tag-number form only).
pub mod tag {
    /// INTEGER
    pub const INTEGER: u8 = 0x02;
    /// OCTET STRING
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER
    pub const OID: u8 = 0x06;
    /// SEQUENCE
    pub const SEQUENCE: u8 = 0x30;
    /// SET
    pub const SET: u8 = 0x31;
    /// `[n]` constructed, context-specific: `CONTEXT_CONSTRUCTED | n`.
    pub const CONTEXT_CONSTRUCTED: u8 = 0xA0;
}

/// Appends a definite length in the minimal form (X.690 §10.1).
pub fn write_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = &bytes[skip..];
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// One element: tag, minimal length, contents.
pub fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 6);
    out.push(tag);
    write_length(contents.len(), &mut out);
    out.extend_from_slice(contents);
    out
}

/// A SEQUENCE of already-encoded parts, in order.
pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

/// The contents of a DER SET OF: the encodings sorted as octet strings (X.690 §11.6).
pub fn sorted_set_contents(elements: &[Vec<u8>]) -> Vec<u8> {
    let mut sorted: Vec<&Vec<u8>> = elements.iter().collect();
    sorted.sort();
    sorted.into_iter().flatten().copied().collect()
}

/// A DER SET OF (tag 0x31), elements sorted (X.690 §11.6).
pub fn set_of(elements: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag::SET, &sorted_set_contents(elements))
}

/// An OBJECT IDENTIFIER.
pub fn oid(oid: &Oid) -> Vec<u8> {
    tlv(tag::OID, oid.der())
}

/// An OCTET STRING.
pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(tag::OCTET_STRING, bytes)
}

/// NULL.
pub fn null() -> Vec<u8> {
    vec![tag::NULL, 0x00]
}

/// A non-negative INTEGER in minimal two's complement form (X.690 §8.3.2).
pub fn uint(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let mut contents = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        contents.push(0);
    }
    contents.extend_from_slice(&bytes[skip..]);
    tlv(tag::INTEGER, &contents)
}

/// `[n] EXPLICIT` (or `[n] IMPLICIT` of a constructed type) around `contents`.
pub fn context(n: u8, contents: &[u8]) -> Vec<u8> {
    tlv(tag::CONTEXT_CONSTRUCTED | (n & 0x1F), contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        assert_eq!(tlv(0x04, &[]), vec![0x04, 0x00]);
        assert_eq!(&tlv(0x04, &[0; 127])[..2], &[0x04, 0x7F]);
        assert_eq!(&tlv(0x04, &[0; 128])[..3], &[0x04, 0x81, 0x80]);
        assert_eq!(&tlv(0x04, &[0; 256])[..4], &[0x04, 0x82, 0x01, 0x00]);
        assert_eq!(
            &tlv(0x04, &[0; 70000])[..5],
            &[0x04, 0x83, 0x01, 0x11, 0x70]
        );
    }

    #[test]
    fn integers_are_minimal() {
        assert_eq!(uint(0), vec![0x02, 0x01, 0x00]);
        assert_eq!(uint(1), vec![0x02, 0x01, 0x01]);
        assert_eq!(uint(127), vec![0x02, 0x01, 0x7F]);
        assert_eq!(uint(128), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(256), vec![0x02, 0x02, 0x01, 0x00]);
        assert_eq!(uint(u64::MAX)[..3], [0x02, 0x09, 0x00]);
    }

    #[test]
    fn set_of_is_sorted() {
        let a = vec![0x30, 0x03, 0x06, 0x01, 0x02];
        let b = vec![0x30, 0x02, 0x05, 0x00];
        let c = vec![0x30, 0x03, 0x06, 0x01, 0x01];
        let set = set_of(&[a.clone(), b.clone(), c.clone()]);
        assert_eq!(set, [vec![0x31, 14], b, c, a].concat());
    }
}
