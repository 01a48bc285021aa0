//! Fonts for appearance text: a TrueType/OpenType font's metrics, and the subset of it a
//! document uses, embedded as a composite font (ISO 32000-2 §9.7): a Type0 font with the
//! Identity-H encoding over a CIDFontType2 descendant whose CIDs are the subset's glyph ids,
//! with a ToUnicode CMap (§9.10.3) so that the text can be extracted, searched and read
//! aloud.
//!
//! Text is NFC-normalised before use: Vietnamese typed with combining marks ("ê" + U+0301)
//! is drawn with the font's precomposed glyphs ("ế") and extracts as NFC. There is no
//! shaping (no kerning, ligatures or mark positioning): one character is one glyph, advanced
//! by its `hmtx` width, which is what a `Tj` of the encoded string draws.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};
use unicode_normalization::UnicodeNormalization;

use super::AppearanceError;
use crate::geometry::real;
use crate::object::{Dictionary, Object, ObjectId, PdfString};
use crate::source::Source;
use crate::update::IncrementalUpdate;

static LIBERATION_SERIF: &[u8] =
    include_bytes!("../../../../assets/fonts/LiberationSerif-Regular.ttf");
static LIBERATION_SERIF_BOLD: &[u8] =
    include_bytes!("../../../../assets/fonts/LiberationSerif-Bold.ttf");

/// Font descriptor flags (§9.8.2, Table 121).
const FLAG_FIXED_PITCH: i64 = 1;
const FLAG_SERIF: i64 = 1 << 1;
const FLAG_NONSYMBOLIC: i64 = 1 << 5;
const FLAG_ITALIC: i64 = 1 << 6;

/// bfchar entries per `beginbfchar` block: at most 100 (§9.10.3, Adobe Technical Note #5411).
const BFCHAR_CHUNK: usize = 100;

/// A parsed TrueType or OpenType font, with the metrics a text layout needs.
///
/// The font is parsed once, when the value is made; every query reads the parsed tables.
#[derive(Clone)]
pub struct Font {
    data: &'static [u8],
    face: Face<'static>,
    name: String,
    flags: i64,
    stem_v: f64,
}

impl fmt::Debug for Font {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Font")
            .field("name", &self.name)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl Font {
    /// Liberation Serif Regular (SIL OFL 1.1, `assets/fonts/`): Times New Roman's metrics,
    /// with every Vietnamese letter.
    pub fn liberation_serif() -> Font {
        // The bundled file is a constant, checked by the tests: it always parses.
        Font::from_static(LIBERATION_SERIF).expect("the bundled Liberation Serif parses")
    }

    /// Liberation Serif Bold (SIL OFL 1.1, `assets/fonts/`).
    pub fn liberation_serif_bold() -> Font {
        Font::from_static(LIBERATION_SERIF_BOLD).expect("the bundled Liberation Serif parses")
    }

    /// Parses a TrueType or OpenType font file (the first face of a collection). A font
    /// whose `OS/2` `fsType` forbids embedding or subsetting is refused
    /// (`FONT_NOT_EMBEDDABLE`).
    pub fn from_static(data: &'static [u8]) -> Result<Font, AppearanceError> {
        let face =
            Face::parse(data, 0).map_err(|e| AppearanceError::FontUnreadable(e.to_string()))?;
        let name = postscript_name(&face);
        if let Some(os2) = face.tables().os2 {
            let restricted = os2.permissions() == Some(ttf_parser::Permissions::Restricted);
            if restricted || !os2.is_subsetting_allowed() || !os2.is_outline_embedding_allowed() {
                return Err(AppearanceError::FontNotEmbeddable { font: name });
            }
        }
        if face.units_per_em() == 0 {
            return Err(AppearanceError::FontUnreadable("unitsPerEm is 0".into()));
        }
        let mut flags = FLAG_NONSYMBOLIC;
        if face.is_monospaced() {
            flags |= FLAG_FIXED_PITCH;
        }
        if is_serif(&face) {
            flags |= FLAG_SERIF;
        }
        if face.is_italic() {
            flags |= FLAG_ITALIC;
        }
        // TrueType fonts do not record their stem width; this is the usual estimate from the
        // weight class (400 → 95, 700 → 169), in glyph space units.
        let stem_v = 10.0 + 0.244 * (f64::from(face.weight().to_number()) - 50.0);
        Ok(Font {
            data,
            face,
            name,
            flags,
            stem_v,
        })
    }

    /// The PostScript name (`name` ID 6), e.g. "LiberationSerif-Bold".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Font units per em (`head.unitsPerEm`), never 0.
    pub fn units_per_em(&self) -> u16 {
        self.face.units_per_em()
    }

    /// Ascent in font units: `OS/2` typo ascender when `USE_TYPO_METRICS` is set, else hhea's.
    pub fn ascent(&self) -> i16 {
        self.face.ascender()
    }

    /// Descent in font units, negative below the baseline (same source as [`Font::ascent`]).
    pub fn descent(&self) -> i16 {
        self.face.descender()
    }

    /// Line gap in font units (same source as [`Font::ascent`]).
    pub fn line_gap(&self) -> i16 {
        self.face.line_gap()
    }

    /// Height of capital letters in font units: `OS/2.sCapHeight`, else the top of "H",
    /// else the ascent.
    pub fn cap_height(&self) -> i16 {
        self.face
            .capital_height()
            .filter(|h| *h > 0)
            .or_else(|| {
                let h = self.face.glyph_index('H')?;
                Some(self.face.glyph_bounding_box(h)?.y_max)
            })
            .unwrap_or_else(|| self.ascent())
    }

    /// Baseline-to-baseline distance for `size` points: ascent − descent + line gap.
    pub fn line_height(&self, size: f64) -> f64 {
        let units =
            i32::from(self.ascent()) - i32::from(self.descent()) + i32::from(self.line_gap());
        f64::from(units) * size / f64::from(self.units_per_em())
    }

    /// The advance width, in points, of `text` (NFC-normalised) at `size` points, as a `Tj`
    /// of [`FontUse::encode`]'s bytes draws it. A character without a glyph is an error.
    pub fn width(&self, text: &str, size: f64) -> Result<f64, AppearanceError> {
        let mut units: u64 = 0;
        for ch in text.nfc() {
            units += u64::from(self.advance(self.glyph(ch)?));
        }
        Ok(units as f64 * size / f64::from(self.units_per_em()))
    }

    /// The glyph of `ch` from the font's `cmap`, or `FONT_MISSING_GLYPH`. The `.notdef`
    /// glyph and ids past `maxp.numGlyphs` count as missing.
    pub fn glyph(&self, ch: char) -> Result<u16, AppearanceError> {
        match self.face.glyph_index(ch) {
            Some(GlyphId(id)) if id != 0 && id < self.face.number_of_glyphs() => Ok(id),
            _ => Err(AppearanceError::MissingGlyph {
                ch,
                font: self.name.clone(),
            }),
        }
    }

    /// Whether every character of `text` (NFC-normalised) has a glyph.
    pub fn covers(&self, text: &str) -> bool {
        text.nfc().all(|ch| self.glyph(ch).is_ok())
    }

    /// A glyph's advance in font units (`hmtx`).
    fn advance(&self, glyph: u16) -> u16 {
        self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0)
    }

    /// Font units to glyph space units (1000 per em, §9.2.4).
    fn to_glyph_space(&self, units: f64) -> f64 {
        units * 1000.0 / f64::from(self.units_per_em())
    }
}

/// `OS/2.sFamilyClass` classes 1–5 and 7 are serif designs (OpenType spec, "IBM font
/// class"); fonts without the table are taken as sans serif.
fn is_serif(face: &Face<'_>) -> bool {
    let Some(os2) = face.raw_face().table(ttf_parser::Tag::from_bytes(b"OS/2")) else {
        return false;
    };
    // sFamilyClass is the int16 at offset 30; its high byte is the class.
    matches!(os2.get(30), Some(1..=5 | 7))
}

/// The PostScript name, kept to what a PDF name holds without escapes.
fn postscript_name(face: &Face<'_>) -> String {
    let raw = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| {
            n.to_string().or_else(|| {
                n.name
                    .is_ascii()
                    .then(|| String::from_utf8_lossy(n.name).into())
            })
        })
        .unwrap_or_default();
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
        .take(63)
        .collect();
    if clean.is_empty() {
        "Font".into()
    } else {
        clean
    }
}

/// The glyphs of one font that one document uses: text is encoded through it, then it is
/// written once as a subset font (§9.9, §9.6.4).
pub struct FontUse<'f> {
    font: &'f Font,
    remapper: GlyphRemapper,
    /// For each CID (the glyph's id in the subset): the font's glyph id and the text it
    /// stands for.
    glyphs: BTreeMap<u16, (u16, String)>,
}

impl<'f> FontUse<'f> {
    pub fn new(font: &'f Font) -> FontUse<'f> {
        FontUse {
            font,
            remapper: GlyphRemapper::new(),
            glyphs: BTreeMap::new(),
        }
    }

    pub fn font(&self) -> &'f Font {
        self.font
    }

    /// Whether no text was encoded yet.
    pub fn is_empty(&self) -> bool {
        self.glyphs.is_empty()
    }

    /// The bytes of a string operand for `Tj` showing `text` (NFC-normalised) in this font
    /// with Identity-H: one 2-byte big-endian CID per character (§9.7.6.2). On a missing
    /// glyph nothing is added to the subset.
    ///
    /// Each glyph's ToUnicode entry is the first character it was used for: a font that maps
    /// two characters to one glyph extracts the first for both.
    pub fn encode(&mut self, text: &str) -> Result<Vec<u8>, AppearanceError> {
        let glyphs = text
            .nfc()
            .map(|ch| Ok((ch, self.font.glyph(ch)?)))
            .collect::<Result<Vec<(char, u16)>, AppearanceError>>()?;
        let mut bytes = Vec::with_capacity(glyphs.len() * 2);
        for (ch, glyph) in glyphs {
            // At most numGlyphs distinct ids (< 65536) are remapped: the counter cannot overflow.
            let cid = self.remapper.remap(glyph);
            self.glyphs
                .entry(cid)
                .or_insert_with(|| (glyph, ch.to_string()));
            bytes.extend_from_slice(&cid.to_be_bytes());
        }
        Ok(bytes)
    }

    /// The subset tag (§9.6.4): six capital letters derived from the glyphs used and their
    /// order, so that the same text gives the same tag and another subset another one.
    pub fn subset_tag(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.font.name.as_bytes());
        for old in self.remapper.remapped_gids() {
            hash.update(old.to_be_bytes());
        }
        hash.finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    /// Writes the font as new objects of `update` and returns the Type0 font dictionary's id,
    /// for a page's or an appearance's `/Resources /Font`: the Type0 font (§9.7.6.1), its
    /// CIDFontType2 descendant (§9.7.4) with the widths of the CIDs used, the font descriptor
    /// (§9.8) with the subset as `/FontFile2` (§9.9), and the ToUnicode CMap (§9.10.3).
    pub fn write<S: Source>(
        self,
        update: &mut IncrementalUpdate<'_, S>,
    ) -> Result<ObjectId, AppearanceError> {
        let font = self.font;
        let subset = subsetter::subset(font.data, 0, &self.remapper).map_err(|e| {
            AppearanceError::FontSubset {
                font: font.name.clone(),
                reason: e.to_string(),
            }
        })?;
        let base_font = format!("{}+{}", self.subset_tag(), font.name);

        let mut file = Dictionary::new();
        file.set(b"Length1", Object::Integer(subset.len() as i64));
        let font_file = update.add_deflated_stream(file, &subset);

        let face = &font.face;
        let bbox = face.global_bounding_box();
        let gs = |units: i16| real(font.to_glyph_space(f64::from(units)));
        let mut descriptor = Dictionary::new();
        descriptor.set(b"Type", Object::name(b"FontDescriptor"));
        descriptor.set(b"FontName", Object::name(base_font.as_bytes()));
        descriptor.set(b"Flags", Object::Integer(font.flags));
        descriptor.set(
            b"FontBBox",
            Object::Array(vec![
                gs(bbox.x_min),
                gs(bbox.y_min),
                gs(bbox.x_max),
                gs(bbox.y_max),
            ]),
        );
        descriptor.set(b"ItalicAngle", real(f64::from(face.italic_angle())));
        descriptor.set(b"Ascent", gs(font.ascent()));
        descriptor.set(b"Descent", gs(font.descent()));
        descriptor.set(b"CapHeight", gs(font.cap_height()));
        descriptor.set(b"StemV", real(font.stem_v.round()));
        descriptor.set(b"FontFile2", font_file);
        let descriptor = update.add(Object::Dictionary(descriptor));

        let mut system_info = Dictionary::new();
        system_info.set(b"Registry", PdfString::literal(b"Adobe".to_vec()));
        system_info.set(b"Ordering", PdfString::literal(b"Identity".to_vec()));
        system_info.set(b"Supplement", Object::Integer(0));
        let mut cid_font = Dictionary::new();
        cid_font.set(b"Type", Object::name(b"Font"));
        cid_font.set(b"Subtype", Object::name(b"CIDFontType2"));
        cid_font.set(b"BaseFont", Object::name(base_font.as_bytes()));
        cid_font.set(b"CIDSystemInfo", system_info);
        cid_font.set(b"FontDescriptor", descriptor);
        cid_font.set(b"DW", real(font.to_glyph_space(f64::from(font.advance(0)))));
        cid_font.set(b"W", self.widths());
        cid_font.set(b"CIDToGIDMap", Object::name(b"Identity"));
        let cid_font = update.add(Object::Dictionary(cid_font));

        let to_unicode = update.add_deflated_stream(Dictionary::new(), &self.to_unicode_cmap());

        let mut type0 = Dictionary::new();
        type0.set(b"Type", Object::name(b"Font"));
        type0.set(b"Subtype", Object::name(b"Type0"));
        type0.set(b"BaseFont", Object::name(base_font.as_bytes()));
        type0.set(b"Encoding", Object::name(b"Identity-H"));
        type0.set(b"DescendantFonts", Object::Array(vec![cid_font.into()]));
        type0.set(b"ToUnicode", to_unicode);
        Ok(update.add(Object::Dictionary(type0)))
    }

    /// `/W` (§9.7.4.3): for each run of consecutive CIDs, `c [w1 w2 …]`.
    fn widths(&self) -> Object {
        let mut array = Vec::new();
        let mut run: Vec<Object> = Vec::new();
        let mut run_start = 0u16;
        let mut previous: Option<u16> = None;
        for (&cid, &(glyph, _)) in &self.glyphs {
            if previous.is_none_or(|p| p.checked_add(1) != Some(cid)) {
                if !run.is_empty() {
                    array.push(Object::Integer(i64::from(run_start)));
                    array.push(Object::Array(std::mem::take(&mut run)));
                }
                run_start = cid;
            }
            let advance = self.font.advance(glyph);
            run.push(real(self.font.to_glyph_space(f64::from(advance))));
            previous = Some(cid);
        }
        if !run.is_empty() {
            array.push(Object::Integer(i64::from(run_start)));
            array.push(Object::Array(run));
        }
        Object::Array(array)
    }

    /// The ToUnicode CMap (§9.10.3; Adobe Technical Note #5411): each CID used to its text in
    /// UTF-16BE, supplementary characters as surrogate pairs.
    pub fn to_unicode_cmap(&self) -> Vec<u8> {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n\
             12 dict begin\n\
             begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n\
             /CMapType 2 def\n\
             1 begincodespacerange\n\
             <0000> <FFFF>\n\
             endcodespacerange\n",
        );
        let entries: Vec<(&u16, &String)> = self.glyphs.iter().map(|(c, (_, t))| (c, t)).collect();
        for chunk in entries.chunks(BFCHAR_CHUNK) {
            out.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (cid, text) in chunk {
                out.push_str(&format!("<{cid:04X}> <"));
                for unit in text.encode_utf16() {
                    out.push_str(&format!("{unit:04X}"));
                }
                out.push_str(">\n");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str(
            "endcmap\n\
             CMapName currentdict /CMap defineresource pop\n\
             end\n\
             end\n",
        );
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_fonts_parse_with_sane_metrics() {
        let regular = Font::liberation_serif();
        assert_eq!(regular.name(), "LiberationSerif");
        assert_eq!(regular.units_per_em(), 2048);
        assert!(regular.ascent() > 1500 && regular.descent() < -300);
        assert_eq!(regular.cap_height(), 1341);
        assert_eq!(regular.flags, FLAG_NONSYMBOLIC | FLAG_SERIF);
        let bold = Font::liberation_serif_bold();
        assert_eq!(bold.name(), "LiberationSerif-Bold");
        assert!(bold.stem_v > regular.stem_v);
        // Times New Roman metrics: "n" is 1024 units (half an em) in Liberation Serif.
        assert_eq!(regular.width("n", 12.0).unwrap(), 6.0);
        assert!((regular.line_height(10.0) - 11.499).abs() < 0.01);
    }

    #[test]
    fn width_normalises_and_reports_missing_glyphs() {
        let font = Font::liberation_serif();
        let nfc = font.width("Nguyễn", 10.0).unwrap();
        let nfd = font.width("Nguye\u{0302}\u{0303}n", 10.0).unwrap();
        assert_eq!(nfc, nfd);
        let err = font.width("Hà Nội 中", 10.0).unwrap_err();
        assert_eq!(err.code(), "FONT_MISSING_GLYPH");
        assert!(matches!(
            err,
            AppearanceError::MissingGlyph { ch: '中', .. }
        ));
        assert!(!font.covers("中") && font.covers("Đà Nẵng"));
    }

    #[test]
    fn encode_gives_cids_in_first_use_order_and_a_cmap() {
        let font = Font::liberation_serif();
        let mut usage = FontUse::new(&font);
        assert_eq!(usage.encode("ab").unwrap(), vec![0, 1, 0, 2]);
        assert!(usage.encode("ba𝐀").is_err());
        // The failed call added nothing.
        assert_eq!(usage.encode("bả").unwrap(), vec![0, 2, 0, 3]);
        let cmap = String::from_utf8(usage.to_unicode_cmap()).unwrap();
        assert!(cmap.contains("3 beginbfchar\n<0001> <0061>\n<0002> <0062>\n<0003> <1EA3>\n"));
        let tag = usage.subset_tag();
        assert_eq!(tag.len(), 6);
        assert!(tag.bytes().all(|b| b.is_ascii_uppercase()));
    }

    #[test]
    fn cmap_writes_surrogates_and_chunks_of_100() {
        let font = Font::liberation_serif();
        let mut usage = FontUse::new(&font);
        for cid in 1..=150u16 {
            usage.glyphs.insert(cid, (cid, "a".into()));
        }
        usage.glyphs.insert(151, (151, "\u{1D400}".into()));
        let cmap = String::from_utf8(usage.to_unicode_cmap()).unwrap();
        assert!(cmap.contains("100 beginbfchar\n<0001> <0061>\n"));
        assert!(cmap.contains("51 beginbfchar\n<0065> <0061>\n"));
        assert!(cmap.contains("<0097> <D835DC00>\nendbfchar\nendcmap\n"));
        assert_eq!(cmap.matches("beginbfchar").count(), 2);
    }
}
