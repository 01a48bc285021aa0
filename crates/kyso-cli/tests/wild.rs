//! Real documents the project did not make (issue 10): the PDF manuals and samples that
//! Debian's packages listed in tests/wild/packages.txt ship — pdfTeX, LuaTeX, Ghostscript,
//! Apache FOP, LibreOffice, cairo, groff, Prawn, Acrobat and others. `make test` installs
//! the packages (scripts/install-deps.sh).
//!
//! Every file: `kyso sign` ends with exit 0 and an output that pdfsig and `qpdf --check`
//! accept, or with a stable error code and no output; never a crash, a hang over 60 s, or a
//! peak RSS over 64 MiB (`/usr/bin/time -f %M`). `kyso verify` and `kyso info` on the same
//! files: no crash, no hang. The counts are printed (signed, refused by code). One file in
//! four is also signed visibly (issue 11: the attachment mark at the top right of page 1,
//! any page geometry, any producer), with the same demands.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use common::{fixtures, out_dir, repo};

/// No command on one file may run longer.
const TIMEOUT_SECONDS: u32 = 60;
/// Nor hold more memory.
const MAX_RSS_KIB: u64 = 64 * 1024;
/// Files larger than this are left out, to keep the run short (the packages chosen ship
/// few of them).
const MAX_FILE_BYTES: u64 = 40 * 1024 * 1024;

/// The PDF files the listed packages installed.
fn wild_files() -> Vec<PathBuf> {
    let list = std::fs::read_to_string(repo().join("tests/wild/packages.txt"))
        .expect("tests/wild/packages.txt");
    let mut files = Vec::new();
    for package in list
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
    {
        let out = Command::new("dpkg")
            .args(["-L", package])
            .output()
            .expect("dpkg -L");
        assert!(
            out.status.success(),
            "the package {package} is not installed: `make test` installs it \
             (scripts/install-deps.sh)"
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let path = Path::new(line);
            let is_pdf = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
            // Symbolic links name a file twice: keep the file once.
            if is_pdf
                && let Ok(meta) = std::fs::metadata(path)
                && meta.is_file()
                && meta.len() <= MAX_FILE_BYTES
                && let Ok(real) = path.canonicalize()
            {
                files.push(real);
            }
        }
    }
    files.sort();
    files.dedup();
    files
}

/// `timeout 60 /usr/bin/time -f %M kyso ARGS`: the output, and the peak RSS in KiB from
/// the last line of standard error.
fn measured(args: &[&std::ffi::OsStr], home: &Path) -> (Output, u64) {
    let out = Command::new("timeout")
        .arg(TIMEOUT_SECONDS.to_string())
        .args(["/usr/bin/time", "-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_kyso"))
        .args(args)
        .env("KYSO_HOME", home)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kyso under timeout and /usr/bin/time");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (out, rss)
}

/// A process that ended by itself: no timeout (124), no signal (a crash or the OOM killer),
/// no Rust panic (101).
fn ended_cleanly(out: &Output) -> bool {
    matches!(out.status.code(), Some(c) if c != 124 && c != 101 && c < 128)
}

#[derive(Default)]
struct Tally {
    signed: usize,
    refused: BTreeMap<String, usize>,
    problems: Vec<String>,
    peak_rss_kib: u64,
}

fn check_file(file: &Path, dir: &Path, index: usize, tally: &Mutex<Tally>) {
    let pki = &fixtures().pki;
    let home = dir.join(format!("home-{index}"));
    let output = dir.join(format!("signed-{index}.pdf"));
    let name = file.display().to_string();
    let mut problems = Vec::new();
    let p12 = pki.join("signer-modern.p12");
    let pass = pki.join("p12-password.txt");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "sign".as_ref(),
        file.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
        "--p12".as_ref(),
        p12.as_os_str(),
        "--p12-password-file".as_ref(),
        pass.as_os_str(),
        "--json".as_ref(),
    ];
    if index.is_multiple_of(4) {
        args.extend(
            ["--appearance", "attachment", "--doc-number", "123/QĐ-UBND"].map(std::ffi::OsStr::new),
        );
    }
    let (sign, rss) = measured(&args, &home);
    if !ended_cleanly(&sign) {
        problems.push(format!("{name}: kyso sign ended with {:?}", sign.status));
    }
    if rss > MAX_RSS_KIB {
        problems.push(format!("{name}: kyso sign held {rss} KiB"));
    }
    let json: serde_json::Value = String::from_utf8_lossy(&sign.stdout)
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    let mut refused_code = None;
    match sign.status.code() {
        Some(0) => {
            // pdfsig: the new signature, last in its list, is valid; qpdf --check: exit 0,
            // or 3 (warnings) only when the input itself has warnings.
            let pdfsig = Command::new("pdfsig")
                .arg("-nssdir")
                .arg(format!("sql:{}", pki.join("nssdb").display()))
                .arg(&output)
                .output()
                .expect("pdfsig");
            let text = String::from_utf8_lossy(&pdfsig.stdout);
            let last = text.rsplit("Signature #").next().unwrap_or("");
            if !last.contains("Signature is Valid.") {
                problems.push(format!(
                    "{name}: pdfsig does not accept the signature:\n{text}"
                ));
            }
            let qpdf = |path: &Path| {
                Command::new("qpdf")
                    .arg("--check")
                    .arg(path)
                    .output()
                    .expect("qpdf")
                    .status
                    .code()
            };
            match (qpdf(&output), qpdf(file)) {
                (Some(0), _) | (Some(3), Some(3)) => {}
                (after, before) => problems.push(format!(
                    "{name}: qpdf --check gives {after:?} on the signed copy ({before:?} on the original)"
                )),
            }
        }
        Some(1) => {
            let code = json["code"].as_str().unwrap_or("").to_string();
            if code.is_empty() {
                problems.push(format!("{name}: refused without a code: {json}"));
            }
            if output.exists() {
                problems.push(format!(
                    "{name}: refused ({code}) but wrote {}",
                    output.display()
                ));
            }
            refused_code = Some(code);
        }
        other => problems.push(format!("{name}: kyso sign exit {other:?}: {json}")),
    }
    // verify (the signed copy when there is one) and info: they end by themselves.
    let verified = if output.exists() { &output } else { file };
    for args in [
        vec![
            "verify".as_ref(),
            verified.as_os_str(),
            "--offline".as_ref(),
            "--json".as_ref(),
        ],
        vec!["info".as_ref(), file.as_os_str(), "--json".as_ref()],
    ] {
        let (out, rss) = measured(&args, &home);
        if !ended_cleanly(&out) || rss > MAX_RSS_KIB {
            problems.push(format!(
                "{name}: kyso {:?} ended with {:?}, {rss} KiB",
                args[0], out.status
            ));
        }
    }
    let _ = std::fs::remove_file(&output);
    let mut t = tally.lock().expect("tally");
    t.peak_rss_kib = t.peak_rss_kib.max(rss);
    match refused_code {
        Some(code) => *t.refused.entry(code).or_default() += 1,
        None if problems.is_empty() => t.signed += 1,
        None => {}
    }
    t.problems.extend(problems);
}

#[test]
fn documents_from_debian_packages_sign_or_are_refused_cleanly() {
    let files = wild_files();
    assert!(
        files.len() >= 50,
        "only {} PDFs found in the packages of tests/wild/packages.txt",
        files.len()
    );
    let dir = out_dir("wild");
    let tally = Mutex::new(Tally::default());
    let next = Mutex::new(0usize);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut n = next.lock().expect("queue");
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(file) = files.get(index) else {
                        break;
                    };
                    check_file(file, &dir, index, &tally);
                }
            });
        }
    });
    let t = tally.into_inner().expect("tally");
    println!(
        "{} files: {} signed, refused: {:?}; peak RSS of kyso sign {} KiB",
        files.len(),
        t.signed,
        t.refused,
        t.peak_rss_kib
    );
    assert!(t.problems.is_empty(), "{}", t.problems.join("\n"));
    assert_eq!(
        t.signed + t.refused.values().sum::<usize>(),
        files.len(),
        "every file is either signed or refused with a code"
    );
}
