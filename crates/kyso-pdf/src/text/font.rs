//! Fonts as text extraction needs them (ISO 32000-2 §9.5–§9.10): how a string's bytes split
//! into character codes, each code's Unicode text and its width.
//!
//! Simple fonts (Type1, MMType1, TrueType, Type3, §9.6) map one byte to a glyph; the text
//! comes from the /ToUnicode CMap first (§9.10.2 method 1), else from the encoding: a named
//! base encoding, the /Differences glyph names through the Adobe Glyph List, or the font's
//! built-in encoding. Composite fonts (Type0, §9.7) split strings with their encoding CMap
//! into CIDs, whose widths come from the descendant CIDFont's /W and /DW. A font that cannot
//! be read is replaced by a Helvetica-like fallback, so that its text still has positions.

use std::collections::HashMap;

use super::cmap::CMap;
use super::{encodings, glyph_list, standard14};
use crate::document::{Document, Loaded};
use crate::geometry::number;
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;

/// Items read from one /W array (§9.7.4.3) or /Widths array.
const MAX_WIDTH_ITEMS: usize = 100_000;
/// Depth of `usecmap` chains followed (§9.7.5.2).
const MAX_USECMAP_DEPTH: usize = 4;
/// The part of an embedded Type 1 font program read for its built-in encoding.
const MAX_FONT_PROGRAM_HEAD: usize = 256 * 1024;
/// Ascent and descent when the font does not say (em).
const DEFAULT_ASCENT: f64 = 0.8;
const DEFAULT_DESCENT: f64 = -0.2;

/// Indexes into [`standard14::FONTS`].
const HELVETICA: usize = 0;
const TIMES: usize = 4;
const COURIER: usize = 8;
const SYMBOL: usize = 12;
const ZAPF_DINGBATS: usize = 13;

/// One character code of a string, as shown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glyph {
    /// Its Unicode text (empty when the font gives none).
    pub text: String,
    /// Horizontal displacement w0 in text space units per unit of font size (§9.4.4); for
    /// vertical writing, the glyph's horizontal extent.
    pub width: f64,
    /// Vertical displacement w1 (vertical writing only, negative going down).
    pub vertical_advance: f64,
    /// The position vector's y (vertical writing only, §9.7.4.3).
    pub vertical_origin_y: f64,
    /// A single-byte code 32, to which word spacing applies (§9.3.3).
    pub is_word_space: bool,
}

/// A font ready to decode strings.
#[derive(Debug)]
pub(crate) struct Font {
    kind: Kind,
    to_unicode: Option<CMap>,
    /// Top and bottom of the glyphs in text space units per unit of font size.
    pub ascent: f64,
    pub descent: f64,
    /// Vertical writing (§9.7.4.3): WMode 1 of a Type 0 font's CMap.
    pub vertical: bool,
}

#[derive(Debug)]
enum Kind {
    Simple(Box<Simple>),
    Composite(Box<Composite>),
}

#[derive(Debug)]
struct Simple {
    /// The text of each code by the encoding (empty: none).
    texts: Vec<String>,
    /// The width of each code in text space units per unit of font size.
    widths: Vec<f64>,
}

#[derive(Debug)]
struct Composite {
    encoding: CMap,
    /// `(first CID, last CID, width)` sorted by first CID, widths in text space units.
    widths: Vec<(u32, u32, f64)>,
    default_width: f64,
    /// /DW2 (§9.7.4.3): the position vector's y and the vertical displacement.
    default_vertical: (f64, f64),
    /// Without a /ToUnicode: the text of each glyph of the embedded TrueType program, and
    /// how CIDs select glyphs (/CIDToGIDMap, §9.7.4.2).
    program_text: Option<(CidToGid, GlyphTexts)>,
}

/// /CIDToGIDMap: Identity, or a stream of two-byte glyph indexes by CID.
#[derive(Debug)]
enum CidToGid {
    Identity,
    Map(Vec<u8>),
}

impl CidToGid {
    fn gid(&self, cid: u32) -> Option<u16> {
        match self {
            CidToGid::Identity => u16::try_from(cid).ok(),
            CidToGid::Map(bytes) => {
                let at = usize::try_from(cid).ok()?.checked_mul(2)?;
                let pair = bytes.get(at..at.checked_add(2)?)?;
                Some(u16::from_be_bytes([pair[0], pair[1]]))
            }
        }
    }
}

/// The text of glyphs of an embedded font program, by glyph index.
type GlyphTexts = HashMap<u16, String>;

impl Font {
    /// A stand-in for a font that cannot be read: Helvetica with StandardEncoding.
    pub fn fallback() -> Font {
        let texts = (0..256)
            .map(|c| base_char(&encodings::STANDARD, c))
            .collect::<Vec<_>>();
        let widths = texts
            .iter()
            .map(|t| standard_width(HELVETICA, t, 0).unwrap_or(0.5))
            .collect();
        Font {
            kind: Kind::Simple(Box::new(Simple { texts, widths })),
            to_unicode: None,
            ascent: DEFAULT_ASCENT,
            descent: DEFAULT_DESCENT,
            vertical: false,
        }
    }

    /// Reads a font dictionary (§9.6, §9.7). Never fails: parts that cannot be read are
    /// replaced by defaults.
    /// What it reads (CMaps, font programs) comes out of the page's `budget`.
    pub fn load<S: Source>(doc: &Document<S>, dict: &Dictionary, budget: &mut Budget) -> Font {
        let to_unicode = dict
            .get(b"ToUnicode")
            .and_then(|o| stream_bytes(doc, o, budget))
            .map(|data| budget.parse_cmap(&data));
        if dict.get_name(b"Subtype") == Some(b"Type0") {
            return load_composite(doc, dict, to_unicode, budget);
        }
        load_simple(doc, dict, to_unicode, budget)
    }

    /// Decodes the code at the start of `bytes` (not empty); returns it and its length.
    pub fn next_glyph(&self, bytes: &[u8]) -> (Glyph, usize) {
        match &self.kind {
            Kind::Simple(simple) => {
                let code = bytes[0];
                let text = self
                    .to_unicode
                    .as_ref()
                    .and_then(|c| c.unicode(u32::from(code), 1))
                    .unwrap_or_else(|| simple.texts[usize::from(code)].clone());
                let glyph = Glyph {
                    text,
                    width: simple.widths[usize::from(code)],
                    vertical_advance: 0.0,
                    vertical_origin_y: 0.0,
                    is_word_space: code == 32,
                };
                (glyph, 1)
            }
            Kind::Composite(composite) => {
                let len = composite.encoding.code_len(bytes, 2);
                let code = bytes[..len]
                    .iter()
                    .fold(0u32, |v, &b| (v << 8) | u32::from(b));
                let cid = composite.encoding.cid(code, len).unwrap_or(0);
                let text = self
                    .to_unicode
                    .as_ref()
                    .and_then(|c| c.unicode(code, len))
                    .or_else(|| code_as_unicode(&composite.encoding, &bytes[..len]))
                    .or_else(|| {
                        let (map, texts) = composite.program_text.as_ref()?;
                        texts.get(&map.gid(cid)?).cloned()
                    })
                    .unwrap_or_else(|| "\u{FFFD}".to_string());
                let width = composite.width(cid);
                let glyph = Glyph {
                    text,
                    width,
                    vertical_advance: composite.default_vertical.1,
                    vertical_origin_y: composite.default_vertical.0,
                    is_word_space: len == 1 && code == 32,
                };
                (glyph, len)
            }
        }
    }
}

impl Composite {
    fn width(&self, cid: u32) -> f64 {
        let end = self.widths.partition_point(|(first, _, _)| *first <= cid);
        match end.checked_sub(1).map(|i| self.widths[i]) {
            Some((_, last, width)) if cid <= last => width,
            _ => self.default_width,
        }
    }
}

/// For the Unicode predefined CMaps, the code is the text (UTF-16BE).
fn code_as_unicode(encoding: &CMap, bytes: &[u8]) -> Option<String> {
    if !encoding.codes_are_unicode || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

fn load_simple<S: Source>(
    doc: &Document<S>,
    dict: &Dictionary,
    to_unicode: Option<CMap>,
    budget: &mut Budget,
) -> Font {
    let subtype = dict.get_name(b"Subtype").unwrap_or(b"Type1");
    let is_type3 = subtype == b"Type3";
    let base_font = dict.get_name(b"BaseFont").unwrap_or(b"");
    let descriptor = resolved_dict(doc, dict.get(b"FontDescriptor"));
    let flags = descriptor
        .as_ref()
        .and_then(|d| d.get_int(b"Flags"))
        .unwrap_or(0);
    let symbolic_flag = flags & 4 != 0;
    let standard = standard_font(base_font);
    let embedded = descriptor.as_ref().is_some_and(|d| {
        d.contains(b"FontFile") || d.contains(b"FontFile2") || d.contains(b"FontFile3")
    });

    // The encoding (§9.6.5): a name, or a dictionary of a base and differences.
    let encoding = dict.get(b"Encoding").and_then(|o| doc.resolve(o).ok());
    let (base_name, differences) = match &encoding {
        Some(Object::Name(n)) => (Some(n.as_bytes().to_vec()), None),
        Some(Object::Dictionary(d)) => (
            d.get_name(b"BaseEncoding").map(<[u8]>::to_vec),
            d.get(b"Differences").and_then(|o| doc.resolve(o).ok()),
        ),
        _ => (None, None),
    };
    let mut texts: Vec<String> = match base_name.as_deref().and_then(named_encoding) {
        Some(table) => (0..256).map(|c| base_char(table, c)).collect(),
        None => builtin_encoding(
            doc,
            descriptor.as_ref(),
            standard,
            symbolic_flag,
            embedded,
            budget,
        ),
    };
    // A symbolic TrueType font without an encoding selects glyphs by code through its
    // (3,0) or (1,0) cmap (§9.6.5.4): their Unicode values or names give the text.
    if subtype == b"TrueType"
        && symbolic_flag
        && encoding.is_none()
        && to_unicode.is_none()
        && budget.programs > 0
        && let Some(data) = descriptor
            .as_ref()
            .and_then(|d| d.get(b"FontFile2"))
            .and_then(|o| stream_bytes(doc, o, budget))
    {
        budget.programs -= 1;
        symbolic_truetype_texts(&data, &mut texts);
    }
    // Glyph names by code, for the widths of the standard fonts.
    if let Some(Object::Array(items)) = &differences {
        let mut code: i64 = 0;
        for item in items.iter().take(MAX_WIDTH_ITEMS) {
            match item {
                Object::Integer(i) => code = *i,
                Object::Name(name) => {
                    // An unknown name keeps the base encoding's character.
                    if (0..256).contains(&code)
                        && let Some(text) = glyph_name_to_unicode(name.as_bytes())
                    {
                        texts[code as usize] = text;
                    }
                    code += 1;
                }
                _ => {}
            }
        }
    }

    // Widths (§9.6.2.1): /Widths from /FirstChar, else /MissingWidth; the standard fonts
    // have theirs built in (§9.6.2.2).
    let font_matrix = if is_type3 {
        matrix_of(doc, dict.get(b"FontMatrix")).unwrap_or([0.001, 0.0, 0.0, 0.001, 0.0, 0.0])
    } else {
        [0.001, 0.0, 0.0, 0.001, 0.0, 0.0]
    };
    let scale = font_matrix[0];
    let missing = descriptor
        .as_ref()
        .and_then(|d| d.get(b"MissingWidth"))
        .and_then(number)
        .unwrap_or(0.0);
    let widths_array = dict
        .get(b"Widths")
        .and_then(|o| doc.resolve(o).ok())
        .and_then(|o| match o {
            Object::Array(items) => Some(items),
            _ => None,
        });
    let widths: Vec<f64> = match widths_array {
        Some(items) => {
            let first = dict.get_int(b"FirstChar").unwrap_or(0);
            (0..256i64)
                .map(|code| {
                    let index = code - first;
                    let width = usize::try_from(index)
                        .ok()
                        .and_then(|i| items.get(i))
                        .and_then(|o| {
                            number(o).or_else(|| doc.resolve(o).ok().as_ref().and_then(number))
                        })
                        .unwrap_or(missing);
                    finite_or(width * scale, 0.0)
                })
                .collect()
        }
        None => {
            let font = standard.unwrap_or(HELVETICA);
            let symbol_builtin = matches!(font, SYMBOL | ZAPF_DINGBATS) && base_name.is_none();
            (0..256usize)
                .map(|code| {
                    let by_font = if symbol_builtin {
                        standard_code_width(font, code)
                    } else {
                        standard_width(font, &texts[code], code)
                    };
                    by_font.unwrap_or(if missing > 0.0 { missing * 0.001 } else { 0.0 })
                })
                .collect()
        }
    };

    let (ascent, descent) = if is_type3 {
        type3_extent(doc, dict, &font_matrix)
    } else {
        descriptor_extent(descriptor.as_ref())
    };
    Font {
        kind: Kind::Simple(Box::new(Simple { texts, widths })),
        to_unicode,
        ascent,
        descent,
        vertical: false,
    }
}

fn load_composite<S: Source>(
    doc: &Document<S>,
    dict: &Dictionary,
    to_unicode: Option<CMap>,
    budget: &mut Budget,
) -> Font {
    let encoding = match dict.get(b"Encoding") {
        Some(Object::Name(name)) => predefined_or_identity(name.as_bytes()),
        Some(other) => {
            load_cmap(doc, other, 0, budget).unwrap_or_else(|| predefined_or_identity(b""))
        }
        None => predefined_or_identity(b""),
    };
    let descendant = dict
        .get(b"DescendantFonts")
        .and_then(|o| doc.resolve(o).ok())
        .and_then(|o| match o {
            Object::Array(items) => items.first().cloned(),
            other @ Object::Dictionary(_) => Some(other),
            _ => None,
        })
        .and_then(|o| doc.resolve_dict(&o).ok())
        .unwrap_or_default();
    let default_width = descendant.get(b"DW").and_then(number).unwrap_or(1000.0) * 0.001;
    let widths = descendant
        .get(b"W")
        .and_then(|o| doc.resolve(o).ok())
        .map(|w| cid_widths(doc, &w))
        .unwrap_or_default();
    let default_vertical = descendant
        .get(b"DW2")
        .and_then(|o| doc.resolve(o).ok())
        .and_then(|o| {
            let items = o.as_array()?;
            Some((
                number(items.first()?)? * 0.001,
                number(items.get(1)?)? * 0.001,
            ))
        })
        .unwrap_or((0.88, -1.0));
    let descriptor = resolved_dict(doc, descendant.get(b"FontDescriptor"));
    let (ascent, descent) = descriptor_extent(descriptor.as_ref());
    let vertical = encoding.wmode == 1;
    let program_text = if to_unicode.is_none()
        && !encoding.codes_are_unicode
        && descendant.get_name(b"Subtype") == Some(b"CIDFontType2")
        && budget.programs > 0
    {
        descriptor
            .as_ref()
            .and_then(|d| d.get(b"FontFile2"))
            .and_then(|o| stream_bytes(doc, o, budget))
            .and_then(|data| {
                budget.programs -= 1;
                let texts = truetype_glyph_texts(&data)?;
                let map = match descendant.get(b"CIDToGIDMap") {
                    Some(o @ Object::Reference(_)) => CidToGid::Map(stream_bytes(doc, o, budget)?),
                    _ => CidToGid::Identity,
                };
                Some((map, texts))
            })
    } else {
        None
    };
    Font {
        kind: Kind::Composite(Box::new(Composite {
            encoding,
            widths,
            default_width: finite_or(default_width, 1.0),
            default_vertical,
            program_text,
        })),
        to_unicode,
        ascent,
        descent,
        vertical,
    }
}

/// A predefined CMap; an unknown name decodes two bytes per code as its own CID.
fn predefined_or_identity(name: &[u8]) -> CMap {
    CMap::predefined(name).unwrap_or_else(|| {
        let mut identity = CMap::predefined(b"Identity-H").unwrap_or_default();
        identity.wmode = u8::from(name.ends_with(b"-V"));
        identity
    })
}

/// An embedded CMap stream (§9.7.5.3) and what it uses, by `usecmap` or /UseCMap.
fn load_cmap<S: Source>(
    doc: &Document<S>,
    object: &Object,
    depth: usize,
    budget: &mut Budget,
) -> Option<CMap> {
    let (dict, data) = stream_with_dict(doc, object, budget)?;
    let mut cmap = budget.parse_cmap(&data);
    if let Some(n) = dict.get_int(b"WMode") {
        cmap.wmode = u8::from(n == 1);
    }
    let parent = match dict.get(b"UseCMap") {
        Some(Object::Name(name)) => CMap::predefined(name.as_bytes()),
        Some(other) if depth < MAX_USECMAP_DEPTH => load_cmap(doc, other, depth + 1, budget),
        _ => cmap.use_cmap.as_deref().and_then(CMap::predefined),
    };
    if let Some(parent) = parent {
        cmap.inherit(&parent);
    }
    Some(cmap)
}

/// /W (§9.7.4.3): `c [w1 w2 …]` and `c_first c_last w` entries.
fn cid_widths<S: Source>(doc: &Document<S>, w: &Object) -> Vec<(u32, u32, f64)> {
    let Some(items) = w.as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = 0;
    let cid = |o: &Object| {
        number(o)
            .filter(|v| *v >= 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32)
    };
    while i < items.len() && out.len() < MAX_WIDTH_ITEMS {
        let Some(first) = cid(&items[i]) else {
            i += 1;
            continue;
        };
        let next = items.get(i + 1).map(|o| match o {
            Object::Reference(_) => doc.resolve(o).unwrap_or(Object::Null),
            other => other.clone(),
        });
        match next {
            Some(Object::Array(list)) => {
                for (k, width) in list.iter().take(MAX_WIDTH_ITEMS).enumerate() {
                    if let (Some(c), Some(width)) = (first.checked_add(k as u32), number(width)) {
                        out.push((c, c, finite_or(width * 0.001, 0.0)));
                    }
                }
                i += 2;
            }
            Some(last) => {
                if let (Some(last), Some(width)) = (cid(&last), items.get(i + 2).and_then(number))
                    && last >= first
                {
                    out.push((first, last, finite_or(width * 0.001, 0.0)));
                }
                i += 3;
            }
            None => break,
        }
    }
    out.truncate(MAX_WIDTH_ITEMS);
    out.sort_by_key(|(first, _, _)| *first);
    out
}

/// The font's built-in encoding, when no /Encoding names one (§9.6.5.1): Symbol's and
/// ZapfDingbats' own, an embedded Type 1 program's `/Encoding` array, else
/// StandardEncoding.
fn builtin_encoding<S: Source>(
    doc: &Document<S>,
    descriptor: Option<&Dictionary>,
    standard: Option<usize>,
    symbolic: bool,
    embedded: bool,
    budget: &mut Budget,
) -> Vec<String> {
    if let Some(names) = descriptor
        .and_then(|d| d.get(b"FontFile"))
        .and_then(|o| type1_builtin_encoding(doc, o, budget))
    {
        return names;
    }
    let table = match standard {
        Some(SYMBOL) if !embedded || symbolic => &encodings::SYMBOL,
        Some(ZAPF_DINGBATS) if !embedded || symbolic => &encodings::ZAPF_DINGBATS,
        _ => &encodings::STANDARD,
    };
    (0..256).map(|c| base_char(table, c)).collect()
}

/// Reads `dup CODE /NAME put` from the clear-text part of a Type 1 font program (Adobe
/// Type 1 Font Format §2.3); `None` when it uses StandardEncoding or says nothing.
fn type1_builtin_encoding<S: Source>(
    doc: &Document<S>,
    object: &Object,
    budget: &mut Budget,
) -> Option<Vec<String>> {
    use super::content::{Operand, Token, Tokenizer};
    let data = stream_bytes(doc, object, budget)?;
    let head = &data[..data.len().min(MAX_FONT_PROGRAM_HEAD)];
    let start = memchr::memmem::find(head, b"/Encoding")?;
    let after = &head[start + b"/Encoding".len()..];
    let mut tokens = Tokenizer::new(after);
    let mut texts = vec![String::new(); 256];
    let mut found = false;
    let mut recent: Vec<Operand> = Vec::new();
    for _ in 0..8192 {
        match tokens.next_token() {
            Some(Token::Keyword(b"StandardEncoding")) if !found => return None,
            Some(Token::Keyword(b"put")) => {
                if let [.., Operand::Number(code), Operand::Name(name)] = recent.as_slice()
                    && (0.0..256.0).contains(code)
                {
                    let text = glyph_name_to_unicode(name).unwrap_or_default();
                    texts[*code as usize] = text;
                    found = true;
                }
                recent.clear();
            }
            Some(Token::Keyword(b"def" | b"readonly" | b"eexec")) if found => break,
            Some(Token::Keyword(b"eexec")) => break,
            Some(Token::Keyword(_)) => {}
            Some(Token::Operand(o)) => {
                if recent.len() >= 4 {
                    recent.remove(0);
                }
                recent.push(o);
            }
            None => break,
        }
    }
    found.then_some(texts)
}

/// Characters kept from one font program's cmap (a BMP font needs at most 65,536).
const MAX_PROGRAM_CHARS: usize = 65_536;

/// The text of each glyph of a TrueType program: its Unicode cmap subtables (private-use
/// values left out), else its glyph names (`post`) through the glyph list.
fn truetype_glyph_texts(data: &[u8]) -> Option<GlyphTexts> {
    let face = ttf_parser::Face::parse(data, 0).ok()?;
    let mut texts = GlyphTexts::new();
    if let Some(cmap) = face.tables().cmap {
        for subtable in cmap.subtables {
            if !subtable.is_unicode() {
                continue;
            }
            subtable.codepoints(|cp| {
                if texts.len() >= MAX_PROGRAM_CHARS || (0xE000..=0xF8FF).contains(&cp) {
                    return;
                }
                if let (Some(gid), Some(c)) = (subtable.glyph_index(cp), char::from_u32(cp)) {
                    texts.entry(gid.0).or_insert_with(|| c.to_string());
                }
            });
        }
    }
    for gid in 0..face.number_of_glyphs() {
        if texts.contains_key(&gid) {
            continue;
        }
        if let Some(text) = face
            .glyph_name(ttf_parser::GlyphId(gid))
            .and_then(|name| glyph_name_to_unicode(name.as_bytes()))
        {
            texts.insert(gid, text);
        }
    }
    (!texts.is_empty()).then_some(texts)
}

/// Codes of a symbolic TrueType font to glyphs through its (3,0) cmap (codes at 0xF000 +
/// code, or the code) or its (1,0) cmap (§9.6.5.4), and the glyphs to text.
fn symbolic_truetype_texts(data: &[u8], texts: &mut [String]) {
    let Ok(face) = ttf_parser::Face::parse(data, 0) else {
        return;
    };
    let Some(glyph_texts) = truetype_glyph_texts(data) else {
        return;
    };
    let Some(cmap) = face.tables().cmap else {
        return;
    };
    let subtables: Vec<_> = cmap.subtables.into_iter().collect();
    let symbol = subtables
        .iter()
        .find(|s| s.platform_id == ttf_parser::PlatformId::Windows && s.encoding_id == 0);
    let mac = subtables
        .iter()
        .find(|s| s.platform_id == ttf_parser::PlatformId::Macintosh && s.encoding_id == 0);
    for (code, text) in texts.iter_mut().enumerate() {
        let code = code as u32;
        let gid = symbol
            .and_then(|s| s.glyph_index(0xF000 + code).or_else(|| s.glyph_index(code)))
            .or_else(|| mac.and_then(|s| s.glyph_index(code)));
        if let Some(found) = gid.and_then(|g| glyph_texts.get(&g.0)) {
            *text = found.clone();
        }
    }
}

/// A base encoding by name (§9.6.5, Table 112).
fn named_encoding(name: &[u8]) -> Option<&'static [u16; 256]> {
    match name {
        b"WinAnsiEncoding" => Some(&encodings::WIN_ANSI),
        b"MacRomanEncoding" => Some(&encodings::MAC_ROMAN),
        b"StandardEncoding" => Some(&encodings::STANDARD),
        b"PDFDocEncoding" => Some(&encodings::PDF_DOC),
        // MacExpertEncoding's glyphs (small capitals, old-style figures) have no
        // characters of their own worth more than StandardEncoding's guess.
        b"MacExpertEncoding" => Some(&encodings::STANDARD),
        _ => None,
    }
}

fn base_char(table: &[u16; 256], code: usize) -> String {
    match table[code] {
        0 => String::new(),
        u => char::from_u32(u32::from(u))
            .map(String::from)
            .unwrap_or_default(),
    }
}

/// The Unicode text of a glyph name (Adobe Glyph List Specification, "Mapping a glyph
/// name to a Unicode value"): the AGL; `uniXXXX…` and `uXXXX[XX]`; a suffix after a
/// period dropped; ligature components joined by `_`. Besides, names some producers make
/// from codes: `gXX` (two hex digits) and `cNN` (decimal) are taken as that code's
/// Latin-1 character; `glyphNN`, `cidNN` and `indexNN` name glyphs, not characters: `None`.
pub(crate) fn glyph_name_to_unicode(name: &[u8]) -> Option<String> {
    if name.is_empty() || name.len() > 128 {
        return None;
    }
    if let Some(c) = glyph_list::lookup(name) {
        return Some(c.to_string());
    }
    let base = match memchr::memchr(b'.', name) {
        Some(0) => return None,
        Some(i) => &name[..i],
        None => name,
    };
    if base.contains(&b'_') {
        let mut text = String::new();
        for part in base.split(|&b| b == b'_') {
            text.push_str(&component_to_unicode(part)?);
        }
        return Some(text);
    }
    component_to_unicode(base)
}

fn component_to_unicode(name: &[u8]) -> Option<String> {
    if let Some(c) = glyph_list::lookup(name) {
        return Some(c.to_string());
    }
    let text = std::str::from_utf8(name).ok()?;
    let is_hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(hex) = text.strip_prefix("uni")
        && hex.len() % 4 == 0
        && is_hex(hex)
    {
        let units: Vec<u16> = (0..hex.len() / 4)
            .filter_map(|i| u16::from_str_radix(&hex[4 * i..4 * i + 4], 16).ok())
            .collect();
        return String::from_utf16(&units).ok();
    }
    if let Some(hex) = text.strip_prefix('u')
        && (4..=6).contains(&hex.len())
        && is_hex(hex)
    {
        let value = u32::from_str_radix(hex, 16).ok()?;
        return char::from_u32(value).map(String::from);
    }
    let code = if let Some(hex) = text.strip_prefix(['g', 'G'])
        && hex.len() == 2
        && is_hex(hex)
    {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = text.strip_prefix(['c', 'C'])
        && (2..=3).contains(&dec.len())
        && dec.bytes().all(|b| b.is_ascii_digit())
    {
        dec.parse::<u32>().ok()
    } else {
        None
    };
    code.filter(|c| (32..256).contains(c) && *c != 127)
        .and_then(char::from_u32)
        .map(String::from)
}

/// Which of the 14 standard fonts a /BaseFont is, or is metric-compatible with (§9.6.2.2):
/// Helvetica and Arial, Times and Times New Roman, Courier and Courier New, Symbol,
/// ZapfDingbats; a subset prefix (`ABCDEF+`) and the style suffixes (`,Bold`, `-BoldMT`,
/// `-Oblique`, `-Italic`) are understood.
pub(crate) fn standard_font(base_font: &[u8]) -> Option<usize> {
    let name = strip_subset_prefix(base_font);
    let lower: String = String::from_utf8_lossy(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let family = if lower.starts_with("helvetica") || lower.starts_with("arial") {
        HELVETICA
    } else if lower.starts_with("times") {
        TIMES
    } else if lower.starts_with("courier") {
        COURIER
    } else if lower.starts_with("symbol") {
        return Some(SYMBOL);
    } else if lower.starts_with("zapfdingbats") || lower == "dingbats" {
        return Some(ZAPF_DINGBATS);
    } else {
        return None;
    };
    let bold = lower.contains("bold") || lower.contains("black") || lower.contains("heavy");
    let italic = lower.contains("italic") || lower.contains("oblique");
    Some(family + usize::from(bold) + 2 * usize::from(italic))
}

/// `ABCDEF+Name` → `Name` (§9.9.2, subset fonts).
pub(crate) fn strip_subset_prefix(name: &[u8]) -> &[u8] {
    if name.len() > 7 && name[6] == b'+' && name[..6].iter().all(u8::is_ascii_uppercase) {
        &name[7..]
    } else {
        name
    }
}

/// A standard Latin font's width for a code whose text is `text`.
fn standard_width(font: usize, text: &str, code: usize) -> Option<f64> {
    let metrics = standard14::FONTS.get(font)?;
    if metrics.code_widths.is_some() {
        return standard_code_width(font, code);
    }
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    let key = u16::try_from(u32::from(c)).ok()?;
    let i = standard14::LATIN_KEYS.binary_search(&key).ok()?;
    match metrics.widths.get(i) {
        Some(0) | None => None,
        Some(w) => Some(f64::from(*w) * 0.001),
    }
}

fn standard_code_width(font: usize, code: usize) -> Option<f64> {
    let table = standard14::FONTS.get(font)?.code_widths?;
    match table.get(code) {
        Some(0) | None => None,
        Some(w) => Some(f64::from(*w) * 0.001),
    }
}

/// /Ascent and /Descent of a font descriptor (§9.8.1) in em, when they make sense.
fn descriptor_extent(descriptor: Option<&Dictionary>) -> (f64, f64) {
    let get = |key: &[u8]| descriptor.and_then(|d| d.get(key)).and_then(number);
    let ascent = get(b"Ascent")
        .map(|a| a * 0.001)
        .filter(|a| *a > 0.2 && *a <= 2.5)
        .unwrap_or(DEFAULT_ASCENT);
    let descent = get(b"Descent")
        .map(|d| -(d * 0.001).abs())
        .filter(|d| *d < 0.0 && *d >= -1.5)
        .unwrap_or(DEFAULT_DESCENT);
    (ascent, descent)
}

/// A Type 3 font's vertical extent from /FontBBox through /FontMatrix (§9.6.4).
fn type3_extent<S: Source>(doc: &Document<S>, dict: &Dictionary, matrix: &[f64; 6]) -> (f64, f64) {
    let bbox = dict
        .get(b"FontBBox")
        .and_then(|o| doc.resolve(o).ok())
        .and_then(|o| {
            let items = o.as_array()?;
            let v: Vec<f64> = items.iter().filter_map(number).collect();
            (v.len() == 4).then(|| (v[1], v[3]))
        });
    if let Some((y0, y1)) = bbox {
        let (a, b) = (y0 * matrix[3], y1 * matrix[3]);
        let (low, high) = (a.min(b), a.max(b));
        if high > low && high - low <= 3.0 && high > 0.0 && low.is_finite() && high.is_finite() {
            return (high, low.min(0.0));
        }
    }
    (DEFAULT_ASCENT, DEFAULT_DESCENT)
}

fn matrix_of<S: Source>(doc: &Document<S>, object: Option<&Object>) -> Option<[f64; 6]> {
    let object = doc.resolve(object?).ok()?;
    let items = object.as_array()?;
    let values: Vec<f64> = items.iter().filter_map(number).collect();
    let m: [f64; 6] = values.try_into().ok()?;
    m.iter().all(|v| v.is_finite()).then_some(m)
}

fn finite_or(value: f64, default: f64) -> f64 {
    if value.is_finite() { value } else { default }
}

fn resolved_dict<S: Source>(doc: &Document<S>, object: Option<&Object>) -> Option<Dictionary> {
    doc.resolve_dict(object?).ok()
}

/// A stream's decoded bytes, for a reference to a stream object.
fn stream_bytes<S: Source>(
    doc: &Document<S>,
    object: &Object,
    budget: &mut Budget,
) -> Option<Vec<u8>> {
    stream_with_dict(doc, object, budget).map(|(_, data)| data)
}

fn stream_with_dict<S: Source>(
    doc: &Document<S>,
    object: &Object,
    budget: &mut Budget,
) -> Option<(Dictionary, Vec<u8>)> {
    if budget.stream_bytes == 0 {
        return None;
    }
    let id: ObjectId = object.as_reference()?;
    let Loaded::Stream(stream) = doc.load(id).ok()? else {
        return None;
    };
    let data = doc.stream_data(id, &stream).ok()?;
    budget.stream_bytes = budget.stream_bytes.checked_sub(data.len())?;
    Some((stream.dict, data))
}

/// What the fonts of one page may read in all: a hostile page cannot make each of its
/// hundreds of fonts parse a CMap of the largest size.
#[derive(Debug)]
pub(crate) struct Budget {
    /// CMap entries (single codes, ranges, array items), ToUnicode and encoding CMaps.
    pub cmap_entries: usize,
    /// Decoded bytes of font streams: CMaps, font programs, /CIDToGIDMap.
    pub stream_bytes: usize,
    /// Embedded font programs parsed for text that neither /ToUnicode nor the encoding
    /// gives (each may cost a pass over a large cmap).
    pub programs: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            cmap_entries: 1_000_000,
            stream_bytes: 128 * 1024 * 1024,
            programs: 16,
        }
    }
}

impl Budget {
    fn parse_cmap(&mut self, data: &[u8]) -> CMap {
        let cmap = CMap::parse_bounded(data, self.cmap_entries);
        self.cmap_entries = self.cmap_entries.saturating_sub(cmap.entries());
        cmap
    }
}

/// Fonts read for one page at most; more share the fallback font.
const MAX_FONTS: usize = 512;

/// Fonts of one page, read once each.
#[derive(Default)]
pub(crate) struct FontCache {
    fonts: HashMap<FontKey, std::rc::Rc<Font>>,
    budget: Budget,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FontKey {
    /// A font dictionary that is an indirect object.
    Object(ObjectId),
    /// A direct font dictionary: the resources it sits in, and its name there.
    Direct(u64, Vec<u8>),
}

impl FontCache {
    /// The font of `key`, read from `object` the first time; `fallback` for what is not
    /// a font dictionary and past [`MAX_FONTS`].
    pub fn get<S: Source>(
        &mut self,
        doc: &Document<S>,
        key: FontKey,
        object: &Object,
        fallback: &std::rc::Rc<Font>,
    ) -> std::rc::Rc<Font> {
        if let Some(font) = self.fonts.get(&key) {
            return font.clone();
        }
        if self.fonts.len() >= MAX_FONTS {
            return fallback.clone();
        }
        let font = match doc.resolve_dict(object) {
            Ok(dict) => std::rc::Rc::new(Font::load(doc, &dict, &mut self.budget)),
            Err(_) => fallback.clone(),
        };
        self.fonts.insert(key, font.clone());
        font
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names() {
        let u = |n: &str| glyph_name_to_unicode(n.as_bytes());
        assert_eq!(u("A").as_deref(), Some("A"));
        assert_eq!(u("Adotbelow").as_deref(), Some("Ạ"));
        assert_eq!(u("uni1EC5").as_deref(), Some("ễ"));
        assert_eq!(u("uni00660069").as_deref(), Some("fi"));
        assert_eq!(u("u1D400").as_deref(), Some("\u{1D400}"));
        assert_eq!(u("f_f_i").as_deref(), Some("ffi"));
        assert_eq!(u("a.sc").as_deref(), Some("a"));
        assert_eq!(u("g41").as_deref(), Some("A"));
        assert_eq!(u("c65").as_deref(), Some("A"));
        assert_eq!(u("glyph12"), None);
        assert_eq!(u("cid1234"), None);
        assert_eq!(u(".notdef"), None);
    }

    #[test]
    fn standard_font_names() {
        assert_eq!(standard_font(b"Helvetica"), Some(0));
        assert_eq!(standard_font(b"ABCDEF+Arial,BoldItalic"), Some(3));
        assert_eq!(standard_font(b"Arial-BoldMT"), Some(1));
        assert_eq!(standard_font(b"TimesNewRomanPS-ItalicMT"), Some(6));
        assert_eq!(standard_font(b"Times-Roman"), Some(4));
        assert_eq!(standard_font(b"CourierNew"), Some(8));
        assert_eq!(standard_font(b"Courier-BoldOblique"), Some(11));
        assert_eq!(standard_font(b"Symbol"), Some(12));
        assert_eq!(standard_font(b"ZapfDingbats"), Some(13));
        assert_eq!(standard_font(b"LiberationSerif"), None);
    }

    #[test]
    fn standard_widths() {
        assert_eq!(standard_width(HELVETICA, "A", 65), Some(0.667));
        assert_eq!(standard_width(HELVETICA, " ", 32), Some(0.278));
        assert_eq!(standard_width(TIMES, "a", 97), Some(0.444));
        assert_eq!(standard_width(COURIER, "é", 0xE9), Some(0.6));
        assert_eq!(standard_code_width(SYMBOL, 0x61), Some(0.631));
    }
}
