//! Appearance building blocks against real readers: every image variant and the subset
//! font are written into an incremental update of a small PDF whose page draws them; the
//! file must pass `qpdf --check`, `pdffonts` must see the font embedded, subset and with a
//! ToUnicode CMap, `pdftotext` must give back the NFC text, `pdfimages` must list the
//! images (with their soft masks), and `pdftoppm` must render the page with the background
//! showing through the transparent pixels. The tools are poppler-utils and qpdf (`make test`
//! installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso_pdf::appearance::{AppearanceError, Font, FontUse, Image, load_image};
use kyso_pdf::update::IncrementalUpdate;
use kyso_pdf::{Dictionary, Document, Object, ObjectId, PdfString, pages};
use unicode_normalization::UnicodeNormalization;

const TEXT: &str = "Nguyễn Văn An — Đà Nẵng, Quảng Ngãi 2026-12-04T10:05:09+07:00";
const RED: [u8; 3] = [208, 2, 27];
const WHITE: [u8; 3] = [255, 255, 255];
const BLACK: [u8; 3] = [0, 0, 0];
/// How wide the image is drawn, in points (pixels at 72 dpi).
const DRAWN_WIDTH: f64 = 200.0;
/// Space under the image for the text line.
const TEXT_BAND: f64 = 40.0;
/// The page's width: the text line at 9 pt is about 260 pt long.
const PAGE_WIDTH: f64 = 320.0;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn test_image(name: &str) -> Vec<u8> {
    std::fs::read(manifest().join("tests/images").join(name)).expect(name)
}

fn asset(name: &str) -> Vec<u8> {
    std::fs::read(manifest().join("../../assets/images").join(name)).expect(name)
}

/// A one-page PDF with a classic xref table and an empty page of the given size.
fn blank_pdf(width: f64, height: f64) -> Vec<u8> {
    let page = format!("<</Type/Page/Parent 2 0 R/MediaBox[0 0 {width} {height}]>>");
    let objects = [
        "<</Type/Catalog/Pages 2 0 R>>".to_string(),
        "<</Type/Pages/Kids[3 0 R]/Count 1>>".to_string(),
        page,
    ];
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// What the test page shows.
struct Page<'a> {
    image: Option<&'a Image>,
    text: Option<&'a str>,
}

/// The page's height for an image drawn [`DRAWN_WIDTH`] wide above the text band.
fn drawn_height(image: Option<&Image>) -> f64 {
    image.map_or(0.0, |i| {
        DRAWN_WIDTH * f64::from(i.height) / f64::from(i.width)
    })
}

/// The blank PDF plus an update that draws `page`: the image at the top left, the text
/// below it. Returns the whole file and the font's id when there is text.
fn draw(page: &Page<'_>) -> (Vec<u8>, Option<ObjectId>) {
    let image_height = drawn_height(page.image);
    let original = blank_pdf(PAGE_WIDTH, image_height + TEXT_BAND);
    let doc = Document::open(original.clone(), None).expect("open the blank PDF");
    let mut update = IncrementalUpdate::new(&doc);
    let mut content = String::new();
    let mut resources = Dictionary::new();
    if let Some(image) = page.image {
        let id = image.write(&mut update);
        let mut xobjects = Dictionary::new();
        xobjects.set(b"Im1", id);
        resources.set(b"XObject", xobjects);
        content.push_str(&format!(
            "q {DRAWN_WIDTH} 0 0 {image_height} 0 {TEXT_BAND} cm /Im1 Do Q\n"
        ));
    }
    let mut font_id = None;
    if let Some(text) = page.text {
        let font = Font::liberation_serif();
        let mut usage = FontUse::new(&font);
        let shown = usage.encode(text).expect("encode");
        let id = usage.write(&mut update).expect("write the font");
        let mut fonts = Dictionary::new();
        fonts.set(b"F1", id);
        resources.set(b"Font", fonts);
        let string = Object::String(PdfString::hex(shown)).to_bytes();
        content.push_str(&format!(
            "BT /F1 9 Tf 10 15 Td {} Tj ET\n",
            String::from_utf8(string).unwrap()
        ));
        font_id = Some(id);
    }
    let contents = update.add_deflated_stream(Dictionary::new(), content.as_bytes());
    let page_id = pages::page_id(&doc, 0).unwrap();
    let mut page_dict = update.current(page_id).unwrap().as_dict().unwrap().clone();
    page_dict.set(b"Resources", resources);
    page_dict.set(b"Contents", contents);
    update.replace(page_id, Object::Dictionary(page_dict));
    let written = update
        .write(original.len() as u64, original.last().copied())
        .expect("write the update");
    let mut file = original;
    file.extend_from_slice(&written.bytes);
    (file, font_id)
}

/// Runs a tool, requires success, returns its standard output.
fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot be run (poppler-utils, qpdf): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The file, written out, checked by our reader and by qpdf.
struct Written {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Written {
    fn new(file: &[u8]) -> Written {
        let reread = Document::open(file.to_vec(), None).expect("our reader opens it");
        assert!(!reread.recovered);
        assert_eq!(reread.sections, 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.pdf");
        std::fs::write(&path, file).unwrap();
        let check = run("qpdf", &["--check", path.to_str().unwrap()]);
        assert!(
            check.contains("No syntax or stream encoding errors found"),
            "qpdf --check: {check}"
        );
        Written { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn text(&self) -> String {
        let out = run("pdftotext", &["-enc", "UTF-8", self.arg(), "-"]);
        out.trim_end_matches(['\n', '\u{c}']).to_string()
    }

    /// `pdfimages -list` rows: (type, width, height, color, bpc, enc).
    fn images(&self) -> Vec<(String, u32, u32, String, u32, String)> {
        let out = run("pdfimages", &["-list", self.arg()]);
        out.lines()
            .skip(2)
            .map(|line| {
                let c: Vec<&str> = line.split_whitespace().collect();
                (
                    c[2].to_string(),
                    c[3].parse().unwrap(),
                    c[4].parse().unwrap(),
                    c[5].to_string(),
                    c[7].parse().unwrap(),
                    c[8].to_string(),
                )
            })
            .collect()
    }

    fn render(&self) -> Rendered {
        let prefix = self.path.with_extension("");
        run(
            "pdftoppm",
            &[
                "-r",
                "72",
                "-png",
                "-singlefile",
                self.arg(),
                prefix.to_str().unwrap(),
            ],
        );
        Rendered::read(&prefix.with_extension("png"))
    }
}

/// A rendered page, as 8-bit RGB.
struct Rendered {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Rendered {
    fn read(path: &Path) -> Rendered {
        let file = std::fs::File::open(path).expect("pdftoppm's PNG");
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = info.color_type.samples();
        let rgb = buf[..info.buffer_size()]
            .chunks_exact(channels)
            .flat_map(|p| match channels {
                1 | 2 => [p[0], p[0], p[0]],
                _ => [p[0], p[1], p[2]],
            })
            .collect();
        Rendered {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        assert!(
            x < self.width && y < self.height,
            "({x}, {y}) is off the page"
        );
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The rendered colour at the centre of the image's pixel (`ix`, `iy`), the image
    /// being drawn at the top left, [`DRAWN_WIDTH`] wide.
    fn image_pixel(&self, image: &Image, ix: u32, iy: u32) -> [u8; 3] {
        let scale = DRAWN_WIDTH / f64::from(image.width);
        let x = ((f64::from(ix) + 0.5) * scale) as u32;
        let y = ((f64::from(iy) + 0.5) * scale) as u32;
        self.pixel(x, y)
    }
}

fn assert_close(actual: [u8; 3], expected: [u8; 3], tolerance: u8, what: &str) {
    let close = actual
        .iter()
        .zip(expected)
        .all(|(a, e)| a.abs_diff(e) <= tolerance);
    assert!(
        close,
        "{what}: rendered {actual:?}, expected {expected:?} ± {tolerance}"
    );
}

/// One test image: what its disc (the centre) and its corner must look like once drawn on
/// a white page, and what `pdfimages` must list.
struct Variant {
    file: &'static str,
    color: &'static str,
    bpc: u32,
    smask: bool,
    centre: [u8; 3],
    corner: [u8; 3],
    tolerance: u8,
}

const VARIANTS: &[Variant] = &[
    Variant {
        file: "rgba16.png",
        color: "rgb",
        bpc: 16,
        smask: true,
        centre: RED,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "rgba8-interlaced.png",
        color: "rgb",
        bpc: 8,
        smask: true,
        centre: RED,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "grey16.png",
        color: "gray",
        bpc: 16,
        smask: false,
        centre: BLACK,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "grey8.png",
        color: "gray",
        bpc: 8,
        smask: false,
        centre: BLACK,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "grey-alpha.png",
        color: "gray",
        bpc: 8,
        smask: true,
        centre: [64, 64, 64],
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "palette-trns.png",
        color: "rgb",
        bpc: 8,
        smask: true,
        centre: RED,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "rgb8.png",
        color: "rgb",
        bpc: 8,
        smask: false,
        centre: RED,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "rgba-opaque.png",
        color: "rgb",
        bpc: 8,
        smask: false,
        centre: RED,
        corner: WHITE,
        tolerance: 3,
    },
    Variant {
        file: "photo.jpg",
        color: "rgb",
        bpc: 8,
        smask: false,
        centre: RED,
        corner: WHITE,
        tolerance: 24,
    },
    Variant {
        file: "progressive.jpg",
        color: "rgb",
        bpc: 8,
        smask: false,
        centre: RED,
        corner: WHITE,
        tolerance: 24,
    },
    Variant {
        file: "grey.jpg",
        color: "gray",
        bpc: 8,
        smask: false,
        centre: BLACK,
        corner: WHITE,
        tolerance: 12,
    },
];

/// Draws the image with the text, checks the file, the listing and the text; returns the
/// rendered page.
fn check_image(image: &Image, color: &str, bpc: u32, smask: bool) -> Rendered {
    let (file, _) = draw(&Page {
        image: Some(image),
        text: Some(TEXT),
    });
    let written = Written::new(&file);
    assert_eq!(written.text(), TEXT);
    let listed = written.images();
    let enc = if image.is_jpeg() { "jpeg" } else { "image" };
    let mut expected = vec![(
        "image".to_string(),
        image.width,
        image.height,
        color.to_string(),
        bpc,
        enc.to_string(),
    )];
    if smask {
        expected.push((
            "smask".to_string(),
            image.width,
            image.height,
            "gray".to_string(),
            bpc,
            "image".to_string(),
        ));
    }
    assert_eq!(listed, expected, "pdfimages -list");
    assert_eq!(image.has_alpha(), smask);
    written.render()
}

#[test]
fn every_image_variant_is_written_listed_and_rendered() {
    for v in VARIANTS {
        let image = load_image(&test_image(v.file)).unwrap_or_else(|e| panic!("{}: {e}", v.file));
        assert_eq!((image.width, image.height), (64, 48), "{}", v.file);
        let page = check_image(&image, v.color, v.bpc, v.smask);
        let what = |part: &str| format!("{} {part}", v.file);
        assert_close(
            page.image_pixel(&image, 32, 24),
            v.centre,
            v.tolerance,
            &what("centre"),
        );
        assert_close(
            page.image_pixel(&image, 62, 2),
            v.corner,
            v.tolerance,
            &what("corner"),
        );
    }
}

#[test]
fn half_transparent_pixels_blend_with_the_page() {
    // rgba8-interlaced.png: the left quarter of the background is red at alpha 128.
    let image = load_image(&test_image("rgba8-interlaced.png")).unwrap();
    let page = check_image(&image, "rgb", 8, true);
    let blend = |c: u8| ((u16::from(c) * 128 + 255 * 127) / 255) as u8;
    assert_close(
        page.image_pixel(&image, 4, 2),
        [blend(RED[0]), blend(RED[1]), blend(RED[2])],
        4,
        "half-transparent red over white",
    );
}

#[test]
fn cmyk_jpeg_is_not_inverted() {
    // A cyan disc on no ink: the Adobe marker says the samples are inverted; /Decode undoes it.
    let image = load_image(&test_image("cmyk.jpg")).unwrap();
    assert_eq!(image.color_space(), "DeviceCMYK");
    let page = check_image(&image, "cmyk", 8, false);
    let [r, g, b] = page.image_pixel(&image, 32, 24);
    assert!(
        r < 80 && g > 150 && b > 200,
        "cyan: rendered {:?}",
        [r, g, b]
    );
    assert_close(page.image_pixel(&image, 62, 2), WHITE, 12, "no ink");
}

#[test]
fn the_sample_seal_shows_the_page_through() {
    let image = load_image(&asset("sample-seal.png")).unwrap();
    assert_eq!((image.width, image.height), (472, 472));
    let (w, h) = image.natural_size_pt().unwrap();
    // 40 mm = 113.4 pt.
    assert!(
        (w - 113.28).abs() < 0.05 && (h - 113.28).abs() < 0.05,
        "{w}×{h}"
    );
    let page = check_image(&image, "rgb", 8, true);
    assert_close(page.image_pixel(&image, 236, 236), RED, 3, "the star");
    assert_close(page.image_pixel(&image, 236, 8), RED, 3, "the outer ring");
    assert_close(page.image_pixel(&image, 6, 6), WHITE, 0, "outside the seal");
    assert_close(
        page.image_pixel(&image, 236, 120),
        WHITE,
        0,
        "inside the rings",
    );
}

#[test]
fn the_sample_signature_is_blue_on_the_page() {
    let image = load_image(&asset("sample-signature.png")).unwrap();
    assert_eq!((image.width, image.height), (600, 240));
    assert_eq!(
        image.dpi.map(|(x, y)| (x.round(), y.round())),
        Some((300.0, 300.0))
    );
    let page = check_image(&image, "rgb", 8, true);
    assert_close(page.image_pixel(&image, 4, 4), WHITE, 0, "the corner");
    let drawn = (DRAWN_WIDTH * 240.0 / 600.0) as u32;
    let bluest = (0..drawn)
        .flat_map(|y| (0..DRAWN_WIDTH as u32).map(move |x| (x, y)))
        .map(|(x, y)| page.pixel(x, y))
        .min_by_key(|[r, g, b]| u32::from(*r) + u32::from(*g) + 255 - u32::from(*b))
        .unwrap();
    assert_close(bluest, [26, 60, 156], 12, "the stroke");
}

#[test]
fn resolution_comes_from_phys_and_jfif() {
    let dpi = |name: &str| {
        load_image(&test_image(name))
            .unwrap()
            .dpi
            .map(|(x, y)| (x.round() as u32, y.round() as u32))
    };
    assert_eq!(dpi("rgb8.png"), Some((150, 150)));
    assert_eq!(dpi("rgba16.png"), Some((300, 300)));
    assert_eq!(dpi("rgba8-interlaced.png"), None);
    assert_eq!(dpi("photo.jpg"), Some((300, 300)));
    assert_eq!(dpi("progressive.jpg"), Some((200, 200)));
    let rgb8 = load_image(&test_image("rgb8.png")).unwrap();
    let (w, h) = rgb8.natural_size_pt().unwrap();
    assert!(
        (w - 30.72).abs() < 0.01 && (h - 23.04).abs() < 0.01,
        "{w}×{h}"
    );
}

#[test]
fn the_font_is_embedded_subset_with_to_unicode_and_text_extracts_as_nfc() {
    for input in [TEXT.to_string(), TEXT.nfd().collect::<String>()] {
        let (file, font_id) = draw(&Page {
            image: None,
            text: Some(&input),
        });
        let written = Written::new(&file);
        assert_eq!(
            written.text(),
            TEXT,
            "pdftotext of {:?}",
            input.escape_unicode()
        );
        let fonts = run("pdffonts", &[written.arg()]);
        let line = fonts
            .lines()
            .find(|l| l.contains("+LiberationSerif"))
            .unwrap_or_else(|| panic!("pdffonts: {fonts}"));
        assert!(line.contains("CID TrueType"), "{line}");
        assert!(line.contains("Identity-H"), "{line}");
        assert!(line.contains("yes yes yes"), "{line}");
        let tag = line.split('+').next().unwrap();
        assert!(
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
            "{line}"
        );

        // Our reader sees the same structure.
        let doc = Document::open(file, None).unwrap();
        let type0 = doc.get(font_id.unwrap()).unwrap();
        let type0 = type0.as_dict().unwrap();
        assert_eq!(type0.get_name(b"Encoding"), Some(&b"Identity-H"[..]));
        let descendants = doc.resolve(type0.get(b"DescendantFonts").unwrap()).unwrap();
        let cid_font = doc
            .resolve_dict(&descendants.as_array().unwrap()[0])
            .unwrap();
        assert_eq!(cid_font.get_name(b"Subtype"), Some(&b"CIDFontType2"[..]));
        assert_eq!(cid_font.get_name(b"CIDToGIDMap"), Some(&b"Identity"[..]));
        let descriptor = doc
            .resolve_dict(cid_font.get(b"FontDescriptor").unwrap())
            .unwrap();
        assert_eq!(descriptor.get_int(b"Flags"), Some(34));
    }
}

#[test]
fn the_same_text_gives_the_same_subset_tag() {
    let font = Font::liberation_serif();
    let tag = |text: &str| {
        let mut usage = FontUse::new(&font);
        usage.encode(text).unwrap();
        usage.subset_tag()
    };
    assert_eq!(tag(TEXT), tag(TEXT));
    assert_ne!(tag(TEXT), tag("Nguyễn Văn Bình"));
}

#[test]
fn a_character_without_a_glyph_is_refused() {
    let font = Font::liberation_serif();
    let err = font.width("Ký bởi 中", 10.0).unwrap_err();
    assert_eq!(err.code(), "FONT_MISSING_GLYPH");
    let mut usage = FontUse::new(&font);
    let err = usage.encode("中").unwrap_err();
    assert_eq!(err.code(), "FONT_MISSING_GLYPH");
    match err {
        AppearanceError::MissingGlyph { ch, font } => {
            assert_eq!(ch, '中');
            assert_eq!(font, "LiberationSerif");
        }
        other => panic!("{other:?}"),
    }
    assert!(usage.is_empty());
    let bold = Font::liberation_serif_bold();
    assert_eq!(bold.name(), "LiberationSerif-Bold");
    assert!(bold.width(TEXT, 10.0).unwrap() > font.width(TEXT, 10.0).unwrap());
}

#[test]
fn broken_and_foreign_images_get_their_codes() {
    let code = |bytes: &[u8]| load_image(bytes).unwrap_err().code();
    assert_eq!(code(&test_image("corrupt.png")), "IMAGE_UNREADABLE");
    assert_eq!(code(&test_image("huge-dimensions.png")), "IMAGE_TOO_LARGE");
    let seal = asset("sample-seal.png");
    assert_eq!(code(&seal[..seal.len() / 2]), "IMAGE_UNREADABLE");
    let photo = test_image("photo.jpg");
    assert_eq!(code(&photo[..40]), "IMAGE_UNREADABLE");
    assert_eq!(
        code(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        "IMAGE_UNSUPPORTED"
    );
    assert_eq!(code(b"%PDF-1.7"), "IMAGE_UNSUPPORTED");
    assert_eq!(code(b""), "IMAGE_UNSUPPORTED");
}
