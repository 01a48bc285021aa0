//! `kyso verify` and the changes after a signature (issue 10), on files that pyHanko makes
//! and judges (tests/verify/changes.py): the permitted updates that Kyso once called
//! altered — a B-LTA document's DSS updated after its document timestamp (DSS without
//! /Type, indirect arrays appended to, new /VRI entries), an existing empty field signed
//! after another signature, new fields when /Annots and /Fields are indirect arrays or the
//! widget sits in /Kids, an empty field's appearance object rewritten by its signature, the
//! catalog's indirect /Extensions rewritten — and the shadow attacks that must stay altered:
//! an appearance dictionary or stream shared with the page or another annotation, a page
//! object rewritten as the document information through the trailer or as an appearance, a
//! reference of the signed revision to a missing object filled in later.
//!
//! Every verdict is set beside pyHanko's for the same signature; the one disagreement is
//! pinned and explained below.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tsa::Tsa;
use common::{fixtures, out_dir, reason_codes, repo, verify_json};

/// What a signature of a case file must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Kyso: valid, changes none or allowed; pyHanko: bottom line true, level not OTHER.
    Permitted,
    /// Kyso: altered, with a refused change whose detail contains the text; pyHanko: bottom
    /// line false, level OTHER.
    Altered(&'static str),
    /// Kyso permits it and pyHanko 0.38 does not: its DSS rule collects the objects a DSS
    /// update adds with `collect_dependencies(since_revision=…)`, which never looks inside
    /// objects older than the signed revision, so the streams appended to an indirect
    /// /Certs, /CRLs or /OCSPs array that a document timestamp covers are "unexplained
    /// xrefs" for it. ETSI EN 319 142-1 §5.4 permits adding validation data to the DSS.
    PermittedPyhankoRefuses,
}

use Expect::*;

const SHARED: &str = "also uses it elsewhere";

/// Each case file and the expectation for each of its signatures, by field name. Fields
/// not listed are not checked (extensions-sha3's Sig2 is hashed with SHA3-256, which Kyso
/// does not verify: it is there for Sig1, whose revision is followed by the ISO 32001
/// extension and a catalog /Version 2.0 written in place).
const CASES: &[(&str, &[(&str, Expect)])] = &[
    ("lta-round1", &[("Sig1", Permitted), ("DocTS1", Permitted)]),
    (
        "lta",
        &[
            ("Sig1", Permitted),
            ("DocTS1", Permitted),
            ("DocTS2", Permitted),
        ],
    ),
    (
        "dss-notype",
        &[
            ("Sig1", Permitted),
            ("DocTS1", Permitted),
            ("DocTS2", Permitted),
        ],
    ),
    (
        "dss-indirect",
        &[
            ("Sig1", Permitted),
            ("DocTS1", Permitted),
            ("DocTS2", PermittedPyhankoRefuses),
            ("DocTS3", Permitted),
        ],
    ),
    (
        "dss-indirect-uncovered",
        &[
            ("Sig1", Permitted),
            ("DocTS1", Permitted),
            ("DocTS2", Permitted),
        ],
    ),
    (
        "dss-vri",
        &[
            ("Sig1", Permitted),
            ("DocTS1", Permitted),
            ("DocTS2", Permitted),
        ],
    ),
    (
        "existing-field",
        &[("Sig1", Permitted), ("Sig2", Permitted)],
    ),
    (
        "indirect-lists",
        &[("Sig1", Permitted), ("Sig2", Permitted)],
    ),
    (
        "indirect-lists-kids",
        &[("Sig1", Permitted), ("Sig2", Permitted)],
    ),
    ("reuse-ap", &[("Sig1", Permitted), ("Sig2", Permitted)]),
    ("reuse-ap-dict", &[("Sig1", Permitted), ("Sig2", Permitted)]),
    ("extensions", &[("Sig1", Permitted), ("Sig2", Permitted)]),
    ("extensions-sha3", &[("Sig1", Permitted)]),
    // The appearance dictionary of Sig2 is also a /Square annotation's.
    (
        "shadow-ap-dict",
        &[("Sig1", Altered(SHARED)), ("Sig2", Permitted)],
    ),
    // Sig2's appearance stream is also the page's XObject /Fm0.
    (
        "shadow-ap-stream",
        &[("Sig1", Altered(SHARED)), ("Sig2", Permitted)],
    ),
    // The page's XObject rewritten as the document information (trailer /Info).
    ("shadow-trailer", &[("Sig1", Altered(SHARED))]),
    (
        "shadow-trailer-sig",
        &[("Sig1", Altered(SHARED)), ("Sig2", Permitted)],
    ),
    // The page's content stream rewritten as a new field's appearance.
    (
        "sneaky-page-content",
        &[("Sig1", Altered(SHARED)), ("Sig2", Permitted)],
    ),
    // The page's /Im0 named a missing object, defined after signing.
    ("dangling", &[("Sig1", Altered("did not exist"))]),
    (
        "dangling-sig",
        &[("Sig1", Altered("did not exist")), ("Sig2", Permitted)],
    ),
];

fn changes_py(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new(&fixtures().python)
        .arg(repo().join("tests/verify/changes.py"))
        .args(args)
        .output()
        .expect("run tests/verify/changes.py");
    assert!(
        out.status.success(),
        "changes.py {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// pyHanko's verdict on every signature of `file`, by field.
fn pyhanko(file: &Path) -> Vec<serde_json::Value> {
    let pki = &fixtures().pki;
    let out = changes_py(&[
        "judge".as_ref(),
        file.as_os_str(),
        "--pki".as_ref(),
        pki.as_os_str(),
    ]);
    let all: serde_json::Value = serde_json::from_slice(&out).expect("judge JSON");
    all.as_array().expect("a list").clone()
}

fn by_field<'a>(list: &'a [serde_json::Value], field: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|s| s["field"] == field)
        .unwrap_or_else(|| panic!("no signature {field} in {list:#?}"))
}

#[test]
fn later_updates_are_judged_as_pyhanko_judges_them() {
    let dir = out_dir("verify-changes");
    let tsa = Tsa::start(&dir);
    let cases = dir.join("cases");
    let pki = &fixtures().pki;
    let written = changes_py(&[
        "all".as_ref(),
        cases.as_os_str(),
        "--tsa".as_ref(),
        tsa.url.as_ref(),
        "--pki".as_ref(),
        pki.as_os_str(),
    ]);
    let written = String::from_utf8_lossy(&written);
    let root = pki.join("root.pem");
    let mut table = Vec::new();
    for (name, expectations) in CASES {
        let file: PathBuf = cases.join(format!("{name}.pdf"));
        assert!(
            written.lines().any(|l| Path::new(l.trim()) == file),
            "changes.py did not write {}: {written}",
            file.display()
        );
        let (exit, report) = verify_json(
            &dir.join("home"),
            &[
                file.as_os_str(),
                "--offline".as_ref(),
                "--trust".as_ref(),
                root.as_os_str(),
            ],
        );
        let kyso = report["signatures"].as_array().expect("signatures").clone();
        let peer = pyhanko(&file);
        for (field, expect) in *expectations {
            let k = by_field(&kyso, field);
            let p = by_field(&peer, field);
            let status = k["modifications"]["status"].as_str().unwrap_or("");
            table.push(format!(
                "{name} {field}: kyso {} / {status}, pyHanko {} / {}",
                k["verdict"], p["modification_level"], p["bottom_line"]
            ));
            let context = format!("{name} {field}: {k:#}\npyHanko: {p:#}");
            match expect {
                Permitted | PermittedPyhankoRefuses => {
                    assert_eq!(k["verdict"], "valid", "{context}");
                    assert!(matches!(status, "none" | "allowed"), "{context}");
                    let pyhanko_accepts =
                        p["bottom_line"] == true && p["modification_level"] != "OTHER";
                    assert_eq!(
                        pyhanko_accepts,
                        matches!(expect, Permitted),
                        "pyHanko's verdict changed: {context}"
                    );
                }
                Altered(detail) => {
                    assert_eq!(k["verdict"], "altered", "{context}");
                    assert_eq!(status, "not_permitted", "{context}");
                    assert!(
                        reason_codes(k).contains(&"MODIFIED_NOT_PERMITTED".to_string()),
                        "{context}"
                    );
                    let refused: Vec<&str> = k["modifications"]["changes"]
                        .as_array()
                        .expect("changes")
                        .iter()
                        .filter(|c| c["allowed"] == false)
                        .filter_map(|c| c["detail"].as_str())
                        .collect();
                    assert!(
                        refused.iter().any(|d| d.contains(detail)),
                        "{context}\nrefused: {refused:?}"
                    );
                    assert_eq!(p["bottom_line"], false, "{context}");
                    assert_eq!(p["modification_level"], "OTHER", "{context}");
                    assert_eq!(exit, 1, "{context}");
                }
            }
        }
    }
    println!("{}", table.join("\n"));
}
