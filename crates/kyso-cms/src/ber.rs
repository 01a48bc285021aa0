//! A lenient BER reader (ITU-T X.690 §8) for everything that comes from others: certificates,
//! CMS blobs from PDFs, TSA tokens.
//!
//! It accepts definite and indefinite lengths (X.690 §8.1.3.6) and constructed strings
//! (X.690 §8.7.3), never re-encodes anything, and hands out the raw bytes of every element
//! ([`Tlv::raw`]) so that callers can hash and verify exactly what they were given.
//! Nesting depth is bounded by [`MAX_DEPTH`] and every length is checked against the input,
//! so no input can make it panic or recurse without bound.

use std::borrow::Cow;

use crate::error::CmsError;

/// Deepest nesting accepted. Real CMS/X.509 structures stay under 20 levels.
pub const MAX_DEPTH: usize = 48;

/// Universal tag numbers used in this crate (X.680 §8.4).
pub mod universal {
    /// BOOLEAN
    pub const BOOLEAN: u32 = 1;
    /// INTEGER
    pub const INTEGER: u32 = 2;
    /// BIT STRING
    pub const BIT_STRING: u32 = 3;
    /// OCTET STRING
    pub const OCTET_STRING: u32 = 4;
    /// NULL
    pub const NULL: u32 = 5;
    /// OBJECT IDENTIFIER
    pub const OID: u32 = 6;
    /// ENUMERATED
    pub const ENUMERATED: u32 = 10;
    /// UTF8String
    pub const UTF8_STRING: u32 = 12;
    /// SEQUENCE, SEQUENCE OF
    pub const SEQUENCE: u32 = 16;
    /// SET, SET OF
    pub const SET: u32 = 17;
    /// NumericString
    pub const NUMERIC_STRING: u32 = 18;
    /// PrintableString
    pub const PRINTABLE_STRING: u32 = 19;
    /// TeletexString (T61String)
    pub const TELETEX_STRING: u32 = 20;
    /// IA5String
    pub const IA5_STRING: u32 = 22;
    /// UTCTime
    pub const UTC_TIME: u32 = 23;
    /// GeneralizedTime
    pub const GENERALIZED_TIME: u32 = 24;
    /// VisibleString
    pub const VISIBLE_STRING: u32 = 26;
    /// UniversalString (UCS-4)
    pub const UNIVERSAL_STRING: u32 = 28;
    /// BMPString (UCS-2)
    pub const BMP_STRING: u32 = 30;
}

/// Tag class (X.690 §8.1.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Universal
    Universal,
    /// Application
    Application,
    /// Context-specific (`[n]`)
    ContextSpecific,
    /// Private
    Private,
}

/// An identifier octet(s) decoded (X.690 §8.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    /// Class bits.
    pub class: Class,
    /// Constructed (true) or primitive encoding.
    pub constructed: bool,
    /// Tag number.
    pub number: u32,
}

/// One element: identifier, length and contents.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    /// The identifier.
    pub tag: Tag,
    /// The contents octets. For an indefinite length, the bytes between the header and the
    /// end-of-contents octets.
    pub contents: &'a [u8],
    /// The whole encoding as it came: header, contents and (if indefinite) end-of-contents.
    pub raw: &'a [u8],
    /// Whether the length was indefinite (X.690 §8.1.3.6).
    pub indefinite: bool,
    depth: usize,
}

/// A BIT STRING's contents (X.690 §8.6).
#[derive(Clone, Copy, Debug)]
pub struct BitString<'a> {
    /// Number of unused bits in the last octet.
    pub unused_bits: u8,
    /// The octets holding the bits, first bit = most significant bit of the first octet.
    pub bytes: &'a [u8],
}

impl BitString<'_> {
    /// Bit `index` (0 = first named bit), false when beyond the encoded bits.
    pub fn bit(&self, index: usize) -> bool {
        match self.bytes.get(index / 8) {
            Some(byte) => byte & (0x80 >> (index % 8)) != 0,
            None => false,
        }
    }
}

fn err(what: impl Into<String>) -> CmsError {
    CmsError::Malformed(what.into())
}

/// Parses one element at the start of `input`; returns it and the bytes after it.
pub fn parse_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), CmsError> {
    read_at(input, 0)
}

fn read_tag(input: &[u8]) -> Result<(Tag, usize), CmsError> {
    let first = *input.first().ok_or_else(|| err("truncated: missing tag"))?;
    let class = match first >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::ContextSpecific,
        _ => Class::Private,
    };
    let constructed = first & 0x20 != 0;
    let mut number = u32::from(first & 0x1F);
    let mut pos = 1;
    if number == 0x1F {
        // High-tag-number form (X.690 §8.1.2.4): base-128, most significant group first.
        number = 0;
        loop {
            let b = *input
                .get(pos)
                .ok_or_else(|| err("truncated: high tag number"))?;
            pos += 1;
            if number > (u32::MAX >> 7) || pos > 6 {
                return Err(err("tag number too large"));
            }
            number = (number << 7) | u32::from(b & 0x7F);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((
        Tag {
            class,
            constructed,
            number,
        },
        pos,
    ))
}

/// Returns (length or None for indefinite, bytes used).
fn read_length(input: &[u8]) -> Result<(Option<usize>, usize), CmsError> {
    let first = *input
        .first()
        .ok_or_else(|| err("truncated: missing length"))?;
    if first < 0x80 {
        return Ok((Some(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Ok((None, 1));
    }
    let count = usize::from(first & 0x7F);
    if count > 8 {
        return Err(err("length field too long"));
    }
    let bytes = input
        .get(1..1 + count)
        .ok_or_else(|| err("truncated: length octets"))?;
    let mut len: u64 = 0;
    for &b in bytes {
        len = (len << 8) | u64::from(b);
    }
    let len = usize::try_from(len).map_err(|_| err("length too large"))?;
    Ok((Some(len), 1 + count))
}

fn read_at(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), CmsError> {
    if depth > MAX_DEPTH {
        return Err(err("nesting too deep"));
    }
    let (tag, tag_len) = read_tag(input)?;
    let after_tag = input.get(tag_len..).unwrap_or_default();
    let (length, len_len) = read_length(after_tag)?;
    let header = tag_len + len_len;
    match length {
        Some(len) => {
            let end = header
                .checked_add(len)
                .ok_or_else(|| err("length too large"))?;
            let contents = input
                .get(header..end)
                .ok_or_else(|| err("truncated: length exceeds the data"))?;
            let raw = input.get(..end).unwrap_or_default();
            let rest = input.get(end..).unwrap_or_default();
            Ok((
                Tlv {
                    tag,
                    contents,
                    raw,
                    indefinite: false,
                    depth,
                },
                rest,
            ))
        }
        None => {
            if !tag.constructed {
                return Err(err("indefinite length on a primitive element"));
            }
            let mut cursor = header;
            loop {
                let rest = input.get(cursor..).unwrap_or_default();
                if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                    break;
                }
                if rest.is_empty() {
                    return Err(err("truncated: missing end-of-contents"));
                }
                let (child, _) = read_at(rest, depth + 1)?;
                cursor += child.raw.len();
            }
            let contents = input.get(header..cursor).unwrap_or_default();
            let raw = input.get(..cursor + 2).unwrap_or_default();
            let rest = input.get(cursor + 2..).unwrap_or_default();
            Ok((
                Tlv {
                    tag,
                    contents,
                    raw,
                    indefinite: true,
                    depth,
                },
                rest,
            ))
        }
    }
}

impl<'a> Tlv<'a> {
    /// Universal class with this tag number (either encoding form).
    pub fn is_universal(&self, number: u32) -> bool {
        self.tag.class == Class::Universal && self.tag.number == number
    }

    /// Context-specific `[number]` (either encoding form).
    pub fn is_context(&self, number: u32) -> bool {
        self.tag.class == Class::ContextSpecific && self.tag.number == number
    }

    /// Fails unless the element is universal `number`; `what` names it in the error.
    pub fn expect_universal(self, number: u32, what: &str) -> Result<Self, CmsError> {
        if self.is_universal(number) {
            Ok(self)
        } else {
            Err(err(format!("{what}: unexpected tag {:?}", self.tag)))
        }
    }

    /// A reader over the children of a constructed element.
    pub fn children(&self) -> Reader<'a> {
        Reader {
            rest: if self.tag.constructed {
                self.contents
            } else {
                &[]
            },
            depth: self.depth + 1,
        }
    }

    /// The octets of an OCTET STRING (or any string type), joining the segments of a
    /// constructed encoding (X.690 §8.7.3).
    pub fn octets(&self) -> Result<Cow<'a, [u8]>, CmsError> {
        if !self.tag.constructed {
            return Ok(Cow::Borrowed(self.contents));
        }
        let mut out = Vec::new();
        let mut reader = self.children();
        while let Some(segment) = reader.next_tlv()? {
            // Segments are OCTET STRINGs (X.690 §8.7.3.2, §8.23.6), or the outer universal
            // type itself for BIT STRING-like encodings.
            let same_type =
                self.tag.class == Class::Universal && segment.tag.number == self.tag.number;
            if segment.tag.class != Class::Universal
                || !(segment.tag.number == universal::OCTET_STRING || same_type)
            {
                return Err(err("constructed string holds a segment of another type"));
            }
            out.extend_from_slice(&segment.octets()?);
        }
        Ok(Cow::Owned(out))
    }

    /// Contents of a primitive INTEGER (two's complement, big-endian, never empty).
    pub fn integer_bytes(&self) -> Result<&'a [u8], CmsError> {
        if !self.is_universal(universal::INTEGER) || self.tag.constructed {
            return Err(err(format!("expected INTEGER, found {:?}", self.tag)));
        }
        if self.contents.is_empty() {
            return Err(err("empty INTEGER"));
        }
        Ok(self.contents)
    }

    /// A non-negative INTEGER that fits in 64 bits (versions, salt lengths).
    pub fn uint(&self) -> Result<u64, CmsError> {
        let bytes = self.integer_bytes()?;
        if bytes[0] & 0x80 != 0 {
            return Err(err("negative INTEGER where a count was expected"));
        }
        let significant: &[u8] = match bytes.iter().position(|&b| b != 0) {
            Some(start) => &bytes[start..],
            None => &[],
        };
        if significant.len() > 8 {
            return Err(err("INTEGER too large"));
        }
        Ok(significant
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A non-negative ENUMERATED that fits in 64 bits (X.690 §8.4: encoded as an INTEGER).
    pub fn enumerated(&self) -> Result<u64, CmsError> {
        if !self.is_universal(universal::ENUMERATED) || self.tag.constructed {
            return Err(err(format!("expected ENUMERATED, found {:?}", self.tag)));
        }
        let bytes = self.contents;
        if bytes.is_empty() || bytes[0] & 0x80 != 0 {
            return Err(err("empty or negative ENUMERATED"));
        }
        let significant: &[u8] = match bytes.iter().position(|&b| b != 0) {
            Some(start) => &bytes[start..],
            None => &[],
        };
        if significant.len() > 8 {
            return Err(err("ENUMERATED too large"));
        }
        Ok(significant
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// An OBJECT IDENTIFIER in dotted form (X.690 §8.19).
    pub fn oid(&self) -> Result<String, CmsError> {
        if !self.is_universal(universal::OID) || self.tag.constructed {
            return Err(err(format!(
                "expected OBJECT IDENTIFIER, found {:?}",
                self.tag
            )));
        }
        decode_oid(self.contents)
    }

    /// A primitive BIT STRING.
    pub fn bit_string(&self) -> Result<BitString<'a>, CmsError> {
        if !self.is_universal(universal::BIT_STRING) || self.tag.constructed {
            return Err(err("expected a primitive BIT STRING"));
        }
        let (&unused_bits, bytes) = self
            .contents
            .split_first()
            .ok_or_else(|| err("empty BIT STRING"))?;
        if unused_bits > 7 {
            return Err(err("BIT STRING with more than 7 unused bits"));
        }
        Ok(BitString { unused_bits, bytes })
    }

    /// A BOOLEAN (BER: any non-zero octet is TRUE).
    pub fn boolean(&self) -> Result<bool, CmsError> {
        if !self.is_universal(universal::BOOLEAN) || self.contents.len() != 1 {
            return Err(err("expected BOOLEAN"));
        }
        Ok(self.contents[0] != 0)
    }
}

/// Decodes the contents octets of an OBJECT IDENTIFIER into dotted form.
pub fn decode_oid(contents: &[u8]) -> Result<String, CmsError> {
    if contents.is_empty() {
        return Err(err("empty OBJECT IDENTIFIER"));
    }
    if contents[contents.len() - 1] & 0x80 != 0 {
        return Err(err("truncated OBJECT IDENTIFIER"));
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in contents {
        if value > (u64::MAX >> 7) {
            return Err(err("OBJECT IDENTIFIER arc too large"));
        }
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let mut out = String::new();
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    out.push_str(&format!("{a}.{b}"));
    for arc in &arcs[1..] {
        out.push_str(&format!(".{arc}"));
    }
    Ok(out)
}

/// Sequential reader over a run of elements (the contents of a constructed element).
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader over top-level elements of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader {
            rest: input,
            depth: 0,
        }
    }

    /// True when every element has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The next element, or None at the end.
    pub fn next_tlv(&mut self) -> Result<Option<Tlv<'a>>, CmsError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (tlv, rest) = read_at(self.rest, self.depth)?;
        self.rest = rest;
        Ok(Some(tlv))
    }

    /// The next element; `what` names it in the error when there is none.
    pub fn read(&mut self, what: &str) -> Result<Tlv<'a>, CmsError> {
        self.next_tlv()?
            .ok_or_else(|| err(format!("{what}: missing")))
    }

    /// The next element, which must be universal `number`.
    pub fn expect(&mut self, number: u32, what: &str) -> Result<Tlv<'a>, CmsError> {
        self.read(what)?.expect_universal(number, what)
    }

    /// The tag of the next element without consuming it.
    pub fn peek_tag(&self) -> Result<Option<Tag>, CmsError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        Ok(Some(read_tag(self.rest)?.0))
    }

    /// The next element if it is context-specific `[number]`.
    pub fn optional_context(&mut self, number: u32) -> Result<Option<Tlv<'a>>, CmsError> {
        match self.peek_tag()? {
            Some(tag) if tag.class == Class::ContextSpecific && tag.number == number => {
                self.next_tlv()
            }
            _ => Ok(None),
        }
    }

    /// The next element if it is universal `number`.
    pub fn optional_universal(&mut self, number: u32) -> Result<Option<Tlv<'a>>, CmsError> {
        match self.peek_tag()? {
            Some(tag) if tag.class == Class::Universal && tag.number == number => self.next_tlv(),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_long_lengths() {
        let mut data = vec![0x04, 0x81, 0x80];
        data.extend(std::iter::repeat_n(7u8, 128));
        data.push(0xFF);
        let (tlv, rest) = parse_tlv(&data).unwrap();
        assert!(tlv.is_universal(universal::OCTET_STRING));
        assert_eq!(tlv.contents.len(), 128);
        assert_eq!(tlv.raw.len(), 131);
        assert_eq!(rest, &[0xFF]);
    }

    #[test]
    fn indefinite_constructed_octet_string() {
        // 24 80 (04 02 01 02) (24 80 04 01 03 00 00) 00 00
        let data = [
            0x24, 0x80, 0x04, 0x02, 0x01, 0x02, 0x24, 0x80, 0x04, 0x01, 0x03, 0x00, 0x00, 0x00,
            0x00,
        ];
        let (tlv, rest) = parse_tlv(&data).unwrap();
        assert!(tlv.indefinite);
        assert!(rest.is_empty());
        assert_eq!(tlv.raw.len(), data.len());
        assert_eq!(tlv.octets().unwrap().as_ref(), &[1, 2, 3]);
    }

    #[test]
    fn rejects_bad_input_without_panic() {
        for data in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x00],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x80, 0x04, 0x01],
            &[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            &[0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00],
            &[0x30, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ] {
            assert!(parse_tlv(data).is_err(), "{data:?}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut data = Vec::new();
        for _ in 0..10_000 {
            data.extend_from_slice(&[0x30, 0x80]);
        }
        assert!(parse_tlv(&data).is_err());
    }

    #[test]
    fn oid_decoding() {
        assert_eq!(
            decode_oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]).unwrap(),
            "1.2.840.113549.1.7.2"
        );
        assert_eq!(decode_oid(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
        assert_eq!(
            decode_oid(&[0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01]).unwrap(),
            "0.9.2342.19200300.100.1.1"
        );
        assert!(decode_oid(&[0x2A, 0x86]).is_err());
        assert!(decode_oid(&[0xFF; 12].iter().copied().chain([1]).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn integers() {
        let (tlv, _) = parse_tlv(&[0x02, 0x02, 0x00, 0x80]).unwrap();
        assert_eq!(tlv.uint().unwrap(), 128);
        let (tlv, _) = parse_tlv(&[0x02, 0x01, 0x80]).unwrap();
        assert!(tlv.uint().is_err());
        let (tlv, _) = parse_tlv(&[0x02, 0x00]).unwrap();
        assert!(tlv.integer_bytes().is_err());
        let (tlv, _) = parse_tlv(&[0x0A, 0x01, 0x06]).unwrap();
        assert_eq!(tlv.enumerated().unwrap(), 6);
        let (tlv, _) = parse_tlv(&[0x0A, 0x00]).unwrap();
        assert!(tlv.enumerated().is_err());
        let (tlv, _) = parse_tlv(&[0x02, 0x01, 0x06]).unwrap();
        assert!(tlv.enumerated().is_err());
    }
}
