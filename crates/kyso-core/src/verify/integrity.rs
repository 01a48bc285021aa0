//! Byte-range checks and streaming digests (ISO 32000-2 §12.8.1): the ByteRange must be
//! `[0 a b c]` with the gap `[a, b)` holding exactly the `/Contents` hex string, and
//! `b + c` must end a revision (`%%EOF`). The covered bytes are hashed by streaming from
//! the file with a 1 MiB buffer: the file is never loaded.

use std::collections::HashMap;
use std::sync::Mutex;

use kyso_cms::{DigestAlgorithm, Hasher};
use kyso_pdf::Source;

/// Read size when hashing.
const BUFFER: usize = 1 << 20;
/// Largest `/Contents` gap accepted (a CMS with chain, timestamp and revocation data).
const MAX_GAP: u64 = 4 << 20;

/// What the ByteRange check found.
#[derive(Debug, Clone)]
pub struct ByteRange {
    /// The two ranges, as (offset, length).
    pub ranges: [(u64, u64); 2],
    /// The end of the signed revision (`b + c`).
    pub revision_end: u64,
    /// The bytes of the hex string in the gap, decoded: the CMS as it was signed.
    pub contents: Vec<u8>,
}

/// Checks `range` against the file. Err carries the English reason.
pub fn check_byte_range<S: Source>(
    source: &S,
    range: &[i64],
    dict_contents: Option<&[u8]>,
) -> Result<ByteRange, String> {
    let [start, a, b, c] = match range {
        [w, x, y, z] => [*w, *x, *y, *z],
        _ => return Err(format!("/ByteRange has {} numbers, not 4", range.len())),
    };
    if start != 0 {
        return Err("/ByteRange does not start at the beginning of the file".into());
    }
    let (Ok(a), Ok(b), Ok(c)) = (u64::try_from(a), u64::try_from(b), u64::try_from(c)) else {
        return Err("/ByteRange has negative numbers".into());
    };
    let end = b.checked_add(c).ok_or("/ByteRange overflows")?;
    if a >= b || end > source.len() || b - a > MAX_GAP || b - a < 2 {
        return Err("/ByteRange does not fit the file".into());
    }
    let gap = source
        .read_window(a, (b - a) as usize)
        .map_err(|e| format!("cannot read the signature gap: {e}"))?;
    if gap.first() != Some(&b'<') || gap.last() != Some(&b'>') {
        return Err("the gap in /ByteRange is not exactly the /Contents hex string".into());
    }
    let contents = decode_hex(&gap[1..gap.len() - 1])
        .ok_or("the gap in /ByteRange holds something other than hex digits")?;
    if let Some(dict) = dict_contents
        && trim_zeros(dict) != trim_zeros(&contents)
    {
        return Err("/Contents of the signature dictionary is not the string in the gap".into());
    }
    let tail_start = end.saturating_sub(16);
    let tail = source
        .read_window(tail_start, (end - tail_start) as usize)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let trimmed = tail
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
        .map_or(&tail[..0], |p| &tail[..=p]);
    if !trimmed.ends_with(b"%%EOF") {
        return Err("/ByteRange does not end at the end of a revision (%%EOF)".into());
    }
    Ok(ByteRange {
        ranges: [(0, a), (b, c)],
        revision_end: end,
        contents,
    })
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    &bytes[..end]
}

/// Hex string contents (§7.3.4.3): white space ignored, an odd final digit padded with 0.
fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for &ch in text {
        let v = match ch {
            b'0'..=b'9' => ch - b'0',
            b'a'..=b'f' => ch - b'a' + 10,
            b'A'..=b'F' => ch - b'A' + 10,
            b' ' | b'\r' | b'\n' | b'\t' | b'\x0c' | 0 => continue,
            _ => return None,
        };
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Some(out)
}

/// Digests already computed, by byte ranges and algorithm. An upgrade verifies the same
/// document several times as it appends to it (before, while gathering the validation
/// data, after), and appending never changes the bytes an existing signature covers: each
/// range is hashed once. Valid for one document only.
#[derive(Debug, Default)]
pub struct DigestCache {
    known: Mutex<HashMap<RangesDigest, Vec<u8>>>,
}

/// The two ranges of a `/ByteRange` and the digest algorithm.
type RangesDigest = ([(u64, u64); 2], DigestAlgorithm);

impl DigestCache {
    pub fn get(&self, ranges: &[(u64, u64); 2], alg: DigestAlgorithm) -> Option<Vec<u8>> {
        self.known.lock().ok()?.get(&(*ranges, alg)).cloned()
    }

    /// Records the digest of `ranges` (computed here, or by the writer that just hashed them).
    pub fn insert(&self, ranges: [(u64, u64); 2], alg: DigestAlgorithm, digest: Vec<u8>) {
        if let Ok(mut known) = self.known.lock() {
            known.insert((ranges, alg), digest);
        }
    }
}

/// Digest of the ranges with each algorithm asked for, in one pass over the file.
pub fn hash_ranges<S: Source>(
    source: &S,
    ranges: &[(u64, u64)],
    algorithms: &[DigestAlgorithm],
) -> std::io::Result<Vec<(DigestAlgorithm, Vec<u8>)>> {
    let mut hashers: Vec<Hasher> = algorithms.iter().map(|a| Hasher::new(*a)).collect();
    let mut buf = vec![0u8; BUFFER];
    for &(offset, len) in ranges {
        let mut done = 0u64;
        while done < len {
            let want = ((len - done) as usize).min(BUFFER);
            let n = source.read_at(offset + done, &mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file ended inside /ByteRange",
                ));
            }
            for h in &mut hashers {
                h.update(&buf[..n]);
            }
            done += n as u64;
        }
    }
    Ok(hashers
        .into_iter()
        .map(|h| (h.algorithm(), h.finalize()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(body: &str) -> Vec<u8> {
        body.as_bytes().to_vec()
    }

    #[test]
    fn good_range_and_hidden_content() {
        let f = file("%PDF-1.7 abc<0A0B00>def\n%%EOF\n");
        let a = f.iter().position(|&b| b == b'<').unwrap_or(0) as i64;
        let b = f.iter().position(|&b| b == b'>').unwrap_or(0) as i64 + 1;
        let len = f.len() as i64;
        let r = check_byte_range(&f, &[0, a, b, len - b], Some(&[10, 11])).unwrap();
        assert_eq!(r.contents, vec![10, 11, 0]);
        assert!(check_byte_range(&f, &[0, a + 1, b, len - b], None).is_err());
        assert!(check_byte_range(&f, &[0, a, b, len - b - 3], None).is_err());
        assert!(check_byte_range(&f, &[0, a, b, len], None).is_err());
        assert!(check_byte_range(&f, &[0, a, b], None).is_err());
        let hidden = file("%PDF-1.7 abc<0A0B)>def\n%%EOF\n");
        assert!(check_byte_range(&hidden, &[0, a, b, len - b], None).is_err());
    }
}
