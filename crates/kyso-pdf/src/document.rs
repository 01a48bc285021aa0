//! A lazy reader (ISO 32000-2 §7.5): the header, the trailer and the xref chain are read
//! at open; every other object is read from its offset when asked for. Nothing else of
//! the file is loaded, so memory does not grow with its size.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::crypt::SecurityHandler;
use crate::error::{PdfError, Result};
use crate::filters::{decode_stream, decoded_limit};
use crate::lexer::{Lexer, SyntaxError};
use crate::object::{Dictionary, Object, ObjectId};
use crate::recover;
use crate::source::Source;
use crate::xref::{self, XrefEntry, XrefForm, XrefSection};

/// How far from the stated offset a section or object is looked for (a `startxref`
/// "a few bytes off" is common in files edited by hand or by careless tools).
const NEARBY: u64 = 1024;
/// Largest window read to parse one object's dictionary.
const MAX_WINDOW: usize = 64 * 1024 * 1024;
/// Longest chain of updates followed.
const MAX_SECTIONS: usize = 100_000;
/// Reference-following depth.
const MAX_RESOLVE_DEPTH: usize = 32;
/// The largest object number a cross-reference table may hold: ISO 32000-1 Annex C.2
/// (Table C.1) puts it at 8,388,607 (2^23 − 1), and readers allocate by it. Kyso reads
/// files that use larger numbers but refuses to write an update for them.
pub const MAX_OBJECT_NUMBER: u32 = 8_388_607;
/// Parsed objects kept for the next time they are asked for, and how many values (strings,
/// numbers, references…) they may hold together: what a file can make Kyso keep stays small.
const RECENT_OBJECTS: usize = 64;
const RECENT_VALUES: usize = 200_000;
/// Decoded object streams kept in memory at once, in bytes.
const OBJECT_STREAM_CACHE: usize = 32 * 1024 * 1024;
/// Nesting of loads inside loads (a stream's /Length, an object stream's own object):
/// a cycle in a hostile file must end in an error, not a stack overflow.
const MAX_LOAD_NESTING: u32 = 8;

/// A stream object's dictionary and where its raw data lies in the file.
#[derive(Debug, Clone)]
pub struct StreamObject {
    pub dict: Dictionary,
    pub data_offset: u64,
    pub data_len: u64,
}

/// One object as read from the file.
#[derive(Debug, Clone)]
pub enum Loaded {
    Object(Object),
    Stream(StreamObject),
}

/// An open PDF.
pub struct Document<S: Source> {
    source: S,
    /// The version in the header (`%PDF-1.7` gives "1.7").
    pub header_version: String,
    /// Byte offset of the `%PDF-` header (garbage before it is tolerated).
    pub header_offset: u64,
    xref: HashMap<u32, XrefEntry>,
    /// The newest trailer, completed with keys only older trailers carry.
    pub trailer: Dictionary,
    /// Offset of the newest xref section: what the next update's `/Prev` must say.
    pub startxref: u64,
    /// The form of the newest section.
    pub last_form: XrefForm,
    /// Number of xref sections followed (revisions, counting hybrid parts once).
    pub sections: usize,
    /// The xref had to be rebuilt by scanning the file.
    pub recovered: bool,
    security: Option<SecurityHandler>,
    encrypt_id: Option<ObjectId>,
    /// An object was found away from the offset its xref entry gives.
    offsets_wrong: std::cell::Cell<bool>,
    /// How many loads are in progress (see [`MAX_LOAD_NESTING`]).
    load_nesting: std::cell::Cell<u32>,
    object_streams: RefCell<HashMap<u32, std::rc::Rc<ObjectStreamIndex>>>,
    /// Objects read lately, as parsed: the page tree's nodes and the catalog are asked for
    /// again and again (a flat tree's root holds one reference per page).
    recent: RefCell<HashMap<ObjectId, Loaded>>,
    recent_values: std::cell::Cell<usize>,
}

struct ObjectStreamIndex {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

impl<S: Source> Document<S> {
    /// Opens a PDF: reads the header, the xref chain and, for an encrypted file,
    /// authenticates `password` (user or owner).
    pub fn open(source: S, password: Option<&str>) -> Result<Self> {
        Self::open_with(source, password, false)
    }

    /// Like [`Document::open`]; `rebuild` forces the xref to be rebuilt by scanning, for a
    /// file whose xref entries turned out to be wrong (see [`Document::offsets_wrong`]).
    pub fn open_with(source: S, password: Option<&str>, rebuild: bool) -> Result<Self> {
        let head = source.read_window(0, 1024)?;
        let header_offset = memchr::memmem::find(&head, b"%PDF-").ok_or(PdfError::NotPdf)?;
        let version: String = head[header_offset + 5..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|&b| b as char)
            .collect();
        let mut doc = Document {
            source,
            header_version: version,
            header_offset: header_offset as u64,
            xref: HashMap::new(),
            trailer: Dictionary::new(),
            startxref: 0,
            last_form: XrefForm::Table,
            sections: 0,
            recovered: false,
            security: None,
            encrypt_id: None,
            offsets_wrong: std::cell::Cell::new(false),
            load_nesting: std::cell::Cell::new(0),
            object_streams: RefCell::new(HashMap::new()),
            recent: RefCell::new(HashMap::new()),
            recent_values: std::cell::Cell::new(0),
        };
        let loaded = doc.load_xref_chain();
        let needs_recovery = rebuild
            || match loaded {
                Ok(()) => {
                    doc.trailer.get(b"Root").is_none()
                        || !doc.root_is_readable()
                        || doc.offsets_wrong.get()
                }
                Err(PdfError::Io(e)) => return Err(PdfError::Io(e)),
                Err(_) => true,
            };
        if needs_recovery {
            doc.rebuild_by_scanning()?;
        }
        doc.open_security(password)?;
        Ok(doc)
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    pub fn len(&self) -> u64 {
        self.source.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source.len() == 0
    }

    /// Whether an object was found only by searching around a wrong xref offset. Such a
    /// file's xref cannot be the `/Prev` of an update: open it again with a rebuild.
    pub fn offsets_wrong(&self) -> bool {
        self.offsets_wrong.get() && !self.recovered
    }

    pub fn security(&self) -> Option<&SecurityHandler> {
        self.security.as_ref()
    }

    /// The highest object number in use plus one (the trailer's /Size, or more).
    pub fn size(&self) -> u32 {
        let from_trailer = self
            .trailer
            .get_int(b"Size")
            .unwrap_or(0)
            .clamp(0, i64::from(u32::MAX)) as u32;
        let from_xref = self.xref.keys().max().map_or(0, |m| m + 1);
        from_trailer.max(from_xref)
    }

    /// Every known object and where it lives (for a complete rebuilt section).
    pub fn xref_entries(&self) -> impl Iterator<Item = (&u32, &XrefEntry)> {
        self.xref.iter()
    }

    pub fn xref_entry(&self, number: u32) -> Option<XrefEntry> {
        self.xref.get(&number).copied()
    }

    fn root_is_readable(&self) -> bool {
        match self.trailer.get(b"Root") {
            Some(Object::Reference(id)) => {
                matches!(self.load(*id), Ok(Loaded::Object(Object::Dictionary(_))))
            }
            _ => false,
        }
    }

    fn load_xref_chain(&mut self) -> Result<()> {
        let tail_len = 2048.min(self.source.len()) as usize;
        let tail_start = self.source.len() - tail_len as u64;
        let tail = self.source.read_window(tail_start, tail_len)?;
        let at = memchr::memmem::rfind(&tail, b"startxref")
            .ok_or_else(|| PdfError::damaged("no startxref"))?;
        let mut lexer = Lexer::at(&tail, at + b"startxref".len());
        let stated = lexer
            .read_unsigned()
            .map_err(|_| PdfError::damaged("bad startxref value"))?;

        let mut visited = HashSet::new();
        let mut hidden_visited = HashSet::new();
        let mut next = Some(stated);
        let mut first = true;
        while let Some(stated_offset) = next.take() {
            if visited.len() >= MAX_SECTIONS {
                return Err(PdfError::damaged("too many xref sections"));
            }
            let (offset, section) = self.read_section_near(stated_offset)?;
            if !visited.insert(offset) {
                break; // a /Prev loop
            }
            if first {
                self.startxref = offset;
                self.last_form = section.form;
                first = false;
            }
            self.sections += 1;
            let prev = section
                .trailer
                .get_int(b"Prev")
                .and_then(|p| u64::try_from(p).ok());
            // Hybrid file: the table's /XRefStm holds the compressed objects (§7.5.8.4).
            // Each hidden stream is read once, however many tables name it.
            if section.form == XrefForm::Table
                && let Some(stm) = section
                    .trailer
                    .get_int(b"XRefStm")
                    .and_then(|p| u64::try_from(p).ok())
                && hidden_visited.insert(stm)
                && let Ok((_, hidden)) = self.read_section_near(stm)
            {
                for (number, entry) in &hidden.entries {
                    let table_has_it = section
                        .entries
                        .iter()
                        .any(|(n, e)| n == number && *e != XrefEntry::Free);
                    if !table_has_it {
                        self.xref.entry(*number).or_insert(*entry);
                    }
                }
            }
            for (number, entry) in &section.entries {
                self.xref.entry(*number).or_insert(*entry);
            }
            for (key, value) in section.trailer.iter() {
                if !self.trailer.contains(key.as_bytes()) && is_trailer_key(key.as_bytes()) {
                    self.trailer.set(key.as_bytes(), value.clone());
                }
            }
            next = prev;
        }
        Ok(())
    }

    /// Reads a section at `offset`, or a few bytes around it when the offset is slightly off.
    fn read_section_near(&self, offset: u64) -> Result<(u64, XrefSection)> {
        if let Ok(found) = self.read_section(offset) {
            return Ok(found);
        }
        let start = offset.saturating_sub(NEARBY);
        let window = self.source.read_window(start, (2 * NEARBY) as usize)?;
        let mut candidates: Vec<u64> = memchr::memmem::find_iter(&window, b"xref")
            .filter(|&i| i == 0 || !window[i - 1].is_ascii_alphabetic())
            .map(|i| start + i as u64)
            .collect();
        // An xref stream starts with "N G obj": look for object headers too.
        candidates.extend(
            memchr::memmem::find_iter(&window, b"obj")
                .filter_map(|i| line_start_of_header(&window, i))
                .map(|i| start + i as u64),
        );
        candidates.sort_by_key(|c| c.abs_diff(offset));
        for candidate in candidates {
            if let Ok(found) = self.read_section(candidate) {
                return Ok(found);
            }
        }
        Err(PdfError::damaged(format!(
            "no xref section at offset {offset}"
        )))
    }

    /// Reads the section at `offset` (white space before it is skipped) and returns
    /// where it really starts: the offset the next update's `/Prev` must name.
    fn read_section(&self, offset: u64) -> Result<(u64, XrefSection)> {
        let mut window_len = 64 * 1024;
        loop {
            let window = self.source.read_window(offset, window_len)?;
            let trimmed = skip_ws(&window);
            let start = offset + trimmed as u64;
            if window[trimmed..].starts_with(b"xref") {
                if let Some(section) = xref::parse_table(&window[trimmed..])? {
                    return Ok((start, section));
                }
                if window.len() < window_len || window_len >= MAX_WINDOW {
                    return Err(PdfError::damaged("truncated xref table"));
                }
                window_len *= 4;
                continue;
            }
            let (_, loaded) = self.read_indirect_at(start)?;
            let Loaded::Stream(stream) = loaded else {
                return Err(PdfError::damaged("xref offset does not point at an xref"));
            };
            if !stream.dict.has_type(b"XRef") {
                return Err(PdfError::damaged(
                    "xref offset does not point at an xref stream",
                ));
            }
            let raw = self.read_stream_raw(&stream)?;
            let limit = decoded_limit(raw.len(), self.source.len());
            return Ok((start, xref::parse_stream(&stream.dict, &raw, limit)?));
        }
    }

    /// Rebuilds the xref by scanning the whole file for objects (§7.5 recovery, as readers do).
    fn rebuild_by_scanning(&mut self) -> Result<()> {
        let scan = recover::scan(&self.source)?;
        // What was read through the old xref may not be what the rebuilt one names.
        self.recent.borrow_mut().clear();
        self.recent_values.set(0);
        self.object_streams.borrow_mut().clear();
        self.xref.clear();
        for (number, (offset, generation)) in &scan.objects {
            self.xref.insert(
                *number,
                XrefEntry::InFile {
                    offset: *offset,
                    generation: *generation,
                },
            );
        }
        self.trailer = scan.trailer.unwrap_or_default();
        self.recovered = true;
        self.sections = 0;
        self.startxref = 0;
        self.last_form = XrefForm::Table;
        // Objects inside object streams, unless a top-level object has the same number.
        for stream_number in scan.object_streams {
            if let Ok(index) = self.object_stream(stream_number) {
                for (i, (number, _)) in index.offsets.iter().enumerate() {
                    self.xref.entry(*number).or_insert(XrefEntry::InStream {
                        stream: stream_number,
                        index: i as u32,
                    });
                }
            }
        }
        if !matches!(self.trailer.get(b"Root"), Some(Object::Reference(_))) {
            // No trailer survived: find the catalog among the objects.
            let numbers: Vec<u32> = self.xref.keys().copied().collect();
            for number in numbers {
                let id = ObjectId::new(number, self.generation_of(number));
                if let Ok(Loaded::Object(Object::Dictionary(d))) = self.load(id)
                    && d.has_type(b"Catalog")
                {
                    self.trailer.set(b"Root", Object::Reference(id));
                    break;
                }
            }
        }
        if !self.root_is_readable() {
            return Err(PdfError::damaged("the document catalog could not be found"));
        }
        Ok(())
    }

    fn generation_of(&self, number: u32) -> u16 {
        match self.xref.get(&number) {
            Some(XrefEntry::InFile { generation, .. }) => *generation,
            _ => 0,
        }
    }

    fn open_security(&mut self, password: Option<&str>) -> Result<()> {
        let Some(encrypt) = self.trailer.get(b"Encrypt").cloned() else {
            return Ok(());
        };
        let dict = match &encrypt {
            Object::Reference(id) => {
                self.encrypt_id = Some(*id);
                match self.load(*id)? {
                    Loaded::Object(Object::Dictionary(d)) => d,
                    _ => return Err(PdfError::damaged("bad /Encrypt dictionary")),
                }
            }
            Object::Dictionary(d) => d.clone(),
            _ => return Err(PdfError::damaged("bad /Encrypt entry")),
        };
        let first_id = match self
            .trailer
            .get(b"ID")
            .and_then(Object::as_array)
            .and_then(|a| a.first())
        {
            Some(Object::String(s)) => s.bytes.clone(),
            _ => Vec::new(),
        };
        self.security = Some(SecurityHandler::open(&dict, &first_id, password)?);
        // Objects read before the password was known were read undecrypted.
        self.object_streams.borrow_mut().clear();
        self.recent.borrow_mut().clear();
        self.recent_values.set(0);
        Ok(())
    }

    /// Reads object `id`, decrypted. A free or missing object is `null` (§7.3.10).
    pub fn load(&self, id: ObjectId) -> Result<Loaded> {
        if let Some(loaded) = self.recent.borrow().get(&id) {
            return Ok(loaded.clone());
        }
        let loaded = self.load_nesting_checked(id)?;
        let values = match &loaded {
            Loaded::Object(o) => values_in(o, RECENT_VALUES),
            Loaded::Stream(s) => s
                .dict
                .iter()
                .map(|(_, v)| values_in(v, RECENT_VALUES))
                .sum(),
        };
        if values < RECENT_VALUES {
            let mut recent = self.recent.borrow_mut();
            if recent.len() >= RECENT_OBJECTS || self.recent_values.get() + values > RECENT_VALUES {
                recent.clear();
                self.recent_values.set(0);
            }
            recent.insert(id, loaded.clone());
            self.recent_values.set(self.recent_values.get() + values);
        }
        Ok(loaded)
    }

    fn load_nesting_checked(&self, id: ObjectId) -> Result<Loaded> {
        let depth = self.load_nesting.get();
        if depth >= MAX_LOAD_NESTING {
            return Err(PdfError::damaged(format!(
                "object {id} refers to itself through other objects"
            )));
        }
        self.load_nesting.set(depth + 1);
        let loaded = self.load_unguarded(id);
        self.load_nesting.set(depth);
        loaded
    }

    fn load_unguarded(&self, id: ObjectId) -> Result<Loaded> {
        match self.xref.get(&id.number) {
            None | Some(XrefEntry::Free) => Ok(Loaded::Object(Object::Null)),
            Some(XrefEntry::InFile { offset, generation }) => {
                if *generation != id.generation {
                    return Ok(Loaded::Object(Object::Null));
                }
                let (found, mut loaded) = self.read_indirect_near(*offset, id)?;
                if found != id {
                    return Err(PdfError::MissingObject(id));
                }
                self.decrypt_loaded(id, &mut loaded)?;
                Ok(loaded)
            }
            Some(XrefEntry::InStream { stream, index }) => {
                let objects = self.object_stream(*stream)?;
                let Some(&(number, offset)) = objects.offsets.get(*index as usize) else {
                    return Err(PdfError::MissingObject(id));
                };
                let position = objects.first.saturating_add(offset);
                if number != id.number || position > objects.data.len() {
                    return Err(PdfError::MissingObject(id));
                }
                let object = parse_last_object(&objects.data[position..])
                    .ok_or(PdfError::MissingObject(id))?;
                Ok(Loaded::Object(object))
            }
        }
    }

    /// Reads object `id` as a plain object (a stream gives its dictionary).
    pub fn get(&self, id: ObjectId) -> Result<Object> {
        Ok(match self.load(id)? {
            Loaded::Object(o) => o,
            Loaded::Stream(s) => Object::Dictionary(s.dict),
        })
    }

    /// Follows references until a direct object.
    pub fn resolve(&self, object: &Object) -> Result<Object> {
        let mut current = object.clone();
        for _ in 0..MAX_RESOLVE_DEPTH {
            match current {
                Object::Reference(id) => current = self.get(id)?,
                other => return Ok(other),
            }
        }
        Err(PdfError::damaged("reference chain too long"))
    }

    /// Resolves `object` and requires a dictionary.
    pub fn resolve_dict(&self, object: &Object) -> Result<Dictionary> {
        match self.resolve(object)? {
            Object::Dictionary(d) => Ok(d),
            _ => Err(PdfError::damaged("expected a dictionary")),
        }
    }

    /// The document catalog (§7.7.2) and its id.
    pub fn catalog(&self) -> Result<(ObjectId, Dictionary)> {
        let id = self
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .ok_or_else(|| PdfError::damaged("no document catalog"))?;
        Ok((id, self.resolve_dict(&Object::Reference(id))?))
    }

    /// Reads and decodes a stream's data (decrypted, filters applied).
    pub fn stream_data(&self, id: ObjectId, stream: &StreamObject) -> Result<Vec<u8>> {
        let mut raw = self.read_stream_raw(stream)?;
        if let Some(security) = &self.security
            && !stream.dict.has_type(b"XRef")
        {
            raw = security.decrypt_stream(id, &raw)?;
        }
        decode_stream(
            &stream.dict,
            &raw,
            decoded_limit(raw.len(), self.source.len()),
        )
    }

    /// A stream's data as stored in the file: still encoded, and encrypted if the file is.
    pub fn stream_bytes(&self, stream: &StreamObject) -> Result<Vec<u8>> {
        self.read_stream_raw(stream)
    }

    fn read_stream_raw(&self, stream: &StreamObject) -> Result<Vec<u8>> {
        let len =
            usize::try_from(stream.data_len).map_err(|_| PdfError::damaged("stream too long"))?;
        if len > MAX_WINDOW * 4 {
            return Err(PdfError::Unsupported(
                "structure stream larger than 256 MB".into(),
            ));
        }
        Ok(self.source.read_window(stream.data_offset, len)?)
    }

    fn object_stream(&self, number: u32) -> Result<std::rc::Rc<ObjectStreamIndex>> {
        if let Some(index) = self.object_streams.borrow().get(&number) {
            return Ok(index.clone());
        }
        let Some(XrefEntry::InFile { offset, generation }) = self.xref.get(&number).copied() else {
            return Err(PdfError::damaged(format!(
                "object stream {number} not found"
            )));
        };
        let id = ObjectId::new(number, generation);
        let (found, loaded) = self.read_indirect_near(offset, id)?;
        let Loaded::Stream(stream) = loaded else {
            return Err(PdfError::damaged(format!(
                "object {number} is not an object stream"
            )));
        };
        if found != id {
            return Err(PdfError::MissingObject(id));
        }
        let data = self.stream_data(id, &stream)?;
        let n = stream.dict.get_int(b"N").unwrap_or(0).clamp(0, 1_000_000) as usize;
        let first = stream.dict.get_int(b"First").unwrap_or(0).max(0) as usize;
        let mut lexer = Lexer::new(&data);
        // Each pair "number offset" takes at least four bytes: /N cannot claim more.
        let mut offsets = Vec::with_capacity(n.min(data.len() / 4));
        for _ in 0..n {
            let (Ok(obj), Ok(off)) = (lexer.read_unsigned(), lexer.read_unsigned()) else {
                break;
            };
            offsets.push((
                u32::try_from(obj).unwrap_or(u32::MAX),
                usize::try_from(off).unwrap_or(usize::MAX),
            ));
        }
        let index = std::rc::Rc::new(ObjectStreamIndex {
            data,
            first,
            offsets,
        });
        let mut cache = self.object_streams.borrow_mut();
        let cached: usize = cache.values().map(|i| i.data.len()).sum();
        if cache.len() >= 64 || cached + index.data.len() > OBJECT_STREAM_CACHE {
            cache.clear();
        }
        cache.insert(number, index.clone());
        Ok(index)
    }

    fn read_indirect_near(&self, offset: u64, id: ObjectId) -> Result<(ObjectId, Loaded)> {
        match self.read_indirect_at(offset) {
            Ok((found, loaded)) if found == id => return Ok((found, loaded)),
            Err(PdfError::Io(e)) => return Err(PdfError::Io(e)),
            _ => {}
        }
        // The offset is off: look for "N G obj" a little before and after.
        let start = offset.saturating_sub(NEARBY);
        let window = self.source.read_window(start, (2 * NEARBY) as usize)?;
        let needle = format!("{} {} obj", id.number, id.generation);
        let mut hits: Vec<u64> = memchr::memmem::find_iter(&window, needle.as_bytes())
            .filter(|&i| i == 0 || !window[i - 1].is_ascii_digit())
            .map(|i| start + i as u64)
            .collect();
        hits.sort_by_key(|h| h.abs_diff(offset));
        for hit in hits {
            if let Ok((found, loaded)) = self.read_indirect_at(hit)
                && found == id
            {
                self.offsets_wrong.set(true);
                return Ok((found, loaded));
            }
        }
        Err(PdfError::MissingObject(id))
    }

    /// Parses `N G obj … endobj` at `offset`; for a stream, locates its data.
    pub fn read_indirect_at(&self, offset: u64) -> Result<(ObjectId, Loaded)> {
        let mut window_len = 4096usize;
        loop {
            let window = self.source.read_window(offset, window_len)?;
            let complete_window =
                (window.len() as u64) < window_len as u64 || window_len >= MAX_WINDOW;
            let mut lexer = Lexer::new(&window);
            let parsed = lexer.read_object_header().and_then(|id| {
                let object = lexer.read_object()?;
                Ok((id, object))
            });
            let (id, object) = match parsed {
                Ok(v) => v,
                Err(SyntaxError::Incomplete) if !complete_window => {
                    window_len *= 4;
                    continue;
                }
                Err(_) => return Err(PdfError::damaged(format!("no object at offset {offset}"))),
            };
            let keyword = lexer.peek_keyword();
            if keyword != b"stream" {
                return Ok((id, Loaded::Object(object)));
            }
            let Object::Dictionary(dict) = object else {
                return Err(PdfError::damaged(format!(
                    "stream without a dictionary at offset {offset}"
                )));
            };
            lexer.pos += b"stream".len();
            // The keyword is followed by CRLF or LF (§7.3.8.1); a lone CR is tolerated.
            if window.get(lexer.pos) == Some(&b'\r') {
                lexer.pos += 1;
            }
            if window.get(lexer.pos) == Some(&b'\n') {
                lexer.pos += 1;
            }
            let data_offset = offset + lexer.pos as u64;
            let data_len = self.stream_length(&dict, data_offset)?;
            return Ok((
                id,
                Loaded::Stream(StreamObject {
                    dict,
                    data_offset,
                    data_len,
                }),
            ));
        }
    }

    /// The /Length of a stream, checked against `endstream`; searched for when wrong.
    fn stream_length(&self, dict: &Dictionary, data_offset: u64) -> Result<u64> {
        let declared = match dict.get(b"Length") {
            Some(Object::Integer(n)) => u64::try_from(*n).ok(),
            Some(Object::Reference(id)) => match self.xref.get(&id.number) {
                // A plain integer object: parsed without looking at any stream.
                Some(XrefEntry::InFile { offset, .. }) => self
                    .read_plain_object_at(*offset)
                    .and_then(|o| o.as_int())
                    .and_then(|n| u64::try_from(n).ok()),
                Some(XrefEntry::InStream { .. }) => match self.get(*id) {
                    Ok(Object::Integer(n)) => u64::try_from(n).ok(),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        if let Some(len) = declared
            && data_offset.saturating_add(len) <= self.source.len()
        {
            let after = self.source.read_window(data_offset + len, 32)?;
            let k = skip_ws(&after);
            if after[k..].starts_with(b"endstream") {
                return Ok(len);
            }
        }
        // Find `endstream` by scanning forward in chunks.
        let mut position = data_offset;
        let chunk = 1 << 20;
        while position < self.source.len() {
            let window = self.source.read_window(position, chunk + 16)?;
            if let Some(i) = memchr::memmem::find(&window, b"endstream") {
                let mut end = position + i as u64;
                // Drop the EOL before the keyword.
                let before = self.source.read_window(end.saturating_sub(2), 2)?;
                if before.ends_with(b"\r\n") {
                    end -= 2;
                } else if before.ends_with(b"\n") || before.ends_with(b"\r") {
                    end -= 1;
                }
                return Ok(end.saturating_sub(data_offset));
            }
            if window.len() <= 16 {
                break;
            }
            position += chunk as u64;
        }
        Err(PdfError::damaged("stream without endstream"))
    }

    /// Parses `N G obj <object>` at `offset` without following a stream's /Length.
    fn read_plain_object_at(&self, offset: u64) -> Option<Object> {
        let window = self.source.read_window(offset, 1024).ok()?;
        let mut lexer = Lexer::new(&window);
        lexer.read_object_header().ok()?;
        lexer.read_object().ok()
    }

    fn decrypt_loaded(&self, id: ObjectId, loaded: &mut Loaded) -> Result<()> {
        let Some(security) = &self.security else {
            return Ok(());
        };
        if Some(id) == self.encrypt_id {
            return Ok(());
        }
        match loaded {
            Loaded::Object(object) => decrypt_strings(security, id, object)?,
            // Xref streams are never encrypted (§7.6.2); other stream dictionaries may hold
            // strings, decrypted the same way.
            Loaded::Stream(stream) if !stream.dict.has_type(b"XRef") => {
                let mut wrapper = Object::Dictionary(std::mem::take(&mut stream.dict));
                decrypt_strings(security, id, &mut wrapper)?;
                if let Object::Dictionary(dict) = wrapper {
                    stream.dict = dict;
                }
            }
            Loaded::Stream(_) => {}
        }
        Ok(())
    }
}

/// How many values `object` holds, counting up to `limit` at most.
fn values_in(object: &Object, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![object];
    while let Some(o) = stack.pop() {
        count += 1;
        if count >= limit {
            break;
        }
        match o {
            Object::Array(items) => stack.extend(items.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    count
}

/// Decrypts every string of an object, except the /Contents of a signature dictionary,
/// which is never encrypted (ISO 32000-2 §7.6.2).
fn decrypt_strings(security: &SecurityHandler, id: ObjectId, object: &mut Object) -> Result<()> {
    let mut failure = None;
    if let Object::Dictionary(d) = object
        && is_signature_dictionary(d)
    {
        for (key, value) in d.iter_mut() {
            if key.as_bytes() != b"Contents" {
                value.for_each_string_mut(&mut |s| decrypt_one(security, id, s, &mut failure));
            }
        }
    } else {
        object.for_each_string_mut(&mut |s| decrypt_one(security, id, s, &mut failure));
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn decrypt_one(
    security: &SecurityHandler,
    id: ObjectId,
    s: &mut crate::object::PdfString,
    failure: &mut Option<PdfError>,
) {
    match security.decrypt_string(id, &s.bytes) {
        Ok(plain) => s.bytes = plain,
        Err(e) => *failure = Some(e),
    }
}

/// A signature dictionary (§12.8.1): /Type /Sig or /DocTimeStamp, or /ByteRange with /Contents.
pub fn is_signature_dictionary(d: &Dictionary) -> bool {
    d.has_type(b"Sig")
        || d.has_type(b"DocTimeStamp")
        || (d.contains(b"ByteRange") && d.contains(b"Contents"))
}

/// Parses one object at the start of `data`, which may end right after it.
fn parse_last_object(data: &[u8]) -> Option<Object> {
    match Lexer::new(data).read_object() {
        Ok(object) => Some(object),
        Err(SyntaxError::Incomplete) => {
            let mut padded = data.to_vec();
            padded.push(b' ');
            Lexer::new(&padded).read_object().ok()
        }
        Err(_) => None,
    }
}

fn is_trailer_key(key: &[u8]) -> bool {
    matches!(key, b"Root" | b"Info" | b"ID" | b"Encrypt" | b"Size")
}

fn skip_ws(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| !crate::object::is_whitespace(b))
        .unwrap_or(buf.len())
}

/// For an `obj` keyword at `i`, the start of "N G obj" when it is one.
fn line_start_of_header(window: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let mut numbers = 0;
    while numbers < 2 {
        while j > 0 && window[j - 1] == b' ' {
            j -= 1;
        }
        let end = j;
        while j > 0 && window[j - 1].is_ascii_digit() {
            j -= 1;
        }
        if j == end {
            return None;
        }
        numbers += 1;
    }
    Some(j)
}
