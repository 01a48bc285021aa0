//! Text extraction on arbitrary bytes: the first byte says where the rest splits into a
//! CMap and a content stream. The CMap is parsed and looked up on its own, then both go
//! into a one-page PDF: the CMap is the /ToUnicode of a Type 0 font, of a simple font, and
//! the /Encoding of a second Type 0 font; the content is the page's and that of a Form
//! XObject that draws itself. `extract_page` and `find` must never panic.
#![no_main]

use kyso_pdf::text::{self, cmap::CMap};
use kyso_pdf::{Document, pages};
use libfuzzer_sys::fuzz_target;

fn pdf(cmap: &[u8], content: &[u8]) -> Vec<u8> {
    let objects: Vec<(String, Option<&[u8]>)> = vec![
        ("<</Type/Catalog/Pages 2 0 R>>".into(), None),
        ("<</Type/Pages/Kids[3 0 R]/Count 1>>".into(), None),
        (
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources\
             <</Font<</F1 5 0 R/F2 8 0 R/F3 9 0 R>>/XObject<</X1 10 0 R>>>>>>"
                .into(),
            None,
        ),
        (String::new(), Some(content)),
        (
            "<</Type/Font/Subtype/Type0/BaseFont/F/Encoding/Identity-H\
             /DescendantFonts[6 0 R]/ToUnicode 7 0 R>>"
                .into(),
            None,
        ),
        (
            "<</Type/Font/Subtype/CIDFontType2/BaseFont/F/DW 500/W[1[600 700]10 20 300]\
             /DW2[880 -1000]>>"
                .into(),
            None,
        ),
        (String::new(), Some(cmap)),
        (
            "<</Type/Font/Subtype/TrueType/BaseFont/ABCDEF+Arial,Bold/ToUnicode 7 0 R\
             /Encoding<</Differences[1/uni1EC5/f_i/g41/cid12]>>>>"
                .into(),
            None,
        ),
        (
            "<</Type/Font/Subtype/Type0/BaseFont/G/Encoding 7 0 R/DescendantFonts[6 0 R]>>".into(),
            None,
        ),
        (
            "/Type/XObject/Subtype/Form/BBox[0 0 10 10]/Matrix[0 1 -1 0 5 5]".into(),
            Some(content),
        ),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, (dict, data)) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        match data {
            Some(data) => {
                out.extend_from_slice(
                    format!("<<{dict}/Length {}>>stream\n", data.len()).as_bytes(),
                );
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
            None => out.extend_from_slice(dict.as_bytes()),
        }
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
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

fuzz_target!(|data: &[u8]| {
    let Some((&ratio, rest)) = data.split_first() else {
        return;
    };
    let split = rest.len() * usize::from(ratio) / 256;
    let (cmap_bytes, content) = rest.split_at(split);

    let cmap = CMap::parse(cmap_bytes);
    for code in [0u32, 0x20, 0x41, 0xFF, 0x1234, 0xFFFF, 0xFFFF_FFFF] {
        for len in 1..=4 {
            let _ = cmap.unicode(code, len);
            let _ = cmap.cid(code, len);
        }
    }
    if !content.is_empty() {
        let _ = cmap.code_len(content, 2);
    }

    let Ok(doc) = Document::open(pdf(cmap_bytes, content), None) else {
        return;
    };
    let Ok(page) = pages::page_id(&doc, 0) else {
        return;
    };
    if let Ok(lines) = text::extract_page(&doc, page) {
        for line in &lines {
            assert!(line.bbox.x0 <= line.bbox.x1 && line.bbox.y0 <= line.bbox.y1);
        }
        let _ = text::find(&lines, "Nguyễn Văn An");
        if let Some(line) = lines.first() {
            let needle: String = line.text.chars().take(3).collect();
            if !needle.trim().is_empty() {
                assert!(
                    !text::find(&lines, &needle).is_empty(),
                    "{needle:?} in {:?}",
                    line.text
                );
            }
        }
    }
});
