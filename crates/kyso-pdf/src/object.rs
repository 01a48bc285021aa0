//! PDF objects (ISO 32000-2 §7.3): the eight basic types plus indirect references.
//!
//! Values are kept close to the bytes they came from: a real number keeps its text,
//! a string keeps its bytes, a dictionary keeps its key order. Serialisation
//! (§7.3 syntax) lives here too, so that a rewritten object is written the way it was read.

use std::fmt;

/// An object number and generation (ISO 32000-2 §7.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub number: u32,
    pub generation: u16,
}

impl ObjectId {
    pub const fn new(number: u32, generation: u16) -> Self {
        Self { number, generation }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number, self.generation)
    }
}

/// A PDF name, without the leading slash, with `#xx` escapes decoded (§7.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(pub Vec<u8>);

impl Name {
    pub fn new(bytes: &[u8]) -> Self {
        Name(bytes.to_vec())
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A string object's bytes (§7.3.4), and whether it was written in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfString {
    pub bytes: Vec<u8>,
    pub hex: bool,
}

impl PdfString {
    pub fn literal(bytes: impl Into<Vec<u8>>) -> Self {
        PdfString {
            bytes: bytes.into(),
            hex: false,
        }
    }
    pub fn hex(bytes: impl Into<Vec<u8>>) -> Self {
        PdfString {
            bytes: bytes.into(),
            hex: true,
        }
    }

    /// Text string (§7.9.2.2): UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding.
    pub fn to_text(&self) -> String {
        decode_text_string(&self.bytes)
    }

    /// Encodes `text` as a text string: PDFDocEncoding when it is ASCII, else UTF-16BE with a BOM.
    pub fn from_text(text: &str) -> Self {
        if text.is_ascii() {
            PdfString::literal(text.as_bytes())
        } else {
            let mut bytes = vec![0xFE, 0xFF];
            for unit in text.encode_utf16() {
                bytes.extend_from_slice(&unit.to_be_bytes());
            }
            PdfString::hex(bytes)
        }
    }
}

/// Decodes a text string (ISO 32000-2 §7.9.2.2).
pub fn decode_text_string(bytes: &[u8]) -> String {
    if bytes.len() >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if bytes.len() >= 3 && bytes[..3] == [0xEF, 0xBB, 0xBF] {
        String::from_utf8_lossy(&bytes[3..]).into_owned()
    } else {
        // PDFDocEncoding agrees with Latin-1 on the printable range that matters here.
        bytes.iter().map(|&b| b as char).collect()
    }
}

/// A dictionary (§7.3.7) that keeps its keys in the order they were read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dictionary {
    entries: Vec<(Name, Object)>,
}

impl Dictionary {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.entries
            .iter()
            .find(|(k, _)| k.0 == key)
            .map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Object> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.0 == key)
            .map(|(_, v)| v)
    }
    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }
    /// Sets `key`, replacing an earlier value in place or appending.
    pub fn set(&mut self, key: &[u8], value: impl Into<Object>) {
        let value = value.into();
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.entries.push((Name::new(key), value)),
        }
    }
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let index = self.entries.iter().position(|(k, _)| k.0 == key)?;
        Some(self.entries.remove(index).1)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Object)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Name, &mut Object)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The value of `key` when it is a name.
    pub fn get_name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Object::Name(n)) => Some(&n.0),
            _ => None,
        }
    }
    /// The value of `key` when it is an integer.
    pub fn get_int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Object::Integer(i)) => Some(*i),
            _ => None,
        }
    }
    /// Whether `/Type` is `type_name`.
    pub fn has_type(&self, type_name: &[u8]) -> bool {
        self.get_name(b"Type") == Some(type_name)
    }
}

/// A PDF object (ISO 32000-2 §7.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Boolean(bool),
    Integer(i64),
    /// A real number, kept as the text it was written with.
    Real(String),
    String(PdfString),
    Name(Name),
    Array(Vec<Object>),
    Dictionary(Dictionary),
    Reference(ObjectId),
}

impl Object {
    pub fn name(bytes: &[u8]) -> Object {
        Object::Name(Name::new(bytes))
    }
    pub fn as_dict(&self) -> Option<&Dictionary> {
        match self {
            Object::Dictionary(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_dict_mut(&mut self) -> Option<&mut Dictionary> {
        match self {
            Object::Dictionary(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Object>> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Integer(i) => Some(*i),
            _ => None,
        }
    }
    pub fn as_reference(&self) -> Option<ObjectId> {
        match self {
            Object::Reference(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(&n.0),
            _ => None,
        }
    }
    pub fn as_string(&self) -> Option<&PdfString> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    /// Applies `f` to every string inside this object, recursively.
    pub fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut PdfString)) {
        match self {
            Object::String(s) => f(s),
            Object::Array(items) => items.iter_mut().for_each(|o| o.for_each_string_mut(f)),
            Object::Dictionary(d) => d.iter_mut().for_each(|(_, o)| o.for_each_string_mut(f)),
            _ => {}
        }
    }

    /// Serialises the object (§7.3) onto `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Object::Real(text) => out.extend_from_slice(text.as_bytes()),
            Object::String(s) => write_string(s, out),
            Object::Name(n) => write_name(n, out),
            Object::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out);
                }
                out.push(b']');
            }
            Object::Dictionary(d) => write_dictionary(d, out),
            Object::Reference(id) => {
                out.extend_from_slice(format!("{} {} R", id.number, id.generation).as_bytes())
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

impl From<Dictionary> for Object {
    fn from(d: Dictionary) -> Self {
        Object::Dictionary(d)
    }
}
impl From<i64> for Object {
    fn from(i: i64) -> Self {
        Object::Integer(i)
    }
}
impl From<bool> for Object {
    fn from(b: bool) -> Self {
        Object::Boolean(b)
    }
}
impl From<ObjectId> for Object {
    fn from(id: ObjectId) -> Self {
        Object::Reference(id)
    }
}
impl From<PdfString> for Object {
    fn from(s: PdfString) -> Self {
        Object::String(s)
    }
}
impl From<Vec<Object>> for Object {
    fn from(items: Vec<Object>) -> Self {
        Object::Array(items)
    }
}

pub fn write_dictionary(d: &Dictionary, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (key, value) in d.iter() {
        write_name(key, out);
        if !matches!(
            value,
            Object::Name(_) | Object::Array(_) | Object::Dictionary(_) | Object::String(_)
        ) {
            out.push(b' ');
        }
        value.write_to(out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(name: &Name, out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in &name.0 {
        if b.is_ascii_graphic() && !is_delimiter(b) && b != b'#' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn write_string(s: &PdfString, out: &mut Vec<u8>) {
    if s.hex {
        out.push(b'<');
        for &b in &s.bytes {
            out.extend_from_slice(format!("{b:02X}").as_bytes());
        }
        out.push(b'>');
    } else {
        out.push(b'(');
        for &b in &s.bytes {
            match b {
                b'(' | b')' | b'\\' => {
                    out.push(b'\\');
                    out.push(b);
                }
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\n' => out.extend_from_slice(b"\\n"),
                _ => out.push(b),
            }
        }
        out.push(b')');
    }
}

/// White-space characters (ISO 32000-2 §7.2.3, Table 1).
pub fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0C | 0x00)
}

/// Delimiter characters (ISO 32000-2 §7.2.3, Table 2).
pub fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_round_trip_keeps_order_and_escapes() {
        let mut d = Dictionary::new();
        d.set(b"Type", Object::name(b"Sig"));
        d.set(b"Name", PdfString::literal(b"a(b)\\c".to_vec()));
        d.set(b"A B", Object::Integer(-3));
        assert_eq!(
            Object::Dictionary(d).to_bytes(),
            b"<</Type/Sig/Name(a\\(b\\)\\\\c)/A#20B -3>>".to_vec()
        );
    }

    #[test]
    fn text_strings_decode_utf16_and_encode_vietnamese() {
        let s = PdfString::from_text("Nguyễn Văn An");
        assert!(s.hex);
        assert_eq!(s.to_text(), "Nguyễn Văn An");
        assert_eq!(PdfString::literal(b"abc".to_vec()).to_text(), "abc");
    }
}
