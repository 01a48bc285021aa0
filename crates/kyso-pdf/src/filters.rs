//! Stream filters (ISO 32000-2 §7.4): FlateDecode and LZWDecode with PNG and TIFF
//! predictors (§7.4.4.4), which xref streams and object streams use, and the other general
//! filters content streams may use: ASCIIHexDecode, ASCII85Decode, RunLengthDecode. The
//! image filters (DCT, JPX, CCITT fax, JBIG2) decode to pixels, never to content: a stream
//! with one is refused. Every stage of a chain holds at most the caller's limit.

use std::io::Read;

use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object};

/// Largest decoded stream accepted, whatever its filters and however large the file (an
/// xref stream of 9 million objects fits; real object streams hold a few hundred objects).
pub const MAX_DECODED: usize = 64 * 1024 * 1024;
/// How much larger than its encoded bytes a decoded stream may be. Deflate cannot expand
/// more than 1032:1 (a 258-byte match costs at least two bits, RFC 1951 §3.2.5), so one
/// `/FlateDecode` never reaches this; a filter chain that does (`[/FlateDecode
/// /FlateDecode]`, a zip bomb of zip bombs) is refused.
pub const MAX_EXPANSION: usize = 1100;
/// How much larger than the whole file one decoded stream may be, and the floor of that
/// bound for small files. A file's structure (its xref and object streams) decodes to a few
/// times the file's size at most; 64 times, with 8 MiB for any file, leaves real files far
/// inside the bound and keeps a hostile one's memory in proportion to it.
pub const MAX_FILE_EXPANSION: u64 = 64;
const MIN_FILE_LIMIT: u64 = 8 * 1024 * 1024;

/// The most a stream of `encoded_len` bytes in a file of `file_len` bytes may decode to
/// ([`MAX_DECODED`], [`MAX_EXPANSION`], [`MAX_FILE_EXPANSION`]).
pub fn decoded_limit(encoded_len: usize, file_len: u64) -> usize {
    let by_file = file_len
        .saturating_mul(MAX_FILE_EXPANSION)
        .max(MIN_FILE_LIMIT);
    let by_file = usize::try_from(by_file).unwrap_or(usize::MAX);
    encoded_len
        .saturating_mul(MAX_EXPANSION)
        .max(4096)
        .min(by_file)
        .min(MAX_DECODED)
}

/// Decodes `data` according to the stream dictionary's /Filter and /DecodeParms, into at
/// most `limit` bytes (see [`decoded_limit`]): a stream that would decode to more is refused
/// as damaged, before more than `limit` bytes are held.
pub fn decode_stream(dict: &Dictionary, data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let filters: Vec<&[u8]> = match dict.get(b"Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_bytes()],
        Some(Object::Array(items)) => items.iter().filter_map(|o| o.as_name()).collect(),
        Some(_) => return Err(PdfError::damaged("bad /Filter")),
    };
    let params: Vec<Option<&Dictionary>> = match dict.get(b"DecodeParms") {
        Some(Object::Dictionary(d)) => vec![Some(d)],
        Some(Object::Array(items)) => items.iter().map(|o| o.as_dict()).collect(),
        _ => Vec::new(),
    };
    let mut current = data.to_vec();
    for (i, filter) in filters.iter().enumerate() {
        let param = params.get(i).copied().flatten();
        current = match *filter {
            b"FlateDecode" | b"Fl" => {
                let inflated = inflate(&current, limit)?;
                apply_predictor(inflated, param)?
            }
            b"LZWDecode" | b"LZW" => {
                let early_change = param.and_then(|p| p.get_int(b"EarlyChange")).unwrap_or(1) != 0;
                let decoded = lzw_decode(&current, early_change, limit)?;
                apply_predictor(decoded, param)?
            }
            b"ASCIIHexDecode" | b"AHx" => ascii_hex_decode(&current, limit)?,
            b"ASCII85Decode" | b"A85" => ascii85_decode(&current, limit)?,
            b"RunLengthDecode" | b"RL" => run_length_decode(&current, limit)?,
            // §7.4.10: the Identity crypt filter passes the data through; the document's own
            // security handler has already decrypted it.
            b"Crypt"
                if param
                    .and_then(|p| p.get_name(b"Name"))
                    .is_none_or(|n| n == b"Identity") =>
            {
                current
            }
            image @ (b"DCTDecode" | b"DCT" | b"JPXDecode" | b"CCITTFaxDecode" | b"CCF"
            | b"JBIG2Decode") => {
                return Err(PdfError::Unsupported(format!(
                    "image filter {} on a stream that is not an image",
                    String::from_utf8_lossy(image)
                )));
            }
            other => {
                return Err(PdfError::Unsupported(format!(
                    "stream filter {}",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        if current.len() > limit {
            return Err(too_large(data.len(), limit));
        }
    }
    Ok(current)
}

fn too_large(encoded: usize, limit: usize) -> PdfError {
    PdfError::damaged(format!(
        "a stream of {encoded} bytes decodes to more than {limit} bytes"
    ))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// ASCIIHexDecode (§7.4.2): hex digit pairs up to `>`; white space is ignored, an odd last
/// digit is followed by an implied 0.
fn ascii_hex_decode(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity((data.len() / 2).min(limit));
    let mut high: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        if crate::object::is_whitespace(c) {
            continue;
        }
        let v = hex_digit(c).ok_or_else(|| PdfError::damaged("bad ASCIIHexDecode data"))?;
        match high.take() {
            Some(h) => out.push((h << 4) | v),
            None => high = Some(v),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    if out.len() > limit {
        return Err(too_large(data.len(), limit));
    }
    Ok(out)
}

/// ASCII85Decode (§7.4.3): groups of five characters `!`–`u` give four bytes, `z` four
/// zeros, up to `~>`; a final partial group of n characters gives n − 1 bytes.
fn ascii85_decode(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let bad = || PdfError::damaged("bad ASCII85Decode data");
    let mut out = Vec::with_capacity((data.len() / 5 * 4).min(limit));
    let mut group = [0u8; 5];
    let mut n = 0usize;
    for &c in data {
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    let value = group
                        .iter()
                        .try_fold(0u32, |v, &d| v.checked_mul(85)?.checked_add(u32::from(d)))
                        .ok_or_else(bad)?;
                    out.extend_from_slice(&value.to_be_bytes());
                    n = 0;
                }
            }
            c if crate::object::is_whitespace(c) => {}
            _ => return Err(bad()),
        }
        if out.len() > limit {
            return Err(too_large(data.len(), limit));
        }
    }
    if n == 1 {
        return Err(bad());
    }
    if n > 1 {
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let value = group
            .iter()
            .try_fold(0u32, |v, &d| v.checked_mul(85)?.checked_add(u32::from(d)))
            .ok_or_else(bad)?;
        out.extend_from_slice(&value.to_be_bytes()[..n - 1]);
    }
    if out.len() > limit {
        return Err(too_large(data.len(), limit));
    }
    Ok(out)
}

/// RunLengthDecode (§7.4.5): a length byte n, then n + 1 literal bytes (n < 128) or one
/// byte repeated 257 − n times (n > 128); 128 ends the data.
fn run_length_decode(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let n = data[i];
        i += 1;
        match n {
            128 => break,
            0..=127 => {
                let end = (i + usize::from(n) + 1).min(data.len());
                out.extend_from_slice(&data[i..end]);
                i = end;
            }
            _ => {
                let Some(&b) = data.get(i) else {
                    break;
                };
                i += 1;
                out.resize(out.len() + 257 - usize::from(n), b);
            }
        }
        if out.len() > limit {
            return Err(too_large(data.len(), limit));
        }
    }
    Ok(out)
}

/// LZWDecode (§7.4.4): variable-width codes of 9 to 12 bits, 256 clears the table, 257
/// ends the data; with `early_change` (the default /EarlyChange 1) the code width grows one
/// code early. The table is a fixed array of (prefix, byte) pairs: no allocation per code.
fn lzw_decode(data: &[u8], early_change: bool, limit: usize) -> Result<Vec<u8>> {
    const CLEAR: u16 = 256;
    const END: u16 = 257;
    const TABLE: usize = 4096;
    let mut prefix = [0u16; TABLE];
    let mut suffix = [0u8; TABLE];
    let mut length = [0u16; TABLE];
    for i in 0..256 {
        suffix[i] = i as u8;
        length[i] = 1;
    }
    let mut next: usize = 258;
    let mut width = 9u32;
    let mut previous: Option<u16> = None;
    let mut out: Vec<u8> = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut bytes = data.iter();
    loop {
        while bits < width {
            match bytes.next() {
                Some(&b) => {
                    buffer = (buffer << 8) | u32::from(b);
                    bits += 8;
                }
                None => return Ok(out),
            }
        }
        let code = ((buffer >> (bits - width)) & ((1 << width) - 1)) as u16;
        bits -= width;
        buffer &= (1 << bits) - 1;
        if code == CLEAR {
            next = 258;
            width = 9;
            previous = None;
            continue;
        }
        if code == END {
            return Ok(out);
        }
        let start = out.len();
        let first_byte;
        if usize::from(code) < next && (code < 256 || usize::from(code) >= 258) {
            // A known code: write its string, last byte first, from the table.
            let len = usize::from(length[usize::from(code)]);
            out.resize(start + len, 0);
            let mut c = code;
            for k in (0..len).rev() {
                out[start + k] = suffix[usize::from(c)];
                c = prefix[usize::from(c)];
            }
            first_byte = out[start];
        } else if usize::from(code) == next
            && let Some(p) = previous
        {
            // The code being defined: the previous string plus its own first byte.
            let len = usize::from(length[usize::from(p)]);
            out.resize(start + len, 0);
            let mut c = p;
            for k in (0..len).rev() {
                out[start + k] = suffix[usize::from(c)];
                c = prefix[usize::from(c)];
            }
            first_byte = out[start];
            out.push(first_byte);
        } else {
            return Err(PdfError::damaged("bad LZWDecode data"));
        }
        if out.len() > limit {
            return Err(too_large(data.len(), limit));
        }
        if let Some(p) = previous
            && next < TABLE
        {
            prefix[next] = p;
            suffix[next] = first_byte;
            length[next] = length[usize::from(p)].saturating_add(1);
            next += 1;
        }
        previous = Some(code);
        let threshold = if early_change { next + 1 } else { next };
        width = match threshold {
            t if t >= 2048 => 12,
            t if t >= 1024 => 11,
            t if t >= 512 => 10,
            _ => 9,
        };
    }
}

/// Inflates at most `limit` bytes; more is a zip bomb, refused.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        PdfError::damaged(format!(
            "a compressed stream of {} bytes decodes to more than {limit} bytes",
            data.len()
        ))
    };
    // One byte more than the limit tells "exactly the limit" from "larger".
    let cap = limit as u64 + 1;
    let mut out = Vec::new();
    let decoder = flate2::read::ZlibDecoder::new(data);
    let result = decoder.take(cap).read_to_end(&mut out);
    if out.len() > limit {
        return Err(too_large());
    }
    match result {
        Ok(_) => Ok(out),
        // Truncated streams are common; keep what was decoded when there is any.
        Err(_) if !out.is_empty() => Ok(out),
        Err(_) => {
            // Some producers write raw deflate without the zlib header.
            let mut raw = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .take(cap)
                .read_to_end(&mut raw)
                .map_err(|e| PdfError::damaged(format!("bad compressed stream: {e}")))?;
            if raw.len() > limit {
                return Err(too_large());
            }
            Ok(raw)
        }
    }
}

fn apply_predictor(data: Vec<u8>, params: Option<&Dictionary>) -> Result<Vec<u8>> {
    let Some(params) = params else {
        return Ok(data);
    };
    let predictor = params.get_int(b"Predictor").unwrap_or(1);
    if predictor < 2 {
        return Ok(data);
    }
    let colors = params.get_int(b"Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bits = params
        .get_int(b"BitsPerComponent")
        .unwrap_or(8)
        .clamp(1, 16) as usize;
    let columns = params.get_int(b"Columns").unwrap_or(1).clamp(1, 1 << 20) as usize;
    let bpp = (colors * bits).div_ceil(8).max(1);
    // A row longer than the data is a lie of /Columns: rows never hold more than the data.
    let row_len = (colors * bits * columns).div_ceil(8).min(data.len().max(1));
    if predictor == 2 {
        if bits != 8 {
            return Err(PdfError::Unsupported(
                "TIFF predictor with bits != 8".into(),
            ));
        }
        let mut out = data;
        for row in out.chunks_mut(row_len) {
            for i in bpp..row.len() {
                row[i] = row[i].wrapping_add(row[i - bpp]);
            }
        }
        return Ok(out);
    }
    // PNG predictors (10–15): each row starts with its filter type byte.
    let mut out = Vec::with_capacity(data.len());
    let mut previous = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&kind, row)) = chunk.split_first() else {
            continue;
        };
        let mut current = row.to_vec();
        current.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { current[i - bpp] } else { 0 };
            let up = previous[i];
            let up_left = if i >= bpp { previous[i - bpp] } else { 0 };
            current[i] = match kind {
                0 => current[i],
                1 => current[i].wrapping_add(left),
                2 => current[i].wrapping_add(up),
                3 => current[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => current[i].wrapping_add(paeth(left, up, up_left)),
                _ => return Err(PdfError::damaged("bad PNG predictor row")),
            };
        }
        out.extend_from_slice(&current[..row.len().min(row_len)]);
        previous = current;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Compresses with zlib (FlateDecode), for the streams Kyso writes.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(filter: &str, data: &[u8]) -> Result<Vec<u8>> {
        let mut dict = Dictionary::new();
        dict.set(b"Filter", Object::name(filter.as_bytes()));
        decode_stream(&dict, data, 1 << 20)
    }

    #[test]
    fn ascii_filters() {
        assert_eq!(
            decode("ASCIIHexDecode", b"48 65 6c6C 6>").unwrap(),
            b"Hell`"
        );
        assert_eq!(
            decode("A85", b"87cURD]i,\"Ebo80~>").unwrap(),
            b"Hello World!"
        );
        assert_eq!(decode("A85", b"z!!~>").unwrap(), [0, 0, 0, 0, 0]);
        assert!(decode("AHx", b"4G").is_err());
    }

    #[test]
    fn run_length_and_lzw() {
        assert_eq!(
            decode(
                "RunLengthDecode",
                &[2, b'a', b'b', b'c', 254, b'x', 128, b'z']
            )
            .unwrap(),
            b"abcxxx"
        );
        // The example of ISO 32000-2 §7.4.4.2.
        let lzw = [0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01];
        assert_eq!(decode("LZWDecode", &lzw).unwrap(), b"-----A---B");
    }

    #[test]
    fn lzw_round_trip_through_wide_codes() {
        // Encode with a tiny LZW encoder (early change) and decode it back.
        let input: Vec<u8> = (0..20_000u32)
            .map(|i| ((i * 7) % 251) as u8 ^ (i / 97) as u8)
            .collect();
        let encoded = lzw_encode(&input);
        assert_eq!(decode("LZW", &encoded).unwrap(), input);
    }

    fn lzw_encode(data: &[u8]) -> Vec<u8> {
        use std::collections::HashMap;
        let mut out = Vec::new();
        let (mut buffer, mut bits) = (0u64, 0u32);
        let mut put = |code: u32, width: u32, out: &mut Vec<u8>| {
            buffer = (buffer << width) | u64::from(code);
            bits += width;
            while bits >= 8 {
                out.push((buffer >> (bits - 8)) as u8);
                bits -= 8;
            }
        };
        let mut table: HashMap<Vec<u8>, u32> = HashMap::new();
        let reset = |t: &mut HashMap<Vec<u8>, u32>| {
            t.clear();
            for i in 0..256u32 {
                t.insert(vec![i as u8], i);
            }
        };
        reset(&mut table);
        let (mut next, mut width) = (258u32, 9u32);
        put(256, width, &mut out);
        let mut current: Vec<u8> = Vec::new();
        for &b in data {
            let mut candidate = current.clone();
            candidate.push(b);
            if table.contains_key(&candidate) {
                current = candidate;
                continue;
            }
            put(table[&current], width, &mut out);
            table.insert(candidate, next);
            next += 1;
            // The decoder's table is one entry behind: it widens at next + 1 = 2^width.
            if next >= 1 << width {
                width += 1;
            }
            if next >= 4094 {
                put(256, width, &mut out);
                reset(&mut table);
                next = 258;
                width = 9;
            }
            current = vec![b];
        }
        put(table[&current], width, &mut out);
        put(257, width, &mut out);
        put(0, 7, &mut out);
        out
    }

    #[test]
    fn every_stage_is_bounded_and_image_filters_refused() {
        let mut dict = Dictionary::new();
        dict.set(b"Filter", Object::name(b"RL"));
        let bomb = [129u8, 0].repeat(10_000);
        assert!(decode_stream(&dict, &bomb, 1000).is_err());
        assert!(matches!(
            decode("DCTDecode", b"\xff\xd8"),
            Err(PdfError::Unsupported(_))
        ));
    }
}
