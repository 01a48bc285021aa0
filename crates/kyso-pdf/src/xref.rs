//! Cross-reference sections (ISO 32000-2 §7.5.4 tables, §7.5.8 streams, §7.5.8.4 hybrid files).

use crate::error::{PdfError, Result};
use crate::filters::decode_stream;
use crate::lexer::Lexer;
use crate::object::{Dictionary, Object};

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefEntry {
    Free,
    /// A top-level object at a byte offset (type 1).
    InFile {
        offset: u64,
        generation: u16,
    },
    /// The `index`-th object of object stream `stream` (type 2, §7.5.7).
    InStream {
        stream: u32,
        index: u32,
    },
}

/// The two forms a section can take; an update copies the form of the section before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrefForm {
    Table,
    Stream,
}

/// One parsed section: its entries and its trailer (or xref stream dictionary).
#[derive(Debug, Clone)]
pub struct XrefSection {
    pub form: XrefForm,
    pub entries: Vec<(u32, XrefEntry)>,
    pub trailer: Dictionary,
}

/// Parses a classic table starting at the `xref` keyword in `buf` (§7.5.4, §7.5.5).
/// Returns the section, or `None` when the window ended too early.
pub fn parse_table(buf: &[u8]) -> Result<Option<XrefSection>> {
    let mut lexer = Lexer::new(buf);
    if !lexer.eat_keyword(b"xref") {
        return Err(PdfError::damaged("expected 'xref'"));
    }
    let mut entries = Vec::new();
    loop {
        lexer.skip_whitespace();
        if lexer.pos >= buf.len() {
            return Ok(None);
        }
        if lexer.peek_keyword() == b"trailer" {
            lexer.pos += b"trailer".len();
            break;
        }
        let (Ok(start), Ok(count)) = (lexer.read_unsigned(), lexer.read_unsigned()) else {
            if lexer.pos >= buf.len() {
                return Ok(None);
            }
            return Err(PdfError::damaged("bad xref subsection header"));
        };
        let (Ok(start), Ok(count)) = (u32::try_from(start), u32::try_from(count)) else {
            return Err(PdfError::damaged("xref subsection out of range"));
        };
        for i in 0..count {
            // Entries are nominally 20 bytes; real files use 19 or 21, so read tokens.
            let offset = lexer.read_unsigned();
            let generation = lexer.read_unsigned();
            lexer.skip_whitespace();
            let kind = lexer.peek();
            if lexer.pos >= buf.len() {
                return Ok(None);
            }
            let (Ok(offset), Ok(generation), Some(kind)) = (offset, generation, kind) else {
                return Err(PdfError::damaged("bad xref entry"));
            };
            lexer.pos += 1;
            let Some(number) = start.checked_add(i) else {
                return Err(PdfError::damaged("xref entry out of range"));
            };
            let entry = match kind {
                b'n' if offset > 0 => XrefEntry::InFile {
                    offset,
                    // MuPDF writes `0000000000 65536 f`: generations are clamped, not refused.
                    generation: u16::try_from(generation).unwrap_or(u16::MAX),
                },
                b'n' | b'f' => XrefEntry::Free,
                _ => return Err(PdfError::damaged("bad xref entry type")),
            };
            entries.push((number, entry));
        }
    }
    match lexer.read_object() {
        Ok(Object::Dictionary(trailer)) => Ok(Some(XrefSection {
            form: XrefForm::Table,
            entries,
            trailer,
        })),
        Ok(_) => Err(PdfError::damaged("trailer is not a dictionary")),
        Err(crate::lexer::SyntaxError::Incomplete) => Ok(None),
        Err(_) => Err(PdfError::damaged("bad trailer dictionary")),
    }
}

/// Decodes an xref stream (§7.5.8.2, §7.5.8.3) from its dictionary and raw data, into at
/// most `limit` bytes ([`crate::filters::decoded_limit`]).
pub fn parse_stream(dict: &Dictionary, raw: &[u8], limit: usize) -> Result<XrefSection> {
    let data = decode_stream(dict, raw, limit)?;
    let widths: Vec<usize> = dict
        .get(b"W")
        .and_then(Object::as_array)
        .ok_or_else(|| PdfError::damaged("xref stream without /W"))?
        .iter()
        .map(|o| o.as_int().unwrap_or(-1))
        .map(|w| usize::try_from(w).ok().filter(|&w| w <= 8))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| PdfError::damaged("bad /W in xref stream"))?;
    if widths.len() != 3 {
        return Err(PdfError::damaged("bad /W in xref stream"));
    }
    let size = dict.get_int(b"Size").unwrap_or(0);
    let index: Vec<i64> = match dict.get(b"Index").and_then(Object::as_array) {
        Some(items) => items.iter().filter_map(Object::as_int).collect(),
        None => vec![0, size],
    };
    let row = widths.iter().sum::<usize>();
    if row == 0 {
        return Err(PdfError::damaged("empty rows in xref stream"));
    }
    let mut rows = data.chunks_exact(row);
    let mut entries = Vec::new();
    for pair in index.chunks(2) {
        let [start, count] = pair else {
            break;
        };
        let (Ok(start), Ok(count)) = (u32::try_from(*start), u32::try_from(*count)) else {
            return Err(PdfError::damaged("bad /Index in xref stream"));
        };
        for i in 0..count {
            let Some(bytes) = rows.next() else {
                break;
            };
            let (f0, rest) = bytes.split_at(widths[0]);
            let (f1, f2) = rest.split_at(widths[1]);
            let kind = if widths[0] == 0 { 1 } else { be_uint(f0) };
            let Some(number) = start.checked_add(i) else {
                break;
            };
            let entry = match kind {
                0 => XrefEntry::Free,
                1 => XrefEntry::InFile {
                    offset: be_uint(f1),
                    generation: u16::try_from(be_uint(f2)).unwrap_or(u16::MAX),
                },
                2 => XrefEntry::InStream {
                    stream: u32::try_from(be_uint(f1)).unwrap_or(0),
                    index: u32::try_from(be_uint(f2)).unwrap_or(0),
                },
                // Unknown types are references to the null object (§7.5.8.3).
                _ => XrefEntry::Free,
            };
            entries.push((number, entry));
        }
    }
    Ok(XrefSection {
        form: XrefForm::Stream,
        entries,
        trailer: dict.clone(),
    })
}

fn be_uint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_with_19_and_21_byte_entries_and_mupdf_free_head() {
        let t = b"xref\n0 3\n0000000000 65536 f \n0000000015 00000 n\n0000000099 00001 n\r\ntrailer\n<</Size 3/Root 1 0 R>>\n";
        let s = parse_table(t).unwrap().unwrap();
        assert_eq!(s.entries[0], (0, XrefEntry::Free));
        assert_eq!(
            s.entries[1],
            (
                1,
                XrefEntry::InFile {
                    offset: 15,
                    generation: 0
                }
            )
        );
        assert_eq!(
            s.entries[2],
            (
                2,
                XrefEntry::InFile {
                    offset: 99,
                    generation: 1
                }
            )
        );
        assert_eq!(s.trailer.get_int(b"Size"), Some(3));
    }

    #[test]
    fn truncated_table_asks_for_more() {
        assert!(
            parse_table(b"xref\n0 3\n0000000000 65535 f \n00000")
                .unwrap()
                .is_none()
        );
    }
}
