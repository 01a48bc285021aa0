//! `kyso trust add|list|remove`: the trust store under KYSO_HOME (docs/trust.md).

use std::path::PathBuf;

use kyso_core::messages::Problem;
use kyso_core::{TrustKind, TrustStore};

use crate::exit;
use crate::ui::{self, t, tp};

#[derive(clap::Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(clap::Subcommand)]
pub enum TrustCommand {
    /// Trust a root certificate as a trust anchor (PEM or DER; a PEM file may hold several).
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
                            println!(
                                "{}",
                                tp(
                                    "cli.trust.added",
                                    &[
                                        ("kind", &kind_name(e.kind)),
                                        ("id", &e.id),
                                        ("subject", &e.subject),
                                    ],
                                )
                            );
                        }
                    }
                    exit::OK
                }
                Err(e) => fail(json, &Problem::of(&e)),
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
                println!("({})", t("cli.trust.none"));
            } else {
                for e in &entries {
                    println!(
                        "{}  {:<14}  {}  ({})",
                        e.id,
                        kind_name(e.kind),
                        e.subject,
                        tp("cli.trust.until", &[("date", &e.not_after)])
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
                    println!(
                        "{}",
                        tp(
                            "cli.trust.removed",
                            &[("id", &e.id), ("subject", &e.subject)]
                        )
                    );
                }
                exit::OK
            }
            Err(e) => fail(json, &Problem::of(&e)),
        },
    }
}

/// "anchor" or "intermediate", in the run's language.
fn kind_name(kind: TrustKind) -> String {
    t(match kind {
        TrustKind::Anchor => "cli.trust.kind.anchor",
        TrustKind::Intermediate => "cli.trust.kind.intermediate",
    })
}

fn fail(json: bool, p: &Problem) -> u8 {
    if json {
        println!("{}", ui::json_error(p));
    } else {
        ui::report(p);
    }
    exit::SOME_FAILED
}
