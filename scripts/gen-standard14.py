#!/usr/bin/env python3
"""Generates the font data tables of kyso-pdf's text extraction:

  crates/kyso-pdf/src/text/standard14.rs  widths of the 14 standard fonts (ISO 32000-2 §9.6.2.2)
  crates/kyso-pdf/src/text/encodings.rs   Standard, WinAnsi, MacRoman, PDFDoc, Symbol and
                                          ZapfDingbats encodings as Unicode (Annex D)
  crates/kyso-pdf/src/text/glyph_list.rs  the Adobe Glyph List, glyph name -> Unicode

To rerun (from the repository root), on Debian or Ubuntu:

  apt-get install -y --no-install-recommends fonts-urw-base35
  python3 -m venv /tmp/v && /tmp/v/bin/pip install fonttools    # or the repo's .venv
  /tmp/v/bin/python scripts/gen-standard14.py
  rustfmt --edition 2024 crates/kyso-pdf/src/text/{encodings,standard14,glyph_list}.rs

The widths come from the AFM files of fonts-urw-base35, which are metric-compatible with
Adobe's core fonts; the glyph list and the Standard and MacRoman encodings from fontTools
(fontTools.agl, fontTools.encodings); WinAnsi from Python's cp1252 codec and PDFDocEncoding
from the table below (ISO 32000-2 Annex D.2). The output is deterministic.
"""

import os
import sys

from fontTools import agl
from fontTools.encodings.MacRoman import MacRoman
from fontTools.encodings.StandardEncoding import StandardEncoding

AFM_DIR = "/usr/share/fonts/type1/urw-base35"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "crates", "kyso-pdf", "src", "text")

# The 14 standard fonts in the order of standard14.rs's FONTS, with their URW clones.
STANDARD14 = [
    ("Helvetica", "NimbusSans-Regular"),
    ("Helvetica-Bold", "NimbusSans-Bold"),
    ("Helvetica-Oblique", "NimbusSans-Italic"),
    ("Helvetica-BoldOblique", "NimbusSans-BoldItalic"),
    ("Times-Roman", "NimbusRoman-Regular"),
    ("Times-Bold", "NimbusRoman-Bold"),
    ("Times-Italic", "NimbusRoman-Italic"),
    ("Times-BoldItalic", "NimbusRoman-BoldItalic"),
    ("Courier", "NimbusMonoPS-Regular"),
    ("Courier-Bold", "NimbusMonoPS-Bold"),
    ("Courier-Oblique", "NimbusMonoPS-Italic"),
    ("Courier-BoldOblique", "NimbusMonoPS-BoldItalic"),
    ("Symbol", "StandardSymbolsPS"),
    ("ZapfDingbats", "D050000L"),
]

# PDFDocEncoding where it differs from Latin-1 (ISO 32000-2 Annex D.2, Table D.2).
PDFDOC_DIFFERENCES = {
    0x18: 0x02D8, 0x19: 0x02C7, 0x1A: 0x02C6, 0x1B: 0x02D9, 0x1C: 0x02DD, 0x1D: 0x02DB,
    0x1E: 0x02DA, 0x1F: 0x02DC, 0x7F: 0, 0x80: 0x2022, 0x81: 0x2020, 0x82: 0x2021,
    0x83: 0x2026, 0x84: 0x2014, 0x85: 0x2013, 0x86: 0x0192, 0x87: 0x2044, 0x88: 0x2039,
    0x89: 0x203A, 0x8A: 0x2212, 0x8B: 0x2030, 0x8C: 0x201E, 0x8D: 0x201C, 0x8E: 0x201D,
    0x8F: 0x2018, 0x90: 0x2019, 0x91: 0x201A, 0x92: 0x2122, 0x93: 0xFB01, 0x94: 0xFB02,
    0x95: 0x0141, 0x96: 0x0152, 0x97: 0x0160, 0x98: 0x0178, 0x99: 0x017D, 0x9A: 0x0131,
    0x9B: 0x0142, 0x9C: 0x0153, 0x9D: 0x0161, 0x9E: 0x017E, 0x9F: 0, 0xA0: 0x20AC, 0xAD: 0,
}


def glyph_unicode(name):
    """Unicode of a glyph name by the AGL, or None."""
    if name in agl.AGL2UV:
        return agl.AGL2UV[name]
    values = agl.LEGACY_AGL2UV.get(name)
    if values and len(values) == 1:
        return values[0]
    return None


def read_afm(stem):
    """[(code, width, name)] of an AFM file; code -1 for unencoded glyphs."""
    glyphs = []
    with open(os.path.join(AFM_DIR, stem + ".afm"), encoding="latin-1") as f:
        for line in f:
            if not line.startswith("C "):
                continue
            fields = {}
            for part in line.split(";"):
                words = part.split()
                if len(words) >= 2:
                    fields[words[0]] = words[1]
            glyphs.append((int(fields["C"]), int(float(fields["WX"])), fields["N"]))
    return glyphs


def encoding_from_names(names):
    return [glyph_unicode(n) or 0 if n != ".notdef" else 0 for n in names]


def win_ansi():
    table = []
    for code in range(256):
        try:
            u = ord(bytes([code]).decode("cp1252"))
        except UnicodeDecodeError:
            u = 0
        table.append(u)
    # Annex D.2 notes: 0xAD shows a hyphen; undefined codes stay undefined.
    table[0xAD] = 0x2D
    for code in range(0x20):
        table[code] = 0
    table[0x7F] = 0
    return table


def pdf_doc():
    table = list(range(256))
    for code in range(0x18):
        table[code] = 0
    table[0x09], table[0x0A], table[0x0D] = 0x09, 0x0A, 0x0D
    for code, u in PDFDOC_DIFFERENCES.items():
        table[code] = u
    return table


def zapf_dingbats():
    # The Dingbats block was laid out after ZapfDingbats: 0x21-0x7E at U+2701-U+275E and
    # 0xA1-0xFE at U+2761-U+27BE. A few glyphs that Unicode had elsewhere differ (the
    # Adobe zapfdingbats list maps them to U+2605, U+260E, U+261B, U+25CF, ...); this table
    # is approximate for those.
    table = [0] * 256
    table[0x20] = 0x20
    for code in range(0x21, 0x7F):
        table[code] = 0x2700 + code - 0x20
    for code in range(0xA1, 0xFF):
        table[code] = 0x2760 + code - 0xA0
    return table


def rust_u16_table(name, values, doc):
    lines = [f"/// {doc}", f"pub(crate) static {name}: [u16; 256] = ["]
    for i in range(0, 256, 8):
        lines.append("    " + " ".join(f"0x{v:04X}," for v in values[i : i + 8]))
    lines.append("];")
    return "\n".join(lines)


HEADER = """// @generated by scripts/gen-standard14.py: do not edit by hand, rerun the script
// (its header says how, rustfmt included).
"""


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote", os.path.relpath(path, REPO))


def main():
    if not os.path.isdir(AFM_DIR):
        sys.exit(f"{AFM_DIR} is missing: apt-get install fonts-urw-base35")

    standard = encoding_from_names(StandardEncoding)
    mac_roman = encoding_from_names(MacRoman)
    winansi = win_ansi()
    pdfdoc = pdf_doc()

    symbol_afm = read_afm("StandardSymbolsPS")
    symbol = [0] * 256
    for code, _, name in symbol_afm:
        if 0 <= code < 256:
            symbol[code] = glyph_unicode(name) or 0
    dingbats = zapf_dingbats()

    # encodings.rs
    parts = [
        HEADER,
        "//! Simple-font encodings as Unicode (ISO 32000-2 Annex D): 0 where a code has no",
        "//! character. Symbol and ZapfDingbats are those fonts' built-in encodings.",
        "",
        rust_u16_table("STANDARD", standard, "StandardEncoding (Annex D.2)."),
        "",
        rust_u16_table("WIN_ANSI", winansi, "WinAnsiEncoding (Annex D.2); 0xAD shows a hyphen."),
        "",
        rust_u16_table("MAC_ROMAN", mac_roman, "MacRomanEncoding (Annex D.2)."),
        "",
        rust_u16_table("PDF_DOC", pdfdoc, "PDFDocEncoding (Annex D.2)."),
        "",
        rust_u16_table("SYMBOL", symbol, "The built-in encoding of Symbol (Annex D.5)."),
        "",
        rust_u16_table(
            "ZAPF_DINGBATS",
            dingbats,
            "The built-in encoding of ZapfDingbats (Annex D.6), approximately: see the script.",
        ),
        "",
    ]
    write(os.path.join(OUT, "encodings.rs"), "\n".join(parts))

    # standard14.rs: the Latin fonts share one sorted key set, the characters of the four
    # Latin encodings (the Adobe standard Latin character set); Symbol and ZapfDingbats are
    # by code of their built-in encodings.
    keys = sorted({u for table in (standard, winansi, mac_roman, pdfdoc) for u in table if u})
    aliases = {0xA0: 0x20, 0xAD: 0x2D}
    rows = []
    for pdf_name, stem in STANDARD14:
        glyphs = read_afm(stem)
        if pdf_name in ("Symbol", "ZapfDingbats"):
            by_code = [0] * 256
            for code, width, _ in glyphs:
                if 0 <= code < 256:
                    by_code[code] = width
            rows.append((pdf_name, None, by_code))
            continue
        by_unicode = {}
        for _, width, name in glyphs:
            u = glyph_unicode(name)
            if u is not None and u not in by_unicode:
                by_unicode[u] = width
        for alias, target in aliases.items():
            if alias not in by_unicode and target in by_unicode:
                by_unicode[alias] = by_unicode[target]
        widths = [by_unicode.get(u, 0) for u in keys]
        rows.append((pdf_name, widths, None))

    lines = [
        HEADER,
        "//! Widths of the 14 standard Type 1 fonts (ISO 32000-2 §9.6.2.2), in glyph units",
        "//! (1/1000 em), from the metric-compatible URW base 35 fonts.",
        "",
        "/// The characters the Latin standard fonts have widths for, sorted: [`StandardFont::widths`]",
        "/// is parallel to it.",
        f"pub(crate) static LATIN_KEYS: [u16; {len(keys)}] = [",
    ]
    for i in range(0, len(keys), 10):
        lines.append("    " + " ".join(f"0x{u:04X}," for u in keys[i : i + 10]))
    lines += [
        "];",
        "",
        "/// One standard font's metrics.",
        "pub(crate) struct StandardFont {",
        "    /// Widths parallel to [`LATIN_KEYS`] (0: no such glyph); empty for Symbol and",
        "    /// ZapfDingbats.",
        "    pub widths: &'static [u16],",
        "    /// Widths by code of the built-in encoding (Symbol and ZapfDingbats only).",
        "    pub code_widths: Option<&'static [u16; 256]>,",
        "}",
        "",
    ]
    for pdf_name, widths, by_code in rows:
        ident = pdf_name.upper().replace("-", "_")
        if widths is not None:
            lines.append(f"static {ident}_WIDTHS: [u16; {len(widths)}] = [")
            for i in range(0, len(widths), 12):
                lines.append("    " + " ".join(f"{w}," for w in widths[i : i + 12]))
            lines.append("];")
        else:
            lines.append(f"static {ident}_CODE_WIDTHS: [u16; 256] = [")
            for i in range(0, 256, 12):
                lines.append("    " + " ".join(f"{w}," for w in by_code[i : i + 12]))
            lines.append("];")
        lines.append("")
    lines.append("/// The 14 fonts, in the order of [`super::font`]'s standard font indexes.")
    lines.append(f"pub(crate) static FONTS: [StandardFont; {len(rows)}] = [")
    for pdf_name, widths, _ in rows:
        ident = pdf_name.upper().replace("-", "_")
        if widths is not None:
            lines.append(f"    // {pdf_name}")
            lines.append(f"    StandardFont {{ widths: &{ident}_WIDTHS, code_widths: None }},")
        else:
            lines.append(f"    // {pdf_name}")
            lines.append(
                f"    StandardFont {{ widths: &[], code_widths: Some(&{ident}_CODE_WIDTHS) }},"
            )
    lines += ["];", ""]
    write(os.path.join(OUT, "standard14.rs"), "\n".join(lines))

    # glyph_list.rs: the full AGL (single-character entries, no private-use values), sorted
    # by name for a binary search.
    entries = {}
    for name, values in agl.LEGACY_AGL2UV.items():
        if len(values) == 1:
            entries[name] = values[0]
    for name, value in agl.AGL2UV.items():
        entries[name] = value
    entries = {n: u for n, u in entries.items() if not (0xE000 <= u <= 0xF8FF)}
    names = sorted(entries, key=lambda n: n.encode())
    lines = [
        HEADER,
        "//! The Adobe Glyph List (AGL 2.0 and the AGL for New Fonts), glyph name -> Unicode,",
        "//! sorted by name: entries that map to several characters or to the private use area",
        "//! are left out.",
        "",
        f"/// {len(names)} glyph names and their characters.",
        "#[rustfmt::skip]",
        f"pub(crate) static GLYPHS: [(&str, u16); {len(names)}] = [",
    ]
    row = []
    width = 0
    for name in names:
        item = f'("{name}", 0x{entries[name]:04X}),'
        if width + len(item) + 1 > 96 and row:
            lines.append("    " + " ".join(row))
            row, width = [], 0
        row.append(item)
        width += len(item) + 1
    if row:
        lines.append("    " + " ".join(row))
    lines += [
        "];",
        "",
        "/// The character of an AGL glyph name.",
        "pub(crate) fn lookup(name: &[u8]) -> Option<char> {",
        "    let i = GLYPHS.binary_search_by(|(n, _)| n.as_bytes().cmp(name)).ok()?;",
        "    char::from_u32(u32::from(GLYPHS[i].1))",
        "}",
        "",
    ]
    write(os.path.join(OUT, "glyph_list.rs"), "\n".join(lines))


if __name__ == "__main__":
    main()
