//! Shared set-up of the CLI tests: the test PKI and the PDF corpus built by the scripts in
//! `tests/`, the real `kyso` binary, and the peer validators' judge (docs/testing.md §5).

#![allow(dead_code)]

pub mod ca;
pub mod tsa;

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

/// `kyso verify ARGS... --json` with `KYSO_HOME=home`: (exit code, the report).
pub fn verify_json(home: &Path, args: &[&std::ffi::OsStr]) -> (i32, serde_json::Value) {
    std::fs::create_dir_all(home).expect("KYSO_HOME");
    let out = kyso()
        .arg("verify")
        .args(args)
        .arg("--json")
        .env("KYSO_HOME", home)
        .env_remove("KYSO_PDF_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kyso verify");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "kyso verify {args:?} gave no JSON: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// Every reason code of a `kyso verify --json` report: the file's, the signatures' and their
/// signature timestamps'.
pub fn reason_codes(report: &serde_json::Value) -> Vec<String> {
    let list = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    let mut reasons = list(&report["reasons"]);
    for s in list(&report["signatures"]) {
        reasons.extend(list(&s["reasons"]));
        reasons.extend(list(&s["timestamp"]["reasons"]));
    }
    reasons
        .iter()
        .filter_map(|r| r["code"].as_str().map(str::to_string))
        .collect()
}

/// Runs `program args...` and panics with its output unless it succeeds.
pub fn run_ok(program: impl AsRef<std::ffi::OsStr>, args: &[&std::ffi::OsStr], cwd: &Path) {
    let program = program.as_ref();
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program:?}: {e}"));
    assert!(
        out.status.success(),
        "{program:?} {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nobody listens on right now (a server the test starts later binds it, or none
/// does: an unreachable address).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process killed (and reaped) when dropped, so that a failing test leaves no server
/// behind.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.0 file server on 127.0.0.1 (a real socket, a thread of the test): `GET
/// /NAME` answers the file `root/NAME` (plain names only), else 404. The port is known at
/// once, before the files exist (CRL distribution points name it). Stops when dropped.
pub struct FileServer {
    pub port: u16,
    /// The paths requested so far, in order.
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    pub fn start(root: &Path) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (root, stop2, requests2) = (root.to_path_buf(), stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (root, requests) = (root.clone(), requests2.clone());
                        std::thread::spawn(move || serve_file(stream, &root, &requests));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(5))
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        FileServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_file(
    mut stream: std::net::TcpStream,
    root: &Path,
    requests: &std::sync::Mutex<Vec<String>>,
) {
    use std::io::{Read, Write};
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if let Ok(mut r) = requests.lock() {
        r.push(path.to_string());
    }
    let name = path.trim_start_matches('/');
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && !name.starts_with('.');
    let body = (method == "GET" && plain)
        .then(|| std::fs::read(root.join(name)).ok())
        .flatten();
    let _ = match body {
        Some(body) => stream
            .write_all(
                format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|_| stream.write_all(&body)),
        None => stream.write_all(
            b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
    };
    let _ = stream.flush();
}

/// `pyhanko sign validate --trust ROOT --trust-replace FILE`: pyHanko asks OCSP responders and
/// fetches CRLs itself (hard-fail by default). (exit code, first line of its output).
pub fn pyhanko_validate(root: &Path, file: &Path) -> (i32, String) {
    let out = Command::new(fixtures().python.with_file_name("pyhanko"))
        .args(["sign", "validate", "--trust"])
        .arg(root)
        .arg("--trust-replace")
        .arg(file)
        .output()
        .expect("run pyhanko");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    )
}
