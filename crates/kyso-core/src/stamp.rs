//! The clerk's number and date (`kyso stamp`, "Thêm số" and "Thêm ngày"): filled into the
//! read-only fields the leader's signature reserved ([`crate::appearance`]), as form filling
//! — the change an approval signature permits (ISO 32000-2 §12.8.2.2), so the leader's
//! signature stays valid for Kyso, pyHanko and Adobe. The seal signature that follows locks
//! them (FieldMDP).
//!
//! A document without reserved fields gets them filled in as new fields — but only while it
//! holds no signature: writing on a signed page would break that signature, so it is
//! refused with a clear error instead.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use kyso_pdf::appearance::Font;
use kyso_pdf::fill::{FieldFill, FillTarget, plan_fill};
use kyso_pdf::geometry::Rect;
use kyso_pdf::signature::field_box;
use kyso_pdf::visible::{Align, Canvas, FontSize, Rgb, TextBlock, frame_size};
use kyso_pdf::{Document, FileSource, form};

use crate::appearance::{self, DAY_FIELD, MONTH_FIELD, NUMBER_FIELD, YEAR_FIELD};
use crate::error::Error;
use crate::output::{OutputFile, same_file};
use crate::verify::fieldmdp;

/// The size the number and date are written at, at most: the size official documents use
/// for "Số:" and the date line (Times New Roman 13–14 pt, NĐ 30 Appendix I).
const STAMP_SIZE: f64 = 13.0;

/// What the clerk gives.
#[derive(Debug, Clone, Default)]
pub struct StampRequest {
    /// The document's number and code, e.g. `123/QĐ-UBND`.
    pub number: Option<String>,
    /// The date of issue: year, month, day.
    pub date: Option<(i32, u8, u8)>,
    pub pdf_password: Option<crate::Password>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StampOutcome {
    pub input: PathBuf,
    pub output: PathBuf,
    /// The fields filled, by name.
    pub fields: Vec<String>,
    /// Whether the fields were reserved by a signature (else added now, before any).
    pub reserved: bool,
}

/// Parses `YYYY-MM-DD` into a calendar date that exists.
pub fn parse_date(text: &str) -> Result<(i32, u8, u8), String> {
    let bad = || format!("\"{text}\" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-04");
    let parts: Vec<&str> = text.trim().split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i32, u8, u8) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    time::Date::from_calendar_date(y, month, d).map_err(|_| bad())?;
    Ok((y, m, d))
}

/// Fills the number and date of `input` into `output` (an incremental update; the input
/// is never modified; on any error nothing is written).
pub fn stamp_file(
    input: &Path,
    output: &Path,
    request: &StampRequest,
) -> Result<StampOutcome, Error> {
    if input == output || same_file(input, output) {
        return Err(Error::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    let read_err = |source| Error::ReadInput {
        path: input.to_path_buf(),
        source,
    };
    let pdf_err = |source| Error::Pdf {
        path: input.to_path_buf(),
        source,
    };
    let plan_err = |source| Error::Plan {
        path: input.to_path_buf(),
        source,
    };
    let before = std::fs::metadata(input).map_err(read_err)?;
    let source = FileSource::new(File::open(input).map_err(read_err)?).map_err(read_err)?;
    let password = request.pdf_password.as_ref().map(crate::Password::as_str);
    let doc = Document::open(source, password).map_err(pdf_err)?;

    let mut values: Vec<(&str, String)> = Vec::new();
    if let Some(number) = &request.number {
        values.push((NUMBER_FIELD, number.trim().to_string()));
    }
    if let Some((y, m, d)) = request.date {
        values.push((DAY_FIELD, format!("{d:02}")));
        values.push((MONTH_FIELD, format!("{m:02}")));
        values.push((YEAR_FIELD, y.to_string()));
    }
    let fields = form::fields(&doc).map_err(pdf_err)?;
    let signatures = form::signatures(&doc).map_err(pdf_err)?;
    let serif = Rc::new(Font::liberation_serif());
    // What a field shows: the value in the field's frame, the number from its left edge
    // (a little in, so it does not touch "Số:"), the day, month and year centred.
    let canvas = |name: &str, value: &str, page: u64, rect: &Rect, rotation: u16| {
        let geometry = appearance::geometry_of(&doc, page)?;
        let (w, h) = frame_size(&geometry, rect, rotation);
        let (align, left) = if name == NUMBER_FIELD {
            (Align::Left, (h * 0.2).min(3.0))
        } else {
            (Align::Center, 0.0)
        };
        let mut c = Canvas::new(w, h);
        c.texts.push(TextBlock {
            text: value.to_string(),
            font: serif.clone(),
            size: FontSize::Fit(STAMP_SIZE.min(h / 1.15)),
            color: Rgb::BLACK,
            align,
            rect: Rect::new(left, 0.0, w, h),
        });
        Ok::<Canvas, appearance::AppearanceFailure>(c)
    };
    // The number's code is printed after its blank ("Số: …/QĐ-UBND"): a number given with
    // its code is written without it, so that the code shows once.
    let shown = |name: &str, value: &str, page: u64, rect: &Rect, rotation: u16| {
        if name != NUMBER_FIELD {
            return Ok(value.to_string());
        }
        let printed = appearance::printed_after(&doc, page, rect, rotation)?;
        Ok::<String, appearance::AppearanceFailure>(match printed {
            Some(code) if value.len() > code.len() && value.ends_with(&code) => {
                value[..value.len() - code.len()].trim_end().to_string()
            }
            _ => value.to_string(),
        })
    };
    let appearance_err = |source| Error::Appearance {
        path: input.to_path_buf(),
        source,
    };
    let reserved = [NUMBER_FIELD, DAY_FIELD, MONTH_FIELD, YEAR_FIELD]
        .iter()
        .any(|n| fields.iter().any(|f| f.name == *n));
    let mut fills = Vec::new();
    if reserved {
        for (name, value) in &values {
            let Some(field) = fields.iter().find(|f| f.name == *name) else {
                continue; // a year printed in the document has no field
            };
            // A field a signature locks (the seal's FieldMDP) stays as it was signed.
            if signatures
                .iter()
                .any(|s| fieldmdp::of_signature(&doc, s).locking(name).is_some())
            {
                return Err(Error::StampLocked {
                    path: input.to_path_buf(),
                    field: name.to_string(),
                });
            }
            let (page, rect, rotation) = field_box(&doc, field).map_err(pdf_err)?;
            let text = shown(name, value, page, &rect, rotation).map_err(appearance_err)?;
            fills.push(FieldFill {
                target: FillTarget::Existing(name.to_string()),
                value: value.clone(),
                canvas: canvas(name, &text, page, &rect, rotation).map_err(appearance_err)?,
            });
        }
    } else {
        if !signatures.is_empty() {
            return Err(Error::StampNoReservedFields {
                path: input.to_path_buf(),
            });
        }
        let mut warnings = Vec::new();
        let places =
            appearance::reserve_fields(&doc, true, &mut warnings).map_err(appearance_err)?;
        for (name, value) in &values {
            if let Some(spec) = places.iter().find(|p| p.name == *name) {
                let (page, rect, rotation) = (spec.page, &spec.rect, spec.rotation);
                let text = shown(name, value, page, rect, rotation).map_err(appearance_err)?;
                fills.push(FieldFill {
                    target: FillTarget::New(spec.clone()),
                    value: value.clone(),
                    canvas: canvas(name, &text, page, rect, rotation).map_err(appearance_err)?,
                });
            }
        }
    }
    if fills.is_empty() {
        return Err(Error::StampNoReservedFields {
            path: input.to_path_buf(),
        });
    }
    let filled: Vec<String> = fills
        .iter()
        .map(|f| match &f.target {
            FillTarget::Existing(n) => n.clone(),
            FillTarget::New(spec) => spec.name.clone(),
        })
        .collect();
    let update = plan_fill(&doc, &fills).map_err(plan_err)?;

    let write_err = |source| Error::WriteOutput {
        path: output.to_path_buf(),
        source,
    };
    let out = OutputFile::create_next_to(output).map_err(write_err)?;
    out.file()
        .set_permissions(before.permissions())
        .map_err(write_err)?;
    let mut original = File::open(input).map_err(read_err)?.take(doc.len());
    let copied = io::copy(&mut original, &mut out.file()).map_err(write_err)?;
    if copied != doc.len() {
        return Err(Error::InputChanged {
            path: input.to_path_buf(),
        });
    }
    out.file().write_all(&update.bytes).map_err(write_err)?;
    out.commit().map_err(write_err)?;
    Ok(StampOutcome {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        fields: filled,
        reserved,
    })
}
