//! The page tree (ISO 32000-2 §7.7.3).

use std::collections::HashSet;

use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Object, ObjectId};
use crate::source::Source;

const MAX_TREE_DEPTH: usize = 64;

/// The number of pages, as the root of the page tree states it (§7.7.3.2 /Count).
pub fn page_count<S: Source>(doc: &Document<S>) -> Result<u64> {
    let (_, catalog) = doc.catalog()?;
    let pages = catalog
        .get(b"Pages")
        .ok_or_else(|| PdfError::damaged("no page tree"))?;
    let root = doc.resolve_dict(pages)?;
    Ok(root.get_int(b"Count").unwrap_or(0).max(0) as u64)
}

/// The id of page `index` (0-based), found by descending with each node's /Count.
pub fn page_id<S: Source>(doc: &Document<S>, index: u64) -> Result<ObjectId> {
    let (_, catalog) = doc.catalog()?;
    let mut node = catalog
        .get(b"Pages")
        .and_then(Object::as_reference)
        .ok_or_else(|| PdfError::damaged("no page tree"))?;
    let mut remaining = index;
    let mut seen = HashSet::new();
    for _ in 0..MAX_TREE_DEPTH {
        if !seen.insert(node) {
            break;
        }
        let dict = doc.resolve_dict(&Object::Reference(node))?;
        let kids = match dict.get(b"Kids").map(|k| doc.resolve(k)).transpose()? {
            Some(Object::Array(kids)) => kids,
            _ => {
                if remaining == 0 {
                    return Ok(node);
                }
                break;
            }
        };
        if !dict.has_type(b"Pages") && dict.has_type(b"Page") {
            return Ok(node);
        }
        // A node whose /Count is its number of kids holds one page per kid (a kid can hold
        // no fewer than one, §7.7.3.2): the page is the kid at the index, read without
        // reading the others (a flat tree of 2,000 pages costs one object, not 2,000).
        // (A kid counting other than one — an empty node beside a fuller one — sends the
        // walk to the slow path below.)
        let count = dict.get_int(b"Count").unwrap_or(-1);
        if count == kids.len() as i64
            && let Some(kid) = kids.get(remaining as usize).and_then(Object::as_reference)
        {
            let kid_dict = doc.resolve_dict(&Object::Reference(kid))?;
            if kid_dict.has_type(b"Page") || !kid_dict.contains(b"Kids") {
                return Ok(kid);
            }
            if kid_dict.get_int(b"Count") == Some(1) {
                node = kid;
                remaining = 0;
                continue;
            }
        }
        let mut descended = false;
        for kid in kids {
            let Some(kid_id) = kid.as_reference() else {
                continue;
            };
            let kid_dict = doc.resolve_dict(&kid)?;
            let is_leaf = kid_dict.has_type(b"Page") || !kid_dict.contains(b"Kids");
            let count = if is_leaf {
                1
            } else {
                kid_dict.get_int(b"Count").unwrap_or(0).max(0) as u64
            };
            if remaining < count {
                if is_leaf {
                    return Ok(kid_id);
                }
                node = kid_id;
                descended = true;
                break;
            }
            remaining -= count;
        }
        if !descended {
            break;
        }
    }
    Err(PdfError::damaged(format!(
        "page {} not found in the page tree",
        index + 1
    )))
}

/// Most page-tree nodes walked to find a page's index.
const MAX_NODES: usize = 10_000_000;

/// The index (from 0) of the page `target`, found by walking the page tree in order; None
/// when the tree does not hold it.
pub fn index_of<S: Source>(doc: &Document<S>, target: ObjectId) -> Result<Option<u64>> {
    let (_, catalog) = doc.catalog()?;
    let Some(root) = catalog.get(b"Pages").and_then(Object::as_reference) else {
        return Ok(None);
    };
    let mut stack = vec![(root, 0usize)];
    let mut seen = HashSet::new();
    let mut index = 0u64;
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH || seen.len() >= MAX_NODES || !seen.insert(node) {
            continue;
        }
        let dict = doc.resolve_dict(&Object::Reference(node))?;
        let kids = match dict.get(b"Kids").map(|k| doc.resolve(k)).transpose()? {
            Some(Object::Array(kids)) if !dict.has_type(b"Page") => kids,
            _ => {
                if node == target {
                    return Ok(Some(index));
                }
                index += 1;
                continue;
            }
        };
        // Kids in order: pushed last first.
        for kid in kids.iter().rev().filter_map(Object::as_reference) {
            stack.push((kid, depth + 1));
        }
    }
    Ok(None)
}
