//! `kyso trust add|list|remove`: the trust store under KYSO_HOME (docs/trust.md).

use std::path::PathBuf;

use kyso_core::{TrustKind, TrustStore};

use crate::exit;

#[derive(clap::Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(clap::Subcommand)]
pub enum TrustCommand {
    /// Trust a root certificate (PEM or DER; a PEM file may hold several).
    Add {
        cert: PathBuf,
        /// Store it as an intermediate CA used to build chains, not as a trust anchor.
        #[arg(long)]
        intermediate: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the trusted roots and stored intermediates.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a certificate by its id or SHA-256 fingerprint (a prefix of 8+ hex digits).
    Remove {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: TrustArgs) -> u8 {
    let store = TrustStore::default_location();
    match args.command {
        TrustCommand::Add {
            cert,
            intermediate,
            json,
        } => {
            let kind = if intermediate {
                TrustKind::Intermediate
            } else {
                TrustKind::Anchor
            };
            match store.add_file(&cert, kind) {
                Ok(entries) => {
                    for e in &entries {
                        if json {
                            println!("{}", serde_json::to_string(e).unwrap_or_default());
                        } else {
                            println!("added {:?} {}  {}", e.kind, e.id, e.subject);
                        }
                    }
                    exit::OK
                }
                Err(e) => fail(json, e.code(), &e.to_string()),
            }
        }
        TrustCommand::List { json } => {
            let entries = store.list();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&entries).unwrap_or_default()
                );
            } else if entries.is_empty() {
                println!("(no trusted certificates; see docs/trust.md)");
            } else {
                for e in &entries {
                    let kind = match e.kind {
                        TrustKind::Anchor => "anchor",
                        TrustKind::Intermediate => "intermediate",
                    };
                    println!(
                        "{}  {:<12}  {}  (until {})",
                        e.id, kind, e.subject, e.not_after
                    );
                }
            }
            exit::OK
        }
        TrustCommand::Remove { id, json } => match store.remove(&id) {
            Ok(e) => {
                if json {
                    println!("{}", serde_json::to_string(&e).unwrap_or_default());
                } else {
                    println!("removed {}  {}", e.id, e.subject);
                }
                exit::OK
            }
            Err(e) => fail(json, e.code(), &e.to_string()),
        },
    }
}

fn fail(json: bool, code: &str, message: &str) -> u8 {
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": false, "code": code, "error": message})
        );
    } else {
        eprintln!("kyso: [{code}] {message}");
    }
    exit::SOME_FAILED
}
