//! `kyso id ...`: the identities (vault and token), and opening one for `kyso sign`.
//! Argument parsing and output only; the work is kyso-keys'.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use kyso_core::messages::{Problem, param};
use kyso_keys::identity::{self, Identity, Registry, Source};
use kyso_keys::{KeyError, Signer};
use zeroize::Zeroizing;

use crate::ui::{self, t, tp};
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
    fail_problem(&Problem::of(e), json)
}

fn fail_problem(p: &Problem, json: bool) -> u8 {
    if json {
        println!("{}", ui::json_error(p));
    } else {
        ui::report(p);
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
                    println!("{}", t("cli.id.none"));
                } else {
                    for i in &registry.identities {
                        let mark = if registry.default.as_deref() == Some(i.id.as_str()) {
                            "*"
                        } else {
                            " "
                        };
                        println!(
                            "{mark} {}  {:<9} {}  ({})  {}",
                            i.id,
                            source_kind(&i.source),
                            i.label,
                            tp("cli.id.valid_to", &[("date", &i.valid_to)]),
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
                println!(
                    "{}",
                    tp("cli.id.renamed", &[("id", &i.id), ("label", &i.label)])
                );
                exit::OK
            }
            Err(e) => fail(&e, false),
        },
        IdCommand::Default { id } => match identity::set_default(&id) {
            Ok(i) => {
                println!(
                    "{}",
                    tp("cli.id.default_set", &[("identity", &i.display_name())])
                );
                exit::OK
            }
            Err(e) => fail(&e, false),
        },
        IdCommand::Remove { id } => match identity::remove(&id) {
            Ok(i) => {
                println!(
                    "{}",
                    tp("cli.id.removed", &[("identity", &i.display_name())])
                );
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

fn source_kind(source: &Source) -> String {
    t(match source {
        Source::Vault { pin: false } => "cli.id.kind.vault",
        Source::Vault { pin: true } => "cli.id.kind.vault_pin",
        Source::Token { .. } => "cli.id.kind.token",
    })
}

/// One `label: value` line of `kyso id show`, the labels aligned in either language.
fn show_line(key: &str, value: impl std::fmt::Display) {
    let label = format!("{}:", t(key));
    println!("{label:<16}{value}");
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
    show_line(
        "cli.id.show.id",
        format!(
            "{}{}",
            i.id,
            if is_default {
                format!(" ({})", t("cli.id.show.default"))
            } else {
                String::new()
            }
        ),
    );
    show_line("cli.id.show.label", &i.label);
    show_line("cli.id.show.subject", &i.subject);
    show_line("cli.id.show.issuer", &i.issuer);
    show_line("cli.id.show.serial", &i.serial);
    show_line(
        "cli.id.show.valid",
        format!("{} .. {}", i.valid_from, i.valid_to),
    );
    show_line(
        "cli.id.show.key",
        format!(
            "{}{}",
            i.key_algorithm,
            i.key_bits
                .map(|b| format!(" {}", tp("cli.id.show.bits", &[("bits", &b.to_string())])))
                .unwrap_or_default()
        ),
    );
    show_line(
        "cli.id.show.key_usage",
        if i.key_usage.is_empty() {
            t("cli.id.show.any_usage")
        } else {
            i.key_usage.join(", ")
        },
    );
    show_line("cli.id.show.sha256", &i.sha256_fingerprint);
    match &i.source {
        Source::Vault { pin } => show_line(
            "cli.id.show.source",
            format!(
                "{}{}",
                t("cli.id.show.source_vault"),
                if *pin {
                    format!(", {}", t("cli.id.show.signing_pin"))
                } else {
                    String::new()
                }
            ),
        ),
        Source::Token {
            module,
            token_label,
            key_id,
            ..
        } => show_line(
            "cli.id.show.source",
            tp(
                "cli.id.show.source_token",
                &[
                    ("token", token_label),
                    ("key_id", key_id),
                    ("module", module),
                ],
            ),
        ),
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
        Err(p) => {
            ui::report(&p);
            return exit::USAGE;
        }
    };
    let pin = if with_pin {
        match read_pin(pin_file, &t("cli.prompt.new_pin"), true) {
            Ok(Some(p)) if !p.is_empty() => Some(p),
            Ok(_) => {
                ui::report(&ui::problem(
                    "PIN_MISSING",
                    Vec::new(),
                    "--pin needs a PIN: KYSO_PIN, --pin-file or a terminal",
                ));
                return exit::USAGE;
            }
            Err(p) => {
                ui::report(&p);
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
        time::OffsetDateTime::now_utc().unix_timestamp(),
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
            let target = output.map_or_else(|| "-".to_string(), |p| p.display().to_string());
            fail_problem(
                &ui::problem(
                    "IO",
                    vec![param("file", &target), param("detail", &e)],
                    format!("cannot write the certificate to {target}: {e}"),
                ),
                false,
            )
        }
    }
}

/// A PIN: `--pin-file`, then KYSO_PIN, then a terminal prompt (asked twice when `confirm`).
pub fn read_pin(
    file: Option<&Path>,
    question: &str,
    confirm: bool,
) -> Result<Option<Zeroizing<String>>, Problem> {
    if let Some(file) = file {
        return passwords::from_file(file).map(Some);
    }
    if let Ok(pin) = std::env::var(PIN_VAR) {
        return Ok(Some(Zeroizing::new(pin)));
    }
    if !passwords::can_prompt() {
        return Ok(None);
    }
    let first = passwords::ask(question)?;
    if confirm {
        let again = passwords::ask(&t("cli.prompt.pin_again"))?;
        if *again != *first {
            return Err(ui::problem(
                "PIN_MISMATCH",
                Vec::new(),
                "the two PINs differ",
            ));
        }
    }
    Ok(Some(first))
}

/// The identity asked for (else the default one), opened for signing, and its id (for the
/// settings kept per identity: images, level). A token PIN or vault signing PIN is asked
/// once here, for the whole batch.
pub fn open_identity_signer(
    query: Option<&str>,
    pin_file: Option<&Path>,
) -> Result<(Box<dyn Signer>, String), Problem> {
    let coded = |e: KeyError| Problem::of(&e);
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
                tp("cli.prompt.token_pin", &[("token", token_label)])
            }
            Source::Vault { .. } => tp("cli.prompt.signing_pin", &[("identity", &identity.label)]),
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
