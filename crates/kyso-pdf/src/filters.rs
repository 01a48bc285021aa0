//! Stream filters needed to read structure (ISO 32000-2 §7.4): FlateDecode with
//! PNG and TIFF predictors (§7.4.4.4), which xref streams and object streams use.

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
            other => {
                return Err(PdfError::Unsupported(format!(
                    "structure stream filter {}",
                    String::from_utf8_lossy(other)
                )));
            }
        };
    }
    Ok(current)
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
