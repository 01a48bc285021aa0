//! Where a box goes: given on the page as displayed, found above an anchor text, over the
//! leader's image, or at the top right of page 1 — and which way it turns.
//!
//! A box the user places on the displayed page is drawn upright on screen (turned with the
//! page's `/Rotate`). A box found by an anchor, and a field reserved beside "Số:" or in the
//! date line, follow the direction of that text instead: on a page whose text runs sideways
//! on screen, the signature reads like the document around it. All of it is worked out in
//! the text's own frame ([`kyso_pdf::geometry::to_frame`]: x along the baseline, y up from
//! it) and turned back into user space.

use kyso_pdf::geometry::{PageGeometry, Rect, rect_from_frame, rect_to_frame};
use kyso_pdf::text::{self, TextLine};
use kyso_pdf::visible::ReservedField;
use kyso_pdf::{Document, Source, pages};

use super::{
    AppearanceFailure, DAY_FIELD, MONTH_FIELD, NUMBER_FIELD, Result, YEAR_FIELD, geometry_of,
    user_rect,
};

/// Points between an anchor's top and the box above it.
pub const ANCHOR_GAP: f64 = 4.0;
/// The room given to a number when nothing follows "Số:" on its line.
const NUMBER_WIDTH: f64 = 120.0;
/// Space between a reserved field and the printed text around it.
const PAD: f64 = 1.0;

/// A box on a page: the page (from 0), the box as displayed, and the turn of what it shows
/// in user space (counter-clockwise degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub page: u64,
    pub rect: Rect,
    pub rotation: u16,
}

/// The direction of a line in user space, to the nearest quarter turn: from its first
/// glyph to its last (a one-glyph line is taken as horizontal).
pub fn direction(line: &TextLine) -> u16 {
    let center = |b: &text::TextBox| ((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0);
    let (Some(first), Some(last)) = (line.chars.first(), line.chars.last()) else {
        return 0;
    };
    let ((ax, ay), (bx, by)) = (center(&first.bbox), center(&last.bbox));
    let (dx, dy) = (bx - ax, by - ay);
    if dx.abs() < 1e-6 && dy.abs() < 1e-6 {
        return 0;
    }
    let degrees = dy.atan2(dx).to_degrees().rem_euclid(360.0);
    (((degrees / 90.0).round() as u16) % 4) * 90
}

/// A box found by anchor: `size` (along and across the anchor's text) centred above it, in
/// the text's direction, moved onto the page when it overhangs.
pub fn above_anchor(
    geometry: &PageGeometry,
    page: u64,
    anchor: &Rect,
    rotation: u16,
    size: (f64, f64),
    gap: f64,
) -> Result<Placed> {
    let a = rect_to_frame(anchor, rotation);
    let (w, h) = size;
    let cx = (a.x0 + a.x1) / 2.0;
    let frame = Rect::from_xywh(cx - w / 2.0, a.y1 + gap, w, h);
    let user = shift_onto(geometry, rect_from_frame(&frame, rotation));
    on_page(geometry, page, geometry.rect_to_displayed(&user), rotation)
}

/// The seal's box: `size` in the frame of the leader's widget, its right edge on the end of
/// the first third of the leader's image, centred on it across (NĐ 30: the seal covers about
/// a third of the signature, on its left).
pub fn over_left_third(
    geometry: &PageGeometry,
    page: u64,
    image: &Rect,
    rotation: u16,
    size: (f64, f64),
) -> Result<Placed> {
    let i = rect_to_frame(image, rotation);
    let (w, h) = size;
    let right = i.x0 + i.width() / 3.0;
    let middle = (i.y0 + i.y1) / 2.0;
    let frame = Rect::from_xywh(right - w, middle - h / 2.0, w, h);
    let user = shift_onto(geometry, rect_from_frame(&frame, rotation));
    on_page(geometry, page, geometry.rect_to_displayed(&user), rotation)
}

/// A box given in displayed coordinates: drawn upright on screen.
pub fn given(geometry: &PageGeometry, page: u64, rect: Rect) -> Result<Placed> {
    on_page(geometry, page, rect, geometry.rotate)
}

fn on_page(geometry: &PageGeometry, page: u64, rect: Rect, rotation: u16) -> Result<Placed> {
    kyso_pdf::geometry::check_on_page(geometry, &rect).map_err(|reason| {
        AppearanceFailure::BoxOutsidePage {
            page: page + 1,
            reason,
        }
    })?;
    Ok(Placed {
        page,
        rect,
        rotation,
    })
}

/// `rect` (user space) moved, not resized, to lie inside the visible page when it can.
fn shift_onto(geometry: &PageGeometry, rect: Rect) -> Rect {
    let c = &geometry.crop;
    let shift = |lo: f64, hi: f64, min: f64, max: f64| {
        if lo < min {
            min - lo
        } else if hi > max {
            (max - hi).max(min - lo)
        } else {
            0.0
        }
    };
    let dx = shift(rect.x0, rect.x1, c.x0, c.x1);
    let dy = shift(rect.y0, rect.y1, c.y0, c.y1);
    Rect::new(rect.x0 + dx, rect.y0 + dy, rect.x1 + dx, rect.y1 + dy)
}

/// The user-space box and direction of `needle` on page `page`: exactly one match, or the
/// `index`-th (from 1).
pub fn find_anchor<S: Source>(
    doc: &Document<S>,
    page: u64,
    needle: &str,
    index: Option<usize>,
) -> Result<(Rect, u16)> {
    let lines = text::extract_page(doc, pages::page_id(doc, page)?)?;
    let mut found: Vec<(text::TextBox, u16)> = Vec::new();
    for line in &lines {
        let rotation = direction(line);
        found.extend(
            text::find(std::slice::from_ref(line), needle)
                .into_iter()
                .map(|b| (b, rotation)),
        );
    }
    let not_found = || AppearanceFailure::AnchorNotFound {
        text: needle.to_string(),
        page: page + 1,
    };
    let (b, rotation) = match (found.len(), index) {
        (0, _) => return Err(not_found()),
        (1, None) => found[0],
        (n, None) => {
            return Err(AppearanceFailure::AnchorAmbiguous {
                text: needle.to_string(),
                page: page + 1,
                count: n,
            });
        }
        (_, Some(i)) => *found.get(i.wrapping_sub(1)).ok_or_else(not_found)?,
    };
    Ok((user_rect(&b), rotation))
}

/// Glyphs on one baseline, in the frame of their direction, left to right: the pieces of a
/// line a producer wrote apart ("Quảng Ngãi, ngày" … "tháng" … "năm 2026") put back together.
struct Row {
    rotation: u16,
    /// Each glyph's text and box in the row's frame.
    chars: Vec<(String, Rect)>,
}

impl Row {
    /// The text's lines grouped into rows: same direction, baselines within a third of the
    /// font size.
    fn of(lines: &[TextLine]) -> Vec<Row> {
        let mut rows: Vec<(Row, f64, f64)> = Vec::new();
        for line in lines {
            let rotation = direction(line);
            let chars: Vec<(String, Rect)> = line
                .chars
                .iter()
                .map(|c| (c.text.clone(), rect_to_frame(&user_rect(&c.bbox), rotation)))
                .collect();
            let Some(bottom) = chars.iter().map(|(_, r)| r.y0).reduce(f64::min) else {
                continue;
            };
            let tolerance = line.font_size.max(1.0) / 3.0;
            match rows
                .iter_mut()
                .find(|(r, y, _)| r.rotation == rotation && (y - bottom).abs() <= tolerance)
            {
                Some((row, _, _)) => row.chars.extend(chars),
                None => rows.push((Row { rotation, chars }, bottom, tolerance)),
            }
        }
        rows.into_iter()
            .map(|(mut row, _, _)| {
                row.chars.sort_by(|a, b| {
                    a.1.x0
                        .partial_cmp(&b.1.x0)
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                row
            })
            .collect()
    }

    /// The first run of glyphs spelling `word` at or after glyph `from`, as [start, end).
    fn span(&self, word: &str, from: usize) -> Option<(usize, usize)> {
        let wanted: Vec<char> = word.chars().collect();
        let flat: Vec<(usize, char)> = self
            .chars
            .iter()
            .enumerate()
            .skip(from)
            .flat_map(|(i, (t, _))| t.chars().map(move |c| (i, c)))
            .collect();
        (0..flat.len()).find_map(|s| {
            let window = flat.get(s..s + wanted.len())?;
            window
                .iter()
                .map(|(_, c)| *c)
                .eq(wanted.iter().copied())
                .then(|| (window[0].0, window[window.len() - 1].0 + 1))
        })
    }

    fn bounds(&self, start: usize, end: usize) -> Rect {
        self.chars[start..end]
            .iter()
            .map(|(_, r)| *r)
            .reduce(|a, b| {
                Rect::new(
                    a.x0.min(b.x0),
                    a.y0.min(b.y0),
                    a.x1.max(b.x1),
                    a.y1.max(b.y1),
                )
            })
            .unwrap_or(Rect::new(0.0, 0.0, 0.0, 0.0))
    }

    /// The word after glyph `end` — glyphs up to a space or a gap of a quarter of their
    /// height (pieces a producer wrote apart have no space between them) — and where it
    /// starts; None when nothing follows.
    fn next_word(&self, end: usize) -> Option<(String, f64)> {
        let mut rest = self.chars[end..]
            .iter()
            .skip_while(|(t, _)| t.trim().is_empty());
        let (text, first) = rest.next()?;
        let mut word = text.clone();
        let mut last = *first;
        for (t, r) in rest {
            if t.trim().is_empty() || r.x0 - last.x1 > last.height() / 4.0 {
                break;
            }
            word.push_str(t);
            last = *r;
        }
        Some((word, first.x0))
    }

    /// Whether glyphs between [a, b) hold a digit (a blank already filled in).
    fn has_digit(&self, a: usize, b: usize) -> bool {
        self.chars[a..b]
            .iter()
            .any(|(t, _)| t.chars().any(|c| c.is_ascii_digit()))
    }
}

/// The fields for the clerk's number and date, found on page 1: right of "Số:" up to the
/// code printed after it ("/QĐ-UBND"), and in the blanks of a date line "…, ngày … tháng …
/// năm …" whose blanks are empty (the year too when it is blank). When the reservation was
/// asked for explicitly, missing anchors are an error; by default they only warn.
pub fn reserve_fields<S: Source>(
    doc: &Document<S>,
    explicit: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<ReservedField>> {
    let page_id = pages::page_id(doc, 0)?;
    let geometry = PageGeometry::of_page(doc, page_id)?;
    let rows = Row::of(&text::extract_page(doc, page_id)?);
    let mut fields = Vec::new();
    let mut field = |name: &str, row: &Row, frame: Rect| {
        let user = rect_from_frame(&frame, row.rotation);
        fields.push(ReservedField {
            name: name.to_string(),
            page: 0,
            rect: geometry.rect_to_displayed(&user),
            rotation: row.rotation,
        });
    };
    let mut missing = Vec::new();
    let number = rows
        .iter()
        .find_map(|row| row.span("Số:", 0).map(|s| (row, s)));
    match number {
        Some((row, (start, end))) => {
            let a = row.bounds(start, end);
            let stop = row
                .next_word(end)
                .map_or(a.x1 + NUMBER_WIDTH, |(_, x)| x - PAD);
            field(
                NUMBER_FIELD,
                row,
                Rect::new(a.x1 + PAD, a.y0 - PAD, stop.max(a.x1 + 20.0), a.y1 + PAD),
            );
        }
        None => missing.push("\"Số:\""),
    }
    let date = rows.iter().find_map(|row| {
        let day = row.span("ngày", 0)?;
        let month = row.span("tháng", day.1)?;
        let year = row.span("năm", month.1)?;
        // A date already written ("ngày 19 tháng 02 năm 2025", as the body quotes laws) has
        // no blanks to reserve.
        (!row.has_digit(day.1, month.0) && !row.has_digit(month.1, year.0))
            .then_some((row, day, month, year))
    });
    match date {
        Some((row, day, month, year)) => {
            let (d, m, y) = (
                row.bounds(day.0, day.1),
                row.bounds(month.0, month.1),
                row.bounds(year.0, year.1),
            );
            let blank = |left: &Rect, right: &Rect| {
                Rect::new(left.x1 + PAD, left.y0 - PAD, right.x0 - PAD, left.y1 + PAD)
            };
            field(DAY_FIELD, row, blank(&d, &m));
            field(MONTH_FIELD, row, blank(&m, &y));
            let year_printed = row
                .next_word(year.1)
                .is_some_and(|(w, _)| w.chars().any(|c| c.is_ascii_digit()));
            if !year_printed {
                let width = (y.width() * 4.0 / 3.0).max(24.0);
                field(
                    YEAR_FIELD,
                    row,
                    Rect::new(y.x1 + PAD, y.y0 - PAD, y.x1 + PAD + width, y.y1 + PAD),
                );
            }
        }
        None => missing.push("date line (\"ngày … tháng … năm\") with blanks"),
    }
    if !missing.is_empty() {
        if explicit {
            return Err(AppearanceFailure::AnchorNotFound {
                text: missing.join(", "),
                page: 1,
            });
        }
        warnings.push(format!(
            "page 1 shows no {}: nothing was reserved for it",
            missing.join(" and no ")
        ));
    }
    fields.retain(|f| f.rect.width() > 2.0 && geometry.displayed().contains(&f.rect));
    Ok(fields)
}

/// The code printed right after a reserved field on its row ("/QĐ-UBND" after the number's
/// blank), if any: a number given with it is written without it, so it shows once.
pub fn printed_after<S: Source>(
    doc: &Document<S>,
    page: u64,
    rect: &Rect,
    rotation: u16,
) -> Result<Option<String>> {
    let geometry = geometry_of(doc, page)?;
    let lines = text::extract_page(doc, pages::page_id(doc, page)?)?;
    let field = rect_to_frame(&geometry.rect_to_user(rect), rotation);
    let rows = Row::of(&lines);
    let next = rows
        .iter()
        .filter(|r| r.rotation == rotation)
        .flat_map(|r| r.chars.iter().enumerate().map(move |(i, c)| (r, i, c)))
        .filter(|(_, _, (_, b))| {
            b.x0 >= field.x1 - 2.0 * PAD
                && b.x0 <= field.x1 + 6.0
                && b.y1 > field.y0
                && b.y0 < field.y1
        })
        .min_by(|a, b| {
            (a.2)
                .1
                .x0
                .partial_cmp(&(b.2).1.x0)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    Ok(next.and_then(|(row, i, _)| row.next_word(i).map(|(w, _)| w)))
}
