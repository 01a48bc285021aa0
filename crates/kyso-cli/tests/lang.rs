//! The language of `kyso`: Vietnamese by default, English with `--lang en`, `KYSO_LANG=en` or
//! `kyso config set ui.lang en` (in that order of precedence); `--json` keeps its codes and
//! adds the message in the chosen language; and the advice when a chain stops at an issuer
//! Kyso does not hold. Needs only the test PKI (tests/pki/make-pki.sh) and a PDF made here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The test PKI, built once (and reused) by tests/pki/make-pki.sh, serialised with the
/// other test binaries by the same lock file as tests/common.
fn pki() -> PathBuf {
    static PKI: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
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
    .clone()
}

/// A fresh folder with its own KYSO_HOME and a one-page PDF, `a.pdf`.
struct Place {
    dir: PathBuf,
}

impl Place {
    fn new(name: &str) -> Place {
        let dir = repo().join("target/test-output/lang").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).expect("dir");
        std::fs::write(dir.join("a.pdf"), one_page_pdf()).expect("pdf");
        std::fs::write(dir.join("wrong.txt"), "not the password\n").expect("wrong password");
        Place { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs `kyso` with `args` in this place, the language variable as given (else unset).
    fn kyso(&self, args: &[&str], kyso_lang: Option<&str>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kyso"));
        command
            .args(args)
            .current_dir(&self.dir)
            .env("KYSO_HOME", self.dir.join("home"))
            .env_remove("KYSO_LANG")
            .env_remove("KYSO_P12_PASSWORD")
            .env_remove("KYSO_PDF_PASSWORD")
            .stdin(std::process::Stdio::null());
        if let Some(lang) = kyso_lang {
            command.env("KYSO_LANG", lang);
        }
        command.output().expect("run kyso")
    }

    /// `kyso sign a.pdf` with `p12` and the password file `password`.
    fn sign(&self, p12: &str, password: &Path, extra: &[&str], lang: Option<&str>) -> Output {
        let p12 = pki().join(p12);
        let mut args = vec![
            "sign",
            "a.pdf",
            "-o",
            "signed.pdf",
            "--p12",
            p12.to_str().unwrap(),
            "--p12-password-file",
            password.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.kyso(&args, lang)
    }

    fn sign_wrong(&self, extra: &[&str], lang: Option<&str>) -> String {
        let wrong = self.path("wrong.txt");
        let out = self.sign("signer-modern.p12", &wrong, extra, lang);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        stderr(&out)
    }

    fn sign_right(&self, p12: &str) {
        let out = self.sign(p12, &pki().join("p12-password.txt"), &[], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A minimal one-page PDF 1.7 with a correct xref table.
fn one_page_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

const VI_WRONG: &str = "[P12_WRONG_PASSWORD] Mật khẩu tệp chứng thư số";
const EN_WRONG: &str = "[P12_WRONG_PASSWORD] The password of the certificate file";
/// The English text of the error (its `Display`), shown beside the Vietnamese one.
const ENGLISH_DETAIL: &str = "signer-modern.p12 is wrong";

#[test]
fn a_wrong_p12_password_is_said_in_vietnamese_unless_english_is_chosen() {
    let place = Place::new("wrong-password");

    // Vietnamese by default, naming the file, with the English text on the next line.
    let vi = place.sign_wrong(&[], None);
    assert!(vi.contains(VI_WRONG), "{vi}");
    assert!(vi.contains("signer-modern.p12 không đúng."), "{vi}");
    let lines: Vec<&str> = vi.lines().collect();
    assert_eq!(lines.len(), 2, "{vi}");
    assert!(
        lines[0].starts_with("kyso: [P12_WRONG_PASSWORD] Mật khẩu"),
        "{vi}"
    );
    assert!(lines[1].contains("the password for") && lines[1].contains(ENGLISH_DETAIL));

    // English, three ways; nothing Vietnamese then.
    let by_flag = place.sign_wrong(&["--lang", "en"], None);
    let by_env = place.sign_wrong(&[], Some("en"));
    for en in [&by_flag, &by_env] {
        assert!(en.contains(EN_WRONG), "{en}");
        assert!(en.contains("signer-modern.p12 is wrong."), "{en}");
        assert!(!en.contains("Mật khẩu"), "{en}");
    }
    let set = place.kyso(&["config", "set", "ui.lang", "en"], None);
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    assert!(stdout(&set).contains("[ui]"), "{}", stdout(&set));
    let by_setting = place.sign_wrong(&[], None);
    assert!(by_setting.contains(EN_WRONG), "{by_setting}");

    // The order: --lang beats KYSO_LANG beats ui.lang.
    let flag_over_env = place.sign_wrong(&["--lang", "vi"], Some("en"));
    assert!(flag_over_env.contains(VI_WRONG), "{flag_over_env}");
    let env_over_setting = place.sign_wrong(&[], Some("vi"));
    assert!(env_over_setting.contains(VI_WRONG), "{env_over_setting}");

    // A KYSO_LANG that is no language is said, and the setting applies.
    let odd = place.sign_wrong(&[], Some("klingon"));
    assert!(odd.contains("KYSO_LANG=klingon"), "{odd}");
    assert!(odd.contains(EN_WRONG), "{odd}");

    // The system locale plays no part.
    let reset = place.kyso(&["config", "set", "ui.lang", ""], None);
    assert_eq!(reset.status.code(), Some(0), "{}", stderr(&reset));
    let wrong = place.path("wrong.txt");
    let out = place
        .sign("signer-modern.p12", &wrong, &[], None)
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains(VI_WRONG));
    let mut command = Command::new(env!("CARGO_BIN_EXE_kyso"));
    let p12 = pki().join("signer-modern.p12");
    let out = command
        .args(["sign", "a.pdf", "-o", "signed.pdf", "--p12"])
        .arg(&p12)
        .arg("--p12-password-file")
        .arg(&wrong)
        .current_dir(&place.dir)
        .env("KYSO_HOME", place.path("home"))
        .env_remove("KYSO_LANG")
        .env("LANG", "en_US.UTF-8")
        .env("LC_ALL", "en_US.UTF-8")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kyso");
    assert!(stderr(&out).contains(VI_WRONG), "{}", stderr(&out));
}

#[test]
fn json_keeps_its_codes_and_adds_the_message_in_the_chosen_language() {
    let place = Place::new("json");
    place.sign_right("signer-modern.p12");
    // An unreadable file: the error object of `kyso verify --json`.
    for (lang, text) in [
        ("vi", "Không đọc được tệp"),
        ("en", "The file missing.pdf cannot be read"),
    ] {
        let out = place.kyso(&["verify", "missing.pdf", "--json", "--lang", lang], None);
        assert_eq!(out.status.code(), Some(3));
        let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        assert_eq!(value["ok"], false);
        assert_eq!(value["code"], "INPUT_UNREADABLE");
        assert_eq!(value["exit_code"], 3);
        assert_eq!(value["path"], "missing.pdf");
        // `error` stays English whatever the language; `message` follows it.
        assert!(
            value["error"]
                .as_str()
                .is_some_and(|e| e.contains("cannot read the file")),
            "{value}"
        );
        assert!(
            value["message"].as_str().is_some_and(|m| m.contains(text)),
            "{lang}: {value}"
        );
        assert_eq!(value["params"]["file"], "missing.pdf", "{value}");
    }
    // A report: every reason keeps code, severity and detail, and gains its message.
    for (lang, text) in [
        ("vi", "Chứng thư gốc chưa được tin cậy"),
        ("en", "The root certificate is not trusted"),
    ] {
        let out = place.kyso(
            &[
                "verify",
                "signed.pdf",
                "--offline",
                "--json",
                "--lang",
                lang,
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let value: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        let reasons = &value["signatures"][0]["reasons"];
        let root = reasons
            .as_array()
            .and_then(|r| r.iter().find(|r| r["code"] == "CHAIN_UNTRUSTED_ROOT"))
            .unwrap_or_else(|| panic!("{value}"));
        assert_eq!(root["severity"], "indeterminate");
        assert!(
            root["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not a trusted root"))
        );
        assert_eq!(root["message"], text, "{root}");
        assert_eq!(root["advice"], "advice.trust_add_root");
        assert!(
            root["params"]["subject"]
                .as_str()
                .is_some_and(|s| s.contains("Kyso Test Root CA")),
            "{root}"
        );
    }
}

#[test]
fn the_verify_summary_is_in_the_chosen_language() {
    let place = Place::new("verify-text");
    place.sign_right("signer-modern.p12");
    let root = pki().join("root.pem");
    let args = [
        "verify",
        "signed.pdf",
        "--offline",
        "--trust",
        root.to_str().unwrap(),
    ];
    let vi = place.kyso(&args, None);
    assert_eq!(vi.status.code(), Some(0), "{}", stderr(&vi));
    let vi = stdout(&vi);
    assert!(vi.starts_with("Tệp signed.pdf: HỢP LỆ\n"), "{vi}");
    assert!(vi.contains("Chữ ký 1 (Signature1): HỢP LỆ"), "{vi}");
    assert!(vi.contains("Người ký: Nguyễn Văn An"), "{vi}");
    let en = place.kyso(&args, Some("en"));
    let en = stdout(&en);
    assert!(en.starts_with("File signed.pdf: VALID\n"), "{en}");
    assert!(en.contains("Signature 1 (Signature1): VALID"), "{en}");
    assert!(!en.contains("HỢP LỆ"), "{en}");
}

/// The report saved as a PDF says what the terminal says, in the run's language: qpdf finds
/// the file sound, pdftotext reads the Vietnamese back exactly, pdffonts shows the font
/// embedded as a subset with its ToUnicode map.
#[test]
fn the_report_as_a_pdf_reads_back_in_the_chosen_language() {
    let place = Place::new("report-pdf");
    place.sign_right("signer-modern.p12");
    let root = pki().join("root.pem");
    for (lang, title, verdict) in [
        (None, "Báo cáo kiểm tra chữ ký số", "Tệp signed.pdf: HỢP LỆ"),
        (
            Some("en"),
            "Signature verification report",
            "File signed.pdf: VALID",
        ),
    ] {
        let report = place.path(&format!("report-{}.pdf", lang.unwrap_or("vi")));
        let out = place.kyso(
            &[
                "verify",
                "signed.pdf",
                "--offline",
                "--trust",
                root.to_str().unwrap(),
                "--report-pdf",
                report.to_str().unwrap(),
            ],
            lang,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let check = Command::new("qpdf")
            .arg("--check")
            .arg(&report)
            .output()
            .expect("qpdf");
        assert!(check.status.success(), "qpdf: {}", stdout(&check));
        let text = Command::new("pdftotext")
            .args(["-layout"])
            .arg(&report)
            .arg("-")
            .output()
            .expect("pdftotext");
        let text = stdout(&text);
        assert!(text.contains(title), "{text}");
        assert!(text.contains(verdict), "{text}");
        assert!(text.contains("Nguyễn Văn An"), "{text}");
        let fonts = Command::new("pdffonts")
            .arg(&report)
            .output()
            .expect("pdffonts");
        let fonts = stdout(&fonts);
        assert!(fonts.contains("+LiberationSerif"), "{fonts}");
        assert!(
            fonts
                .lines()
                .filter(|l| l.contains("LiberationSerif"))
                .all(|l| l.contains("yes yes yes")),
            "embedded, subset, ToUnicode: {fonts}"
        );
    }
    // One report is of one file.
    let two = place.kyso(
        &["verify", "signed.pdf", "a.pdf", "--report-pdf", "x.pdf"],
        None,
    );
    assert_eq!(two.status.code(), Some(3));
    assert!(
        stderr(&two).contains("[REPORT_PDF_ONE_FILE]"),
        "{}",
        stderr(&two)
    );
    assert!(!place.path("x.pdf").exists());
}

/// The line of `text` that holds `code`, and the advice line after it (Vietnamese output).
fn reason_and_advice<'a>(text: &'a str, code: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(code))
        .unwrap_or_else(|| panic!("no {code}: {text}"));
    (lines[i], lines.get(i + 1).copied().unwrap_or(""))
}

#[test]
fn a_missing_issuer_is_named_and_the_likelier_fix_comes_first() {
    let place = Place::new("issuer-missing");
    // The signature holds the signer's certificate only; no anchor, no intermediate.
    place.sign_right("signer-nochain.p12");
    let verify = |lang: &str| {
        let out = place.kyso(&["verify", "signed.pdf", "--offline", "--lang", lang], None);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        stdout(&out)
    };
    let json = || -> serde_json::Value {
        let out = place.kyso(&["verify", "signed.pdf", "--offline", "--json"], None);
        serde_json::from_str(&stdout(&out)).expect("json")
    };
    let issuer_missing = |value: &serde_json::Value| -> serde_json::Value {
        value["signatures"][0]["reasons"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["code"] == "CHAIN_ISSUER_MISSING"))
            .cloned()
            .unwrap_or_else(|| panic!("{value}"))
    };
    let intermediate_ca = "CN=CA phục vụ các cơ quan Nhà nước Thử nghiệm";
    let root_ca = "CN=Kyso Test Root CA";

    // The chain stops at the signer (an end-entity certificate): its issuer is likely an
    // intermediate CA. Said first: --intermediate; the anchor mentioned after.
    let vi = verify("vi");
    let (reason, advice) = reason_and_advice(&vi, "CHAIN_ISSUER_MISSING");
    assert!(reason.contains(intermediate_ca), "{reason}");
    assert!(advice.contains("CA trung gian"), "{advice}");
    let first = advice.find("`kyso trust add --intermediate TỆP`");
    let other = advice.find("`kyso trust add TỆP`");
    assert!(
        first.is_some() && other.is_some() && first < other,
        "{advice}"
    );
    let en = verify("en");
    let (reason, _) = reason_and_advice(&en, "CHAIN_ISSUER_MISSING");
    let first = reason.find("--intermediate FILE");
    let other = reason.find("`kyso trust add FILE`");
    assert!(
        first.is_some() && other.is_some() && first < other,
        "{reason}"
    );
    let r = issuer_missing(&json());
    assert_eq!(r["advice"], "advice.trust_add_intermediate");
    assert!(
        r["params"]["issuer"]
            .as_str()
            .is_some_and(|i| i.starts_with(intermediate_ca))
    );

    // Store the intermediate as an intermediate, no anchor yet: the chain now stops at the
    // intermediate CA, a CA certificate: its issuer is likely the root, to be added as a
    // trust anchor. Said first: `kyso trust add`, naming the root's subject.
    let inter = pki().join("inter.pem");
    let added = place.kyso(
        &["trust", "add", inter.to_str().unwrap(), "--intermediate"],
        None,
    );
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("đã thêm CA trung gian"),
        "{}",
        stdout(&added)
    );
    let vi = verify("vi");
    let (reason, advice) = reason_and_advice(&vi, "CHAIN_ISSUER_MISSING");
    assert!(reason.contains(root_ca), "{reason}");
    assert!(
        advice.contains("CA gốc") && advice.contains("điểm tin cậy"),
        "{advice}"
    );
    let first = advice.find("`kyso trust add TỆP`");
    let other = advice.find("--intermediate");
    assert!(
        first.is_some() && other.is_some() && first < other,
        "{advice}"
    );
    let en = verify("en");
    let (reason, _) = reason_and_advice(&en, "CHAIN_ISSUER_MISSING");
    assert!(
        reason.contains(root_ca) && reason.contains("trust anchor"),
        "{reason}"
    );
    let first = reason.find("`kyso trust add FILE`");
    let other = reason.find("--intermediate FILE");
    assert!(
        first.is_some() && other.is_some() && first < other,
        "{reason}"
    );
    let r = issuer_missing(&json());
    assert_eq!(r["advice"], "advice.trust_add_anchor");
    assert!(
        r["params"]["issuer"]
            .as_str()
            .is_some_and(|i| i.starts_with(root_ca))
    );

    // Following the advice fixes it.
    let root = pki().join("root.pem");
    let added = place.kyso(&["trust", "add", root.to_str().unwrap()], None);
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let out = place.kyso(&["verify", "signed.pdf", "--offline"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn help_stays_english_with_a_vietnamese_line_per_command() {
    let place = Place::new("help");
    let out = place.kyso(&["--help"], None);
    let help = stdout(&out);
    assert!(help.contains("Usage: kyso"), "{help}");
    assert!(help.contains("--lang <vi|en>"), "{help}");
    for line in [
        "Ký số tệp PDF — sign",
        "Kiểm tra chữ ký số — verify",
        "Hộp thư đi — the documents",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.trim_start().starts_with("help "))
        .collect();
    assert!(commands.len() >= 20, "{help}");
    for c in commands {
        assert!(c.contains(" — "), "no Vietnamese line: {c}");
    }
}
