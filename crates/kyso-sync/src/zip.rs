//! The small part of the ZIP format (PKWARE APPNOTE 6.3.x) that edXML attachments need: the
//! VNPT SDK zips each attached file before it base64-encodes it into `AttachmentEncoded`
//! (`ContentType` `application/zip`, docs/domain.md §4), so Kyso writes one-file archives
//! and reads the archives others write.
//!
//! Writing ([`write_single`]) streams: the file goes through deflate (flate2) straight to the
//! output, its CRC-32 and sizes follow in a data descriptor (general purpose flag bit 3, §4.3.9),
//! so nothing is held in memory and nothing needs seeking. The modification time is fixed
//! (1980-01-01 00:00, the DOS epoch), so the same file always gives the same bytes: the package
//! hash that finds a document already sent depends on it (docs/decisions.md).
//!
//! Reading ([`read_entries`]) takes an archive in memory (it was base64 in an edXML message
//! read with a size limit), reads the central directory (§4.3.12), and inflates each entry with
//! its CRC-32 checked, stored (method 0) or deflated (method 8) only, no encryption, no ZIP64;
//! the total inflated size is bounded, so a zip bomb stops at the bound.

use std::io::{self, Read, Write};

use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Bit 3: sizes and CRC in a data descriptor; bit 11: the name is UTF-8.
const FLAGS: u16 = 0x0808;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
/// 2.0: deflate (§4.4.3.2).
const VERSION: u16 = 20;
/// 1980-01-01 in MS-DOS date format (day 1, month 1, year 0), time 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// The longest end-of-central-directory record: 22 bytes and a 65,535-byte comment.
const MAX_EOCD_SEARCH: usize = 22 + 0xFFFF;

/// Why an archive cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zip: {0}")]
pub struct ZipError(pub String);

fn bad(message: impl Into<String>) -> ZipError {
    ZipError(message.into())
}

/// Writes a ZIP archive holding one file `name` whose bytes are read from `data`, deflated,
/// to `out`. Gives the number of bytes read from `data`.
pub fn write_single(name: &str, data: &mut dyn Read, out: &mut dyn Write) -> io::Result<u64> {
    let name_bytes = name.as_bytes();
    let name_len = u16::try_from(name_bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file name too long"))?;
    let mut out = Counting {
        inner: out,
        count: 0,
    };

    let mut local = Vec::with_capacity(30 + name_bytes.len());
    put_u32(&mut local, LOCAL_HEADER);
    put_u16(&mut local, VERSION);
    put_u16(&mut local, FLAGS);
    put_u16(&mut local, METHOD_DEFLATE);
    put_u16(&mut local, DOS_TIME);
    put_u16(&mut local, DOS_DATE);
    put_u32(&mut local, 0); // CRC-32: in the data descriptor
    put_u32(&mut local, 0); // compressed size: idem
    put_u32(&mut local, 0); // uncompressed size: idem
    put_u16(&mut local, name_len);
    put_u16(&mut local, 0); // no extra field
    local.extend_from_slice(name_bytes);
    out.write_all(&local)?;
    let data_start = out.count;

    let mut crc = flate2::Crc::new();
    let mut read = 0u64;
    {
        let mut encoder = DeflateEncoder::new(&mut out, Compression::default());
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match data.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            crc.update(&buffer[..n]);
            read += n as u64;
            encoder.write_all(&buffer[..n])?;
        }
        encoder.finish()?;
    }
    let compressed = out.count - data_start;
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "file over 4 GiB (no ZIP64)");
    let compressed32 = u32::try_from(compressed).map_err(|_| too_big())?;
    let size32 = u32::try_from(read).map_err(|_| too_big())?;

    let mut tail = Vec::with_capacity(16 + 46 + name_bytes.len() + 22);
    put_u32(&mut tail, DATA_DESCRIPTOR);
    put_u32(&mut tail, crc.sum());
    put_u32(&mut tail, compressed32);
    put_u32(&mut tail, size32);
    let central_offset = u32::try_from(out.count + tail.len() as u64).map_err(|_| too_big())?;
    let central_start = tail.len();
    put_u32(&mut tail, CENTRAL_HEADER);
    put_u16(&mut tail, VERSION); // made by: MS-DOS, 2.0
    put_u16(&mut tail, VERSION);
    put_u16(&mut tail, FLAGS);
    put_u16(&mut tail, METHOD_DEFLATE);
    put_u16(&mut tail, DOS_TIME);
    put_u16(&mut tail, DOS_DATE);
    put_u32(&mut tail, crc.sum());
    put_u32(&mut tail, compressed32);
    put_u32(&mut tail, size32);
    put_u16(&mut tail, name_len);
    put_u16(&mut tail, 0); // extra
    put_u16(&mut tail, 0); // comment
    put_u16(&mut tail, 0); // disk number
    put_u16(&mut tail, 0); // internal attributes
    put_u32(&mut tail, 0); // external attributes
    put_u32(&mut tail, 0); // the local header's offset
    tail.extend_from_slice(name_bytes);
    let central_size = (tail.len() - central_start) as u32;
    put_u32(&mut tail, END_OF_CENTRAL_DIRECTORY);
    put_u16(&mut tail, 0);
    put_u16(&mut tail, 0);
    put_u16(&mut tail, 1);
    put_u16(&mut tail, 1);
    put_u32(&mut tail, central_size);
    put_u32(&mut tail, central_offset);
    put_u16(&mut tail, 0);
    out.write_all(&tail)?;
    Ok(read)
}

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
}

/// Whether `data` starts like a ZIP archive (a local file header, or an empty archive).
pub fn looks_like_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06")
}

/// The files of the archive `data` (folders skipped), at most `max_total` bytes once inflated.
pub fn read_entries(data: &[u8], max_total: u64) -> Result<Vec<Entry>, ZipError> {
    let eocd = find_end_of_central_directory(data)?;
    let count = u16_at(data, eocd + 10)? as usize;
    let central_size = u32_at(data, eocd + 12)? as usize;
    let central_offset = u32_at(data, eocd + 16)? as usize;
    if central_offset
        .checked_add(central_size)
        .is_none_or(|end| end > eocd)
    {
        return Err(bad("the central directory lies outside the archive"));
    }
    let mut entries = Vec::new();
    let mut total = 0u64;
    let mut at = central_offset;
    for index in 0..count {
        if u32_at(data, at)? != CENTRAL_HEADER {
            return Err(bad(format!("entry {index}: no central directory header")));
        }
        let flags = u16_at(data, at + 8)?;
        let method = u16_at(data, at + 10)?;
        let crc = u32_at(data, at + 16)?;
        let compressed = u32_at(data, at + 20)?;
        let size = u32_at(data, at + 24)?;
        let name_len = u16_at(data, at + 28)? as usize;
        let extra_len = u16_at(data, at + 30)? as usize;
        let comment_len = u16_at(data, at + 32)? as usize;
        let local = u32_at(data, at + 42)? as usize;
        let name_bytes = slice(data, at + 46, name_len)?;
        at += 46 + name_len + extra_len + comment_len;
        // UTF-8 by flag bit 11; old archives use code page 437, which for the ASCII names
        // seen in practice is the same.
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        if name.ends_with('/') {
            continue;
        }
        if flags & 1 != 0 {
            return Err(bad(format!("{name}: encrypted entries are not supported")));
        }
        if compressed == u32::MAX || size == u32::MAX {
            return Err(bad(format!("{name}: ZIP64 entries are not supported")));
        }
        total += u64::from(size);
        if total > max_total {
            return Err(bad(format!(
                "the archive inflates to more than {max_total} bytes"
            )));
        }
        if u32_at(data, local)? != LOCAL_HEADER {
            return Err(bad(format!("{name}: no local file header")));
        }
        let local_name = u16_at(data, local + 26)? as usize;
        let local_extra = u16_at(data, local + 28)? as usize;
        let start = local + 30 + local_name + local_extra;
        let stored = slice(data, start, compressed as usize)?;
        let bytes = match method {
            METHOD_STORED => stored.to_vec(),
            METHOD_DEFLATE => inflate(stored, u64::from(size))
                .map_err(|e| bad(format!("{name}: the deflated data is damaged: {e}")))?,
            other => {
                return Err(bad(format!(
                    "{name}: compression method {other} is not supported (stored or deflate)"
                )));
            }
        };
        if bytes.len() as u64 != u64::from(size) {
            return Err(bad(format!(
                "{name}: {} bytes inflated, the directory says {size}",
                bytes.len()
            )));
        }
        let mut check = flate2::Crc::new();
        check.update(&bytes);
        if check.sum() != crc {
            return Err(bad(format!("{name}: the CRC-32 does not match")));
        }
        entries.push(Entry { name, data: bytes });
    }
    Ok(entries)
}

/// Inflates raw deflate data, reading at most one byte more than `size`.
fn inflate(data: &[u8], size: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(usize::try_from(size.min(64 << 20)).unwrap_or(0));
    flate2::read::DeflateDecoder::new(data)
        .take(size + 1)
        .read_to_end(&mut out)?;
    Ok(out)
}

fn find_end_of_central_directory(data: &[u8]) -> Result<usize, ZipError> {
    if data.len() < 22 {
        return Err(bad("too short to be an archive"));
    }
    let lowest = data.len().saturating_sub(MAX_EOCD_SEARCH);
    let mut at = data.len() - 22;
    loop {
        if u32_at(data, at)? == END_OF_CENTRAL_DIRECTORY {
            return Ok(at);
        }
        if at == lowest {
            return Err(bad("no end of central directory record"));
        }
        at -= 1;
    }
}

fn slice(data: &[u8], at: usize, len: usize) -> Result<&[u8], ZipError> {
    at.checked_add(len)
        .and_then(|end| data.get(at..end))
        .ok_or_else(|| bad("a record runs past the end of the archive"))
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, ZipError> {
    let b = slice(data, at, 2)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, ZipError> {
    let b = slice(data, at, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Counts the bytes written through it.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    count: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_archive_reads_back_and_is_the_same_every_time() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut first = Vec::new();
        write_single("qd-123.pdf", &mut &data[..], &mut first).expect("write");
        let mut second = Vec::new();
        write_single("qd-123.pdf", &mut &data[..], &mut second).expect("write");
        assert_eq!(first, second, "deterministic");
        assert!(looks_like_zip(&first));
        assert!(first.len() < data.len(), "deflated");
        let entries = read_entries(&first, 1 << 20).expect("read");
        assert_eq!(
            entries,
            vec![Entry {
                name: "qd-123.pdf".into(),
                data
            }]
        );
    }

    #[test]
    fn damaged_and_oversized_archives_are_refused() {
        let data = vec![b'a'; 100_000];
        let mut zip = Vec::new();
        write_single("a.txt", &mut &data[..], &mut zip).expect("write");
        let err = read_entries(&zip, 1000).expect_err("bomb bound");
        assert!(err.0.contains("more than 1000"), "{err}");
        // Flip a byte of the deflated data: the CRC or the inflater notices.
        let mut damaged = zip.clone();
        damaged[40] ^= 0xFF;
        assert!(read_entries(&damaged, 1 << 20).is_err());
        assert!(read_entries(&zip[..zip.len() - 5], 1 << 20).is_err());
        assert!(read_entries(b"PK\x03\x04 not really", 1 << 20).is_err());
    }
}
