//! Shared set-up of the CLI tests: the test PKI and the PDF corpus built by the scripts in
//! `tests/`, the real `kyso` binary, and the peer validators' judge (RECIPES §5).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

pub struct Fixtures {
    pub pki: PathBuf,
    pub corpus: PathBuf,
    pub python: PathBuf,
}

/// Builds (once per test binary, and reused across runs) the PKI and the corpus.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let repo = repo();
        let data = repo.join("target/test-data");
        let pki = data.join("pki");
        let corpus = data.join("corpus");
        let python = repo.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: `make test` installs the test tools",
            python.display()
        );
        run_script(&repo.join("tests/pki/make-pki.sh"), &[&pki]);
        run_script(&repo.join("tests/corpus/make-corpus.sh"), &[&corpus, &pki]);
        Fixtures {
            pki,
            corpus,
            python,
        }
    })
}

fn run_script(script: &Path, args: &[&Path]) {
    // Several test binaries may build the fixtures at once: serialise with a lock file.
    let lock = repo().join("target/test-data.lock");
    std::fs::create_dir_all(repo().join("target")).expect("target dir");
    let status = Command::new("flock")
        .arg(&lock)
        .arg("bash")
        .arg(script)
        .args(args)
        .status()
        .expect("run fixture script");
    assert!(status.success(), "{} failed", script.display());
}

pub fn kyso() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kyso"))
}

/// Runs `kyso` with the arguments; never reads a terminal.
pub fn run_kyso(args: &[&std::ffi::OsStr]) -> Output {
    kyso()
        .args(args)
        .env_remove("KYSO_P12_PASSWORD")
        .env_remove("KYSO_PDF_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kyso")
}

pub struct Sign {
    args: Vec<std::ffi::OsString>,
    password_file: PathBuf,
}

impl Sign {
    /// `kyso sign INPUT -o OUTPUT --p12 P12 --p12-password-file PKI/p12-password.txt --json`
    pub fn new(input: &Path, output: &Path, p12: &str) -> Self {
        let f = fixtures();
        let mut s = Sign {
            args: Vec::new(),
            password_file: f.pki.join("p12-password.txt"),
        };
        s.args.extend([
            "sign".into(),
            input.into(),
            "-o".into(),
            output.into(),
            "--json".into(),
        ]);
        s.args
            .extend(["--p12".into(), f.pki.join(p12).into_os_string()]);
        s
    }
    /// Another .p12 password file than the PKI's.
    pub fn p12_password_file(mut self, path: &Path) -> Self {
        self.password_file = path.to_path_buf();
        self
    }
    pub fn arg(mut self, a: impl Into<std::ffi::OsString>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn run(mut self) -> (Output, serde_json::Value) {
        self.args.extend([
            "--p12-password-file".into(),
            self.password_file.clone().into_os_string(),
        ]);
        let refs: Vec<&std::ffi::OsStr> = self.args.iter().map(|a| a.as_os_str()).collect();
        let out = run_kyso(&refs);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let json = stdout
            .lines()
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(serde_json::Value::Null);
        (out, json)
    }
}

/// The four peers' verdict on `file` (tests/peers/judge.py), as JSON.
pub fn judge(file: &Path, password: Option<&str>, signatures: usize) -> serde_json::Value {
    judge_with(file, password, signatures, false)
}

/// Like [`judge`]; `intermediate_known` gives the validators the intermediate CA, for a
/// signature that carries only the signer's certificate.
pub fn judge_with(
    file: &Path,
    password: Option<&str>,
    signatures: usize,
    intermediate_known: bool,
) -> serde_json::Value {
    let f = fixtures();
    let mut cmd = Command::new(&f.python);
    cmd.arg(repo().join("tests/peers/judge.py"))
        .arg("--pki")
        .arg(&f.pki);
    if intermediate_known {
        cmd.arg("--intermediate-known");
    }
    cmd.arg("--expect-signatures").arg(signatures.to_string());
    if let Some(p) = password {
        cmd.arg("--password").arg(p);
    }
    let out = cmd.arg(file).output().expect("run judge.py");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "judge.py gave no JSON for {}: {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Asserts that every peer accepts `file`.
pub fn assert_peers_accept(file: &Path, password: Option<&str>, signatures: usize) {
    let verdict = judge(file, password, signatures);
    assert_eq!(
        verdict["all_ok"],
        true,
        "peers refused {}:\n{:#}",
        file.display(),
        verdict
    );
}

/// Judges many files at once, two at a time (the machine has two cores).
pub fn assert_peers_accept_all(files: &[(PathBuf, Option<String>, usize)]) {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<_> = files.chunks(files.len().div_ceil(2).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|(file, password, n)| {
                            let v = judge(file, password.as_deref(), *n);
                            (v["all_ok"] != true).then(|| format!("{}:\n{v:#}", file.display()))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("judge thread"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "peers refused {} file(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

/// A fresh directory under target/test-data/out/NAME.
pub fn out_dir(name: &str) -> PathBuf {
    let dir = repo().join("target/test-data/out").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create out dir");
    dir
}

/// Names of the files in `dir` (temp files included: none may be left behind).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
