//! Text extraction with positions (kyso_pdf::text): small PDFs written by hand for each
//! font kind and operator, real producers' files compared with poppler's pdftotext, and the
//! limits on hostile content.

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso_pdf::text::{self, TextBox, TextLine};
use kyso_pdf::{Document, ObjectId, pages};

/// One object of a hand-written PDF: a dictionary (or any object) or a stream.
enum Obj {
    Plain(String),
    Stream(String, Vec<u8>),
}

fn plain(body: &str) -> Obj {
    Obj::Plain(body.to_string())
}

fn stream(dict: &str, data: &[u8]) -> Obj {
    Obj::Stream(dict.to_string(), data.to_vec())
}

/// A PDF of one page: objects 1 (catalog), 2 (pages), 3 (page), 4 (its content), then
/// `extra` from object 5 on, which `resources` refers to.
fn page_pdf(resources: &str, content: &[u8], extra: Vec<Obj>) -> Vec<u8> {
    let mut objects = vec![
        plain("<</Type/Catalog/Pages 2 0 R>>"),
        plain("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
        plain(&format!(
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources {resources}/Contents 4 0 R>>"
        )),
        stream("", content),
    ];
    objects.extend(extra);
    write_pdf(objects)
}

fn write_pdf(objects: Vec<Obj>) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        match object {
            Obj::Plain(body) => out.extend_from_slice(body.as_bytes()),
            Obj::Stream(dict, data) => {
                out.extend_from_slice(
                    format!("<<{dict}/Length {}>>\nstream\n", data.len()).as_bytes(),
                );
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
        }
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn extract(pdf: Vec<u8>) -> Vec<TextLine> {
    let doc = Document::open(pdf, None).expect("open");
    let page = pages::page_id(&doc, 0).expect("page");
    text::extract_page(&doc, page).expect("extract")
}

const HELVETICA: &str = "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.01
}

#[track_caller]
fn assert_box(b: &TextBox, x0: f64, y0: f64, x1: f64, y1: f64) {
    assert!(
        close(b.x0, x0) && close(b.y0, y0) && close(b.x1, x1) && close(b.y1, y1),
        "box {b:?}, expected [{x0} {y0} {x1} {y1}]"
    );
}

fn texts(lines: &[TextLine]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn winansi_helvetica_without_widths_uses_the_standard_metrics() {
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 100 700 Td (AV \xe9t\xe9) Tj ET",
        vec![plain(HELVETICA)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["AV été"]);
    let line = &lines[0];
    assert_eq!(line.chars.len(), 6);
    // A is 667 units wide, V 667, space 278 (Helvetica AFM); the box runs from the
    // default descent (-0.2 em) to ascent (0.8 em).
    assert_box(&line.chars[0].bbox, 100.0, 698.0, 106.67, 708.0);
    assert_box(&line.chars[1].bbox, 106.67, 698.0, 113.34, 708.0);
    assert_box(&line.chars[2].bbox, 113.34, 698.0, 116.12, 708.0);
    assert!(close(line.font_size, 10.0));
    assert_box(&line.bbox, 100.0, 698.0, line.chars[5].bbox.x1, 708.0);
}

#[test]
fn differences_map_glyph_names_through_the_glyph_list() {
    let font = "<</Type/Font/Subtype/Type1/BaseFont/ABCDEF+Foo/FirstChar 65/LastChar 70\
                /Widths[500 500 500 500 500 500]/FontDescriptor 6 0 R\
                /Encoding<</Type/Encoding/BaseEncoding/WinAnsiEncoding\
                /Differences[65/Adotbelow/uni0103/f_i/g42 69/ecircumflextilde/glyph7]>>>>";
    let descriptor = "<</Type/FontDescriptor/FontName/ABCDEF+Foo/Flags 32/Ascent 900/Descent -300\
                      /FontBBox[0 -300 1000 900]/ItalicAngle 0/StemV 80/CapHeight 700>>";
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 20 Tf 50 500 Td (ABCDEFG) Tj ET",
        vec![plain(font), plain(descriptor)],
    );
    let lines = extract(pdf);
    // F has a name without a character: it keeps WinAnsi's; G (71) is outside /Widths.
    assert_eq!(texts(&lines), ["ẠăfiBễFG"]);
    let chars = &lines[0].chars;
    // Ascent and descent from the font descriptor; every glyph 500 units wide.
    assert_box(&chars[0].bbox, 50.0, 494.0, 60.0, 518.0);
    assert_eq!(chars[2].text, "fi");
    assert_box(&chars[2].bbox, 70.0, 494.0, 80.0, 518.0);
}

/// A /ToUnicode CMap (§9.10.3) with a codespace, a bfchar with a surrogate pair and a
/// ligature, and bfranges in both forms.
const TO_UNICODE: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def
/CMapName /Adobe-Identity-UCS def /CMapType 2 def
1 begincodespacerange <00> <FF> endcodespacerange
2 beginbfchar <04> <D835DC00> <05> <00660066> endbfchar
2 beginbfrange <01> <03> [<004E> <0067> <0075>] <10> <12> <1EC5> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end";

#[test]
fn to_unicode_with_bfrange_arrays_and_a_surrogate_pair() {
    let font = "<</Type/Font/Subtype/TrueType/BaseFont/AAAAAA+LiberationSerif/FirstChar 1\
                /LastChar 18/Widths[722 500 500 800 600 0 0 0 0 0 0 0 0 0 0 444 444 444]\
                /ToUnicode 6 0 R>>";
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 72 720 Td <0102030405101112> Tj ET",
        vec![plain(font), stream("", TO_UNICODE)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["Ngu\u{1D400}ff\u{1EC5}\u{1EC6}\u{1EC7}"]);
    let chars = &lines[0].chars;
    assert_eq!(chars[3].text, "\u{1D400}");
    assert_eq!(chars[4].text, "ff");
    assert_box(&chars[0].bbox, 72.0, 718.0, 79.22, 728.0);
    assert_box(&chars[3].bbox, 89.22, 718.0, 97.22, 728.0);
}

/// A Type 0 font with Identity-H (§9.7.5.2), widths from /W (both forms) and /DW.
fn type0_pdf(content: &[u8], encoding: &str) -> Vec<u8> {
    type0_pdf_with(content, encoding, Vec::new())
}

/// [`type0_pdf`] with more objects from object 9 on.
fn type0_pdf_with(content: &[u8], encoding: &str, more: Vec<Obj>) -> Vec<u8> {
    let type0 = format!(
        "<</Type/Font/Subtype/Type0/BaseFont/ABCDEF+LiberationSerif/Encoding {encoding}\
         /DescendantFonts[6 0 R]/ToUnicode 7 0 R>>"
    );
    let cid_font = "<</Type/Font/Subtype/CIDFontType2/BaseFont/ABCDEF+LiberationSerif\
                    /CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>\
                    /FontDescriptor 8 0 R/DW 1000/W[1[722 500]3 5 400 9[250]]/CIDToGIDMap/Identity>>";
    let to_unicode = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
5 beginbfchar <0001> <004E> <0002> <0067> <0003> <0075> <0004> <0079> <0009> <0020>
endbfchar
1 beginbfrange <0005> <0008> [<1EC5> <006E> <0056> <0103>] endbfrange
endcmap end end";
    let descriptor = "<</Type/FontDescriptor/FontName/ABCDEF+LiberationSerif/Flags 6\
                      /Ascent 891/Descent -216/FontBBox[-543 -303 1277 981]/ItalicAngle 0\
                      /StemV 80/CapHeight 662>>";
    let mut objects = vec![
        plain(&type0),
        plain(cid_font),
        stream("", to_unicode),
        plain(descriptor),
    ];
    objects.extend(more);
    page_pdf("<</Font<</F1 5 0 R>>>>", content, objects)
}

#[test]
fn type0_identity_h_with_w_widths() {
    // "Nguyễn Văn" as CIDs 1 2 3 4 5 6 9 7 8 6.
    let pdf = type0_pdf(
        b"BT /F1 10 Tf 100 600 Td <00010002000300040005000600090007000800060063> Tj ET",
        "/Identity-H",
    );
    let lines = extract(pdf);
    // CID 0x63 has no ToUnicode entry: U+FFFD, with the /DW width.
    assert_eq!(texts(&lines), ["Nguyễn Văn\u{FFFD}"]);
    let chars = &lines[0].chars;
    // Widths: 722, 500, 400 ×3 (3 5 400), 1000 (/DW) for 6, 250 for 9; ascent 0.891.
    assert_box(&chars[0].bbox, 100.0, 597.84, 107.22, 608.91);
    assert_box(&chars[1].bbox, 107.22, 597.84, 112.22, 608.91);
    assert!(close(chars[5].bbox.x0, 112.22 + 3.0 * 4.0));
    assert!(close(chars[5].bbox.x1, 112.22 + 12.0 + 10.0));
    assert_eq!(text::find(&lines, "Nguyễn  Văn").len(), 1);
}

#[test]
fn type0_embedded_encoding_cmap_with_one_and_two_byte_codes() {
    // One-byte codes 0x41–0x44 are CIDs 1–4, the two-byte code 0x8140 CID 5; the rest
    // would come from Identity-H through `usecmap`. The font's ToUnicode is keyed by the
    // codes 0x0001–0x0009, so these codes have no text (U+FFFD), but the widths follow the
    // CIDs: 722, 500, 400, 400 and 400 (/W).
    let encoding = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Test-H def /Identity-H usecmap
2 begincodespacerange <00> <80> <8140> <FEFE> endcodespacerange
1 begincidrange <41> <44> 1 endcidrange
1 begincidchar <8140> 5 endcidchar
endcmap CMapName currentdict /CMap defineresource pop end end";
    let pdf = type0_pdf_with(
        b"BT /F1 10 Tf 100 600 Td (ABCD\x81\x40) Tj ET",
        "9 0 R",
        vec![stream("/Type/CMap/CMapName/Test-H", encoding)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["\u{FFFD}".repeat(5)]);
    let chars = &lines[0].chars;
    assert_eq!(chars.len(), 5);
    assert!(close(chars[0].bbox.width(), 7.22));
    assert!(close(chars[1].bbox.width(), 5.0));
    assert!(close(chars[2].bbox.width(), 4.0));
    assert!(close(chars[4].bbox.width(), 4.0));
}

/// A Type 0 font without /ToUnicode (some producers omit it): the text comes from the
/// embedded TrueType program's own cmap, through /CIDToGIDMap.
#[test]
fn type0_without_to_unicode_reads_the_embedded_truetype_cmap() {
    let font_path = repo().join("assets/fonts/LiberationSerif-Regular.ttf");
    let program = std::fs::read(&font_path)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", font_path.display()));
    let face = ttf_parser::Face::parse(&program, 0).unwrap();
    let name = "Nguyễn Văn An";
    // CIDs 1, 2, 3… select the name's glyphs through a /CIDToGIDMap stream.
    let mut cid_to_gid = vec![0u8, 0];
    let mut content = b"BT /F1 12 Tf 200 300 Td <".to_vec();
    for (i, c) in name.chars().enumerate() {
        let gid = face.glyph_index(c).unwrap().0;
        cid_to_gid.extend_from_slice(&gid.to_be_bytes());
        content.extend_from_slice(format!("{:04X}", i + 1).as_bytes());
    }
    content.extend_from_slice(b"> Tj ET");
    let type0 = "<</Type/Font/Subtype/Type0/BaseFont/ABCDEF+LiberationSerif\
                 /Encoding/Identity-H/DescendantFonts[6 0 R]>>";
    let cid_font = "<</Type/Font/Subtype/CIDFontType2/BaseFont/ABCDEF+LiberationSerif\
                    /CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>\
                    /FontDescriptor 7 0 R/DW 500/CIDToGIDMap 8 0 R>>";
    let descriptor = "<</Type/FontDescriptor/FontName/ABCDEF+LiberationSerif/Flags 4\
                      /Ascent 891/Descent -216/FontBBox[-543 -303 1277 981]/ItalicAngle 0\
                      /StemV 80/CapHeight 662/FontFile2 9 0 R>>";
    let compressed = kyso_pdf::filters::deflate(&program);
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        &content,
        vec![
            plain(type0),
            plain(cid_font),
            plain(descriptor),
            stream("", &cid_to_gid),
            stream(
                &format!("/Filter/FlateDecode/Length1 {}", program.len()),
                &compressed,
            ),
        ],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), [name]);
    assert_eq!(text::find(&lines, "Văn An").len(), 1);
}

#[test]
fn tj_kerning_moves_glyphs_and_makes_word_spaces() {
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 100 700 Td [(A) 50 (V) -1000 (A)] TJ ET",
        vec![plain(HELVETICA)],
    );
    let lines = extract(pdf);
    // 50/1000 em pulls V back 0.5 pt; -1000 pushes the second A one em (10 pt) on.
    assert_eq!(texts(&lines), ["AV A"]);
    let chars = &lines[0].chars;
    assert!(close(chars[1].bbox.x0, 106.17));
    assert!(close(chars[3].bbox.x0, 106.17 + 6.67 + 10.0));
    // The inserted space covers the gap.
    assert!(close(chars[2].bbox.x0, 112.84) && close(chars[2].bbox.x1, 122.84));
}

#[test]
fn horizontal_scaling_character_and_word_spacing() {
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 50 Tz 2 Tc 5 Tw 100 700 Td (A A) Tj ET",
        vec![plain(HELVETICA)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["A A"]);
    let chars = &lines[0].chars;
    // Tz 50 halves the advance and the spacing: A is 3.335 wide, then 2 Tc → 1 pt; the
    // space (2.78 wide → 1.39) gets 2 Tc + 5 Tw → 3.5 pt more.
    assert_box(&chars[0].bbox, 100.0, 698.0, 103.335, 708.0);
    assert!(close(chars[1].bbox.x0, 104.335));
    assert!(close(chars[2].bbox.x0, 104.335 + (2.78 + 2.0 + 5.0) * 0.5));
}

#[test]
fn rotated_text_runs_along_its_direction() {
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 0 1 -1 0 300 400 Tm (ABC) Tj ET BT /F1 10 Tf 100 700 Td (top) Tj ET",
        vec![plain(HELVETICA)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["top", "ABC"]);
    let rotated = &lines[1];
    // Text space (x, y) → user space (300 − y, 400 + x).
    assert_box(&rotated.chars[0].bbox, 292.0, 400.0, 302.0, 406.67);
    assert!(rotated.chars[1].bbox.y0 > rotated.chars[0].bbox.y0);
    assert!(close(rotated.font_size, 10.0));
    let found = text::find(&lines, "BC");
    assert_eq!(found.len(), 1);
    assert!(close(found[0].y0, 406.67) && close(found[0].x0, 292.0));
}

#[test]
fn form_xobject_with_matrix_and_own_resources() {
    let form = stream(
        "/Type/XObject/Subtype/Form/BBox[0 0 100 100]/Matrix[2 0 0 2 10 20]\
         /Resources<</Font<</FX 5 0 R>>/XObject<</Me 6 0 R>>>>",
        // The form draws itself too: the cycle is not followed.
        b"BT /FX 5 Tf 0 0 Td (Hi) Tj ET /Me Do",
    );
    let pdf = page_pdf(
        "<</XObject<</X1 6 0 R>>>>",
        b"q 1 0 0 1 100 100 cm /X1 Do Q /X1 Do",
        vec![plain(HELVETICA), form],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["Hi", "Hi"]);
    // (0, 0) in the form → (10, 20) by its matrix → (110, 120) by the CTM; size 5 × 2.
    let first = &lines[0];
    assert!(close(first.font_size, 10.0));
    assert_box(&first.chars[0].bbox, 110.0, 118.0, 117.22, 128.0);
    assert_box(&lines[1].chars[0].bbox, 10.0, 18.0, 17.22, 28.0);
}

#[test]
fn nested_q_and_cm() {
    let content = b"q 2 0 0 2 0 0 cm q 1 0 0 1 10 10 cm BT /F1 10 Tf (A) Tj ET Q \
                    BT /F1 10 Tf 0 100 Td (B) Tj ET Q BT /F1 10 Tf 300 700 Td (C) Tj ET \
                    Q Q Q BT /F1 10 Tf 400 50 Td (D) Tj ET";
    let pdf = page_pdf("<</Font<</F1 5 0 R>>>>", content, vec![plain(HELVETICA)]);
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["C", "B", "D", "A"]);
    let by_text = |t: &str| lines.iter().find(|l| l.text == t).unwrap();
    // A: translated by 10 then scaled by 2; B: scaled only; C and D: no CTM (the extra Qs
    // pop nothing).
    assert_box(&by_text("A").bbox, 20.0, 16.0, 33.34, 36.0);
    assert!(close(by_text("A").font_size, 20.0));
    assert_box(&by_text("B").bbox, 0.0, 196.0, 13.34, 216.0);
    assert_box(&by_text("C").bbox, 300.0, 698.0, 306.67 + 0.55, 708.0);
    assert!(close(by_text("D").font_size, 10.0));
}

#[test]
fn type3_font_matrix_scales_widths() {
    let font = "<</Type/Font/Subtype/Type3/FontBBox[0 -20 100 80]/FontMatrix[0.01 0 0 0.01 0 0]\
                /CharProcs<<>>/Encoding<</Differences[65/A/B]>>/FirstChar 65/LastChar 66\
                /Widths[50 100]/Resources<<>>>>";
    let pdf = page_pdf(
        "<</Font<</T3 5 0 R>>>>",
        b"BT /T3 10 Tf 10 10 Td (AB) Tj ET",
        vec![plain(font)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["AB"]);
    assert_box(&lines[0].chars[0].bbox, 10.0, 8.0, 15.0, 18.0);
    assert_box(&lines[0].chars[1].bbox, 15.0, 8.0, 25.0, 18.0);
}

#[test]
fn identity_v_writes_downwards() {
    let pdf = type0_pdf(
        b"BT /F1 10 Tf 300 700 Td <000100020003> Tj ET",
        "/Identity-V",
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["Ngu"]);
    let chars = &lines[0].chars;
    // Each glyph is centred on x = 300 and moves 1 em (DW2 default −1000) down.
    assert!(close(chars[0].bbox.x0, 300.0 - 3.61) && close(chars[0].bbox.x1, 300.0 + 3.61));
    assert!(close(chars[1].bbox.y1 - chars[0].bbox.y1, -10.0));
}

#[test]
fn combining_marks_join_their_letter_and_text_is_nfc() {
    // "Nguyễn" drawn as "Nguye" + U+0302 + U+0303 + "n", each mark its own zero-width glyph.
    let to_unicode = b"1 begincodespacerange <00> <FF> endcodespacerange
2 beginbfchar <01> <0302> <02> <0303> endbfchar endcmap";
    let font = "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding\
                /ToUnicode 6 0 R>>";
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 12 Tf 100 100 Td (Nguye) Tj 0 Tc (\x01\x02n V\x03n) Tj ET",
        vec![plain(font), stream("", to_unicode)],
    );
    let lines = extract(pdf);
    // The unmapped code 3 has no text and is dropped.
    assert_eq!(texts(&lines), ["Nguyễn Vn"]);
    assert_eq!(lines[0].chars[4].text, "ễ");
    let found = text::find(&lines, "Nguye\u{0302}\u{0303}n");
    assert_eq!(found.len(), 1);
    assert_eq!(text::find(&lines, "Nguyễn"), found);
}

#[test]
fn spacing_accents_drawn_over_a_letter_combine_with_it() {
    // TeX's way: the accent glyph, a kern back, the letter; an accent on its own stays.
    let font = "<</Type/Font/Subtype/Type1/BaseFont/Helvetica\
                /Encoding<</BaseEncoding/WinAnsiEncoding/Differences[1/acute/circumflex]>>>>";
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 100 700 Td [(Mudr\x01)333(ak)] TJ 0 -20 Td [(b)(\x02)333(e) ( don\x01t)] TJ ET",
        vec![plain(font)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["Mudrák", "bê don´t"]);
    assert_eq!(text::find(&lines, "Mudra\u{301}k").len(), 1);
}

#[test]
fn find_ignores_white_space_differences_and_reports_every_occurrence() {
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 100 700 Td (Ky so  ky so) Tj 0 -20 Td [(ky)-600(so)] TJ ET",
        vec![plain(HELVETICA)],
    );
    let lines = extract(pdf);
    assert_eq!(texts(&lines), ["Ky so  ky so", "ky so"]);
    let found = text::find(&lines, " ky\n so ");
    assert_eq!(found.len(), 2);
    assert!(found[0].x0 > 120.0 && close(found[0].y1, 708.0));
    assert!(close(found[1].x0, 100.0) && close(found[1].y1, 688.0));
    assert!(text::find(&lines, "  ").is_empty());
    assert!(text::find(&lines, "KY").is_empty());
}

#[test]
fn inline_images_and_unknown_operators_are_skipped() {
    let mut content = b"BT /F1 10 Tf 100 700 Td (before) Tj ET q 10 0 0 10 0 0 cm BI /W 4 /H 1 /BPC 8 /CS /G /L 4 ID "
        .to_vec();
    content.extend_from_slice(b"EI\x00)");
    content.extend_from_slice(b" EI Q 1 0 0 RG 0 0 m 10 10 l S /P <</MCID 0>> BDC BT /F1 10 Tf 100 680 Td (after) Tj ET EMC");
    let pdf = page_pdf("<</Font<</F1 5 0 R>>>>", &content, vec![plain(HELVETICA)]);
    assert_eq!(texts(&extract(pdf)), ["before", "after"]);
}

#[test]
fn content_filters_chain_and_image_filters_are_errors() {
    let content = b"BT /F1 10 Tf 100 700 Td (chained) Tj ET";
    let hex: String = kyso_pdf::filters::deflate(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + ">";
    let objects = vec![
        plain("<</Type/Catalog/Pages 2 0 R>>"),
        plain("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
        plain(
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents[4 0 R 6 0 R]>>",
        ),
        stream("/Filter[/AHx/FlateDecode]", hex.as_bytes()),
        plain(HELVETICA),
        stream("/Filter/A85", b"87cURD]i,\"Ebo80~>"),
    ];
    let lines = extract(write_pdf(objects));
    // The second stream decodes to "Hello World!": operators Kyso ignores.
    assert_eq!(texts(&lines), ["chained"]);

    let objects = vec![
        plain("<</Type/Catalog/Pages 2 0 R>>"),
        plain("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
        plain("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"),
        stream("/Filter/DCTDecode", b"\xff\xd8\xff"),
    ];
    let doc = Document::open(write_pdf(objects), None).unwrap();
    let page = pages::page_id(&doc, 0).unwrap();
    assert!(text::extract_page(&doc, page).is_err());
}

#[test]
fn resources_are_inherited_from_the_page_tree() {
    let objects = vec![
        plain("<</Type/Catalog/Pages 2 0 R>>"),
        plain("<</Type/Pages/Kids[3 0 R]/Count 1/Resources<</Font<</F1 5 0 R>>>>>>"),
        plain("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"),
        stream("", b"BT /F1 10 Tf 1 0 0 1 72 72 Tm (inherited) Tj ET"),
        plain(HELVETICA),
    ];
    assert_eq!(texts(&extract(write_pdf(objects))), ["inherited"]);
}

#[test]
fn hostile_content_stays_bounded() {
    // Deep q, a huge TJ, numbers without operators, a font that is not a font, an
    // operator flood: all end quickly, without a panic.
    let mut content = "q ".repeat(100_000).into_bytes();
    content.extend_from_slice(b"BT /Nope 1e308 Tf 1e308 0 0 1e308 0 0 Tm (x) Tj ET BT /F1 10 Tf [");
    for _ in 0..20_000 {
        content.extend_from_slice(b"(ab) -1e5 ");
    }
    content.extend_from_slice(b"] TJ ");
    content.extend_from_slice(&b"1 ".repeat(100_000));
    content.extend_from_slice(&b"Q ".repeat(200_000));
    content.extend_from_slice(&b"T* ".repeat(1_100_000));
    content.extend_from_slice(b"BT /F1 10 Tf (never) Tj ET");
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R/F2 6 0 R>>>>",
        &content,
        vec![plain(HELVETICA), plain("42")],
    );
    let started = std::time::Instant::now();
    let lines = extract(pdf);
    assert!(started.elapsed().as_secs() < 20);
    assert!(lines.iter().all(|l| !l.text.contains("never")));
    assert!(lines.iter().map(|l| l.chars.len()).sum::<usize>() > 1000);
}

#[test]
fn glyphs_past_the_page_limit_are_dropped() {
    // 120,000 glyphs in 12 lines: the first 100,000 (MAX_CHARS) are kept.
    let mut content = b"BT /F1 1 Tf".to_vec();
    for _ in 0..12 {
        content.extend_from_slice(b" 0 -2 Td (");
        content.extend_from_slice(&b"ab".repeat(5_000));
        content.extend_from_slice(b") Tj");
    }
    content.extend_from_slice(b" ET");
    let pdf = page_pdf("<</Font<</F1 5 0 R>>>>", &content, vec![plain(HELVETICA)]);
    let lines = extract(pdf);
    let glyphs: usize = lines
        .iter()
        .map(|l| l.chars.iter().filter(|c| c.text != " ").count())
        .sum();
    assert_eq!(glyphs, kyso_pdf::text::interpret::MAX_CHARS);
    assert_eq!(lines.len(), 10);
}

#[test]
fn a_cmap_bfrange_of_every_code_is_lazy() {
    let to_unicode = b"1 begincodespacerange <0000> <FFFF> endcodespacerange
1 beginbfrange <0000> <FFFF> <4E00> endbfrange";
    let type0 = "<</Type/Font/Subtype/Type0/BaseFont/X/Encoding/Identity-H/DescendantFonts[6 0 R]/ToUnicode 7 0 R>>";
    let pdf = page_pdf(
        "<</Font<</F1 5 0 R>>>>",
        b"BT /F1 10 Tf 10 10 Td <00000001FFFF> Tj ET",
        vec![
            plain(type0),
            plain("<</Type/Font/Subtype/CIDFontType0/BaseFont/X/DW 500>>"),
            stream("", to_unicode),
        ],
    );
    // 0x4E00 + 0xFFFF overflows the last UTF-16 unit: no text for it.
    assert_eq!(texts(&extract(pdf)), ["\u{4E00}\u{4E01}\u{FFFD}"]);
}

// ---- real producers ---------------------------------------------------------------------

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The corpus of real producers' PDFs (tests/corpus/make-corpus.sh), built once when it is
/// missing and the test tools are installed (`make test` installs them), else `None`.
fn corpus_dir() -> Option<&'static Path> {
    static DIR: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let data = repo().join("target/test-data");
        let corpus = data.join("corpus");
        if !corpus.join(".done").exists() {
            assert!(
                repo().join(".venv/bin/python").exists(),
                "no corpus and no .venv to build it: `make test` builds both"
            );
            // Other test binaries may build it at the same time: the same lock as theirs.
            let built = Command::new("flock")
                .arg(repo().join("target/test-data.lock"))
                .arg("bash")
                .arg(repo().join("tests/corpus/make-corpus.sh"))
                .arg(&corpus)
                .arg(data.join("pki"))
                .status()
                .is_ok_and(|s| s.success());
            assert!(built, "tests/corpus/make-corpus.sh failed");
        }
        Some(corpus)
    })
    .as_deref()
}

fn corpus(name: &str) -> Option<PathBuf> {
    let path = corpus_dir()?.join(name);
    assert!(path.exists(), "{} is missing", path.display());
    Some(path)
}

fn open(path: &Path) -> Document<kyso_pdf::FileSource> {
    let file = std::fs::File::open(path).expect("open file");
    Document::open(kyso_pdf::FileSource::new(file).expect("source"), None).expect("open pdf")
}

fn has_tool(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

/// pdftotext's words of one page, with their boxes in default user space.
fn poppler_words(path: &Path, page: u64) -> Vec<(String, TextBox)> {
    let out = Command::new("pdftotext")
        .args(["-bbox", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let html = String::from_utf8_lossy(&out.stdout);
    let mut height = 0.0;
    let mut words = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("<page ") {
            height = attr(rest, "height").unwrap_or(0.0);
        }
        if let Some(rest) = line.strip_prefix("<word ") {
            let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
                attr(rest, "xMin"),
                attr(rest, "yMin"),
                attr(rest, "xMax"),
                attr(rest, "yMax"),
            ) else {
                continue;
            };
            let text = rest
                .split_once('>')
                .and_then(|(_, t)| t.strip_suffix("</word>"))
                .unwrap_or("")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"");
            let bbox = TextBox {
                x0,
                y0: height - y1,
                x1,
                y1: height - y0,
            };
            words.push((text, bbox));
        }
    }
    words
}

fn attr(s: &str, name: &str) -> Option<f64> {
    let start = s.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + s[start..].find('"')?;
    s[start..end].parse().ok()
}

/// Every word poppler finds is found by [`text::find`] at about the same place: the same
/// left edge and baseline region (poppler's boxes use the font's own bounding box).
fn compare_with_poppler(path: &Path, page_index: u64) -> (usize, usize) {
    let doc = open(path);
    let page = pages::page_id(&doc, page_index).unwrap();
    let lines = text::extract_page(&doc, page).unwrap();
    let words = poppler_words(path, page_index + 1);
    assert!(
        !words.is_empty(),
        "pdftotext found no words in {}",
        path.display()
    );
    let mut matched = 0;
    for (word, pbox) in &words {
        let found = text::find(&lines, word);
        let near = found.iter().any(|b| {
            (b.x0 - pbox.x0).abs() < 1.5
                && (b.x1 - pbox.x1).abs() < 1.5
                && b.y0 < pbox.y1
                && b.y1 > pbox.y0
        });
        if near {
            matched += 1;
        } else {
            eprintln!("{}: {word:?} at {pbox:?}: ours {found:?}", path.display());
        }
    }
    (matched, words.len())
}

#[test]
fn corpus_matches_pdftotext_words_and_boxes() {
    assert!(
        has_tool("pdftotext"),
        "pdftotext is not installed: `make test` installs poppler-utils"
    );
    for (name, page) in [
        ("reportlab-vi.pdf", 0),
        ("reportlab-vi.pdf", 2),
        ("cairo.pdf", 0),
        ("gs.pdf", 0),
        ("mutool-clean.pdf", 0),
        ("qpdf-objstm.pdf", 1),
        ("pdf20.pdf", 0),
        ("form.pdf", 0),
    ] {
        let Some(path) = corpus(name) else {
            continue;
        };
        let (matched, total) = compare_with_poppler(&path, page);
        eprintln!("{name} page {}: {matched}/{total} words", page + 1);
        assert!(
            matched * 100 >= total * 98,
            "{name} page {}: only {matched} of {total} words match pdftotext",
            page + 1
        );
    }
}

#[test]
fn corpus_vietnamese_lines() {
    for name in ["reportlab-vi.pdf", "cairo.pdf", "mutool-clean.pdf"] {
        let Some(path) = corpus(name) else {
            continue;
        };
        let doc = open(&path);
        let page = pages::page_id(&doc, 0).unwrap();
        let lines = text::extract_page(&doc, page).unwrap();
        let all: Vec<&str> = texts(&lines);
        assert!(all.contains(&"TỈNH ỦY QUẢNG NGÃI"), "{name}: {all:#?}");
        assert!(
            all.contains(&"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            "{name}"
        );
        assert!(
            all.iter()
                .any(|l| l.contains("Tiếng Việt: ăâđêôơư ĂÂĐÊÔƠƯ")),
            "{name}"
        );
        // The two header columns share a baseline but are separate lines.
        let left = lines
            .iter()
            .position(|l| l.text == "TỈNH ỦY QUẢNG NGÃI")
            .unwrap();
        let right = lines
            .iter()
            .position(|l| l.text.starts_with("CỘNG HÒA"))
            .unwrap();
        assert_eq!(right, left + 1, "{name}: top to bottom, then left to right");
        assert_eq!(text::find(&lines, "Tỉnh ủy Quảng Ngãi").len(), 2, "{name}");
        for line in &lines {
            assert!(line.text.nfc_eq(), "{name}: {:?} is not NFC", line.text);
        }
    }
}

trait NfcEq {
    fn nfc_eq(&self) -> bool;
}

impl NfcEq for String {
    fn nfc_eq(&self) -> bool {
        use unicode_normalization::UnicodeNormalization;
        self.nfc().collect::<String>() == *self
    }
}

/// "Nguyễn Văn An" under a signature space, written by reportlab with an embedded TrueType
/// subset (a simple font with /ToUnicode), and the same page rewritten by cairo (a Type 0
/// CIDFontType2 font, Identity-H): `find` gives the same box in both. (Ghostscript 10's
/// rewrite is left out: it drops the /ToUnicode of such subsets and keeps no Unicode in
/// the font program either, so no reader, poppler included, can read "ễ" back.)
#[test]
fn finds_the_signer_name_in_real_producers_files() {
    let python = repo().join(".venv/bin/python");
    let font = repo().join("assets/fonts/LiberationSerif-Regular.ttf");
    assert!(
        python.exists() && font.exists(),
        "the .venv with reportlab or the Liberation font is missing: `make test` installs them"
    );
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("signer.pdf");
    let script = r#"
import sys
from reportlab.pdfgen import canvas
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
pdfmetrics.registerFont(TTFont('LiberationSerif', sys.argv[2]))
c = canvas.Canvas(sys.argv[1], pagesize=(595.28, 841.89))
c.setFont('LiberationSerif', 13)
c.drawCentredString(420, 260, 'CHỦ TỊCH')
c.drawCentredString(420, 160, 'Nguyễn Văn An')
c.setFont('LiberationSerif', 11)
c.drawString(72, 700, 'Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi')
c.save()
"#;
    let status = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&original)
        .arg(&font)
        .status()
        .unwrap();
    assert!(status.success(), "reportlab could not write the file");
    let mut files = vec![original.clone()];
    if has_tool("pdftocairo") {
        let cairo = dir.path().join("signer-cairo.pdf");
        let ok = Command::new("pdftocairo")
            .arg("-pdf")
            .arg(&original)
            .arg(&cairo)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            files.push(cairo);
        }
    }
    let mut boxes = Vec::new();
    for file in &files {
        let doc = open(file);
        let page = pages::page_id(&doc, 0).unwrap();
        let lines = text::extract_page(&doc, page).unwrap();
        let found = text::find(&lines, "Nguyễn Văn An");
        assert_eq!(found.len(), 1, "{}: {:#?}", file.display(), texts(&lines));
        let b = found[0];
        // Centred on x = 420 at the baseline y = 160, 13 pt type.
        assert!(
            ((b.x0 + b.x1) / 2.0 - 420.0).abs() < 1.0,
            "{}: {b:?}",
            file.display()
        );
        assert!(
            b.y0 < 159.0 && b.y0 > 155.0 && b.y1 > 168.0 && b.y1 < 175.0,
            "{b:?}"
        );
        assert_eq!(text::find(&lines, "Ủy ban nhân dân tỉnh").len(), 1);
        let line = lines.iter().find(|l| l.text == "Nguyễn Văn An").unwrap();
        assert!(
            (line.font_size - 13.0).abs() < 0.05,
            "{}: {}",
            file.display(),
            line.font_size
        );
        boxes.push(b);
    }
    for b in &boxes {
        assert!((b.x0 - boxes[0].x0).abs() < 1.0 && (b.x1 - boxes[0].x1).abs() < 1.0);
    }
    eprintln!("found in {} files: {boxes:?}", files.len());
}

/// The last page of a flat 2000-page tree, found and read (its speed is `make bench`'s).
#[test]
fn last_page_of_a_2000_page_file_is_read() {
    let Some(path) = corpus("pages-2000.pdf") else {
        return;
    };
    let doc = open(&path);
    let count = pages::page_count(&doc).unwrap();
    let started = std::time::Instant::now();
    let page: ObjectId = pages::page_id(&doc, count - 1).unwrap();
    let found_page = started.elapsed();
    let lines = text::extract_page(&doc, page).unwrap();
    let elapsed = started.elapsed();
    eprintln!(
        "pages-2000.pdf last page: {} lines; page_id {found_page:?}, with extract_page {elapsed:?}",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l.text.contains("page 2000 of 2000")),
        "{:?}",
        texts(&lines)
    );
}

/// A sweep over any PDFs at hand, for development: `KYSO_TEXT_SWEEP=list.txt cargo test
/// --release -p kyso-pdf --test text -- --ignored --nocapture sweep`, where list.txt names
/// one PDF a line. For the first two pages of each, how many of pdftotext's words `find`
/// finds, and how many at poppler's place; files below 90 % are listed last.
#[test]
#[ignore]
fn sweep_against_pdftotext() {
    let Ok(list) = std::env::var("KYSO_TEXT_SWEEP") else {
        eprintln!("set KYSO_TEXT_SWEEP to a file listing PDFs");
        return;
    };
    let list = std::fs::read_to_string(list).unwrap();
    let mut poor = Vec::new();
    let (mut all_words, mut all_found, mut all_near) = (0usize, 0usize, 0usize);
    for path in list.lines().map(Path::new) {
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        let Ok(doc) = Document::open(kyso_pdf::FileSource::new(file).unwrap(), None) else {
            eprintln!("{}: does not open", path.display());
            continue;
        };
        let count = pages::page_count(&doc).unwrap_or(0).min(2);
        for index in 0..count {
            let Ok(page) = pages::page_id(&doc, index) else {
                continue;
            };
            let started = std::time::Instant::now();
            let lines = match text::extract_page(&doc, page) {
                Ok(lines) => lines,
                Err(e) => {
                    eprintln!("{} page {}: {e}", path.display(), index + 1);
                    continue;
                }
            };
            let elapsed = started.elapsed();
            let words = poppler_words(path, index + 1);
            let (mut found, mut near) = (0, 0);
            let mut missing = Vec::new();
            for (word, pbox) in &words {
                let boxes = text::find(&lines, word);
                if !boxes.is_empty() {
                    found += 1;
                } else if missing.len() < 6 {
                    missing.push(word.as_str());
                }
                if boxes.iter().any(|b| {
                    (b.x0 - pbox.x0).abs() < 2.0
                        && (b.x1 - pbox.x1).abs() < 2.0
                        && b.y0 < pbox.y1
                        && b.y1 > pbox.y0
                }) {
                    near += 1;
                }
            }
            all_words += words.len();
            all_found += found;
            all_near += near;
            let line = format!(
                "{} page {}: {found}/{} found, {near} at poppler's place, {elapsed:?}; \
                 not found: {missing:?}",
                path.display(),
                index + 1,
                words.len()
            );
            if !words.is_empty() && found * 10 < words.len() * 9 {
                poor.push(line);
            } else {
                eprintln!("{line}");
            }
        }
    }
    eprintln!("--- below 90 %:");
    for line in &poor {
        eprintln!("{line}");
    }
    eprintln!("total: {all_found}/{all_words} words found, {all_near} at poppler's place");
}
