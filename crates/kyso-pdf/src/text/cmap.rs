//! CMaps (ISO 32000-2 §9.7.5, §9.10.3): the encoding CMaps of Type 0 fonts (character code
//! to CID) and /ToUnicode CMaps (character code to Unicode).
//!
//! Parsing keeps what the CMap says, never what it implies: a `beginbfrange` of
//! `<0000> <FFFF>` is one entry whose characters are computed when a code is looked up, so a
//! CMap costs memory in proportion to its bytes, and at most [`MAX_ENTRIES`] entries.

use super::content::{Operand, Token, Tokenizer};

/// Mappings kept from one CMap (single codes, ranges and array items together).
pub const MAX_ENTRIES: usize = 200_000;
/// Longest Unicode text one code maps to, in UTF-16 code units (ligatures need a few).
const MAX_DEST_UNITS: usize = 64;
/// Codespace ranges kept (real CMaps have a handful).
const MAX_CODESPACES: usize = 256;
/// How many overlapping ranges a lookup looks back over.
const MAX_OVERLAP_SCAN: usize = 64;

/// A codespace range (§9.7.6.2): codes of `len` bytes whose every byte lies between the
/// byte of `low` and the byte of `high` at the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Codespace {
    len: u8,
    low: [u8; 4],
    high: [u8; 4],
}

impl Codespace {
    fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() == usize::from(self.len)
            && bytes
                .iter()
                .enumerate()
                .all(|(i, &b)| self.low[i] <= b && b <= self.high[i])
    }
}

/// What a single code or a range maps to.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Cid(u32),
    /// UTF-16 code units; for a range, the first code's, the last unit counting up.
    Unicode(Vec<u16>),
    /// A range's array form: one text per code from the range's start.
    Array(Vec<Vec<u16>>),
}

#[derive(Debug, Clone, PartialEq)]
struct Range {
    len: u8,
    low: u32,
    high: u32,
    target: Target,
}

/// A parsed CMap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CMap {
    codespaces: Vec<Codespace>,
    /// `(len, code, target)`, sorted by `(len, code)` once parsing ends.
    singles: Vec<(u8, u32, Target)>,
    /// Sorted by `(len, low)` once parsing ends.
    ranges: Vec<Range>,
    /// The CMap's /WMode (§9.7.5.3): 1 for vertical writing.
    pub wmode: u8,
    /// The name given to `usecmap`, for the caller to resolve (§9.7.5.2).
    pub use_cmap: Option<Vec<u8>>,
    /// Codes without a mapping are their own CID (an `Identity` parent).
    identity: bool,
    /// Codes are Unicode (UTF-16BE) themselves: the predefined `Uni…-UCS2` and
    /// `Uni…-UTF16` CMaps.
    pub codes_are_unicode: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Codespace,
    BfChar,
    BfRange,
    CidChar,
    CidRange,
    NotDef,
}

impl CMap {
    /// Parses a CMap file. Never fails: what cannot be understood is skipped.
    pub fn parse(data: &[u8]) -> CMap {
        CMap::parse_bounded(data, MAX_ENTRIES)
    }

    /// [`CMap::parse`] keeping at most `max_entries` entries (and never more than
    /// [`MAX_ENTRIES`]).
    pub fn parse_bounded(data: &[u8], max_entries: usize) -> CMap {
        let max_entries = max_entries.min(MAX_ENTRIES);
        let mut cmap = CMap::default();
        let mut tokens = Tokenizer::new(data);
        let mut section = Section::None;
        let mut pending: Vec<Operand> = Vec::new();
        let mut entries = 0usize;
        // The last two operands outside sections, for `/WMode 1 def` and `/X usecmap`.
        let mut recent: Vec<Operand> = Vec::new();
        while let Some(token) = tokens.next_token() {
            match token {
                Token::Operand(operand) => {
                    if section == Section::None {
                        if recent.len() == 2 {
                            recent.remove(0);
                        }
                        recent.push(operand);
                        continue;
                    }
                    pending.push(operand);
                    let group = match section {
                        Section::Codespace | Section::BfChar | Section::CidChar => 2,
                        _ => 3,
                    };
                    if pending.len() == group {
                        if entries < max_entries {
                            entries += cmap.add(section, &pending, max_entries - entries);
                        }
                        pending.clear();
                    }
                }
                Token::Keyword(word) => {
                    pending.clear();
                    section = match word {
                        b"begincodespacerange" => Section::Codespace,
                        b"beginbfchar" => Section::BfChar,
                        b"beginbfrange" => Section::BfRange,
                        b"begincidchar" => Section::CidChar,
                        b"begincidrange" => Section::CidRange,
                        b"beginnotdefchar" | b"beginnotdefrange" => Section::NotDef,
                        _ if word.starts_with(b"end") => Section::None,
                        _ => section,
                    };
                    match (word, recent.as_slice()) {
                        (b"def", [Operand::Name(key), Operand::Number(n)])
                            if key.as_slice() == b"WMode" =>
                        {
                            cmap.wmode = u8::from(*n == 1.0);
                        }
                        (b"usecmap", [.., Operand::Name(name)]) => {
                            cmap.use_cmap = Some(name.clone());
                        }
                        _ => {}
                    }
                    if section == Section::None {
                        recent.clear();
                    }
                }
            }
        }
        cmap.finish();
        cmap
    }

    /// A predefined CMap by name (§9.7.5.2, Table 116), as far as Kyso knows them:
    /// Identity-H and Identity-V exactly; the Unicode ones (`Uni…-UCS2-…`, `Uni…-UTF16-…`)
    /// with their codespaces and the codes taken as Unicode text; the legacy multi-byte
    /// ones (EUC, RKSJ, GBK, Big Five…) approximately, one byte below 0x81 and two above.
    /// CIDs are known for the Identity CMaps only. `None` for a name that is none of these.
    pub fn predefined(name: &[u8]) -> Option<CMap> {
        let text = std::str::from_utf8(name).ok()?;
        let vertical = text.ends_with("-V");
        let mut cmap = CMap {
            wmode: u8::from(vertical),
            ..CMap::default()
        };
        if text == "Identity-H" || text == "Identity-V" {
            cmap.add_codespace(2, [0, 0, 0, 0], [0xFF, 0xFF, 0, 0]);
            cmap.identity = true;
            return Some(cmap);
        }
        if text.starts_with("Uni") && (text.contains("-UCS2-") || text.contains("-UTF16-")) {
            if text.contains("-UTF16-") {
                cmap.add_codespace(2, [0, 0, 0, 0], [0xD7, 0xFF, 0, 0]);
                cmap.add_codespace(4, [0xD8, 0, 0xDC, 0], [0xDB, 0xFF, 0xDF, 0xFF]);
                cmap.add_codespace(2, [0xE0, 0, 0, 0], [0xFF, 0xFF, 0, 0]);
            } else {
                cmap.add_codespace(2, [0, 0, 0, 0], [0xFF, 0xFF, 0, 0]);
            }
            cmap.codes_are_unicode = true;
            return Some(cmap);
        }
        let legacy = [
            "EUC", "RKSJ", "GBK", "GBpc", "GBT", "B5", "ETen", "HKscs", "KSC", "UHC",
        ];
        if legacy.iter().any(|l| text.contains(l)) {
            cmap.add_codespace(1, [0, 0, 0, 0], [0x80, 0, 0, 0]);
            if text.contains("RKSJ") {
                cmap.add_codespace(1, [0xA0, 0, 0, 0], [0xDF, 0, 0, 0]);
            }
            cmap.add_codespace(2, [0x81, 0, 0, 0], [0xFF, 0xFF, 0, 0]);
            return Some(cmap);
        }
        None
    }

    /// Takes the mappings of `parent` (a `usecmap` CMap) where this one has none.
    pub fn inherit(&mut self, parent: &CMap) {
        if self.codespaces.is_empty() {
            self.codespaces = parent.codespaces.clone();
        }
        self.identity |= parent.identity;
        self.codes_are_unicode |= parent.codes_are_unicode;
        let room = MAX_ENTRIES.saturating_sub(self.singles.len() + self.ranges.len());
        let mut singles = parent.singles.clone();
        singles.truncate(room);
        singles.append(&mut self.singles);
        self.singles = singles;
        let room = MAX_ENTRIES.saturating_sub(self.singles.len() + self.ranges.len());
        let mut ranges = parent.ranges.clone();
        ranges.truncate(room);
        ranges.append(&mut self.ranges);
        self.ranges = ranges;
        self.finish();
    }

    fn add_codespace(&mut self, len: u8, low: [u8; 4], high: [u8; 4]) {
        if self.codespaces.len() >= MAX_CODESPACES {
            return;
        }
        self.codespaces.push(Codespace { len, low, high });
    }

    /// Adds one group of operands of `section`; returns how many entries it took.
    fn add(&mut self, section: Section, group: &[Operand], room: usize) -> usize {
        match (section, group) {
            (Section::Codespace, [Operand::String(low), Operand::String(high)]) => {
                if low.len() == high.len() && (1..=4).contains(&low.len()) {
                    let mut l = [0u8; 4];
                    let mut h = [0u8; 4];
                    l[..low.len()].copy_from_slice(low);
                    h[..high.len()].copy_from_slice(high);
                    self.add_codespace(low.len() as u8, l, h);
                }
                0
            }
            (Section::BfChar, [Operand::String(code), dest]) => {
                let (Some((len, code)), Some(units)) = (code_value(code), dest_units(dest)) else {
                    return 0;
                };
                self.singles.push((len, code, Target::Unicode(units)));
                1
            }
            (Section::CidChar, [Operand::String(code), Operand::Number(cid)]) => {
                let (Some((len, code)), Some(cid)) = (code_value(code), cid_value(*cid)) else {
                    return 0;
                };
                self.singles.push((len, code, Target::Cid(cid)));
                1
            }
            (Section::BfRange, [Operand::String(low), Operand::String(high), dest]) => {
                let Some((len, low, high)) = range_value(low, high) else {
                    return 0;
                };
                let target = match dest {
                    Operand::Array(items) => {
                        let count = usize::try_from(high - low)
                            .unwrap_or(usize::MAX)
                            .saturating_add(1);
                        let keep = items.len().min(count).min(room.saturating_sub(1));
                        Target::Array(
                            items[..keep]
                                .iter()
                                .map(|item| dest_units(item).unwrap_or_default())
                                .collect(),
                        )
                    }
                    other => match dest_units(other) {
                        Some(units) if !units.is_empty() => Target::Unicode(units),
                        _ => return 0,
                    },
                };
                let taken = match &target {
                    Target::Array(items) => 1 + items.len(),
                    _ => 1,
                };
                self.ranges.push(Range {
                    len,
                    low,
                    high,
                    target,
                });
                taken
            }
            (
                Section::CidRange,
                [
                    Operand::String(low),
                    Operand::String(high),
                    Operand::Number(cid),
                ],
            ) => {
                let (Some((len, low, high)), Some(cid)) = (range_value(low, high), cid_value(*cid))
                else {
                    return 0;
                };
                self.ranges.push(Range {
                    len,
                    low,
                    high,
                    target: Target::Cid(cid),
                });
                1
            }
            _ => 0,
        }
    }

    /// Sorts the entries for lookups; of two entries for one code, the later one wins.
    fn finish(&mut self) {
        self.singles.sort_by_key(|(len, code, _)| (*len, *code));
        // After a stable sort, the later definition of a code is the last of its run.
        let mut kept: Vec<(u8, u32, Target)> = Vec::with_capacity(self.singles.len());
        for entry in std::mem::take(&mut self.singles) {
            match kept.last_mut() {
                Some(last) if last.0 == entry.0 && last.1 == entry.1 => *last = entry,
                _ => kept.push(entry),
            }
        }
        self.singles = kept;
        self.ranges.sort_by_key(|r| (r.len, r.low));
    }

    /// How many entries the CMap holds (single codes, ranges, array items).
    pub fn entries(&self) -> usize {
        let items: usize = self
            .ranges
            .iter()
            .map(|r| match &r.target {
                Target::Array(items) => items.len(),
                _ => 0,
            })
            .sum();
        self.singles.len() + self.ranges.len() + items
    }

    /// Whether the CMap defines any codespace.
    pub fn has_codespaces(&self) -> bool {
        !self.codespaces.is_empty()
    }

    /// The length of the next code at the start of `bytes` (§9.7.6.2), 1 to 4, never more
    /// than `bytes.len()`; `default_len` when the CMap has no codespace. `bytes` is not empty.
    pub fn code_len(&self, bytes: &[u8], default_len: usize) -> usize {
        if self.codespaces.is_empty() {
            return default_len.clamp(1, 4).min(bytes.len()).max(1);
        }
        for len in 1..=4usize.min(bytes.len()) {
            if self.codespaces.iter().any(|c| c.matches(&bytes[..len])) {
                return len;
            }
        }
        // No range matches: the shortest range whose first byte matches, else the
        // shortest range (the codes a reader skips over, §9.7.6.3).
        let first = bytes[0];
        let partial = self
            .codespaces
            .iter()
            .filter(|c| c.low[0] <= first && first <= c.high[0])
            .map(|c| c.len)
            .min();
        let shortest = self.codespaces.iter().map(|c| c.len).min().unwrap_or(1);
        usize::from(partial.unwrap_or(shortest))
            .min(bytes.len())
            .max(1)
    }

    fn find(&self, len: u8, code: u32) -> Option<(&Target, u32)> {
        if let Ok(i) = self
            .singles
            .binary_search_by_key(&(len, code), |(l, c, _)| (*l, *c))
        {
            return Some((&self.singles[i].2, 0));
        }
        // The last range starting at or before the code, then a few before it (overlaps).
        let end = self
            .ranges
            .partition_point(|r| (r.len, r.low) <= (len, code));
        for range in self.ranges[..end].iter().rev().take(MAX_OVERLAP_SCAN) {
            if range.len != len {
                break;
            }
            if code <= range.high {
                return Some((&range.target, code - range.low));
            }
        }
        None
    }

    /// The CID of a code (§9.7.6.2): its mapping, else the code itself under an Identity
    /// parent; `None` when unmapped (CID 0 then, the notdef glyph).
    pub fn cid(&self, code: u32, len: usize) -> Option<u32> {
        let len = u8::try_from(len).ok()?;
        match self.find(len, code) {
            Some((Target::Cid(cid), offset)) => cid.checked_add(offset),
            _ if self.identity => Some(code),
            _ => None,
        }
    }

    /// The Unicode text of a code of a /ToUnicode CMap (§9.10.3). A code mapped under
    /// another length than its own (a 1-byte `bfchar` in a 2-byte font) is accepted too.
    pub fn unicode(&self, code: u32, len: usize) -> Option<String> {
        let len = u8::try_from(len).ok()?;
        let found = self.find(len, code).or_else(|| {
            (1..=4u8)
                .filter(|&l| l != len && (l == 4 || code < 1u32 << (8 * u32::from(l))))
                .find_map(|l| self.find(l, code))
        });
        let (target, offset) = found?;
        match target {
            Target::Unicode(units) => {
                let mut units = units.clone();
                let last = units.last_mut()?;
                *last = u16::try_from(u32::from(*last).checked_add(offset)?).ok()?;
                Some(String::from_utf16_lossy(&units))
            }
            Target::Array(items) => {
                let units = items.get(offset as usize)?;
                Some(String::from_utf16_lossy(units))
            }
            Target::Cid(_) => None,
        }
    }
}

/// A code string's length and big-endian value.
fn code_value(bytes: &[u8]) -> Option<(u8, u32)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    let value = bytes.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b));
    Some((bytes.len() as u8, value))
}

fn range_value(low: &[u8], high: &[u8]) -> Option<(u8, u32, u32)> {
    let (len, low) = code_value(low)?;
    let (_, high) = code_value(high)?;
    (low <= high).then_some((len, low, high))
}

fn cid_value(n: f64) -> Option<u32> {
    (n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0).then_some(n as u32)
}

/// The UTF-16 units of a destination: a UTF-16BE string (one byte alone is taken as a
/// Latin-1 character), or a glyph name (§9.10.3 allows names in `bfchar`).
fn dest_units(dest: &Operand) -> Option<Vec<u16>> {
    match dest {
        Operand::String(bytes) if bytes.len() == 1 => Some(vec![u16::from(bytes[0])]),
        Operand::String(bytes) => Some(
            bytes
                .chunks_exact(2)
                .take(MAX_DEST_UNITS)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
        ),
        Operand::Name(name) => {
            let text = super::font::glyph_name_to_unicode(name)?;
            Some(text.encode_utf16().take(MAX_DEST_UNITS).collect())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin
12 dict begin begincmap
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar
<0003> <0020>
<0011> <D835DC00>
<0012> <00660069>
endbfchar
3 beginbfrange
<0020> <0029> <0041>
<0100> <0102> [<1EC5> <0103> (\\000A)]
<1000> <FFFF> <4E00>
endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

    #[test]
    fn to_unicode_chars_ranges_arrays_and_surrogates() {
        let c = CMap::parse(TO_UNICODE);
        assert_eq!(c.code_len(&[0, 3, 0, 4], 1), 2);
        assert_eq!(c.unicode(3, 2).as_deref(), Some(" "));
        assert_eq!(c.unicode(0x11, 2).as_deref(), Some("\u{1D400}"));
        assert_eq!(c.unicode(0x12, 2).as_deref(), Some("fi"));
        assert_eq!(c.unicode(0x22, 2).as_deref(), Some("C"));
        assert_eq!(c.unicode(0x2A, 2), None);
        assert_eq!(c.unicode(0x100, 2).as_deref(), Some("ễ"));
        assert_eq!(c.unicode(0x101, 2).as_deref(), Some("ă"));
        assert_eq!(c.unicode(0x102, 2).as_deref(), Some("A"));
        assert_eq!(c.unicode(0x1001, 2).as_deref(), Some("\u{4E01}"));
        // The whole range is one entry.
        assert_eq!(c.ranges.len(), 3);
    }

    #[test]
    fn encoding_cmap_with_cid_ranges_and_mixed_lengths() {
        let c = CMap::parse(
            b"/WMode 1 def /Identity-H usecmap
2 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange
1 begincidrange <8140> <817E> 633 endcidrange
1 begincidchar <41> 34 endcidchar",
        );
        assert_eq!(c.wmode, 1);
        assert_eq!(c.use_cmap.as_deref(), Some(&b"Identity-H"[..]));
        assert_eq!(c.code_len(b"A\x81\x41", 2), 1);
        assert_eq!(c.code_len(b"\x81\x41", 2), 2);
        assert_eq!(c.cid(0x41, 1), Some(34));
        assert_eq!(c.cid(0x8142, 2), Some(635));
        assert_eq!(c.cid(0x9000, 2), None);
    }

    #[test]
    fn predefined_identity_and_unicode_cmaps() {
        let id = CMap::predefined(b"Identity-V").unwrap();
        assert_eq!(id.wmode, 1);
        assert_eq!(id.cid(0x1234, 2), Some(0x1234));
        let uni = CMap::predefined(b"UniGB-UTF16-H").unwrap();
        assert!(uni.codes_are_unicode);
        assert_eq!(uni.code_len(&[0xD8, 0x35, 0xDC, 0x00], 2), 4);
        assert!(CMap::predefined(b"Nonsense").is_none());
    }

    #[test]
    fn hostile_cmaps_stay_bounded() {
        let mut data = b"1 beginbfrange <00000000> <FFFFFFFF> [".to_vec();
        for _ in 0..300_000 {
            data.extend_from_slice(b"<0041>");
        }
        data.extend_from_slice(b"] endbfrange");
        let c = CMap::parse(&data);
        let Target::Array(items) = &c.ranges[0].target else {
            panic!("array form");
        };
        assert!(items.len() < MAX_ENTRIES);
        assert_eq!(c.unicode(0xFFFF_FFFF, 4), None);
        assert_eq!(c.unicode(5, 4).as_deref(), Some("A"));
    }
}
