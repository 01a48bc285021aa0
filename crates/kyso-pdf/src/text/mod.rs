//! Text extraction with positions (ISO 32000-2 §9: text, §8.4–§8.10: the graphics state and
//! Form XObjects): the lines of a page with the box of every character, and finding a string
//! on a page — what places a visible signature over, or under, a signer's printed name.
//!
//! [`extract_page`] interprets the page's content streams ([`interpret`]), decodes the
//! strings shown with their fonts (`font`, [`cmap`]), and groups the glyphs into lines
//! ([`layout`]). [`find`] looks for a string in those lines.
//!
//! What is read: simple fonts (Type1, MMType1, TrueType, Type3) with /ToUnicode, named
//! encodings, /Differences and built-in encodings (Symbol, ZapfDingbats, an embedded Type 1
//! program's, a symbolic TrueType program's cmap), widths from /Widths or the standard 14
//! fonts' metrics; Type 0 fonts with Identity-H/V, embedded CMaps and the Unicode predefined
//! CMaps, widths from /W and /DW, and, without a /ToUnicode, the text of an embedded
//! TrueType program's own cmap. Accents drawn as glyphs of their own combine with their
//! letter.
//!
//! Not read: the glyph outlines themselves (a box covers the glyph's advance from the
//! font's descent to its ascent), clipping, whether text is hidden under something else or
//! drawn invisibly (`3 Tr` text is extracted like any other), annotations' appearance
//! streams (only the page's own content), the CID tables of the predefined CJK CMaps
//! (their codes decode, their text needs a /ToUnicode), and right-to-left reordering.

pub mod cmap;
pub mod content;
mod encodings;
pub(crate) mod font;
mod glyph_list;
pub mod interpret;
pub mod layout;
mod standard14;

use unicode_normalization::UnicodeNormalization;

use crate::document::Document;
use crate::error::Result;
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;

/// How many `/Parent` steps /Resources is looked up (§7.7.3.4).
const MAX_INHERIT_DEPTH: usize = 64;

/// A rectangle in the page's default user space (ISO 32000-2 §8.3.2.3), points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl TextBox {
    /// The smallest box around the points (there is at least one).
    pub fn around(points: &[(f64, f64)]) -> TextBox {
        let mut b = TextBox {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        };
        for &(x, y) in points {
            b.x0 = b.x0.min(x);
            b.y0 = b.y0.min(y);
            b.x1 = b.x1.max(x);
            b.y1 = b.y1.max(y);
        }
        b
    }

    /// The smallest box around both.
    pub fn union(&self, other: &TextBox) -> TextBox {
        TextBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// One character as drawn: usually one Unicode character, more for a ligature glyph or a
/// base letter with the combining marks drawn after it; a single space where the line's
/// layout implies one (its box is the gap).
#[derive(Debug, Clone, PartialEq)]
pub struct TextChar {
    pub text: String,
    pub bbox: TextBox,
}

/// A line: glyphs on one baseline (same direction), in reading order, with spaces inserted
/// where the gap between glyphs is wider than [`layout::SPACE_GAP_EM`] em (or a real space
/// glyph). Glyphs further apart than [`layout::COLUMN_GAP_EM`] em are separate lines.
/// `text` is the concatenation of the chars' texts, NFC-normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub text: String,
    pub bbox: TextBox,
    pub chars: Vec<TextChar>,
    /// The effective font size in user space (the median of the line's glyphs).
    pub font_size: f64,
}

/// The text lines of a page, top to bottom, each left to right (rotated text along its
/// direction), in the page's default user space (the page's /Rotate is not applied).
///
/// Errors: the page is not a dictionary, or a page content stream cannot be decoded (a
/// damaged stream, an image filter). Fonts that cannot be read are replaced by a fallback
/// and Form XObjects that cannot be decoded are skipped. Past the interpreter's limits
/// ([`interpret::MAX_OPERATORS`], [`interpret::MAX_CHARS`]) the lines found so far are
/// returned.
pub fn extract_page<S: Source>(doc: &Document<S>, page: ObjectId) -> Result<Vec<TextLine>> {
    let dict = doc.resolve_dict(&Object::Reference(page))?;
    let resources = inherited_resources(doc, &dict);
    let content = interpret::page_content(doc, &dict)?;
    let mut interpreter = interpret::Interpreter::new(doc);
    interpreter.run_page(&content, resources.as_ref());
    Ok(layout::lines(std::mem::take(&mut interpreter.chars)))
}

/// The page's /Resources, or the nearest ancestor's (§7.7.3.4).
fn inherited_resources<S: Source>(doc: &Document<S>, page: &Dictionary) -> Option<Object> {
    let mut node = page.clone();
    for _ in 0..MAX_INHERIT_DEPTH {
        if let Some(resources) = node.get(b"Resources") {
            return Some(resources.clone());
        }
        node = doc.resolve_dict(node.get(b"Parent")?).ok()?;
    }
    None
}

/// Every occurrence of `needle` (compared after Unicode NFC normalisation of both, and
/// ignoring differences in runs of white space) in the lines; each occurrence's box is the
/// union of its chars' boxes. Occurrences within one line only, not overlapping, in the
/// order of the lines.
///
/// Both sides are compared decomposed (NFD), which is the same as comparing them composed
/// (canonical equivalence) and also holds across the boundaries of a line's chars.
pub fn find(lines: &[TextLine], needle: &str) -> Vec<TextBox> {
    let needle: Vec<char> = collapse(layout::normalize(needle).nfd());
    let needle: Vec<char> = trim_spaces(&needle).to_vec();
    if needle.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for line in lines {
        // The line's characters with white space collapsed, each with its char's index.
        let mut hay: Vec<(char, usize)> = Vec::new();
        for (i, c) in line.chars.iter().enumerate() {
            for ch in layout::normalize(&c.text).nfd() {
                if ch.is_whitespace() {
                    if hay.last().is_some_and(|(last, _)| *last != ' ') {
                        hay.push((' ', i));
                    }
                } else {
                    hay.push((ch, i));
                }
            }
        }
        let mut start = 0;
        while start + needle.len() <= hay.len() {
            let window = &hay[start..start + needle.len()];
            if window.iter().zip(&needle).all(|((h, _), n)| h == n) {
                let (first, last) = (window[0].1, window[window.len() - 1].1);
                let bbox = line.chars[first..=last]
                    .iter()
                    .skip(1)
                    .fold(line.chars[first].bbox, |b, c| b.union(&c.bbox));
                found.push(bbox);
                start += needle.len();
            } else {
                start += 1;
            }
        }
    }
    found
}

/// White-space runs as one space.
fn collapse(chars: impl Iterator<Item = char>) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in chars {
        if c.is_whitespace() {
            if out.last() != Some(&' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn trim_spaces(chars: &[char]) -> &[char] {
    let start = chars.iter().position(|&c| c != ' ').unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|&c| c != ' ')
        .map_or(start, |e| e + 1);
    &chars[start..end]
}
