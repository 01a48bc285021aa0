//! The part of the content stream interpreter that text needs (ISO 32000-2 §8.4, §9.3, §9.4):
//! the graphics state stack, the CTM, the text state and text matrices, the text showing
//! operators, and Form XObjects (§8.10). Paths, colours, images and marked content are
//! skipped. Every glyph shown becomes a `RawChar` in default user space.
//!
//! Hostile content is bounded: [`MAX_OPERATORS`] operators and [`MAX_CHARS`] glyphs per
//! page, [`MAX_SCANNED`] content bytes read in all, a `q` stack of [`MAX_STACK`], Form
//! XObjects nested [`MAX_FORM_DEPTH`] deep at most and never inside themselves. Past a
//! limit the page stops there, with the text found so far.

use std::collections::HashMap;
use std::rc::Rc;

use super::content::{MAX_OPERANDS, Operand, Token, Tokenizer};
use super::font::{Font, FontCache, FontKey};
use crate::document::{Document, Loaded};
use crate::error::{PdfError, Result};
use crate::geometry::number;
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;

/// Operators interpreted per page, Form XObjects included.
pub const MAX_OPERATORS: usize = 1_000_000;
/// Glyphs kept per page: a dense page of small print holds some 10,000; each kept glyph
/// costs a few hundred bytes, so this bounds a page's text to tens of MB whatever repeats
/// its Form XObjects.
pub const MAX_CHARS: usize = 100_000;
/// Depth of the graphics state stack (`q`).
pub const MAX_STACK: usize = 64;
/// Form XObjects inside Form XObjects.
pub const MAX_FORM_DEPTH: usize = 12;
/// Content bytes tokenized per page, counting a Form XObject each time it is drawn.
pub const MAX_SCANNED: usize = 512 * 1024 * 1024;
/// Decoded Form XObject content kept for reuse on one page.
const FORM_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Streams of one page's /Contents array read at most.
const MAX_CONTENT_PARTS: usize = 100_000;
/// Tokens read in an inline image dictionary before `ID`.
const MAX_INLINE_IMAGE_KEYS: usize = 256;

/// An affine matrix `[a b c d e f]` (§8.3.4).
pub(crate) type Matrix = [f64; 6];

pub(crate) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m1 × m2`: first `m1`, then `m2`.
pub(crate) fn multiply(m1: &Matrix, m2: &Matrix) -> Matrix {
    [
        m1[0] * m2[0] + m1[1] * m2[2],
        m1[0] * m2[1] + m1[1] * m2[3],
        m1[2] * m2[0] + m1[3] * m2[2],
        m1[2] * m2[1] + m1[3] * m2[3],
        m1[4] * m2[0] + m1[5] * m2[2] + m2[4],
        m1[4] * m2[1] + m1[5] * m2[3] + m2[5],
    ]
}

pub(crate) fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn apply_linear(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y, m[1] * x + m[3] * y)
}

/// One glyph as drawn, in default user space.
#[derive(Debug, Clone)]
pub(crate) struct RawChar {
    pub text: String,
    /// The glyph box's corners: advance × descent..ascent, through the text rendering matrix.
    pub corners: [(f64, f64); 4],
    /// Where the glyph starts on its baseline (text rise not counted).
    pub origin: (f64, f64),
    /// Where its advance ends on the baseline (character and word spacing not counted).
    pub end: (f64, f64),
    /// The unit vector of the writing direction.
    pub dir: (f64, f64),
    /// The font size in user space units.
    pub size: f64,
}

#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    char_spacing: f64,
    word_spacing: f64,
    /// Horizontal scaling as a factor (Tz / 100).
    scale: f64,
    leading: f64,
    font: Option<Rc<Font>>,
    size: f64,
    rise: f64,
}

impl GraphicsState {
    fn new(ctm: Matrix) -> Self {
        GraphicsState {
            ctm,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            font: None,
            size: 0.0,
            rise: 0.0,
        }
    }
}

/// A resource dictionary's fonts and XObjects (§7.8.3).
struct Resources {
    /// Tells direct font dictionaries of different resources apart in the font cache.
    serial: u64,
    fonts: Option<Dictionary>,
    xobjects: Option<Dictionary>,
}

pub(crate) struct Interpreter<'d, S: Source> {
    doc: &'d Document<S>,
    fonts: FontCache,
    fallback_font: Rc<Font>,
    pub chars: Vec<RawChar>,
    operators_left: usize,
    scan_left: usize,
    next_serial: u64,
    /// Form XObjects being drawn, outermost first.
    forms: Vec<ObjectId>,
    form_cache: HashMap<ObjectId, Rc<Vec<u8>>>,
    form_cache_bytes: usize,
    /// A limit was reached: nothing more is interpreted.
    pub stopped: bool,
    gs: GraphicsState,
    stack: Vec<GraphicsState>,
    /// `q` beyond [`MAX_STACK`]: counted, so that their `Q` pop nothing.
    stack_overflow: usize,
    tm: Matrix,
    tlm: Matrix,
}

impl<'d, S: Source> Interpreter<'d, S> {
    pub fn new(doc: &'d Document<S>) -> Self {
        Interpreter {
            doc,
            fonts: FontCache::default(),
            fallback_font: Rc::new(Font::fallback()),
            chars: Vec::new(),
            operators_left: MAX_OPERATORS,
            scan_left: MAX_SCANNED,
            next_serial: 0,
            forms: Vec::new(),
            form_cache: HashMap::new(),
            form_cache_bytes: 0,
            stopped: false,
            gs: GraphicsState::new(IDENTITY),
            stack: Vec::new(),
            stack_overflow: 0,
            tm: IDENTITY,
            tlm: IDENTITY,
        }
    }

    /// Interprets a page's content (already decoded and joined) with its resources.
    pub fn run_page(&mut self, content: &[u8], resources: Option<&Object>) {
        let resources = self.resources(resources);
        self.run(content, &resources, 0);
    }

    fn resources(&mut self, object: Option<&Object>) -> Resources {
        self.next_serial += 1;
        let dict = object.and_then(|o| self.doc.resolve_dict(o).ok());
        let sub = |key: &[u8]| {
            dict.as_ref()
                .and_then(|d| d.get(key))
                .and_then(|o| self.doc.resolve_dict(o).ok())
        };
        Resources {
            serial: self.next_serial,
            fonts: sub(b"Font"),
            xobjects: sub(b"XObject"),
        }
    }

    fn run(&mut self, content: &[u8], resources: &Resources, depth: usize) {
        if content.len() > self.scan_left {
            self.stopped = true;
            return;
        }
        self.scan_left -= content.len();
        let floor = self.stack.len();
        let overflow_floor = self.stack_overflow;
        let mut tokens = Tokenizer::new(content);
        let mut operands: Vec<Operand> = Vec::new();
        while !self.stopped {
            let Some(token) = tokens.next_token() else {
                break;
            };
            match token {
                Token::Operand(operand) => {
                    if operands.len() >= MAX_OPERANDS {
                        operands.remove(0);
                    }
                    operands.push(operand);
                }
                Token::Keyword(op) => {
                    if self.operators_left == 0 {
                        self.stopped = true;
                        break;
                    }
                    self.operators_left -= 1;
                    self.operator(op, &operands, resources, depth, &mut tokens, floor);
                    operands.clear();
                }
            }
        }
        // Unbalanced `q` inside this stream do not leak out of it.
        self.stack.truncate(floor);
        self.stack_overflow = overflow_floor;
    }

    fn operator(
        &mut self,
        op: &[u8],
        operands: &[Operand],
        resources: &Resources,
        depth: usize,
        tokens: &mut Tokenizer<'_>,
        floor: usize,
    ) {
        match op {
            b"q" => {
                if self.stack.len() < MAX_STACK {
                    self.stack.push(self.gs.clone());
                } else {
                    self.stack_overflow += 1;
                }
            }
            b"Q" => {
                if self.stack_overflow > 0 {
                    self.stack_overflow -= 1;
                } else if self.stack.len() > floor
                    && let Some(gs) = self.stack.pop()
                {
                    self.gs = gs;
                }
            }
            b"cm" => {
                if let Some(m) = numbers::<6>(operands) {
                    self.gs.ctm = multiply(&m, &self.gs.ctm);
                }
            }
            b"BT" => {
                self.tm = IDENTITY;
                self.tlm = IDENTITY;
            }
            b"Tm" => {
                if let Some(m) = numbers::<6>(operands) {
                    self.tm = m;
                    self.tlm = m;
                }
            }
            b"Td" => {
                if let Some([tx, ty]) = numbers::<2>(operands) {
                    self.move_line(tx, ty);
                }
            }
            b"TD" => {
                if let Some([tx, ty]) = numbers::<2>(operands) {
                    self.gs.leading = -ty;
                    self.move_line(tx, ty);
                }
            }
            b"T*" => self.next_line(),
            b"TL" => set(&mut self.gs.leading, operands),
            b"Tc" => set(&mut self.gs.char_spacing, operands),
            b"Tw" => set(&mut self.gs.word_spacing, operands),
            b"Ts" => set(&mut self.gs.rise, operands),
            b"Tz" => {
                if let Some([tz]) = numbers::<1>(operands) {
                    self.gs.scale = tz / 100.0;
                }
            }
            b"Tf" => {
                if let [.., Operand::Name(name), Operand::Number(size)] = operands {
                    self.gs.size = *size;
                    self.gs.font = Some(self.font(resources, name));
                }
            }
            b"Tj" => {
                if let Some(Operand::String(s)) = operands.last() {
                    self.show(s);
                }
            }
            b"'" => {
                self.next_line();
                if let Some(Operand::String(s)) = operands.last() {
                    self.show(s);
                }
            }
            b"\"" => {
                if let [
                    ..,
                    Operand::Number(aw),
                    Operand::Number(ac),
                    Operand::String(s),
                ] = operands
                {
                    self.gs.word_spacing = *aw;
                    self.gs.char_spacing = *ac;
                    self.next_line();
                    self.show(s);
                }
            }
            b"TJ" => {
                if let Some(Operand::Array(items)) = operands.last() {
                    for item in items {
                        match item {
                            Operand::String(s) => self.show(s),
                            Operand::Number(n) => self.adjust(*n),
                            _ => {}
                        }
                        if self.stopped {
                            break;
                        }
                    }
                }
            }
            b"Do" => {
                if let Some(Operand::Name(name)) = operands.last() {
                    self.draw_xobject(name, resources, depth);
                }
            }
            b"BI" => self.skip_inline_image(tokens),
            _ => {}
        }
    }

    fn move_line(&mut self, tx: f64, ty: f64) {
        self.tlm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
    }

    fn next_line(&mut self) {
        self.move_line(0.0, -self.gs.leading);
    }

    fn font(&mut self, resources: &Resources, name: &[u8]) -> Rc<Font> {
        let Some(object) = resources.fonts.as_ref().and_then(|f| f.get(name)) else {
            return self.fallback_font.clone();
        };
        let key = match object {
            Object::Reference(id) => FontKey::Object(*id),
            _ => FontKey::Direct(resources.serial, name.to_vec()),
        };
        self.fonts.get(self.doc, key, object, &self.fallback_font)
    }

    /// A `TJ` number (§9.4.3): moves the next glyph back by `n` thousandths of an em.
    fn adjust(&mut self, n: f64) {
        let font_vertical = self.gs.font.as_ref().is_some_and(|f| f.vertical);
        let shift = -n / 1000.0 * self.gs.size;
        let (tx, ty) = if font_vertical {
            (0.0, shift)
        } else {
            (shift * self.gs.scale, 0.0)
        };
        self.tm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tm);
    }

    /// Shows a string (§9.4.4): each glyph's box, then the text matrix moves past it.
    fn show(&mut self, bytes: &[u8]) {
        let font = self
            .gs
            .font
            .clone()
            .unwrap_or_else(|| self.fallback_font.clone());
        let size = self.gs.size;
        let scale = self.gs.scale;
        let mut i = 0;
        while i < bytes.len() {
            let (glyph, len) = font.next_glyph(&bytes[i..]);
            i += len.max(1);
            let m = multiply(&self.tm, &self.gs.ctm);
            let spacing = self.gs.char_spacing
                + if glyph.is_word_space {
                    self.gs.word_spacing
                } else {
                    0.0
                };
            let (corners_text, end_text, dir_text, advance) = if font.vertical {
                let half = glyph.width * size / 2.0;
                let top = (font.ascent - glyph.vertical_origin_y) * size + self.gs.rise;
                let bottom = (font.descent - glyph.vertical_origin_y) * size + self.gs.rise;
                let advance = glyph.vertical_advance * size + spacing;
                (
                    [(-half, bottom), (half, bottom), (half, top), (-half, top)],
                    (0.0, glyph.vertical_advance * size),
                    (0.0, -1.0),
                    (0.0, advance),
                )
            } else {
                let width = glyph.width * size * scale;
                let top = font.ascent * size + self.gs.rise;
                let bottom = font.descent * size + self.gs.rise;
                let advance = (glyph.width * size + spacing) * scale;
                let sign = if scale < 0.0 { -1.0 } else { 1.0 };
                (
                    [(0.0, bottom), (width, bottom), (width, top), (0.0, top)],
                    (width, 0.0),
                    (sign, 0.0),
                    (advance, 0.0),
                )
            };
            self.tm = multiply(&[1.0, 0.0, 0.0, 1.0, advance.0, advance.1], &self.tm);
            let text = printable(glyph.text);
            if text.is_empty() {
                continue;
            }
            let corners = corners_text.map(|(x, y)| apply(&m, x, y));
            let origin = apply(&m, 0.0, 0.0);
            let end = apply(&m, end_text.0, end_text.1);
            let (dx, dy) = apply_linear(&m, dir_text.0, dir_text.1);
            let (ux, uy) = apply_linear(&m, 0.0, 1.0);
            let length = dx.hypot(dy);
            let char_size = size.abs() * ux.hypot(uy);
            let finite = corners.iter().all(|(x, y)| x.is_finite() && y.is_finite())
                && end.0.is_finite()
                && end.1.is_finite()
                && char_size.is_finite();
            if !finite || !length.is_finite() || length <= 1e-12 || char_size <= 1e-9 {
                continue;
            }
            if self.chars.len() >= MAX_CHARS {
                self.stopped = true;
                return;
            }
            self.chars.push(RawChar {
                text,
                corners,
                origin,
                end,
                dir: (dx / length, dy / length),
                size: char_size,
            });
        }
    }

    fn draw_xobject(&mut self, name: &[u8], resources: &Resources, depth: usize) {
        let Some(Object::Reference(id)) = resources.xobjects.as_ref().and_then(|x| x.get(name))
        else {
            return;
        };
        let id = *id;
        if depth + 1 > MAX_FORM_DEPTH || self.forms.contains(&id) {
            return;
        }
        let Ok(Loaded::Stream(stream)) = self.doc.load(id) else {
            return;
        };
        if stream.dict.get_name(b"Subtype") != Some(b"Form") {
            return;
        }
        let data = match self.form_cache.get(&id) {
            Some(data) => data.clone(),
            None => {
                // A Form XObject that cannot be decoded draws nothing (§8.10).
                let Ok(data) = self.doc.stream_data(id, &stream) else {
                    return;
                };
                let data = Rc::new(data);
                if self.form_cache_bytes + data.len() <= FORM_CACHE_BYTES {
                    self.form_cache_bytes += data.len();
                    self.form_cache.insert(id, data.clone());
                }
                data
            }
        };
        let matrix = stream
            .dict
            .get(b"Matrix")
            .and_then(|o| self.doc.resolve(o).ok())
            .and_then(|o| {
                let values: Vec<f64> = o.as_array()?.iter().filter_map(number).collect();
                <[f64; 6]>::try_from(values).ok()
            })
            .unwrap_or(IDENTITY);
        let own = stream
            .dict
            .get(b"Resources")
            .map(|object| self.resources(Some(object)));
        let form_resources = own.as_ref().unwrap_or(resources);
        // §8.10.1: the form is drawn as if between q and Q, with its matrix on the CTM.
        let saved = (self.gs.clone(), self.tm, self.tlm);
        self.gs.ctm = multiply(&matrix, &self.gs.ctm);
        self.forms.push(id);
        self.run(&data, form_resources, depth + 1);
        self.forms.pop();
        (self.gs, self.tm, self.tlm) = saved;
    }

    /// `BI … ID data EI` (§8.9.7): the data is skipped, with /L (/Length) when given.
    fn skip_inline_image(&mut self, tokens: &mut Tokenizer<'_>) {
        let mut previous_key: Option<Vec<u8>> = None;
        let mut length = None;
        for _ in 0..MAX_INLINE_IMAGE_KEYS {
            match tokens.next_token() {
                Some(Token::Keyword(b"ID")) => {
                    tokens.skip_inline_image(length);
                    return;
                }
                Some(Token::Operand(Operand::Name(key))) if previous_key.is_none() => {
                    previous_key = Some(key);
                }
                Some(Token::Operand(value)) => {
                    if let (Some(key), Operand::Number(n)) = (previous_key.take(), &value)
                        && (key == b"L" || key == b"Length")
                        && *n >= 0.0
                    {
                        length = Some(*n as usize);
                    }
                }
                Some(Token::Keyword(_)) => previous_key = None,
                None => return,
            }
        }
    }
}

/// A glyph's text without control characters (a /ToUnicode may map to U+0000 or U+0003):
/// tabs and line ends become spaces, the others are dropped.
fn printable(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// The last `N` operands as numbers.
fn numbers<const N: usize>(operands: &[Operand]) -> Option<[f64; N]> {
    let start = operands.len().checked_sub(N)?;
    let mut out = [0.0; N];
    for (slot, operand) in out.iter_mut().zip(&operands[start..]) {
        *slot = operand.as_number()?;
    }
    Some(out)
}

fn set(slot: &mut f64, operands: &[Operand]) {
    if let Some([v]) = numbers::<1>(operands) {
        *slot = v;
    }
}

/// A page's content: its /Contents stream or the streams of its array, joined by white
/// space (§7.8.2). An undecodable stream is an error (an image filter, damaged data).
pub(crate) fn page_content<S: Source>(doc: &Document<S>, page: &Dictionary) -> Result<Vec<u8>> {
    let Some(contents) = page.get(b"Contents") else {
        return Ok(Vec::new());
    };
    let items = match contents {
        Object::Reference(_) => match doc.resolve(contents)? {
            Object::Array(items) => items,
            _ => vec![contents.clone()],
        },
        Object::Array(items) => items.clone(),
        _ => return Err(PdfError::damaged("bad page /Contents")),
    };
    let mut out = Vec::new();
    for item in items.iter().take(MAX_CONTENT_PARTS) {
        let Some(id) = item.as_reference() else {
            continue;
        };
        let stream = match doc.load(id)? {
            Loaded::Stream(stream) => stream,
            // A missing content stream (a free object) draws nothing.
            Loaded::Object(Object::Null) => continue,
            Loaded::Object(_) => return Err(PdfError::damaged("page content is not a stream")),
        };
        let data = doc.stream_data(id, &stream)?;
        if out.len() + data.len() > MAX_SCANNED {
            break;
        }
        out.extend_from_slice(&data);
        out.push(b'\n');
    }
    Ok(out)
}
