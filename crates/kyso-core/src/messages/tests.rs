//! The catalogue is whole: both languages have the same keys and placeholders, every code
//! the code base can emit has a text in each, and every error renders without a placeholder
//! left unfilled.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;

fn io() -> std::io::Error {
    std::io::Error::other("disk said no")
}

#[test]
fn both_files_parse_as_flat_objects_of_strings() {
    for (name, json) in [("vi.json", VI_JSON), ("en.json", EN_JSON)] {
        let parsed = parse_catalogue(json);
        assert!(parsed.is_ok(), "{name}: {parsed:?}");
        assert!(
            parsed.is_ok_and(|c| c.len() > 100),
            "{name} is nearly empty"
        );
    }
}

#[test]
fn vietnamese_and_english_have_the_same_keys_texts_and_placeholders() {
    let vi = catalogue(Lang::Vi);
    let en = catalogue(Lang::En);
    let vi_keys: BTreeSet<&String> = vi.keys().collect();
    let en_keys: BTreeSet<&String> = en.keys().collect();
    assert_eq!(
        vi_keys.difference(&en_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in vi.json only"
    );
    assert_eq!(
        en_keys.difference(&vi_keys).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "in en.json only"
    );
    for (key, vi_text) in vi {
        let en_text = &en[key];
        assert!(!vi_text.trim().is_empty(), "{key}: empty Vietnamese text");
        assert!(!en_text.trim().is_empty(), "{key}: empty English text");
        assert_eq!(
            placeholders(vi_text),
            placeholders(en_text),
            "{key}: the placeholders differ between vi and en"
        );
        // The English cause is shown beside the text, never inside it (docs/decisions.md).
        assert!(
            !placeholders(vi_text).contains("detail"),
            "{key} places {{detail}}"
        );
    }
}

#[test]
fn vietnamese_texts_are_vietnamese() {
    // A Vietnamese text copied from English by mistake has no Vietnamese letter. The few
    // exceptions are names, units and commands, or Vietnamese words without diacritics.
    let same_in_both = [
        "cli.hint.TSA_NOT_CONFIGURED",
        "cli.id.kind.token",
        "cli.id.show.bits",
        "cli.id.show.sha256",
        "cli.info.bytes",
        "cli.result.ok",
        "cli.token.slot",
        "cli.trust.kind.intermediate",
        "report.page",
    ];
    let vietnamese = |s: &str| {
        s.chars().any(|c| {
            "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
                .contains(c.to_lowercase().next().unwrap_or(c))
        })
    };
    for (key, text) in catalogue(Lang::Vi) {
        if same_in_both.contains(&key.as_str()) {
            continue;
        }
        assert!(vietnamese(text), "{key}: “{text}” has no Vietnamese letter");
    }
}

#[test]
fn text_fills_placeholders_and_falls_back_to_the_key() {
    assert_eq!(
        text(Lang::Vi, "P12_WRONG_PASSWORD", &[("file", "a.p12")]),
        "Mật khẩu tệp chứng thư số a.p12 không đúng."
    );
    assert_eq!(
        text(Lang::En, "P12_WRONG_PASSWORD", &[("file", "a.p12")]),
        "The password of the certificate file a.p12 is wrong."
    );
    assert_eq!(
        text(Lang::En, "NO_SUCH_KEY_AT_ALL", &[]),
        "NO_SUCH_KEY_AT_ALL"
    );
    assert!(!has(Lang::Vi, "NO_SUCH_KEY_AT_ALL"));
    assert_eq!(fill("{a} {b} {} {A} {", &[("a", "1")]), "1 {b} {} {A} {");
    assert_eq!(
        placeholders("{file}: {count} {} {Upper}"),
        BTreeSet::from(["count", "file"])
    );
}

#[test]
fn languages_parse_from_their_codes_only() {
    assert_eq!(Lang::default(), Lang::Vi);
    assert_eq!(Lang::parse("vi"), Some(Lang::Vi));
    assert_eq!(Lang::parse(" EN "), Some(Lang::En));
    assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
    assert_eq!(Lang::parse("vi-VN"), Some(Lang::Vi));
    assert_eq!(Lang::parse("fr"), None);
    assert_eq!(Lang::parse(""), None);
    assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
}

#[test]
fn a_problem_names_its_file_in_the_text_or_before_it() {
    let wrong = kyso_keys::KeyError::WrongPassword {
        source_name: "a.p12".into(),
    };
    let p = Problem::of(&wrong);
    assert_eq!(p.code, "P12_WRONG_PASSWORD");
    assert_eq!(
        p.message(Lang::Vi),
        "Mật khẩu tệp chứng thư số a.p12 không đúng."
    );
    assert_eq!(p.english, "the password for a.p12 is wrong");
    // PDF_DAMAGED's text does not place the file: the file comes first.
    let damaged = crate::Error::Pdf {
        path: "hồ-sơ.pdf".into(),
        source: kyso_pdf::PdfError::Damaged("xref at 12 is cut".into()),
    };
    let p = Problem::of(&damaged);
    assert_eq!(
        p.message(Lang::Vi),
        "hồ-sơ.pdf: Tệp PDF bị hỏng hoặc không đầy đủ."
    );
    assert_eq!(
        p.message(Lang::En),
        "hồ-sơ.pdf: The PDF file is damaged or incomplete."
    );
    assert_eq!(p.detail(), Some("xref at 12 is cut"));
    assert_eq!(
        p.params_json(),
        serde_json::json!({"file": "hồ-sơ.pdf", "detail": "xref at 12 is cut"})
    );
}

/// Every error `e` renders in both languages with each placeholder filled.
fn renders<E: Coded + ?Sized>(e: &E) {
    let p = Problem::of(e);
    for lang in Lang::ALL {
        assert!(has(lang, &p.code), "{}: no {lang} text", p.code);
        let text = p.message(lang);
        assert!(
            placeholders(&text).is_empty(),
            "{} ({lang}) leaves a placeholder: {text} (params {:?})",
            p.code,
            p.params
        );
    }
}

#[test]
fn every_error_renders_in_both_languages() {
    use kyso_cms::CmsError;
    use kyso_cms::tsp::TspError;
    use kyso_keys::KeyError;
    use kyso_pdf::PdfError;
    use kyso_pdf::appearance::AppearanceError;
    use kyso_pdf::signature::PlanError;

    let pdf = || {
        vec![
            PdfError::Io(io()),
            PdfError::NotPdf,
            PdfError::Damaged("x".into()),
            PdfError::MissingObject(kyso_pdf::ObjectId {
                number: 3,
                generation: 0,
            }),
            PdfError::PasswordRequired,
            PdfError::WrongPassword,
            PdfError::UnsupportedEncryption("x".into()),
            PdfError::PermissionDenied("modifying"),
            PdfError::Unsupported("x".into()),
        ]
    };
    let appearance = || {
        vec![
            AppearanceError::FontUnreadable("x".into()),
            AppearanceError::FontNotEmbeddable { font: "F".into() },
            AppearanceError::MissingGlyph {
                ch: 'ứ',
                font: "F".into(),
            },
            AppearanceError::FontSubset {
                font: "F".into(),
                reason: "x".into(),
            },
            AppearanceError::UnsupportedImage("x".into()),
            AppearanceError::ImageUnreadable("x".into()),
            AppearanceError::ImageTooLarge("x".into()),
        ]
    };
    let plan = || {
        let mut v = vec![
            PlanError::CertifiedNoChanges,
            PlanError::CertifiedExistingFieldsOnly(2),
            PlanError::CertifyAfterSignature,
            PlanError::FieldAlreadySigned("f".into()),
            PlanError::FieldNotSignature("f".into()),
            PlanError::RecoveredWithSignatures,
            PlanError::XrefOffsetsWrong,
            PlanError::PageOutOfRange { page: 9, count: 2 },
            PlanError::BoxOutsidePage {
                page: 1,
                reason: "x".into(),
            },
            PlanError::FieldExists("f".into()),
            PlanError::FieldMissing("f".into()),
            PlanError::FieldNotText("f".into()),
        ];
        v.extend(appearance().into_iter().map(PlanError::Appearance));
        v.extend(pdf().into_iter().map(PlanError::Pdf));
        v
    };
    let cms = || {
        vec![
            CmsError::Malformed("x".into()),
            CmsError::CertificateMalformed("x".into()),
            CmsError::NotSignedData {
                content_type: "1.2".into(),
            },
            CmsError::TrailingData { offset: 4 },
            CmsError::UnsupportedAlgorithm("x".into()),
            CmsError::UnsupportedKey("x".into()),
            CmsError::InvalidInput("x".into()),
            CmsError::NoSuchSigner { index: 1, count: 1 },
        ]
    };
    let tsp = vec![
        TspError::Rejected {
            status: 2,
            text: "no".into(),
            failures: vec!["badAlg"],
        },
        TspError::BadResponse("x".into()),
        TspError::WrongImprint,
        TspError::WrongNonce,
        TspError::NotATsa("x".into()),
        TspError::Malformed("x".into()),
        TspError::Unsupported("x".into()),
        TspError::InvalidInput("x".into()),
    ];
    let name = || "a.p12".to_string();
    let keys = || {
        let mut v = vec![
            KeyError::Io {
                path: "a.p12".into(),
                source: io(),
            },
            KeyError::NotPkcs12 {
                source_name: name(),
            },
            KeyError::WrongPassword {
                source_name: name(),
            },
            KeyError::Malformed {
                source_name: name(),
                detail: "x".into(),
            },
            KeyError::UnsupportedEncryption {
                source_name: name(),
                detail: "x".into(),
            },
            KeyError::NoPrivateKey {
                source_name: name(),
            },
            KeyError::NoMatchingCertificate {
                source_name: name(),
            },
            KeyError::UnsupportedKey {
                source_name: name(),
                algorithm: "EC".into(),
            },
            KeyError::SeveralKeys {
                source_name: name(),
                keys: vec!["a".into(), "b".into()],
            },
            KeyError::CertExpired {
                subject: "CN=A".into(),
                date: "2020-01-01".into(),
            },
            KeyError::CertNotYetValid {
                subject: "CN=A".into(),
                date: "2030-01-01".into(),
            },
            KeyError::CertKeyUsage {
                subject: "CN=A".into(),
            },
            KeyError::CertWeakKey {
                subject: "CN=A".into(),
                bits: 1024,
            },
            KeyError::UnsupportedDigest("SHA-1"),
            KeyError::SigningFailed("x".into()),
            KeyError::KeyIndexOutOfRange {
                source_name: name(),
                index: 3,
                count: 2,
            },
            KeyError::KeychainUnavailable { detail: "x".into() },
            KeyError::KeychainLocked { detail: "x".into() },
            KeyError::VaultKeyMissing {
                identity: "i".into(),
            },
            KeyError::VaultFileMissing {
                identity: "i".into(),
                path: "v.bin".into(),
            },
            KeyError::VaultTampered {
                identity: "i".into(),
                path: "v.bin".into(),
            },
            KeyError::PinWrong {
                identity: "i".into(),
            },
            KeyError::PinRequired {
                identity: "i".into(),
            },
            KeyError::IdentityNotFound { id: "x".into() },
            KeyError::IdentityAmbiguous {
                id: "x".into(),
                matches: vec!["x1".into(), "x2".into()],
            },
            KeyError::IdentityExists { id: "x".into() },
            KeyError::NoDefaultIdentity,
            KeyError::RegistryDamaged {
                path: "ids.json".into(),
                detail: "x".into(),
            },
            KeyError::TokenModule {
                module: "m.so".into(),
                detail: "x".into(),
            },
            KeyError::TokenAbsent { token: "t".into() },
            KeyError::TokenPinLocked { token: "t".into() },
            KeyError::TokenKeyNotFound {
                token: "t".into(),
                key_id: None,
            },
            KeyError::TokenSeveralKeys {
                token: "t".into(),
                key_ids: vec!["01".into(), "02".into()],
            },
            KeyError::TokenFailed {
                token: "t".into(),
                detail: "x".into(),
            },
        ];
        for remaining in [
            kyso_keys::token::PinTries::Unknown,
            kyso_keys::token::PinTries::CountLow,
            kyso_keys::token::PinTries::FinalTry,
        ] {
            v.push(KeyError::TokenPinWrong {
                token: "t".into(),
                remaining,
            });
        }
        v.extend(cms().into_iter().map(KeyError::Cms));
        v
    };
    let tsa = || {
        use crate::timestamp::TsaFailure as T;
        let url = || "http://tsa".to_string();
        vec![
            T::NotConfigured,
            T::Unreachable {
                url: url(),
                detail: "x".into(),
            },
            T::Timeout {
                url: url(),
                seconds: 5,
            },
            T::Rejected {
                url: url(),
                text: "x".into(),
            },
            T::BadResponse {
                url: url(),
                detail: "x".into(),
            },
            T::WrongImprint { url: url() },
            T::WrongNonce { url: url() },
            T::NotATsa {
                url: url(),
                detail: "x".into(),
            },
            T::Auth { url: url() },
            T::Secret {
                url: url(),
                detail: "x".into(),
            },
            T::RateLimited {
                url: url(),
                seconds: 5,
            },
        ]
    };
    let settings = || {
        use crate::settings::SettingsError as S;
        vec![
            S::Invalid {
                path: "c.toml".into(),
                detail: "x".into(),
            },
            S::Value {
                key: "k".into(),
                detail: "x".into(),
            },
            S::Io {
                path: "c.toml".into(),
                source: io(),
            },
        ]
    };
    let failures = || {
        use crate::appearance::AppearanceFailure as F;
        let mut v = vec![
            F::ImageFile {
                path: "i.png".into(),
                source: io(),
            },
            F::SealMissing,
            F::LeaderMissing,
            F::PageOutOfRange { page: 3, count: 2 },
            F::BoxOutsidePage {
                page: 1,
                reason: "x".into(),
            },
            F::AnchorNotFound {
                text: "t".into(),
                page: 1,
            },
            F::AnchorAmbiguous {
                text: "t".into(),
                page: 1,
                count: 2,
            },
            F::Missing {
                template: "text",
                what: "a template",
            },
        ];
        v.extend(appearance().into_iter().map(F::Engine));
        v.extend(pdf().into_iter().map(F::Pdf));
        v.extend(appearance().into_iter().map(|source| F::Image {
            path: "i.png".into(),
            source,
        }));
        v
    };
    let file = || PathBuf::from("in.pdf");
    let mut core: Vec<crate::Error> = vec![
        crate::Error::ReadInput {
            path: file(),
            source: io(),
        },
        crate::Error::WriteOutput {
            path: file(),
            source: io(),
        },
        crate::Error::OutputIsInput { path: file() },
        crate::Error::InputChanged { path: file() },
        crate::Error::SignatureTooLarge {
            path: file(),
            needed: 9,
            reserved: 8,
        },
        crate::Error::StampNoReservedFields { path: file() },
        crate::Error::StampLocked {
            path: file(),
            field: "so".into(),
        },
        crate::Error::Validation {
            path: file(),
            detail: "x".into(),
        },
    ];
    core.extend(pdf().into_iter().map(|source| crate::Error::Pdf {
        path: file(),
        source,
    }));
    core.extend(plan().into_iter().map(|source| crate::Error::Plan {
        path: file(),
        source,
    }));
    core.extend(keys().into_iter().map(|source| crate::Error::Certificate {
        path: file(),
        source,
    }));
    core.extend(keys().into_iter().map(|source| crate::Error::Key {
        path: file(),
        source,
    }));
    core.extend(
        failures()
            .into_iter()
            .map(|source| crate::Error::Appearance {
                path: file(),
                source,
            }),
    );
    core.extend(
        settings()
            .into_iter()
            .map(|source| crate::Error::Settings { source }),
    );
    core.extend(tsa().into_iter().map(|source| crate::Error::Timestamp {
        path: file(),
        source,
    }));
    core.extend(cms().into_iter().map(|source| crate::Error::Cms {
        path: file(),
        source,
    }));
    for e in &core {
        renders(e);
    }
    for e in &tsp {
        renders(e);
    }
    renders(&kyso_keys::CertificateWarning::ExpiresSoon { days_left: 3 });
    let trust = [
        crate::TrustError::Read {
            path: file(),
            source: io(),
        },
        crate::TrustError::NotACertificate { path: file() },
        crate::TrustError::Write {
            path: file(),
            source: io(),
        },
        crate::TrustError::NotFound("ab".into()),
        crate::TrustError::Ambiguous("ab".into()),
    ];
    for e in &trust {
        renders(e);
    }
    renders(&crate::VerifyError::Read {
        path: file(),
        source: io(),
    });
    for source in pdf() {
        renders(&crate::VerifyError::Pdf {
            path: file(),
            source,
        });
    }
}

/// The string literals of `source` shaped like a stable code (`"P12_WRONG_PASSWORD"`):
/// upper-case words joined by `_`, quoted on their own.
fn code_literals(source: &str) -> BTreeSet<String> {
    let bytes = source.as_bytes();
    let mut found = BTreeSet::new();
    for (i, _) in source.match_indices('"') {
        let start = i + 1;
        let end = bytes[start..]
            .iter()
            .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_'))
            .map_or(bytes.len(), |n| start + n);
        let token = &source[start..end];
        if bytes.get(end) == Some(&b'"')
            && token.starts_with(|c: char| c.is_ascii_uppercase())
            && token.contains('_')
            && !token.ends_with('_')
            && !token.contains("__")
        {
            found.insert(token.to_string());
        }
    }
    found
}

/// Literals of that shape that are not codes: environment variables and a prefix.
fn is_code(token: &str) -> bool {
    !(token.starts_with("KYSO_") || token.starts_with("CARGO_") || token == "CA_CERT")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Every code literal of the sources of the client: the libraries, the CLI and the desktop
/// shell, their unit tests left out.
fn codes_in_the_code_base() -> BTreeSet<String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "crates/kyso-pdf/src",
        "crates/kyso-cms/src",
        "crates/kyso-keys/src",
        "crates/kyso-core/src",
        "crates/kyso-sync/src",
        "crates/kyso-cli/src",
        "src-tauri/src",
    ] {
        rust_files(&repo.join(dir), &mut files);
    }
    let mut codes = BTreeSet::new();
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(i) => &text[..i],
            None => &text,
        };
        codes.extend(code_literals(text).into_iter().filter(|c| is_code(c)));
    }
    codes
}

#[test]
fn every_code_the_code_base_can_emit_has_both_texts() {
    let codes = codes_in_the_code_base();
    // The scan finds the codes of every layer (a scan that found nothing would pass).
    for known in [
        "PDF_NOT_A_PDF",
        "CMS_MALFORMED",
        "P12_WRONG_PASSWORD",
        "TSA_TIMEOUT",
        "CHAIN_ISSUER_MISSING",
        "EXCHANGE_UNREACHABLE",
        "META_ORGAN_ID",
        "EDXML_BASE64",
        "OUTPUT_CONFLICT",
        "DESKTOP_INTERNAL",
    ] {
        assert!(codes.contains(known), "the scan misses {known}");
    }
    let missing: Vec<String> = codes
        .iter()
        .flat_map(|c| {
            Lang::ALL
                .into_iter()
                .filter(|lang| !has(*lang, c))
                .map(move |lang| format!("{c} ({lang})"))
        })
        .collect();
    assert!(missing.is_empty(), "codes without a text: {missing:?}");
}

#[test]
fn the_scan_finds_code_literals_and_only_those() {
    let found = code_literals(
        r#"=> "PDF_DAMAGED", "x" "KYSO_HOME" "Not_A" "ABC" "A_B""C_D" "E_F_" ("G_1H")"#,
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["A_B", "C_D", "G_1H", "KYSO_HOME", "PDF_DAMAGED"]
    );
    assert!(!is_code("KYSO_HOME") && is_code("PDF_DAMAGED"));
}
