//! The document security store (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3): the
//! certificates, CRLs and OCSP responses that validate a document's signatures and
//! timestamps long after their certificates expire (PAdES B-LT), added as an incremental
//! update — a change every validator permits after any signature.
//!
//! What the DSS already holds is kept: its arrays are extended (in place when they are
//! objects of their own), and data already there is not added twice.

use crate::Loaded;
use crate::document::Document;
use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;
use crate::update::{IncrementalUpdate, WrittenUpdate};

/// DER blobs to add to the DSS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DssAdditions {
    /// X.509 certificates.
    pub certs: Vec<Vec<u8>>,
    /// CRLs (RFC 5280).
    pub crls: Vec<Vec<u8>>,
    /// OCSPResponses (RFC 6960).
    pub ocsps: Vec<Vec<u8>>,
}

impl DssAdditions {
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.crls.is_empty() && self.ocsps.is_empty()
    }
}

/// The DER streams of the DSS: certificates, CRLs, OCSP responses, as stored.
pub fn read<S: Source>(doc: &Document<S>) -> DssAdditions {
    let Ok((_, catalog)) = doc.catalog() else {
        return DssAdditions::default();
    };
    let Some(dss) = catalog.get(b"DSS").and_then(|d| doc.resolve_dict(d).ok()) else {
        return DssAdditions::default();
    };
    let streams = |key: &[u8]| -> Vec<Vec<u8>> {
        stream_refs(doc, &dss, key)
            .into_iter()
            .filter_map(|id| match doc.load(id) {
                Ok(Loaded::Stream(s)) => doc.stream_data(id, &s).ok(),
                _ => None,
            })
            .collect()
    };
    DssAdditions {
        certs: streams(b"Certs"),
        crls: streams(b"CRLs"),
        ocsps: streams(b"OCSPs"),
    }
}

fn stream_refs<S: Source>(doc: &Document<S>, dss: &Dictionary, key: &[u8]) -> Vec<ObjectId> {
    dss.get(key)
        .and_then(|a| doc.resolve(a).ok())
        .and_then(|a| a.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Object::as_reference)
        .collect()
}

/// Plans the update that adds `additions` to the document's DSS (creating it when there
/// is none). Nothing new to add is an update that changes nothing: the caller may skip it.
pub fn plan_dss<S: Source>(doc: &Document<S>, additions: &DssAdditions) -> Result<WrittenUpdate> {
    let present = read(doc);
    let mut update = IncrementalUpdate::new(doc);
    let (catalog_id, mut catalog) = doc.catalog()?;
    let dss_value = catalog.get(b"DSS").cloned();
    let (dss_id, mut dss) = match &dss_value {
        Some(Object::Reference(id)) => match doc.get(*id)? {
            Object::Dictionary(d) => (Some(*id), d),
            _ => (None, Dictionary::new()),
        },
        Some(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    dss.set(b"Type", Object::name(b"DSS"));
    for (key, new, old) in [
        (&b"Certs"[..], &additions.certs, &present.certs),
        (b"CRLs", &additions.crls, &present.crls),
        (b"OCSPs", &additions.ocsps, &present.ocsps),
    ] {
        // Each blob once: not again when the DSS has it, nor twice from the additions.
        let mut seen: Vec<&[u8]> = old.iter().map(Vec::as_slice).collect();
        let mut refs = Vec::new();
        for der in new {
            if seen.contains(&der.as_slice()) {
                continue;
            }
            seen.push(der);
            refs.push(Object::Reference(
                update.add_deflated_stream(Dictionary::new(), der),
            ));
        }
        if refs.is_empty() {
            continue;
        }
        match dss.get(key).cloned() {
            // An array of its own is extended in place; a reference to nothing is replaced.
            Some(Object::Reference(array_id)) => match doc.get(array_id)? {
                Object::Array(mut items) => {
                    items.extend(refs);
                    update.replace(array_id, Object::Array(items));
                }
                _ => dss.set(key, Object::Array(refs)),
            },
            Some(Object::Array(mut items)) => {
                items.extend(refs);
                dss.set(key, Object::Array(items));
            }
            _ => dss.set(key, Object::Array(refs)),
        }
    }
    match dss_id {
        Some(id) => update.replace(id, Object::Dictionary(dss)),
        None => {
            let id = update.add(Object::Dictionary(dss));
            catalog.set(b"DSS", Object::Reference(id));
            update.replace(catalog_id, Object::Dictionary(catalog));
        }
    }
    let last = doc
        .source()
        .read_window(doc.len().saturating_sub(1), 1)
        .map_err(PdfError::Io)?;
    update.write(doc.len(), last.first().copied())
}
