//! Visible signatures as NĐ 30/2020 prescribes (issue 11), judged by the peers and by
//! pixels: the leader's blue signature above the signer's name, the red seal over its left
//! third, the clerk's number and date in the fields the leader reserved, the marks of
//! attachments and copies — on documents from three producers (reportlab, cairo's CID
//! fonts, Ghostscript) and on turned (/Rotate 90, 180, 270, inherited), shifted and cropped
//! pages (tests/appearance/make-drafts.py). Each rendering is checked with poppler and
//! MuPDF against the unsigned page (tests/appearance/check_render.py): what changed lies in
//! the box Kyso reports, and nothing else changed.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{assert_peers_accept, fixtures, out_dir, repo, run_kyso, verify_json};

fn python() -> &'static Path {
    &fixtures().python
}

/// The draft documents, made once per run (and kept between runs).
fn drafts() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = repo().join("target/test-data/drafts");
        let lock = repo().join("target/test-data/drafts.lock");
        let status = Command::new("flock")
            .arg(&lock)
            .arg(python())
            .arg(repo().join("tests/appearance/make-drafts.py"))
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("make-drafts.py");
        assert!(status.success(), "tests/appearance/make-drafts.py failed");
        dir
    })
}

fn draft(name: &str) -> PathBuf {
    drafts().join(name)
}

fn signature_image() -> PathBuf {
    repo().join("assets/images/sample-signature.png")
}

fn seal_image() -> PathBuf {
    repo().join("assets/images/sample-seal.png")
}

/// `kyso sign INPUT -o OUTPUT --p12 … --json EXTRA…`: the exit code and the JSON line.
fn sign(home: &Path, input: &Path, output: &Path, extra: &[&OsStr]) -> (i32, serde_json::Value) {
    let pki = &fixtures().pki;
    let mut args: Vec<&OsStr> = vec![
        "sign".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
        "--json".as_ref(),
    ];
    let p12 = pki.join("signer-modern.p12");
    let pass = pki.join("p12-password.txt");
    args.extend([
        OsStr::new("--p12"),
        p12.as_os_str(),
        OsStr::new("--p12-password-file"),
        pass.as_os_str(),
    ]);
    args.extend_from_slice(extra);
    let out = kyso_in(home, &args);
    let json = first_json(&out.stdout);
    (out.status.code().unwrap_or(-1), json)
}

fn kyso_in(home: &Path, args: &[&OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kyso"))
        .args(args)
        .env("KYSO_HOME", home)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kyso")
}

fn first_json(stdout: &[u8]) -> serde_json::Value {
    String::from_utf8_lossy(stdout)
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The box Kyso reports for a visible signature: page, [x, y, w, h] displayed.
fn visible(json: &serde_json::Value) -> (u64, [f64; 4]) {
    let v = &json["visible"];
    let page = v["page"]
        .as_u64()
        .unwrap_or_else(|| panic!("no visible box: {json}"));
    let r: Vec<f64> = v["rect"]
        .as_array()
        .expect("rect")
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    (page, [r[0], r[1], r[2], r[3]])
}

fn rect_arg(r: &[f64; 4]) -> String {
    format!("{},{},{},{}", r[0], r[1], r[2], r[3])
}

/// check_render.py's verdict on page `page` of `signed` against `unsigned`.
fn render(
    signed: &Path,
    unsigned: &Path,
    page: u64,
    boxes: &[[f64; 4]],
    colors: &[(&str, [f64; 4])],
    texts: &[[f64; 4]],
) -> serde_json::Value {
    let mut cmd = Command::new(python());
    cmd.arg(repo().join("tests/appearance/check_render.py"))
        .arg(signed)
        .arg(unsigned)
        .arg("--page")
        .arg(page.to_string());
    for b in boxes {
        cmd.arg("--box").arg(rect_arg(b));
    }
    for (name, b) in colors {
        cmd.arg("--expect-color")
            .arg(format!("{name}:{}", rect_arg(b)));
    }
    for b in texts {
        cmd.arg("--text").arg(rect_arg(b));
    }
    let out = cmd.output().expect("check_render.py");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check_render.py: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Both renderers drew something, all of it inside the boxes, and agree.
fn assert_drawn_inside(label: &str, r: &serde_json::Value) {
    for tool in ["pdftoppm", "mutool"] {
        let t = &r[tool];
        assert!(
            t["changed_pixels"].as_u64().unwrap_or(0) > 50,
            "{label}: {tool} shows no appearance: {r:#}"
        );
        assert_eq!(
            t["outside_changed_pixels"], 0,
            "{label}: {tool} shows changes outside the box: {r:#}"
        );
    }
    assert_eq!(r["renderers_agree"], true, "{label}: {r:#}");
}

fn color<'a>(r: &'a serde_json::Value, tool: &str, index: usize) -> &'a serde_json::Value {
    &r[tool]["colors"][index]
}

/// The words that the box shows, by poppler's -bbox words (exact on every page frame).
fn words(r: &serde_json::Value, index: usize) -> String {
    r["text"][index]["signed_words"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn signer() -> &'static str {
    "Nguyễn Văn An"
}

/// The leader's signature found by the signer's name, on three producers' documents: above
/// the name on the last page, blue, the name and the time readable in the box, and the
/// number and date fields reserved; the peers accept every signature.
#[test]
fn the_leader_signs_above_the_name_on_three_producers() {
    let dir = out_dir("appearance-leader");
    let home = dir.join("home");
    let mut signed_files = Vec::new();
    for name in ["nd30.pdf", "nd30-cairo.pdf", "nd30-gs.pdf"] {
        let input = draft(name);
        let output = dir.join(name.replace(".pdf", ".leader.pdf"));
        let image = signature_image();
        let (code, json) = sign(
            &home,
            &input,
            &output,
            &[
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--image".as_ref(),
                image.as_os_str(),
            ],
        );
        assert_eq!(code, 0, "{name}: {json}");
        let (page, b) = visible(&json);
        assert_eq!(page, 2, "{name}: the last page");
        // Above the printed name ("Nguyễn Văn An" at 365.57, 167.19, 88.85 × 11.61).
        assert!(
            b[1] > 167.19 + 11.0 && b[1] < 167.19 + 30.0,
            "{name}: {b:?}"
        );
        let centre = b[0] + b[2] / 2.0;
        assert!(
            (centre - (365.57 + 88.85 / 2.0)).abs() < 1.0,
            "{name}: {b:?}"
        );
        let reserved: Vec<&str> = json["reserved_fields"]
            .as_array()
            .expect("reserved")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(reserved, ["so_van_ban", "ngay", "thang"], "{name}");
        let r = render(&output, &input, page, &[b], &[("blue", b)], &[b]);
        assert_drawn_inside(name, &r);
        for tool in ["pdftoppm", "mutool"] {
            assert_eq!(
                color(&r, tool, 0)["match"],
                true,
                "{name}: blue in {tool}: {r:#}"
            );
        }
        let shown = words(&r, 0);
        assert!(shown.contains(signer()), "{name}: {shown:?}");
        let time = json["signing_time"].as_str().unwrap_or("");
        // /M D:20261204101509Z… → the box shows 2026-12-04T10:15:09+…
        let iso = format!(
            "{}-{}-{}T{}:{}:{}",
            &time[2..6],
            &time[6..8],
            &time[8..10],
            &time[10..12],
            &time[12..14],
            &time[14..16]
        );
        assert!(shown.contains(&iso), "{name}: {shown:?} lacks {iso}");
        signed_files.push((output, None, 1));
    }
    common::assert_peers_accept_all(&signed_files);
}

/// The box given on turned, shifted and cropped pages lands where it was asked, and its text
/// reads upright on the displayed page.
#[test]
fn a_given_box_lands_where_asked_on_every_page_geometry() {
    let dir = out_dir("appearance-geometry");
    let home = dir.join("home");
    let b = [300.0, 100.0, 180.0, 80.0];
    let mut signed_files = Vec::new();
    for name in [
        "nd30-rot90.pdf",
        "nd30-rot180.pdf",
        "nd30-rot270.pdf",
        "nd30-rot90-inherited.pdf",
        "nd30-shifted.pdf",
        "nd30-cropped.pdf",
    ] {
        let input = draft(name);
        let output = dir.join(name.replace(".pdf", ".signed.pdf"));
        let image = signature_image();
        let rect = rect_arg(&b);
        let (code, json) = sign(
            &home,
            &input,
            &output,
            &[
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--image".as_ref(),
                image.as_os_str(),
                "--page".as_ref(),
                "2".as_ref(),
                "--rect".as_ref(),
                rect.as_ref(),
            ],
        );
        assert_eq!(code, 0, "{name}: {json}");
        assert_eq!(visible(&json), (2, b), "{name}");
        let r = render(&output, &input, 2, &[b], &[("blue", b)], &[b]);
        assert_drawn_inside(name, &r);
        // Inside the box, in the renderers' displayed frame: the change fills most of it.
        let changed = r["pdftoppm"]["changed_bbox"]
            .as_array()
            .expect("changed box")
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect::<Vec<_>>();
        assert!(changed[2] > b[2] * 0.6, "{name}: {changed:?}");
        assert!(
            words(&r, 0).contains(signer()),
            "{name}: {:?}",
            words(&r, 0)
        );
        signed_files.push((output, None, 1));
    }
    common::assert_peers_accept_all(&signed_files);
}

/// The real order: the leader signs (fields reserved), the clerk stamps the number and
/// date, then seals. Every validator keeps the leader's signature valid with form filling
/// only; the number shows once with its code; the seal is red, at 40 mm, over the left third
/// of the leader's image, and locks the fields, which cannot be stamped again.
#[test]
fn leader_then_clerk_number_date_and_seal() {
    let dir = out_dir("appearance-clerk");
    let home = dir.join("home");
    let input = draft("nd30.pdf");
    let leader = dir.join("leader.pdf");
    let stamped = dir.join("stamped.pdf");
    let sealed = dir.join("sealed.pdf");
    let image = signature_image();
    let (code, json) = sign(
        &home,
        &input,
        &leader,
        &[
            "--appearance".as_ref(),
            "leader".as_ref(),
            "--image".as_ref(),
            image.as_os_str(),
        ],
    );
    assert_eq!(code, 0, "{json}");
    let (page, leader_box) = visible(&json);

    let out = kyso_in(
        &home,
        &[
            "stamp".as_ref(),
            leader.as_os_str(),
            "-o".as_ref(),
            stamped.as_os_str(),
            "--number".as_ref(),
            "123/QĐ-UBND".as_ref(),
            "--date".as_ref(),
            "2026-12-04".as_ref(),
            "--json".as_ref(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stamp = first_json(&out.stdout);
    assert_eq!(stamp["reserved"], true, "{stamp}");
    // Page 1: "Số:" at 56.35 and "/QĐ-UBND" at 160.09 on y 727.08; the blanks of the date
    // line at x 372.22–417.22 (day) and 446.83–491.83 (month).
    let header = [40.0, 720.0, 520.0, 25.0];
    let number_blank = [73.0, 724.0, 87.0, 16.0];
    let day_blank = [372.0, 724.0, 45.0, 16.0];
    let month_blank = [447.0, 724.0, 45.0, 16.0];
    let r = render(
        &stamped,
        &leader,
        1,
        &[number_blank, day_blank, month_blank],
        &[("black", number_blank)],
        &[header, number_blank, day_blank, month_blank],
    );
    assert_drawn_inside("stamp", &r);
    assert_eq!(
        words(&r, 1),
        "123",
        "the number without its printed code: {r:#}"
    );
    assert_eq!(words(&r, 2), "04");
    assert_eq!(words(&r, 3), "12");
    let line = words(&r, 0);
    assert_eq!(line.matches("/QĐ-UBND").count(), 1, "{line}");

    let seal = seal_image();
    let (code, json) = sign(
        &home,
        &stamped,
        &sealed,
        &[
            "--appearance".as_ref(),
            "seal".as_ref(),
            "--seal".as_ref(),
            seal.as_os_str(),
        ],
    );
    assert_eq!(code, 0, "{json}");
    let (seal_page, seal_box) = visible(&json);
    assert_eq!(seal_page, page, "the seal is on the leader's page");
    // 40 mm at the sample seal's 300 dpi.
    assert!((seal_box[2] - 113.39).abs() < 0.5, "{seal_box:?}");
    // Red where the seal is; the leader's image was blue where it is now half covered.
    let r = render(
        &sealed,
        &stamped,
        page,
        &[seal_box],
        &[("red", seal_box)],
        &[],
    );
    assert_drawn_inside("seal", &r);
    let leader_render = render(
        &leader,
        &input,
        page,
        &[leader_box],
        &[("blue", leader_box)],
        &[],
    );
    for tool in ["pdftoppm", "mutool"] {
        assert_eq!(color(&r, tool, 0)["match"], true, "red in {tool}: {r:#}");
        let red = bbox(&color(&r, tool, 0)["bbox"]);
        let blue = bbox(&color(&leader_render, tool, 0)["bbox"]);
        // The seal's right edge ends a third into the signature; it spans its height.
        let third = (red[0] + red[2] - blue[0]) / blue[2];
        assert!(
            (0.15..0.5).contains(&third),
            "{tool}: the seal covers {third:.2} of the signature: red {red:?}, blue {blue:?}"
        );
        assert!(
            red[0] < blue[0],
            "{tool}: the seal starts left of the signature"
        );
        let (red_mid, blue_mid) = (red[1] + red[3] / 2.0, blue[1] + blue[3] / 2.0);
        assert!(
            (red_mid - blue_mid).abs() < 15.0,
            "{tool}: {red:?} {blue:?}"
        );
    }

    // pyHanko, pdfsig, MuPDF, qpdf; and Kyso: the leader's signature with form filling only.
    assert_peers_accept(&sealed, None, 2);
    let root = fixtures().pki.join("root.pem");
    let (exit, report) = verify_json(
        &home,
        &[
            sealed.as_os_str(),
            "--offline".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
        ],
    );
    assert_eq!(exit, 0, "{report:#}");
    let first = &report["signatures"][0];
    assert_eq!(first["modifications"]["status"], "allowed");
    let kinds: Vec<&str> = first["modifications"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert!(
        kinds
            .iter()
            .all(|k| ["form_fill", "signature", "metadata"].contains(k)),
        "{kinds:?}"
    );
    assert_eq!(
        report["signatures"][1]["modifications"]["field_locks"][0]["fields"],
        serde_json::json!(["so_van_ban", "ngay", "thang"])
    );

    // The seal locks them: a second stamp is refused, and writes nothing.
    let again = dir.join("again.pdf");
    let out = kyso_in(
        &home,
        &[
            "stamp".as_ref(),
            sealed.as_os_str(),
            "-o".as_ref(),
            again.as_os_str(),
            "--number".as_ref(),
            "124".as_ref(),
            "--json".as_ref(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(first_json(&out.stdout)["code"], "STAMP_FIELD_LOCKED");
    assert!(!again.exists());
}

fn bbox(v: &serde_json::Value) -> [f64; 4] {
    let n: Vec<f64> = v
        .as_array()
        .unwrap_or_else(|| panic!("no box: {v}"))
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    [n[0], n[1], n[2], n[3]]
}

/// Attachments and copies: top right of page 1, no image, 10 pt black: the number and the
/// time, or the form of the copy, the agency and the time.
#[test]
fn attachment_and_copy_marks() {
    let dir = out_dir("appearance-marks");
    let home = dir.join("home");
    let input = draft("nd30.pdf");
    for (template, extra, expected) in [
        (
            "attachment",
            vec!["--doc-number", "123/QĐ-UBND"],
            vec!["123/QĐ-UBND"],
        ),
        (
            "copy",
            vec!["--copy-form", "SAO LỤC"],
            vec!["SAO LỤC", "Văn phòng Tỉnh ủy"],
        ),
    ] {
        let output = dir.join(format!("{template}.pdf"));
        let mut args: Vec<&OsStr> = vec!["--appearance".as_ref(), template.as_ref()];
        args.extend(extra.iter().map(OsStr::new));
        let (code, json) = sign(&home, &input, &output, &args);
        assert_eq!(code, 0, "{template}: {json}");
        let (page, b) = visible(&json);
        assert_eq!(page, 1);
        // Top right: within 30 pt of the right and top edges of A4.
        assert!(
            b[0] + b[2] > 595.28 - 30.0 && b[1] + b[3] > 841.89 - 30.0,
            "{b:?}"
        );
        let r = render(&output, &input, 1, &[b], &[("black", b)], &[b]);
        assert_drawn_inside(template, &r);
        let shown = words(&r, 0);
        for e in expected {
            assert!(shown.contains(e), "{template}: {shown:?} lacks {e}");
        }
        assert!(shown.contains("2026-") || shown.contains("20"), "{shown}");
        assert_peers_accept(&output, None, 1);
    }
}

/// Each refusal has its code and writes nothing.
#[test]
fn bad_appearance_requests_are_refused_with_their_codes() {
    let dir = out_dir("appearance-refused");
    let home = dir.join("home");
    let input = draft("nd30.pdf");
    let corrupt = repo().join("crates/kyso-pdf/tests/images/corrupt.png");
    let seal = seal_image();
    let cases: Vec<(&str, Vec<&OsStr>, &str)> = vec![
        (
            "corrupt image",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--image".as_ref(),
                corrupt.as_os_str(),
            ],
            "IMAGE_UNREADABLE",
        ),
        (
            "not an image",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--image".as_ref(),
                input.as_os_str(),
            ],
            "IMAGE_UNSUPPORTED",
        ),
        (
            "page out of range",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--page".as_ref(),
                "9".as_ref(),
                "--rect".as_ref(),
                "10,10,100,50".as_ref(),
            ],
            "PAGE_OUT_OF_RANGE",
        ),
        (
            "box outside the page",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--rect".as_ref(),
                "500,800,200,100".as_ref(),
            ],
            "BOX_OUTSIDE_PAGE",
        ),
        (
            "anchor not found",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--anchor".as_ref(),
                "Trần Thị Bình".as_ref(),
            ],
            "ANCHOR_NOT_FOUND",
        ),
        (
            "anchor found twice",
            vec![
                "--appearance".as_ref(),
                "leader".as_ref(),
                "--page".as_ref(),
                "1".as_ref(),
                "--anchor".as_ref(),
                "Căn cứ".as_ref(),
            ],
            "ANCHOR_AMBIGUOUS",
        ),
        (
            "seal without a leader signature",
            vec![
                "--appearance".as_ref(),
                "seal".as_ref(),
                "--seal".as_ref(),
                seal.as_os_str(),
            ],
            "LEADER_SIGNATURE_NOT_FOUND",
        ),
        (
            "no seal image",
            vec![
                "--appearance".as_ref(),
                "seal".as_ref(),
                "--rect".as_ref(),
                "10,10,100,100".as_ref(),
            ],
            "SEAL_IMAGE_MISSING",
        ),
        (
            "a character the font lacks",
            vec![
                "--appearance".as_ref(),
                "text".as_ref(),
                "--text".as_ref(),
                "{signer} 中".as_ref(),
            ],
            "FONT_MISSING_GLYPH",
        ),
    ];
    for (label, args, code) in cases {
        let output = dir.join("out.pdf");
        let (exit, json) = sign(&home, &input, &output, &args);
        assert_eq!(exit, 1, "{label}: {json}");
        assert_eq!(json["code"], code, "{label}: {json}");
        assert!(
            json["error"].as_str().unwrap_or("").contains("nd30.pdf"),
            "{label}: the message names the file: {json}"
        );
        assert!(!output.exists(), "{label}: nothing written");
    }
    // A document already signed without reserved fields cannot get a number.
    let signed = dir.join("invisible.pdf");
    let (code, json) = sign(&home, &input, &signed, &[]);
    assert_eq!(code, 0, "{json}");
    let out = kyso_in(
        &home,
        &[
            "stamp".as_ref(),
            signed.as_os_str(),
            "-o".as_ref(),
            dir.join("stamped.pdf").as_os_str(),
            "--number".as_ref(),
            "1".as_ref(),
            "--json".as_ref(),
        ],
    );
    assert_eq!(first_json(&out.stdout)["code"], "STAMP_NO_RESERVED_FIELDS");
    assert!(!dir.join("stamped.pdf").exists());
}

/// `kyso text` lists the lines with the boxes --rect takes, CID fonts included; a document
/// without the anchors only warns when the reservation was not asked for.
#[test]
fn kyso_text_and_a_letter_without_anchors() {
    let dir = out_dir("appearance-text");
    let home = dir.join("home");
    for name in ["nd30.pdf", "nd30-cairo.pdf", "nd30-gs.pdf"] {
        let file = draft(name);
        let out = run_kyso(&[
            "text".as_ref(),
            file.as_os_str(),
            "--page".as_ref(),
            "last".as_ref(),
            "--json".as_ref(),
        ]);
        assert_eq!(out.status.code(), Some(0));
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let name_line = lines
            .iter()
            .find(|l| l["text"] == signer())
            .unwrap_or_else(|| panic!("{name}: no line {}: {lines:?}", signer()));
        let r = bbox(&name_line["rect"]);
        assert!(
            (r[0] - 365.57).abs() < 1.5 && (r[1] - 167.19).abs() < 3.0,
            "{name}: {r:?}"
        );
    }
    let letter = draft("nd30-notext.pdf");
    let output = dir.join("letter.pdf");
    let (code, json) = sign(
        &home,
        &letter,
        &output,
        &[
            "--appearance".as_ref(),
            "leader".as_ref(),
            "--rect".as_ref(),
            "350,80,180,90".as_ref(),
        ],
    );
    assert_eq!(code, 0, "{json}");
    assert!(
        json["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w.as_str().unwrap_or("").contains("Số:"))),
        "{json}"
    );
    let (code, json) = sign(
        &home,
        &letter,
        &dir.join("letter2.pdf"),
        &[
            "--appearance".as_ref(),
            "leader".as_ref(),
            "--rect".as_ref(),
            "350,80,180,90".as_ref(),
            "--reserve-number".as_ref(),
        ],
    );
    assert_eq!(
        (code, json["code"].as_str()),
        (1, Some("ANCHOR_NOT_FOUND")),
        "{json}"
    );
}
