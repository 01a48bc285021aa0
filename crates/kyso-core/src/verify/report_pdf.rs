//! The verification report as a PDF an official can file or print: A4 pages with the lines of
//! [`super::summary`] in Liberation Serif (every Vietnamese letter, embedded as a subset,
//! text that copies and searches), a title, when and by what it was made, and page numbers.
//!
//! The file is written with kyso-pdf's own writer: a minimal document (a catalog and an empty
//! page tree, ISO 32000-2 §7.7.2–7.7.3) and one update that adds the pages (§7.7.3.3), their
//! content streams (§9.4) and the fonts (§9.7.6) — the same code path as every signature, so
//! nothing new parses or writes PDF.

use kyso_pdf::appearance::{Font, FontUse};
use kyso_pdf::update::IncrementalUpdate;
use kyso_pdf::{Dictionary, Document, Object};

use crate::VerifyReport;
use crate::messages::{Lang, text};
use crate::verify::summary::{SummaryLine, summary};

/// A4 in points (ISO 216; PDF units, §8.3.2.3).
const PAGE: (f64, f64) = (595.28, 841.89);
const MARGIN_X: f64 = 56.0;
const MARGIN_TOP: f64 = 64.0;
const MARGIN_BOTTOM: f64 = 60.0;

/// The report could not be made as a PDF (the font could not be subset or written).
#[derive(Debug, thiserror::Error)]
#[error("the report cannot be written as a PDF: {0}")]
pub struct ReportPdfError(String);

impl crate::messages::Coded for ReportPdfError {
    fn code(&self) -> &'static str {
        "REPORT_PDF_FAILED"
    }
    fn params(&self) -> crate::messages::Params {
        vec![("detail", self.0.clone())]
    }
}

/// How a line is set: its font, size and indent.
struct Style {
    bold: bool,
    size: f64,
    indent: f64,
}

fn style(depth: u8) -> Style {
    match depth {
        0 => Style {
            bold: true,
            size: 12.0,
            indent: 0.0,
        },
        1 => Style {
            bold: true,
            size: 11.0,
            indent: 0.0,
        },
        d => Style {
            bold: false,
            size: 10.0,
            indent: 14.0 * f64::from(d - 1),
        },
    }
}

/// A line set on a page: where, in which font and size, and what.
struct Placed {
    bold: bool,
    size: f64,
    x: f64,
    y: f64,
    text: String,
}

/// The report of `report` in `lang` as PDF bytes; `made_at` is when (as the official reads it).
pub fn report_pdf(
    report: &VerifyReport,
    lang: Lang,
    made_at: &str,
) -> Result<Vec<u8>, ReportPdfError> {
    let regular = Font::liberation_serif();
    let bold = Font::liberation_serif_bold();

    // Every line, wrapped to the text width, then cut into pages.
    let mut lines: Vec<(SummaryLine, Style)> = vec![
        (
            SummaryLine {
                depth: 0,
                text: text(lang, "report.title", &[]),
            },
            Style {
                bold: true,
                size: 16.0,
                indent: 0.0,
            },
        ),
        (
            SummaryLine {
                depth: 2,
                text: text(
                    lang,
                    "report.made",
                    &[("time", made_at), ("version", crate::VERSION)],
                ),
            },
            Style {
                bold: false,
                size: 9.0,
                indent: 0.0,
            },
        ),
    ];
    lines.extend(summary(report, lang).into_iter().map(|l| {
        let s = style(l.depth);
        (l, s)
    }));

    let width = PAGE.0 - 2.0 * MARGIN_X;
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = PAGE.1 - MARGIN_TOP;
    for (i, (line, style)) in lines.iter().enumerate() {
        let font = if style.bold { &bold } else { &regular };
        let leading = style.size * 1.4;
        // A little air before each signature's block and after the title block.
        if line.depth <= 1 && i > 1 {
            y -= style.size * 0.6;
        }
        for piece in wrap(
            font,
            &printable(font, &line.text),
            style.size,
            width - style.indent,
        ) {
            if y - leading < MARGIN_BOTTOM {
                pages.push(Vec::new());
                y = PAGE.1 - MARGIN_TOP;
            }
            y -= leading;
            if let Some(page) = pages.last_mut() {
                page.push(Placed {
                    bold: style.bold,
                    size: style.size,
                    x: MARGIN_X + style.indent,
                    y,
                    text: piece,
                });
            }
        }
    }

    // The document: a catalog and an empty page tree, then one update with everything.
    let base = minimal_document();
    let doc = Document::open(base.clone(), None).map_err(|e| ReportPdfError(e.to_string()))?;
    let (_, catalog) = doc.catalog().map_err(|e| ReportPdfError(e.to_string()))?;
    let pages_id = catalog
        .get(b"Pages")
        .and_then(Object::as_reference)
        .ok_or_else(|| ReportPdfError("the page tree is missing".into()))?;
    let mut update = IncrementalUpdate::new(&doc);
    let mut regular_use = FontUse::new(&regular);
    let mut bold_use = FontUse::new(&bold);
    let count = pages.len();
    let mut contents = Vec::with_capacity(count);
    for (n, page) in pages.iter().enumerate() {
        let mut ops = String::new();
        for placed in page {
            let (name, used) = if placed.bold {
                ("F2", &mut bold_use)
            } else {
                ("F1", &mut regular_use)
            };
            let bytes = used
                .encode(&placed.text)
                .map_err(|e| ReportPdfError(e.to_string()))?;
            ops.push_str(&format!(
                "BT /{name} {} Tf 1 0 0 1 {} {} Tm <{}> Tj ET\n",
                num(placed.size),
                num(placed.x),
                num(placed.y),
                hex(&bytes)
            ));
        }
        let footer = printable(
            &regular,
            &text(
                lang,
                "report.page",
                &[("n", &(n + 1).to_string()), ("count", &count.to_string())],
            ),
        );
        let footer_width = regular
            .width(&footer, 9.0)
            .map_err(|e| ReportPdfError(e.to_string()))?;
        let bytes = regular_use
            .encode(&footer)
            .map_err(|e| ReportPdfError(e.to_string()))?;
        ops.push_str(&format!(
            "BT /F1 9 Tf 1 0 0 1 {} {} Tm <{}> Tj ET\n",
            num(PAGE.0 - MARGIN_X - footer_width),
            num(MARGIN_BOTTOM / 2.0),
            hex(&bytes)
        ));
        contents.push(update.add_deflated_stream(Dictionary::new(), ops.as_bytes()));
    }
    let regular_id = regular_use
        .write(&mut update)
        .map_err(|e| ReportPdfError(e.to_string()))?;
    let bold_id = if bold_use.is_empty() {
        regular_id
    } else {
        bold_use
            .write(&mut update)
            .map_err(|e| ReportPdfError(e.to_string()))?
    };

    let mut fonts = Dictionary::new();
    fonts.set(b"F1", regular_id);
    fonts.set(b"F2", bold_id);
    let mut resources = Dictionary::new();
    resources.set(b"Font", Object::Dictionary(fonts));
    let kids: Vec<Object> = contents
        .into_iter()
        .map(|content| {
            let mut page = Dictionary::new();
            page.set(b"Type", Object::name(b"Page"));
            page.set(b"Parent", pages_id);
            page.set(
                b"MediaBox",
                Object::Array(vec![
                    Object::Integer(0),
                    Object::Integer(0),
                    Object::Real(num(PAGE.0)),
                    Object::Real(num(PAGE.1)),
                ]),
            );
            page.set(b"Resources", Object::Dictionary(resources.clone()));
            page.set(b"Contents", content);
            Object::Reference(update.add(Object::Dictionary(page)))
        })
        .collect();
    let mut tree = Dictionary::new();
    tree.set(b"Type", Object::name(b"Pages"));
    tree.set(b"Kids", Object::Array(kids));
    tree.set(b"Count", Object::Integer(count as i64));
    update.replace(pages_id, Object::Dictionary(tree));

    let written = update
        .write(base.len() as u64, base.last().copied())
        .map_err(|e| ReportPdfError(e.to_string()))?;
    let mut out = base;
    out.extend_from_slice(&written.bytes);
    Ok(out)
}

/// `%PDF-1.7`, a catalog (object 1) and an empty page tree (object 2), with their
/// cross-reference table (§7.5.4) and trailer (§7.5.5).
fn minimal_document() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [] /Count 0 >>",
    ];
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// `text` with the characters the font has no glyph for replaced: the marks of the text
/// report by their nearest letters (✗ by ×), anything else by "?".
fn printable(font: &Font, text: &str) -> String {
    text.chars()
        .map(|ch| {
            let mut buf = [0u8; 4];
            if font.covers(ch.encode_utf8(&mut buf)) {
                return ch.to_string();
            }
            match ch {
                '✗' => "×".into(),
                '→' => "->".into(),
                _ => "?".into(),
            }
        })
        .collect()
}

/// `text` cut at spaces (a word too long for a line, anywhere) into lines at most `width`
/// points wide in `font` at `size`.
fn wrap(font: &Font, text: &str, size: f64, width: f64) -> Vec<String> {
    let fits = |s: &str| font.width(s, size).map(|w| w <= width).unwrap_or(true);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word wider than a line (a path, a fingerprint): cut it where it must be.
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if !fits(&piece) {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(ch);
            }
        }
        current = piece;
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_within_the_width_and_keeps_every_word() {
        let font = Font::liberation_serif();
        let text = "Chữ ký số của Nguyễn Văn An trên văn bản /một/đường/dẫn/rất/dài/không/có/dấu/cách/nào/cả/để/cắt/đúng/chỗ.pdf được kiểm tra";
        let lines = wrap(&font, text, 10.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(font.width(line, 10.0).unwrap() <= 120.0, "{line}");
        }
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn marks_without_a_glyph_are_replaced() {
        let font = Font::liberation_serif();
        let shown = printable(&font, "✗ Chữ ký ✓");
        assert!(font.covers(&shown), "{shown}");
        assert!(shown.starts_with("× Chữ ký"));
    }
}
