//! Filling text fields (ISO 32000-2 §12.7.4.3): a new `/V` and a new appearance written as
//! an incremental update — form filling, the change every validator permits after an
//! approval signature (§12.8.2.2, P=2). This is how the clerk gives a document its number
//! and date after the leader has signed it, in fields the leader's revision reserved.

use crate::document::Document;
use crate::form::{self, Field};
use crate::object::{Object, PdfString};
use crate::signature::{self, PlanError};
use crate::source::Source;
use crate::update::{IncrementalUpdate, WrittenUpdate};
use crate::visible::{Canvas, ReservedField};

/// One field to fill.
pub struct FieldFill {
    /// An existing text field (fully qualified name), or a new one to add filled.
    pub target: FillTarget,
    /// The text value (`/V`).
    pub value: String,
    /// What the field shows, sized to its box as displayed.
    pub canvas: Canvas,
}

pub enum FillTarget {
    Existing(String),
    New(ReservedField),
}

/// Plans the update that fills `fills`. A field to fill must exist and be a text field;
/// a new field must not exist yet.
pub fn plan_fill<S: Source>(
    doc: &Document<S>,
    fills: &[FieldFill],
) -> Result<WrittenUpdate, PlanError> {
    let fields = form::fields(doc)?;
    if let Some(1) = form::certification_level(doc)? {
        return Err(PlanError::CertifiedNoChanges);
    }
    let mut update = IncrementalUpdate::new(doc);
    let (catalog_id, mut catalog) = doc.catalog()?;
    let mut catalog_changed = false;
    for fill in fills {
        match &fill.target {
            FillTarget::Existing(name) => {
                let field = text_field(&fields, name)?;
                fill_existing(&mut update, field, &fill.value, &fill.canvas)?;
            }
            FillTarget::New(spec) => {
                if fields
                    .iter()
                    .any(|f| signature::same_or_beneath(&f.name, &spec.name))
                {
                    return Err(PlanError::FieldExists(spec.name.clone()));
                }
                signature::add_text_field(
                    &mut update,
                    &mut catalog,
                    &mut catalog_changed,
                    spec,
                    Some((&fill.value, &fill.canvas)),
                )?;
            }
        }
    }
    if catalog_changed {
        update.replace(catalog_id, Object::Dictionary(catalog));
    }
    let last = doc
        .source()
        .read_window(doc.len().saturating_sub(1), 1)
        .map_err(crate::PdfError::Io)?;
    Ok(update.write(doc.len(), last.first().copied())?)
}

/// The terminal text field named `name`.
pub fn text_field<'f>(fields: &'f [Field], name: &str) -> Result<&'f Field, PlanError> {
    let field = fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| PlanError::FieldMissing(name.to_string()))?;
    if field.field_type.as_deref() != Some("Tx") {
        return Err(PlanError::FieldNotText(name.to_string()));
    }
    Ok(field)
}

fn fill_existing<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    field: &Field,
    value: &str,
    canvas: &Canvas,
) -> Result<(), PlanError> {
    let doc = update.document();
    let (widget_id, widget) = signature::existing_widget(doc, field)?;
    let (_, _, rotation) = signature::field_box(doc, field)?;
    let appearance = canvas.write(update, rotation)?;
    let mut dict = field.dict.clone();
    dict.set(b"V", PdfString::from_text(value));
    if widget_id == field.id {
        set_normal_appearance(&mut dict, appearance);
    } else {
        let mut widget = widget.clone();
        set_normal_appearance(&mut widget, appearance);
        update.replace(widget_id, Object::Dictionary(widget));
    }
    update.replace(field.id, Object::Dictionary(dict));
    Ok(())
}

/// `/AP << /N appearance >>`, keeping the widget's flags as they are.
fn set_normal_appearance(widget: &mut crate::Dictionary, appearance: crate::ObjectId) {
    let mut ap = crate::Dictionary::new();
    ap.set(b"N", Object::Reference(appearance));
    widget.set(b"AP", ap);
}
