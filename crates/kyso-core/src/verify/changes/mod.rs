//! What changed after a signature (ISO 32000-2 §12.8.2.2 DocMDP, §12.7.5.5 incremental
//! updates; PAdES: ETSI EN 319 142-1 §5.4 DSS and document timestamps).
//!
//! The signed revision is opened as a document of its own (the file cut at the end of the
//! ByteRange). Every object the later updates wrote — new, rewritten, or read from an object
//! stream they redefined — is compared with its signed version, and every difference must be
//! explained by the object's *role* in the later revision ([`roles`]):
//! - the catalog, the AcroForm, the fields and the pages may change only in the keys that
//!   signing, form filling and validation data need (new signatures and their fields,
//!   `/V /AS /AP /F` of fields, `/Annots` of pages, `/DSS`, `/Extensions`, metadata);
//! - an appearance, a part of the DSS, the document information, the XMP metadata and the
//!   lists that only grow (`/Fields`, `/Annots`, `/Kids`) may change freely, but only when
//!   everything in the signed revision that refers to the object belongs to that same role
//!   ([`usages`]). An appearance stream that is also a page's XObject, an appearance
//!   dictionary shared with another annotation, a font made the document information by a
//!   new trailer: each rewrite would change what the signed revision shows, a shadow attack
//!   (Mainka et al., 2021), and is refused;
//! - an object the signed revision refers to that nothing explains — a page's content, a
//!   font, a number the signed revision referred to while it was free — is a change not
//!   permitted, and so are deleted objects, a replaced catalog and a changed signature.
//!
//! Annotations other than widgets are permitted only under DocMDP P=3 (as pyHanko judges
//! approval signatures). FieldMDP (§12.8.2.4): a field the signature locks
//! ([`super::fieldmdp`]) may not be filled or get another appearance after it; the DocMDP P
//! of a signature field's `/Lock` (PDF 2.0) restricts the changes after that signature like
//! a certification's.

mod roles;
mod usages;

use std::collections::{BTreeMap, HashSet};
use std::io;

use kyso_pdf::form::{self, ExistingSignature};
use kyso_pdf::xref::XrefEntry;
use kyso_pdf::{Dictionary, Document, Loaded, Object, ObjectId, Source, pages};

use super::fieldmdp::{self, FieldLock, Locks};
use super::report::{Change, ModificationReport};
use roles::{FieldNode, ListKind, Role, Roles};
use usages::{Usage, Usages};

/// Catalog keys a later update may change (pyHanko's list; ISO 32000-2 §7.7.2): the form and
/// the DSS are judged on their own, the others change nothing a reader shows.
const CATALOG_KEYS: &[&[u8]] = &[
    b"AcroForm",
    b"DSS",
    b"Extensions",
    b"Metadata",
    b"MarkInfo",
    b"Version",
];
/// AcroForm keys (§12.7.3) a later update may change.
const ACROFORM_KEYS: &[&[u8]] = &[
    b"Fields",
    b"DR",
    b"DA",
    b"Q",
    b"NeedAppearances",
    b"SigFlags",
];
/// Field and widget keys that filling or signing a field changes (§12.7.4, §12.5.6.19): the
/// value, the appearance and its state, the flags a signer sets, the default appearance.
/// `/Type` may also be added, as `/Annot` (a widget's type, §12.5.2).
const VALUE_KEYS: &[&[u8]] = &[b"V", b"AS", b"AP", b"F", b"DA", b"Q", b"Ff", b"MK", b"DR"];

/// A source cut at `len`: the file as it was when a signature covered it.
pub struct Prefix<'a, S: Source> {
    pub inner: &'a S,
    pub len: u64,
}

impl<S: Source> Source for Prefix<'_, S> {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let n = buf.len().min((self.len - offset) as usize);
        self.inner.read_at(offset, &mut buf[..n])
    }
}

/// An object the later updates wrote (or redefined through an object stream).
struct Written {
    id: ObjectId,
    now: Loaded,
    /// Its version in the signed revision; None when the number was free or unused there.
    then: Option<Loaded>,
}

impl Written {
    fn is_new(&self) -> bool {
        self.then.is_none()
    }
}

/// Compares the revision signed (ending at `revision_end`) with the whole document.
/// `docmdp` is the certification's P (1, 2, 3) if the document is certified; `signature`,
/// the signature whose changes these are: the fields it locks are read from the signed
/// revision.
pub fn analyse<S: Source>(
    doc: &Document<S>,
    revision_end: u64,
    password: Option<&str>,
    docmdp: Option<i64>,
    signature: Option<&ExistingSignature>,
) -> ModificationReport {
    let prefix = Prefix {
        inner: doc.source(),
        len: revision_end,
    };
    let old = match Document::open(prefix, password) {
        Ok(old) => old,
        Err(e) => {
            let refused = change(
                "object",
                None,
                false,
                format!("the signed revision cannot be read on its own: {e}"),
            );
            return finish(0, vec![refused], Locks::default());
        }
    };
    let locks = signature
        .map(|sig| fieldmdp::of_signature(&old, sig))
        .unwrap_or_default();
    // The DocMDP P of the signature field's /Lock restricts the changes after it too.
    let docmdp = match (docmdp, locks.permission) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let later_revisions = doc.sections.saturating_sub(old.sections);
    let analysis = Analysis {
        doc,
        old: &old,
        docmdp,
        terminals: if locks.locks.is_empty() {
            Vec::new()
        } else {
            form::fields(&old)
                .map(|f| f.into_iter().map(|f| f.name).collect())
                .unwrap_or_default()
        },
        locks: &locks,
    };
    let changes = analysis.run();
    finish(later_revisions, changes, locks)
}

struct Analysis<'a, S: Source, T: Source> {
    doc: &'a Document<S>,
    old: &'a Document<T>,
    docmdp: Option<i64>,
    locks: &'a Locks,
    /// Terminal field names of the signed revision, to find locked fields beneath a changed
    /// non-terminal field.
    terminals: Vec<String>,
}

impl<S: Source, T: Source> Analysis<'_, S, T> {
    fn run(&self) -> Vec<Change> {
        let mut changes = Vec::new();
        let (doc, old) = (self.doc, self.old);
        let root = doc.trailer.get(b"Root").and_then(Object::as_reference);
        let old_root = old.trailer.get(b"Root").and_then(Object::as_reference);
        if root != old_root {
            changes.push(refused(
                "catalog",
                None,
                "the document catalog was replaced".into(),
            ));
        }
        if doc.trailer.get(b"Encrypt") != old.trailer.get(b"Encrypt") {
            changes.push(refused(
                "object",
                None,
                "the encryption dictionary was replaced".into(),
            ));
        }

        let written = self.written(&mut changes);
        if written.is_empty() {
            return changes;
        }
        let targets: HashSet<u32> = written.keys().copied().collect();
        let usages = Usages::collect(old, &targets);
        let roles = Roles::build(doc, old);
        let mut new_annotations: Vec<ObjectId> = Vec::new();

        for w in written.values() {
            let used = usages.of(w.id.number);
            let its_roles = roles.of(w.id.number);
            if its_roles.is_empty() {
                if let Some(c) = self.unexplained(w, used) {
                    changes.push(c);
                }
                continue;
            }
            // An object rewritten in a role whose content may change freely must be used,
            // in the signed revision, only within that role.
            let blanket = its_roles.iter().any(|r| r.allowed().is_none());
            let outside: Vec<&Usage> = used
                .iter()
                .filter(|u| {
                    !blanket
                        && !its_roles
                            .iter()
                            .filter_map(Role::allowed)
                            .any(|a| a.permits(u))
                })
                .collect();
            if !outside.is_empty() {
                changes.push(refused(
                    kind_of(&w.now),
                    Some(w.id),
                    format!(
                        "object {} was rewritten as {}, but the signed revision also uses it \
                         elsewhere ({}): the change would alter what the signed revision shows",
                        w.id.number,
                        its_roles[0].describe(&roles.fields),
                        list(&outside)
                    ),
                ));
                continue;
            }
            for role in its_roles {
                self.judge(w, role, &roles, &mut new_annotations, &mut changes);
            }
        }
        self.new_annotations(&roles, new_annotations, &mut changes);
        if let (Ok(a), Ok(b)) = (pages::page_count(old), pages::page_count(doc))
            && a != b
        {
            changes.push(refused(
                "pages",
                None,
                format!("the page count went from {a} to {b}"),
            ));
        }
        changes
    }

    /// Every object the later updates wrote, with its signed version, except those
    /// rewritten unchanged; deleted objects are refused on the way. An object whose xref
    /// entry did not change is still read again when it lives in an object stream that a
    /// later update redefined: its content comes from the new stream.
    fn written(&self, changes: &mut Vec<Change>) -> BTreeMap<u32, Written> {
        let (doc, old) = (self.doc, self.old);
        let differs = |number: u32, entry: &XrefEntry| old.xref_entry(number) != Some(*entry);
        let redefined: HashSet<u32> = doc
            .xref_entries()
            .filter(|(n, e)| differs(**n, e))
            .map(|(n, _)| *n)
            .collect();
        let mut written = BTreeMap::new();
        for (number, entry) in doc.xref_entries() {
            let in_redefined_stream =
                matches!(entry, XrefEntry::InStream { stream, .. } if redefined.contains(stream));
            if !redefined.contains(number) && !in_redefined_stream {
                continue;
            }
            let before = old.xref_entry(*number).filter(|b| *b != XrefEntry::Free);
            let id = ObjectId::new(*number, generation(entry));
            if *entry == XrefEntry::Free {
                if before.is_some() {
                    changes.push(refused(
                        "object",
                        Some(id),
                        format!("object {number} was deleted"),
                    ));
                }
                continue;
            }
            let Ok(now) = doc.load(id) else {
                continue;
            };
            let then = before.and_then(|b| old.load(ObjectId::new(*number, generation(&b))).ok());
            if let Some(then) = &then
                && same(doc, old, id, &now, then)
            {
                continue;
            }
            written.insert(*number, Written { id, now, then });
        }
        written
    }

    /// An object no role explains: harmless when the signed revision never used it, a
    /// change not permitted when it did.
    fn unexplained(&self, w: &Written, used: &[Usage]) -> Option<Change> {
        let number = w.id.number;
        if used.is_empty() {
            // New objects are reached only through the changes judged here (a new field's
            // appearance, a new DSS stream), and an old one nothing referred to showed
            // nothing: neither is a change of what was signed.
            if w.is_new() || is_structural(&w.now) {
                return None;
            }
            return Some(change(
                "object",
                Some(w.id),
                true,
                format!("object {number}, which the signed revision did not use, was rewritten"),
            ));
        }
        let detail = if w.is_new() {
            format!(
                "object {number}, which the signed revision refers to ({}) while it did not \
                 exist, was defined after signing",
                list(&used.iter().collect::<Vec<_>>())
            )
        } else {
            format!("object {number}, signed, was changed")
        };
        Some(refused(kind_of(&w.now), Some(w.id), detail))
    }

    /// Judges the change of `w` in one of its roles.
    fn judge(
        &self,
        w: &Written,
        role: &Role,
        roles: &Roles,
        new_annotations: &mut Vec<ObjectId>,
        changes: &mut Vec<Change>,
    ) {
        let (id, number) = (w.id, w.id.number);
        let now = dict_of(Some(&w.now));
        let then = dict_of(w.then.as_ref());
        // The roles judged key by key are dictionaries: a stream's data would change unseen.
        let streams =
            matches!(w.now, Loaded::Stream(_)) || matches!(w.then, Some(Loaded::Stream(_)));
        let keyed = matches!(
            role,
            Role::Catalog | Role::AcroForm | Role::Field(_) | Role::Widget(_) | Role::Page
        );
        if keyed && streams {
            changes.push(refused(
                kind_of(&w.now),
                Some(id),
                format!(
                    "object {number}, {}, is a stream",
                    role.describe(&roles.fields)
                ),
            ));
            return;
        }
        match role {
            Role::Catalog => {
                if w.is_new() {
                    return; // reported as "the document catalog was replaced"
                }
                let differs = differing_keys(&then, &now, CATALOG_KEYS);
                if !differs.is_empty() {
                    changes.push(refused(
                        "catalog",
                        Some(id),
                        format!("the catalog changed: {}", differs.join(", ")),
                    ));
                }
                if let (Some(Object::Dictionary(a)), Some(Object::Dictionary(b))) =
                    (then.get(b"AcroForm"), now.get(b"AcroForm"))
                {
                    self.judge_acroform(None, a, b, changes);
                }
            }
            Role::AcroForm => self.judge_acroform(Some(id), &then, &now, changes),
            Role::List(kind, _) => {
                // A new list replaces a direct array or another list: the holder changed and
                // is judged (a page's annotations, the form's fields) where it is.
                let Some(old_list) = &w.then else {
                    return;
                };
                let (before, after) = (refs(Some(old_list)), refs(Some(&w.now)));
                let removed = before.iter().filter(|r| !after.contains(r)).count();
                if removed > 0 {
                    changes.push(refused(
                        if *kind == ListKind::Annots {
                            "annotation"
                        } else {
                            "form_field"
                        },
                        Some(id),
                        format!("{removed} entries were removed from list object {number}"),
                    ));
                }
                if *kind == ListKind::Annots {
                    new_annotations.extend(after.into_iter().filter(|r| !before.contains(r)));
                }
            }
            Role::Field(i) | Role::Widget(i) => {
                let Some(field) = roles.fields.get(*i) else {
                    return;
                };
                let is_widget = matches!(role, Role::Widget(_));
                if w.is_new() {
                    self.new_field(id, field, is_widget, changes);
                } else {
                    self.changed_field(id, field, &then, &now, changes);
                }
            }
            Role::Page => {
                if w.is_new() {
                    changes.push(refused("pages", Some(id), "a page was added".into()));
                    return;
                }
                let differs = differing_keys(&then, &now, &[b"Annots"]);
                if !differs.is_empty() {
                    changes.push(refused(
                        "page_content",
                        Some(id),
                        format!("page object {number} changed: {}", differs.join(", ")),
                    ));
                }
                if then.get(b"Annots") != now.get(b"Annots") {
                    let (before, after) = (annots(self.old, &then), annots(self.doc, &now));
                    let removed = before.iter().filter(|a| !after.contains(a)).count();
                    if removed > 0 {
                        changes.push(refused(
                            "annotation",
                            Some(id),
                            format!("{removed} annotations were removed from page object {number}"),
                        ));
                    }
                    new_annotations.extend(after.into_iter().filter(|a| !before.contains(a)));
                }
            }
            Role::PageTreeNode => changes.push(refused(
                "pages",
                Some(id),
                format!("the page tree node {number} changed"),
            )),
            Role::Annotation => {
                // A new annotation is judged where a page gained it.
                if !w.is_new() {
                    changes.push(change(
                        "annotation",
                        Some(id),
                        self.docmdp == Some(3),
                        format!("the annotation {number} was changed"),
                    ));
                }
            }
            Role::Appearance(i, _) => {
                // A new appearance object is part of a change judged elsewhere: the new field,
                // or the field whose /AP now names it.
                if w.is_new() {
                    return;
                }
                if let Some(field) = roles.fields.get(*i) {
                    changes.push(self.fill(
                        id,
                        &field.name,
                        format!("the appearance of form field {} was changed", field.name),
                    ));
                }
            }
            Role::Signature(i) => {
                let is_timestamp = now.has_type(b"DocTimeStamp");
                let field = roles.fields.get(*i).map_or("", |f| f.name.as_str());
                let (kind, what) = if is_timestamp {
                    ("document_timestamp", "a document timestamp")
                } else {
                    ("signature", "a signature")
                };
                // Document timestamps and the DSS are validation data: permitted even under
                // DocMDP P=1 (ETSI EN 319 142-1 §5.4).
                let allowed = w.is_new() && (is_timestamp || self.docmdp != Some(1));
                changes.push(Change {
                    field: Some(field.to_string()).filter(|f| !f.is_empty()),
                    ..change(kind, Some(id), allowed, describe(w.is_new(), what))
                });
            }
            Role::Dss(_) => {
                if !w.is_new() || now.has_type(b"DSS") || self.is_dss_root(id) {
                    changes.push(change(
                        "dss",
                        Some(id),
                        true,
                        describe(w.is_new(), "the DSS"),
                    ));
                }
            }
            Role::Info(_) | Role::Metadata(_) => changes.push(change(
                "metadata",
                Some(id),
                true,
                describe(w.is_new(), "the document's metadata"),
            )),
            Role::Extensions(_) => changes.push(change(
                "catalog",
                Some(id),
                true,
                describe(w.is_new(), "the catalog's extensions"),
            )),
        }
    }

    fn is_dss_root(&self, id: ObjectId) -> bool {
        self.doc
            .catalog()
            .ok()
            .and_then(|(_, c)| c.get(b"DSS").and_then(Object::as_reference))
            == Some(id)
    }

    /// The AcroForm (its own object, or direct in the catalog): only the keys that adding
    /// fields and appearances needs may change, and `/Fields` may only grow.
    fn judge_acroform(
        &self,
        id: Option<ObjectId>,
        then: &Dictionary,
        now: &Dictionary,
        changes: &mut Vec<Change>,
    ) {
        let differs = differing_keys(then, now, ACROFORM_KEYS);
        if !differs.is_empty() {
            changes.push(refused(
                "metadata",
                id,
                format!("the form changed: {}", differs.join(", ")),
            ));
            return;
        }
        if let (Some(Object::Array(a)), Some(Object::Array(b))) =
            (then.get(b"Fields"), now.get(b"Fields"))
        {
            let removed = a.iter().filter(|f| !b.contains(f)).count();
            if removed > 0 {
                changes.push(refused(
                    "form_field",
                    id,
                    format!("{removed} fields were removed from the form"),
                ));
                return;
            }
        }
        changes.push(change("metadata", id, true, "the form was changed".into()));
    }

    /// A field or widget the later updates added.
    fn new_field(&self, id: ObjectId, field: &FieldNode, widget: bool, changes: &mut Vec<Change>) {
        let what = match (field.is_signature(), widget) {
            (true, false) => "a signature field was added",
            (true, true) => "a widget of a new signature field was added",
            (false, false) => "a form field was added",
            (false, true) => "a widget of a form field was added",
        };
        let allowed = field.is_signature() && self.docmdp != Some(1);
        changes.push(change(
            if field.is_signature() {
                "signature"
            } else {
                "form_field"
            },
            Some(id),
            allowed,
            what.to_string(),
        ));
    }

    /// A field or widget of the signed revision that a later update rewrote.
    fn changed_field(
        &self,
        id: ObjectId,
        field: &FieldNode,
        then: &Dictionary,
        now: &Dictionary,
        changes: &mut Vec<Change>,
    ) {
        let number = id.number;
        let label = format!("{} ({number})", field.name);
        let mut differs = differing_keys(then, now, VALUE_KEYS);
        let type_added = then.get(b"Type").is_none() && now.get_name(b"Type") == Some(b"Annot");
        if type_added {
            differs.retain(|k| k != "/Type");
        }
        if !differs.is_empty() {
            changes.push(Change {
                field: Some(field.name.clone()),
                ..refused(
                    "form_fill",
                    Some(id),
                    format!("form field {label} changed: {}", differs.join(", ")),
                )
            });
            return;
        }
        // A signature field may get its signature once; replacing one is not filling.
        if field.is_signature()
            && let Some(before) = then.get(b"V").filter(|v| **v != Object::Null)
            && now.get(b"V") != Some(before)
        {
            changes.push(Change {
                field: Some(field.name.clone()),
                ..refused(
                    "signature",
                    Some(id),
                    format!("the signature of field {label} was replaced"),
                )
            });
            return;
        }
        let what = if then.get(b"V") == now.get(b"V") {
            format!("form field {label} was given a new appearance")
        } else if field.is_signature() {
            format!("the signature field {label} was signed")
        } else {
            format!("form field {label} was filled")
        };
        changes.push(self.fill(id, &field.name, what));
    }

    /// A change to the value or appearance of the field `name`: permitted unless the
    /// document is certified with P=1 or the signature locks the field.
    fn fill(&self, id: ObjectId, name: &str, what: String) -> Change {
        let lock = locked_field(self.locks, name, &self.terminals);
        let allowed = self.docmdp != Some(1) && lock.is_none();
        let detail = match &lock {
            Some((locked, by)) => format!(
                "{what}, but {}",
                lock_text(name == locked.as_str(), locked, by)
            ),
            None => what,
        };
        Change {
            field: Some(name.to_string()),
            locked: lock.is_some(),
            ..change("form_fill", Some(id), allowed, detail)
        }
    }

    /// Annotations that pages gained: a widget of a signature field is part of that field
    /// (judged as such); anything else is an annotation, permitted only under DocMDP P=3.
    fn new_annotations(&self, roles: &Roles, added: Vec<ObjectId>, changes: &mut Vec<Change>) {
        let mut seen = HashSet::new();
        for id in added {
            if !seen.insert(id) {
                continue;
            }
            let existed = self
                .old
                .xref_entry(id.number)
                .is_some_and(|e| e != XrefEntry::Free);
            if let Some(field) = roles.field_of(id.number) {
                if field.is_signature() {
                    continue;
                }
                if !existed {
                    continue; // reported as "a form field was added"
                }
            }
            let is_widget = self
                .doc
                .resolve_dict(&Object::Reference(id))
                .is_ok_and(|d| d.get_name(b"Subtype") == Some(b"Widget"));
            let detail = match (existed, is_widget) {
                (true, _) => "an existing object became an annotation of a page",
                (false, true) => "a widget of no field of the form was added to a page",
                (false, false) => "an annotation was added",
            };
            changes.push(change(
                "annotation",
                Some(id),
                self.docmdp == Some(3) && !is_widget,
                detail.to_string(),
            ));
        }
    }
}

/// The locked field a change to the field named `name` touches: itself, or a terminal field
/// beneath it (a non-terminal field's /V is inherited, §12.7.4.1).
fn locked_field<'a>(
    locks: &'a Locks,
    name: &str,
    terminals: &[String],
) -> Option<(String, &'a FieldLock)> {
    if let Some(l) = locks.locking(name) {
        return Some((name.to_string(), l));
    }
    let prefix = format!("{name}.");
    terminals
        .iter()
        .filter(|t| t.starts_with(&prefix))
        .find_map(|t| locks.locking(t).map(|l| (t.clone(), l)))
}

fn lock_text(itself: bool, name: &str, lock: &FieldLock) -> String {
    let action = match lock.action {
        fieldmdp::Action::All => "/All",
        fieldmdp::Action::Include => "/Include",
        fieldmdp::Action::Exclude => "/Exclude",
    };
    let source = match lock.source {
        fieldmdp::LockSource::Reference => "the signature's FieldMDP",
        fieldmdp::LockSource::Lock => "the signature field's /Lock",
    };
    let what = if itself {
        "it".to_string()
    } else {
        format!("the field {name} beneath it")
    };
    format!("the signature locks {what} ({source}, /Action {action})")
}

fn finish(later_revisions: usize, changes: Vec<Change>, locks: Locks) -> ModificationReport {
    let status = if changes.iter().any(|c| !c.allowed) {
        "not_permitted"
    } else if changes.is_empty() && later_revisions == 0 {
        "none"
    } else {
        "allowed"
    };
    ModificationReport {
        status,
        later_revisions,
        changes,
        field_locks: locks.locks,
        lock_permission: locks.permission,
        lock_problems: locks.problems,
    }
}

fn change(kind: &'static str, id: Option<ObjectId>, allowed: bool, detail: String) -> Change {
    Change {
        kind,
        object: id.map(|i| i.to_string()),
        allowed,
        detail,
        field: None,
        locked: false,
    }
}

fn refused(kind: &'static str, id: Option<ObjectId>, detail: String) -> Change {
    change(kind, id, false, detail)
}

fn describe(is_new: bool, what: &str) -> String {
    if is_new {
        format!("{what} was added")
    } else {
        format!("{what} was changed")
    }
}

/// The places of the signed revision that refer to an object, for a report.
fn list(usages: &[&Usage]) -> String {
    const SHOWN: usize = 3;
    let mut out: Vec<String> = usages.iter().take(SHOWN).map(|u| u.to_string()).collect();
    if usages.len() > SHOWN {
        out.push(format!("and {} more", usages.len() - SHOWN));
    }
    out.join(", ")
}

/// The report kind of an object refused for what it is: a stream shows on a page (content,
/// XObject, font file), anything else is an object.
fn kind_of(loaded: &Loaded) -> &'static str {
    if matches!(loaded, Loaded::Stream(_)) {
        "page_content"
    } else {
        "object"
    }
}

/// Cross-reference and object streams: the structure of an update, not its content.
fn is_structural(loaded: &Loaded) -> bool {
    let d = dict_of(Some(loaded));
    d.has_type(b"XRef") || d.has_type(b"ObjStm")
}

fn generation(entry: &XrefEntry) -> u16 {
    match entry {
        XrefEntry::InFile { generation, .. } => *generation,
        _ => 0,
    }
}

fn dict_of(loaded: Option<&Loaded>) -> Dictionary {
    match loaded {
        Some(Loaded::Object(Object::Dictionary(d))) => d.clone(),
        Some(Loaded::Stream(s)) => s.dict.clone(),
        _ => Dictionary::new(),
    }
}

/// The references an array object holds.
fn refs(loaded: Option<&Loaded>) -> Vec<ObjectId> {
    match loaded {
        Some(Loaded::Object(Object::Array(items))) => {
            items.iter().filter_map(Object::as_reference).collect()
        }
        _ => Vec::new(),
    }
}

fn annots<S: Source>(doc: &Document<S>, page: &Dictionary) -> HashSet<ObjectId> {
    page.get(b"Annots")
        .and_then(|a| doc.resolve(a).ok())
        .and_then(|a| a.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Object::as_reference)
        .collect()
}

/// Keys whose values differ, ignoring `ignored`.
fn differing_keys(a: &Dictionary, b: &Dictionary, ignored: &[&[u8]]) -> Vec<String> {
    let mut keys: Vec<Vec<u8>> = a.iter().map(|(k, _)| k.as_bytes().to_vec()).collect();
    for (k, _) in b.iter() {
        if !keys.iter().any(|x| x.as_slice() == k.as_bytes()) {
            keys.push(k.as_bytes().to_vec());
        }
    }
    keys.into_iter()
        .filter(|k| !ignored.contains(&k.as_slice()))
        .filter(|k| a.get(k) != b.get(k))
        .map(|k| format!("/{}", String::from_utf8_lossy(&k)))
        .collect()
}

/// Whether an object was rewritten unchanged: the same object, or a stream with the same
/// dictionary and the same data (decoded when both decode, else as stored).
fn same<S: Source, T: Source>(
    doc: &Document<S>,
    old: &Document<T>,
    id: ObjectId,
    now: &Loaded,
    then: &Loaded,
) -> bool {
    match (now, then) {
        (Loaded::Object(a), Loaded::Object(b)) => a == b,
        (Loaded::Stream(a), Loaded::Stream(b)) => {
            a.dict == b.dict
                && match (doc.stream_data(id, a), old.stream_data(id, b)) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => matches!(
                        (doc.stream_bytes(a), old.stream_bytes(b)),
                        (Ok(x), Ok(y)) if x == y
                    ),
                }
        }
        _ => false,
    }
}
