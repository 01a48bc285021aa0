//! Identities end to end, through the real `kyso` binary: the vault against a real Secret
//! Service (gnome-keyring, run these under `scripts/with-keyring.sh`), tokens against SoftHSM2
//! (docs/testing.md §2, §6). Every keychain-touching command runs under `timeout`.

mod common;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN_PIN: &str = "1234";

/// The vault tests need the private keyring of scripts/with-keyring.sh: fail, never skip.
fn require_keyring() {
    assert_eq!(
        std::env::var("KYSO_TEST_KEYRING").as_deref(),
        Ok("1"),
        "these tests need a real Secret Service: run them as \
         `scripts/with-keyring.sh cargo test -p kyso-cli --test identities` (make test does)"
    );
}

/// One user's state: a private KYSO_HOME and TMPDIR.
struct Home {
    dir: PathBuf,
    extra_env: Vec<(String, String)>,
    /// A command the kyso process runs under (e.g. `nsenter` into a token's namespaces).
    prefix: Vec<String>,
}

impl Home {
    fn new(name: &str) -> Self {
        let dir = out_dir(&format!("identities-{name}"));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        Home {
            dir,
            extra_env: Vec::new(),
            prefix: Vec::new(),
        }
    }
    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }
    fn env(mut self, k: &str, v: &str) -> Self {
        self.extra_env.push((k.into(), v.into()));
        self
    }
    /// `kyso ARGS` under `timeout 120` (and the prefix), stdin closed, with KYSO_HOME and
    /// TMPDIR set.
    fn run(&self, args: &[&OsStr], env: &[(&str, &str)]) -> Output {
        let mut cmd = match self.prefix.split_first() {
            Some((program, rest)) => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg("timeout");
                cmd
            }
            None => Command::new("timeout"),
        };
        cmd.arg("120")
            .arg(env!("CARGO_BIN_EXE_kyso"))
            .args(args)
            .env("KYSO_HOME", self.home())
            .env("TMPDIR", self.dir.join("tmp"))
            .env_remove("KYSO_PIN")
            .env_remove("KYSO_P12_PASSWORD")
            .env_remove("KYSO_PDF_PASSWORD")
            .stdin(Stdio::null());
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run kyso");
        assert_ne!(out.status.code(), Some(124), "kyso timed out: {args:?}");
        // Keep every output as a "log" for the leak scan.
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("kyso.log"))
            .unwrap();
        use std::io::Write;
        log.write_all(&out.stdout).unwrap();
        log.write_all(&out.stderr).unwrap();
        out
    }
    fn kyso(&self, args: &[&str]) -> Output {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        self.run(&args, &[])
    }
    fn kyso_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        self.run(&args, env)
    }
    fn import(&self, p12: &str, extra: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
        let f = fixtures();
        let p12 = f.pki.join(p12);
        let pw = f.pki.join("p12-password.txt");
        let mut args = vec![
            "id",
            "import",
            p12.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = self.kyso_env(&args, env);
        assert!(out.status.success(), "import failed: {}", text(&out));
        serde_json::from_slice(&out.stdout).expect("import JSON")
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `[CODE]` of a failed command, from its JSON line or its stderr.
fn assert_code(out: &Output, code: &str) {
    assert!(
        !out.status.success(),
        "expected {code}, got success: {}",
        text(out)
    );
    assert!(
        text(out).contains(&format!("\"{code}\"")) || text(out).contains(&format!("[{code}]")),
        "expected {code}: {}",
        text(out)
    );
}

fn keychain_service() -> String {
    format!(
        "kyso-{}",
        std::env::var("KYSO_KEYCHAIN_SERVICE").unwrap_or_default()
    )
}

fn secret_tool(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("20")
        .arg("secret-tool")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("secret-tool")
}

fn keychain_has(id: &str) -> bool {
    let out = secret_tool(&["lookup", "service", &keychain_service(), "username", id]);
    out.status.success() && !out.stdout.is_empty()
}

fn der_of(pem: &Path, kind: &str) -> Vec<u8> {
    let out = Command::new("openssl")
        .arg(kind)
        .arg("-in")
        .arg(pem)
        .args(["-outform", "DER"])
        .output()
        .expect("openssl");
    assert!(out.status.success());
    out.stdout
}

fn sign_args<'a>(input: &'a str, output: &'a str, identity: Option<&'a str>) -> Vec<&'a str> {
    let mut v = vec!["sign", input, "-o", output, "--json"];
    if let Some(id) = identity {
        v.extend(["--identity", id]);
    }
    v
}

#[test]
fn vault_both_encodings_sign_and_the_peers_accept() {
    require_keyring();
    let f = fixtures();
    let input = f.corpus.join("reportlab-vi.pdf");
    let input = input.to_str().unwrap();

    // Modern encoding, with chain; every operation.
    let a = Home::new("modern");
    let id = a.import("signer-modern.p12", &["--label", "Chữ ký An"], &[]);
    let id_str = id["id"].as_str().unwrap().to_string();
    assert_eq!(
        id["subject"],
        "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Quảng Ngãi, C=VN"
    );
    assert_eq!(id["label"], "Chữ ký An");
    assert_eq!(id["default"], true);
    assert_eq!(id["source"]["kind"], "vault");
    assert_eq!(id["key_bits"], 2048);
    assert!(keychain_has(&id_str));
    let vault_file = a.home().join("vault").join(format!("{id_str}.vault"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&vault_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(a.home().join("vault"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    let out_a = a.dir.join("a.signed.pdf");
    let out = a.kyso(&sign_args(input, out_a.to_str().unwrap(), Some(&id_str)));
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept(&out_a, None, 1);

    // show / list / rename / export-cert.
    let out = a.kyso(&["id", "show", &id_str, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["sha256_fingerprint"], id["sha256_fingerprint"]);
    assert!(
        a.kyso(&["id", "rename", &id_str, "Ký số An"])
            .status
            .success()
    );
    let out = a.kyso(&["id", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["identities"][0]["label"], "Ký số An");
    assert_eq!(list["default"], id_str.as_str());
    let der_path = a.dir.join("cert.der");
    assert!(
        a.kyso(&[
            "id",
            "export-cert",
            &id_str,
            "-o",
            der_path.to_str().unwrap(),
            "--der"
        ])
        .status
        .success()
    );
    assert_eq!(
        std::fs::read(&der_path).unwrap(),
        der_of(&f.pki.join("signer.pem"), "x509")
    );
    let out = a.kyso(&["id", "export-cert", &id_str]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("-----BEGIN CERTIFICATE-----\n"));
    // The same certificate twice: refused.
    let pw = f.pki.join("p12-password.txt");
    let out = a.kyso(&[
        "id",
        "import",
        f.pki.join("signer-legacy.p12").to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert_code(&out, "IDENTITY_EXISTS");

    // Legacy encoding, signing with the default identity (neither --identity nor --p12).
    let b = Home::new("legacy");
    let id_b = b.import("signer-legacy.p12", &[], &[]);
    let out_b = b.dir.join("b.signed.pdf");
    let out = b.kyso(&sign_args(input, out_b.to_str().unwrap(), None));
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept(&out_b, None, 1);

    // Empty password; no chain (the peers are given the intermediate).
    let c = Home::new("emptypass");
    let empty = c.dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let p12 = f.pki.join("signer-emptypass.p12");
    let out = c.kyso(&[
        "id",
        "import",
        p12.to_str().unwrap(),
        "--password-file",
        empty.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let d = Home::new("nochain");
    let id_d = d.import("signer-nochain.p12", &[], &[]);
    let out_d = d.dir.join("d.signed.pdf");
    let out = d.kyso(&sign_args(
        input,
        out_d.to_str().unwrap(),
        id_d["id"].as_str(),
    ));
    assert!(out.status.success(), "{}", text(&out));
    let verdict = judge_with(&out_d, None, 1, true);
    assert_eq!(verdict["all_ok"], true, "{verdict:#}");
    // Once the user stores the intermediate, Kyso completes the chain in the signature
    // itself: the peers then need nothing but the root.
    let inter = f.pki.join("inter.pem");
    let out = d.kyso(&["trust", "add", "--intermediate", inter.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out_e = d.dir.join("e.signed.pdf");
    let out = d.kyso(&sign_args(
        input,
        out_e.to_str().unwrap(),
        id_d["id"].as_str(),
    ));
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept(&out_e, None, 1);

    // Remove: keychain entry and file gone.
    for (home, id) in [(&a, id_str.as_str()), (&b, id_b["id"].as_str().unwrap())] {
        assert!(home.kyso(&["id", "remove", id]).status.success());
        assert!(!keychain_has(id), "keychain entry of {id} left behind");
        assert!(
            !home
                .home()
                .join("vault")
                .join(format!("{id}.vault"))
                .exists()
        );
    }
    assert_code(&a.kyso(&["id", "show", &id_str]), "IDENTITY_NOT_FOUND");
    assert_code(
        &a.kyso(&sign_args(input, out_a.to_str().unwrap(), None)),
        "NO_DEFAULT_IDENTITY",
    );
}

/// Every 16-byte window of `needle` in a set, then each file's windows looked up.
fn scan_for_key(dirs: &[&Path], key_der: &[u8], words: &[&[u8]]) -> Vec<String> {
    let windows: HashSet<&[u8]> = key_der.windows(16).collect();
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                stack.push(e.path());
            }
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        if bytes.windows(16).any(|w| windows.contains(w)) {
            found.push(format!("{}: a piece of the private key", p.display()));
        }
        for word in words {
            if bytes.windows(word.len()).any(|w| w == *word) {
                found.push(format!(
                    "{}: a secret ({})",
                    p.display(),
                    String::from_utf8_lossy(word)
                ));
            }
        }
    }
    found
}

#[test]
fn secrets_never_leak() {
    require_keyring();
    let f = fixtures();
    const PIN: &str = "Mã-PIN-bí-mật-735";
    let h = Home::new("leak").env("KYSO_PIN", PIN);
    let id = h.import("signer-modern.p12", &["--pin"], &[]);
    assert_eq!(id["source"]["pin"], true);
    let batch = h.dir.join("in");
    std::fs::create_dir_all(&batch).unwrap();
    for name in ["reportlab-vi.pdf", "gs.pdf", "cairo.pdf"] {
        std::fs::copy(f.corpus.join(name), batch.join(name)).unwrap();
    }
    let out_dir = h.dir.join("out");
    let out = h.kyso(&[
        "sign",
        batch.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(listing(&out_dir).len(), 3);
    assert_peers_accept(&out_dir.join("gs.signed.pdf"), None, 1);

    let key_der = der_of(&f.pki.join("signer.key"), "pkey");
    assert!(key_der.len() > 1000);
    let password = std::fs::read_to_string(f.pki.join("p12-password.txt")).unwrap();
    let password = password.trim_end_matches(['\n', '\r']);
    assert!(password.len() >= 4);
    let leaks = scan_for_key(
        &[
            &h.home(),
            &h.dir.join("tmp"),
            &out_dir,
            &h.dir.join("kyso.log"),
        ],
        &key_der,
        &[password.as_bytes(), PIN.as_bytes()],
    );
    assert!(leaks.is_empty(), "secrets found:\n{}", leaks.join("\n"));
}

#[test]
fn vault_failures_are_coded() {
    require_keyring();
    let f = fixtures();
    let input = f.corpus.join("gs.pdf");
    let input = input.to_str().unwrap();
    let h = Home::new("failures");
    let output = h.dir.join("o.pdf");
    let output = output.to_str().unwrap();

    // No keychain reachable: a clear error and nothing stored.
    let pw = f.pki.join("p12-password.txt");
    let p12 = f.pki.join("signer-3072.p12");
    let out = h.kyso_env(
        &[
            "id",
            "import",
            p12.to_str().unwrap(),
            "--password-file",
            pw.to_str().unwrap(),
        ],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    assert_code(&out, "KEYCHAIN_UNAVAILABLE");
    // Nothing stored: no identity list, no vault file (the empty lock file of the identity
    // list holds no data).
    let stored: Vec<String> = listing(&h.home())
        .into_iter()
        .filter(|name| name != "identities.lock")
        .collect();
    assert!(stored.is_empty(), "stored: {stored:?}");

    // A certificate that expired cannot sign: refused at import, not at the first signature.
    let expired = f.pki.join("expired.p12");
    let out = h.kyso(&[
        "id",
        "import",
        expired.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert_code(&out, "CERT_EXPIRED");
    let listed = h.kyso(&["id", "list", "--json"]);
    assert!(
        !text(&listed).contains("Phạm Văn Dũng"),
        "nothing imported: {}",
        text(&listed)
    );

    // Wrong PIN, missing PIN.
    let with_pin = h.import("signer-3072.p12", &["--pin"], &[("KYSO_PIN", "2468")]);
    let pin_id = with_pin["id"].as_str().unwrap();
    assert_code(
        &h.kyso_env(
            &sign_args(input, output, Some(pin_id)),
            &[("KYSO_PIN", "2469")],
        ),
        "PIN_WRONG",
    );
    assert_code(
        &h.kyso(&sign_args(input, output, Some(pin_id))),
        "PIN_REQUIRED",
    );
    let pin_file = h.dir.join("pin.txt");
    std::fs::write(&pin_file, "2468\n").unwrap();
    let mut args = sign_args(input, output, Some(pin_id));
    args.extend(["--pin-file", pin_file.to_str().unwrap()]);
    let out = h.kyso(&args);
    assert!(out.status.success(), "{}", text(&out));

    // Tampered blob.
    let plain = h.import("signer-modern.p12", &[], &[]);
    let plain_id = plain["id"].as_str().unwrap();
    let blob_path = h.home().join("vault").join(format!("{plain_id}.vault"));
    let original = std::fs::read(&blob_path).unwrap();
    let mut tampered = original.clone();
    let i = tampered.len() / 2;
    tampered[i] ^= 0x01;
    std::fs::write(&blob_path, &tampered).unwrap();
    assert_code(
        &h.kyso(&sign_args(input, output, Some(plain_id))),
        "VAULT_TAMPERED",
    );
    // Another identity's blob in its place: also refused.
    let other = h.home().join("vault").join(format!("{pin_id}.vault"));
    std::fs::copy(&other, &blob_path).unwrap();
    assert_code(
        &h.kyso(&sign_args(input, output, Some(plain_id))),
        "VAULT_TAMPERED",
    );
    std::fs::write(&blob_path, &original).unwrap();
    assert!(
        h.kyso(&sign_args(input, output, Some(plain_id)))
            .status
            .success()
    );

    // Keychain entry deleted behind our back.
    let out = secret_tool(&[
        "clear",
        "service",
        &keychain_service(),
        "username",
        plain_id,
    ]);
    assert!(out.status.success());
    assert_code(
        &h.kyso(&sign_args(input, output, Some(plain_id))),
        "VAULT_KEY_MISSING",
    );

    // Unknown identity; --p12 and --identity together.
    assert_code(
        &h.kyso(&sign_args(input, output, Some("nope"))),
        "IDENTITY_NOT_FOUND",
    );
    let out = h.kyso(&[
        "sign",
        input,
        "-o",
        output,
        "--identity",
        pin_id,
        "--p12",
        p12.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// Locks the keyring of a fresh nested private session (so other tests keep theirs).
#[test]
fn keychain_locked_is_coded() {
    require_keyring();
    let f = fixtures();
    let h = Home::new("locked");
    let script = format!(
        r#"set -u
K="{kyso}"; export KYSO_HOME="{home}"
timeout 60 "$K" id import "{pki}/signer-modern.p12" --password-file "{pki}/p12-password.txt" >/dev/null || exit 10
timeout 20 dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 11
timeout 60 "$K" sign "{input}" -o "{dir}/o.pdf" </dev/null; echo "sign rc=$?"
timeout 60 "$K" id import "{pki}/signer-3072.p12" --password-file "{pki}/p12-password.txt" </dev/null; echo "import rc=$?"
ls "$KYSO_HOME/vault" | wc -l | sed 's/^/vault files=/'
"#,
        kyso = env!("CARGO_BIN_EXE_kyso"),
        home = h.home().display(),
        pki = f.pki.display(),
        input = f.corpus.join("gs.pdf").display(),
        dir = h.dir.display(),
    );
    let out = Command::new("timeout")
        .arg("180")
        .arg(repo().join("scripts/with-keyring.sh"))
        .args(["bash", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("with-keyring.sh");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("sign rc=3"), "{t}");
    assert_eq!(t.matches("[KEYCHAIN_LOCKED]").count(), 2, "{t}");
    assert!(
        t.contains("vault files=1"),
        "the locked import stored something: {t}"
    );
}

/// A SoftHSM2 token "kyso" holding the signer's key (id 01), its certificate and the
/// intermediate, in a fresh directory.
struct SoftHsm {
    conf: PathBuf,
    dir: PathBuf,
}

impl SoftHsm {
    fn new(name: &str) -> Self {
        let f = fixtures();
        let dir = out_dir(&format!("softhsm-{name}"));
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        let util = |args: &[&str]| {
            let out = Command::new("softhsm2-util")
                .args(args)
                .env("SOFTHSM2_CONF", &conf)
                .output()
                .expect("softhsm2-util");
            assert!(
                out.status.success(),
                "softhsm2-util {args:?}: {}",
                text(&out)
            );
        };
        util(&[
            "--init-token",
            "--free",
            "--label",
            "kyso",
            "--so-pin",
            "5678",
            "--pin",
            TOKEN_PIN,
        ]);
        let key = f.pki.join("signer.key");
        util(&[
            "--import",
            key.to_str().unwrap(),
            "--token",
            "kyso",
            "--label",
            "signer",
            "--id",
            "01",
            "--pin",
            TOKEN_PIN,
        ]);
        // SOFTHSM2_CONF is read at C_Initialize: the certificates are written by a child
        // process (this test binary's ignored helper below) that has it in its environment.
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "provision_softhsm_token",
                "--ignored",
                "--nocapture",
            ])
            .env("SOFTHSM2_CONF", &conf)
            .env("KYSO_TEST_PROVISION", "1")
            .output()
            .expect("provisioning helper");
        assert!(out.status.success(), "provisioning failed: {}", text(&out));
        SoftHsm { conf, dir }
    }
}

/// Helper run by [`SoftHsm::new`] in a child process: writes the signer and intermediate
/// certificates onto the token next to the key.
#[test]
#[ignore = "helper: run by the token test in a child process"]
fn provision_softhsm_token() {
    if std::env::var("KYSO_TEST_PROVISION").as_deref() != Ok("1") {
        return;
    }
    let f = fixtures();
    for (pem, id, label) in [
        ("signer.pem", [1u8], "signer"),
        ("inter.pem", [2u8], "inter"),
    ] {
        kyso_keys::token::store_certificate(
            SOFTHSM_MODULE,
            "kyso",
            TOKEN_PIN,
            &id,
            label,
            &der_of(&f.pki.join(pem), "x509"),
        )
        .expect("store certificate");
    }
}

#[test]
fn token_sign_list_register_and_failures() {
    let f = fixtures();
    let hsm = SoftHsm::new("main");
    let conf = hsm.conf.to_str().unwrap().to_string();
    let h = Home::new("token").env("SOFTHSM2_CONF", &conf);

    let out = h.kyso(&["token", "list", "--module", SOFTHSM_MODULE, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let slots: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token"]["label"] == "kyso")
        .expect("token kyso listed");
    let certs = token["token"]["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "{token:#}");
    assert!(certs.iter().any(|c| c["key_id"] == "01"
        && c["subject"] == "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Quảng Ngãi, C=VN"));

    let out = h.kyso(&[
        "id",
        "add-token",
        "--module",
        SOFTHSM_MODULE,
        "--token",
        "kyso",
        "--label",
        "Token An",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let id: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(id["source"]["kind"], "token");
    assert_eq!(id["source"]["key_id"], "01");
    let id = id["id"].as_str().unwrap().to_string();

    // A batch of two files, PKCS#1 v1.5, then PSS; the peers judge.
    let batch = h.dir.join("in");
    std::fs::create_dir_all(&batch).unwrap();
    for name in ["reportlab-vi.pdf", "gs.pdf"] {
        std::fs::copy(f.corpus.join(name), batch.join(name)).unwrap();
    }
    let out_dir = h.dir.join("out");
    let out = h.kyso_env(
        &[
            "sign",
            batch.to_str().unwrap(),
            "--out-dir",
            out_dir.to_str().unwrap(),
            "--identity",
            &id,
            "--json",
        ],
        &[("KYSO_PIN", TOKEN_PIN)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let pss_out = h.dir.join("pss.pdf");
    let pin_file = h.dir.join("pin");
    std::fs::write(&pin_file, TOKEN_PIN).unwrap();
    let out = h.kyso(&[
        "sign",
        f.corpus.join("cairo.pdf").to_str().unwrap(),
        "-o",
        pss_out.to_str().unwrap(),
        "--identity",
        &id,
        "--pss",
        "--pin-file",
        pin_file.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept_all(&[
        (out_dir.join("reportlab-vi.signed.pdf"), None, 1),
        (out_dir.join("gs.signed.pdf"), None, 1),
        (pss_out.clone(), None, 1),
    ]);

    // Wrong PIN: coded, never retried (one failed login only).
    let input = f.corpus.join("gs.pdf");
    let o = h.dir.join("x.pdf");
    let args = sign_args(input.to_str().unwrap(), o.to_str().unwrap(), Some(&id));
    let out = h.kyso_env(&args, &[("KYSO_PIN", "9999")]);
    // SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a failed C_Login (it never locks, see
    // docs/tokens.md), which we report as its own code.
    assert_code(&out, "TOKEN_PIN_COUNT_LOW");
    assert!(
        text(&out).contains("wrong PIN for token kyso"),
        "{}",
        text(&out)
    );
    // No PIN at all.
    assert_code(&h.kyso(&args), "PIN_REQUIRED");
    // The right PIN still works: the wrong one was tried once, not retried into a lock.
    let out = h.kyso_env(&args, &[("KYSO_PIN", TOKEN_PIN)]);
    assert!(out.status.success(), "{}", text(&out));

    // Token absent: the same identity with a module that sees no such token.
    let empty = SoftHsmEmpty::new();
    let out = h.kyso_env(
        &args,
        &[
            ("KYSO_PIN", TOKEN_PIN),
            ("SOFTHSM2_CONF", empty.conf.to_str().unwrap()),
        ],
    );
    assert_code(&out, "TOKEN_ABSENT");
    let _ = &hsm.dir;
}

/// A SoftHSM2 configuration with no token at all (the token is "unplugged").
struct SoftHsmEmpty {
    conf: PathBuf,
}

impl SoftHsmEmpty {
    fn new() -> Self {
        let dir = out_dir("softhsm-empty");
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!("directories.tokendir = {}\n", dir.join("tokens").display()),
        )
        .unwrap();
        SoftHsmEmpty { conf }
    }
}

/// Three imports and three renames at once, as the desktop app and a terminal might: the
/// identity list's lock keeps every change (without it, the last writer wins).
#[test]
fn concurrent_changes_to_the_identity_list_are_all_kept() {
    require_keyring();
    let h = Home::new("concurrent");
    let p12s = ["signer-modern.p12", "signer-3072.p12", "signer-4096.p12"];
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = p12s
            .iter()
            .map(|p12| {
                let h = &h;
                scope.spawn(move || h.import(p12, &[], &[])["id"].as_str().unwrap().to_string())
            })
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    std::thread::scope(|scope| {
        for (i, id) in ids.iter().enumerate() {
            let h = &h;
            scope.spawn(move || {
                let out = h.kyso(&["id", "rename", id, &format!("Chữ ký {i}")]);
                assert!(out.status.success(), "{}", text(&out));
            });
        }
    });
    let out = h.kyso(&["id", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut labels: Vec<String> = list
        .as_array()
        .or_else(|| list["identities"].as_array())
        .expect("identity list")
        .iter()
        .map(|i| i["label"].as_str().unwrap_or("").to_string())
        .collect();
    labels.sort();
    assert_eq!(labels, ["Chữ ký 0", "Chữ ký 1", "Chữ ký 2"], "{list:#}");
    for id in &ids {
        let out = h.kyso(&["id", "remove", id]);
        assert!(out.status.success(), "{}", text(&out));
    }
}

/// opencryptoki's soft token (Debian's `opencryptoki`): a real PKCS#11 module that counts wrong
/// user PINs and locks after three, which SoftHSM2 never does. Its daemon runs in private mount
/// and IPC namespaces (tests/token/opencryptoki-ns.sh), a child of the test, killed on drop;
/// every command that talks to it runs under `nsenter` into them.
struct OpenCryptoki {
    daemon: std::process::Child,
    dir: PathBuf,
    module: String,
    prefix: Vec<String>,
}

const OCK_SO_PIN: &str = "87654321";

impl OpenCryptoki {
    fn start(name: &str) -> Self {
        let dir = out_dir(&format!("opencryptoki-{name}"));
        let module = std::fs::read_dir("/usr/lib")
            .expect("/usr/lib")
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("pkcs11/libopencryptoki.so"))
            .chain([PathBuf::from("/usr/lib/opencryptoki/libopencryptoki.so")])
            .find(|p| p.exists())
            .expect("opencryptoki is not installed (scripts/install-deps.sh installs it)");
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        // Root gets private mount and IPC namespaces; anyone else a user namespace first.
        let mut unshare = Command::new("unshare");
        if !root {
            unshare
                .args(["--user", "--map-root-user"])
                .env("KYSO_OCK_USERNS", "1");
        }
        let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
        let daemon = unshare
            .args(["--mount", "--ipc", "--propagation", "private", "--", "sh"])
            .arg(repo().join("tests/token/opencryptoki-ns.sh"))
            .arg(dir.join("state"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("unshare");
        let mut prefix = vec![
            "nsenter".to_string(),
            "-t".to_string(),
            daemon.id().to_string(),
            "-m".to_string(),
            "-i".to_string(),
        ];
        if !root {
            prefix.extend(["-U".to_string(), "--preserve-credentials".to_string()]);
        }
        prefix.push("--".to_string());
        let ock = OpenCryptoki {
            daemon,
            dir,
            module: module.display().to_string(),
            prefix,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !ock
            .run("test", &["-S", "/run/pkcsslotd.socket"])
            .status
            .success()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "pkcsslotd did not start: {}",
                std::fs::read_to_string(ock.dir.join("daemon.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ock
    }

    /// `program ARGS` inside the daemon's namespaces.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(&self.prefix[0])
            .args(&self.prefix[1..])
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("nsenter")
    }

    fn pkcs11_tool(&self, args: &[&str]) -> Output {
        let mut all = vec!["--module", self.module.as_str()];
        all.extend_from_slice(args);
        let out = self.run("pkcs11-tool", &all);
        assert!(out.status.success(), "pkcs11-tool {args:?}: {}", text(&out));
        out
    }

    /// The security officer sets the user PIN to [`TOKEN_PIN`] (C_InitPIN, which also clears
    /// the count of wrong PINs and a lock).
    fn reset_user_pin(&self) {
        self.pkcs11_tool(&[
            "--slot",
            "0",
            "--login",
            "--login-type",
            "so",
            "--so-pin",
            OCK_SO_PIN,
            "--init-pin",
            "--new-pin",
            TOKEN_PIN,
        ]);
    }

    /// A token `kyso` with the user PIN [`TOKEN_PIN`], the signer's key and certificate
    /// (CKA_ID 01) and the intermediate's certificate (02), from the test PKI.
    fn provision(&self) {
        let f = fixtures();
        let der = |what: &str, input: &Path, name: &str| {
            let output = self.dir.join(name);
            let args: Vec<&OsStr> = match what {
                "key" => vec!["pkey".as_ref(), "-in".as_ref(), input.as_os_str()],
                _ => vec!["x509".as_ref(), "-in".as_ref(), input.as_os_str()],
            };
            let out = Command::new("openssl")
                .args(args)
                .args(["-outform", "DER", "-out"])
                .arg(&output)
                .output()
                .expect("openssl");
            assert!(out.status.success(), "openssl: {}", text(&out));
            output.display().to_string()
        };
        let key = der("key", &f.pki.join("signer.key"), "signer.key.der");
        let cert = der("cert", &f.pki.join("signer.pem"), "signer.der");
        let inter = der("cert", &f.pki.join("inter.pem"), "inter.der");
        self.pkcs11_tool(&[
            "--slot",
            "0",
            "--init-token",
            "--label",
            "kyso",
            "--so-pin",
            OCK_SO_PIN,
        ]);
        self.reset_user_pin();
        for (file, kind, id, label) in [
            (&key, "privkey", "01", "signer"),
            (&cert, "cert", "01", "signer"),
            (&inter, "cert", "02", "inter"),
        ] {
            self.pkcs11_tool(&[
                "--login",
                "--pin",
                TOKEN_PIN,
                "--write-object",
                file,
                "--type",
                kind,
                "--id",
                id,
                "--label",
                label,
            ]);
        }
    }
}

impl Drop for OpenCryptoki {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A real token that counts wrong PINs: each wrong PIN moves its counter exactly one step
/// (Kyso never retries), the error says what the token reports (few tries left, then ONE try
/// left, then locked), and once locked even the right PIN is refused, before any login.
#[test]
fn a_token_that_counts_wrong_pins_locks_and_kyso_never_retries() {
    let f = fixtures();
    let ock = OpenCryptoki::start("pin-lock");
    ock.provision();
    let mut h = Home::new("token-lock");
    h.prefix = ock.prefix.clone();
    let module = ock.module.clone();
    let flags = |h: &Home| -> serde_json::Value {
        let out = h.kyso(&["token", "list", "--module", &module, "--json"]);
        assert!(out.status.success(), "{}", text(&out));
        let slots: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let token = slots[0]["token"].clone();
        assert_eq!(token["label"], "kyso", "{slots:#}");
        serde_json::json!([
            token["pin_count_low"],
            token["pin_final_try"],
            token["pin_locked"]
        ])
    };
    assert_eq!(flags(&h), serde_json::json!([false, false, false]));

    let out = h.kyso(&[
        "id",
        "add-token",
        "--module",
        &module,
        "--token",
        "kyso",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let id: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        id["subject"],
        "CN=Nguyễn Văn An, O=Văn phòng Tỉnh ủy, L=Quảng Ngãi, C=VN"
    );
    let id = id["id"].as_str().unwrap().to_string();

    let input = f.corpus.join("gs.pdf");
    let right = h.dir.join("pin-right");
    let wrong = h.dir.join("pin-wrong");
    std::fs::write(&right, TOKEN_PIN).unwrap();
    std::fs::write(&wrong, "9999").unwrap();
    let sign = |pin: &Path, name: &str| {
        let output = h.dir.join(name);
        let out = h.kyso(&[
            "sign",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--identity",
            &id,
            "--pin-file",
            pin.to_str().unwrap(),
        ]);
        (out, output)
    };

    // The right PIN signs, and the peers accept the token's signature.
    let (out, signed) = sign(&right, "signed.pdf");
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept(&signed, None, 1);

    // Three wrong PINs, one command each: the counter moves one step per command.
    for (n, (code, flags_after)) in [
        ("TOKEN_PIN_COUNT_LOW", [true, false, false]),
        ("TOKEN_PIN_FINAL_TRY", [false, true, false]),
        ("TOKEN_PIN_LOCKED", [false, false, true]),
    ]
    .into_iter()
    .enumerate()
    {
        let (out, output) = sign(&wrong, &format!("wrong-{n}.pdf"));
        assert_code(&out, code);
        assert!(!output.exists(), "no output after a wrong PIN");
        assert_eq!(
            flags(&h),
            serde_json::json!(flags_after),
            "after wrong PIN {}",
            n + 1
        );
    }
    assert!(
        text(&sign(&wrong, "x.pdf").0).contains("TOKEN_PIN_LOCKED"),
        "a locked token stays locked"
    );
    // Locked: even the right PIN is refused, and the token agrees (CKR_PIN_LOCKED).
    let (out, output) = sign(&right, "after-lock.pdf");
    assert_code(&out, "TOKEN_PIN_LOCKED");
    assert!(!output.exists());
    let raw = ock.run(
        "pkcs11-tool",
        &["--module", &module, "--login", "--pin", TOKEN_PIN, "-O"],
    );
    assert!(text(&raw).contains("CKR_PIN_LOCKED"), "{}", text(&raw));

    // The security officer resets the PIN; signing works again.
    ock.reset_user_pin();
    let (out, signed) = sign(&right, "after-reset.pdf");
    assert!(out.status.success(), "{}", text(&out));
    assert_peers_accept(&signed, None, 1);
}
