//! From glyphs to lines: glyphs of one writing direction whose baselines agree form a line,
//! in reading order along that direction, with a space where a gap says one was meant.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::interpret::RawChar;
use super::{TextBox, TextChar, TextLine};

/// Baselines closer than this (in em of the smaller glyph) are one baseline.
const BASELINE_TOLERANCE_EM: f64 = 0.4;
/// A gap wider than this (em) between two glyphs is a word space.
pub const SPACE_GAP_EM: f64 = 0.2;
/// A gap wider than this (em) splits the line: columns on one baseline are separate lines.
pub const COLUMN_GAP_EM: f64 = 3.0;
/// Glyphs drawn twice at (almost) the same place (fake bold, shadows) count once.
const DUPLICATE_EM: f64 = 0.1;

/// A glyph in the frame of its writing direction: `p` along it, `q` across it.
struct Work {
    text: String,
    bbox: TextBox,
    p0: f64,
    p1: f64,
    q0: f64,
    q1: f64,
    /// The baseline's position across the direction.
    baseline: f64,
    size: f64,
}

/// One direction's frame: the unit vectors along and across (90° counter-clockwise).
#[derive(Clone, Copy)]
struct Frame {
    angle: i32,
    d: (f64, f64),
    n: (f64, f64),
}

impl Frame {
    fn of_angle(angle: i32) -> Frame {
        let radians = f64::from(angle).to_radians();
        let d = (radians.cos(), radians.sin());
        Frame {
            angle,
            d,
            n: (-d.1, d.0),
        }
    }
    fn along(&self, p: (f64, f64)) -> f64 {
        p.0 * self.d.0 + p.1 * self.d.1
    }
    fn across(&self, p: (f64, f64)) -> f64 {
        p.0 * self.n.0 + p.1 * self.n.1
    }
    fn point(&self, p: f64, q: f64) -> (f64, f64) {
        (p * self.d.0 + q * self.n.0, p * self.d.1 + q * self.n.1)
    }
    fn rect(&self, p0: f64, p1: f64, q0: f64, q1: f64) -> TextBox {
        TextBox::around(&[
            self.point(p0, q0),
            self.point(p1, q0),
            self.point(p1, q1),
            self.point(p0, q1),
        ])
    }
}

/// The direction of a glyph, in whole degrees counter-clockwise from the x axis.
fn angle_of(dir: (f64, f64)) -> i32 {
    let degrees = dir.1.atan2(dir.0).to_degrees().round() as i32;
    degrees.rem_euclid(360)
}

/// Groups glyphs into lines, sorted top to bottom, then left to right.
pub(crate) fn lines(chars: Vec<RawChar>) -> Vec<TextLine> {
    // Directions, and the glyphs of each, in content order.
    let mut groups: Vec<(Frame, Vec<Work>)> = Vec::new();
    for raw in chars {
        let angle = angle_of(raw.dir);
        let index = match groups.iter().position(|(f, _)| f.angle == angle) {
            Some(i) => i,
            None => {
                groups.push((Frame::of_angle(angle), Vec::new()));
                groups.len() - 1
            }
        };
        let (frame, works) = &mut groups[index];
        let work = to_work(frame, raw);
        // A combining mark drawn as its own glyph joins the glyph before it.
        if work.text.chars().next().is_some_and(is_combining_mark)
            && let Some(previous) = works.last_mut()
        {
            previous.text.push_str(&work.text);
            previous.bbox = previous.bbox.union(&work.bbox);
            previous.q0 = previous.q0.min(work.q0);
            previous.q1 = previous.q1.max(work.q1);
            continue;
        }
        works.push(work);
    }

    let mut out: Vec<(f64, TextLine)> = Vec::new();
    for (frame, mut works) in groups {
        works.sort_by(|a, b| b.baseline.total_cmp(&a.baseline));
        let mut cluster: Vec<Work> = Vec::new();
        let mut sum = 0.0;
        for work in works {
            if let Some(first) = cluster.first() {
                let mean = sum / cluster.len() as f64;
                let tolerance = BASELINE_TOLERANCE_EM * work.size.min(first.size);
                if mean - work.baseline > tolerance {
                    let done = std::mem::take(&mut cluster);
                    emit(&frame, done, mean, &mut out);
                    sum = 0.0;
                }
            }
            sum += work.baseline;
            cluster.push(work);
        }
        if !cluster.is_empty() {
            let mean = sum / cluster.len() as f64;
            emit(&frame, cluster, mean, &mut out);
        }
    }
    out.sort_by(|(ya, a), (yb, b)| yb.total_cmp(ya).then(a.bbox.x0.total_cmp(&b.bbox.x0)));
    out.into_iter().map(|(_, line)| line).collect()
}

fn to_work(frame: &Frame, raw: RawChar) -> Work {
    let along: Vec<f64> = raw.corners.iter().map(|&c| frame.along(c)).collect();
    let across: Vec<f64> = raw.corners.iter().map(|&c| frame.across(c)).collect();
    let (start, end) = (frame.along(raw.origin), frame.along(raw.end));
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Work {
        text: raw.text,
        bbox: TextBox::around(&raw.corners),
        p0: start.min(end).min(min(&along)),
        p1: start.max(end).max(max(&along)),
        q0: min(&across),
        q1: max(&across),
        baseline: frame.across(raw.origin),
        size: raw.size,
    }
}

/// One baseline's glyphs: sorted along the direction, split at column gaps, with spaces.
fn emit(frame: &Frame, mut works: Vec<Work>, baseline: f64, out: &mut Vec<(f64, TextLine)>) {
    works.sort_by(|a, b| a.p0.total_cmp(&b.p0));
    let mut line: Vec<Work> = Vec::new();
    for work in works {
        // A combining mark that came first in the content joins the letter before it
        // along the line.
        if work.text.chars().next().is_some_and(is_combining_mark)
            && let Some(previous) = line.last_mut()
        {
            previous.text.push_str(&work.text);
            previous.bbox = previous.bbox.union(&work.bbox);
            previous.q0 = previous.q0.min(work.q0);
            previous.q1 = previous.q1.max(work.q1);
            continue;
        }
        if let Some(previous) = line.last() {
            let em = previous.size.max(work.size);
            let duplicate = previous.text == work.text
                && (work.p0 - previous.p0).abs() < DUPLICATE_EM * em
                && (work.baseline - previous.baseline).abs() < DUPLICATE_EM * em;
            if duplicate {
                continue;
            }
            if work.p0 - previous.p1 > COLUMN_GAP_EM * em {
                let done = std::mem::take(&mut line);
                out.push(finish(frame, done, baseline));
            }
        }
        line.push(work);
    }
    if !line.is_empty() {
        out.push(finish(frame, line, baseline));
    }
}

/// The combining mark of a spacing accent (U+00B4 ´ → U+0301), for accents that TeX and
/// others draw as glyphs of their own over or under a letter.
fn combining_of(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    Some(match c {
        '\u{0060}' => '\u{0300}',
        '\u{00B4}' => '\u{0301}',
        '\u{02C6}' => '\u{0302}',
        '\u{02DC}' => '\u{0303}',
        '\u{00AF}' | '\u{02C9}' => '\u{0304}',
        '\u{02D8}' => '\u{0306}',
        '\u{02D9}' => '\u{0307}',
        '\u{00A8}' => '\u{0308}',
        '\u{02DA}' => '\u{030A}',
        '\u{02DD}' => '\u{030B}',
        '\u{02C7}' => '\u{030C}',
        '\u{00B8}' => '\u{0327}',
        '\u{02DB}' => '\u{0328}',
        _ => return None,
    })
}

/// Joins a spacing accent to the letter it is drawn over: the accent's middle lies within
/// that letter's advance (the letter before it along the line, else the one after).
fn attach_accents(works: Vec<Work>) -> Vec<Work> {
    let mut out: Vec<Work> = Vec::with_capacity(works.len());
    let mut pending: Option<(char, Work)> = None;
    for work in works {
        if let Some(mark) = combining_of(&work.text) {
            let middle = (work.p0 + work.p1) / 2.0;
            if let Some(previous) = out.last_mut()
                && pending.is_none()
                && previous.p0 < middle
                && middle < previous.p1
                && combining_of(&previous.text).is_none()
            {
                join(previous, mark, &work);
                continue;
            }
            if let Some((_, held)) = pending.take() {
                out.push(held);
            }
            pending = Some((mark, work));
            continue;
        }
        let mut work = work;
        if let Some((mark, held)) = pending.take() {
            let middle = (held.p0 + held.p1) / 2.0;
            if work.p0 < middle && middle < work.p1 {
                join(&mut work, mark, &held);
            } else {
                out.push(held);
            }
        }
        out.push(work);
    }
    if let Some((_, held)) = pending {
        out.push(held);
    }
    out
}

fn join(base: &mut Work, mark: char, accent: &Work) {
    base.text.push(mark);
    base.bbox = base.bbox.union(&accent.bbox);
    base.q0 = base.q0.min(accent.q0);
    base.q1 = base.q1.max(accent.q1);
}

fn finish(frame: &Frame, works: Vec<Work>, baseline: f64) -> (f64, TextLine) {
    let works = attach_accents(works);
    let mut chars: Vec<TextChar> = Vec::with_capacity(works.len());
    let mut sizes: Vec<f64> = works.iter().map(|w| w.size).collect();
    for (i, work) in works.iter().enumerate() {
        if i > 0 {
            let previous = &works[i - 1];
            let em = (previous.size + work.size) / 2.0;
            let gap = work.p0 - previous.p1;
            let spaced = previous.text.ends_with(char::is_whitespace)
                || work.text.starts_with(char::is_whitespace);
            if gap > SPACE_GAP_EM * em && !spaced {
                let q0 = previous.q0.min(work.q0);
                let q1 = previous.q1.max(work.q1);
                chars.push(TextChar {
                    text: " ".to_string(),
                    bbox: frame.rect(previous.p1, work.p0, q0, q1),
                });
            }
        }
        chars.push(TextChar {
            text: normalize(&work.text),
            bbox: work.bbox,
        });
    }
    let bbox = chars
        .iter()
        .skip(1)
        .fold(chars[0].bbox, |b, c| b.union(&c.bbox));
    let text: String = chars.iter().map(|c| c.text.as_str()).collect();
    sizes.sort_by(f64::total_cmp);
    let font_size = sizes[sizes.len() / 2];
    let key = if frame.angle == 0 { baseline } else { bbox.y1 };
    (
        key,
        TextLine {
            text,
            bbox,
            chars,
            font_size,
        },
    )
}

/// NFC, with the Latin ligature characters (U+FB00–U+FB06) spelled out, so that "ﬁ"
/// reads and matches as "fi".
pub(crate) fn normalize(text: &str) -> String {
    let mut spelled = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => spelled.push_str("ff"),
            '\u{FB01}' => spelled.push_str("fi"),
            '\u{FB02}' => spelled.push_str("fl"),
            '\u{FB03}' => spelled.push_str("ffi"),
            '\u{FB04}' => spelled.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => spelled.push_str("st"),
            other => spelled.push(other),
        }
    }
    spelled.nfc().collect()
}
