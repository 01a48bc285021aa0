//! `kyso token ...`: what PKCS#11 tokens are plugged in, and their certificates.

use clap::Subcommand;

use crate::exit;
use crate::ui::{self, t, tp};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// List the slots, tokens and certificates a PKCS#11 module sees (no PIN needed).
    List {
        /// PKCS#11 module (driver) path; docs/tokens.md lists the usual ones.
        #[arg(long)]
        module: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: TokenCommand) -> u8 {
    match command {
        TokenCommand::List { module, json } => match kyso_keys::token::list(&module) {
            Ok(slots) => {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&slots).unwrap_or_default()
                    );
                    return exit::OK;
                }
                if slots.is_empty() {
                    println!("{}", tp("cli.token.none", &[("module", &module)]));
                }
                for s in &slots {
                    println!(
                        "{}",
                        tp(
                            "cli.token.slot",
                            &[
                                ("slot", &s.slot.to_string()),
                                ("description", &s.description)
                            ],
                        )
                    );
                    let Some(token) = &s.token else {
                        println!("  ({})", t("cli.token.unreadable"));
                        continue;
                    };
                    let pin_state = t(if token.pin_locked {
                        "cli.token.pin.locked"
                    } else if token.pin_final_try {
                        "cli.token.pin.final_try"
                    } else if token.pin_count_low {
                        "cli.token.pin.count_low"
                    } else {
                        "cli.token.pin.ok"
                    });
                    println!(
                        "  {}, {pin_state}",
                        tp(
                            "cli.token.token",
                            &[
                                ("label", &token.label),
                                ("manufacturer", &token.manufacturer),
                                ("model", &token.model),
                                ("serial", &token.serial),
                            ],
                        )
                    );
                    for c in &token.certificates {
                        println!(
                            "    {}{}  {}  ({})",
                            tp("cli.token.key_id", &[("key_id", &c.key_id)]),
                            if c.is_ca { " [CA]" } else { "" },
                            c.subject,
                            tp("cli.id.valid_to", &[("date", &c.valid_to)])
                        );
                    }
                }
                exit::OK
            }
            Err(e) => {
                let p = kyso_core::messages::Problem::of(&e);
                if json {
                    println!("{}", ui::json_error(&p));
                } else {
                    ui::report(&p);
                }
                exit::SOME_FAILED
            }
        },
    }
}
