//! Planning a signature (ISO 32000-2 §12.7.5.5 signature fields, §12.8.1 signature
//! dictionaries, §12.8.2.2 DocMDP): the field, its widget on the first page, the
//! AcroForm entries, and the signature dictionary with its placeholders.

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::form::{self, Field};
use crate::geometry::{self, PageGeometry, Rect};
use crate::object::{Dictionary, Name, Object, ObjectId, PdfString};
use crate::pages;
use crate::source::Source;
use crate::update::{IncrementalUpdate, WrittenUpdate};
use crate::visible::{self, Canvas, ReservedField, VisibleSignature};

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
    /// Where the signature shows and what (§12.5.6.19); None: invisible (a zero-size widget
    /// on the first page, flagged locked and print).
    pub visible: Option<VisibleSignature>,
    /// Read-only text fields added in the same revision (the clerk's number and date).
    pub reserved: Vec<ReservedField>,
    /// Fields this signature locks (FieldMDP `/Include`, §12.8.2.4): written as the
    /// signature field's `/Lock` and the signature's `/Reference`.
    pub lock_fields: Vec<String>,
    /// A document timestamp (§12.8.5, ETSI EN 319 142-1 §5.4.3) instead of a signature:
    /// `/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`, an RFC 3161 token in `/Contents`.
    /// Validation data, permitted after any certification.
    pub document_timestamp: bool,
}

impl Default for SignatureRequest {
    fn default() -> Self {
        SignatureRequest {
            field_name: None,
            signing_time: String::new(),
            reason: None,
            location: None,
            contact_info: None,
            signer_name: None,
            sub_filter: SubFilter::CadesDetached,
            certify: None,
            contents_len: 0,
            visible: None,
            reserved: Vec::new(),
            lock_fields: Vec::new(),
            document_timestamp: false,
        }
    }
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
    #[error("page {page} does not exist: the document has {count} pages")]
    PageOutOfRange { page: u64, count: u64 },
    #[error("the signature box is not on page {page}: {reason}")]
    BoxOutsidePage { page: u64, reason: String },
    #[error("the field \"{0}\" already exists")]
    FieldExists(String),
    #[error("the document has no field \"{0}\"")]
    FieldMissing(String),
    #[error("the field \"{0}\" is not a text field")]
    FieldNotText(String),
    #[error("the appearance cannot be drawn: {0}")]
    Appearance(#[from] crate::appearance::AppearanceError),
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
            PlanError::PageOutOfRange { .. } => "PAGE_OUT_OF_RANGE",
            PlanError::BoxOutsidePage { .. } => "BOX_OUTSIDE_PAGE",
            PlanError::FieldExists(_) => "PDF_FIELD_EXISTS",
            PlanError::FieldMissing(_) => "PDF_FIELD_MISSING",
            PlanError::FieldNotText(_) => "PDF_FIELD_NOT_TEXT",
            PlanError::Appearance(e) => e.code(),
            PlanError::Pdf(e) => e.code(),
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            PlanError::CertifiedNoChanges
            | PlanError::CertifyAfterSignature
            | PlanError::RecoveredWithSignatures => Vec::new(),
            PlanError::CertifiedExistingFieldsOnly(p) => vec![("permission", p.to_string())],
            PlanError::FieldAlreadySigned(field)
            | PlanError::FieldNotSignature(field)
            | PlanError::FieldExists(field)
            | PlanError::FieldMissing(field)
            | PlanError::FieldNotText(field) => vec![("field", field.clone())],
            PlanError::XrefOffsetsWrong => vec![("detail", self.to_string())],
            PlanError::PageOutOfRange { page, count } => {
                vec![("page", page.to_string()), ("count", count.to_string())]
            }
            PlanError::BoxOutsidePage { page, reason } => {
                vec![("page", page.to_string()), ("detail", reason.clone())]
            }
            PlanError::Appearance(e) => e.params(),
            PlanError::Pdf(e) => e.params(),
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
    // A document timestamp is validation data: a certification of any P permits it.
    let certification = certification.filter(|_| !request.document_timestamp);

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
            // The field's widget gets the appearance, drawn in the widget's own box
            // ([`field_box`]): the field and its widget are one dictionary, or the widget is
            // its first kid (§12.7.4.1).
            if let Some(v) = &request.visible {
                let (widget_id, widget) = existing_widget(doc, field)?;
                let appearance = v.canvas.write(&mut update, v.rotation)?;
                if widget_id == field.id {
                    set_appearance(&mut dict, appearance);
                } else {
                    let mut widget = widget;
                    set_appearance(&mut widget, appearance);
                    update.replace(widget_id, Object::Dictionary(widget));
                }
            }
            if !request.lock_fields.is_empty() {
                dict.set(b"Lock", lock_dictionary(&request.lock_fields));
            }
            update.replace(field.id, Object::Dictionary(dict));
            field.name.clone()
        }
        None => {
            let name = match &request.field_name {
                Some(n) => n.clone(),
                None if request.document_timestamp => unique_field_name(&all_fields, "Timestamp"),
                None => unique_field_name(&all_fields, "Signature"),
            };
            let mut widget = Dictionary::new();
            widget.set(b"FT", Object::name(b"Sig"));
            widget.set(b"T", PdfString::from_text(&name));
            widget.set(b"V", Object::Reference(signature_id));
            widget.set(b"Type", Object::name(b"Annot"));
            widget.set(b"Subtype", Object::name(b"Widget"));
            let page_id = match &request.visible {
                Some(v) => {
                    let page_id = page_at(doc, v.page)?;
                    let geometry = PageGeometry::of_page(doc, page_id)?;
                    geometry::check_on_page(&geometry, &v.rect).map_err(|reason| {
                        PlanError::BoxOutsidePage {
                            page: v.page + 1,
                            reason,
                        }
                    })?;
                    let appearance = v.canvas.write(&mut update, v.rotation)?;
                    visible::widget_entries(
                        &mut widget,
                        page_id,
                        &geometry,
                        &v.rect,
                        v.rotation,
                        appearance,
                    );
                    page_id
                }
                None => {
                    let page_id = pages::page_id(doc, 0)?;
                    widget.set(
                        b"Rect",
                        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
                    );
                    // Print (bit 3) and Locked (bit 8): §12.5.3.
                    widget.set(b"F", Object::Integer(132));
                    widget.set(b"P", Object::Reference(page_id));
                    page_id
                }
            };
            if !request.lock_fields.is_empty() {
                widget.set(b"Lock", lock_dictionary(&request.lock_fields));
            }
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
    for reserved in &request.reserved {
        if all_fields
            .iter()
            .any(|f| same_or_beneath(&f.name, &reserved.name))
        {
            return Err(PlanError::FieldExists(reserved.name.clone()));
        }
        add_text_field(
            &mut update,
            &mut catalog,
            &mut catalog_changed,
            reserved,
            None,
        )?;
    }
    let mut sig = Dictionary::new();
    if request.document_timestamp {
        // The time is the token's; nothing else describes a document timestamp.
        sig.set(b"Type", Object::name(b"DocTimeStamp"));
        sig.set(b"Filter", Object::name(b"Adobe.PPKLite"));
        sig.set(b"SubFilter", Object::name(b"ETSI.RFC3161"));
        update.set_signature(signature_id, sig, request.contents_len);
        if catalog_changed {
            update.replace(catalog_id, Object::Dictionary(catalog));
        }
        return finish_plan(doc, update, field_name);
    }
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
    let mut references = Vec::new();
    if !request.lock_fields.is_empty() {
        references.push(Object::Dictionary(field_mdp_reference(
            &request.lock_fields,
            catalog_id,
        )));
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
        references.push(Object::Dictionary(reference));
        let mut perms = match catalog.get(b"Perms") {
            Some(p) => doc.resolve_dict(p).unwrap_or_default(),
            None => Dictionary::new(),
        };
        perms.set(b"DocMDP", Object::Reference(signature_id));
        catalog.set(b"Perms", perms);
        catalog_changed = true;
    }
    if !references.is_empty() {
        sig.set(b"Reference", Object::Array(references));
    }
    update.set_signature(signature_id, sig, request.contents_len);
    if catalog_changed {
        update.replace(catalog_id, Object::Dictionary(catalog));
    }

    finish_plan(doc, update, field_name)
}

/// Writes the planned update after the document's last byte.
fn finish_plan<S: Source>(
    doc: &Document<S>,
    update: IncrementalUpdate<'_, S>,
    field_name: String,
) -> std::result::Result<PlannedSignature, PlanError> {
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

/// Page `index` (from 0), or `PAGE_OUT_OF_RANGE`.
pub(crate) fn page_at<S: Source>(
    doc: &Document<S>,
    index: u64,
) -> std::result::Result<ObjectId, PlanError> {
    let count = pages::page_count(doc)?;
    if index >= count {
        return Err(PlanError::PageOutOfRange {
            page: index + 1,
            count,
        });
    }
    Ok(pages::page_id(doc, index)?)
}

/// The widget of an existing terminal field: the field itself when it is one, else its first
/// kid (a kid without `/T` is a widget, §12.7.4.1).
pub fn existing_widget<S: Source>(
    doc: &Document<S>,
    field: &Field,
) -> Result<(ObjectId, Dictionary)> {
    if field.dict.get_name(b"Subtype") == Some(b"Widget") || !field.dict.contains(b"Kids") {
        return Ok((field.id, field.dict.clone()));
    }
    let kids = match field
        .dict
        .get(b"Kids")
        .map(|k| doc.resolve(k))
        .transpose()?
    {
        Some(Object::Array(items)) => items,
        _ => Vec::new(),
    };
    for kid in kids.iter().filter_map(Object::as_reference) {
        if let Ok(Object::Dictionary(d)) = doc.get(kid) {
            return Ok((kid, d));
        }
    }
    Err(PdfError::damaged(format!(
        "the field {} has no widget",
        field.name
    )))
}

/// Where an existing field's widget is: the page (from 0), its box as displayed, and the
/// turn its appearance takes — its `/MK /R`, else upright on the displayed page — for a
/// caller that draws an appearance of that size ([`visible::frame_size`]).
pub fn field_box<S: Source>(doc: &Document<S>, field: &Field) -> Result<(u64, Rect, u16)> {
    let (_, widget) = existing_widget(doc, field)?;
    let rect = widget
        .get(b"Rect")
        .and_then(Rect::from_object)
        .ok_or_else(|| PdfError::damaged(format!("the field {} has no /Rect", field.name)))?;
    let page = match widget.get(b"P").and_then(Object::as_reference) {
        Some(page) => page,
        None => pages::page_id(doc, 0)?,
    };
    let index = pages::index_of(doc, page)?.unwrap_or(0);
    let geometry = PageGeometry::of_page(doc, page)?;
    let rotation = widget
        .get(b"MK")
        .and_then(|mk| doc.resolve_dict(mk).ok())
        .and_then(|mk| mk.get_int(b"R"))
        .map_or(geometry.rotate, |r| {
            (r.rem_euclid(360) - r.rem_euclid(90)) as u16
        });
    Ok((index, geometry.rect_to_displayed(&rect), rotation))
}

pub(crate) fn set_appearance(widget: &mut Dictionary, appearance: ObjectId) {
    let mut ap = Dictionary::new();
    ap.set(b"N", Object::Reference(appearance));
    widget.set(b"AP", ap);
    // Print (bit 3), §12.5.3: a visible signature must print.
    widget.set(b"F", Object::Integer(4));
}

/// The names of `fields` as a PDF array of text strings.
fn field_names(fields: &[String]) -> Object {
    Object::Array(
        fields
            .iter()
            .map(|f| PdfString::from_text(f).into())
            .collect(),
    )
}

/// A signature field lock dictionary (§12.7.5.5, Table 236): `/Include` these fields.
fn lock_dictionary(fields: &[String]) -> Object {
    let mut lock = Dictionary::new();
    lock.set(b"Type", Object::name(b"SigFieldLock"));
    lock.set(b"Action", Object::name(b"Include"));
    lock.set(b"Fields", field_names(fields));
    Object::Dictionary(lock)
}

/// A FieldMDP signature reference (§12.8.2.4, Table 255–257) locking `fields`.
fn field_mdp_reference(fields: &[String], catalog: ObjectId) -> Dictionary {
    let mut params = Dictionary::new();
    params.set(b"Type", Object::name(b"TransformParams"));
    params.set(b"Action", Object::name(b"Include"));
    params.set(b"Fields", field_names(fields));
    params.set(b"V", Object::name(b"1.2"));
    let mut reference = Dictionary::new();
    reference.set(b"Type", Object::name(b"SigRef"));
    reference.set(b"TransformMethod", Object::name(b"FieldMDP"));
    reference.set(b"TransformParams", params);
    reference.set(b"Data", Object::Reference(catalog));
    reference
}

/// `name` is `field` or a field beneath it (`a.b` is beneath `a`).
pub(crate) fn same_or_beneath(name: &str, field: &str) -> bool {
    name == field
        || (name.len() > field.len()
            && name.starts_with(field)
            && name.as_bytes()[field.len()] == b'.')
}

/// Adds a text field merged with its widget (§12.7.4.3) on its page, read-only and drawn
/// without border or background, holding `value` (a text and the canvas that shows it) or
/// nothing yet (an empty appearance).
pub(crate) fn add_text_field<S: Source>(
    update: &mut IncrementalUpdate<'_, S>,
    catalog: &mut Dictionary,
    catalog_changed: &mut bool,
    spec: &ReservedField,
    value: Option<(&str, &Canvas)>,
) -> std::result::Result<ObjectId, PlanError> {
    let doc = update.document();
    let page_id = page_at(doc, spec.page)?;
    let geometry = PageGeometry::of_page(doc, page_id)?;
    geometry::check_on_page(&geometry, &spec.rect).map_err(|reason| PlanError::BoxOutsidePage {
        page: spec.page + 1,
        reason,
    })?;
    let (w, h) = visible::frame_size(&geometry, &spec.rect, spec.rotation);
    let empty = Canvas::new(w, h);
    let canvas = value.map_or(&empty, |(_, c)| c);
    let appearance = canvas.write(update, spec.rotation)?;
    let mut field = Dictionary::new();
    field.set(b"FT", Object::name(b"Tx"));
    field.set(b"T", PdfString::from_text(&spec.name));
    if let Some((text, _)) = value {
        field.set(b"V", PdfString::from_text(text));
    }
    // ReadOnly (bit 1, §12.7.4.1): nobody types into it in a viewer; Kyso fills it.
    field.set(b"Ff", Object::Integer(1));
    field.set(b"Type", Object::name(b"Annot"));
    field.set(b"Subtype", Object::name(b"Widget"));
    // No /BC, no /BG: drawn without border or background.
    field.set(b"MK", Dictionary::new());
    // Required for variable text (§12.7.4.3); the appearance is always given, so a viewer
    // never draws with it.
    field.set(b"DA", PdfString::literal(b"/Helv 10 Tf 0 g".to_vec()));
    visible::widget_entries(
        &mut field,
        page_id,
        &geometry,
        &spec.rect,
        spec.rotation,
        appearance,
    );
    let field_id = update.add(Object::Dictionary(field));
    add_to_page_annots(update, page_id, field_id)?;
    add_to_acroform(update, catalog, catalog_changed, field_id)?;
    Ok(field_id)
}

/// "Signature1", "Signature2", … ("Timestamp1", …): the first name no field uses.
fn unique_field_name(fields: &[Field], stem: &str) -> String {
    (1..)
        .map(|i| format!("{stem}{i}"))
        .find(|candidate| {
            !fields
                .iter()
                .any(|f| f.name == *candidate || f.name.split('.').next() == Some(candidate))
        })
        .unwrap_or_else(|| stem.to_string())
}

pub(crate) fn add_to_page_annots<S: Source>(
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

pub(crate) fn add_to_acroform<S: Source>(
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
