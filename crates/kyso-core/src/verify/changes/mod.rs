//! What changed after a signature (ISO 32000-2 §12.8.2.2 DocMDP, §12.7.5.5 incremental
//! updates; PAdES: ETSI EN 319 142-1 §5.4 DSS and document timestamps).
//!
//! The signed revision is opened as a document of its own (the file cut at the end of the
//! ByteRange), and every object whose xref entry differs in the whole file is compared with
//! its signed version. Allowed: new signatures and their fields and appearances, form
//! filling (`/V`, `/AS`, `/AP` of existing fields), the AcroForm, the DSS, document
//! timestamps, metadata; annotations only under DocMDP P=3 (as pyHanko judges). Everything else — page content,
//! resources, new or removed pages, the catalog, a changed signature, deleted objects — is a
//! change not permitted. This also catches the shadow attacks (Mainka et al., 2021): hide,
//! replace and hide-and-replace all need existing objects (pages, content streams, fonts,
//! form fields' non-value keys, the catalog or the page tree) to change in a later update.
//!
//! FieldMDP (§12.8.2.4): a field the signature locks ([`super::fieldmdp`]) may not be filled
//! or get another appearance after it; the DocMDP P of a signature field's `/Lock` (PDF 2.0)
//! restricts the changes after that signature like a certification's.

use std::collections::HashSet;
use std::io;

use kyso_pdf::form::{self, ExistingSignature};
use kyso_pdf::xref::XrefEntry;
use kyso_pdf::{Dictionary, Document, Loaded, Object, ObjectId, Source, pages};

use super::fieldmdp::{self, FieldLock, Locks};
use super::report::{Change, ModificationReport};

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
    let mut changes = Vec::new();
    let prefix = Prefix {
        inner: doc.source(),
        len: revision_end,
    };
    let old = match Document::open(prefix, password) {
        Ok(old) => old,
        Err(e) => {
            changes.push(change(
                "object",
                None,
                false,
                format!("the signed revision cannot be read on its own: {e}"),
            ));
            return finish(0, changes, Locks::default());
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
    // Terminal field names of the signed revision, to find locked fields beneath a changed
    // non-terminal field.
    let terminals: Vec<String> = if locks.locks.is_empty() {
        Vec::new()
    } else {
        form::fields(&old)
            .map(|f| f.into_iter().map(|f| f.name).collect())
            .unwrap_or_default()
    };
    let later_revisions = doc.sections.saturating_sub(old.sections);
    let root = doc.trailer.get(b"Root").and_then(Object::as_reference);
    let old_root = old.trailer.get(b"Root").and_then(Object::as_reference);
    if root != old_root {
        changes.push(change(
            "catalog",
            None,
            false,
            "the document catalog was replaced".to_string(),
        ));
    }
    let info = doc.trailer.get(b"Info").and_then(Object::as_reference);
    let acroform = doc
        .catalog()
        .ok()
        .and_then(|(_, c)| c.get(b"AcroForm").and_then(Object::as_reference));

    let mut numbers: Vec<(u32, XrefEntry)> = doc.xref_entries().map(|(n, e)| (*n, *e)).collect();
    numbers.sort_by_key(|(n, _)| *n);
    let mut new_annotations: HashSet<ObjectId> = HashSet::new();
    for (number, entry) in &numbers {
        let before = old.xref_entry(*number);
        if before == Some(*entry) {
            continue;
        }
        let id = ObjectId::new(*number, generation(entry));
        if *entry == XrefEntry::Free {
            if before.is_some_and(|b| b != XrefEntry::Free) {
                changes.push(change(
                    "object",
                    Some(id),
                    false,
                    format!("object {number} was deleted"),
                ));
            }
            continue;
        }
        let Ok(now) = doc.load(id) else {
            continue;
        };
        let then = match before {
            Some(b) if b != XrefEntry::Free => {
                old.load(ObjectId::new(*number, generation(&b))).ok()
            }
            _ => None,
        };
        if let Some(then) = &then
            && same(doc, &old, id, &now, then)
        {
            continue;
        }
        let dict = match &now {
            Loaded::Object(Object::Dictionary(d)) => Some(d.clone()),
            Loaded::Stream(s) => Some(s.dict.clone()),
            _ => None,
        };
        let is_new = then.is_none();
        let d = dict.unwrap_or_default();
        if d.has_type(b"XRef") || d.has_type(b"ObjStm") {
            continue;
        }
        if d.has_type(b"DocTimeStamp") {
            changes.push(change(
                "document_timestamp",
                Some(id),
                is_new,
                describe(is_new, "a document timestamp"),
            ));
        } else if d.has_type(b"Sig") || (d.contains(b"ByteRange") && d.contains(b"Contents")) {
            let allowed = is_new && docmdp != Some(1);
            changes.push(change(
                "signature",
                Some(id),
                allowed,
                describe(is_new, "a signature"),
            ));
        } else if d.has_type(b"DSS") || d.has_type(b"VRI") {
            changes.push(change("dss", Some(id), true, describe(is_new, "the DSS")));
        } else if Some(id) == root {
            let (old_dict, new_dict) = (dict_of(then.as_ref()), d.clone());
            let differs = differing_keys(
                &old_dict,
                &new_dict,
                &[b"DSS", b"AcroForm", b"Extensions", b"Metadata", b"Version"],
            );
            if !differs.is_empty() {
                changes.push(change(
                    "catalog",
                    Some(id),
                    false,
                    format!("the catalog changed: {}", differs.join(", ")),
                ));
            }
        } else if Some(id) == acroform || Some(id) == info || d.has_type(b"Metadata") {
            changes.push(change(
                "metadata",
                Some(id),
                true,
                describe(is_new, "the form or metadata"),
            ));
        } else if d.has_type(b"Page") {
            if is_new {
                changes.push(change(
                    "pages",
                    Some(id),
                    false,
                    "a page was added".to_string(),
                ));
                continue;
            }
            let old_dict = dict_of(then.as_ref());
            let differs = differing_keys(&old_dict, &d, &[b"Annots"]);
            if !differs.is_empty() {
                changes.push(change(
                    "page_content",
                    Some(id),
                    false,
                    format!("page object {number} changed: {}", differs.join(", ")),
                ));
            }
            let old_annots = annots(&old, &old_dict);
            for a in annots(doc, &d) {
                if !old_annots.contains(&a) {
                    new_annotations.insert(a);
                }
            }
        } else if d.has_type(b"Pages") {
            changes.push(change(
                "pages",
                Some(id),
                false,
                format!("the page tree node {number} changed"),
            ));
        } else if is_field(&d) {
            let is_sig_field = d.get_name(b"FT") == Some(b"Sig") || parent_is_sig(doc, &d);
            if is_new {
                let allowed = is_sig_field && docmdp != Some(1);
                changes.push(change(
                    if is_sig_field {
                        "signature"
                    } else {
                        "form_field"
                    },
                    Some(id),
                    allowed,
                    if is_sig_field {
                        "a signature field was added".to_string()
                    } else {
                        "a form field was added".to_string()
                    },
                ));
            } else {
                let old_dict = dict_of(then.as_ref());
                let differs =
                    differing_keys(&old_dict, &d, &[b"V", b"AS", b"AP", b"MK", b"DR", b"DA"]);
                let value_only = differs.is_empty();
                let name = fieldmdp::qualified_name(&old, &old_dict)
                    .or_else(|| fieldmdp::qualified_name(doc, &d));
                let lock = name
                    .as_deref()
                    .and_then(|n| locked_field(&locks, n, &terminals));
                let allowed = value_only && docmdp != Some(1) && lock.is_none();
                let label = name
                    .as_deref()
                    .map_or_else(|| format!("{number}"), |n| format!("{n} ({number})"));
                let detail = if let Some((locked, by)) = &lock {
                    format!(
                        "form field {label} was changed ({}), but {}",
                        differing_keys(&old_dict, &d, &[]).join(", "),
                        lock_text(name.as_deref() == Some(locked.as_str()), locked, by)
                    )
                } else if value_only {
                    format!("form field {label} was filled")
                } else {
                    format!("form field {label} changed: {}", differs.join(", "))
                };
                changes.push(Change {
                    field: name,
                    locked: lock.is_some(),
                    ..change("form_fill", Some(id), allowed, detail)
                });
            }
        } else if d.contains(b"Subtype") && d.contains(b"Rect") {
            // An annotation other than a widget.
            let allowed = docmdp == Some(3);
            let _ = new_annotations.remove(&id);
            changes.push(change(
                "annotation",
                Some(id),
                allowed,
                describe(is_new, "an annotation"),
            ));
        } else if !is_new {
            let kind = if matches!(now, Loaded::Stream(_)) {
                "page_content"
            } else {
                "object"
            };
            changes.push(change(
                kind,
                Some(id),
                false,
                format!("object {number}, signed, was changed"),
            ));
        }
    }
    // Annotations newly referenced from pages but not themselves new objects.
    for id in new_annotations {
        if let Ok(d) = doc.resolve_dict(&Object::Reference(id))
            && d.get_name(b"Subtype") != Some(b"Widget")
            && !changes
                .iter()
                .any(|c| c.object.as_deref() == Some(&id.to_string()))
        {
            let allowed = docmdp == Some(3);
            changes.push(change(
                "annotation",
                Some(id),
                allowed,
                "an existing object became an annotation of a page".into(),
            ));
        }
    }
    if let (Ok(a), Ok(b)) = (pages::page_count(&old), pages::page_count(doc))
        && a != b
    {
        changes.push(change(
            "pages",
            None,
            false,
            format!("the page count went from {a} to {b}"),
        ));
    }
    finish(later_revisions, changes, locks)
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

fn describe(is_new: bool, what: &str) -> String {
    if is_new {
        format!("{what} was added")
    } else {
        format!("{what} was changed")
    }
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

fn is_field(d: &Dictionary) -> bool {
    d.contains(b"FT") || d.get_name(b"Subtype") == Some(b"Widget")
}

fn parent_is_sig<S: Source>(doc: &Document<S>, d: &Dictionary) -> bool {
    d.get(b"Parent")
        .and_then(|p| doc.resolve_dict(p).ok())
        .is_some_and(|p| p.get_name(b"FT") == Some(b"Sig"))
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
                    _ => false,
                }
        }
        _ => false,
    }
}
