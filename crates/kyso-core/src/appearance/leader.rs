//! The leader's signature image on the page, read back from the appearance stream of the
//! newest signature that shows one: the seal goes over its left third.

use kyso_pdf::geometry::Rect;
use kyso_pdf::signature::{existing_widget, field_box};
use kyso_pdf::{Document, Object, ObjectId, Source, form};

use super::{AppearanceFailure, Result};

/// The image of the newest signature that shows one (the leader's): its page (from 0), its
/// box in user space, and the turn of the widget that shows it.
pub fn leader_image<S: Source>(doc: &Document<S>) -> Result<(u64, Rect, u16)> {
    let signatures = form::signatures(doc)?;
    let fields = form::fields(doc)?;
    for sig in signatures.iter().rev() {
        let Some(field) = fields.iter().find(|f| f.id == sig.field_id) else {
            continue;
        };
        let Ok((_, widget)) = existing_widget(doc, field) else {
            continue;
        };
        let Some(image) = appearance_image(doc, &widget) else {
            continue;
        };
        let (page, _, rotation) = field_box(doc, field)?;
        return Ok((page, image, rotation));
    }
    Err(AppearanceFailure::LeaderMissing)
}

/// Where the first image of a widget's normal appearance lands in user space (ISO 32000-2
/// §12.5.5: the form's /Matrix, then the map of its transformed /BBox onto /Rect).
fn appearance_image<S: Source>(doc: &Document<S>, widget: &kyso_pdf::Dictionary) -> Option<Rect> {
    let rect = widget.get(b"Rect").and_then(Rect::from_object)?;
    let ap = doc.resolve_dict(widget.get(b"AP")?).ok()?;
    let id: ObjectId = ap.get(b"N")?.as_reference()?;
    let kyso_pdf::Loaded::Stream(stream) = doc.load(id).ok()? else {
        return None;
    };
    let bbox = stream.dict.get(b"BBox").and_then(Rect::from_object)?;
    let matrix = stream
        .dict
        .get(b"Matrix")
        .and_then(Object::as_array)
        .map(|m| {
            m.iter()
                .filter_map(kyso_pdf::geometry::number)
                .collect::<Vec<_>>()
        })
        .filter(|m| m.len() == 6)
        .map(|m| [m[0], m[1], m[2], m[3], m[4], m[5]])
        .unwrap_or([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let data = doc.stream_data(id, &stream).ok()?;
    let resources = stream
        .dict
        .get(b"Resources")
        .and_then(|r| doc.resolve_dict(r).ok())
        .unwrap_or_default();
    let xobjects = resources
        .get(b"XObject")
        .and_then(|x| doc.resolve_dict(x).ok())
        .unwrap_or_default();
    let is_image = |name: &[u8]| {
        xobjects
            .get(name)
            .and_then(|x| doc.resolve_dict(x).ok())
            .is_some_and(|d| d.get_name(b"Subtype") == Some(b"Image"))
    };
    let placed = first_image_placement(&data, is_image)?;
    // The unit square under the image's matrix, in form space, then to user space.
    let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
    let to_form = |(x, y): (f64, f64)| apply(&placed, x, y);
    let form_box = bounds(
        corners
            .iter()
            .map(|c| apply(&matrix, to_form(*c).0, to_form(*c).1)),
    );
    let bbox_t = bounds(
        [
            (bbox.x0, bbox.y0),
            (bbox.x1, bbox.y0),
            (bbox.x0, bbox.y1),
            (bbox.x1, bbox.y1),
        ]
        .iter()
        .map(|(x, y)| apply(&matrix, *x, *y)),
    );
    let (sx, sy) = (
        rect.width() / bbox_t.width().max(1e-9),
        rect.height() / bbox_t.height().max(1e-9),
    );
    Some(Rect::new(
        rect.x0 + (form_box.x0 - bbox_t.x0) * sx,
        rect.y0 + (form_box.y0 - bbox_t.y0) * sy,
        rect.x0 + (form_box.x1 - bbox_t.x0) * sx,
        rect.y0 + (form_box.y1 - bbox_t.y0) * sy,
    ))
}

/// The transformation in force (§8.3.4: `q`, `Q`, `cm`) when a content stream first draws an
/// image XObject (`/Name Do`, `is_image(Name)`): it maps the unit square onto the image.
fn first_image_placement(content: &[u8], is_image: impl Fn(&[u8]) -> bool) -> Option<[f64; 6]> {
    use kyso_pdf::text::content::{Operand, Token, Tokenizer};
    const MAX_STACK: usize = 64;
    let mut ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut stack = Vec::new();
    let mut operands: Vec<Operand> = Vec::new();
    let mut tokens = Tokenizer::new(content);
    while let Some(token) = tokens.next_token() {
        match token {
            Token::Operand(o) => {
                if operands.len() < 16 {
                    operands.push(o);
                }
                continue;
            }
            Token::Keyword(b"q") if stack.len() < MAX_STACK => stack.push(ctm),
            Token::Keyword(b"Q") => ctm = stack.pop().unwrap_or(ctm),
            Token::Keyword(b"cm") => {
                let n: Vec<f64> = operands.iter().filter_map(Operand::as_number).collect();
                if let [a, b, c, d, e, f] = n[..] {
                    ctm = multiply(&[a, b, c, d, e, f], &ctm);
                }
            }
            Token::Keyword(b"Do") => {
                if let Some(Operand::Name(name)) = operands.last()
                    && is_image(name)
                {
                    return Some(ctm);
                }
            }
            Token::Keyword(_) => {}
        }
        operands.clear();
    }
    None
}

/// `m × n` for PDF matrices [a b c d e f] (§8.3.4).
fn multiply(m: &[f64; 6], n: &[f64; 6]) -> [f64; 6] {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &[f64; 6], x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn bounds(points: impl Iterator<Item = (f64, f64)>) -> Rect {
    let mut r = Rect {
        x0: f64::MAX,
        y0: f64::MAX,
        x1: f64::MIN,
        y1: f64::MIN,
    };
    for (x, y) in points {
        r = Rect {
            x0: r.x0.min(x),
            y0: r.y0.min(y),
            x1: r.x1.max(x),
            y1: r.y1.max(y),
        };
    }
    r
}
