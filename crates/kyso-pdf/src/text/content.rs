//! A content stream tokenizer (ISO 32000-2 §7.8.2, §8.2): operands followed by an operator.
//!
//! The same tokenizer reads CMap files (§9.7.5, PostScript syntax), which add `{`, `}` and
//! keywords such as `begincodespacerange`. It never fails: malformed bytes are skipped, so
//! that the interpreter sees what a viewer would still draw. Everything is bounded: arrays
//! and dictionaries nest at most [`MAX_NESTING`] deep, an operator keeps at most
//! [`MAX_OPERANDS`] operands, and an array at most [`MAX_ARRAY`] items.

use crate::object::{is_delimiter, is_whitespace};

/// Deepest nesting of arrays and dictionaries kept in one operand.
pub const MAX_NESTING: usize = 32;
/// Operands kept before one operator (real content needs a handful; `TJ` takes one array).
pub const MAX_OPERANDS: usize = 64;
/// Items kept in one array or dictionary operand; more are dropped.
pub const MAX_ARRAY: usize = 1 << 16;

/// One operand (§7.3 objects, as content streams use them).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(f64),
    Bool(bool),
    Null,
    Name(Vec<u8>),
    String(Vec<u8>),
    Array(Vec<Operand>),
    /// A dictionary (marked-content properties); keys and values in order.
    Dict(Vec<(Vec<u8>, Operand)>),
}

impl Operand {
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Operand::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// One step of the tokenizer.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    Operand(Operand),
    /// An operator or any other bare keyword.
    Keyword(&'a [u8]),
}

/// A cursor over a content stream or a CMap.
pub struct Tokenizer<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Tokenizer<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Tokenizer { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
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

    /// The next token, or `None` at the end. Stray delimiters (`)`, `>`, `]` out of place)
    /// come back as keywords, which the interpreter ignores.
    pub fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_whitespace();
        let b = self.peek()?;
        match b {
            b'[' | b'(' | b'/' | b'+' | b'-' | b'.' | b'0'..=b'9' => {
                Some(Token::Operand(self.read_operand(0)))
            }
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                Some(Token::Operand(self.read_operand(0)))
            }
            b'<' => Some(Token::Operand(self.read_hex_string())),
            b'{' | b'}' | b']' | b')' | b'>' => {
                let start = self.pos;
                self.pos += 1;
                if b == b'>' && self.peek() == Some(b'>') {
                    self.pos += 1;
                }
                Some(Token::Keyword(&self.buf[start..self.pos]))
            }
            _ => {
                let word = self.read_regular();
                match word {
                    b"true" => Some(Token::Operand(Operand::Bool(true))),
                    b"false" => Some(Token::Operand(Operand::Bool(false))),
                    b"null" => Some(Token::Operand(Operand::Null)),
                    _ => Some(Token::Keyword(word)),
                }
            }
        }
    }

    /// A run of regular characters; at least one byte, so the cursor always moves.
    fn read_regular(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    fn read_operand(&mut self, depth: usize) -> Operand {
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return Operand::Null;
        };
        if depth >= MAX_NESTING && matches!(b, b'[' | b'<') {
            // Too deep: skip the nested value's bytes without keeping them. `<<…>>` and
            // hex strings balance their angle brackets like arrays do their brackets.
            self.pos += 1;
            if b == b'[' {
                self.skip_nested(b'[', b']');
            } else {
                self.skip_nested(b'<', b'>');
            }
            return Operand::Null;
        }
        match b {
            b'/' => {
                self.pos += 1;
                Operand::Name(self.read_name_body())
            }
            b'(' => self.read_literal_string(),
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.read_dict(depth)
            }
            b'<' => self.read_hex_string(),
            b'[' => {
                self.pos += 1;
                self.read_array(depth)
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.read_number(),
            _ => {
                let word = self.read_regular();
                match word {
                    b"true" => Operand::Bool(true),
                    b"false" => Operand::Bool(false),
                    _ => Operand::Null,
                }
            }
        }
    }

    fn read_array(&mut self, depth: usize) -> Operand {
        let mut items = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Operand::Array(items),
                Some(b']') => {
                    self.pos += 1;
                    return Operand::Array(items);
                }
                Some(b'{' | b'}' | b')' | b'>') => self.pos += 1,
                Some(_) => {
                    let before = self.pos;
                    let item = self.read_operand(depth + 1);
                    if items.len() < MAX_ARRAY {
                        items.push(item);
                    }
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    fn read_dict(&mut self, depth: usize) -> Operand {
        let mut entries = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Operand::Dict(entries),
                Some(b'>') => {
                    self.pos += 1;
                    if self.peek() == Some(b'>') {
                        self.pos += 1;
                    }
                    return Operand::Dict(entries);
                }
                Some(b'/') => {
                    self.pos += 1;
                    let key = self.read_name_body();
                    self.skip_whitespace();
                    if self.peek() == Some(b'>') {
                        continue;
                    }
                    let value = self.read_operand(depth + 1);
                    if entries.len() < MAX_ARRAY {
                        entries.push((key, value));
                    }
                }
                Some(_) => {
                    // Not a key: skip one token.
                    let before = self.pos;
                    let _ = self.read_operand(depth + 1);
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// Skips to the `close` that matches an already consumed `open`, counting nesting
    /// without recursion.
    fn skip_nested(&mut self, open: u8, close: u8) {
        let mut level = 1usize;
        while let Some(b) = self.peek() {
            if b == b'(' {
                let _ = self.read_literal_string();
                continue;
            }
            self.pos += 1;
            if b == open {
                level += 1;
            } else if b == close {
                level -= 1;
                if level == 0 {
                    return;
                }
            }
        }
    }

    /// A name after its `/` (§7.3.5), `#xx` decoded.
    fn read_name_body(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            if b == b'#'
                && let Some(h) = self.buf.get(self.pos + 1..self.pos + 3)
                && let (Some(hi), Some(lo)) = (hex_value(h[0]), hex_value(h[1]))
            {
                bytes.push((hi << 4) | lo);
                self.pos += 3;
                continue;
            }
            bytes.push(b);
            self.pos += 1;
        }
        bytes
    }

    /// A number (§7.3.3); malformed ones (`--5`, `1.2.3`) read as far as they make sense.
    fn read_number(&mut self) -> Operand {
        let start = self.pos;
        while let Some(b) = self.peek() {
            let exponent = matches!(b, b'e' | b'E')
                && self.pos > start
                && self
                    .buf
                    .get(self.pos + 1)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-'));
            if b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.') || exponent {
                self.pos += 1;
            } else {
                break;
            }
        }
        Operand::Number(parse_number(&self.buf[start..self.pos]))
    }

    fn read_literal_string(&mut self) -> Operand {
        self.pos += 1; // '('
        let mut bytes = Vec::new();
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    bytes.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    bytes.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        break;
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
        Operand::String(bytes)
    }

    /// A hex string (§7.3.4.3); non-hex bytes inside are skipped.
    fn read_hex_string(&mut self) -> Operand {
        self.pos += 1; // '<'
        let mut bytes = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == b'>' {
                break;
            }
            let Some(v) = hex_value(c) else {
                continue;
            };
            match high.take() {
                Some(h) => bytes.push((h << 4) | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            bytes.push(h << 4);
        }
        Operand::String(bytes)
    }

    /// After the `ID` operator of an inline image (§8.9.7): skips the image data and its
    /// `EI`. `length` is the dictionary's /L (/Length) when it gave one.
    pub fn skip_inline_image(&mut self, length: Option<usize>) {
        // One white-space byte follows ID.
        if self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
        let data_start = self.pos;
        if let Some(length) = length
            && let Some(end) = data_start.checked_add(length)
            && end <= self.buf.len()
        {
            let mut probe = end;
            while probe < self.buf.len() && is_whitespace(self.buf[probe]) {
                probe += 1;
            }
            if self.buf[probe..].starts_with(b"EI") && self.ends_token(probe + 2) {
                self.pos = probe + 2;
                return;
            }
        }
        // Look for white space, `EI`, then white space or the end, followed by what looks
        // like content rather than binary image data.
        let mut at = data_start;
        while let Some(i) = memchr::memmem::find(&self.buf[at..], b"EI") {
            let ei = at + i;
            let before_ok = ei == data_start || is_whitespace(self.buf[ei - 1]);
            if before_ok && self.ends_token(ei + 2) && self.looks_like_content(ei + 2) {
                self.pos = ei + 2;
                return;
            }
            at = ei + 2;
        }
        self.pos = self.buf.len();
    }

    fn ends_token(&self, at: usize) -> bool {
        self.buf
            .get(at)
            .is_none_or(|&c| is_whitespace(c) || is_delimiter(c))
    }

    /// Whether the bytes after `at` are text-like (operators and numbers), the test
    /// viewers use to tell a real `EI` from the same bytes inside image data.
    fn looks_like_content(&self, at: usize) -> bool {
        let end = (at + 48).min(self.buf.len());
        self.buf[at..end]
            .iter()
            .all(|&c| c.is_ascii_graphic() || is_whitespace(c))
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

/// Parses a number token leniently: a sign (repeated signs count once), digits, at most
/// one point; an exponent (`1.0E-4`, which some producers write although PDF has none) is
/// accepted. Garbage gives 0.
fn parse_number(token: &[u8]) -> f64 {
    let text = std::str::from_utf8(token).unwrap_or("0");
    if let Ok(v) = text.parse::<f64>() {
        return if v.is_finite() { v } else { 0.0 };
    }
    let negative = text.starts_with('-');
    let body = text.trim_start_matches(['+', '-']);
    let mut cleaned = String::with_capacity(body.len() + 1);
    let mut seen_point = false;
    for c in body.chars() {
        match c {
            '0'..='9' => cleaned.push(c),
            '.' if !seen_point => {
                seen_point = true;
                cleaned.push(c);
            }
            _ => break,
        }
    }
    let value = cleaned.parse::<f64>().unwrap_or(0.0);
    if negative { -value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &[u8]) -> Vec<Token<'_>> {
        let mut t = Tokenizer::new(s);
        std::iter::from_fn(|| t.next_token()).collect()
    }

    #[test]
    fn reads_operands_and_operators() {
        let t = tokens(b"BT /F1 12 Tf [(A) -120 <0042>] TJ -.5 4. --3 Td 2ET 1.5E-1");
        assert_eq!(t[0], Token::Keyword(b"BT"));
        assert_eq!(t[1], Token::Operand(Operand::Name(b"F1".to_vec())));
        assert_eq!(t[2], Token::Operand(Operand::Number(12.0)));
        assert_eq!(
            t[4],
            Token::Operand(Operand::Array(vec![
                Operand::String(b"A".to_vec()),
                Operand::Number(-120.0),
                Operand::String(vec![0x00, 0x42]),
            ]))
        );
        assert_eq!(t[6], Token::Operand(Operand::Number(-0.5)));
        assert_eq!(t[7], Token::Operand(Operand::Number(4.0)));
        assert_eq!(t[8], Token::Operand(Operand::Number(-3.0)));
        assert_eq!(t[10], Token::Operand(Operand::Number(2.0)));
        assert_eq!(t[11], Token::Keyword(b"ET"));
        assert_eq!(t[12], Token::Operand(Operand::Number(0.15)));
    }

    #[test]
    fn deep_arrays_and_garbage_never_loop() {
        let deep = [b'['; 100_000];
        assert_eq!(tokens(&deep).len(), 1);
        let garbage: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let _ = tokens(&garbage);
        let _ = tokens(b"<< /A << /B [1 2 >> ) ] } { <<");
    }

    #[test]
    fn inline_image_data_is_skipped() {
        let data = b"BI /W 2 /H 2 /CS /G /BPC 8 ID \x00EI\xffEI\x01 EI Q (after) Tj";
        let mut t = Tokenizer::new(data);
        loop {
            match t.next_token() {
                Some(Token::Keyword(b"ID")) => break,
                Some(_) => {}
                None => panic!("no ID"),
            }
        }
        t.skip_inline_image(None);
        assert_eq!(t.next_token(), Some(Token::Keyword(b"Q")));
    }
}
