//! The TSA client against misbehaving TSAs (tests/tsa/tsa_server.py's modes): each failure
//! has its code, the document is signed all the same at B-B, kept at its level and still
//! "timestamp due"; fallback to the next TSA, logins from the OS keychain, 429 and
//! `Retry-After`, the per-TSA rate limit, and `kill -9` in the middle of an upgrade.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::tsa::Tsa;
use common::{fixtures, free_port, kyso, out_dir, sha256};
use serde_json::Value;

/// A user with their own KYSO_HOME and keychain service.
struct User {
    home: PathBuf,
    service: String,
}

impl User {
    fn new(dir: &Path) -> User {
        let home = dir.join("home");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        User {
            service: format!(
                "test-tsa-{}-{}",
                std::process::id(),
                dir.file_name().unwrap_or_default().to_string_lossy()
            ),
            home,
        }
    }

    fn kyso(&self) -> Command {
        let mut c = kyso();
        c.env("KYSO_HOME", &self.home)
            .env("KYSO_KEYCHAIN_SERVICE", &self.service)
            .env_remove("KYSO_TSA_SECRET")
            .stdin(Stdio::null());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.kyso().args(args).output().expect("run kyso");
        assert!(
            out.status.success(),
            "kyso {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kyso ARGS --json`: exit code, the first JSON line (or the whole output), stderr.
    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let out = self
            .kyso()
            .args(args)
            .arg("--json")
            .output()
            .expect("run kyso");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value = serde_json::from_str(&stdout)
            .or_else(|_| serde_json::from_str(stdout.lines().next().unwrap_or("")))
            .unwrap_or_else(|_| {
                panic!(
                    "kyso {args:?} --json: {stdout}{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        (
            out.status.code().unwrap_or(-1),
            value,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `kyso sign form.pdf -o OUT` with the test signer, the TSAs of the settings.
    fn sign(&self, out: &Path) -> Value {
        let f = fixtures();
        let input = f.corpus.join("form.pdf");
        let p12 = f.pki.join("signer-modern.p12");
        let password = f.pki.join("p12-password.txt");
        let (code, json, stderr) = self.json(&[
            "sign",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--p12",
            p12.to_str().unwrap(),
            "--p12-password-file",
            password.to_str().unwrap(),
        ]);
        assert_eq!(
            code, 0,
            "a failing TSA never stops the signature: {json} {stderr}"
        );
        json
    }

    /// The signed files whose timestamp is due.
    fn due(&self) -> Vec<Value> {
        let (code, json, _) = self.json(&["outbox", "due"]);
        assert_eq!(code, 0, "{json}");
        json.as_array().cloned().unwrap_or_default()
    }

    fn level(&self, file: &Path) -> String {
        let (_, report, _) = self.json(&["verify", "--offline", file.to_str().unwrap()]);
        report["signatures"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["kind"] == "signature"))
            .and_then(|s| s["level"].as_str())
            .unwrap_or("none")
            .to_string()
    }
}

/// Signs with the TSA at `url` (the only one configured): B-B, the code, due; then
/// `kyso upgrade --in-place --level b-t` fails with the same code and changes nothing.
fn assert_fails_with(dir: &Path, url: &str, code: &str, settings: &[(&str, &str)]) -> Value {
    let user = User::new(dir);
    user.ok(&["config", "set", "tsa.urls", url]);
    for (k, v) in settings {
        user.ok(&["config", "set", k, v]);
    }
    let signed = dir.join("signed.pdf");
    let result = user.sign(&signed);
    assert_eq!(result["level"], "B-B", "{result}");
    assert_eq!(result["target_level"], "B-T", "{result}");
    assert_eq!(result["shortfall"]["code"], code, "{result}");
    let due = user.due();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0]["sha256"], result["sha256"]);
    assert_eq!(due[0]["last_error_code"], code);

    let before = sha256(&signed);
    let (exit, up, _) = user.json(&[
        "upgrade",
        signed.to_str().unwrap(),
        "--in-place",
        "--level",
        "b-t",
    ]);
    assert_eq!(exit, 1, "{up}");
    assert_eq!(up["code"], code, "{up}");
    assert_eq!(
        sha256(&signed),
        before,
        "a failed upgrade leaves the file as it was"
    );
    assert_eq!(user.level(&signed), "B-B");
    assert_eq!(user.due().len(), 1, "still due");
    assert_no_temp_files(dir);
    result
}

/// No temp file of a write is left in `dir` (a failed upgrade removes its own).
fn assert_no_temp_files(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".kyso-tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

#[test]
fn each_tsa_failure_has_its_code_and_leaves_the_document_due() {
    let base = out_dir("tsa-failures");
    let tsa_dir = Tsa::make(&base);
    // (name, the server's arguments, the code, settings, words of the message)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
    );
    let cases: &[Case] = &[
        (
            "reject",
            &["--mode", "reject"],
            "TSA_REJECTED",
            &[],
            "request refused",
        ),
        (
            "imprint",
            &["--mode", "wrong-imprint"],
            "TSA_WRONG_IMPRINT",
            &[],
            "imprint",
        ),
        (
            "nonce",
            &["--mode", "wrong-nonce"],
            "TSA_WRONG_NONCE",
            &[],
            "nonce",
        ),
        (
            "noeku",
            &["--mode", "no-eku"],
            "TSA_NOT_A_TSA",
            &[],
            "time-stamping",
        ),
        (
            "noncritical",
            &["--mode", "eku-noncritical"],
            "TSA_NOT_A_TSA",
            &[],
            "critical",
        ),
        (
            "slow",
            &["--mode", "slow", "--delay", "5"],
            "TSA_TIMEOUT",
            &[("tsa.timeout-seconds", "1")],
            "within 1 s",
        ),
        (
            "auth",
            &[
                "--mode",
                "auth",
                "--user",
                "vanthu",
                "--password",
                "mật-khẩu",
            ],
            "TSA_AUTH",
            &[],
            "kyso tsa login",
        ),
        (
            "ratelimit",
            &[
                "--mode",
                "rate-limit",
                "--limit",
                "-1",
                "--retry-after",
                "100",
            ],
            "TSA_RATE_LIMITED",
            &[("tsa.timeout-seconds", "5")],
            "100 s",
        ),
        (
            "500",
            &["--mode", "http-error", "--status", "500"],
            "TSA_UNREACHABLE",
            &[],
            "HTTP 500",
        ),
        (
            "garbage",
            &["--mode", "http-error", "--status", "200"],
            "TSA_BAD_RESPONSE",
            &[],
            "",
        ),
    ];
    for (name, args, code, settings, words) in cases {
        let dir = base.join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        let server = Tsa::serve(&tsa_dir, args);
        let started = Instant::now();
        let result = assert_fails_with(&dir, &server.url, code, settings);
        let message = result["shortfall"]["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{name}: {message}");
        assert!(
            message.contains(&server.url),
            "the message names the TSA: {message}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{name}: no failure waits for the 180 s default ({:?})",
            started.elapsed()
        );
    }
    // Nobody listening.
    let dir = base.join("closed");
    std::fs::create_dir_all(&dir).expect("dir");
    let closed = format!("http://127.0.0.1:{}/", free_port());
    assert_fails_with(&dir, &closed, "TSA_UNREACHABLE", &[]);
}

#[test]
fn the_next_tsa_is_asked_when_one_fails_and_logins_come_from_the_keychain() {
    let dir = out_dir("tsa-fallback");
    let tsa_dir = Tsa::make(&dir);
    let refusing = Tsa::serve(&tsa_dir, &["--mode", "reject"]);
    let basic = Tsa::serve(
        &tsa_dir,
        &[
            "--mode",
            "auth",
            "--user",
            "vanthu",
            "--password",
            "mật-khẩu 42",
        ],
    );
    let bearer = Tsa::serve(&tsa_dir, &["--mode", "auth", "--bearer", "tok-ubnd-7"]);
    let user = User::new(&dir);

    // The first refuses, the second answers.
    user.ok(&[
        "config",
        "set",
        "tsa.urls",
        &format!("{},{}", refusing.url, basic.url),
    ]);
    let signed = user.sign(&dir.join("before-login.pdf"));
    assert_eq!(signed["shortfall"]["code"], "TSA_AUTH", "{signed}");

    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "mật-khẩu 42\n").expect("secret");
    user.ok(&[
        "tsa",
        "login",
        &basic.url,
        "--user",
        "vanthu",
        "--password-file",
        secret.to_str().unwrap(),
    ]);
    std::fs::write(&secret, "tok-ubnd-7").expect("secret");
    user.ok(&[
        "tsa",
        "login",
        &bearer.url,
        "--bearer",
        "--password-file",
        secret.to_str().unwrap(),
    ]);
    std::fs::remove_file(&secret).expect("remove the secret file");
    // The settings name how to log in; the secrets are only in the keychain.
    let config = std::fs::read_to_string(user.home.join("config.toml")).expect("config");
    assert!(
        config.contains("vanthu") && config.contains("bearer"),
        "{config}"
    );
    assert!(
        !config.contains("mật-khẩu") && !config.contains("tok-ubnd"),
        "{config}"
    );

    let signed = user.sign(&dir.join("basic.pdf"));
    assert_eq!(signed["level"], "B-T", "{signed}");
    assert!(signed.get("shortfall").is_none(), "{signed}");
    user.ok(&[
        "config",
        "set",
        "tsa.urls",
        &format!("{},{}", refusing.url, bearer.url),
    ]);
    let signed = user.sign(&dir.join("bearer.pdf"));
    assert_eq!(signed["level"], "B-T", "{signed}");
    // The failure of the first TSA is said on standard error (here: the progress lines).
    let out = user
        .kyso()
        .args(["timestamp"])
        .arg(dir.join("bearer.pdf"))
        .arg("-o")
        .arg(dir.join("bearer-ts.pdf"))
        .output()
        .expect("kyso timestamp");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&refusing.url) && stderr.contains("refused"),
        "{stderr}"
    );
}

#[test]
fn retry_after_is_waited_for_and_the_rate_limit_spares_the_tsa() {
    let dir = out_dir("tsa-rate");
    let tsa_dir = Tsa::make(&dir);
    // 429 with Retry-After: 1 to the first request: Kyso waits and asks again.
    let count = dir.join("count-429.txt");
    let throttled = Tsa::serve(
        &tsa_dir,
        &[
            "--mode",
            "rate-limit",
            "--limit",
            "1",
            "--retry-after",
            "1",
            "--count-file",
            count.to_str().unwrap(),
        ],
    );
    let user = User::new(&dir);
    user.ok(&["config", "set", "tsa.urls", &throttled.url]);
    let started = Instant::now();
    let signed = user.sign(&dir.join("throttled.pdf"));
    assert_eq!(signed["level"], "B-T", "{signed}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was waited for"
    );
    assert_eq!(std::fs::read_to_string(&count).unwrap().trim(), "2");

    // One request a minute: the second document, in another process, does not reach the
    // TSA (a minute's wait does not fit in the 5 s timeout) and is signed B-B, due.
    let count = dir.join("count-rate.txt");
    let good = Tsa::serve(&tsa_dir, &["--count-file", count.to_str().unwrap()]);
    user.ok(&["config", "set", "tsa.urls", &good.url]);
    user.ok(&["config", "set", "tsa.rate-per-minute", "1"]);
    user.ok(&["config", "set", "tsa.timeout-seconds", "5"]);
    let first = user.sign(&dir.join("first.pdf"));
    assert_eq!(first["level"], "B-T", "{first}");
    let second = user.sign(&dir.join("second.pdf"));
    assert_eq!(second["level"], "B-B", "{second}");
    assert_eq!(second["shortfall"]["code"], "TSA_RATE_LIMITED", "{second}");
    assert_eq!(
        std::fs::read_to_string(&count).unwrap().trim(),
        "1",
        "the rate limit kept the second request from the TSA"
    );
}

#[test]
fn kill_nine_during_an_upgrade_leaves_the_old_file_and_it_stays_due() {
    let dir = out_dir("tsa-kill9");
    let tsa_dir = Tsa::make(&dir);
    let user = User::new(&dir);
    // Signed while the TSA is down: B-B, due.
    let down = format!("http://127.0.0.1:{}/", free_port());
    user.ok(&["config", "set", "tsa.urls", &down]);
    let signed = dir.join("qd.pdf");
    let result = user.sign(&signed);
    assert_eq!(result["shortfall"]["code"], "TSA_UNREACHABLE", "{result}");
    let before = sha256(&signed);

    // A slow TSA: the upgrade is killed while it waits for the answer.
    let count = dir.join("count.txt");
    let slow = Tsa::serve(
        &tsa_dir,
        &[
            "--mode",
            "slow",
            "--delay",
            "30",
            "--count-file",
            count.to_str().unwrap(),
        ],
    );
    let mut upgrade = user
        .kyso()
        .args([
            "upgrade",
            "--in-place",
            "--level",
            "b-t",
            "--tsa",
            &slow.url,
        ])
        .arg(&signed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kyso upgrade");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&count).unwrap_or_default().trim() != "1" {
        assert!(Instant::now() < deadline, "the upgrade never asked the TSA");
        std::thread::sleep(Duration::from_millis(20));
    }
    upgrade.kill().expect("kill -9");
    let _ = upgrade.wait();
    assert_eq!(
        sha256(&signed),
        before,
        "the document is at its old level, untouched"
    );
    assert_eq!(user.level(&signed), "B-B");
    assert_eq!(user.due().len(), 1, "still due");

    // Then the TSA answers: the document is raised, no longer due.
    let good = Tsa::serve(&tsa_dir, &[]);
    let (code, up, _) = user.json(&[
        "upgrade",
        signed.to_str().unwrap(),
        "--in-place",
        "--level",
        "b-t",
        "--tsa",
        &good.url,
    ]);
    assert_eq!(code, 0, "{up}");
    assert_eq!(up["after"], "B-T", "{up}");
    assert_eq!(user.level(&signed), "B-T");
    assert!(user.due().is_empty(), "no longer due");
}
