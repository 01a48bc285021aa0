//! The incremental update (ISO 32000-2 §7.5.6): new and changed objects appended after
//! the original bytes, then an xref section of the same form as the file's last one,
//! whose `/Prev` points at that section. The original bytes are never touched.

use std::collections::BTreeMap;

use crate::crypt::SecurityHandler;
use crate::document::{Document, MAX_OBJECT_NUMBER};
use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object, ObjectId, write_dictionary};
use crate::source::Source;
use crate::xref::{XrefEntry, XrefForm};

/// Digits reserved for each number of a `/ByteRange` placeholder (files up to 10^12 bytes).
pub const BYTE_RANGE_DIGITS: usize = 12;

/// Where the signature's placeholders landed in the written update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureSlots {
    /// Offset, from the start of the file, of the `<` opening `/Contents`.
    pub contents_start: u64,
    /// Offset just after the closing `>`.
    pub contents_end: u64,
    /// Offset of the `[` opening the `/ByteRange` array.
    pub byte_range_start: u64,
}

impl SignatureSlots {
    /// The four numbers of `/ByteRange` for a file of `total_len` bytes (§12.8.1).
    pub fn byte_range(&self, total_len: u64) -> [u64; 4] {
        [
            0,
            self.contents_start,
            self.contents_end,
            total_len - self.contents_end,
        ]
    }

    /// The text written over the `/ByteRange` placeholder: same width as the placeholder.
    pub fn byte_range_text(&self, total_len: u64) -> Vec<u8> {
        let [a, b, c, d] = self.byte_range(total_len);
        let mut text = format!("[{a} {b} {c} {d}]");
        let width = byte_range_placeholder().len();
        while text.len() < width {
            text.insert(text.len() - 1, ' ');
        }
        text.into_bytes()
    }
}

fn byte_range_placeholder() -> Vec<u8> {
    let zeros = "0".repeat(BYTE_RANGE_DIGITS);
    format!("[0 {zeros} {zeros} {zeros}]").into_bytes()
}

/// A planned update: objects to write and, at most, one signature dictionary.
pub struct IncrementalUpdate<'d, S: Source> {
    doc: &'d Document<S>,
    objects: BTreeMap<ObjectId, Object>,
    /// New stream objects: their dictionary (without `/Length`) and their data as stored
    /// (already filtered; encrypted on writing when the document is).
    streams: BTreeMap<ObjectId, (Dictionary, Vec<u8>)>,
    signature: Option<(ObjectId, Dictionary, usize)>,
    next_number: u32,
}

/// The bytes to append after the original file.
pub struct WrittenUpdate {
    pub bytes: Vec<u8>,
    pub signature: Option<SignatureSlots>,
}

impl<'d, S: Source> IncrementalUpdate<'d, S> {
    pub fn new(doc: &'d Document<S>) -> Self {
        IncrementalUpdate {
            doc,
            objects: BTreeMap::new(),
            streams: BTreeMap::new(),
            signature: None,
            next_number: doc.size().max(1),
        }
    }

    pub fn document(&self) -> &'d Document<S> {
        self.doc
    }

    /// Allocates a new object number (generation 0).
    pub fn allocate(&mut self) -> ObjectId {
        let id = ObjectId::new(self.next_number, 0);
        // Past MAX_OBJECT_NUMBER, `write` refuses the update: no overflow on the way there.
        self.next_number = self.next_number.saturating_add(1);
        id
    }

    /// Adds a new object and returns its id.
    pub fn add(&mut self, object: Object) -> ObjectId {
        let id = self.allocate();
        self.objects.insert(id, object);
        id
    }

    /// Adds a new stream object (§7.3.8) and returns its id. `data` is written as given:
    /// `dict` names its filters; `/Length` is set on writing.
    pub fn add_stream(&mut self, dict: Dictionary, data: Vec<u8>) -> ObjectId {
        let id = self.allocate();
        self.streams.insert(id, (dict, data));
        id
    }

    /// Adds a new stream object compressed with `/FlateDecode`.
    pub fn add_deflated_stream(&mut self, mut dict: Dictionary, data: &[u8]) -> ObjectId {
        dict.set(b"Filter", Object::name(b"FlateDecode"));
        self.add_stream(dict, crate::filters::deflate(data))
    }

    /// Writes a new version of an existing object under the same id.
    pub fn replace(&mut self, id: ObjectId, object: Object) {
        self.objects.insert(id, object);
    }

    /// The current value of `id`: the pending one when it was replaced, else the file's.
    pub fn current(&self, id: ObjectId) -> Result<Object> {
        match self.objects.get(&id) {
            Some(o) => Ok(o.clone()),
            None => self.doc.get(id),
        }
    }

    /// Sets the signature dictionary (§12.8.1). Its `/Contents` gets a placeholder of
    /// `contents_len` bytes (written as twice as many hex digits) and `/ByteRange` a
    /// fixed-width placeholder; both are filled once the file is complete.
    pub fn set_signature(&mut self, id: ObjectId, dict: Dictionary, contents_len: usize) {
        self.signature = Some((id, dict, contents_len));
    }

    /// Serialises the update to be appended at `original_len`.
    pub fn write(self, original_len: u64, last_byte: Option<u8>) -> Result<WrittenUpdate> {
        let doc = self.doc;
        // Every number this update writes (with up to two xref streams), and the /Size it
        // states, must fit a sane xref.
        if self.next_number.max(doc.size()).saturating_add(2) > MAX_OBJECT_NUMBER {
            return Err(PdfError::damaged(format!(
                "the file uses object numbers up to {}; a cross-reference table holds at \
                 most {MAX_OBJECT_NUMBER}",
                doc.size().saturating_sub(1)
            )));
        }
        let security = doc.security();
        let mut out = Vec::new();
        // The original may end without an end-of-line after %%EOF.
        if !matches!(last_byte, Some(b'\n') | Some(b'\r')) {
            out.push(b'\n');
        }
        let mut offsets: BTreeMap<ObjectId, u64> = BTreeMap::new();
        let mut slots = None;
        let mut next_number = self.next_number;

        // Repair revision: a file whose xref was rebuilt gets a complete section first, so
        // that the signature update's /Prev points at a correct one.
        let mut prev = doc.startxref;
        if doc.recovered {
            let start = original_len + out.len() as u64;
            let entries: BTreeMap<u32, XrefEntry> =
                doc.xref_entries().map(|(n, e)| (*n, *e)).collect();
            let mut trailer = base_trailer(doc);
            trailer.set(b"Size", Object::Integer(i64::from(doc.size())));
            write_complete_xref(&mut out, &entries, trailer, start, &mut next_number)?;
            prev = start;
        }

        for (id, object) in &self.objects {
            offsets.insert(*id, original_len + out.len() as u64);
            let mut object = object.clone();
            if let Some(security) = security {
                encrypt_strings(security, *id, &mut object);
            }
            write_object_header(&mut out, *id);
            object.write_to(&mut out);
            out.extend_from_slice(b"\nendobj\n");
        }
        for (id, (dict, data)) in &self.streams {
            offsets.insert(*id, original_len + out.len() as u64);
            let mut dict = Object::Dictionary(dict.clone());
            let data = match security {
                Some(security) => {
                    encrypt_strings(security, *id, &mut dict);
                    security.encrypt_stream(*id, data)
                }
                None => data.clone(),
            };
            if let Object::Dictionary(d) = &mut dict {
                d.set(b"Length", Object::Integer(data.len() as i64));
            }
            write_object_header(&mut out, *id);
            dict.write_to(&mut out);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        }
        if let Some((id, dict, contents_len)) = &self.signature {
            offsets.insert(*id, original_len + out.len() as u64);
            write_object_header(&mut out, *id);
            slots = Some(write_signature_dictionary(
                &mut out,
                original_len,
                dict,
                *contents_len,
                security.map(|s| (s, *id)),
            ));
            out.extend_from_slice(b"\nendobj\n");
        }

        let mut trailer = base_trailer(doc);
        trailer.set(b"Prev", Object::Integer(prev as i64));
        let xref_offset = original_len + out.len() as u64;
        let form = if doc.recovered {
            XrefForm::Table
        } else {
            doc.last_form
        };
        match form {
            XrefForm::Table => {
                let size = next_number.max(doc.size());
                trailer.set(b"Size", Object::Integer(i64::from(size)));
                write_xref_table(&mut out, &offsets);
                out.extend_from_slice(b"trailer\n");
                write_dictionary(&trailer, &mut out);
                out.extend_from_slice(b"\n");
            }
            XrefForm::Stream => {
                let xref_id = ObjectId::new(next_number, 0);
                next_number += 1;
                offsets.insert(xref_id, xref_offset);
                let size = next_number.max(doc.size());
                trailer.set(b"Size", Object::Integer(i64::from(size)));
                let entries = offsets
                    .iter()
                    .map(|(id, off)| {
                        (
                            id.number,
                            XrefEntry::InFile {
                                offset: *off,
                                generation: id.generation,
                            },
                        )
                    })
                    .collect();
                write_xref_stream(&mut out, xref_id, &entries, trailer);
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Ok(WrittenUpdate {
            bytes: out,
            signature: slots,
        })
    }
}

/// The trailer keys an update carries over (§7.5.5, Table 15).
fn base_trailer<S: Source>(doc: &Document<S>) -> Dictionary {
    let mut trailer = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"Encrypt", b"ID"] {
        if let Some(value) = doc.trailer.get(key) {
            trailer.set(key, value.clone());
        }
    }
    trailer
}

fn write_object_header(out: &mut Vec<u8>, id: ObjectId) {
    out.extend_from_slice(format!("{} {} obj\n", id.number, id.generation).as_bytes());
}

fn encrypt_strings(security: &SecurityHandler, id: ObjectId, object: &mut Object) {
    object.for_each_string_mut(&mut |s| {
        s.bytes = security.encrypt_string(id, &s.bytes);
        s.hex = true;
    });
}

/// Writes the signature dictionary with its two placeholders and returns where they are.
fn write_signature_dictionary(
    out: &mut Vec<u8>,
    base: u64,
    dict: &Dictionary,
    contents_len: usize,
    security: Option<(&SecurityHandler, ObjectId)>,
) -> SignatureSlots {
    out.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        match key.as_bytes() {
            b"Contents" | b"ByteRange" => {}
            _ => {
                Object::Name(key.clone()).write_to(out);
                out.push(b' ');
                let mut value = value.clone();
                if let Some((security, id)) = security {
                    encrypt_strings(security, id, &mut value);
                }
                value.write_to(out);
            }
        }
    }
    out.extend_from_slice(b"/ByteRange ");
    let byte_range_start = base + out.len() as u64;
    out.extend_from_slice(&byte_range_placeholder());
    // /Contents last, so that the second byte range covers only `>>` and the tail.
    out.extend_from_slice(b"/Contents ");
    let contents_start = base + out.len() as u64;
    out.push(b'<');
    out.resize(out.len() + 2 * contents_len, b'0');
    out.push(b'>');
    let contents_end = base + out.len() as u64;
    out.extend_from_slice(b">>");
    SignatureSlots {
        contents_start,
        contents_end,
        byte_range_start,
    }
}

/// Classic table (§7.5.4): one subsection per run of consecutive numbers, 20-byte entries.
fn write_xref_table(out: &mut Vec<u8>, offsets: &BTreeMap<ObjectId, u64>) {
    out.extend_from_slice(b"xref\n");
    write_xref_rows(out, offsets);
}

/// The subsections of a classic table, without the `xref` keyword.
fn write_xref_rows(out: &mut Vec<u8>, offsets: &BTreeMap<ObjectId, u64>) {
    let entries: Vec<(u32, u64, u16)> = offsets
        .iter()
        .map(|(id, off)| (id.number, *off, id.generation))
        .collect();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[j - 1].0 + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", entries[i].0, j - i).as_bytes());
        for (_, offset, generation) in &entries[i..j] {
            out.extend_from_slice(format!("{offset:010} {generation:05} n\r\n").as_bytes());
        }
        i = j;
    }
}

/// Xref stream (§7.5.8): uncompressed rows of /W [1 n 2].
fn write_xref_stream(
    out: &mut Vec<u8>,
    id: ObjectId,
    entries: &BTreeMap<u32, XrefEntry>,
    mut dict: Dictionary,
) {
    let max_field = entries
        .values()
        .map(|e| match e {
            XrefEntry::InFile { offset, .. } => *offset,
            XrefEntry::InStream { stream, .. } => u64::from(*stream),
            XrefEntry::Free => 0,
        })
        .max()
        .unwrap_or(0);
    let width = ((64 - max_field.leading_zeros() as usize).div_ceil(8)).max(1);
    let numbers: Vec<u32> = entries.keys().copied().collect();
    let mut index = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let mut j = i + 1;
        while j < numbers.len() && numbers[j] == numbers[j - 1] + 1 {
            j += 1;
        }
        index.push(Object::Integer(i64::from(numbers[i])));
        index.push(Object::Integer((j - i) as i64));
        i = j;
    }
    let mut data = Vec::with_capacity(entries.len() * (width + 3));
    for entry in entries.values() {
        let (kind, field1, field2) = match *entry {
            XrefEntry::Free => (0u8, 0u64, 0u16),
            XrefEntry::InFile { offset, generation } => (1, offset, generation),
            XrefEntry::InStream { stream, index } => {
                (2, u64::from(stream), index.min(u32::from(u16::MAX)) as u16)
            }
        };
        data.push(kind);
        data.extend_from_slice(&field1.to_be_bytes()[8 - width..]);
        data.extend_from_slice(&field2.to_be_bytes());
    }
    dict.set(b"Type", Object::name(b"XRef"));
    dict.set(
        b"W",
        Object::Array(vec![
            Object::Integer(1),
            Object::Integer(width as i64),
            Object::Integer(2),
        ]),
    );
    dict.set(b"Index", Object::Array(index));
    dict.set(b"Length", Object::Integer(data.len() as i64));
    write_object_header(out, id);
    write_dictionary(&dict, out);
    out.extend_from_slice(b"\nstream\n");
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
}

/// A complete section for a rebuilt file: every object, no /Prev. Classic when every
/// object is top-level, else an xref stream (a table cannot point into object streams).
fn write_complete_xref(
    out: &mut Vec<u8>,
    entries: &BTreeMap<u32, XrefEntry>,
    mut trailer: Dictionary,
    start: u64,
    next_number: &mut u32,
) -> Result<()> {
    if entries.is_empty() {
        return Err(PdfError::damaged("no objects found"));
    }
    let compressed = entries
        .values()
        .any(|e| matches!(e, XrefEntry::InStream { .. }));
    if compressed {
        let id = ObjectId::new(*next_number, 0);
        *next_number += 1;
        let mut all = entries.clone();
        all.insert(0, XrefEntry::Free);
        all.insert(
            id.number,
            XrefEntry::InFile {
                offset: start,
                generation: 0,
            },
        );
        trailer.set(b"Size", Object::Integer(i64::from(*next_number)));
        write_xref_stream(out, id, &all, trailer);
    } else {
        // Only the objects that exist, in runs of consecutive numbers (§7.5.4): an absent
        // number is a free object, as a reference to it is null (§7.3.10). A full table up
        // to the highest number would let one object numbered 2^31 cost 40 GB.
        let mut offsets: BTreeMap<ObjectId, u64> = BTreeMap::new();
        for (number, entry) in entries {
            if let XrefEntry::InFile { offset, generation } = entry
                && *number != 0
            {
                offsets.insert(ObjectId::new(*number, *generation), *offset);
            }
        }
        out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\n");
        write_xref_rows(out, &offsets);
        out.extend_from_slice(b"trailer\n");
        write_dictionary(&trailer, out);
        out.extend_from_slice(b"\n");
    }
    out.extend_from_slice(format!("startxref\n{start}\n%%EOF\n").as_bytes());
    Ok(())
}
