//! `kyso token ...`: what PKCS#11 tokens are plugged in, and their certificates.

use clap::Subcommand;

use crate::exit;

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
                    println!("No token found by {module}.");
                }
                for s in &slots {
                    println!("Slot {}: {}", s.slot, s.description);
                    let Some(t) = &s.token else {
                        println!("  (token unreadable)");
                        continue;
                    };
                    let pin_state = if t.pin_locked {
                        "PIN LOCKED"
                    } else if t.pin_final_try {
                        "PIN: final try"
                    } else if t.pin_count_low {
                        "PIN: few tries left"
                    } else {
                        "PIN ok"
                    };
                    println!(
                        "  Token \"{}\" ({} {}, serial {}), {pin_state}",
                        t.label, t.manufacturer, t.model, t.serial
                    );
                    for c in &t.certificates {
                        println!(
                            "    key id {}{}  {}  (valid to {})",
                            c.key_id,
                            if c.is_ca { " [CA]" } else { "" },
                            c.subject,
                            c.valid_to
                        );
                    }
                }
                exit::OK
            }
            Err(e) => {
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
        },
    }
}
