//! The object syntax (ISO 32000-2 §7.2–§7.3) parsed from a byte slice.
//!
//! The parser works on a window of the file. When a value runs past the end of the
//! window it answers [`SyntaxError::Incomplete`], and the caller reads a larger window.

use crate::object::{Dictionary, Name, Object, ObjectId, PdfString, is_delimiter, is_whitespace};

/// Nesting limit for arrays and dictionaries: deeper input is refused, never a stack overflow.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// The window ended before the value did.
    Incomplete,
    /// Malformed syntax at a position in the window.
    Invalid { at: usize, what: &'static str },
}

pub type ParseResult<T> = Result<T, SyntaxError>;

/// A cursor over a window of PDF bytes.
pub struct Lexer<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Lexer { buf, pos: 0 }
    }

    pub fn at(buf: &'a [u8], pos: usize) -> Self {
        Lexer { buf, pos }
    }

    fn invalid<T>(&self, what: &'static str) -> ParseResult<T> {
        Err(SyntaxError::Invalid { at: self.pos, what })
    }

    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Skips white space and comments (§7.2.3, §7.2.4).
    pub fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next regular-character token, without consuming it.
    pub fn peek_keyword(&mut self) -> &'a [u8] {
        self.skip_whitespace();
        let start = self.pos;
        let mut end = start;
        while end < self.buf.len() && !is_whitespace(self.buf[end]) && !is_delimiter(self.buf[end])
        {
            end += 1;
        }
        &self.buf[start..end]
    }

    /// Consumes `keyword` if it is the next token.
    pub fn eat_keyword(&mut self, keyword: &[u8]) -> bool {
        let token = self.peek_keyword();
        if token == keyword {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    /// Reads an unsigned integer token.
    pub fn read_unsigned(&mut self) -> ParseResult<u64> {
        self.skip_whitespace();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(b) = self.peek() {
            if !b.is_ascii_digit() {
                break;
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or(SyntaxError::Invalid {
                    at: start,
                    what: "integer too large",
                })?;
            self.pos += 1;
        }
        if self.pos == start {
            return if self.pos >= self.buf.len() {
                Err(SyntaxError::Incomplete)
            } else {
                self.invalid("expected an integer")
            };
        }
        Ok(value)
    }

    /// Reads `N G obj` and returns the id (§7.3.10).
    pub fn read_object_header(&mut self) -> ParseResult<ObjectId> {
        let number = self.read_unsigned()?;
        let generation = self.read_unsigned()?;
        if !self.eat_keyword(b"obj") {
            return if self.pos >= self.buf.len() {
                Err(SyntaxError::Incomplete)
            } else {
                self.invalid("expected 'obj'")
            };
        }
        let number = u32::try_from(number).map_err(|_| SyntaxError::Invalid {
            at: self.pos,
            what: "object number too large",
        })?;
        let generation = u16::try_from(generation).map_err(|_| SyntaxError::Invalid {
            at: self.pos,
            what: "generation too large",
        })?;
        Ok(ObjectId::new(number, generation))
    }

    /// Reads one object, resolving the `N G R` lookahead for references.
    pub fn read_object(&mut self) -> ParseResult<Object> {
        self.read_object_at_depth(0)
    }

    fn read_object_at_depth(&mut self, depth: usize) -> ParseResult<Object> {
        if depth > MAX_DEPTH {
            return self.invalid("objects nested too deeply");
        }
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return Err(SyntaxError::Incomplete);
        };
        match b {
            b'/' => Ok(Object::Name(self.read_name()?)),
            b'(' => Ok(Object::String(self.read_literal_string()?)),
            b'<' => {
                if self.buf.get(self.pos + 1) == Some(&b'<') {
                    Ok(Object::Dictionary(self.read_dictionary(depth)?))
                } else if self.pos + 1 >= self.buf.len() {
                    Err(SyntaxError::Incomplete)
                } else {
                    Ok(Object::String(self.read_hex_string()?))
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        None => return Err(SyntaxError::Incomplete),
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.read_object_at_depth(depth + 1)?),
                    }
                }
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.read_number_or_reference(),
            _ => {
                let token = self.peek_keyword();
                let end_of_window = self.pos + token.len() >= self.buf.len();
                let object = match token {
                    b"true" => Object::Boolean(true),
                    b"false" => Object::Boolean(false),
                    b"null" => Object::Null,
                    _ if end_of_window => return Err(SyntaxError::Incomplete),
                    _ => return self.invalid("unexpected token"),
                };
                self.pos += token.len();
                Ok(object)
            }
        }
    }

    fn read_number_token(&mut self) -> ParseResult<&'a [u8]> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos >= self.buf.len() {
            return Err(SyntaxError::Incomplete);
        }
        Ok(&self.buf[start..self.pos])
    }

    fn read_number_or_reference(&mut self) -> ParseResult<Object> {
        let first = self.read_number_token()?;
        let first_object = parse_number(first).ok_or(SyntaxError::Invalid {
            at: self.pos,
            what: "malformed number",
        })?;
        // `N G R`: look ahead without committing.
        if let Object::Integer(number) = first_object {
            let save = self.pos;
            if let Some(reference) = self.try_reference_tail(number)? {
                return Ok(reference);
            }
            self.pos = save;
        }
        Ok(first_object)
    }

    fn try_reference_tail(&mut self, number: i64) -> ParseResult<Option<Object>> {
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return Err(SyntaxError::Incomplete);
        };
        if !b.is_ascii_digit() {
            return Ok(None);
        }
        let generation = self.read_number_token()?;
        let Some(Object::Integer(generation)) = parse_number(generation) else {
            return Ok(None);
        };
        self.skip_whitespace();
        if self.pos >= self.buf.len() {
            return Err(SyntaxError::Incomplete);
        }
        if self.peek() == Some(b'R')
            && self
                .buf
                .get(self.pos + 1)
                .is_none_or(|&c| is_whitespace(c) || is_delimiter(c))
        {
            if self.pos + 1 >= self.buf.len() {
                return Err(SyntaxError::Incomplete);
            }
            self.pos += 1;
            let (Ok(number), Ok(generation)) = (u32::try_from(number), u16::try_from(generation))
            else {
                return Ok(Some(Object::Null));
            };
            return Ok(Some(Object::Reference(ObjectId::new(number, generation))));
        }
        Ok(None)
    }

    /// Reads a name (§7.3.5), decoding `#xx`.
    pub fn read_name(&mut self) -> ParseResult<Name> {
        self.skip_whitespace();
        if self.peek() != Some(b'/') {
            return self.invalid("expected a name");
        }
        self.pos += 1;
        let mut bytes = Vec::new();
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            if b == b'#' {
                let hex = self.buf.get(self.pos + 1..self.pos + 3);
                if let Some(value) =
                    hex.and_then(|h| Some((hex_value(h[0])? << 4) | hex_value(h[1])?))
                {
                    bytes.push(value);
                    self.pos += 3;
                    continue;
                }
            }
            bytes.push(b);
            self.pos += 1;
        }
        if self.pos >= self.buf.len() {
            return Err(SyntaxError::Incomplete);
        }
        Ok(Name(bytes))
    }

    fn read_literal_string(&mut self) -> ParseResult<PdfString> {
        self.pos += 1; // '('
        let mut bytes = Vec::new();
        let mut depth = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(SyntaxError::Incomplete);
            };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    bytes.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(PdfString { bytes, hex: false });
                    }
                    bytes.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(SyntaxError::Incomplete);
                    };
                    self.pos += 1;
                    match e {
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'b' => bytes.push(0x08),
                        b'f' => bytes.push(0x0C),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            bytes.push((value & 0xFF) as u8);
                        }
                        other => bytes.push(other),
                    }
                }
                _ => bytes.push(b),
            }
        }
    }

    fn read_hex_string(&mut self) -> ParseResult<PdfString> {
        self.pos += 1; // '<'
        let start = self.pos;
        let end = match memchr::memchr(b'>', &self.buf[start..]) {
            Some(i) => start + i,
            None => return Err(SyntaxError::Incomplete),
        };
        let mut bytes = Vec::with_capacity((end - start) / 2);
        let mut high: Option<u8> = None;
        for &c in &self.buf[start..end] {
            if is_whitespace(c) {
                continue;
            }
            let Some(v) = hex_value(c) else {
                self.pos = start;
                return self.invalid("bad hex string");
            };
            match high.take() {
                Some(h) => bytes.push((h << 4) | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            bytes.push(h << 4);
        }
        self.pos = end + 1;
        Ok(PdfString { bytes, hex: true })
    }

    fn read_dictionary(&mut self, depth: usize) -> ParseResult<Dictionary> {
        self.pos += 2; // '<<'
        let mut dict = Dictionary::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Err(SyntaxError::Incomplete),
                Some(b'>') => {
                    if self.pos + 1 >= self.buf.len() {
                        return Err(SyntaxError::Incomplete);
                    }
                    if self.buf[self.pos + 1] == b'>' {
                        self.pos += 2;
                        return Ok(dict);
                    }
                    return self.invalid("expected '>>'");
                }
                Some(b'/') => {
                    let key = self.read_name()?;
                    self.skip_whitespace();
                    // A missing value before '>>' is tolerated as null.
                    if self.peek() == Some(b'>') {
                        dict.set(&key.0, Object::Null);
                        continue;
                    }
                    let value = self.read_object_at_depth(depth + 1)?;
                    // ISO 32000-2 §7.3.7: a null value means the entry is absent.
                    if value != Object::Null {
                        dict.set(&key.0, value);
                    }
                }
                Some(_) => return self.invalid("expected a name key"),
            }
        }
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn parse_number(token: &[u8]) -> Option<Object> {
    let text = std::str::from_utf8(token).ok()?;
    if text.is_empty() {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Object::Integer(i));
    }
    // Reals: keep the text; accept forms like "-.5", "4.", and the "--5" some producers write.
    let cleaned = text.trim_start_matches('+');
    let check = cleaned.trim_start_matches('-');
    if check.chars().filter(|&c| c == '.').count() <= 1
        && check.chars().all(|c| c.is_ascii_digit() || c == '.')
        && check.chars().any(|c| c.is_ascii_digit())
    {
        let negative = cleaned.starts_with('-');
        let text = if negative {
            format!("-{check}")
        } else {
            check.to_string()
        };
        return Some(Object::Real(text));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ParseResult<Object> {
        Lexer::new(s.as_bytes()).read_object()
    }

    #[test]
    fn parses_nested_objects_and_references() {
        let o = parse(
            "<</Type /Page /Parent 3 0 R /MediaBox [0 0 595.3 842] /N -.5 /S (a\\)b) /H <48 49>>> ",
        )
        .unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(
            d.get(b"Parent"),
            Some(&Object::Reference(ObjectId::new(3, 0)))
        );
        assert_eq!(d.get(b"N"), Some(&Object::Real("-.5".into())));
        assert_eq!(d.get(b"S").unwrap().as_string().unwrap().bytes, b"a)b");
        assert_eq!(d.get(b"H").unwrap().as_string().unwrap().bytes, b"HI");
    }

    #[test]
    fn integers_followed_by_integers_are_not_references() {
        let o = parse("[1 2 3 4 R 5] ").unwrap();
        assert_eq!(
            o,
            Object::Array(vec![
                Object::Integer(1),
                Object::Integer(2),
                Object::Reference(ObjectId::new(3, 4)),
                Object::Integer(5)
            ])
        );
    }

    #[test]
    fn truncated_input_is_incomplete_not_invalid() {
        assert_eq!(parse("<</A [1 2"), Err(SyntaxError::Incomplete));
        assert_eq!(parse("(abc"), Err(SyntaxError::Incomplete));
        assert_eq!(parse("12 0"), Err(SyntaxError::Incomplete));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "[".repeat(1000);
        assert!(matches!(parse(&s), Err(SyntaxError::Invalid { .. })));
    }

    #[test]
    fn object_header() {
        let mut l = Lexer::new(b"  12 1 obj <<>>");
        assert_eq!(l.read_object_header().unwrap(), ObjectId::new(12, 1));
    }
}
