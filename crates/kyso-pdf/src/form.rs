//! Interactive form fields (ISO 32000-2 §12.7) and the signatures they hold (§12.8).

use std::collections::HashSet;

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;

const MAX_FIELDS: usize = 100_000;
const MAX_FIELD_DEPTH: usize = 32;

/// A terminal form field.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: ObjectId,
    /// Fully qualified name (§12.7.4.2): partial names joined by dots.
    pub name: String,
    /// /FT, inherited (§12.7.4.1): "Sig", "Tx", "Btn", "Ch".
    pub field_type: Option<String>,
    /// /V of a signature field: the signature dictionary.
    pub value: Option<Object>,
    pub dict: Dictionary,
}

impl Field {
    pub fn is_signature(&self) -> bool {
        self.field_type.as_deref() == Some("Sig")
    }
    /// A signature field with no signature yet.
    pub fn is_empty_signature(&self) -> bool {
        self.is_signature() && self.value.is_none()
    }
}

/// Where the AcroForm and its /Fields array live.
#[derive(Debug, Clone)]
pub struct AcroFormLocation {
    /// The AcroForm object, when it is indirect.
    pub id: Option<ObjectId>,
    pub dict: Dictionary,
}

/// The AcroForm dictionary (§12.7.3), if the document has one.
pub fn acroform<S: Source>(doc: &Document<S>) -> Result<Option<AcroFormLocation>> {
    let (_, catalog) = doc.catalog()?;
    match catalog.get(b"AcroForm") {
        Some(Object::Reference(id)) => match doc.get(*id)? {
            Object::Dictionary(dict) => Ok(Some(AcroFormLocation {
                id: Some(*id),
                dict,
            })),
            _ => Ok(None),
        },
        Some(Object::Dictionary(dict)) => Ok(Some(AcroFormLocation {
            id: None,
            dict: dict.clone(),
        })),
        _ => Ok(None),
    }
}

/// Every terminal field of the form, in document order.
pub fn fields<S: Source>(doc: &Document<S>) -> Result<Vec<Field>> {
    let Some(form) = acroform(doc)? else {
        return Ok(Vec::new());
    };
    let roots = match form
        .dict
        .get(b"Fields")
        .map(|o| doc.resolve(o))
        .transpose()?
    {
        Some(Object::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for root in roots {
        if let Object::Reference(id) = root {
            walk_field(doc, id, "", None, 0, &mut seen, &mut out)?;
        }
    }
    Ok(out)
}

fn walk_field<S: Source>(
    doc: &Document<S>,
    id: ObjectId,
    parent_name: &str,
    parent_type: Option<&str>,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<Field>,
) -> Result<()> {
    if depth > MAX_FIELD_DEPTH || out.len() > MAX_FIELDS || !seen.insert(id) {
        return Ok(());
    }
    let Object::Dictionary(dict) = doc.get(id)? else {
        return Ok(());
    };
    let partial = dict
        .get(b"T")
        .and_then(Object::as_string)
        .map(|s| s.to_text());
    let name = match (&partial, parent_name.is_empty()) {
        (Some(p), true) => p.clone(),
        (Some(p), false) => format!("{parent_name}.{p}"),
        (None, _) => parent_name.to_string(),
    };
    let field_type = dict
        .get_name(b"FT")
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .or_else(|| parent_type.map(str::to_string));
    let kids: Vec<ObjectId> = match dict.get(b"Kids").map(|k| doc.resolve(k)).transpose()? {
        Some(Object::Array(items)) => items.iter().filter_map(Object::as_reference).collect(),
        _ => Vec::new(),
    };
    // Kids that are fields have /T; kids without are widgets of this field (§12.7.4.1).
    let mut field_kids = Vec::new();
    for kid in &kids {
        if let Ok(Object::Dictionary(k)) = doc.get(*kid)
            && k.contains(b"T")
        {
            field_kids.push(*kid);
        }
    }
    if field_kids.is_empty() {
        let value = match dict.get(b"V") {
            None | Some(Object::Null) => None,
            Some(v) => Some(v.clone()),
        };
        out.push(Field {
            id,
            name,
            field_type,
            value,
            dict,
        });
    } else {
        for kid in field_kids {
            walk_field(doc, kid, &name, field_type.as_deref(), depth + 1, seen, out)?;
        }
    }
    Ok(())
}

/// An existing signature (§12.8.1), as found in a signature field's /V.
#[derive(Debug, Clone)]
pub struct ExistingSignature {
    pub field_name: String,
    pub field_id: ObjectId,
    pub dict_id: Option<ObjectId>,
    pub dict: Dictionary,
}

impl ExistingSignature {
    pub fn sub_filter(&self) -> Option<String> {
        self.dict
            .get_name(b"SubFilter")
            .map(|n| String::from_utf8_lossy(n).into_owned())
    }
    pub fn is_document_timestamp(&self) -> bool {
        self.dict.has_type(b"DocTimeStamp")
    }
    /// The claimed signing time, /M.
    pub fn signing_time(&self) -> Option<String> {
        self.dict
            .get(b"M")
            .and_then(Object::as_string)
            .map(|s| s.to_text())
    }
    pub fn byte_range(&self) -> Option<Vec<i64>> {
        self.dict
            .get(b"ByteRange")
            .and_then(Object::as_array)
            .map(|a| a.iter().filter_map(Object::as_int).collect())
    }
    pub fn contents(&self) -> Option<&[u8]> {
        self.dict
            .get(b"Contents")
            .and_then(Object::as_string)
            .map(|s| s.bytes.as_slice())
    }
    /// The DocMDP permission (§12.8.2.2) if this is a certification signature.
    pub fn docmdp_permission(&self) -> Option<i64> {
        docmdp_from_reference(&self.dict)
    }
}

fn docmdp_from_reference(dict: &Dictionary) -> Option<i64> {
    let refs = dict.get(b"Reference")?.as_array()?;
    for r in refs {
        let Some(r) = r.as_dict() else { continue };
        if r.get_name(b"TransformMethod") == Some(b"DocMDP") {
            let p = r
                .get(b"TransformParams")
                .and_then(Object::as_dict)
                .and_then(|t| t.get_int(b"P"))
                .unwrap_or(2);
            return Some(p);
        }
    }
    None
}

/// Every filled signature field.
pub fn signatures<S: Source>(doc: &Document<S>) -> Result<Vec<ExistingSignature>> {
    let mut out = Vec::new();
    for field in fields(doc)? {
        if !field.is_signature() {
            continue;
        }
        let Some(value) = &field.value else { continue };
        let dict_id = value.as_reference();
        let Ok(Object::Dictionary(dict)) = doc.resolve(value) else {
            continue;
        };
        out.push(ExistingSignature {
            field_name: field.name.clone(),
            field_id: field.id,
            dict_id,
            dict,
        });
    }
    Ok(out)
}

/// The certification of the document (catalog /Perms /DocMDP, §12.8.4): its P value.
pub fn certification_level<S: Source>(doc: &Document<S>) -> Result<Option<i64>> {
    let (_, catalog) = doc.catalog()?;
    let Some(perms) = catalog.get(b"Perms") else {
        return Ok(None);
    };
    let perms = doc.resolve_dict(perms).unwrap_or_default();
    let Some(docmdp) = perms.get(b"DocMDP") else {
        return Ok(None);
    };
    let sig = doc
        .resolve_dict(docmdp)
        .map_err(|_| PdfError::damaged("bad /DocMDP signature"))?;
    Ok(Some(docmdp_from_reference(&sig).unwrap_or(2)))
}
