//! What each object is in a revision, found by walking its structure from the trailer: the
//! catalog, the AcroForm and its field tree, the widgets and their appearances, the pages and
//! their annotations, the DSS, the document information, the XMP metadata, the extensions.
//!
//! A role is a *context*: the DSS is the dictionary the catalog names under `/DSS`, whatever
//! its `/Type` says (ETSI EN 319 142-1 §5.4.2 makes `/Type` optional), and an appearance
//! stream is what a widget names under `/AP`. Roles whose content may change freely after a
//! signature (appearances, the DSS, metadata, lists that only grow) come with the places
//! that may refer to the object in the signed revision ([`Allowed`]); the others (catalog,
//! form, fields, pages) are checked key by key instead.

use std::collections::{HashMap, HashSet};

use kyso_pdf::{Dictionary, Document, Loaded, Object, ObjectId, Source};

use super::usages::{Referrer, Step, Usage};

/// Deepest field tree walked (ISO 32000-2 §12.7.4: real forms nest a few levels).
const MAX_FIELD_DEPTH: usize = 32;
/// Most field-tree or page-tree nodes walked; a hostile tree cannot make the walk endless.
const MAX_NODES: usize = 1_000_000;

/// Places of the signed revision that may refer to an object rewritten in its role: a
/// referrer, and the path inside it that the reference must start with.
#[derive(Debug, Clone, Default)]
pub struct Allowed(Vec<(Referrer, Vec<Step>)>);

impl Allowed {
    fn add(&mut self, referrer: Referrer, prefix: &[&[u8]]) {
        let prefix = prefix.iter().map(|k| Step::key(k)).collect();
        self.0.push((referrer, prefix));
    }

    fn add_all(&mut self, ids: &[ObjectId]) {
        for id in ids {
            self.add(Referrer::Object(*id), &[]);
        }
    }

    pub fn permits(&self, usage: &Usage) -> bool {
        self.0
            .iter()
            .any(|(r, prefix)| *r == usage.referrer && usage.path.starts_with(prefix))
    }
}

/// Which list an array object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// The AcroForm's `/Fields` (§12.7.3).
    Fields,
    /// A page's `/Annots` (§12.5.1).
    Annots,
    /// A field's `/Kids` (§12.7.4).
    Kids,
}

#[derive(Debug, Clone)]
pub enum Role {
    Catalog,
    /// The interactive form dictionary (§12.7.3).
    AcroForm,
    List(ListKind, Allowed),
    /// A node of the field tree: an index into [`Roles::fields`].
    Field(usize),
    /// A widget annotation (§12.5.6.19) of the terminal field `fields[i]`, kept apart from it.
    Widget(usize),
    Page,
    PageTreeNode,
    /// An annotation of a page other than a widget.
    Annotation,
    /// The appearance dictionary, or a stream or state dictionary of it (§12.5.5), of a
    /// widget of `fields[i]`.
    Appearance(usize, Allowed),
    /// The signature dictionary (§12.8.1) that `fields[i]` holds in `/V`.
    Signature(usize),
    /// The document security store (ETSI EN 319 142-1 §5.4.2) or a part of it.
    Dss(Allowed),
    /// The document information dictionary (§14.3.3).
    Info(Allowed),
    /// The catalog's XMP metadata stream (§14.3.2).
    Metadata(Allowed),
    /// The catalog's developer extensions (§7.12) or one of them.
    Extensions(Allowed),
}

impl Role {
    /// The places allowed to refer to an object of this role, or None when any may (the
    /// role's content is checked key by key instead).
    pub fn allowed(&self) -> Option<&Allowed> {
        match self {
            Role::List(_, a)
            | Role::Appearance(_, a)
            | Role::Dss(a)
            | Role::Info(a)
            | Role::Metadata(a)
            | Role::Extensions(a) => Some(a),
            _ => None,
        }
    }

    /// What the role is, for a report.
    pub fn describe(&self, fields: &[FieldNode]) -> String {
        let field = |i: &usize| {
            fields
                .get(*i)
                .map_or_else(String::new, |f| format!(" {}", f.name))
        };
        match self {
            Role::Catalog => "the catalog".into(),
            Role::AcroForm => "the form".into(),
            Role::List(ListKind::Fields, _) => "the form's field list".into(),
            Role::List(ListKind::Annots, _) => "a page's annotation list".into(),
            Role::List(ListKind::Kids, _) => "a field's list of kids".into(),
            Role::Field(i) => format!("the form field{}", field(i)),
            Role::Widget(i) => format!("a widget of the form field{}", field(i)),
            Role::Page => "a page".into(),
            Role::PageTreeNode => "a node of the page tree".into(),
            Role::Annotation => "an annotation".into(),
            Role::Appearance(i, _) => format!("the appearance of the form field{}", field(i)),
            Role::Signature(i) => format!("the signature of the field{}", field(i)),
            Role::Dss(_) => "the DSS".into(),
            Role::Info(_) => "the document information".into(),
            Role::Metadata(_) => "the XMP metadata".into(),
            Role::Extensions(_) => "the catalog's extensions".into(),
        }
    }
}

/// A node of the field tree of the later revision.
#[derive(Debug, Clone)]
pub struct FieldNode {
    /// Fully qualified name (§12.7.4.2).
    pub name: String,
    /// `/FT`, inherited (§12.7.4.1).
    pub field_type: Option<Vec<u8>>,
}

impl FieldNode {
    pub fn is_signature(&self) -> bool {
        self.field_type.as_deref() == Some(b"Sig")
    }
}

/// The roles of the objects of the later revision, with some of the signed revision's
/// (old appearances, old DSS parts, the old document information).
#[derive(Debug, Default)]
pub struct Roles {
    by_number: HashMap<u32, Vec<Role>>,
    pub fields: Vec<FieldNode>,
}

impl Roles {
    pub fn of(&self, number: u32) -> &[Role] {
        self.by_number.get(&number).map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, id: ObjectId, role: Role) {
        self.by_number.entry(id.number).or_default().push(role);
    }

    /// The field tree node `id` is, if any.
    pub fn field_of(&self, number: u32) -> Option<&FieldNode> {
        self.of(number).iter().find_map(|r| match r {
            Role::Field(i) | Role::Widget(i) => self.fields.get(*i),
            _ => None,
        })
    }

    /// Walks `new` (the whole file) and, where a role's old objects matter, `old` (the
    /// signed revision).
    pub fn build<S: Source, T: Source>(new: &Document<S>, old: &Document<T>) -> Roles {
        let mut roles = Roles::default();
        let Ok((root, catalog)) = new.catalog() else {
            return roles;
        };
        let old_catalog = old.catalog().ok();
        roles.add(root, Role::Catalog);

        // Document information (trailer /Info) and XMP metadata (catalog /Metadata): both
        // may be rewritten, when nothing else of the signed revision uses them.
        let mut info = Allowed::default();
        info.add(Referrer::Trailer, &[b"Info"]);
        for doc_info in [new.trailer.get(b"Info"), old.trailer.get(b"Info")]
            .into_iter()
            .flatten()
        {
            if let Some(id) = doc_info.as_reference() {
                roles.add(id, Role::Info(info.clone()));
            }
        }
        let catalogs: Vec<&Dictionary> = std::iter::once(&catalog)
            .chain(old_catalog.as_ref().map(|(_, c)| c))
            .collect();
        let mut metadata = Allowed::default();
        metadata.add(Referrer::Object(root), &[b"Metadata"]);
        for c in &catalogs {
            if let Some(id) = c.get(b"Metadata").and_then(Object::as_reference) {
                roles.add(id, Role::Metadata(metadata.clone()));
            }
        }

        // The DSS and the extensions: every part, old or new, may be referred to from
        // within the same structure or from its catalog entry.
        for (key, levels) in [(&b"DSS"[..], 4), (&b"Extensions"[..], 2)] {
            let mut parts = Vec::new();
            let mut seen = HashSet::new();
            for c in &catalogs {
                if let Some(value) = c.get(key) {
                    let doc_parts = if std::ptr::eq(*c, &catalog) {
                        subtree(new, value, levels, &mut seen)
                    } else {
                        subtree(old, value, levels, &mut seen)
                    };
                    parts.extend(doc_parts);
                }
            }
            let mut allowed = Allowed::default();
            allowed.add(Referrer::Object(root), &[key]);
            allowed.add_all(&parts);
            for id in parts {
                let role = if key == b"DSS" {
                    Role::Dss(allowed.clone())
                } else {
                    Role::Extensions(allowed.clone())
                };
                roles.add(id, role);
            }
        }

        roles.walk_form(new, old, root, &catalog);
        roles.walk_pages(new, &catalog);
        roles
    }

    fn walk_form<S: Source, T: Source>(
        &mut self,
        new: &Document<S>,
        old: &Document<T>,
        root: ObjectId,
        catalog: &Dictionary,
    ) {
        let Some(form_value) = catalog.get(b"AcroForm") else {
            return;
        };
        let (form_holder, form_path): (ObjectId, &[&[u8]]) = match form_value.as_reference() {
            Some(id) => {
                self.add(id, Role::AcroForm);
                (id, &[b"Fields"])
            }
            None => (root, &[b"AcroForm", b"Fields"]),
        };
        let Ok(form) = new.resolve_dict(form_value) else {
            return;
        };
        let Some(fields_value) = form.get(b"Fields") else {
            return;
        };
        if let Some(id) = fields_value.as_reference() {
            let mut allowed = Allowed::default();
            allowed.add(Referrer::Object(form_holder), form_path);
            self.add(id, Role::List(ListKind::Fields, allowed));
        }
        let roots = match new.resolve(fields_value) {
            Ok(Object::Array(items)) => items,
            _ => return,
        };
        let mut seen = HashSet::new();
        for field in roots.iter().filter_map(Object::as_reference) {
            self.walk_field(new, old, field, "", None, 0, &mut seen);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_field<S: Source, T: Source>(
        &mut self,
        new: &Document<S>,
        old: &Document<T>,
        id: ObjectId,
        parent_name: &str,
        parent_type: Option<&[u8]>,
        depth: usize,
        seen: &mut HashSet<ObjectId>,
    ) {
        if depth > MAX_FIELD_DEPTH || seen.len() >= MAX_NODES || !seen.insert(id) {
            return;
        }
        let Ok(Object::Dictionary(dict)) = new.get(id) else {
            return;
        };
        let name = match (dict.get(b"T").and_then(Object::as_string), parent_name) {
            (Some(t), "") => t.to_text(),
            (Some(t), p) => format!("{p}.{}", t.to_text()),
            (None, p) => p.to_string(),
        };
        let field_type = dict.get_name(b"FT").or(parent_type).map(<[u8]>::to_vec);
        let kids_value = dict.get(b"Kids");
        if let Some(kids_id) = kids_value.and_then(Object::as_reference) {
            let mut allowed = Allowed::default();
            allowed.add(Referrer::Object(id), &[b"Kids"]);
            self.add(kids_id, Role::List(ListKind::Kids, allowed));
        }
        let kids: Vec<ObjectId> = match kids_value.map(|k| new.resolve(k)) {
            Some(Ok(Object::Array(items))) => {
                items.iter().filter_map(Object::as_reference).collect()
            }
            _ => Vec::new(),
        };
        // Kids with /T are fields; kids without are this field's widgets (§12.7.4.1).
        let (field_kids, widget_kids): (Vec<ObjectId>, Vec<ObjectId>) = kids.into_iter().partition(
            |kid| matches!(new.get(*kid), Ok(Object::Dictionary(k)) if k.contains(b"T")),
        );
        let index = self.fields.len();
        self.fields.push(FieldNode {
            name: name.clone(),
            field_type: field_type.clone(),
        });
        self.add(id, Role::Field(index));

        if field_kids.is_empty() {
            let mut widgets = widget_kids.clone();
            if widget_kids.is_empty() || dict.get_name(b"Subtype") == Some(b"Widget") {
                widgets.push(id);
            }
            for widget in &widget_kids {
                if !seen.insert(*widget) {
                    continue;
                }
                self.add(*widget, Role::Widget(index));
            }
            self.appearances(new, old, index, &widgets);
            if let Some(signature) = dict.get(b"V").and_then(Object::as_reference)
                && field_type.as_deref() == Some(b"Sig")
            {
                self.add(signature, Role::Signature(index));
            }
        }
        for kid in field_kids {
            self.walk_field(new, old, kid, &name, field_type.as_deref(), depth + 1, seen);
        }
    }

    /// The appearance objects of `widgets`, old and new: each may be referred to in the
    /// signed revision only from the widgets' `/AP` entries and from one another.
    fn appearances<S: Source, T: Source>(
        &mut self,
        new: &Document<S>,
        old: &Document<T>,
        field: usize,
        widgets: &[ObjectId],
    ) {
        let mut parts = Vec::new();
        let mut seen = HashSet::new();
        for widget in widgets {
            if let Ok(Object::Dictionary(w)) = new.get(*widget)
                && let Some(ap) = w.get(b"AP")
            {
                parts.extend(subtree(new, ap, 2, &mut seen));
            }
            if let Ok(Object::Dictionary(w)) = old.get(*widget)
                && let Some(ap) = w.get(b"AP")
            {
                parts.extend(subtree(old, ap, 2, &mut seen));
            }
        }
        if parts.is_empty() {
            return;
        }
        let mut allowed = Allowed::default();
        for widget in widgets {
            allowed.add(Referrer::Object(*widget), &[b"AP"]);
        }
        allowed.add_all(&parts);
        for id in parts {
            self.add(id, Role::Appearance(field, allowed.clone()));
        }
    }

    fn walk_pages<S: Source>(&mut self, new: &Document<S>, catalog: &Dictionary) {
        let Some(root) = catalog.get(b"Pages").and_then(Object::as_reference) else {
            return;
        };
        let mut seen = HashSet::new();
        let mut queue = vec![root];
        while let Some(id) = queue.pop() {
            if seen.len() >= MAX_NODES || !seen.insert(id) {
                continue;
            }
            let Ok(node) = new.resolve_dict(&Object::Reference(id)) else {
                continue;
            };
            let kids = node.get(b"Kids").map(|k| new.resolve(k));
            if !node.has_type(b"Page")
                && let Some(Ok(Object::Array(kids))) = kids
            {
                self.add(id, Role::PageTreeNode);
                queue.extend(kids.iter().filter_map(Object::as_reference));
                continue;
            }
            self.add(id, Role::Page);
            let Some(annots_value) = node.get(b"Annots") else {
                continue;
            };
            if let Some(list) = annots_value.as_reference() {
                let mut allowed = Allowed::default();
                allowed.add(Referrer::Object(id), &[b"Annots"]);
                self.add(list, Role::List(ListKind::Annots, allowed));
            }
            if let Ok(Object::Array(annots)) = new.resolve(annots_value) {
                for annot in annots.iter().filter_map(Object::as_reference) {
                    if let Ok(a) = new.resolve_dict(&Object::Reference(annot))
                        && a.get_name(b"Subtype") != Some(b"Widget")
                    {
                        self.add(annot, Role::Annotation);
                    }
                }
            }
        }
    }
}

/// The indirect objects of a structure of dictionaries and arrays `levels` deep, from
/// `value`: streams are listed, not entered (an appearance stream's resources, the DER
/// inside a DSS stream are not part of the structure).
fn subtree<S: Source>(
    doc: &Document<S>,
    value: &Object,
    levels: usize,
    seen: &mut HashSet<ObjectId>,
) -> Vec<ObjectId> {
    let mut out = Vec::new();
    visit(doc, value, levels, seen, &mut out);
    out
}

fn visit<S: Source>(
    doc: &Document<S>,
    value: &Object,
    levels: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<ObjectId>,
) {
    match value {
        Object::Reference(id) => {
            if !seen.insert(*id) {
                return;
            }
            out.push(*id);
            // A reference to a reference is not followed: chains cannot nest the walk.
            if let Ok(Loaded::Object(object)) = doc.load(*id)
                && !matches!(object, Object::Reference(_))
            {
                visit(doc, &object, levels, seen, out);
            }
        }
        Object::Dictionary(d) if levels > 0 => {
            for (_, v) in d.iter() {
                visit(doc, v, levels - 1, seen, out);
            }
        }
        Object::Array(items) if levels > 0 => {
            for v in items {
                visit(doc, v, levels - 1, seen, out);
            }
        }
        _ => {}
    }
}
