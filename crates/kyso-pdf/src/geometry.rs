//! Where things are on a page as a reader shows it (ISO 32000-2 §14.11.2 page boundaries,
//! §7.7.3.3 `/Rotate`): the visible area is the CropBox (clipped to the MediaBox), turned
//! clockwise by `/Rotate`. Users give boxes in that displayed frame — points from the
//! bottom-left corner of the page they see — and annotations live in the page's default
//! user space; this module converts between the two.

use crate::document::Document;
use crate::error::Result;
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;

/// How many `/Parent` steps inheritable attributes are looked up (§7.7.3.4).
const MAX_INHERIT_DEPTH: usize = 64;

/// A rectangle, `x0 ≤ x1`, `y0 ≤ y1`, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    /// From two corners, in any order.
    pub fn new(xa: f64, ya: f64, xb: f64, yb: f64) -> Rect {
        Rect {
            x0: xa.min(xb),
            y0: ya.min(yb),
            x1: xa.max(xb),
            y1: ya.max(yb),
        }
    }

    /// From the bottom-left corner, a width and a height.
    pub fn from_xywh(x: f64, y: f64, width: f64, height: f64) -> Rect {
        Rect::new(x, y, x + width, y + height)
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    /// Whether `other` lies inside this rectangle (touching the edges counts).
    pub fn contains(&self, other: &Rect) -> bool {
        const EPSILON: f64 = 1e-6;
        other.x0 >= self.x0 - EPSILON
            && other.y0 >= self.y0 - EPSILON
            && other.x1 <= self.x1 + EPSILON
            && other.y1 <= self.y1 + EPSILON
    }

    /// The overlap of two rectangles, if any.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let r = Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        (r.x0 < r.x1 && r.y0 < r.y1).then_some(r)
    }

    /// A PDF rectangle array (§7.9.5).
    pub fn to_object(self) -> Object {
        Object::Array(vec![
            real(self.x0),
            real(self.y0),
            real(self.x1),
            real(self.y1),
        ])
    }

    /// Reads a rectangle array; None unless it holds four numbers.
    pub fn from_object(object: &Object) -> Option<Rect> {
        let items = object.as_array()?;
        if items.len() != 4 {
            return None;
        }
        let n: Vec<f64> = items.iter().filter_map(number).collect();
        (n.len() == 4 && n.iter().all(|v| v.is_finite())).then(|| Rect::new(n[0], n[1], n[2], n[3]))
    }
}

/// A number object's value (§7.3.3).
pub fn number(object: &Object) -> Option<f64> {
    match object {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(text) => text.parse().ok(),
        _ => None,
    }
}

/// A number for a PDF file (§7.3.3): an integer when it is one, else a real with at most
/// three decimals (readers keep about five significant digits, Annex C.2), never with an
/// exponent. Not-a-number and infinities, which PDF cannot write, become 0.
pub fn real(value: f64) -> Object {
    if !value.is_finite() {
        return Object::Integer(0);
    }
    let rounded = (value * 1000.0).round() / 1000.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        return Object::Integer(rounded as i64);
    }
    let mut text = format!("{rounded:.3}");
    while text.ends_with('0') {
        text.pop();
    }
    Object::Real(text)
}

/// The boxes and rotation of one page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageGeometry {
    pub media: Rect,
    /// The CropBox clipped to the MediaBox: what a reader shows (default: the MediaBox).
    pub crop: Rect,
    /// `/Rotate`, normalised to 0, 90, 180 or 270: the page is shown turned clockwise by it.
    pub rotate: u16,
}

impl PageGeometry {
    /// Reads the page's MediaBox, CropBox and Rotate, inherited through `/Parent` (§7.7.3.4).
    pub fn of_page<S: Source>(doc: &Document<S>, page: ObjectId) -> Result<PageGeometry> {
        let dict = doc.resolve_dict(&Object::Reference(page))?;
        let media = inherited(doc, &dict, b"MediaBox")
            .and_then(|o| Rect::from_object(&o))
            .filter(|r| r.width() > 0.0 && r.height() > 0.0)
            // A page without a MediaBox is US Letter for most readers (ISO 32000-1 §7.7.3.3
            // makes it required; pdf.js and poppler fall back to Letter).
            .unwrap_or(Rect::new(0.0, 0.0, 612.0, 792.0));
        let crop = inherited(doc, &dict, b"CropBox")
            .and_then(|o| Rect::from_object(&o))
            .and_then(|c| c.intersect(&media))
            .unwrap_or(media);
        let rotate = inherited(doc, &dict, b"Rotate")
            .and_then(|o| o.as_int())
            .unwrap_or(0)
            .rem_euclid(360);
        // Only multiples of 90 are valid (§7.7.3.3); readers round others down.
        let rotate = (rotate - rotate % 90) as u16;
        Ok(PageGeometry {
            media,
            crop,
            rotate,
        })
    }

    /// The width and height of the page as shown.
    pub fn displayed_size(&self) -> (f64, f64) {
        let (w, h) = (self.crop.width(), self.crop.height());
        if self.rotate.is_multiple_of(180) {
            (w, h)
        } else {
            (h, w)
        }
    }

    /// The displayed page, as a rectangle from (0, 0).
    pub fn displayed(&self) -> Rect {
        let (w, h) = self.displayed_size();
        Rect::new(0.0, 0.0, w, h)
    }

    /// A point of the displayed page (points from its bottom-left corner) in user space.
    pub fn to_user(&self, x: f64, y: f64) -> (f64, f64) {
        let c = &self.crop;
        match self.rotate {
            90 => (c.x1 - y, c.y0 + x),
            180 => (c.x1 - x, c.y1 - y),
            270 => (c.x0 + y, c.y1 - x),
            _ => (c.x0 + x, c.y0 + y),
        }
    }

    /// A point of user space on the displayed page.
    pub fn to_displayed(&self, x: f64, y: f64) -> (f64, f64) {
        let c = &self.crop;
        match self.rotate {
            90 => (y - c.y0, c.x1 - x),
            180 => (c.x1 - x, c.y1 - y),
            270 => (c.y1 - y, x - c.x0),
            _ => (x - c.x0, y - c.y0),
        }
    }

    /// A rectangle of the displayed page in user space.
    pub fn rect_to_user(&self, r: &Rect) -> Rect {
        let (ax, ay) = self.to_user(r.x0, r.y0);
        let (bx, by) = self.to_user(r.x1, r.y1);
        Rect::new(ax, ay, bx, by)
    }

    /// A rectangle of user space on the displayed page.
    pub fn rect_to_displayed(&self, r: &Rect) -> Rect {
        let (ax, ay) = self.to_displayed(r.x0, r.y0);
        let (bx, by) = self.to_displayed(r.x1, r.y1);
        Rect::new(ax, ay, bx, by)
    }

    /// The `/Matrix` of an appearance stream whose `/BBox` is drawn upright on the displayed
    /// page: a counter-clockwise turn by `/Rotate`, undone when the reader turns the page
    /// (§12.5.5, algorithm of Figure 87).
    pub fn appearance_matrix(&self) -> [f64; 6] {
        rotation_matrix(self.rotate)
    }
}

/// A counter-clockwise turn by `degrees` (a multiple of 90) as a PDF matrix (§8.3.3).
pub fn rotation_matrix(degrees: u16) -> [f64; 6] {
    match degrees % 360 {
        90 => [0.0, 1.0, -1.0, 0.0, 0.0, 0.0],
        180 => [-1.0, 0.0, 0.0, -1.0, 0.0, 0.0],
        270 => [0.0, -1.0, 1.0, 0.0, 0.0, 0.0],
        _ => [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    }
}

/// A point of user space in a frame turned counter-clockwise by `degrees` (the frame of text
/// written in that direction: x along the baseline, y up from it).
pub fn to_frame(x: f64, y: f64, degrees: u16) -> (f64, f64) {
    match degrees % 360 {
        90 => (y, -x),
        180 => (-x, -y),
        270 => (-y, x),
        _ => (x, y),
    }
}

/// A point of a frame turned by `degrees` back in user space.
pub fn from_frame(x: f64, y: f64, degrees: u16) -> (f64, f64) {
    match degrees % 360 {
        90 => (-y, x),
        180 => (-x, -y),
        270 => (y, -x),
        _ => (x, y),
    }
}

/// A rectangle of user space seen in a frame turned by `degrees`.
pub fn rect_to_frame(r: &Rect, degrees: u16) -> Rect {
    let (ax, ay) = to_frame(r.x0, r.y0, degrees);
    let (bx, by) = to_frame(r.x1, r.y1, degrees);
    Rect::new(ax, ay, bx, by)
}

/// A rectangle of a frame turned by `degrees` in user space.
pub fn rect_from_frame(r: &Rect, degrees: u16) -> Rect {
    let (ax, ay) = from_frame(r.x0, r.y0, degrees);
    let (bx, by) = from_frame(r.x1, r.y1, degrees);
    Rect::new(ax, ay, bx, by)
}

/// An inheritable page attribute: the page's own, else its nearest ancestor's.
fn inherited<S: Source>(doc: &Document<S>, page: &Dictionary, key: &[u8]) -> Option<Object> {
    let mut current = page.clone();
    for _ in 0..MAX_INHERIT_DEPTH {
        if let Some(value) = current.get(key) {
            return doc.resolve(value).ok();
        }
        current = doc.resolve_dict(current.get(b"Parent")?).ok()?;
    }
    None
}

/// Checks that `rect` (displayed coordinates) lies on the displayed page and has an area.
pub fn check_on_page(geometry: &PageGeometry, rect: &Rect) -> std::result::Result<(), String> {
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return Err("the box has no area".into());
    }
    let page = geometry.displayed();
    if !page.contains(rect) {
        let (w, h) = geometry.displayed_size();
        return Err(format!(
            "the box {:.0},{:.0},{:.0},{:.0} is not inside the page ({w:.0} × {h:.0} pt)",
            rect.x0,
            rect.y0,
            rect.width(),
            rect.height()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(crop: Rect, rotate: u16) -> PageGeometry {
        PageGeometry {
            media: crop,
            crop,
            rotate,
        }
    }

    #[test]
    fn displayed_and_user_coordinates_round_trip_at_every_rotation() {
        let crop = Rect::new(10.0, 20.0, 610.0, 820.0);
        for rotate in [0, 90, 180, 270] {
            let g = geometry(crop, rotate);
            for (x, y) in [(0.0, 0.0), (100.0, 50.0), (599.0, 3.0)] {
                let (ux, uy) = g.to_user(x, y);
                assert!(
                    crop.contains(&Rect::new(ux, uy, ux, uy)),
                    "{rotate}: {ux},{uy}"
                );
                let (dx, dy) = g.to_displayed(ux, uy);
                assert!((dx - x).abs() < 1e-9 && (dy - y).abs() < 1e-9, "{rotate}");
            }
        }
    }

    #[test]
    fn the_displayed_bottom_left_corner_at_each_rotation() {
        let g = |r| geometry(Rect::new(0.0, 0.0, 600.0, 800.0), r);
        // Turned clockwise by 90°, the page shows its bottom-right corner at the bottom-left.
        assert_eq!(g(90).to_user(0.0, 0.0), (600.0, 0.0));
        assert_eq!(g(180).to_user(0.0, 0.0), (600.0, 800.0));
        assert_eq!(g(270).to_user(0.0, 0.0), (0.0, 800.0));
        assert_eq!(g(90).displayed_size(), (800.0, 600.0));
    }

    #[test]
    fn the_appearance_matrix_turns_the_bbox_into_the_user_rectangle() {
        // A 200 × 50 box drawn upright on a page turned by 90° is 50 × 200 in user space.
        let m = geometry(Rect::new(0.0, 0.0, 600.0, 800.0), 90).appearance_matrix();
        let (x, y) = (200.0 * m[0] + 50.0 * m[2], 200.0 * m[1] + 50.0 * m[3]);
        assert_eq!((x, y), (-50.0, 200.0));
    }

    #[test]
    fn frames_turn_back_and_forth() {
        let r = Rect::new(10.0, 20.0, 110.0, 70.0);
        for degrees in [0, 90, 180, 270] {
            let f = rect_to_frame(&r, degrees);
            assert_eq!(rect_from_frame(&f, degrees), r, "{degrees}");
            // Text turned by 90° runs up the page: its frame's width is the user height.
            if degrees % 180 == 90 {
                assert_eq!((f.width(), f.height()), (r.height(), r.width()));
            }
        }
        // Rotating the frame's x axis by the matrix gives the text's direction.
        let m = rotation_matrix(90);
        assert_eq!(from_frame(1.0, 0.0, 90), (m[0], m[1]));
    }

    #[test]
    fn reals_are_short_and_valid_pdf() {
        assert_eq!(real(12.0), Object::Integer(12));
        assert_eq!(real(0.1 + 0.2), Object::Real("0.3".into()));
        assert_eq!(real(-0.5), Object::Real("-0.5".into()));
        assert_eq!(
            real(443.0 * 1000.0 / 2048.0),
            Object::Real("216.309".into())
        );
        assert_eq!(real(f64::NAN), Object::Integer(0));
        assert_eq!(real(0.0004), Object::Integer(0));
    }
}
