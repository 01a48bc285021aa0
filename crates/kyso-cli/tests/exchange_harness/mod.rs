//! The real reference exchange (`kyso-exchange serve`) started by the test on loopback, and
//! `kyso` clients with their own `KYSO_HOME` and keychain service, for the sync tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixtures, kyso, repo};

pub const CLIENT_ID: &str = "ubnd-hanam";
pub const CLIENT_SECRET: &str = "bí-mật-của-tỉnh-42";
pub const ORGAN_ID: &str = "000.00.00.H35";
pub const PEER_ID: &str = "sotttt-hanam";
pub const PEER_SECRET: &str = "so-tt-tt-secret";
pub const PEER_ORGAN: &str = "000.01.35.H35";

/// The `kyso-exchange` binary. `make test` builds it with every other target before the tests
/// (`cargo build --workspace --all-targets`) and names it in `KYSO_TEST_EXCHANGE_BIN`;
/// otherwise (`cargo test -p kyso-cli`) it is built here, once, next to `kyso`. Building it
/// here under `make test` would resolve features for that one package and rebuild half the
/// dependency tree.
pub fn exchange_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KYSO_TEST_EXCHANGE_BIN") {
        let bin = PathBuf::from(bin);
        assert!(
            bin.exists(),
            "KYSO_TEST_EXCHANGE_BIN={} is missing",
            bin.display()
        );
        return bin;
    }
    let kyso = PathBuf::from(env!("CARGO_BIN_EXE_kyso"));
    let bin = kyso.with_file_name("kyso-exchange");
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "kyso-exchange"])
            .current_dir(repo())
            .status()
            .expect("cargo build -p kyso-exchange");
        assert!(status.success(), "building kyso-exchange failed");
    });
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

/// The server's config: two clients (the province's office and a department), the test
/// root as trust anchor, and `extra` appended (e.g. a `[faults]` table).
pub fn server_config(extra: &str) -> String {
    let root = fixtures().pki.join("root.pem");
    format!(
        r#"trust_anchors = ["{root}"]

[[clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
organ_id = "{ORGAN_ID}"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"

[[clients]]
client_id = "{PEER_ID}"
client_secret = "{PEER_SECRET}"
organ_id = "{PEER_ORGAN}"
organ_name = "Sở Thông tin và Truyền thông tỉnh Hà Nam"

{extra}
"#,
        root = root.display()
    )
}

/// The login password of each client in [`dialect_config`] (lgsp-v1).
pub const CLIENT_PASSWORD: &str = "mật-khẩu-văn-thư";
pub const PEER_PASSWORD: &str = "mat-khau-so";
/// The application code the lgsp-v1 double expects of the office.
pub const APPLICATION_CODE: &str = "KYSO";

/// [`server_config`] with what the provincial dialects need too: the login passwords and
/// application code (lgsp-v1). `extra` is appended (e.g. a `[faults]` table).
pub fn dialect_config(top: &str, extra: &str) -> String {
    let root = fixtures().pki.join("root.pem");
    format!(
        r#"trust_anchors = ["{root}"]
{top}

[[clients]]
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
organ_id = "{ORGAN_ID}"
organ_name = "Ủy ban nhân dân tỉnh Hà Nam"
password = "{CLIENT_PASSWORD}"
application_code = "{APPLICATION_CODE}"

[[clients]]
client_id = "{PEER_ID}"
client_secret = "{PEER_SECRET}"
organ_id = "{PEER_ORGAN}"
organ_name = "Sở Thông tin và Truyền thông tỉnh Hà Nam"
password = "{PEER_PASSWORD}"

{extra}
"#,
        root = root.display()
    )
}

/// A running reference exchange; killed when dropped.
pub struct Exchange {
    pub dir: PathBuf,
    pub db: PathBuf,
    pub config: PathBuf,
    pub addr: String,
    /// The protocol it serves (`kyso`, `vdxp`, `lgsp-v1`).
    pub dialect: String,
    child: Option<Child>,
}

impl Exchange {
    /// Starts a server with `config` (TOML) on a free port, with its database in `dir`.
    pub fn start(dir: &Path, config: &str) -> Exchange {
        Exchange::start_dialect(dir, config, "kyso")
    }

    /// Starts a server of `dialect` with `config` (TOML) on a free port, its database in `dir`.
    pub fn start_dialect(dir: &Path, config: &str, dialect: &str) -> Exchange {
        std::fs::create_dir_all(dir).expect("exchange dir");
        let config_path = dir.join("exchange.toml");
        std::fs::write(&config_path, config).expect("exchange config");
        let mut exchange = Exchange {
            dir: dir.to_path_buf(),
            db: dir.join("exchange.db"),
            config: config_path,
            addr: "127.0.0.1:0".into(),
            dialect: dialect.to_string(),
            child: None,
        };
        exchange.launch();
        exchange
    }

    /// Restarts on the same address and database with another configuration.
    pub fn restart_with(&mut self, config: &str) {
        std::fs::write(&self.config, config).expect("exchange config");
        self.restart();
    }

    /// `kyso-exchange packages`: what the provincial dialects' double holds.
    pub fn packages(&self) -> Vec<serde_json::Value> {
        let out = Command::new(exchange_bin())
            .args(["packages", "--db"])
            .arg(&self.db)
            .output()
            .expect("kyso-exchange packages");
        assert!(
            out.status.success(),
            "kyso-exchange packages: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("packages");
        value.as_array().cloned().unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn launch(&mut self) {
        let mut child = Command::new(exchange_bin())
            .args([
                "serve",
                "--dialect",
                &self.dialect,
                "--addr",
                &self.addr,
                "--db",
            ])
            .arg(&self.db)
            .arg("--config")
            .arg(&self.config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kyso-exchange");
        let stdout = child.stdout.take().expect("exchange stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on http://") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("kyso-exchange did not say `listening on`");
        self.addr = addr;
        self.child = Some(child);
    }

    /// Stops the server (kill -9: it must survive that too).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts on the same address and database.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // The port may take a moment to be free again.
            if std::net::TcpListener::bind(&self.addr).is_ok() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.launch();
    }

    /// `kyso-exchange documents --json`: what arrived.
    pub fn documents(&self) -> Vec<serde_json::Value> {
        let out = Command::new(exchange_bin())
            .args(["documents", "--json", "--db"])
            .arg(&self.db)
            .output()
            .expect("kyso-exchange documents");
        assert!(
            out.status.success(),
            "kyso-exchange documents: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("documents JSON");
        match value {
            serde_json::Value::Array(items) => items,
            other => other
                .get("documents")
                .and_then(|d| d.as_array())
                .cloned()
                .unwrap_or_else(|| panic!("unexpected documents JSON: {other}")),
        }
    }

    /// `kyso-exchange send-to ORGAN FILE`: puts a document in an organ's inbox.
    pub fn send_to(&self, organ: &str, file: &Path, subject: &str) -> String {
        let out = Command::new(exchange_bin())
            .args(["send-to", "--db"])
            .arg(&self.db)
            .args(["--subject", subject, "--from", ORGAN_ID, organ])
            .arg(file)
            .output()
            .expect("kyso-exchange send-to");
        assert!(
            out.status.success(),
            "send-to: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Kyso user: their own `KYSO_HOME` and keychain service, configured for an exchange.
pub struct Client {
    pub home: PathBuf,
    service: String,
}

impl Client {
    /// Configures the exchange at `url` with fast retries, and stores the secret
    /// (`kyso login`, through the real keychain).
    pub fn new(home: &Path, url: &str, client_id: &str, secret: &str) -> Client {
        let _ = std::fs::remove_dir_all(home);
        std::fs::create_dir_all(home).expect("KYSO_HOME");
        let client = Client {
            home: home.to_path_buf(),
            service: format!(
                "test-sync-{}-{}",
                std::process::id(),
                home.file_name().unwrap_or_default().to_string_lossy()
            ),
        };
        for (key, value) in [
            ("exchange.url", url),
            ("exchange.client-id", client_id),
            ("sync.backoff-base-ms", "20"),
            ("sync.backoff-max-ms", "400"),
        ] {
            client.ok(&["config", "set", key, value]);
        }
        let secret_file = home.join("secret.txt");
        std::fs::write(&secret_file, secret).expect("secret file");
        let out = client
            .kyso()
            .arg("login")
            .arg("--secret-file")
            .arg(&secret_file)
            .output()
            .expect("kyso login");
        std::fs::remove_file(&secret_file).expect("remove secret file");
        assert!(
            out.status.success(),
            "kyso login: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        client
    }

    /// A user with an empty `KYSO_HOME` and a keychain service of their own; nothing set.
    pub fn bare(home: &Path) -> Client {
        let _ = std::fs::remove_dir_all(home);
        std::fs::create_dir_all(home).expect("KYSO_HOME");
        Client {
            home: home.to_path_buf(),
            service: format!(
                "test-sync-{}-{}",
                std::process::id(),
                home.file_name().unwrap_or_default().to_string_lossy()
            ),
        }
    }

    /// A user of a provincial dialect's platform: `exchange.dialect`, the system id (and for
    /// lgsp-v1 the user name and application code), fast retries, and `kyso login` with the
    /// secret (and password).
    pub fn new_dialect(home: &Path, url: &str, dialect: &str, who: &Who) -> Client {
        let client = Client::bare(home);
        let mut settings = vec![
            ("exchange.dialect", dialect),
            ("exchange.url", url),
            ("exchange.system-id", who.organ),
            ("sync.backoff-base-ms", "20"),
            ("sync.backoff-max-ms", "400"),
        ];
        if dialect == "lgsp-v1" {
            settings.push(("exchange.username", who.username));
            settings.push(("exchange.application-code", APPLICATION_CODE));
        }
        for (key, value) in settings {
            client.ok(&["config", "set", key, value]);
        }
        let out = client.login(who.secret, Some(who.password));
        assert!(
            out.status.success(),
            "kyso login: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        client
    }

    /// `kyso login` with this secret (and password): its output.
    pub fn login(&self, secret: &str, password: Option<&str>) -> std::process::Output {
        let secret_file = self.home.join("secret.txt");
        std::fs::write(&secret_file, secret).expect("secret file");
        let mut command = self.kyso();
        command.arg("login").arg("--secret-file").arg(&secret_file);
        let password_file = self.home.join("password.txt");
        if let Some(password) = password {
            std::fs::write(&password_file, password).expect("password file");
            command.arg("--password-file").arg(&password_file);
        }
        let out = command.output().expect("kyso login");
        let _ = std::fs::remove_file(&secret_file);
        let _ = std::fs::remove_file(&password_file);
        out
    }

    /// `kyso` with this user's environment.
    pub fn kyso(&self) -> Command {
        let mut command = kyso();
        command
            .env("KYSO_HOME", &self.home)
            .env("KYSO_KEYCHAIN_SERVICE", &self.service)
            .stdin(Stdio::null());
        command
    }

    /// Runs `kyso ARGS`, asserting success; gives stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kyso().args(args).output().expect("run kyso");
        assert!(
            out.status.success(),
            "kyso {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `kyso ARGS --json`: (exit code, JSON).
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self
            .kyso()
            .args(args)
            .arg("--json")
            .output()
            .expect("run kyso");
        let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "kyso {args:?} --json gave no JSON: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), value)
    }

    pub fn outbox(&self) -> Vec<serde_json::Value> {
        let (code, value) = self.json(&["outbox"]);
        assert_eq!(code, 0, "kyso outbox: {value}");
        value.as_array().cloned().unwrap_or_default()
    }

    /// Queues `file` with the metadata file `meta`.
    pub fn queue(&self, file: &Path, meta: &Path) -> serde_json::Value {
        let (code, value) = self.json(&[
            "queue",
            &file.to_string_lossy(),
            "--meta",
            &meta.to_string_lossy(),
        ]);
        assert_eq!(code, 0, "kyso queue {}: {value}", file.display());
        value
    }
}

/// Who a provincial platform's user is.
pub struct Who {
    pub organ: &'static str,
    pub secret: &'static str,
    pub username: &'static str,
    pub password: &'static str,
}

/// The province's office (the sender of the metadata template).
pub const OFFICE: Who = Who {
    organ: ORGAN_ID,
    secret: CLIENT_SECRET,
    username: CLIENT_ID,
    password: CLIENT_PASSWORD,
};

/// The department (the template's recipient).
pub const DEPARTMENT: Who = Who {
    organ: PEER_ORGAN,
    secret: PEER_SECRET,
    username: PEER_ID,
    password: PEER_PASSWORD,
};

/// A complete metadata file for a document numbered `number`: tests/sync/meta-template.toml
/// (shared with `make bench`), from [`ORGAN_ID`] to [`PEER_ORGAN`].
pub fn meta_toml(number: u32) -> String {
    let template = include_str!("../../../../tests/sync/meta-template.toml");
    assert!(template.contains(ORGAN_ID) && template.contains(PEER_ORGAN));
    template.replace("{number}", &number.to_string())
}

/// `count` distinct PDFs signed by Kyso with the test signer, in `dir`: copies of a corpus
/// file, each with its own comment line, signed as one batch.
pub fn signed_pdfs(dir: &Path, count: usize) -> Vec<PathBuf> {
    let f = fixtures();
    let inputs = dir.join("unsigned");
    let outputs = dir.join("signed");
    std::fs::create_dir_all(&inputs).expect("inputs");
    std::fs::create_dir_all(&outputs).expect("outputs");
    let source = std::fs::read(f.corpus.join("reportlab-vi.pdf")).expect("corpus PDF");
    for i in 0..count {
        let mut bytes = source.clone();
        bytes.extend_from_slice(format!("% copy {i}\n").as_bytes());
        std::fs::write(inputs.join(format!("qd-{i:04}.pdf")), bytes).expect("write input");
    }
    let password = f.pki.join("p12-password.txt");
    let out = kyso()
        .arg("sign")
        .arg(&inputs)
        .arg("--out-dir")
        .arg(&outputs)
        .arg("--p12")
        .arg(f.pki.join("signer-modern.p12"))
        .arg("--p12-password-file")
        .arg(&password)
        .arg("--json")
        .output()
        .expect("kyso sign");
    assert!(
        out.status.success(),
        "kyso sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&outputs)
        .expect("signed dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert_eq!(files.len(), count);
    files
}
