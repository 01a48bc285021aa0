//! Shared set-up of the endpoint's tests: the real `kyso-exchange` binary on port 0, a ureq
//! client, edXML messages, PDFs (unsigned, and signed by Kyso with the test PKI).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use kyso_sync::edxml::{Business, Message, Reference, TraceHeader};
use kyso_sync::meta::{DocumentMeta, Organ, SignerInfo};
use kyso_sync::protocol::content_id;
use sha2::{Digest, Sha256};
use ureq::Agent;
use ureq::http::Response;

pub const ORGAN: &str = "000.00.00.H35";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kyso-exchange")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A running `kyso-exchange serve`, killed on drop.
pub struct Server {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub agent: Agent,
    child: Option<Child>,
    config: Option<String>,
    dialect: &'static str,
}

impl Server {
    /// Starts a server with a fresh database; `config` is the TOML text, if any.
    pub fn start(config: Option<&str>) -> Server {
        Server::start_dialect(config, "kyso")
    }

    /// Starts a server of `dialect` (`kyso`, `vdxp`, `lgsp-v1`) with a fresh database.
    pub fn start_dialect(config: Option<&str>, dialect: &'static str) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Server {
            dir,
            base: String::new(),
            agent: agent(),
            child: None,
            config: None,
            dialect,
        };
        s.launch(config);
        s
    }

    /// `kyso-exchange packages`: the dialects' packages.
    pub fn packages(&self) -> Vec<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_str(&self.command(&["packages"])).expect("packages JSON");
        v.as_array().cloned().unwrap_or_default()
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("exchange.db")
    }

    /// Stops the server (SIGKILL: no chance to tidy up) and starts it again on the same
    /// database, with `config` (None: the one it had).
    pub fn restart(&mut self, config: Option<&str>) {
        self.kill();
        let config = config.map(str::to_string).or_else(|| self.config.clone());
        self.agent = agent();
        self.launch(config.as_deref());
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn launch(&mut self, config: Option<&str>) {
        let mut cmd = Command::new(bin());
        cmd.arg("serve")
            .arg("--addr")
            .arg("127.0.0.1:0")
            .arg("--dialect")
            .arg(self.dialect)
            .arg("--db")
            .arg(self.db());
        if let Some(text) = config {
            let path = self.dir.path().join("config.toml");
            std::fs::write(&path, text).expect("write config");
            cmd.arg("--config").arg(&path);
        }
        self.config = config.map(str::to_string);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start kyso-exchange");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(!url.ends_with(":0"), "the real port is printed: {url}");
        self.base = url;
        self.child = Some(child);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `kyso-exchange ARGS… --db DB` output (must succeed).
    pub fn command(&self, args: &[&str]) -> String {
        let out = Command::new(bin())
            .args(args)
            .arg("--db")
            .arg(self.db())
            .output()
            .expect("run kyso-exchange");
        assert!(
            out.status.success(),
            "kyso-exchange {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn documents_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.command(&["documents", "--json"])).expect("documents JSON")
    }

    /// A bearer token for `demo`.
    pub fn token(&self) -> String {
        self.token_for("demo", "demo-secret")
    }

    pub fn token_for(&self, id: &str, secret: &str) -> String {
        let mut r = self
            .agent
            .post(self.url("/oauth/token"))
            .send_form([
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .expect("token request");
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = json(&mut r);
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// `PATCH /api/v1/blobs/{sha}`.
    pub fn patch(
        &self,
        token: &str,
        sha: &str,
        offset: u64,
        length: u64,
        chunk: &[u8],
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        self.agent
            .patch(self.url(&format!("/api/v1/blobs/{sha}")))
            .header("Authorization", format!("Bearer {token}"))
            .header("Upload-Offset", offset.to_string())
            .header("Upload-Length", length.to_string())
            .header("Content-Type", "application/octet-stream")
            .send(chunk)
    }

    /// `HEAD /api/v1/blobs/{sha}`: (status, Upload-Offset, Upload-Length).
    pub fn head(&self, token: &str, sha: &str) -> (u16, Option<u64>, Option<u64>) {
        let r = self
            .agent
            .head(self.url(&format!("/api/v1/blobs/{sha}")))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("HEAD");
        (
            r.status().as_u16(),
            header_u64(&r, "upload-offset"),
            header_u64(&r, "upload-length"),
        )
    }

    /// Uploads a whole blob in one chunk; gives its name.
    pub fn upload(&self, token: &str, bytes: &[u8]) -> String {
        let sha = sha256(bytes);
        let r = self
            .patch(token, &sha, 0, bytes.len() as u64, bytes)
            .expect("PATCH");
        assert_eq!(r.status(), 204);
        sha
    }

    /// `POST /api/v1/documents`.
    pub fn post_document(
        &self,
        token: &str,
        key: &str,
        xml: &str,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        self.agent
            .post(self.url("/api/v1/documents"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/xml; charset=utf-8")
            .send(xml.as_bytes())
    }

    pub fn get(&self, token: &str, path: &str) -> Response<ureq::Body> {
        self.agent
            .get(self.url(path))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("GET")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

pub fn header_u64(r: &Response<ureq::Body>, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

pub fn json(r: &mut Response<ureq::Body>) -> serde_json::Value {
    let text = r.body_mut().read_to_string().expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Asserts an error answer: status and `{"error": code, "message": …}`.
pub fn assert_error(r: &mut Response<ureq::Body>, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status(), status);
    let v = json(r);
    assert_eq!(v["error"], code, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    v
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64).wrapping_mul(2654435761) >> 7) as u8 ^ seed)
        .collect()
}

/// An edXML message from `from` to `to` naming the attachments (name, sha256).
pub fn message(to: &[&str], attachments: &[(&str, &str)], number: &str) -> String {
    let meta = DocumentMeta {
        from: Organ {
            organ_id: ORGAN.into(),
            name: "Ủy ban nhân dân tỉnh Hà Nam".into(),
            ..Organ::default()
        },
        to: to
            .iter()
            .map(|id| Organ {
                organ_id: (*id).into(),
                name: format!("Cơ quan {id}"),
                ..Organ::default()
            })
            .collect(),
        code_number: number.into(),
        code_notation: "QĐ-UBND".into(),
        promulgation_place: "Phủ Lý".into(),
        promulgation_date: "2026-11-20".into(),
        document_type: "1".into(),
        document_type_name: "Quyết định".into(),
        subject: "Về việc phê duyệt kế hoạch chuyển đổi số".into(),
        signer: SignerInfo {
            competence: "TM. Ủy ban nhân dân".into(),
            position: "Chủ tịch".into(),
            full_name: "Nguyễn Văn An".into(),
        },
        ..DocumentMeta::default()
    };
    let m = Message {
        document_id: meta.document_id(),
        traces: vec![TraceHeader {
            organ_id: ORGAN.into(),
            timestamp: "2026-11-22T08:00:00+07:00".into(),
        }],
        business: Business::default(),
        references: attachments
            .iter()
            .map(|(name, sha)| Reference {
                content_id: content_id(sha),
                attachment_name: (*name).into(),
                content_type: if name.ends_with(".pdf") {
                    "application/pdf".into()
                } else {
                    "application/octet-stream".into()
                },
                description: String::new(),
            })
            .collect(),
        attachments: Vec::new(),
        meta,
    };
    kyso_sync::edxml::to_xml(&m)
}

/// A small valid one-page PDF, written by hand with a correct cross-reference table.
pub fn unsigned_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 18 Tf 72 760 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The test PKI (tests/pki/make-pki.sh), built once and shared with the other crates' tests.
pub fn pki() -> &'static Path {
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let repo = repo();
        let pki = repo.join("target/test-data/pki");
        std::fs::create_dir_all(repo.join("target")).expect("target dir");
        let status = Command::new("flock")
            .arg(repo.join("target/test-data.lock"))
            .arg("bash")
            .arg(repo.join("tests/pki/make-pki.sh"))
            .arg(&pki)
            .status()
            .expect("run make-pki.sh");
        assert!(status.success(), "make-pki.sh failed");
        pki
    })
}

/// `unsigned_pdf(text)` signed by Kyso (kyso-core's signer, PAdES B-B) with
/// signer-modern.p12; gives the signed bytes.
pub fn signed_pdf(dir: &Path, text: &str) -> Vec<u8> {
    let pki = pki();
    let input = dir.join(format!("{text}.pdf"));
    let output = dir.join(format!("{text}.signed.pdf"));
    std::fs::write(&input, unsigned_pdf(text)).expect("write pdf");
    let password = std::fs::read_to_string(pki.join("p12-password.txt")).expect("p12 password");
    let signer = kyso_keys::Pkcs12Signer::open(&pki.join("signer-modern.p12"), &password)
        .expect("open the p12");
    kyso_core::sign_file(&input, &output, &signer, &kyso_core::SignOptions::default())
        .expect("sign");
    std::fs::read(&output).expect("read signed pdf")
}

/// A configuration with the test root as the only anchor, plus `extra` TOML.
pub fn config_with_anchor(extra: &str) -> String {
    let root = pki().join("root.pem");
    format!(
        "trust_anchors = [{:?}]\n{extra}",
        root.to_str().expect("utf-8 path")
    )
}

/// A document package (attachments embedded, as the provincial dialects carry them) from `from`
/// to `to`, numbered `number`, carrying `pdf` as `qd-{number}.pdf`.
pub fn package(from: &str, to: &[&str], number: &str, pdf: &[u8]) -> String {
    let xml = message(to, &[], number).replace(ORGAN, from);
    let mut m = kyso_sync::edxml::parse(xml.as_bytes()).expect("message");
    let id = format!("00000000-0000-4000-8000-{:0>12}", number);
    let name = format!("qd-{number}.pdf");
    m.references = vec![Reference {
        content_id: format!("cid:{id}"),
        attachment_name: name.clone(),
        content_type: "application/pdf".into(),
        description: "Văn bản".into(),
    }];
    m.attachments = vec![kyso_sync::edxml::Attachment {
        reference: Reference {
            content_id: id,
            attachment_name: name,
            content_type: "application/pdf".into(),
            description: "Văn bản".into(),
        },
        data: pdf.to_vec(),
    }];
    kyso_sync::edxml::to_xml(&m)
}

/// A status package from `from` about `document_id` (sent by `to`).
pub fn status_package(from: &str, to: &str, document_id: &str, code: &str, words: &str) -> String {
    kyso_sync::edxml::status_package_to_xml(&kyso_sync::edxml::StatusMessage {
        response_for: kyso_sync::meta::ResponseFor {
            organ_id: to.into(),
            code: "1/QĐ-UBND".into(),
            promulgation_date: "2026-11-20".into(),
            document_id: document_id.into(),
        },
        from: Organ {
            organ_id: from.into(),
            name: format!("Cơ quan {from}"),
            ..Organ::default()
        },
        status_code: code.into(),
        description: words.into(),
        timestamp: "2026/11/22 09:00:00".into(),
        staff: Some("Văn thư".into()),
    })
}
