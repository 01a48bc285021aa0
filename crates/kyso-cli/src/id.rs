//! `kyso id ...`: the identities (vault and token), and opening one for `kyso sign`.
//! Argument parsing and output only; the work is kyso-keys'.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use kyso_keys::identity::{self, Identity, Registry, Source};
use kyso_keys::{KeyError, Signer};
use zeroize::Zeroizing;

use crate::{exit, passwords};

/// Environment variable holding a PIN (vault signing PIN or token PIN).
pub const PIN_VAR: &str = "KYSO_PIN";
/// Environment variable: seconds of inactivity after which a token PIN is forgotten.
pub const IDLE_VAR: &str = "KYSO_PIN_IDLE_SECS";

#[derive(Subcommand)]
pub enum IdCommand {
    /// Import a .p12/.pfx into the vault (key in the OS keychain); prints the new identity.
    Import {
        file: PathBuf,
        #[arg(long)]
        label: Option<String>,
        /// File holding the .p12 password (else KYSO_P12_PASSWORD, else a prompt).
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        /// Also protect the identity with a signing PIN (from KYSO_PIN, --pin-file or a prompt).
        #[arg(long)]
        pin: bool,
        /// File holding the signing PIN (with --pin).
        #[arg(long = "pin-file", requires = "pin")]
        pin_file: Option<PathBuf>,
        /// Which key, when the file holds several (1 = the first).
        #[arg(long = "key")]
        key: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// List the identities.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one identity.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename an identity.
    Rename { id: String, label: String },
    /// Make an identity the default one for `kyso sign`.
    Default { id: String },
    /// Remove an identity (its keychain entry and vault file; a token key stays on the token).
    Remove { id: String },
    /// Write the identity's certificate (PEM, or DER with --der) to a file or standard output.
    ExportCert {
        id: String,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        #[arg(long)]
        der: bool,
    },
    /// Register a key on a PKCS#11 token as an identity.
    AddToken {
        /// PKCS#11 module (driver) path.
        #[arg(long)]
        module: String,
        /// Token label.
        #[arg(long)]
        token: String,
        /// CKA_ID of the key (hex), when the token holds several.
        #[arg(long = "key-id")]
        key_id: Option<String>,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn fail(e: &KeyError, json: bool) -> u8 {
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": false, "code": e.code(), "error": e.to_string()})
        );
    } else {
        eprintln!("kyso: [{}] {e}", e.code());
    }
    exit::SOME_FAILED
}

pub fn run(command: IdCommand) -> u8 {
    match command {
        IdCommand::Import {
            file,
            label,
            password_file,
            pin,
            pin_file,
            key,
            json,
        } => import(
            &file,
            label.as_deref(),
            password_file.as_deref(),
            pin,
            pin_file.as_deref(),
            key,
            json,
        ),
        IdCommand::List { json } => match Registry::load() {
            Ok(registry) => {
                if json {
                    let value = serde_json::json!({
                        "default": registry.default,
                        "identities": registry.identities,
                    });
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&value).unwrap_or_default()
                    );
                } else if registry.identities.is_empty() {
                    println!(
                        "No identities yet: `kyso id import FILE.p12` or `kyso id add-token`."
                    );
                } else {
                    for i in &registry.identities {
                        let mark = if registry.default.as_deref() == Some(i.id.as_str()) {
                            "*"
                        } else {
                            " "
                        };
                        println!(
                            "{mark} {}  {:<7} {}  (valid to {})  {}",
                            i.id,
                            source_kind(&i.source),
                            i.label,
                            i.valid_to,
                            i.subject
                        );
                    }
                }
                exit::OK
            }
            Err(e) => fail(&e, json),
        },
        IdCommand::Show { id, json } => match Registry::load().and_then(|r| {
            let is_default = r.default.as_deref() == Some(r.find(&id)?.id.as_str());
            Ok((r.find(&id)?.clone(), is_default))
        }) {
            Ok((identity, is_default)) => {
                print_identity(&identity, is_default, json);
                exit::OK
            }
            Err(e) => fail(&e, json),
        },
        IdCommand::Rename { id, label } => match identity::rename(&id, &label) {
            Ok(i) => {
                println!("Renamed {} to {}", i.id, i.label);
                exit::OK
            }
            Err(e) => fail(&e, false),
        },
        IdCommand::Default { id } => match identity::set_default(&id) {
            Ok(i) => {
                println!("Default identity: {}", i.display_name());
                exit::OK
            }
            Err(e) => fail(&e, false),
        },
        IdCommand::Remove { id } => match identity::remove(&id) {
            Ok(i) => {
                println!("Removed {}", i.display_name());
                exit::OK
            }
            Err(e) => fail(&e, false),
        },
        IdCommand::ExportCert { id, output, der } => export_cert(&id, output.as_deref(), der),
        IdCommand::AddToken {
            module,
            token,
            key_id,
            label,
            json,
        } => match kyso_keys::token::add_token_identity(
            &module,
            &token,
            key_id.as_deref(),
            label.as_deref(),
        ) {
            Ok(i) => {
                print_identity(&i, false, json);
                exit::OK
            }
            Err(e) => fail(&e, json),
        },
    }
}

fn source_kind(source: &Source) -> &'static str {
    match source {
        Source::Vault { pin: false } => "vault",
        Source::Vault { pin: true } => "vault+PIN",
        Source::Token { .. } => "token",
    }
}

fn print_identity(i: &Identity, is_default: bool, json: bool) {
    if json {
        let mut value = serde_json::to_value(i).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("default".into(), is_default.into());
            map.insert("ok".into(), true.into());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    println!(
        "Id:          {}{}",
        i.id,
        if is_default { " (default)" } else { "" }
    );
    println!("Label:       {}", i.label);
    println!("Subject:     {}", i.subject);
    println!("Issuer:      {}", i.issuer);
    println!("Serial:      {}", i.serial);
    println!("Valid:       {} .. {}", i.valid_from, i.valid_to);
    println!(
        "Key:         {}{}",
        i.key_algorithm,
        i.key_bits.map(|b| format!(" {b} bits")).unwrap_or_default()
    );
    println!(
        "Key usage:   {}",
        if i.key_usage.is_empty() {
            "(any)".to_string()
        } else {
            i.key_usage.join(", ")
        }
    );
    println!("SHA-256:     {}", i.sha256_fingerprint);
    match &i.source {
        Source::Vault { pin } => println!(
            "Source:      vault (key in the OS keychain){}",
            if *pin { ", signing PIN" } else { "" }
        ),
        Source::Token {
            module,
            token_label,
            key_id,
            ..
        } => println!("Source:      token \"{token_label}\", key id {key_id}, module {module}"),
    }
}

fn import(
    file: &Path,
    label: Option<&str>,
    password_file: Option<&Path>,
    with_pin: bool,
    pin_file: Option<&Path>,
    key: Option<usize>,
    json: bool,
) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(b) => Zeroizing::new(b),
        Err(source) => {
            return fail(
                &KeyError::Io {
                    path: file.to_path_buf(),
                    source,
                },
                json,
            );
        }
    };
    let password = match passwords::p12_password(password_file, file) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kyso: {e:#}");
            return exit::USAGE;
        }
    };
    let pin = if with_pin {
        match read_pin(pin_file, "Đặt mã PIN ký / new signing PIN: ", true) {
            Ok(Some(p)) if !p.is_empty() => Some(p),
            Ok(_) => {
                eprintln!("kyso: --pin needs a PIN: KYSO_PIN, --pin-file or a terminal");
                return exit::USAGE;
            }
            Err(message) => {
                eprintln!("kyso: {message}");
                return exit::USAGE;
            }
        }
    } else {
        None
    };
    match identity::import_p12(
        &bytes,
        &password,
        &file.display().to_string(),
        key,
        label,
        pin.as_ref().map(|p| p.as_str()),
    ) {
        Ok(i) => {
            let is_default = Registry::load()
                .map(|r| r.default.as_deref() == Some(i.id.as_str()))
                .unwrap_or(false);
            print_identity(&i, is_default, json);
            exit::OK
        }
        Err(e) => fail(&e, json),
    }
}

fn export_cert(id: &str, output: Option<&Path>, der: bool) -> u8 {
    let identity = match Registry::load().and_then(|r| r.find(id).cloned()) {
        Ok(i) => i,
        Err(e) => return fail(&e, false),
    };
    let bytes = if der {
        identity.certificate_der()
    } else {
        identity.certificate_pem().map(String::into_bytes)
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return fail(&e, false),
    };
    let written = match output {
        Some(path) => std::fs::write(path, &bytes),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)
        }
    };
    match written {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("kyso: [IO] cannot write the certificate: {e}");
            exit::SOME_FAILED
        }
    }
}

/// A PIN: `--pin-file`, then KYSO_PIN, then a terminal prompt (asked twice when `confirm`).
pub fn read_pin(
    file: Option<&Path>,
    question: &str,
    confirm: bool,
) -> Result<Option<Zeroizing<String>>, String> {
    if let Some(file) = file {
        let bytes = Zeroizing::new(
            std::fs::read(file)
                .map_err(|e| format!("cannot read the PIN file {}: {e}", file.display()))?,
        );
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| format!("the PIN file {} is not UTF-8 text", file.display()))?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        return Ok(Some(Zeroizing::new(text.to_string())));
    }
    if let Ok(pin) = std::env::var(PIN_VAR) {
        return Ok(Some(Zeroizing::new(pin)));
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(question).map_err(|e| format!("cannot read the PIN: {e}"))?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Nhập lại / again: ")
                .map_err(|e| format!("cannot read the PIN: {e}"))?,
        );
        if *again != *first {
            return Err("the two PINs differ".into());
        }
    }
    Ok(Some(first))
}

/// Opens the identity `query` (or the default one) for signing; errors as "[CODE] message".
/// A token PIN or vault signing PIN is asked once here, for the whole batch.
/// The identity asked for (else the default one), opened for signing, and its id (for the
/// settings kept per identity: images, level).
pub fn open_identity_signer(
    query: Option<&str>,
    pin_file: Option<&Path>,
) -> Result<(Box<dyn Signer>, String), String> {
    let coded = |e: KeyError| format!("[{}] {e}", e.code());
    let registry = Registry::load().map_err(coded)?;
    let identity = match query {
        Some(q) => registry.find(q),
        None => registry.default_identity(),
    }
    .map_err(coded)?
    .clone();
    let pin = if identity::needs_pin(&identity) {
        let question = match &identity.source {
            Source::Token { token_label, .. } => {
                format!("Mã PIN token / PIN of token {token_label}: ")
            }
            Source::Vault { .. } => {
                format!("Mã PIN ký / signing PIN of {}: ", identity.label)
            }
        };
        read_pin(pin_file, &question, false)?
    } else {
        None
    };
    let idle = std::env::var(IDLE_VAR)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(kyso_keys::token::DEFAULT_IDLE_TIMEOUT, Duration::from_secs);
    let signer = identity::open_signer(&identity, pin, idle).map_err(coded)?;
    Ok((signer, identity.id))
}
