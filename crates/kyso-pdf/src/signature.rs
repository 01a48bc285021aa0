//! Planning a signature (ISO 32000-2 §12.7.5.5 signature fields, §12.8.1 signature
//! dictionaries, §12.8.2.2 DocMDP): the field, its widget on the first page, the
//! AcroForm entries, and the signature dictionary with its placeholders.

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::form::{self, Field};
use crate::object::{Dictionary, Name, Object, ObjectId, PdfString};
use crate::pages;
use crate::source::Source;
use crate::update::{IncrementalUpdate, WrittenUpdate};

/// What kind of signature dictionary to write (§12.8.3.4, ETSI EN 319 142-1 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubFilter {
    /// `ETSI.CAdES.detached`: PAdES baseline.
    CadesDetached,
    /// `adbe.pkcs7.detached`.
    Pkcs7Detached,
}

impl SubFilter {
    pub fn name(&self) -> &'static [u8] {
        match self {
            SubFilter::CadesDetached => b"ETSI.CAdES.detached",
            SubFilter::Pkcs7Detached => b"adbe.pkcs7.detached",
        }
    }
}

/// The request for one signature.
#[derive(Debug, Clone)]
pub struct SignatureRequest {
    /// Fill this existing empty field, or create a new field of this name.
    pub field_name: Option<String>,
    /// `/M` as a PDF date string (§7.9.4), e.g. `D:20261122100509+07'00'`.
    pub signing_time: String,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub contact_info: Option<String>,
    /// The signer's name (`/Name`), informative.
    pub signer_name: Option<String>,
    pub sub_filter: SubFilter,
    /// DocMDP certification with permission P (1, 2 or 3).
    pub certify: Option<u8>,
    /// Bytes reserved for the CMS in `/Contents`.
    pub contents_len: usize,
}

/// Why a document cannot take the signature asked for.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the document is certified and allows no changes (DocMDP P=1)")]
    CertifiedNoChanges,
    #[error(
        "the document is certified (DocMDP P={0}): it may only be signed in an existing empty signature field"
    )]
    CertifiedExistingFieldsOnly(i64),
    #[error("a certification signature must be the first signature of the document")]
    CertifyAfterSignature,
    #[error("the field \"{0}\" is already signed")]
    FieldAlreadySigned(String),
    #[error("the field \"{0}\" is not a signature field")]
    FieldNotSignature(String),
    #[error(
        "the document's xref had to be rebuilt and it already holds signatures: signing it would break them"
    )]
    RecoveredWithSignatures,
    #[error(
        "the document's cross-reference offsets are wrong; it must be opened again with a rebuilt xref"
    )]
    XrefOffsetsWrong,
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

impl PlanError {
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::CertifiedNoChanges => "PDF_CERTIFIED_NO_CHANGES",
            PlanError::CertifiedExistingFieldsOnly(_) => "PDF_CERTIFIED_FIELDS_ONLY",
            PlanError::CertifyAfterSignature => "PDF_CERTIFY_NOT_FIRST",
            PlanError::FieldAlreadySigned(_) => "PDF_FIELD_ALREADY_SIGNED",
            PlanError::FieldNotSignature(_) => "PDF_FIELD_NOT_SIGNATURE",
            PlanError::RecoveredWithSignatures => "PDF_RECOVERED_SIGNED",
            PlanError::XrefOffsetsWrong => "PDF_DAMAGED",
            PlanError::Pdf(e) => e.code(),
        }
    }
}

/// The planned update: bytes to append, and the field that was used.
pub struct PlannedSignature {
    pub update: WrittenUpdate,
    pub field_name: String,
}

/// Plans the update that adds one signature to `doc`, appended at the file's end.
pub fn plan_signature<S: Source>(
    doc: &Document<S>,
    request: &SignatureRequest,
) -> std::result::Result<PlannedSignature, PlanError> {
    let all_fields = form::fields(doc)?;
    let existing_signatures = all_fields
        .iter()
        .filter(|f| f.is_signature() && f.value.is_some())
        .count();
    if doc.recovered && existing_signatures > 0 {
        return Err(PlanError::RecoveredWithSignatures);
    }
    let certification = form::certification_level(doc)?;
    if request.certify.is_some() && (existing_signatures > 0 || certification.is_some()) {
        return Err(PlanError::CertifyAfterSignature);
    }

    let target: Option<&Field> = match &request.field_name {
        Some(name) => match all_fields.iter().find(|f| &f.name == name) {
            Some(f) if !f.is_signature() => return Err(PlanError::FieldNotSignature(name.clone())),
            Some(f) if !f.is_empty_signature() => {
                return Err(PlanError::FieldAlreadySigned(name.clone()));
            }
            Some(f) => Some(f),
            None => None,
        },
        None => None,
    };
    match certification {
        Some(1) => return Err(PlanError::CertifiedNoChanges),
        Some(p) if target.is_none() => return Err(PlanError::CertifiedExistingFieldsOnly(p)),
        _ => {}
    }
    if let Some(security) = doc.security()
        && !security.allows_signing(target.is_none())
    {
        return Err(PdfError::PermissionDenied("adding a signature").into());
    }

    let mut update = IncrementalUpdate::new(doc);
    let signature_id = update.allocate();
    let (catalog_id, mut catalog) = doc.catalog()?;
    let mut catalog_changed = false;

    let field_name = match target {
        Some(field) => {
            let mut dict = field.dict.clone();
            dict.set(b"V", Object::Reference(signature_id));
            update.replace(field.id, Object::Dictionary(dict));
            field.name.clone()
        }
        None => {
            let name = match &request.field_name {
                Some(n) => n.clone(),
                None => unique_field_name(&all_fields),
            };
            let page_id = pages::page_id(doc, 0)?;
            let mut widget = Dictionary::new();
            widget.set(b"FT", Object::name(b"Sig"));
            widget.set(b"T", PdfString::from_text(&name));
            widget.set(b"V", Object::Reference(signature_id));
            widget.set(b"Type", Object::name(b"Annot"));
            widget.set(b"Subtype", Object::name(b"Widget"));
            widget.set(
                b"Rect",
                Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
            );
            // Print (bit 3) and Locked (bit 8): §12.5.3.
            widget.set(b"F", Object::Integer(132));
            widget.set(b"P", Object::Reference(page_id));
            let widget_id = update.add(Object::Dictionary(widget));
            add_to_page_annots(&mut update, page_id, widget_id)?;
            add_to_acroform(&mut update, &mut catalog, &mut catalog_changed, widget_id)?;
            name
        }
    };
    if target.is_some() {
        // SigFlags 3 also when filling an existing field.
        ensure_sig_flags(&mut update, &mut catalog, &mut catalog_changed)?;
    }

    let mut sig = Dictionary::new();
    sig.set(b"Type", Object::name(b"Sig"));
    sig.set(b"Filter", Object::name(b"Adobe.PPKLite"));
    sig.set(
        b"SubFilter",
        Object::Name(Name::new(request.sub_filter.name())),
    );
    sig.set(
        b"M",
        PdfString::literal(request.signing_time.as_bytes().to_vec()),
    );
    if let Some(name) = &request.signer_name {
        sig.set(b"Name", PdfString::from_text(name));
    }
    if let Some(reason) = &request.reason {
        sig.set(b"Reason", PdfString::from_text(reason));
    }
    if let Some(location) = &request.location {
        sig.set(b"Location", PdfString::from_text(location));
    }
    if let Some(contact) = &request.contact_info {
        sig.set(b"ContactInfo", PdfString::from_text(contact));
    }
    if let Some(p) = request.certify {
        let mut params = Dictionary::new();
        params.set(b"Type", Object::name(b"TransformParams"));
        params.set(b"P", Object::Integer(i64::from(p)));
        params.set(b"V", Object::name(b"1.2"));
        let mut reference = Dictionary::new();
        reference.set(b"Type", Object::name(b"SigRef"));
        reference.set(b"TransformMethod", Object::name(b"DocMDP"));
        reference.set(b"TransformParams", params);
        sig.set(
            b"Reference",
            Object::Array(vec![Object::Dictionary(reference)]),
        );
        let mut perms = match catalog.get(b"Perms") {
            Some(p) => doc.resolve_dict(p).unwrap_or_default(),
            None => Dictionary::new(),
        };
        perms.set(b"DocMDP", Object::Reference(signature_id));
        catalog.set(b"Perms", perms);
        catalog_changed = true;
    }
    update.set_signature(signature_id, sig, request.contents_len);
    if catalog_changed {
        update.replace(catalog_id, Object::Dictionary(catalog));
    }

    if doc.offsets_wrong() {
        return Err(PlanError::XrefOffsetsWrong);
    }
    let last = doc
        .source()
        .read_window(doc.len().saturating_sub(1), 1)
        .map_err(PdfError::Io)?;
    let written = update.write(doc.len(), last.first().copied())?;
    Ok(PlannedSignature {
        update: written,
        field_name,
    })
}

/// "Signature1", "Signature2", …: the first name no field uses.
fn unique_field_name(fields: &[Field]) -> String {
    (1..)
        .map(|i| format!("Signature{i}"))
        .find(|candidate| {
            !fields
                .iter()
                .any(|f| f.name == *candidate || f.name.split('.').next() == Some(candidate))
        })
        .unwrap_or_else(|| "Signature".to_string())
}

fn add_to_page_annots<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    page_id: ObjectId,
    widget: ObjectId,
) -> Result<()> {
    let Object::Dictionary(mut page) = update.current(page_id)? else {
        return Err(PdfError::damaged("first page is not a dictionary"));
    };
    // A list held by reference is appended to in place, when it exists: a reference to
    // a missing object is replaced, never defined (the number may be one this update
    // allocates, and defining what the signed file referred to is a change of it).
    let annots = page.get(b"Annots").cloned();
    let list = match &annots {
        Some(Object::Reference(id)) => match update.current(*id)? {
            Object::Array(items) => Some((*id, items)),
            _ => None,
        },
        _ => None,
    };
    match (list, annots) {
        (Some((array_id, mut items)), _) => {
            items.push(Object::Reference(widget));
            update.replace(array_id, Object::Array(items));
        }
        (None, Some(Object::Array(mut annots))) => {
            annots.push(Object::Reference(widget));
            page.set(b"Annots", Object::Array(annots));
            update.replace(page_id, Object::Dictionary(page));
        }
        (None, _) => {
            page.set(b"Annots", Object::Array(vec![Object::Reference(widget)]));
            update.replace(page_id, Object::Dictionary(page));
        }
    }
    Ok(())
}

fn add_to_acroform<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    catalog: &mut Dictionary,
    catalog_changed: &mut bool,
    field: ObjectId,
) -> Result<()> {
    edit_acroform(update, catalog, catalog_changed, |update, form| {
        let fields = form.get(b"Fields").cloned();
        let list = match &fields {
            Some(Object::Reference(id)) => match update.current(*id)? {
                Object::Array(items) => Some((*id, items)),
                _ => None,
            },
            _ => None,
        };
        match (list, fields) {
            (Some((array_id, mut items)), _) => {
                items.push(Object::Reference(field));
                update.replace(array_id, Object::Array(items));
            }
            (None, Some(Object::Array(mut items))) => {
                items.push(Object::Reference(field));
                form.set(b"Fields", Object::Array(items));
            }
            (None, _) => form.set(b"Fields", Object::Array(vec![Object::Reference(field)])),
        }
        Ok(())
    })
}

fn ensure_sig_flags<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    catalog: &mut Dictionary,
    catalog_changed: &mut bool,
) -> Result<()> {
    edit_acroform(update, catalog, catalog_changed, |_, _| Ok(()))
}

/// Applies `edit` to the AcroForm, sets /SigFlags 3 (§12.7.3, Table 224), and records the
/// change where the AcroForm lives: its own object, or the catalog.
fn edit_acroform<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    catalog: &mut Dictionary,
    catalog_changed: &mut bool,
    edit: impl FnOnce(&mut IncrementalUpdate<'_, S>, &mut Dictionary) -> Result<()>,
) -> Result<()> {
    let value = catalog.get(b"AcroForm").cloned();
    let indirect = match &value {
        Some(Object::Reference(id)) => match update.current(*id)? {
            Object::Dictionary(d) => Some((*id, d)),
            _ => None,
        },
        _ => None,
    };
    match indirect {
        Some((form_id, mut form)) => {
            let before = form.clone();
            edit(update, &mut form)?;
            form.set(b"SigFlags", Object::Integer(3));
            if form != before {
                update.replace(form_id, Object::Dictionary(form));
            }
        }
        None => {
            let mut form = match value {
                Some(Object::Dictionary(d)) => d,
                _ => Dictionary::new(),
            };
            let before = form.clone();
            edit(update, &mut form)?;
            form.set(b"SigFlags", Object::Integer(3));
            if form != before || !matches!(catalog.get(b"AcroForm"), Some(Object::Dictionary(_))) {
                catalog.set(b"AcroForm", form);
                *catalog_changed = true;
            }
        }
    }
    Ok(())
}
