//! Rebuilding the xref of a damaged file by scanning it for `N G obj` (what every viewer
//! does when ISO 32000-2 §7.5.5's table cannot be trusted). The scan reads the file in
//! chunks; memory grows with the number of objects, not with the file.

use std::collections::HashMap;

use crate::error::Result;
use crate::lexer::Lexer;
use crate::object::{Dictionary, Object};
use crate::source::Source;

const CHUNK: usize = 4 << 20;
const OVERLAP: usize = 64;

pub struct Scan {
    /// Object number → (offset, generation); a later definition wins.
    pub objects: HashMap<u32, (u64, u16)>,
    /// The newest trailer dictionary found (a `trailer` keyword or an xref stream).
    pub trailer: Option<Dictionary>,
    pub object_streams: Vec<u32>,
}

pub fn scan<S: Source + ?Sized>(source: &S) -> Result<Scan> {
    let mut objects = HashMap::new();
    let mut headers: Vec<u64> = Vec::new();
    let mut trailers: Vec<u64> = Vec::new();
    let mut position = 0u64;
    while position < source.len() {
        let window = source.read_window(position, CHUNK + OVERLAP)?;
        let limit = window.len().min(CHUNK);
        for i in memchr::memmem::find_iter(&window, b"obj") {
            if i >= limit {
                break;
            }
            if let Some(start) = header_start(&window, i) {
                headers.push(position + start as u64);
            }
        }
        for i in memchr::memmem::find_iter(&window[..limit], b"trailer") {
            trailers.push(position + i as u64);
        }
        if window.len() <= OVERLAP {
            break;
        }
        position += CHUNK as u64;
    }
    headers.dedup();

    let mut trailer: Option<Dictionary> = None;
    let mut object_streams = Vec::new();
    for offset in headers {
        let window = source.read_window(offset, 4096)?;
        let mut lexer = Lexer::new(&window);
        let Ok(id) = lexer.read_object_header() else {
            continue;
        };
        objects.insert(id.number, (offset, id.generation));
        if let Ok(Object::Dictionary(d)) = lexer.read_object() {
            if d.has_type(b"ObjStm") {
                object_streams.push(id.number);
            }
            if d.has_type(b"XRef") && d.contains(b"Root") {
                merge_trailer(&mut trailer, d);
            }
        }
    }
    for offset in trailers {
        let window = source.read_window(offset + b"trailer".len() as u64, 8192)?;
        if let Ok(Object::Dictionary(d)) = Lexer::new(&window).read_object()
            && d.contains(b"Root")
        {
            merge_trailer(&mut trailer, d);
        }
    }
    Ok(Scan {
        objects,
        trailer,
        object_streams,
    })
}

fn merge_trailer(current: &mut Option<Dictionary>, newer: Dictionary) {
    let mut merged = newer;
    if let Some(old) = current.take() {
        for (key, value) in old.iter() {
            if !merged.contains(key.as_bytes()) {
                merged.set(key.as_bytes(), value.clone());
            }
        }
    }
    for key in [
        &b"Prev"[..],
        b"XRefStm",
        b"W",
        b"Index",
        b"Filter",
        b"DecodeParms",
        b"Length",
        b"Type",
    ] {
        merged.remove(key);
    }
    *current = Some(merged);
}

/// For `obj` at `i`, the offset of "N G obj" when it starts a line (or the window).
fn header_start(window: &[u8], i: usize) -> Option<usize> {
    if window
        .get(i + 3)
        .is_some_and(|&c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let mut j = i;
    for _ in 0..2 {
        let end = j;
        while j > 0 && crate::object::is_whitespace(window[j - 1]) {
            j -= 1;
        }
        if j == end {
            return None;
        }
        let digits_end = j;
        while j > 0 && window[j - 1].is_ascii_digit() {
            j -= 1;
        }
        if j == digits_end {
            return None;
        }
    }
    if j == 0 || crate::object::is_whitespace(window[j - 1]) || window[j - 1] == b'>' {
        Some(j)
    } else {
        None
    }
}
