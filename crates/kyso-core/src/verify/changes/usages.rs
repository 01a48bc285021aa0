//! Who refers to what in the signed revision: for the objects a later update writes, every
//! place of the signed revision that refers to them — the trailer, or an object and the key
//! path inside it (`/Resources /XObject /Fm1`, `/AP /N`, `/Annots 3`).
//!
//! A later update may rewrite an object of the signed revision in one role (a field's
//! appearance, the DSS, the document information) only when everything that refers to it is
//! part of that role; otherwise the rewrite changes what the signed revision shows elsewhere
//! (a shadow attack: the appearance stream that is also a page's XObject). The index is built
//! by walking every object reachable from the signed revision's trailer once, reading
//! dictionaries and arrays, never stream data (a content stream names its resources, it does
//! not refer to objects).

use std::collections::{HashMap, HashSet};
use std::fmt;

use kyso_pdf::{Document, Loaded, Object, ObjectId, Source};

/// The holder of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Referrer {
    Trailer,
    Object(ObjectId),
}

/// One step of a path inside an object: a dictionary key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(Vec<u8>),
    Index(usize),
}

impl Step {
    pub fn key(name: &[u8]) -> Step {
        Step::Key(name.to_vec())
    }
}

/// One reference to an object: who holds it, and where inside the holder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Usage {
    pub referrer: Referrer,
    pub path: Vec<Step>,
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.referrer {
            Referrer::Trailer => write!(f, "the trailer")?,
            Referrer::Object(id) => write!(f, "object {}", id.number)?,
        }
        for step in &self.path {
            match step {
                Step::Key(k) => write!(f, " /{}", String::from_utf8_lossy(k))?,
                Step::Index(i) => write!(f, " [{i}]")?,
            }
        }
        Ok(())
    }
}

/// The references to a set of object numbers found in one revision.
#[derive(Debug, Default)]
pub struct Usages {
    by_number: HashMap<u32, Vec<Usage>>,
}

impl Usages {
    /// Walks every object reachable from `doc`'s trailer and records each reference to an
    /// object whose number is in `targets`. Each object is read once; nothing is recorded
    /// for other numbers, so memory grows with the objects of the revision (the visited set),
    /// not with its references.
    pub fn collect<S: Source>(doc: &Document<S>, targets: &HashSet<u32>) -> Usages {
        let mut walker = Walker {
            targets,
            found: HashMap::new(),
            visited: HashSet::new(),
            queue: Vec::new(),
            path: Vec::new(),
        };
        if targets.is_empty() {
            return Usages::default();
        }
        walker.walk(Referrer::Trailer, &Object::Dictionary(doc.trailer.clone()));
        while let Some(id) = walker.queue.pop() {
            let object = match doc.load(id) {
                Ok(Loaded::Object(o)) => o,
                Ok(Loaded::Stream(s)) => Object::Dictionary(s.dict),
                Err(_) => continue,
            };
            walker.walk(Referrer::Object(id), &object);
        }
        Usages {
            by_number: walker.found,
        }
    }

    /// Every reference to object `number` in the revision walked.
    pub fn of(&self, number: u32) -> &[Usage] {
        self.by_number.get(&number).map_or(&[], Vec::as_slice)
    }
}

struct Walker<'t> {
    targets: &'t HashSet<u32>,
    found: HashMap<u32, Vec<Usage>>,
    visited: HashSet<ObjectId>,
    /// Objects reached and not read yet.
    queue: Vec<ObjectId>,
    path: Vec<Step>,
}

impl Walker<'_> {
    fn walk(&mut self, referrer: Referrer, object: &Object) {
        self.path.clear();
        self.visit(referrer, object);
    }

    /// The lexer bounds the nesting of a direct object, so this recursion is bounded too.
    fn visit(&mut self, referrer: Referrer, object: &Object) {
        match object {
            Object::Reference(id) => {
                if self.targets.contains(&id.number) {
                    self.found.entry(id.number).or_default().push(Usage {
                        referrer,
                        path: self.path.clone(),
                    });
                }
                if self.visited.insert(*id) {
                    self.queue.push(*id);
                }
            }
            Object::Dictionary(d) => {
                for (key, value) in d.iter() {
                    self.path.push(Step::key(key.as_bytes()));
                    self.visit(referrer, value);
                    self.path.pop();
                }
            }
            Object::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    self.path.push(Step::Index(i));
                    self.visit(referrer, value);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}
