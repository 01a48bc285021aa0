//! The form fields a signature locks: FieldMDP (ISO 32000-2 §12.8.2.4) and the signature
//! field's lock dictionary (§12.7.5.5, Table 236).
//!
//! Two places say which fields a signature locks, and both are read:
//! - the signature dictionary's `/Reference` entries whose `/TransformMethod` is `/FieldMDP`:
//!   their `/TransformParams` `/Action` (`/All`, `/Include`, `/Exclude`) and `/Fields`. This
//!   is what the standard says a validator evaluates, and all pyHanko 0.38 reads;
//! - the signature field's `/Lock` dictionary (same `/Action` and `/Fields`): the fields that
//!   "shall be locked when this signature field is signed" (§12.7.5.5). A conforming signer
//!   copies it into a FieldMDP reference (pyHanko's signer does), but a signer that ignores it
//!   (Kyso's own does) leaves only the `/Lock`, and the form's author still asked for
//!   those fields to be locked. pyHanko's validator reads the `/Lock` only for its `/P` (its
//!   fallback to the `/Lock` for the fields is a TODO in 0.38): there we are stricter.
//!
//! A field is locked when any of them locks it. Names are fully qualified (§12.7.4.2); as
//! pyHanko does, a name in `/Fields` also covers the fields beneath it (`a` locks `a.b`).
//!
//! The DocMDP permission P that a `/Lock` may carry (PDF 2.0, Table 236) applies to the
//! changes after this signature like a certification's; Acrobat (and pyHanko emulating it)
//! also writes it into the FieldMDP `/TransformParams`, which is read too. The strictest wins.
//!
//! Nothing here fails: a lock that cannot be read is reported in [`Locks::problems`].

use kyso_pdf::form::ExistingSignature;
use kyso_pdf::{Dictionary, Document, Object, Source};

/// How deep `/Parent` chains and nested references are followed.
const MAX_DEPTH: usize = 32;
/// At most this many names are read from one `/Fields` array.
const MAX_NAMES: usize = 10_000;

/// Where a lock was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockSource {
    /// The signature's `/Reference` entry with `/TransformMethod /FieldMDP`.
    Reference,
    /// The signature field's `/Lock` dictionary.
    Lock,
}

/// `/Action` of a FieldMDP transform or a lock dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    All,
    Include,
    Exclude,
}

/// One set of locked fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldLock {
    pub source: LockSource,
    pub action: Action,
    /// Fully qualified field names (empty for `All`).
    pub fields: Vec<String>,
}

impl FieldLock {
    /// Whether this lock covers the field named `name` (fully qualified).
    pub fn locks(&self, name: &str) -> bool {
        let named = || self.fields.iter().any(|f| covers(f, name));
        match self.action {
            Action::All => true,
            Action::Include => named(),
            Action::Exclude => !named(),
        }
    }
}

/// `entry` names `name` or one of its ancestors.
fn covers(entry: &str, name: &str) -> bool {
    name == entry
        || (name.len() > entry.len()
            && name.starts_with(entry)
            && name.as_bytes()[entry.len()] == b'.')
}

/// Everything a signature says about locked fields.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    pub locks: Vec<FieldLock>,
    /// The strictest DocMDP P given by the `/Lock` (or a FieldMDP `/TransformParams`).
    pub permission: Option<i64>,
    /// Locks that could not be read, in English.
    pub problems: Vec<String>,
}

impl Locks {
    /// The first lock covering `name`, if any.
    pub fn locking(&self, name: &str) -> Option<&FieldLock> {
        self.locks.iter().find(|l| l.locks(name))
    }
}

/// The locks of `signature`, read in `doc`: its field (by object number) and the signature
/// dictionary the field's /V names there. Given the signed revision, this is what was signed.
pub fn of_signature<S: Source>(doc: &Document<S>, signature: &ExistingSignature) -> Locks {
    let field = doc
        .resolve_dict(&Object::Reference(signature.field_id))
        .ok();
    let signed = field
        .as_ref()
        .and_then(|f| f.get(b"V"))
        .and_then(|v| doc.resolve_dict(v).ok())
        .filter(|d| d.contains(b"ByteRange"));
    read(
        doc,
        Some(signed.as_ref().unwrap_or(&signature.dict)),
        field.as_ref(),
    )
}

/// Reads the locks of a signature: `sig` is its signature dictionary, `field` its signature
/// field.
pub fn read<S: Source>(
    doc: &Document<S>,
    sig: Option<&Dictionary>,
    field: Option<&Dictionary>,
) -> Locks {
    let mut out = Locks::default();
    if let Some(sig) = sig {
        read_references(doc, sig, &mut out);
    }
    if let Some(lock) = field.and_then(|f| f.get(b"Lock")) {
        match resolve(doc, lock) {
            Some(Object::Dictionary(d)) => {
                if let Some(l) = read_lock(doc, &d, LockSource::Lock, &mut out.problems) {
                    out.locks.push(l);
                }
                read_permission(doc, &d, "the signature field's /Lock", &mut out);
            }
            Some(Object::Null) => {}
            _ => out
                .problems
                .push("the signature field's /Lock is not a dictionary".into()),
        }
    }
    out
}

fn read_references<S: Source>(doc: &Document<S>, sig: &Dictionary, out: &mut Locks) {
    let Some(refs) = sig.get(b"Reference") else {
        return;
    };
    let refs = match resolve(doc, refs) {
        Some(Object::Array(a)) => a,
        Some(Object::Dictionary(d)) => vec![Object::Dictionary(d)],
        Some(Object::Null) => return,
        _ => {
            out.problems
                .push("the signature's /Reference is not an array".into());
            return;
        }
    };
    for entry in refs.iter().take(MAX_NAMES) {
        let Some(Object::Dictionary(entry)) = resolve(doc, entry) else {
            out.problems
                .push("an entry of the signature's /Reference is not a dictionary".into());
            continue;
        };
        let method = entry
            .get(b"TransformMethod")
            .and_then(|m| resolve(doc, m))
            .and_then(|m| m.as_name().map(<[u8]>::to_vec));
        match method.as_deref() {
            Some(b"FieldMDP") => {}
            // DocMDP is the certification (read elsewhere); UR3 is usage rights.
            Some(_) => continue,
            None => {
                out.problems
                    .push("an entry of the signature's /Reference has no /TransformMethod".into());
                continue;
            }
        }
        match entry.get(b"TransformParams").and_then(|p| resolve(doc, p)) {
            Some(Object::Dictionary(params)) => {
                if let Some(l) = read_lock(doc, &params, LockSource::Reference, &mut out.problems) {
                    out.locks.push(l);
                }
                read_permission(doc, &params, "the FieldMDP /TransformParams", out);
            }
            _ => out.problems.push(
                "the signature's FieldMDP reference has no /TransformParams dictionary".into(),
            ),
        }
    }
}

/// `/Action` and `/Fields` of a FieldMDP `/TransformParams` or a `/Lock` dictionary.
fn read_lock<S: Source>(
    doc: &Document<S>,
    d: &Dictionary,
    source: LockSource,
    problems: &mut Vec<String>,
) -> Option<FieldLock> {
    let what = match source {
        LockSource::Reference => "the signature's FieldMDP /TransformParams",
        LockSource::Lock => "the signature field's /Lock",
    };
    let action = match d
        .get(b"Action")
        .and_then(|a| resolve(doc, a))
        .as_ref()
        .and_then(Object::as_name)
    {
        Some(b"All") => Action::All,
        Some(b"Include") => Action::Include,
        Some(b"Exclude") => Action::Exclude,
        Some(other) => {
            problems.push(format!(
                "{what} has an unknown /Action /{}",
                String::from_utf8_lossy(other)
            ));
            return None;
        }
        None => {
            problems.push(format!("{what} has no /Action"));
            return None;
        }
    };
    let mut fields = Vec::new();
    if action != Action::All {
        match d.get(b"Fields").and_then(|f| resolve(doc, f)) {
            Some(Object::Array(items)) => {
                for item in items.iter().take(MAX_NAMES) {
                    match resolve(doc, item) {
                        Some(Object::String(s)) => fields.push(s.to_text()),
                        _ => problems.push(format!("{what} names a field with a non-string")),
                    }
                }
            }
            _ => {
                problems.push(format!("{what} has no /Fields array"));
                return None;
            }
        }
    }
    Some(FieldLock {
        source,
        action,
        fields,
    })
}

fn read_permission<S: Source>(doc: &Document<S>, d: &Dictionary, what: &str, out: &mut Locks) {
    let Some(p) = d.get(b"P") else { return };
    match resolve(doc, p).as_ref().and_then(Object::as_int) {
        Some(p @ 1..=3) => out.permission = Some(out.permission.map_or(p, |q| q.min(p))),
        _ => out
            .problems
            .push(format!("{what} has a /P that is not 1, 2 or 3")),
    }
}

/// Follows references; None when the object cannot be read.
fn resolve<S: Source>(doc: &Document<S>, o: &Object) -> Option<Object> {
    doc.resolve(o).ok()
}

/// The fully qualified name (§12.7.4.2) of a field or widget: the partial names `/T` of it
/// and its `/Parent`s, joined by dots; None when none has a name.
pub fn qualified_name<S: Source>(doc: &Document<S>, field: &Dictionary) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = field.clone();
    for _ in 0..MAX_DEPTH {
        if let Some(Object::String(t)) = current.get(b"T").and_then(|t| resolve(doc, t)) {
            parts.push(t.to_text());
        }
        match current.get(b"Parent").and_then(|p| resolve(doc, p)) {
            Some(Object::Dictionary(parent)) => current = parent,
            _ => break,
        }
    }
    if parts.is_empty() {
        return None;
    }
    parts.reverse();
    Some(parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF whose object 1 is the catalog and objects 2.. are `bodies`.
    fn pdf(bodies: &[&str]) -> Vec<u8> {
        let mut objects = vec!["<</Type/Catalog>>"];
        objects.extend_from_slice(bodies);
        crate::test_pdf::classic(&objects)
    }

    fn locks_of(bodies: &[&str]) -> Locks {
        let doc = Document::open(pdf(bodies), None).expect("open");
        let sig = doc
            .resolve_dict(&Object::Reference(kyso_pdf::ObjectId::new(2, 0)))
            .expect("sig");
        let field = doc
            .resolve_dict(&Object::Reference(kyso_pdf::ObjectId::new(3, 0)))
            .expect("field");
        read(&doc, Some(&sig), Some(&field))
    }

    #[test]
    fn reads_references_and_locks() {
        let l = locks_of(&[
            "<</Type/Sig/Reference[<</Type/SigRef/TransformMethod/DocMDP/TransformParams<</P 2>>>> \
             4 0 R]>>",
            "<</FT/Sig/T(Sig1)/Lock<</Type/SigFieldLock/Action/Exclude/Fields[(b)]/P 3>>>>",
            "<</Type/SigRef/TransformMethod/FieldMDP/TransformParams 5 0 R>>",
            "<</Type/TransformParams/Action/Include/Fields[(a) 6 0 R]/V/1.2/P 2>>",
            "(c.d)",
        ]);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        assert_eq!(l.permission, Some(2));
        assert_eq!(l.locks.len(), 2);
        assert_eq!(l.locks[0].source, LockSource::Reference);
        assert_eq!(l.locks[0].fields, vec!["a".to_string(), "c.d".to_string()]);
        // Include a, c.d: a and what is beneath it.
        assert!(l.locks[0].locks("a") && l.locks[0].locks("a.x") && l.locks[0].locks("c.d"));
        assert!(!l.locks[0].locks("ab") && !l.locks[0].locks("c"));
        // Exclude b: everything else.
        assert!(l.locks[1].locks("a") && !l.locks[1].locks("b") && !l.locks[1].locks("b.z"));
        assert_eq!(
            l.locking("a").map(|x| x.source),
            Some(LockSource::Reference)
        );
        assert_eq!(l.locking("x").map(|x| x.source), Some(LockSource::Lock));
        assert!(l.locking("b").is_none() && l.locking("b.z").is_none());
    }

    #[test]
    fn all_locks_every_field() {
        let l = locks_of(&[
            "<</Type/Sig/Reference[<</TransformMethod/FieldMDP/TransformParams<</Action/All>>>>]>>",
            "<</FT/Sig/T(Sig1)>>",
        ]);
        assert!(l.problems.is_empty());
        assert!(l.locking("anything.at.all").is_some());
        assert_eq!(l.permission, None);
    }

    #[test]
    fn malformed_locks_are_problems_not_panics() {
        let cases: &[&[&str]] = &[
            // /Reference not an array; /Lock not a dictionary.
            &["<</Type/Sig/Reference 42>>", "<</FT/Sig/Lock(x)>>"],
            // Entries of every wrong shape, a reference cycle, an unknown /Action.
            &[
                "<</Type/Sig/Reference[1 (x) <<>> <</TransformMethod/FieldMDP>> \
                 <</TransformMethod/FieldMDP/TransformParams 4 0 R>> \
                 <</TransformMethod/FieldMDP/TransformParams<</Action/Frob/Fields[(a)]>>>>]>>",
                "<</FT/Sig/Lock<</Action/Include/Fields 5 0 R/P 9>>>>",
                "<</Action/Include>>",
                "5 0 R",
            ],
            // /Fields of the wrong types; /P not a number; a missing object.
            &[
                "<</Type/Sig/Reference[<</TransformMethod/FieldMDP/TransformParams \
                 <</Action/Exclude/Fields[1 /N null 99 0 R (ok)]>>>>]>>",
                "<</FT/Sig/Lock 77 0 R/Parent 3 0 R>>",
            ],
            &[
                "<</Type/Sig/Reference[<</TransformMethod 7/TransformParams[]>>]>>",
                "<</Lock<</P/Two/Action/All>>>>",
            ],
        ];
        for bodies in cases {
            let l = locks_of(bodies);
            assert!(!l.problems.is_empty(), "{bodies:?}: no problem reported");
        }
        // The readable parts of a partly malformed lock still count.
        let l = locks_of(cases[2]);
        assert_eq!(l.locks.len(), 1);
        assert_eq!(l.locks[0].fields, vec!["ok".to_string()]);
        assert!(l.locking("ok").is_none() && l.locking("other").is_some());
    }

    #[test]
    fn qualified_names_follow_parents() {
        let doc = Document::open(
            pdf(&[
                "<</T(a)/Kids[3 0 R]>>",
                "<</T(b)/Parent 2 0 R/Kids[4 0 R]>>",
                "<</Subtype/Widget/Parent 3 0 R>>",
                "<</T(loop)/Parent 5 0 R>>",
            ]),
            None,
        )
        .expect("open");
        let get = |n| {
            doc.resolve_dict(&Object::Reference(kyso_pdf::ObjectId::new(n, 0)))
                .expect("dict")
        };
        assert_eq!(qualified_name(&doc, &get(4)).as_deref(), Some("a.b"));
        assert_eq!(qualified_name(&doc, &get(2)).as_deref(), Some("a"));
        // A /Parent cycle ends at the depth limit.
        assert!(qualified_name(&doc, &get(5)).is_some());
        assert_eq!(qualified_name(&doc, &Dictionary::new()), None);
    }
}
