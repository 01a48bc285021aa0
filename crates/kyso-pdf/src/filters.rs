//! Stream filters needed to read structure (ISO 32000-2 §7.4): FlateDecode with
//! PNG and TIFF predictors (§7.4.4.4), which xref streams and object streams use.

use std::io::Read;

use crate::error::{PdfError, Result};
use crate::object::{Dictionary, Object};

/// Largest decoded structure stream accepted (xref and object streams), against zip bombs.
const MAX_DECODED: u64 = 256 * 1024 * 1024;

/// Decodes `data` according to the stream dictionary's /Filter and /DecodeParms.
pub fn decode_stream(dict: &Dictionary, data: &[u8]) -> Result<Vec<u8>> {
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
                let inflated = inflate(&current)?;
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

fn inflate(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let decoder = flate2::read::ZlibDecoder::new(data);
    match decoder.take(MAX_DECODED).read_to_end(&mut out) {
        Ok(_) => Ok(out),
        // Truncated streams are common; keep what was decoded when there is any.
        Err(_) if !out.is_empty() => Ok(out),
        Err(_) => {
            // Some producers write raw deflate without the zlib header.
            let mut raw = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .take(MAX_DECODED)
                .read_to_end(&mut raw)
                .map_err(|e| PdfError::damaged(format!("bad compressed stream: {e}")))?;
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
    let row_len = (colors * bits * columns).div_ceil(8);
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
