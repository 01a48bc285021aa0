//! `kyso verify` and FieldMDP (ISO 32000-2 §12.8.2.4, §12.7.5.5): a form signed by pyHanko
//! with a signature that locks fields, then filled in a later incremental update. Every
//! verdict is compared with pyHanko's own (its modification level and bottom line), from
//! tests/verify/fieldmdp.py, which also makes the files.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Sign, fixtures, out_dir, reason_codes, repo, verify_json};

/// `python tests/verify/fieldmdp.py ARGS...`
fn script(args: &[&OsStr]) -> Vec<u8> {
    let out = Command::new(&fixtures().python)
        .arg(repo().join("tests/verify/fieldmdp.py"))
        .args(args)
        .output()
        .expect("fieldmdp.py");
    assert!(
        out.status.success(),
        "fieldmdp.py {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The unsigned form (two text fields, `nguoi_ky.ho_ten` and `ghi_chu`).
fn form(dir: &Path) -> PathBuf {
    let out = dir.join("form.pdf");
    script(&["form".as_ref(), out.as_os_str()]);
    out
}

/// Signed by pyHanko in a new field `Sig1` whose /Lock is `lock` (e.g. ["--action",
/// "include", "--fields", "nguoi_ky.ho_ten"]); pyHanko's signer also writes the signature's
/// FieldMDP /Reference from it.
fn pyhanko_signed(dir: &Path, form: &Path, name: &str, lock: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.pdf"));
    let pki = &fixtures().pki;
    let p12 = pki.join("signer-modern.p12");
    let pass = pki.join("p12-password.txt");
    let mut args: Vec<&OsStr> = vec![
        "sign".as_ref(),
        form.as_os_str(),
        out.as_os_str(),
        "--p12".as_ref(),
        p12.as_os_str(),
        "--passfile".as_ref(),
        pass.as_os_str(),
    ];
    args.extend(lock.iter().map(|a| OsStr::new(*a)));
    script(&args);
    out
}

/// A later incremental update that fills the text field `field`.
fn fill(src: &Path, field: &str) -> PathBuf {
    let stem = src.file_stem().and_then(OsStr::to_str).unwrap_or("x");
    let out = src.with_file_name(format!("{stem}+{field}.pdf"));
    script(&[
        "fill".as_ref(),
        src.as_os_str(),
        out.as_os_str(),
        field.as_ref(),
        "Nguyễn Văn An".as_ref(),
    ]);
    out
}

/// pyHanko's verdict on the first signature.
fn pyhanko(file: &Path) -> serde_json::Value {
    let pki = &fixtures().pki;
    let out = script(&[
        "judge".as_ref(),
        file.as_os_str(),
        "--pki".as_ref(),
        pki.as_os_str(),
    ]);
    let all: serde_json::Value = serde_json::from_slice(&out).expect("judge JSON");
    all[0].clone()
}

/// `kyso verify FILE --offline --trust root.pem --json`: (exit code, report).
fn kyso(dir: &Path, file: &Path) -> (i32, serde_json::Value) {
    let root = fixtures().pki.join("root.pem");
    verify_json(
        &dir.join("home"),
        &[
            file.as_os_str(),
            "--offline".as_ref(),
            "--trust".as_ref(),
            root.as_os_str(),
        ],
    )
}

/// Kyso: altered (exit 1) because of `FIELD_LOCKED_CHANGED` on `field`, and no other
/// change refused; pyHanko: modification level OTHER (its SuspiciousModification "the form
/// field … is locked"), bottom line false.
fn assert_locked(dir: &Path, file: &Path, field: &str) {
    let (exit, report) = kyso(dir, file);
    assert_eq!(exit, 1, "{}: {report:#}", file.display());
    assert_eq!(report["verdict"], "altered");
    let codes = reason_codes(&report);
    assert!(
        codes.contains(&"FIELD_LOCKED_CHANGED".to_string()),
        "{report:#}"
    );
    assert!(
        !codes.contains(&"MODIFIED_NOT_PERMITTED".to_string()),
        "{report:#}"
    );
    let m = &report["signatures"][0]["modifications"];
    assert_eq!(m["status"], "not_permitted");
    let refused: Vec<_> = m["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["allowed"] == false)
        .collect();
    assert_eq!(refused.len(), 1, "{m:#}");
    assert_eq!(refused[0]["kind"], "form_fill");
    assert_eq!(refused[0]["field"], field);
    assert_eq!(refused[0]["locked"], true);
    let reason = report["signatures"][0]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["code"] == "FIELD_LOCKED_CHANGED")
        .cloned()
        .unwrap_or_default();
    assert_eq!(reason["severity"], "altered");
    assert!(
        reason["detail"].as_str().unwrap_or("").contains(field),
        "{reason:#}"
    );

    let py = pyhanko(file);
    assert_eq!(py["intact"], true, "{py:#}");
    assert_eq!(py["modification_level"], "OTHER", "{py:#}");
    assert_eq!(py["bottom_line"], false, "{py:#}");
}

/// Kyso: valid (exit 0), the filling allowed; pyHanko: FORM_FILLING, bottom line true.
fn assert_allowed(dir: &Path, file: &Path, field: &str) {
    let (exit, report) = kyso(dir, file);
    assert_eq!(exit, 0, "{}: {report:#}", file.display());
    assert_eq!(report["verdict"], "valid");
    let m = &report["signatures"][0]["modifications"];
    assert_eq!(m["status"], "allowed", "{m:#}");
    assert!(
        m["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["kind"] == "form_fill" && c["field"] == field && c["locked"] == false),
        "{m:#}"
    );
    let py = pyhanko(file);
    assert_eq!(py["modification_level"], "FORM_FILLING", "{py:#}");
    assert_eq!(py["bottom_line"], true, "{py:#}");
}

#[test]
fn include_locks_only_the_named_field() {
    let dir = out_dir("verify-fieldmdp-include");
    let form = form(&dir);
    let signed = pyhanko_signed(
        &dir,
        &form,
        "include",
        &["--action", "include", "--fields", "nguoi_ky.ho_ten"],
    );

    // As signed: valid for both; the lock is reported from both places pyHanko wrote it.
    let (exit, report) = kyso(&dir, &signed);
    assert_eq!(exit, 0, "{report:#}");
    let m = &report["signatures"][0]["modifications"];
    assert_eq!(m["status"], "none");
    assert_eq!(
        m["field_locks"],
        serde_json::json!([
            {"source": "reference", "action": "include", "fields": ["nguoi_ky.ho_ten"]},
            {"source": "lock", "action": "include", "fields": ["nguoi_ky.ho_ten"]},
        ])
    );
    let py = pyhanko(&signed);
    assert_eq!(py["bottom_line"], true, "{py:#}");
    assert_eq!(py["fieldmdp"]["action"], "INCLUDE");

    assert_locked(&dir, &fill(&signed, "nguoi_ky.ho_ten"), "nguoi_ky.ho_ten");
    assert_allowed(&dir, &fill(&signed, "ghi_chu"), "ghi_chu");

    // A non-terminal name locks the fields beneath it (fully qualified names, §12.7.4.2).
    let parent = pyhanko_signed(
        &dir,
        &form,
        "include-parent",
        &["--action", "include", "--fields", "nguoi_ky"],
    );
    assert_locked(&dir, &fill(&parent, "nguoi_ky.ho_ten"), "nguoi_ky.ho_ten");
    assert_allowed(&dir, &fill(&parent, "ghi_chu"), "ghi_chu");
}

#[test]
fn all_and_exclude() {
    let dir = out_dir("verify-fieldmdp-all-exclude");
    let form = form(&dir);

    let all = pyhanko_signed(&dir, &form, "all", &["--action", "all"]);
    let (exit, report) = kyso(&dir, &all);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["field_locks"][0]["action"],
        "all"
    );
    assert_locked(&dir, &fill(&all, "ghi_chu"), "ghi_chu");
    assert_locked(&dir, &fill(&all, "nguoi_ky.ho_ten"), "nguoi_ky.ho_ten");

    let exclude = pyhanko_signed(
        &dir,
        &form,
        "exclude",
        &["--action", "exclude", "--fields", "ghi_chu"],
    );
    assert_allowed(&dir, &fill(&exclude, "ghi_chu"), "ghi_chu");
    assert_locked(&dir, &fill(&exclude, "nguoi_ky.ho_ten"), "nguoi_ky.ho_ten");
}

/// The DocMDP P of a /Lock (PDF 2.0): P=1 refuses any filling after the signature, locked
/// field or not; P=2 changes nothing for an unlocked field.
#[test]
fn lock_permission() {
    let dir = out_dir("verify-fieldmdp-lock-p");
    let form = form(&dir);
    let p1 = pyhanko_signed(
        &dir,
        &form,
        "lock-p1",
        &[
            "--action",
            "include",
            "--fields",
            "nguoi_ky.ho_ten",
            "--lock-p",
            "1",
        ],
    );
    let (exit, report) = kyso(&dir, &p1);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["lock_permission"],
        1
    );
    // Not a certification: the P is the lock's.
    assert_eq!(
        report["signatures"][0]["certification"],
        serde_json::Value::Null
    );

    let filled = fill(&p1, "ghi_chu");
    let (exit, report) = kyso(&dir, &filled);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["verdict"], "altered");
    let codes = reason_codes(&report);
    assert!(
        codes.contains(&"MODIFIED_NOT_PERMITTED".to_string()),
        "{report:#}"
    );
    assert!(!codes.contains(&"FIELD_LOCKED_CHANGED".to_string()));
    let py = pyhanko(&filled);
    assert_eq!(py["docmdp_level"], 1, "{py:#}");
    assert_eq!(py["modification_level"], "FORM_FILLING", "{py:#}");
    assert_eq!(py["docmdp_ok"], false, "{py:#}");
    assert_eq!(py["bottom_line"], false, "{py:#}");

    let p2 = pyhanko_signed(
        &dir,
        &form,
        "lock-p2",
        &[
            "--action",
            "include",
            "--fields",
            "nguoi_ky.ho_ten",
            "--lock-p",
            "2",
        ],
    );
    assert_allowed(&dir, &fill(&p2, "ghi_chu"), "ghi_chu");
    assert_locked(&dir, &fill(&p2, "nguoi_ky.ho_ten"), "nguoi_ky.ho_ten");
}

/// A signature field with a /Lock signed by Kyso, whose signer writes no FieldMDP
/// reference: the /Lock alone locks the field (ISO 32000-2 §12.7.5.5). pyHanko 0.38 reads
/// only the reference and accepts the filling: the one verdict where we differ, on purpose.
/// An unreadable /Lock makes a later filling indeterminate, and is only noted otherwise.
#[test]
fn lock_dictionary_alone_and_unreadable() {
    let dir = out_dir("verify-fieldmdp-lock-only");
    let form = form(&dir);
    let kyso_signed = |name: &str, extra: &[&str]| -> PathBuf {
        let unsigned = dir.join(format!("{name}-unsigned.pdf"));
        let mut args: Vec<&OsStr> = vec![
            "lock".as_ref(),
            form.as_os_str(),
            unsigned.as_os_str(),
            "--action".as_ref(),
            "include".as_ref(),
            "--fields".as_ref(),
            "nguoi_ky.ho_ten".as_ref(),
        ];
        args.extend(extra.iter().map(|a| OsStr::new(*a)));
        script(&args);
        let signed = dir.join(format!("{name}.pdf"));
        let (o, json) = Sign::new(&unsigned, &signed, "signer-modern.p12")
            .arg("--field")
            .arg("Sig1")
            .run();
        assert!(o.status.success(), "sign failed: {json}");
        signed
    };

    let signed = kyso_signed("lock-only", &[]);
    let (exit, report) = kyso(&dir, &signed);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["field_locks"],
        serde_json::json!([{"source": "lock", "action": "include", "fields": ["nguoi_ky.ho_ten"]}])
    );
    let locked = fill(&signed, "nguoi_ky.ho_ten");
    let (exit, report) = kyso(&dir, &locked);
    assert_eq!(exit, 1, "{report:#}");
    assert!(reason_codes(&report).contains(&"FIELD_LOCKED_CHANGED".to_string()));
    let py = pyhanko(&locked);
    assert_eq!(py["fieldmdp"], serde_json::Value::Null, "{py:#}");
    assert_eq!(py["modification_level"], "FORM_FILLING", "{py:#}");
    assert_eq!(py["bottom_line"], true, "{py:#}");
    assert_allowed(&dir, &fill(&signed, "ghi_chu"), "ghi_chu");

    // /Action /Frob: the lock cannot be read.
    let bad = kyso_signed("lock-unreadable", &["--malformed"]);
    let (exit, report) = kyso(&dir, &bad);
    assert_eq!(exit, 0, "{report:#}");
    let reason = |report: &serde_json::Value| {
        report["signatures"][0]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .find(|r| r["code"] == "FIELD_LOCK_UNREADABLE")
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(reason(&report)["severity"], "info", "{report:#}");
    let filled = fill(&bad, "ghi_chu");
    let (exit, report) = kyso(&dir, &filled);
    assert_eq!(exit, 2, "{report:#}");
    assert_eq!(report["verdict"], "indeterminate");
    assert_eq!(reason(&report)["severity"], "indeterminate", "{report:#}");
    assert!(
        reason(&report)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("/Frob")
    );
    let py = pyhanko(&filled);
    assert_eq!(py["modification_level"], "FORM_FILLING", "{py:#}");
}

/// After a signature that locks `/All` fields, a later signature in an existing empty
/// signature field changes a locked field: both refuse it. A later signature in a new field
/// changes no field the signature locked (a field added after it cannot have been locked),
/// and Kyso allows it; pyHanko 0.38 counts a new field as locked under `/All` and refuses
/// it: a difference on purpose.
#[test]
fn later_signatures_after_all() {
    let dir = out_dir("verify-fieldmdp-later-signatures");
    let form = form(&dir);
    let with_sig2 = dir.join("form+Sig2.pdf");
    script(&[
        "sigfield".as_ref(),
        form.as_os_str(),
        with_sig2.as_os_str(),
        "Sig2".as_ref(),
    ]);
    let all = pyhanko_signed(&dir, &with_sig2, "all", &["--action", "all"]);
    let kyso_signs = |field: &str| -> PathBuf {
        let out = dir.join(format!("all+{field}.pdf"));
        let (o, json) = Sign::new(&all, &out, "signer-3072.p12")
            .arg("--field")
            .arg(field)
            .run();
        assert!(o.status.success(), "sign failed: {json}");
        out
    };

    let existing = kyso_signs("Sig2");
    let (exit, report) = kyso(&dir, &existing);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(report["signatures"][0]["verdict"], "altered");
    assert_eq!(report["signatures"][1]["verdict"], "valid");
    let changes = &report["signatures"][0]["modifications"]["changes"];
    assert!(
        changes
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["field"] == "Sig2" && c["locked"] == true && c["allowed"] == false),
        "{changes:#}"
    );
    assert!(reason_codes(&report).contains(&"FIELD_LOCKED_CHANGED".to_string()));
    let py = pyhanko(&existing);
    assert_eq!(py["modification_level"], "OTHER", "{py:#}");
    assert_eq!(py["bottom_line"], false, "{py:#}");

    let new_field = kyso_signs("Sig3");
    let (exit, report) = kyso(&dir, &new_field);
    assert_eq!(exit, 0, "{report:#}");
    assert_eq!(
        report["signatures"][0]["modifications"]["status"],
        "allowed"
    );
    let py = pyhanko(&new_field);
    assert_eq!(py["modification_level"], "OTHER", "{py:#}");
    assert_eq!(py["bottom_line"], false, "{py:#}");
}
