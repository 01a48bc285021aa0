//! What a visible signature or a filled field shows: a [`Canvas`] of images and text blocks,
//! laid out in the box as the reader sees it, written as an appearance stream (ISO 32000-2
//! §12.5.5, a Form XObject §8.10) with its fonts (§9.7, embedded subsets) and images (§8.9).
//!
//! The canvas is drawn in a frame turned by a multiple of 90° in the page's user space: the
//! page's `/Rotate` for a box the user placed on the page as displayed (upright on screen),
//! the direction of the text for a box placed by an anchor (it reads like the document's own
//! text). Its `/BBox` is the box's width and height in that frame and its `/Matrix` the turn
//! ([`geometry::rotation_matrix`]); `/MK /R` records it (§12.5.6.19).

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::appearance::{AppearanceError, Font, FontUse, Image};
use crate::geometry::{self, PageGeometry, Rect, real};
use crate::object::{Dictionary, Name, Object, ObjectId};
use crate::source::Source;
use crate::update::IncrementalUpdate;

/// Line height as a multiple of the font size.
const LEADING: f64 = 1.15;
/// The smallest size a fitted text block may shrink to, in points.
const MIN_FIT_SIZE: f64 = 4.0;

/// An RGB colour, each component from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// How large a text block's letters are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FontSize {
    /// This size; lines that do not fit are wrapped, and what does not fit is an error.
    Fixed(f64),
    /// The largest size up to this one at which the wrapped text fits the block.
    Fit(f64),
}

/// Text in a rectangle of the canvas.
#[derive(Clone)]
pub struct TextBlock {
    /// Lines separated by `\n`; long lines are wrapped at spaces.
    pub text: String,
    pub font: Rc<Font>,
    pub size: FontSize,
    pub color: Rgb,
    pub align: Align,
    /// Where, in canvas coordinates (points from the canvas's bottom-left corner).
    pub rect: Rect,
}

/// An image scaled to fit a rectangle of the canvas, its aspect ratio kept, centred.
#[derive(Clone)]
pub struct ImageBlock {
    pub image: Rc<Image>,
    pub rect: Rect,
}

/// Everything an appearance shows, in a box of `width` × `height` points as displayed.
#[derive(Clone, Default)]
pub struct Canvas {
    pub width: f64,
    pub height: f64,
    pub images: Vec<ImageBlock>,
    pub texts: Vec<TextBlock>,
}

/// Where an image lands once fitted into its block.
pub fn fit_image(image: &Image, rect: &Rect) -> Rect {
    let (iw, ih) = (f64::from(image.width), f64::from(image.height));
    if iw <= 0.0 || ih <= 0.0 {
        return *rect;
    }
    let scale = (rect.width() / iw).min(rect.height() / ih);
    let (w, h) = (iw * scale, ih * scale);
    let x = rect.x0 + (rect.width() - w) / 2.0;
    let y = rect.y0 + (rect.height() - h) / 2.0;
    Rect::from_xywh(x, y, w, h)
}

/// One laid-out line: its text, where its baseline starts, and its size.
struct PlacedLine {
    text: String,
    x: f64,
    baseline: f64,
    size: f64,
}

impl TextBlock {
    /// The lines and the size at which they are drawn.
    fn layout(&self) -> Result<(Vec<PlacedLine>, f64), AppearanceError> {
        let (size, lines) = match self.size {
            FontSize::Fixed(size) => (size, self.wrap(size)?),
            FontSize::Fit(max) => {
                // From the largest size down, in steps of 0.25 pt: the first at which it fits.
                let mut size = max;
                loop {
                    let lines = self.wrap(size)?;
                    let fits = lines.len() as f64 * size * LEADING <= self.rect.height() + 1e-6
                        && lines.iter().all(|(_, w)| *w <= self.rect.width() + 1e-6);
                    if fits || size <= MIN_FIT_SIZE {
                        break (size, lines);
                    }
                    size = (size - 0.25).max(MIN_FIT_SIZE);
                }
            }
        };
        let em = f64::from(self.font.units_per_em());
        let ascent = f64::from(self.font.ascent()) / em * size;
        let descent = f64::from(self.font.descent()) / em * size;
        let line_height = size * LEADING;
        // The lines are centred in the block's height: from the first line's ascent to the
        // last one's descent.
        let used = (lines.len().max(1) - 1) as f64 * line_height + ascent - descent;
        let top = self.rect.y1 - ((self.rect.height() - used) / 2.0).max(0.0);
        let mut placed = Vec::new();
        for (i, (text, width)) in lines.into_iter().enumerate() {
            let x = match self.align {
                Align::Left => self.rect.x0,
                Align::Center => self.rect.x0 + (self.rect.width() - width) / 2.0,
                Align::Right => self.rect.x1 - width,
            };
            placed.push(PlacedLine {
                text,
                x,
                baseline: top - ascent - i as f64 * line_height,
                size,
            });
        }
        Ok((placed, size))
    }

    /// The lines of the text wrapped at spaces to the block's width at `size`, each with
    /// its width. A word wider than the block stays on a line of its own.
    fn wrap(&self, size: f64) -> Result<Vec<(String, f64)>, AppearanceError> {
        let mut out = Vec::new();
        for paragraph in self.text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if line.is_empty() || self.font.width(&candidate, size)? <= self.rect.width() {
                    line = candidate;
                } else {
                    let width = self.font.width(&line, size)?;
                    out.push((std::mem::take(&mut line), width));
                    line = word.to_string();
                }
            }
            let width = self.font.width(&line, size)?;
            out.push((line, width));
        }
        Ok(out)
    }
}

impl Canvas {
    pub fn new(width: f64, height: f64) -> Canvas {
        Canvas {
            width,
            height,
            ..Canvas::default()
        }
    }

    /// Writes the canvas as an appearance stream (a Form XObject) with its fonts and images,
    /// turned counter-clockwise by `rotation` degrees in user space; returns the stream's id.
    pub fn write<S: Source>(
        &self,
        update: &mut IncrementalUpdate<'_, S>,
        rotation: u16,
    ) -> Result<ObjectId, AppearanceError> {
        let matrix = geometry::rotation_matrix(rotation);
        let mut content = Vec::new();
        let mut xobjects = Dictionary::new();
        for (i, block) in self.images.iter().enumerate() {
            let id = block.image.write(update);
            let name = format!("Im{}", i + 1);
            xobjects.set(name.as_bytes(), Object::Reference(id));
            let r = fit_image(&block.image, &block.rect);
            content.extend_from_slice(
                format!(
                    "q {} 0 0 {} {} {} cm /{name} Do Q\n",
                    num(r.width()),
                    num(r.height()),
                    num(r.x0),
                    num(r.y0)
                )
                .as_bytes(),
            );
        }
        // One font resource per distinct font, in the order first used.
        let mut fonts: Vec<(Rc<Font>, FontUse<'_>)> = Vec::new();
        let mut runs: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        let texts: Vec<_> = self
            .texts
            .iter()
            .map(|t| t.layout().map(|l| (t, l.0)))
            .collect::<Result<_, _>>()?;
        for (block, lines) in &texts {
            let index = match fonts.iter().position(|(f, _)| Rc::ptr_eq(f, &block.font)) {
                Some(i) => i,
                None => {
                    fonts.push((block.font.clone(), FontUse::new(&block.font)));
                    fonts.len() - 1
                }
            };
            let run = runs.entry(index).or_default();
            let Rgb(r, g, b) = block.color;
            for line in lines {
                let encoded = fonts[index].1.encode(&line.text)?;
                run.extend_from_slice(
                    format!(
                        "BT /F{} {} Tf {} {} {} rg {} {} Td <",
                        index + 1,
                        num(line.size),
                        num(r),
                        num(g),
                        num(b),
                        num(line.x),
                        num(line.baseline)
                    )
                    .as_bytes(),
                );
                run.extend_from_slice(hex(&encoded).as_bytes());
                run.extend_from_slice(b"> Tj ET\n");
            }
        }
        for run in runs.values() {
            content.extend_from_slice(run);
        }
        let mut font_resources = Dictionary::new();
        for (i, (_, used)) in fonts.into_iter().enumerate() {
            let id = used.write(update)?;
            font_resources.set(format!("F{}", i + 1).as_bytes(), Object::Reference(id));
        }
        let mut resources = Dictionary::new();
        if !font_resources.is_empty() {
            resources.set(b"Font", font_resources);
        }
        if !xobjects.is_empty() {
            resources.set(b"XObject", xobjects);
        }
        let mut dict = Dictionary::new();
        dict.set(b"Type", Object::name(b"XObject"));
        dict.set(b"Subtype", Object::name(b"Form"));
        dict.set(
            b"BBox",
            Rect::new(0.0, 0.0, self.width, self.height).to_object(),
        );
        if matrix != [1.0, 0.0, 0.0, 1.0, 0.0, 0.0] {
            dict.set(
                b"Matrix",
                Object::Array(matrix.iter().map(|v| real(*v)).collect()),
            );
        }
        dict.set(b"Resources", resources);
        Ok(update.add_deflated_stream(dict, &content))
    }
}

/// A visible signature: the box on a page, as the reader shows it, and what it shows.
pub struct VisibleSignature {
    /// The page, from 0.
    pub page: u64,
    /// The box in displayed coordinates (points from the displayed page's bottom-left).
    pub rect: Rect,
    /// The canvas's turn in user space, counter-clockwise (0, 90, 180, 270).
    pub rotation: u16,
    /// Sized to the box in the turned frame ([`frame_size`]).
    pub canvas: Canvas,
}

/// The width and height, in a frame turned by `rotation` in user space, of a box given in
/// displayed coordinates on a page of `geometry`: the size its canvas must have.
pub fn frame_size(geometry: &PageGeometry, rect: &Rect, rotation: u16) -> (f64, f64) {
    let user = geometry.rect_to_user(rect);
    let frame = geometry::rect_to_frame(&user, rotation);
    (frame.width(), frame.height())
}

/// A text field to add in the signature's revision (§12.7.4.3), read-only and drawn without
/// border or background: the number and the date that a clerk fills in after the leader's
/// signature.
#[derive(Debug, Clone)]
pub struct ReservedField {
    pub name: String,
    pub page: u64,
    /// Displayed coordinates.
    pub rect: Rect,
    /// The turn of its text in user space, as for [`VisibleSignature::rotation`].
    pub rotation: u16,
}

/// The widget dictionary entries of an appearance on `page` in the displayed box `rect`:
/// `/Rect` in user space, `/AP /N`, `/F 4` (print), `/P`, and `/MK /R` when it is turned.
pub fn widget_entries(
    widget: &mut Dictionary,
    page: ObjectId,
    geometry: &PageGeometry,
    rect: &Rect,
    rotation: u16,
    appearance: ObjectId,
) {
    widget.set(b"Rect", geometry.rect_to_user(rect).to_object());
    let mut ap = Dictionary::new();
    ap.set(b"N", Object::Reference(appearance));
    widget.set(b"AP", ap);
    // Print (bit 3), §12.5.3; never hidden, never NoView.
    widget.set(b"F", Object::Integer(4));
    widget.set(b"P", Object::Reference(page));
    if !rotation.is_multiple_of(360) {
        let mut mk = match widget.get(b"MK") {
            Some(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        mk.set(b"R", Object::Integer(i64::from(rotation % 360)));
        widget.set(b"MK", mk);
    }
}

/// A name object for a resource key.
pub fn resource_name(name: &str) -> Object {
    Object::Name(Name::new(name.as_bytes()))
}

/// A number in a content stream: at most four decimals, no exponent.
fn num(value: f64) -> String {
    match real(value) {
        Object::Integer(i) => i.to_string(),
        Object::Real(text) => text,
        _ => "0".into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
